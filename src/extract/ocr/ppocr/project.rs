//! The recogniser's last layer, run apart from the rest of it: each frame's features
//! (120 of them) times a `[120, 18385]` matrix, plus a bias, gives the frame's logits over
//! the alphabet and the blank.
//!
//! Why apart: the recogniser is planned once per batch width (see `net`), and each plan
//! packs its own copy of every weight. This matrix is 8.8 MB of the network's 16.5, so a
//! dozen plans held over 100 MB of copies of it. Here it is one plan for any number of
//! frames (a matrix product plans well with a symbolic row count, unlike the convolutions),
//! packed once. It also runs only on frames that hold a line, not on the padding of a
//! batch's shorter lines or its empty slots.

use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::einsum::EinSum;

use crate::{Error, ErrorKind, Result};

/// Features times weights, plus bias, for any number of frames.
pub(crate) struct Projection {
    plan: Arc<TypedSimplePlan>,
    bias: Vec<f32>,
    features: usize,
}

impl std::fmt::Debug for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projection")
            .field("features", &self.features)
            .field("classes", &self.bias.len())
            .finish()
    }
}

fn internal(what: &str, e: TractError) -> Error {
    Error::new(ErrorKind::Internal, format!("text recogniser's last layer: {what}: {e:#}"))
}

impl Projection {
    /// Plans `x · weights + bias` for `weights` `[features, classes]` and `bias` `[classes]`.
    pub fn new(weights: Arc<Tensor>, bias: &Tensor) -> Result<Projection> {
        let (features, classes) = match weights.shape() {
            &[k, n] if k > 0 && n > 0 && weights.datum_type() == DatumType::F32 => (k, n),
            shape => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                    "text recogniser's last layer has weights {shape:?}, expected f32 [features, classes]"
                ),
                ))
            }
        };
        let bias: Vec<f32> = bias
            .try_as_plain_ram()
            .and_then(|b| b.as_slice::<f32>().map(<[f32]>::to_vec))
            .map_err(|e| internal("bias", e))?;
        if bias.len() != classes {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("text recogniser's last layer has {} biases for {classes} classes", bias.len()),
            ));
        }
        let mut model = TypedModel::default();
        let rows = model.sym("frames");
        let x = model
            .add_source("features", f32::fact([rows.to_dim(), features.to_dim()]))
            .map_err(|e| internal("input", e))?;
        let w = model.add_const("weights", weights).map_err(|e| internal("weights", e))?;
        let product = EinSum::new("mk,kn->mn".parse().map_err(|e| internal("axes", e))?, DatumType::F32);
        let out = model.wire_node("project", product, &[x, w]).map_err(|e| internal("product", e))?;
        model.select_output_outlets(&out).map_err(|e| internal("output", e))?;
        let plan = model.into_optimized().and_then(|m| m.into_runnable()).map_err(|e| internal("plan", e))?;
        Ok(Projection { plan, bias, features })
    }

    /// Features each frame has.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Classes each frame is scored on: the alphabet and the blank.
    pub fn classes(&self) -> usize {
        self.bias.len()
    }

    /// Each frame's most likely class and that class's softmax probability, for `frames`
    /// row-major `[n, features]`.
    pub fn most_likely(&self, frames: Vec<f32>) -> Result<Vec<(usize, f32)>> {
        let n = frames.len() / self.features;
        if n == 0 {
            return Ok(Vec::new());
        }
        let input = Tensor::from_shape(&[n, self.features], &frames).map_err(|e| internal("frames", e))?;
        drop(frames);
        let out = self.plan.run(tvec!(input.into_tvalue())).map_err(|e| internal("run", e))?;
        let logits =
            out[0].try_as_plain_ram().and_then(|v| v.as_slice::<f32>()).map_err(|e| internal("logits", e))?;
        Ok(logits.chunks_exact(self.bias.len()).map(|row| most_likely(row, &self.bias)).collect())
    }
}

/// The most likely class of one frame's logits (before bias), and its softmax probability.
fn most_likely(row: &[f32], bias: &[f32]) -> (usize, f32) {
    let (best, top) = row
        .iter()
        .zip(bias)
        .map(|(l, b)| l + b)
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |m, (i, v)| if v > m.1 { (i, v) } else { m });
    let sum: f32 = row.iter().zip(bias).map(|(l, b)| (l + b - top).exp()).sum();
    (best, 1.0 / sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projects_and_picks_the_most_likely_class() {
        // Two features, three classes: class = argmax of (x0 - x1, x1, bias only).
        let weights = Tensor::from_shape(&[2, 3], &[1.0f32, 0.0, 0.0, -1.0, 1.0, 0.0]).unwrap();
        let bias = Tensor::from_shape(&[3], &[0.0f32, 0.0, 0.5]).unwrap();
        let p = Projection::new(Arc::new(weights), &bias).unwrap();
        let best = p.most_likely(vec![3.0, 1.0, 0.0, 2.0, 0.0, 0.0]).unwrap();
        assert_eq!(best.iter().map(|b| b.0).collect::<Vec<_>>(), vec![0, 1, 2]);
        // Frame 0's logits are (2, 1, 0.5): softmax of the first.
        let expected = 1.0 / (1.0 + (-1.0f32).exp() + (-1.5f32).exp());
        assert!((best[0].1 - expected).abs() < 1e-6);
        assert!(p.most_likely(Vec::new()).unwrap().is_empty());
    }
}
