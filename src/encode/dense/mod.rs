//! The encoder's dense layers at a chosen [`Precision`]: f32 through opinio's AVX-512 tile
//! (or tract's products on CPUs without AVX-512), or int8 through opinio's own kernels.
//!
//! [`rewrite`] replaces each `MatMul` by a constant `[in, out]` weight (and the bias `Add`
//! after it, and a GELU after that) with one `OpinioDense` node; `PackedDense`, the operator
//! tract plans for it, holds the weights packed once at load for its `DensePath` and writes
//! `x · W + b` (then GELU) in f32.
//!
//! At `fp32` the path is [`fp32::PackedF32`]'s register tile: tract's own f32 products keep
//! fewer accumulators and repack the activations on every call, and were three quarters of
//! the analysis profile (`cargo bench --bench dense` has both).
//!
//! At `int8` the weights are quantised per output column for the fastest [`Kernel`] the CPU
//! has; every run quantises its input per row and multiplies in i32. Everything else
//! (embeddings, LayerNorm, softmax and the attention products) stays f32: those are where 8
//! bits would cost accuracy and save little.
//!
//! Per-row activation scales and zero points (rather than one per tensor, as ONNX Runtime's
//! dynamic quantisation uses) keep a short padded sentence's rows from sharing a scale with a
//! long one's, so a text's vector still does not depend on the batch it landed in. Layers fed
//! by a LayerNorm also smooth their input channels ([`Kernel::pack_smoothed`]) by factors
//! made from its γ and β ([`rewrite`]) and the weights ([`smoothing`]), which keeps BERT's
//! outlier channels from coarsening the rest.

pub mod fp32;
pub mod kernel;
mod rewrite;

use std::cell::RefCell;
use std::sync::Arc;

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

pub use kernel::{Kernel, PackedWeights, QuantizedRows, KERNEL_ENV};
pub(crate) use rewrite::rewrite_dense;

use fp32::PackedF32;

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
    /// i32 sums: whole analysis about 2x faster on a CPU with AVX-512 VNNI, within 0.01 F1
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

/// The environment variable that picks the fp32 path by name: `avx512` (opinio's tile, the
/// default where the CPU has AVX-512F) or `tract` (tract's own products, to compare).
pub const FP32_KERNEL_ENV: &str = "OPINIO_FP32_KERNEL";

/// Which operator the dense layers become.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DensePath {
    /// int8 products on this kernel.
    Int8(Kernel),
    /// f32 products on the AVX-512 tile ([`fp32`]).
    Fp32Tile,
}

impl DensePath {
    const FP32_TILE: &'static str = "fp32-avx512";

    /// The path for `precision` on this CPU, as [`KERNEL_ENV`] and [`FP32_KERNEL_ENV`] say;
    /// `None` leaves the dense layers to tract (fp32 without AVX-512F).
    ///
    /// Fails with [`ErrorKind::InvalidArgument`](crate::ErrorKind) when a variable names a
    /// path this CPU does not run.
    pub(crate) fn configured(precision: Precision) -> Result<Option<DensePath>> {
        if precision == Precision::Int8 {
            return Ok(Some(DensePath::Int8(Kernel::configured()?)));
        }
        DensePath::fp32_named(&std::env::var(FP32_KERNEL_ENV).unwrap_or_default())
    }

    /// The fp32 path [`FP32_KERNEL_ENV`] names (`""` for the fastest).
    fn fp32_named(name: &str) -> Result<Option<DensePath>> {
        match name.trim() {
            "" => Ok(PackedF32::available().then_some(DensePath::Fp32Tile)),
            "tract" => Ok(None),
            "avx512" if PackedF32::available() => Ok(Some(DensePath::Fp32Tile)),
            other => {
                let runs = if PackedF32::available() { "avx512, tract" } else { "tract" };
                Err(Error::invalid_argument(format!(
                    "{FP32_KERNEL_ENV}={other:?} is not an fp32 path this CPU runs ({runs})"
                )))
            }
        }
    }

    /// The name the rewrite writes into the node.
    fn name(self) -> &'static str {
        match self {
            DensePath::Int8(kernel) => kernel.name(),
            DensePath::Fp32Tile => Self::FP32_TILE,
        }
    }

    /// The path called `name` ([`DensePath::name`]), when this CPU runs it.
    fn named(name: &str) -> Option<DensePath> {
        if name == Self::FP32_TILE {
            return PackedF32::available().then_some(DensePath::Fp32Tile);
        }
        Kernel::named(name).map(DensePath::Int8)
    }
}

/// Teaches tract-onnx to read the `OpinioDense` nodes [`rewrite_dense`] writes.
pub(crate) fn register(onnx: &mut tract_onnx::Onnx) {
    onnx.op_register.insert(rewrite::OP_TYPE, parse);
}

fn parse(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let name = attr(node, "kernel").map(|a| String::from_utf8_lossy(&a.s).into_owned()).unwrap_or_default();
    let path = DensePath::named(&name)
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
    Ok((expand(Dense { path, gelu, input_ranges, two_pass }), vec![]))
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
    path: DensePath,
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
        let weights = match self.path {
            DensePath::Fp32Tile => Weights::F32(Arc::new(PackedF32::pack(w, k, n, bias))),
            DensePath::Int8(kernel) => {
                let smooth = smoothing(w, n, &self.input_ranges);
                Weights::Int8(Arc::new(if self.two_pass {
                    kernel.pack_two_pass(w, k, n, bias, &smooth)
                } else {
                    kernel.pack_smoothed(w, k, n, bias, &smooth)
                }))
            }
        };
        let op = PackedDense { weights, gelu: self.gelu };
        model.wire_node(prefix, op, &inputs[..1])
    }
}

/// A dense layer's weights, packed for its path.
#[derive(Clone, Debug)]
enum Weights {
    F32(Arc<PackedF32>),
    Int8(Arc<PackedWeights>),
}

impl Weights {
    fn k(&self) -> usize {
        match self {
            Weights::F32(w) => w.k(),
            Weights::Int8(w) => w.k(),
        }
    }

    fn n(&self) -> usize {
        match self {
            Weights::F32(w) => w.n(),
            Weights::Int8(w) => w.n(),
        }
    }
}

/// `x · W + b` on the last axis of `x`, then GELU when `gelu`.
#[derive(Clone, Debug)]
pub(crate) struct PackedDense {
    weights: Weights,
    gelu: bool,
}

impl PartialEq for PackedDense {
    fn eq(&self, other: &Self) -> bool {
        let same = match (&self.weights, &other.weights) {
            (Weights::F32(a), Weights::F32(b)) => Arc::ptr_eq(a, b),
            (Weights::Int8(a), Weights::Int8(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        same && self.gelu == other.gelu
    }
}

impl Eq for PackedDense {}

impl Op for PackedDense {
    fn name(&self) -> StaticName {
        "OpinioDense".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        let gelu = if self.gelu { ", then gelu" } else { "" };
        Ok(vec![match &self.weights {
            Weights::F32(w) => format!("f32 {}x{}, avx512 tile{gelu}", w.k(), w.n()),
            Weights::Int8(w) => {
                let passes = if w.two_pass() { ", weights in two passes" } else { "" };
                format!("int8 {}x{}, {} path{passes}{gelu}", w.k(), w.n(), w.kernel().name())
            }
        }])
    }

    op_as_typed_op!();
}

thread_local! {
    /// Each worker's quantised activations, reused from run to run.
    static SCRATCH: RefCell<QuantizedRows> = RefCell::new(QuantizedRows::default());
}

impl EvalOp for PackedDense {
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
        {
            let mut plain = out.try_as_plain_ram_mut()?;
            let y = plain.as_slice_mut::<f32>()?;
            match &self.weights {
                Weights::F32(w) => w.matmul(values, rows, y, self.gelu),
                Weights::Int8(w) => {
                    SCRATCH.with(|scratch| w.matmul(values, rows, &mut scratch.borrow_mut(), y, self.gelu))
                }
            }
        }
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for PackedDense {
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

    use super::{fp32::PackedF32, DensePath, Kernel};
    use crate::encode::model::OnnxGraph;
    use crate::encode::{pool, Encoder, EncoderOptions, Precision, Tokenizer};

    /// The shipped encoder with its dense layers on `dense` (tract's f32 when `None`).
    fn encoder(dense: Option<DensePath>) -> Encoder {
        let dir = Encoder::default_model_dir();
        let path = dir.join("model.onnx");
        let proto = crate::encode::onnx::read_proto(&path).unwrap();
        let plan =
            OnnxGraph::from_proto_on(proto, &path, dense).unwrap().optimize().unwrap().into_plan().unwrap();
        let tokenizer = Tokenizer::from_file(dir.join("tokenizer.json")).unwrap();
        let int8 = matches!(dense, Some(DensePath::Int8(_)));
        let precision = if int8 { Precision::Int8 } else { Precision::Fp32 };
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
            let quantised = encoder(Some(DensePath::Int8(kernel))).embed(&refs).unwrap();
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
        let portable = encoder(Some(DensePath::Int8(Kernel::Portable))).embed(&refs).unwrap();
        for kernel in Kernel::available() {
            assert_eq!(
                encoder(Some(DensePath::Int8(kernel))).embed(&refs).unwrap().as_slice(),
                portable.as_slice(),
                "{}",
                kernel.name()
            );
        }
    }

    /// The f32 tile gives tract's vectors up to rounding, and did run (the plan holds its 36
    /// nodes); without AVX-512F, fp32 stays on tract and naming the tile is refused.
    #[test]
    fn the_f32_tile_gives_tracts_vectors_where_the_cpu_has_avx512() {
        if !PackedF32::available() {
            assert_eq!(DensePath::fp32_named("").unwrap(), None);
            assert!(DensePath::fp32_named("avx512").unwrap_err().to_string().contains("(tract)"));
            return;
        }
        assert_eq!(DensePath::fp32_named("").unwrap(), Some(DensePath::Fp32Tile));
        let texts = sentences();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let tile = encoder(Some(DensePath::Fp32Tile));
        assert_eq!(tile.plan.count_ops("OpinioDense"), 36, "every dense layer runs on the tile");
        let (got, want) = (tile.embed(&refs).unwrap(), encoder(None).embed(&refs).unwrap());
        let worst = got.as_slice().iter().zip(want.as_slice()).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(worst < 1e-4, "largest difference {worst}");
    }

    #[test]
    fn the_fp32_path_is_chosen_by_name() {
        assert_eq!(DensePath::fp32_named("tract").unwrap(), None);
        let err = DensePath::fp32_named("avx1024").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
        assert!(err.to_string().contains("OPINIO_FP32_KERNEL=\"avx1024\""), "{err}");
    }
}
