//! Finds the dense layers in an ONNX graph and replaces each with one `OpinioDense` node.
//!
//! A dense layer is `MatMul(x, W)` with `W` a rank-2 f32 initialiser (`[in, out]`, as
//! exporters store BERT's projections), usually followed by `Add(·, b)` with a rank-1 f32
//! initialiser of `out` values read by nothing else. The node takes `(x, W[, b])` and is put
//! where the `Add` (or, without a bias, the `MatMul`) was, under the same output name; the
//! replaced `MatMul` is left with nothing reading it and tract drops it when it optimises.
//! Run after the attention fusion, which looks for the `Add`s this removes by the values
//! they produce, not by the nodes.

use tract_onnx::pb::{tensor_proto::DataType, GraphProto, NodeProto, TensorProto};

use super::Kernel;
use crate::encode::graph::{str_attr, Graph};

/// The op type of the dense node; [`super::register`] teaches tract-onnx to read it.
pub(crate) const OP_TYPE: &str = "OpinioDense";

/// Replaces every dense layer of `graph` with an `OpinioDense` node whose weights will be
/// packed for `kernel`; returns how many.
pub(crate) fn quantize_dense(graph: &mut GraphProto, kernel: Kernel) -> usize {
    let dense: Vec<(usize, NodeProto)> = {
        let g = Graph::new(graph);
        graph.node.iter().filter(|n| n.op_type == "MatMul").filter_map(|m| g.dense(m, kernel)).collect()
    };
    let count = dense.len();
    for (at, node) in dense {
        graph.node[at] = node;
    }
    count
}

fn is_f32(t: &TensorProto, rank: usize) -> bool {
    t.data_type == DataType::Float as i32 && t.dims.len() == rank
}

impl Graph<'_> {
    /// The dense node for `matmul` and the index of the node it replaces.
    fn dense(&self, matmul: &NodeProto, kernel: Kernel) -> Option<(usize, NodeProto)> {
        let [x, w] = matmul.input.as_slice() else { return None };
        let weights = self.initializers.get(w.as_str()).filter(|t| is_f32(t, 2))?;
        if self.initializers.contains_key(x.as_str()) {
            return None;
        }
        let out = matmul.output.first()?;
        // A product nothing reads (left by an earlier rewrite) is not worth a node.
        self.readers.get(out.as_str())?;
        let node = |inputs: Vec<String>, output: &[String]| NodeProto {
            input: inputs,
            output: output.to_vec(),
            name: format!("{}.int8", matmul.name),
            op_type: OP_TYPE.into(),
            domain: "ai.opinio".into(),
            attribute: vec![str_attr("kernel", kernel.name())],
            ..NodeProto::default()
        };
        if let Some((at, add)) = self.read_only_by(out, "Add") {
            let bias = add.input.iter().find(|i| *i != out).filter(|b| {
                self.initializers
                    .get(b.as_str())
                    .is_some_and(|t| is_f32(t, 1) && t.dims[0] == weights.dims[1])
            });
            if let (Some(bias), 2) = (bias, add.input.len()) {
                return Some((at, node(vec![x.clone(), w.clone(), bias.clone()], &add.output)));
            }
        }
        let at = *self.producer.get(out.as_str())?;
        Some((at, node(vec![x.clone(), w.clone()], &matmul.output)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_36_dense_layers_of_the_shipped_encoder() {
        let path = crate::encode::Encoder::default_model_dir().join("model.onnx");
        let mut proto = crate::encode::onnx::read_proto(&path).unwrap();
        let graph = proto.graph.as_mut().unwrap();
        crate::encode::attention::fuse_attention(graph);
        // 6 layers × (query, key, value, attention output, intermediate, output).
        assert_eq!(quantize_dense(graph, Kernel::Portable), 36);
        let dense: Vec<&NodeProto> = graph.node.iter().filter(|n| n.op_type == OP_TYPE).collect();
        assert!(dense.iter().all(|n| n.input.len() == 3), "every layer's bias is folded in");
        // The replaced MatMuls are still there but nothing reads them: a second pass is a no-op.
        assert_eq!(quantize_dense(graph, Kernel::Portable), 0);
    }
}
