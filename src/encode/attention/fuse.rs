//! Finds BERT's attention in an ONNX graph and replaces it with one fused node.
//!
//! The exporters write each layer's self-attention as
//!
//! ```text
//! q = Transpose[0,2,1,3](Reshape(q_proj, [B, S, heads, d]))
//! k = Transpose[0,2,3,1](Reshape(k_proj, [B, S, heads, d]))
//! v = Transpose[0,2,1,3](Reshape(v_proj, [B, S, heads, d]))
//! p = Softmax(MatMul(q, k) * scale + mask)          (or `/ sqrt(d)`)
//! y = Reshape(Transpose[0,2,1,3](MatMul(p, v)), [B, S, heads * d])
//! ```
//!
//! [`fuse_attention`] matches that shape backwards from each `Softmax` and puts an
//! `OpinioAttention(q_proj, k_proj, v_proj, mask)` node where the last `Reshape` was, under
//! the same output name. The replaced nodes are left in place with nothing reading them, and
//! tract drops them when it optimises. A graph that does not have this shape (another
//! architecture, another exporter) is left exactly as it was: fusion is an optimisation,
//! never a requirement.

use tract_onnx::pb::{GraphProto, NodeProto};

use crate::encode::graph::{attr, float_attr, int_attr, Graph};

/// The op type of the fused node; [`super::register`] teaches tract-onnx to read it.
pub(crate) const OP_TYPE: &str = "OpinioAttention";

/// Replaces every attention block of `graph` that has the exported BERT shape with one
/// fused node; returns how many were replaced.
pub(crate) fn fuse_attention(graph: &mut GraphProto) -> usize {
    let fused: Vec<(usize, NodeProto)> = {
        let g = Graph::new(graph);
        graph
            .node
            .iter()
            .filter(|n| n.op_type == "Softmax")
            .filter_map(|softmax| g.match_block(softmax))
            .collect()
    };
    let count = fused.len();
    for (at, node) in fused {
        graph.node[at] = node;
    }
    count
}

impl<'a> Graph<'a> {
    /// `Transpose(Reshape(x, [B, S, heads, d]), perm)`: `x` and its number of heads.
    ///
    /// Exporters write the split as `[B, S, heads, d]` or as `[B, S, -1, d]`; in the second
    /// case the heads are `x`'s width (the length of the bias added to it) over `d`.
    fn heads_of(&self, value: &str, perm: &[i64]) -> Option<(&'a str, i64)> {
        let t = self.made_by(value, "Transpose")?;
        if attr(t, "perm")?.ints != perm {
            return None;
        }
        let reshape = self.made_by(t.input.first()?, "Reshape")?;
        let x = reshape.input.first()?.as_str();
        let shape = reshape.input.get(1)?;
        let (heads, d) = match self.ints(shape) {
            Some(dims) if dims.len() == 4 => (dims[2], dims[3]),
            Some(_) => return None,
            // Built at run time from the input's shape: Concat(B, S, heads, d).
            None => {
                let concat = self.made_by(shape, "Concat")?;
                match (
                    self.ints(concat.input.get(2)?)?.as_slice(),
                    self.ints(concat.input.get(3)?)?.as_slice(),
                ) {
                    ([h], [d]) => (*h, *d),
                    _ => return None,
                }
            }
        };
        let heads = match (heads, d) {
            (h, _) if h > 0 => h,
            (-1, d) if d > 0 => {
                let width = self.bias_width(x)?;
                (width % d == 0).then_some(width / d)?
            }
            _ => return None,
        };
        Some((x, heads))
    }

    /// The width of `value` when it is `Add(MatMul(..), bias)` with a one-dimensional bias.
    fn bias_width(&self, value: &str) -> Option<i64> {
        let add = self.made_by(value, "Add")?;
        add.input.iter().filter_map(|i| self.initializers.get(i.as_str())).find_map(|t| {
            match t.dims.as_slice() {
                [n] => Some(*n),
                _ => None,
            }
        })
    }

    /// The fused node for the block around `softmax` and the index of the node it replaces.
    fn match_block(&self, softmax: &NodeProto) -> Option<(usize, NodeProto)> {
        let axis = attr(softmax, "axis").map_or(-1, |a| a.i);
        if axis != -1 && axis != 3 {
            return None;
        }
        // Backwards: Softmax(Add(Mul(MatMul(q, k), scale), mask)).
        let add = self.made_by(softmax.input.first()?, "Add")?;
        let (scores, scale, mask) = self.scaled_scores(add)?;
        let matmul = self.made_by(scores, "MatMul")?;
        let (q, heads) = self.heads_of(matmul.input.first()?, &[0, 2, 1, 3])?;
        let (k, k_heads) = self.heads_of(matmul.input.get(1)?, &[0, 2, 3, 1])?;
        // Forwards: Reshape(Transpose[0,2,1,3](MatMul(softmax, v))).
        let (_, pv) = self.read_only_by(softmax.output.first()?, "MatMul")?;
        if pv.input.first() != softmax.output.first() {
            return None;
        }
        let (v, v_heads) = self.heads_of(pv.input.get(1)?, &[0, 2, 1, 3])?;
        let (_, back) = self.read_only_by(pv.output.first()?, "Transpose")?;
        if attr(back, "perm")?.ints != [0, 2, 1, 3] {
            return None;
        }
        let (at, merge) = self.read_only_by(back.output.first()?, "Reshape")?;
        if heads != k_heads || heads != v_heads {
            return None;
        }
        let node = NodeProto {
            input: vec![q.into(), k.into(), v.into(), mask.into()],
            output: merge.output.clone(),
            name: format!("{}.fused", softmax.name),
            op_type: OP_TYPE.into(),
            domain: "ai.opinio".into(),
            attribute: vec![int_attr("heads", heads), float_attr("scale", scale)],
            ..NodeProto::default()
        };
        Some((at, node))
    }

    /// `Add(Mul(scores, c), mask)` or `Add(Div(scores, c), mask)` (either operand order):
    /// `(scores, scale, mask)`.
    fn scaled_scores(&self, add: &'a NodeProto) -> Option<(&'a str, f32, &'a str)> {
        let [a, b] = add.input.as_slice() else { return None };
        for (scaled, mask) in [(a, b), (b, a)] {
            for op in ["Mul", "Div"] {
                let Some(node) = self.made_by(scaled, op) else { continue };
                let [x, y] = node.input.as_slice() else { continue };
                let (scores, c) = match (self.scalar_f32(x), self.scalar_f32(y)) {
                    (None, Some(c)) => (x, c),
                    (Some(c), None) if op == "Mul" => (y, c),
                    _ => continue,
                };
                let scale = if op == "Mul" { c } else { 1.0 / c };
                if scale.is_finite() && self.made_by(scores, "MatMul").is_some() {
                    return Some((scores.as_str(), scale, mask.as_str()));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuses_the_six_layers_of_the_shipped_encoder() {
        let path = crate::encode::Encoder::default_model_dir().join("model.onnx");
        let mut proto = crate::encode::onnx::read_proto(&path).unwrap();
        let graph = proto.graph.as_mut().unwrap();
        assert_eq!(fuse_attention(graph), 6);
        let fused: Vec<&NodeProto> = graph.node.iter().filter(|n| n.op_type == OP_TYPE).collect();
        assert_eq!(fused.len(), 6);
        assert_eq!(attr(fused[0], "heads").unwrap().i, 12);
        assert!((attr(fused[0], "scale").unwrap().f - 32f32.sqrt().recip()).abs() < 1e-6);
        // A graph without that shape is left alone.
        assert_eq!(fuse_attention(graph), 0);
    }
}
