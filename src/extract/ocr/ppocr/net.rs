//! One PP-OCR network (detector, recogniser or classifier) through tract: read once, then
//! typed, optimised and planned for each input size it meets, and shared by every thread.
//!
//! Why plans per size: tract plans these convolutional networks for symbolic image sizes
//! only slowly or not at all. The detector's feature pyramid adds maps upsampled from
//! several strides, which tract cannot prove equal for a symbolic page size; the
//! recogniser types with a symbolic width but then runs about ten times slower than with a
//! known one (14 s against 1.5 s for the lines of one receipt); the classifier reshapes by
//! a computed shape, which needs a known batch size. So each network gets one plan per
//! input shape met, built on first use and kept (a bounded number, oldest dropped first);
//! callers round sizes to a coarse grid (pages padded to multiples of 128, lines to a dozen
//! widths) so that a handful of plans serve a whole run, and always send full batches: a
//! symbolic batch size made the recogniser about twice as slow (measured on a loaded
//! machine: 12.6 s against 6-8 s for the lines of one receipt).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::konst::Const;

use super::project::Projection;

use crate::{Error, ErrorKind, Result};

/// A network ready to run.
pub(crate) struct Net {
    name: &'static str,
    path: PathBuf,
    /// The parsed graph, planned anew for each size met.
    model: InferenceModel,
    sized: Mutex<SizedPlans>,
    /// Most plans kept.
    limit: usize,
}

#[derive(Default)]
struct SizedPlans {
    plans: HashMap<[usize; 4], Arc<TypedSimplePlan>>,
    order: Vec<[usize; 4]>,
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Net").field("name", &self.name).field("path", &self.path).finish()
    }
}

/// An image batch, `[batch, 3, height, width]`, row-major.
pub(crate) struct Batch {
    pub batch: usize,
    pub height: usize,
    pub width: usize,
    pub data: Vec<f32>,
}

/// A network's first output: its shape and values, read in place.
pub(crate) struct Output {
    pub shape: Vec<usize>,
    tensor: Tensor,
}

impl Output {
    /// The values, row-major. `run` checked they are plain f32.
    pub fn values(&self) -> &[f32] {
        f32_values(&self.tensor).unwrap_or(&[])
    }
}

fn f32_values(tensor: &Tensor) -> TractResult<&[f32]> {
    tensor.try_as_plain_ram()?.as_slice::<f32>()
}

impl Net {
    /// Reads the ONNX file at `path`; plans are built per input size as batches come, at
    /// most `limit` kept. `name` says which network it is in errors ("text detector").
    pub fn load(path: &Path, name: &'static str, limit: usize) -> Result<Net> {
        std::fs::metadata(path).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("ocr model {name} not found ({e}); the pp-ocrv5 folder ships in opinio's models/"),
            )
            .with_path(path)
        })?;
        let fail = |what: &str, e: TractError| {
            Error::new(ErrorKind::Malformed, format!("ocr model {name} {what}: {e:#}")).with_path(path)
        };
        let onnx = tract_onnx::onnx();
        let mut proto = onnx.proto_model_for_path(path).map_err(|e| fail("does not load", e))?;
        if let Some(graph) = proto.graph.as_mut() {
            super::fold::conv_biases(graph);
        }
        let model = onnx.model_for_proto_model(&proto).map_err(|e| fail("does not load", e))?;
        Ok(Net {
            name,
            path: path.to_path_buf(),
            model,
            sized: Mutex::new(SizedPlans::default()),
            limit: limit.max(1),
        })
    }

    fn plan(&self, mut model: InferenceModel, shape: [TDim; 4]) -> Result<Arc<TypedSimplePlan>> {
        let fail = |kind: ErrorKind, what: &str, e: TractError| {
            Error::new(kind, format!("ocr model {}: {what}: {e:#}", self.name)).with_path(&self.path)
        };
        let fact: InferenceFact = f32::fact(shape.clone()).into();
        model.set_input_fact(0, fact).map_err(|e| fail(ErrorKind::Unsupported, "input shape", e))?;
        model
            .into_optimized()
            .map_err(|e| {
                fail(ErrorKind::Unsupported, &format!("does not optimise for f32 images {shape:?}"), e)
            })?
            .into_runnable()
            .map_err(|e| fail(ErrorKind::Internal, "plan does not build", e))
    }

    /// Takes the network's last layer out of its graph, as a [`Projection`] planned once:
    /// the network must end as PP-OCR's recognisers do, in a product by constant weights,
    /// the sum with a constant bias, and a softmax. Its output is then the features that
    /// layer reads.
    pub fn split_last_layer(&mut self) -> Result<Projection> {
        let unexpected = |what: &str| {
            Error::new(
                ErrorKind::Unsupported,
                format!(
                    "ocr model {}: {what}; opinio expects a recogniser that ends in MatMul by \
                     constant weights, Add of a constant bias and Softmax, as PP-OCRv5's does",
                    self.name
                ),
            )
            .with_path(&self.path)
        };
        let fail = |e: TractError| {
            Error::new(ErrorKind::Malformed, format!("ocr model {}: outputs: {e:#}", self.name))
                .with_path(&self.path)
        };
        let model = &self.model;
        let outputs = model.output_outlets().map_err(fail)?;
        let [output] = outputs[..] else { return Err(unexpected("it has several outputs")) };
        let only_input = |node: usize, op: &str| {
            let node = model.node(node);
            match node.inputs[..] {
                [input] if node.op.name() == op => Some(input),
                _ => None,
            }
        };
        // The node's two inputs, the second of them a constant.
        let with_const = |node: usize, op: &str| {
            let node = model.node(node);
            match node.inputs[..] {
                [input, konst] if node.op.name().contains(op) => {
                    model.node(konst.node).op_as::<Const>().map(|c| (input, c.val().clone()))
                }
                _ => None,
            }
        };
        let logits =
            only_input(output.node, "Softmax").ok_or_else(|| unexpected("its output is no softmax"))?;
        let (product, bias) =
            with_const(logits.node, "Add").ok_or_else(|| unexpected("no bias before its softmax"))?;
        let (features, weights) =
            with_const(product.node, "MatMul").ok_or_else(|| unexpected("no product by constant weights"))?;
        let projection = Projection::new(weights, &bias)?;
        self.model.select_output_outlets(&[features]).map_err(fail)?;
        Ok(projection)
    }

    /// The plan for inputs of `shape`.
    fn plan_for(&self, shape: [usize; 4]) -> Result<Arc<TypedSimplePlan>> {
        if let Some(plan) = self.lock().plans.get(&shape) {
            return Ok(plan.clone());
        }
        // Planned outside the lock: another thread may plan the same size meanwhile, and
        // the second plan is simply dropped.
        let plan = self.plan(self.model.clone(), shape.map(TDim::from))?;
        let mut sized = self.lock();
        if !sized.plans.contains_key(&shape) {
            if sized.order.len() >= self.limit {
                let oldest = sized.order.remove(0);
                sized.plans.remove(&oldest);
            }
            sized.order.push(shape);
            sized.plans.insert(shape, plan.clone());
        }
        Ok(plan)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SizedPlans> {
        self.sized.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs one batch on the calling thread; returns the first output.
    pub fn run(&self, input: Batch) -> Result<Output> {
        let Batch { batch, height, width, data } = input;
        let shape = [batch, 3, height, width];
        let plan = self.plan_for(shape)?;
        let tensor = Tensor::from_shape(&shape, &data)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("{} input {shape:?}: {e:#}", self.name)))?;
        drop(data);
        let mut outputs = plan.run(tvec!(tensor.into_tvalue())).map_err(|e| {
            Error::new(ErrorKind::Internal, format!("{} run on {shape:?} failed: {e:#}", self.name))
        })?;
        let tensor = outputs.swap_remove(0).into_tensor();
        drop(outputs);
        f32_values(&tensor).map_err(|e| {
            Error::new(ErrorKind::Internal, format!("{} output is not f32: {e:#}", self.name))
        })?;
        Ok(Output { shape: tensor.shape().to_vec(), tensor })
    }
}
