//! The ONNX graph through tract's lifecycle, one type per stage.
//!
//! tract turns a file into something runnable in three steps that fail for different
//! reasons, so each has its own type and its own error:
//!
//! 1. [`OnnxGraph::read`]: parse the protobuf (a missing or corrupt file fails here, naming
//!    the path);
//! 2. [`OnnxGraph::optimize`]: fix the inputs to int64 `[batch, sequence]` with *symbolic*
//!    dimensions, type the graph and optimise it (an export tract cannot type fails here);
//! 3. [`OptimizedGraph::into_plan`]: build the execution order once.
//!
//! The [`Plan`] is then shared by every thread behind an `Arc`: one plan serves every batch
//! size and sequence length, because the dimensions stayed symbolic, so nothing is rebuilt
//! per call and each [`Plan::run`] only allocates its own activations.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::DimLike;

use super::tokenize::TokenBatch;
use super::dense::DensePath;
use super::Precision;
use crate::{Error, ErrorKind, Result};

/// Which of the three BERT inputs a graph input is. Exports differ in order, and some drop
/// `token_type_ids`, so inputs are matched by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Input {
    Ids,
    Mask,
    TypeIds,
}

impl Input {
    fn from_name(name: &str) -> Option<Input> {
        match name {
            "input_ids" => Some(Input::Ids),
            "attention_mask" => Some(Input::Mask),
            "token_type_ids" => Some(Input::TypeIds),
            _ => None,
        }
    }
}

/// Stage 1: the ONNX file parsed, shapes not yet fixed.
pub struct OnnxGraph {
    model: InferenceModel,
    inputs: Vec<Input>,
    path: PathBuf,
}

/// Stage 2: typed for int64 `[batch, sequence]` inputs and optimised.
pub struct OptimizedGraph {
    model: TypedModel,
    inputs: Vec<Input>,
    hidden: usize,
    path: PathBuf,
}

/// Stage 3: the runnable plan, cheap to clone and shared by all threads.
#[derive(Clone)]
pub struct Plan {
    plan: Arc<TypedSimplePlan>,
    inputs: Arc<[Input]>,
    hidden: usize,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan").field("inputs", &self.inputs).field("hidden", &self.hidden).finish()
    }
}

/// The graph's per-token output for one batch: `[batch, seq, hidden]` f32, row-major,
/// including the padded positions (mask them out with the batch's `attention_mask`).
pub struct HiddenStates {
    value: TValue,
    /// Number of texts.
    pub batch: usize,
    /// Padded sequence length.
    pub seq: usize,
    /// Hidden size (384 for MiniLM).
    pub hidden: usize,
}

impl HiddenStates {
    /// All values, `[batch * seq * hidden]`.
    pub fn as_slice(&self) -> &[f32] {
        // Checked in `Plan::run`: the output is a plain f32 tensor of this shape.
        self.value
            .try_as_plain_ram()
            .and_then(|v| v.as_slice::<f32>())
            .expect("hidden states were checked to be plain f32 when produced")
    }

    /// Text `row`'s `[seq * hidden]` block.
    pub fn row(&self, row: usize) -> &[f32] {
        let n = self.seq * self.hidden;
        &self.as_slice()[row * n..(row + 1) * n]
    }
}

/// tract's errors are `anyhow` chains; `{:#}` keeps every cause on one line.
fn tract_error(kind: ErrorKind, what: &str, path: &Path, e: impl std::fmt::Display) -> Error {
    Error::new(kind, format!("{what}: {e:#}")).with_path(path)
}

impl OnnxGraph {
    /// Parses the ONNX file at `path`.
    ///
    /// A missing file is an [`ErrorKind::Io`] error and a file that is not a loadable ONNX
    /// graph is [`ErrorKind::Malformed`], both naming the path.
    pub fn read(path: impl AsRef<Path>) -> Result<OnnxGraph> {
        OnnxGraph::read_at(path, Precision::Fp32)
    }

    /// Parses the ONNX file at `path` to run its dense layers at `precision`.
    pub fn read_at(path: impl AsRef<Path>, precision: Precision) -> Result<OnnxGraph> {
        let path = path.as_ref();
        OnnxGraph::from_proto(super::onnx::read_proto(path)?, path, precision)
    }

    /// Reads the ONNX file at `path` as exported, without fusing its attention blocks: the
    /// reference the fused graph is tested against.
    #[cfg(test)]
    pub(crate) fn read_unfused(path: impl AsRef<Path>) -> Result<OnnxGraph> {
        let path = path.as_ref();
        let model = tract_onnx::onnx()
            .model_for_path(path)
            .map_err(|e| tract_error(ErrorKind::Malformed, "onnx model does not load", path, e))?;
        OnnxGraph::from_model(model, path)
    }

    /// Builds the graph from a protobuf already in memory (read from `path`, or a base graph
    /// whose initialisers were replaced by fine-tuned weights); `path` names it in errors.
    ///
    /// BERT attention blocks are fused into one operator each first
    /// (see the `attention` module); a graph without them is taken as it is. Each dense layer
    /// then becomes one operator ([`super::dense`]): int8 at [`Precision::Int8`], the f32 tile
    /// at [`Precision::Fp32`] where the CPU has AVX-512F (tract's products elsewhere).
    pub fn from_proto(
        proto: tract_onnx::pb::ModelProto,
        path: impl AsRef<Path>,
        precision: Precision,
    ) -> Result<OnnxGraph> {
        OnnxGraph::from_proto_on(proto, path.as_ref(), DensePath::configured(precision)?)
    }

    /// [`OnnxGraph::from_proto`] with the dense layers on `dense`, or tract's f32 products
    /// when it is `None`.
    pub(crate) fn from_proto_on(
        mut proto: tract_onnx::pb::ModelProto,
        path: &Path,
        dense: Option<DensePath>,
    ) -> Result<OnnxGraph> {
        if let Some(graph) = proto.graph.as_mut() {
            super::attention::fuse_attention(graph);
            let rewritten = dense.map_or(0, |dense| super::dense::rewrite_dense(graph, dense));
            if let Some(DensePath::Int8(_)) = dense {
                if rewritten == 0 {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        "int8 precision needs dense layers (MatMul by a constant [in, out] weight), this graph has none",
                    )
                    .with_path(path));
                }
            }
            super::layer_norm::fuse_layer_norm(graph);
        }
        let mut onnx = tract_onnx::onnx();
        super::attention::register(&mut onnx);
        super::dense::register(&mut onnx);
        super::layer_norm::register(&mut onnx);
        let model = onnx
            .model_for_proto_model(&proto)
            .map_err(|e| tract_error(ErrorKind::Malformed, "onnx model does not load", path, e))?;
        drop(proto);
        OnnxGraph::from_model(model, path)
    }

    fn from_model(model: InferenceModel, path: &Path) -> Result<OnnxGraph> {
        let mut inputs = Vec::new();
        for outlet in
            model.input_outlets().map_err(|e| tract_error(ErrorKind::Malformed, "onnx inputs", path, e))?
        {
            let name = &model.node(outlet.node).name;
            let input = Input::from_name(name).ok_or_else(|| {
                Error::new(
                    ErrorKind::Unsupported,
                    format!("onnx input {name:?} is not input_ids, attention_mask or token_type_ids"),
                )
                .with_path(path)
            })?;
            inputs.push(input);
        }
        for needed in [Input::Ids, Input::Mask] {
            if !inputs.contains(&needed) {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("onnx model has no {needed:?} input (inputs: {inputs:?})").to_lowercase(),
                )
                .with_path(path));
            }
        }
        if model.output_outlets().map_or(0, |o| o.len()) == 0 {
            return Err(Error::new(ErrorKind::Unsupported, "onnx model has no output").with_path(path));
        }
        Ok(OnnxGraph { model, inputs, path: path.to_path_buf() })
    }

    /// Fixes every input to int64 `[batch, sequence]` (both symbolic), keeps only the first
    /// output (`last_hidden_state`), types and optimises the graph.
    pub fn optimize(self) -> Result<OptimizedGraph> {
        let OnnxGraph { mut model, inputs, path } = self;
        let fail = |what: &str, e: TractError| tract_error(ErrorKind::Unsupported, what, &path, e);
        let batch = model.sym("batch");
        let seq = model.sym("sequence");
        for ix in 0..inputs.len() {
            let fact: InferenceFact = i64::fact([batch.to_dim(), seq.to_dim()]).into();
            model.set_input_fact(ix, fact).map_err(|e| fail("onnx input shapes", e))?;
        }
        let first = model.output_outlets().map_err(|e| fail("onnx outputs", e))?[0];
        model.select_output_outlets(&[first]).map_err(|e| fail("onnx outputs", e))?;
        let model = model
            .into_optimized()
            .map_err(|e| fail("onnx graph does not optimise for [batch, sequence] inputs", e))?;
        let fact = model.output_fact(0).map_err(|e| fail("onnx output", e))?;
        let shape = fact.shape.to_tvec();
        let hidden = match (fact.datum_type, shape.len(), shape.last().and_then(|d| d.to_usize().ok())) {
            (DatumType::F32, 3, Some(h)) if h > 0 => h,
            _ => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "onnx output is {:?} {:?}, expected f32 [batch, sequence, hidden]",
                        fact.datum_type, shape
                    )
                    .to_lowercase(),
                )
                .with_path(&path))
            }
        };
        Ok(OptimizedGraph { model, inputs, hidden, path })
    }
}

impl OptimizedGraph {
    /// The hidden size of the per-token output.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// Builds the execution plan, once.
    pub fn into_plan(self) -> Result<Plan> {
        let OptimizedGraph { model, inputs, hidden, path } = self;
        let plan = model
            .into_runnable()
            .map_err(|e| tract_error(ErrorKind::Internal, "onnx plan does not build", &path, e))?;
        Ok(Plan { plan, inputs: inputs.into(), hidden })
    }
}

impl Plan {
    /// Reads, optimises and plans the ONNX file at `path`: the three stages at once.
    pub fn load(path: impl AsRef<Path>) -> Result<Plan> {
        Plan::load_at(path, Precision::Fp32)
    }

    /// [`Plan::load`], running the dense layers at `precision`.
    pub fn load_at(path: impl AsRef<Path>, precision: Precision) -> Result<Plan> {
        OnnxGraph::read_at(path, precision)?.optimize()?.into_plan()
    }

    /// The hidden size of the per-token output.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// How many of the plan's nodes run the operator called `name`, for tests of the
    /// graph rewrites.
    #[cfg(test)]
    pub(crate) fn count_ops(&self, name: &str) -> usize {
        self.plan.model().nodes().iter().filter(|n| n.op().name() == name).count()
    }

    /// Runs one padded batch; any batch size and sequence length, no re-planning.
    pub fn run(&self, batch: &TokenBatch) -> Result<HiddenStates> {
        let (b, s) = (batch.batch, batch.seq);
        let tensor = |data: &[i64]| {
            Tensor::from_shape(&[b, s], data)
                .map_err(|e| Error::new(ErrorKind::Internal, format!("input tensor [{b}, {s}]: {e:#}")))
        };
        let mut values = TVec::new();
        for input in self.inputs.iter() {
            let data = match input {
                Input::Ids => &batch.input_ids,
                Input::Mask => &batch.attention_mask,
                Input::TypeIds => &batch.token_type_ids,
            };
            values.push(tensor(data)?.into_tvalue());
        }
        let mut outputs = self.plan.run(values).map_err(|e| {
            Error::new(ErrorKind::Internal, format!("encoder run on [{b}, {s}] failed: {e:#}"))
        })?;
        let value = outputs.swap_remove(0);
        let plain = value.try_as_plain_ram().and_then(|v| v.as_slice::<f32>().map(<[f32]>::len));
        if value.shape() != [b, s, self.hidden] || plain.is_err() {
            return Err(Error::new(
                ErrorKind::Internal,
                format!("encoder output is {:?}, expected [{b}, {s}, {}] f32", value.shape(), self.hidden),
            ));
        }
        Ok(HiddenStates { value, batch: b, seq: s, hidden: self.hidden })
    }
}
