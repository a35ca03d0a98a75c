//! Gives each convolution its bias back, before tract sees the graph.
//!
//! PaddleOCR's ONNX exports write every convolution without a bias, followed by
//! `Add(conv, Reshape(bias, [1, -1, 1, 1]))`: the batch norm Paddle folded into the weights
//! leaves its shift behind as a separate sum. tract keeps that sum as a broadcasting
//! element-wise operator after the convolution's product, where it cannot fuse it; on a
//! batch of recogniser lines it even takes tract's generic broadcasting path, which was 17%
//! of the recogniser's time (perf, 5 receipts). A Conv with the bias as its third input is
//! the same function, and tract adds the bias inside the product.

use std::collections::{HashMap, HashSet};

use tract_onnx::pb::{GraphProto, NodeProto, TensorProto};

/// Folds every `Add(Conv, Reshape(Constant bias, [1, -1, 1, 1]))` whose convolution has no
/// bias and feeds only that sum into the convolution; returns how many it folded. Anything
/// else is left as it is.
pub(crate) fn conv_biases(graph: &mut GraphProto) -> usize {
    let producer: HashMap<String, usize> = graph
        .node
        .iter()
        .enumerate()
        .flat_map(|(i, node)| node.output.iter().map(move |o| (o.clone(), i)))
        .collect();
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for name in graph.node.iter().flat_map(|n| n.input.iter()).chain(graph.output.iter().map(|o| &o.name)) {
        *uses.entry(name.as_str()).or_default() += 1;
    }
    let node_of = |name: &str, op: &str| producer.get(name).copied().filter(|&i| graph.node[i].op_type == op);
    let mut folds = Vec::new();
    for (add, node) in graph.node.iter().enumerate() {
        let [a, b] = &node.input[..] else { continue };
        if node.op_type != "Add" {
            continue;
        }
        let found = [(a, b), (b, a)].into_iter().find_map(|(x, y)| {
            let conv = node_of(x, "Conv")
                .filter(|&c| graph.node[c].input.len() == 2 && uses.get(x.as_str()) == Some(&1))?;
            let reshape = node_of(y, "Reshape")?;
            let [data, shape] = &graph.node[reshape].input[..] else { return None };
            let bias = constant(&graph.node[node_of(data, "Constant")?])?;
            let shape = ints(constant(&graph.node[node_of(shape, "Constant")?])?)?;
            let channels = bias.dims.iter().product::<i64>();
            let per_channel =
                bias.dims.len() == 1 && matches!(shape[..], [1, c, 1, 1] if c == -1 || c == channels);
            let weights =
                node_of(&graph.node[conv].input[1], "Constant").and_then(|w| constant(&graph.node[w]));
            let fits = weights.is_some_and(|w| w.dims.first() == Some(&channels));
            (per_channel && fits).then(|| (conv, data.clone()))
        });
        if let Some((conv, bias)) = found {
            folds.push((add, conv, bias));
        }
    }
    for &(add, conv, ref bias) in &folds {
        let out = graph.node[add].output[0].clone();
        let conv = &mut graph.node[conv];
        conv.input.push(bias.clone());
        conv.output[0] = out;
    }
    let dropped: HashSet<usize> = folds.iter().map(|f| f.0).collect();
    let mut index = 0;
    graph.node.retain(|_| {
        index += 1;
        !dropped.contains(&(index - 1))
    });
    folds.len()
}

/// The tensor a `Constant` node holds in its `value` attribute.
fn constant(node: &NodeProto) -> Option<&TensorProto> {
    node.attribute.iter().find(|a| a.name == "value").and_then(|a| a.t.as_ref())
}

/// The values of an int64 tensor, stored either way ONNX allows.
fn ints(tensor: &TensorProto) -> Option<Vec<i64>> {
    if !tensor.int64_data.is_empty() {
        return Some(tensor.int64_data.clone());
    }
    let raw = &tensor.raw_data;
    (raw.len() % 8 == 0 && !raw.is_empty())
        .then(|| raw.chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().unwrap_or_default())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::prelude::*;

    /// The shipped detector and recogniser, folded and not, give the same outputs on the
    /// same image; every convolution-bias pair of theirs folds, and nothing else does.
    #[test]
    fn folded_networks_give_the_same_answers() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/pp-ocrv5");
        let onnx = tract_onnx::onnx();
        for (file, shape, folds) in [("det.onnx", [1, 3, 64, 96], 52), ("rec.onnx", [2, 3, 48, 160], 32)] {
            let proto = onnx.proto_model_for_path(dir.join(file)).unwrap();
            let mut folded = proto.clone();
            assert_eq!(conv_biases(folded.graph.as_mut().unwrap()), folds, "{file}");
            let graph = folded.graph.as_ref().unwrap();
            assert_eq!(graph.node.len(), proto.graph.as_ref().unwrap().node.len() - folds);
            let values: Vec<f32> = (0..shape.iter().product::<usize>())
                .map(|i| ((i * 7919) % 255) as f32 / 127.5 - 1.0)
                .collect();
            let input = Tensor::from_shape(&shape, &values).unwrap();
            let run = |proto: &tract_onnx::pb::ModelProto| {
                let mut model = onnx.model_for_proto_model(proto).unwrap();
                model.set_input_fact(0, f32::fact(shape).into()).unwrap();
                let plan = model.into_optimized().unwrap().into_runnable().unwrap();
                plan.run(tvec!(input.clone().into_tvalue())).unwrap().remove(0).into_tensor()
            };
            let (before, after) = (run(&proto), run(&folded));
            assert_eq!(before.shape(), after.shape());
            let slice = |t: &Tensor| t.try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec();
            let (before, after) = (slice(&before), slice(&after));
            let worst = before.iter().zip(&after).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(worst < 1e-4, "{file}: folded output differs by {worst}");
        }
    }

    #[test]
    fn a_convolution_read_twice_keeps_its_sum() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/pp-ocrv5");
        let mut proto = tract_onnx::onnx().proto_model_for_path(dir.join("det.onnx")).unwrap();
        let graph = proto.graph.as_mut().unwrap();
        // A second reader of the first summed convolution's output: that sum must stay.
        let adds: Vec<&String> =
            graph.node.iter().filter(|n| n.op_type == "Add").flat_map(|n| &n.input).collect();
        let conv = graph.node.iter().find(|n| n.op_type == "Conv" && adds.contains(&&n.output[0])).unwrap();
        let conv = conv.output[0].clone();
        let mut extra = NodeProto::default();
        extra.op_type = "Relu".into();
        extra.input = vec![conv];
        extra.output = vec!["extra".into()];
        graph.node.push(extra);
        assert_eq!(conv_biases(graph), 51);
    }
}
