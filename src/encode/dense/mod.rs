//! The encoder's dense layers at a chosen [`Precision`]: f32 through tract, or int8 through
//! opinio's own kernels.
//!
//! At `int8`, [`rewrite`] replaces each `MatMul` by a constant `[in, out]` weight (and the
//! bias `Add` after it, and a GELU after that) with one `OpinioDense` node; [`QuantizedDense`],
//! the operator tract plans for it, holds the weights quantised per output column and packed
//! once at load for the fastest [`Kernel`] the CPU has, and on every run quantises its input
//! per row, multiplies in i32 and writes `x · W + b` (then GELU) in f32. Everything else
//! (embeddings, LayerNorm, softmax and the attention products) stays f32: those are where 8
//! bits would cost accuracy and save little.
//!
//! Per-row activation scales and zero points (rather than one per tensor, as ONNX Runtime's
//! dynamic quantisation uses) keep a short padded sentence's rows from sharing a scale with a
//! long one's, so a text's vector still does not depend on the batch it landed in. Layers fed
//! by a LayerNorm also smooth their input channels ([`Kernel::pack_smoothed`]) by factors
//! made from its γ and β ([`rewrite`]) and the weights ([`smoothing`]), which keeps BERT's
//! outlier channels from coarsening the rest.

pub mod kernel;
mod rewrite;

use std::cell::RefCell;
use std::sync::Arc;

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

pub use kernel::{Kernel, PackedWeights, QuantizedRows, KERNEL_ENV};
pub(crate) use rewrite::quantize_dense;

use crate::encode::graph::attr;
use crate::{Error, Result};

/// The arithmetic of the encoder's dense layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// f32 throughout, as exported (the default).
    #[default]
    Fp32,
    /// int8 weights (per output column) and activations (per row) in the dense layers,
    /// i32 sums: whole analysis about 2.5x faster on a CPU with AVX-512 VNNI, within 0.01 F1
    /// (the README's table).
    Int8,
}

impl Precision {
    /// The name used in options, manifests and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Int8 => "int8",
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Precision {
    type Err = Error;

    fn from_str(s: &str) -> Result<Precision> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fp32" | "f32" | "float32" => Ok(Precision::Fp32),
            "int8" | "i8" => Ok(Precision::Int8),
            other => Err(Error::invalid_argument(format!("precision {other:?} is not fp32 or int8"))),
        }
    }
}

/// Teaches tract-onnx to read the `OpinioDense` nodes [`quantize_dense`] writes.
pub(crate) fn register(onnx: &mut tract_onnx::Onnx) {
    onnx.op_register.insert(rewrite::OP_TYPE, parse);
}

fn parse(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let name = attr(node, "kernel").map(|a| String::from_utf8_lossy(&a.s).into_owned()).unwrap_or_default();
    let kernel = Kernel::named(&name)
        .with_context(|| format!("OpinioDense kernel {name:?} is not one this CPU runs"))?;
    let gelu = match attr(node, "activation").map(|a| a.s.as_slice()) {
        None => false,
        Some(b"gelu") => true,
        Some(other) => bail!("OpinioDense activation {:?} is not gelu", String::from_utf8_lossy(other)),
    };
    let input_ranges = attr(node, "input_ranges").map(|a| a.floats.clone()).unwrap_or_default();
    let two_pass = attr(node, "two_pass").is_some();
    ensure!(
        input_ranges.iter().all(|r| *r >= 0.0 && r.is_finite()),
        "OpinioDense input ranges must be finite and not negative"
    );
    Ok((expand(Dense { kernel, gelu, input_ranges, two_pass }), vec![]))
}

/// SmoothQuant's factors (α = 0.5) for weights `w` (`[k, n]`) whose input channels reach
/// about `input_ranges` (empty: no smoothing): `sⱼ = √(aⱼ / wⱼ)`, with `wⱼ` the largest
/// weight of row `j`, leaves input and weights the same largest magnitude per channel.
fn smoothing(w: &[f32], n: usize, input_ranges: &[f32]) -> Vec<f32> {
    let factor = |row: &[f32], a: f32| {
        let wmax = row.iter().fold(0f32, |m, v| m.max(v.abs()));
        let s = (a / wmax).sqrt();
        if s.is_finite() && s > 0.0 {
            s.clamp(1e-3, 1e3)
        } else {
            1.0
        }
    };
    w.chunks_exact(n).zip(input_ranges).map(|(row, &a)| factor(row, a)).collect()
}

/// The node as parsed: `(x, w[, bias])`, with `w` and `bias` constants, and GELU after it
/// when `gelu`.
#[derive(Clone, Debug)]
struct Dense {
    kernel: Kernel,
    gelu: bool,
    /// Per input channel, about how large it gets (see [`smoothing`]); empty for none.
    input_ranges: Vec<f32>,
    /// Whether the weights are quantised in two passes ([`Kernel::pack_two_pass`]).
    two_pass: bool,
}

impl Expansion for Dense {
    fn name(&self) -> StaticName {
        "OpinioDense".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        if inputs.len() != 2 && inputs.len() != 3 {
            bail!("OpinioDense takes x, w and an optional bias, got {} inputs", inputs.len());
        }
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].datum_type, f32::datum_type())?;
        s.equals(&inputs[1].datum_type, f32::datum_type())?;
        s.equals(&outputs[0].datum_type, f32::datum_type())?;
        s.equals(&inputs[1].rank, 2)?;
        s.equals(&outputs[0].rank, &inputs[0].rank)?;
        s.given_2(&inputs[0].shape, &inputs[1].shape, move |s, x, w| {
            let mut shape = x.clone();
            if let Some(last) = shape.last_mut() {
                *last = w[1].clone();
            }
            s.equals(&outputs[0].shape, shape)
        })
    }

    fn wire(&self, prefix: &str, model: &mut TypedModel, inputs: &[OutletId]) -> TractResult<TVec<OutletId>> {
        let konst = |o: OutletId| -> TractResult<Arc<Tensor>> {
            model.outlet_fact(o)?.konst.clone().context("OpinioDense weights and bias must be constants")
        };
        let w = konst(inputs[1])?;
        let &[k, n] = w.shape() else { bail!("OpinioDense weights of shape {:?}", w.shape()) };
        let bias = inputs.get(2).map(|&o| konst(o)).transpose()?;
        let bias: &[f32] = match &bias {
            Some(b) => b.try_as_plain_ram()?.as_slice::<f32>()?,
            None => &[],
        };
        ensure!(
            bias.is_empty() || bias.len() == n,
            "OpinioDense bias of {} values for {n} columns",
            bias.len()
        );
        ensure!(
            self.input_ranges.is_empty() || self.input_ranges.len() == k,
            "OpinioDense input ranges of {} values for {k} inputs",
            self.input_ranges.len()
        );
        let w = w.try_as_plain_ram()?.as_slice::<f32>()?;
        let smooth = smoothing(w, n, &self.input_ranges);
        let weights = if self.two_pass {
            self.kernel.pack_two_pass(w, k, n, bias, &smooth)
        } else {
            self.kernel.pack_smoothed(w, k, n, bias, &smooth)
        };
        let op = QuantizedDense { weights: Arc::new(weights), gelu: self.gelu };
        model.wire_node(prefix, op, &inputs[..1])
    }
}

/// `x · W + b` on the last axis of `x`, in int8 with i32 sums, then GELU when `gelu`.
#[derive(Clone, Debug)]
pub(crate) struct QuantizedDense {
    weights: Arc<PackedWeights>,
    gelu: bool,
}

impl PartialEq for QuantizedDense {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.weights, &other.weights) && self.gelu == other.gelu
    }
}

impl Eq for QuantizedDense {}

impl Op for QuantizedDense {
    fn name(&self) -> StaticName {
        "OpinioDense".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        let w = &self.weights;
        let gelu = if self.gelu { ", then gelu" } else { "" };
        let passes = if w.two_pass() { ", weights in two passes" } else { "" };
        Ok(vec![format!("int8 {}x{}, {} path{passes}{gelu}", w.k(), w.n(), w.kernel().name())])
    }

    op_as_typed_op!();
}

thread_local! {
    /// Each worker's quantised activations, reused from run to run.
    static SCRATCH: RefCell<QuantizedRows> = RefCell::new(QuantizedRows::default());
}

impl EvalOp for QuantizedDense {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = args_1!(inputs);
        let (k, n) = (self.weights.k(), self.weights.n());
        let Some((&last, lead)) = x.shape().split_last() else { bail!("OpinioDense on a scalar") };
        ensure!(last == k, "OpinioDense input of width {last}, weights take {k}");
        let rows: usize = lead.iter().product();
        let mut shape: TVec<usize> = lead.into();
        shape.push(n);
        // SAFETY: every value is written by the product below before the tensor is read.
        let mut out = unsafe { Tensor::uninitialized::<f32>(&shape)? };
        let values = x.try_as_plain_ram()?.as_slice::<f32>()?;
        SCRATCH.with(|scratch| {
            let mut plain = out.try_as_plain_ram_mut()?;
            let y = plain.as_slice_mut::<f32>()?;
            self.weights.matmul(values, rows, &mut scratch.borrow_mut(), y, self.gelu);
            TractResult::Ok(())
        })?;
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for QuantizedDense {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(
            inputs.len() == 1 && inputs[0].datum_type == f32::datum_type(),
            "OpinioDense takes one f32 input"
        );
        let mut shape = inputs[0].shape.to_tvec();
        let last = shape.last_mut().context("OpinioDense on a scalar")?;
        *last = self.weights.n().to_dim();
        Ok(tvec!(f32::fact(shape)))
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Kernel;
    use crate::encode::model::OnnxGraph;
    use crate::encode::{pool, Encoder, EncoderOptions, Precision, Tokenizer};

    /// The shipped encoder with its dense layers on `int8` (f32 when `None`).
    fn encoder(int8: Option<Kernel>) -> Encoder {
        let dir = Encoder::default_model_dir();
        let path = dir.join("model.onnx");
        let proto = crate::encode::onnx::read_proto(&path).unwrap();
        let plan =
            OnnxGraph::from_proto_on(proto, &path, int8).unwrap().optimize().unwrap().into_plan().unwrap();
        let tokenizer = Tokenizer::from_file(dir.join("tokenizer.json")).unwrap();
        let precision = if int8.is_some() { Precision::Int8 } else { Precision::Fp32 };
        let options = EncoderOptions { precision, ..EncoderOptions::default() };
        Encoder { tokenizer: Arc::new(tokenizer), plan, options, dir, positions: None }
    }

    /// Real review sentences of many lengths: the sample reviews, split.
    fn sentences() -> Vec<String> {
        let text = include_str!("../../../samples/reviews.jsonl");
        let segmenter = crate::segment::Segmenter::for_language(Some(crate::Language::En));
        text.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter_map(|v| v["text"].as_str().map(str::to_string))
            .flat_map(|t| segmenter.segments(&t).into_iter().map(|s| s.text).collect::<Vec<_>>())
            .collect()
    }

    /// The bar, on every path this CPU runs: int8 sentence vectors within cosine 0.99
    /// of f32's, and not merely equal to them (the int8 operators did run).
    #[test]
    fn int8_sentence_vectors_stay_within_cosine_0_99_on_every_path() {
        let texts = sentences();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        assert!(refs.len() >= 15, "{} sentences", refs.len());
        let reference = encoder(None).embed(&refs).unwrap();
        for kernel in Kernel::available() {
            let quantised = encoder(Some(kernel)).embed(&refs).unwrap();
            let cosines: Vec<f32> =
                (0..refs.len()).map(|i| pool::dot(reference.row(i), quantised.row(i))).collect();
            let worst = cosines.iter().copied().fold(1f32, f32::min);
            assert!(
                worst >= 0.99,
                "{}: cosine {worst} for {:?}",
                kernel.name(),
                refs[cosines.iter().position(|&c| c == worst).unwrap()]
            );
            assert!(
                worst < 0.99999,
                "{}: int8 vectors equal f32's, the int8 layers did not run",
                kernel.name()
            );
        }
    }

    /// Every path sums the same integers: the whole encoder gives bit-identical vectors.
    #[test]
    fn every_path_gives_the_same_vectors() {
        let texts = sentences();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let portable = encoder(Some(Kernel::Portable)).embed(&refs).unwrap();
        for kernel in Kernel::available() {
            assert_eq!(
                encoder(Some(kernel)).embed(&refs).unwrap().as_slice(),
                portable.as_slice(),
                "{}",
                kernel.name()
            );
        }
    }
}
