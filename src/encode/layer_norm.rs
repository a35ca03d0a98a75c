//! LayerNorm, with the residual sum before it, as one operator.
//!
//! BERT ends each sub-layer with `LayerNorm(x + residual)`. tract runs an ONNX
//! `LayerNormalization` as six operators (a sum, a scale, a subtraction, an RMS norm, a
//! multiply-add by γ and β), after a seventh for the `Add`: seven passes over the `[tokens,
//! hidden]` activations and seven allocations, for about 10% of the encoder's time once the
//! dense layers run in int8. [`fuse_layer_norm`] replaces each `LayerNormalization` over the
//! last axis (and the residual `Add` feeding it: one side the previous LayerNorm's output,
//! nothing else reading the sum) with one `OpinioLayerNorm` node; [`FusedLayerNorm`] makes
//! one pass per row.
//!
//! Numerically it is the same formula, `(y − mean) / √(var + ε) · γ + β` with the population
//! variance, summed in a different order: outputs agree with tract's to about 1e-6.

use std::sync::Arc;

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::{GraphProto, NodeProto};
use tract_onnx::tract_hir::internal::*;

use super::graph::{attr, float_attr, is_f32, prune_dead, Graph};

/// The op type of the fused node; [`register`] teaches tract-onnx to read it.
const OP_TYPE: &str = "OpinioLayerNorm";

/// Teaches tract-onnx to read the `OpinioLayerNorm` nodes [`fuse_layer_norm`] writes.
pub(crate) fn register(onnx: &mut tract_onnx::Onnx) {
    onnx.op_register.insert(OP_TYPE, parse);
}

/// Replaces every `LayerNormalization` of `graph` over the last axis with γ and β constant
/// by one `OpinioLayerNorm` node, taking in the `Add` before it where it can; returns how many.
pub(crate) fn fuse_layer_norm(graph: &mut GraphProto) -> usize {
    let fused: Vec<(usize, NodeProto)> = {
        let g = Graph::new(graph);
        graph
            .node
            .iter()
            .enumerate()
            .filter(|(_, n)| n.op_type == "LayerNormalization")
            .filter_map(|(at, n)| g.layer_norm(at, n))
            .collect()
    };
    let count = fused.len();
    for (at, node) in fused {
        graph.node[at] = node;
    }
    prune_dead(graph);
    count
}

impl Graph<'_> {
    fn layer_norm(&self, at: usize, ln: &NodeProto) -> Option<(usize, NodeProto)> {
        if attr(ln, "axis").is_some_and(|a| a.i != -1) {
            return None;
        }
        let epsilon = attr(ln, "epsilon").map_or(1e-5, |a| a.f);
        let [x, gamma, beta] = ln.input.as_slice() else { return None };
        let (g, b) = (self.initializers.get(gamma.as_str())?, self.initializers.get(beta.as_str())?);
        if !is_f32(g, 1) || !is_f32(b, 1) || g.dims != b.dims {
            return None;
        }
        // `x = Add(a, r)` read by this node alone, with `r` the previous LayerNorm's output:
        // a residual connection, both sides the same shape, summed here.
        let residual = self.made_by(x, "Add").filter(|add| {
            self.read_only_by(x, "LayerNormalization").is_some()
                && add.input.len() == 2
                && add.input.iter().any(|i| self.made_by(i, "LayerNormalization").is_some())
        });
        let mut input = match residual {
            Some(add) => add.input.clone(),
            None => vec![x.clone()],
        };
        input.extend([gamma.clone(), beta.clone()]);
        let node = NodeProto {
            input,
            output: ln.output.iter().take(1).cloned().collect(),
            name: format!("{}.fused", ln.name),
            op_type: OP_TYPE.into(),
            domain: "ai.opinio".into(),
            attribute: vec![float_attr("epsilon", epsilon)],
            ..NodeProto::default()
        };
        Some((at, node))
    }
}

fn parse(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let epsilon = attr(node, "epsilon")
        .map(|a| a.f)
        .filter(|e| e.is_finite() && *e >= 0.0)
        .context("OpinioLayerNorm without a valid epsilon")?;
    Ok((expand(LayerNorm { epsilon }), vec![]))
}

/// The node as parsed: `(x[, residual], γ, β)`.
#[derive(Clone, Debug)]
struct LayerNorm {
    epsilon: f32,
}

impl Expansion for LayerNorm {
    fn name(&self) -> StaticName {
        "OpinioLayerNorm".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        if inputs.len() != 3 && inputs.len() != 4 {
            bail!(
                "OpinioLayerNorm takes x, an optional residual, gamma and beta; got {} inputs",
                inputs.len()
            );
        }
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].datum_type, f32::datum_type())?;
        s.equals(&outputs[0].datum_type, f32::datum_type())?;
        s.equals(&outputs[0].shape, &inputs[0].shape)?;
        if inputs.len() == 4 {
            s.equals(&inputs[1].shape, &inputs[0].shape)?;
        }
        Ok(())
    }

    fn wire(&self, prefix: &str, model: &mut TypedModel, inputs: &[OutletId]) -> TractResult<TVec<OutletId>> {
        let konst = |o: OutletId| -> TractResult<Arc<Tensor>> {
            model.outlet_fact(o)?.konst.clone().context("OpinioLayerNorm gamma and beta must be constants")
        };
        let (data, params) = inputs.split_at(inputs.len() - 2);
        let values =
            |t: &Tensor| -> TractResult<Vec<f32>> { Ok(t.try_as_plain_ram()?.as_slice::<f32>()?.to_vec()) };
        let (gamma, beta) = (values(&*konst(params[0])?)?, values(&*konst(params[1])?)?);
        ensure!(
            gamma.len() == beta.len() && !gamma.is_empty(),
            "OpinioLayerNorm gamma and beta lengths differ"
        );
        let op = FusedLayerNorm { gamma: gamma.into(), beta: beta.into(), epsilon: self.epsilon };
        model.wire_node(prefix, op, data)
    }
}

/// `LayerNorm(x + residual) · γ + β` over the last axis (the residual is optional).
#[derive(Clone, Debug)]
pub(crate) struct FusedLayerNorm {
    gamma: Arc<[f32]>,
    beta: Arc<[f32]>,
    epsilon: f32,
}

impl PartialEq for FusedLayerNorm {
    fn eq(&self, other: &Self) -> bool {
        self.gamma == other.gamma
            && self.beta == other.beta
            && self.epsilon.to_bits() == other.epsilon.to_bits()
    }
}

impl Eq for FusedLayerNorm {}

impl Op for FusedLayerNorm {
    fn name(&self) -> StaticName {
        "OpinioLayerNorm".into()
    }

    op_as_typed_op!();
}

impl EvalOp for FusedLayerNorm {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let n = self.gamma.len();
        let x = &inputs[0];
        ensure!(x.shape().last() == Some(&n), "OpinioLayerNorm input {:?} for {n} values per row", x.shape());
        let residual = inputs.get(1);
        if let Some(r) = residual {
            ensure!(
                r.shape() == x.shape(),
                "OpinioLayerNorm residual {:?} for input {:?}",
                r.shape(),
                x.shape()
            );
        }
        // SAFETY: `normalize` writes every value before the tensor is read.
        let mut out = unsafe { Tensor::uninitialized::<f32>(x.shape())? };
        {
            let mut view = out.try_as_plain_ram_mut()?;
            let y = view.as_slice_mut::<f32>()?;
            let x = x.try_as_plain_ram()?.as_slice::<f32>()?;
            let r = residual.map(|r| r.try_as_plain_ram().and_then(|v| v.as_slice::<f32>())).transpose()?;
            normalize(x, r, &self.gamma, &self.beta, self.epsilon, y);
        }
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for FusedLayerNorm {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(inputs[0].datum_type == f32::datum_type(), "OpinioLayerNorm runs on f32");
        Ok(tvec!(f32::fact(inputs[0].shape.clone())))
    }

    as_op!();
}

/// `y = LayerNorm(x + r) · γ + β` row by row; compiled for AVX2 where the CPU has it.
fn normalize(x: &[f32], r: Option<&[f32]>, gamma: &[f32], beta: &[f32], epsilon: f32, y: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2(
            x: &[f32],
            r: Option<&[f32]>,
            gamma: &[f32],
            beta: &[f32],
            epsilon: f32,
            y: &mut [f32],
        ) {
            rows(x, r, gamma, beta, epsilon, y);
        }
        // SAFETY: the CPU was just checked to have AVX2.
        unsafe { avx2(x, r, gamma, beta, epsilon, y) };
        return;
    }
    rows(x, r, gamma, beta, epsilon, y);
}

#[inline(always)]
fn rows(x: &[f32], r: Option<&[f32]>, gamma: &[f32], beta: &[f32], epsilon: f32, y: &mut [f32]) {
    let n = gamma.len();
    for (i, row) in y.chunks_exact_mut(n).enumerate() {
        let xs = &x[i * n..(i + 1) * n];
        match r {
            Some(r) => {
                for ((o, a), b) in row.iter_mut().zip(xs).zip(&r[i * n..(i + 1) * n]) {
                    *o = a + b;
                }
            }
            None => row.copy_from_slice(xs),
        }
        let mean = lane_sum(row, |v| v) / n as f32;
        let var = lane_sum(row, |v| (v - mean) * (v - mean)) / n as f32;
        let inv = 1.0 / (var + epsilon).sqrt();
        for ((o, g), b) in row.iter_mut().zip(gamma).zip(beta) {
            *o = (*o - mean) * inv * g + b;
        }
    }
}

/// `Σ f(v)` in 16 independent lanes, so that it vectorises.
#[inline(always)]
fn lane_sum(v: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut lanes = [0f32; 16];
    let chunks = v.chunks_exact(16);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (l, &x) in lanes.iter_mut().zip(chunk) {
            *l += f(x);
        }
    }
    tail.iter().map(|&x| f(x)).sum::<f32>() + lanes.iter().sum::<f32>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuses_the_thirteen_layer_norms_of_the_shipped_encoder() {
        let path = crate::encode::Encoder::default_model_dir().join("model.onnx");
        let mut proto = crate::encode::onnx::read_proto(&path).unwrap();
        let graph = proto.graph.as_mut().unwrap();
        assert_eq!(fuse_layer_norm(graph), 13);
        let fused: Vec<&NodeProto> = graph.node.iter().filter(|n| n.op_type == OP_TYPE).collect();
        // Every residual sum is taken in; the embeddings' sum (which broadcasts positions
        // over the batch) is not a residual and stays an Add.
        assert_eq!(fused.iter().filter(|n| n.input.len() == 4).count(), 12, "every residual Add is taken in");
        assert_eq!(fuse_layer_norm(graph), 0);
    }

    #[test]
    fn matches_the_formula() {
        let (n, rows_) = (20, 3);
        let x: Vec<f32> = (0..n * rows_).map(|i| ((i * 37) % 11) as f32 - 4.0).collect();
        let r: Vec<f32> = (0..n * rows_).map(|i| ((i * 13) % 7) as f32 * 0.5).collect();
        let gamma: Vec<f32> = (0..n).map(|i| 1.0 + i as f32 * 0.1).collect();
        let beta: Vec<f32> = (0..n).map(|i| i as f32 * -0.05).collect();
        let mut y = vec![0f32; n * rows_];
        normalize(&x, Some(&r), &gamma, &beta, 1e-5, &mut y);
        for row in 0..rows_ {
            let s: Vec<f64> = (0..n).map(|i| (x[row * n + i] + r[row * n + i]) as f64).collect();
            let mean = s.iter().sum::<f64>() / n as f64;
            let var = s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
            for i in 0..n {
                let want = (s[i] - mean) / (var + 1e-5).sqrt() * gamma[i] as f64 + beta[i] as f64;
                assert!((y[row * n + i] as f64 - want).abs() < 1e-5, "row {row} value {i}");
            }
        }
    }
}
