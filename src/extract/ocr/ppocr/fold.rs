//! Gives each convolution its bias back, before tract sees the graph.
//!
//! PaddleOCR's ONNX exports write every convolution without a bias, followed by
//! `Add(conv, Reshape(bias, [1, -1, 1, 1]))`: the batch norm Paddle folded into the weights
//! leaves its shift behind as a separate sum. tract keeps that sum as a broadcasting
//! element-wise operator after the convolution's product, where it cannot fuse it; on a
//! batch of recogniser lines it even takes tract's generic broadcasting path, which was 17%
//! of the recogniser's time (perf, 5 receipts). A Conv with the bias as its third input is
//! the same function, and tract adds the bias inside the product.

use std::collections::HashSet;

use tract_onnx::pb::GraphProto;

use crate::encode::graph::Graph;

/// Folds every `Add(Conv, Reshape(constant bias, [1, -1, 1, 1]))` whose convolution has no
/// bias and feeds only that sum into the convolution; returns how many it folded. Anything
/// else is left as it is.
pub(crate) fn conv_biases(graph: &mut GraphProto) -> usize {
    let folds: Vec<(usize, usize, String)> = {
        let g = Graph::new(graph);
        let outputs: HashSet<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
        g.nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| node.op_type == "Add")
            .filter_map(|(add, node)| {
                let [a, b] = &node.input[..] else { return None };
                [(a, b), (b, a)].into_iter().find_map(|(x, y)| {
                    let conv = *g.producer.get(x.as_str())?;
                    let only_reader = g.read_only_by(x, "Add").is_some_and(|(i, _)| i == add);
                    if g.nodes[conv].op_type != "Conv"
                        || g.nodes[conv].input.len() != 2
                        || !only_reader
                        || outputs.contains(x.as_str())
                    {
                        return None;
                    }
                    let [data, shape] = &g.made_by(y, "Reshape")?.input[..] else { return None };
                    let bias = g.constant(data)?;
                    let channels = bias.dims.iter().product::<i64>();
                    let per_channel = bias.dims.len() == 1
                        && matches!(g.ints(shape)?[..], [1, c, 1, 1] if c == -1 || c == channels);
                    let fits = g
                        .constant(&g.nodes[conv].input[1])
                        .is_some_and(|w| w.dims.first() == Some(&channels));
                    (per_channel && fits).then(|| (add, conv, data.clone()))
                })
            })
            .collect()
    };
    for (add, conv, bias) in &folds {
        let out = graph.node[*add].output[0].clone();
        let conv = &mut graph.node[*conv];
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

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::pb::NodeProto;
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
