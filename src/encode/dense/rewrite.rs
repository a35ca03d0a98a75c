//! Finds the dense layers in an ONNX graph and replaces each with one `OpinioDense` node,
//! for the int8 kernels or the f32 tile ([`DensePath`]).
//!
//! A dense layer is `MatMul(x, W)` with `W` a rank-2 f32 initialiser (`[in, out]`, as
//! exporters store BERT's projections), usually followed by `Add(·, b)` with a rank-1 f32
//! initialiser of `out` values read by nothing else. The node takes `(x, W[, b])` and is put
//! where the `Add` (or, without a bias, the `MatMul`) was, under the same output name.
//!
//! When GELU follows, written out as exporters do (`Mul(Mul(y, Add(Erf(Div(y, √2)), 1)), 0.5)`),
//! it is folded in too (attribute `activation = "gelu"`): the node then stands where the last
//! `Mul` was. Left to tract, those five element-wise steps over the `[tokens, 1536]` output
//! cost about as much as the int8 product itself.
//!
//! Two attributes serve int8 alone, and the f32 tile's nodes go without them: the input
//! ranges of layers fed by a LayerNorm ([`Graph::input_ranges`]), and `two_pass` on the
//! first layer that reads a GELU's output (the first feed-forward block's output
//! projection), whose weights are then quantised to about 16 bits
//! ([`super::Kernel::pack_two_pass`]). That is where 8-bit weights lost the most tags (the
//! measurements are in `docs/benchmarks.md`, "int8 accuracy").
//!
//! The nodes replaced are then removed (with whatever else nothing reads). Run after the
//! attention fusion, which looks for the `Add`s this removes.

use tract_onnx::pb::{GraphProto, NodeProto, TensorProto};

use super::DensePath;
use crate::encode::graph::{floats_attr, is_f32, prune_dead, str_attr, Graph};
use crate::encode::onnx::f32_values;

/// The op type of the dense node; [`super::register`] teaches tract-onnx to read it.
pub(crate) const OP_TYPE: &str = "OpinioDense";

/// Replaces every dense layer of `graph` with an `OpinioDense` node whose weights will be
/// packed for `path`; returns how many.
pub(crate) fn rewrite_dense(graph: &mut GraphProto, path: DensePath) -> usize {
    let mut dense: Vec<(usize, NodeProto)> = {
        let g = Graph::new(graph);
        graph.node.iter().filter(|n| n.op_type == "MatMul").filter_map(|m| g.dense(m, path)).collect()
    };
    dense.sort_by_key(|(at, _)| *at);
    let gelu = |n: &NodeProto| n.attribute.iter().any(|a| a.name == "activation" && a.s == b"gelu");
    let first_gelu = dense.iter().find(|(_, n)| gelu(n)).and_then(|(_, n)| n.output.first().cloned());
    let int8 = matches!(path, DensePath::Int8(_));
    if let Some(after) = dense
        .iter_mut()
        .find(|(_, n)| int8 && first_gelu.is_some() && n.input.first() == first_gelu.as_ref())
    {
        after.1.attribute.push(str_attr("two_pass", "1"));
    }
    let count = dense.len();
    for (at, node) in dense {
        graph.node[at] = node;
    }
    prune_dead(graph);
    count
}

impl<'a> Graph<'a> {
    /// The dense node for `matmul` and the index of the node it replaces.
    fn dense(&self, matmul: &NodeProto, path: DensePath) -> Option<(usize, NodeProto)> {
        let [x, w] = matmul.input.as_slice() else { return None };
        let weights = self.initializers.get(w.as_str()).filter(|t| is_f32(t, 2))?;
        if self.initializers.contains_key(x.as_str()) {
            return None;
        }
        let out = matmul.output.first()?;
        // A product nothing reads (left by an earlier rewrite) is not worth a node.
        self.readers.get(out.as_str())?;
        let (ranges, suffix) = match path {
            DensePath::Int8(_) => (self.input_ranges(x, weights), "int8"),
            DensePath::Fp32Tile => (None, "fp32"),
        };
        let node = |inputs: Vec<String>, output: &[String], gelu: bool| {
            let mut attribute = vec![str_attr("kernel", path.name())];
            if gelu {
                attribute.push(str_attr("activation", "gelu"));
            }
            if let Some(ranges) = &ranges {
                attribute.push(floats_attr("input_ranges", ranges.clone()));
            }
            NodeProto {
                input: inputs,
                output: output.to_vec(),
                name: format!("{}.{suffix}", matmul.name),
                op_type: OP_TYPE.into(),
                domain: "ai.opinio".into(),
                attribute,
                ..NodeProto::default()
            }
        };
        if let Some((at, add)) = self.read_only_by(out, "Add") {
            let bias = add.input.iter().find(|i| *i != out).filter(|b| {
                self.initializers
                    .get(b.as_str())
                    .is_some_and(|t| is_f32(t, 1) && t.dims[0] == weights.dims[1])
            });
            if let (Some(bias), 2) = (bias, add.input.len()) {
                let inputs = vec![x.clone(), w.clone(), bias.clone()];
                let y = add.output.first()?;
                return Some(match self.gelu_of(y) {
                    Some((last, output)) => (last, node(inputs, output, true)),
                    None => (at, node(inputs, &add.output, false)),
                });
            }
        }
        let at = *self.producer.get(out.as_str())?;
        Some((at, node(vec![x.clone(), w.clone()], &matmul.output, false)))
    }

    /// For a layer whose input `x` is a LayerNorm's output, about how large each input
    /// channel gets, from that LayerNorm's γ and β alone (no calibration data): channel `j`
    /// of `γ · z + β`, with `z` normalised, reaches about `3|γⱼ| + |βⱼ|`, and BERT's outlier
    /// channels are exactly those with large γ or β (Kovaleva et al. 2021). The operator
    /// turns these into smoothing factors against the weights when it packs them
    /// ([`super::smoothing`]).
    fn input_ranges(&self, x: &str, weights: &TensorProto) -> Option<Vec<f32>> {
        let ln = self.made_by(x, "LayerNormalization")?;
        let vector = |name: &String| {
            self.initializers.get(name.as_str()).filter(|t| is_f32(t, 1)).and_then(|t| f32_values(t).ok())
        };
        let (gamma, beta) = (vector(ln.input.get(1)?)?, vector(ln.input.get(2)?)?);
        let k = weights.dims[0] as usize;
        if gamma.len() != k || beta.len() != k {
            return None;
        }
        Some(gamma.iter().zip(&beta).map(|(g, b)| 3.0 * g.abs() + b.abs()).collect())
    }

    /// `gelu(y)` written out as the exporters do, when nothing else reads its steps: the
    /// index of its last node and that node's output.
    fn gelu_of(&self, y: &str) -> Option<(usize, &'a [String])> {
        let readers = self.readers.get(y)?;
        let by = |op: &str| readers.iter().map(|&i| &self.nodes[i]).find(|n| n.op_type == op);
        let (div, times) = (by("Div")?, by("Mul")?);
        if readers.len() != 2 || div.input.first().map(String::as_str) != Some(y) {
            return None;
        }
        let root2 = self.scalar_f32(div.input.get(1)?)?;
        let (_, erf) = self.read_only_by(div.output.first()?, "Erf")?;
        let (_, plus_one) = self.read_only_by(erf.output.first()?, "Add")?;
        let (_, mul) = self.read_only_by(plus_one.output.first()?, "Mul")?;
        let (last, half) = self.read_only_by(mul.output.first()?, "Mul")?;
        let other = |node: &NodeProto, known: &str| node.input.iter().find(|i| *i != known).cloned();
        let one = self.scalar_f32(&other(plus_one, erf.output.first()?)?)?;
        let factor = self.scalar_f32(&other(half, mul.output.first()?)?)?;
        let is_times = std::ptr::eq(mul, times) && mul.input.iter().any(|i| i == y);
        let shape_ok = (root2 - std::f32::consts::SQRT_2).abs() < 1e-4 && one == 1.0 && factor == 0.5;
        (is_times && shape_ok).then_some((last, half.output.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::dense::Kernel;

    #[test]
    fn replaces_the_36_dense_layers_of_the_shipped_encoder() {
        let path = crate::encode::Encoder::default_model_dir().join("model.onnx");
        let mut proto = crate::encode::onnx::read_proto(&path).unwrap();
        let graph = proto.graph.as_mut().unwrap();
        crate::encode::attention::fuse_attention(graph);
        // 6 layers × (query, key, value, attention output, intermediate, output).
        assert_eq!(rewrite_dense(graph, DensePath::Int8(Kernel::Portable)), 36);
        let dense: Vec<&NodeProto> = graph.node.iter().filter(|n| n.op_type == OP_TYPE).collect();
        assert!(dense.iter().all(|n| n.input.len() == 3), "every layer's bias is folded in");
        let gelu = |n: &NodeProto| n.attribute.iter().any(|a| a.name == "activation" && a.s == b"gelu");
        assert_eq!(dense.iter().filter(|n| gelu(n)).count(), 6, "each layer's GELU is folded in");
        // Q, K, V and the feed-forward input read a LayerNorm's output: smoothed.
        let smoothed =
            |n: &NodeProto| n.attribute.iter().any(|a| a.name == "input_ranges" && a.floats.len() == 384);
        assert_eq!(dense.iter().filter(|n| smoothed(n)).count(), 24);
        // Only the first feed-forward output projection keeps its weights in two passes.
        let two_pass: Vec<&&NodeProto> =
            dense.iter().filter(|n| n.attribute.iter().any(|a| a.name == "two_pass")).collect();
        assert_eq!(two_pass.len(), 1);
        assert!(two_pass[0].name.contains("layer.0/output/dense"), "{}", two_pass[0].name);
        // The replaced nodes are gone: a second pass finds nothing.
        assert_eq!(rewrite_dense(graph, DensePath::Int8(Kernel::Portable)), 0);
    }
}
