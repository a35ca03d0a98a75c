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

/// A network's first output: its shape and values.
pub(crate) struct Output {
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
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
        let model = tract_onnx::onnx().model_for_path(path).map_err(|e| fail("does not load", e))?;
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
        let value = outputs.swap_remove(0);
        let shape = value.shape().to_vec();
        let values =
            value.try_as_plain_ram().and_then(|v| v.as_slice::<f32>().map(<[f32]>::to_vec)).map_err(|e| {
                Error::new(ErrorKind::Internal, format!("{} output is not f32: {e:#}", self.name))
            })?;
        Ok(Output { shape, values })
    }
}
