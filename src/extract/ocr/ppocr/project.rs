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
use tract_onnx::tract_core::ops::math;

use crate::encode::attention::exp_nonpositive;
use crate::{Error, ErrorKind, Result};

/// Features times weights, plus bias, for any number of frames.
pub(crate) struct Projection {
    plan: Arc<TypedSimplePlan>,
    features: usize,
    classes: usize,
}

impl std::fmt::Debug for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projection")
            .field("features", &self.features)
            .field("classes", &self.classes)
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
        if bias.datum_type() != DatumType::F32 || bias.len() != classes {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "text recogniser's last layer has {:?} biases {:?} for {classes} classes, expected f32",
                    bias.datum_type(),
                    bias.shape()
                ),
            ));
        }
        // `[1, classes]`, so that the sum broadcasts over frames; tract adds it inside the
        // product.
        let bias = bias.clone().into_shape(&[1, classes]).map_err(|e| internal("bias", e))?;
        let mut model = TypedModel::default();
        let rows = model.sym("frames");
        let x = model
            .add_source("features", f32::fact([rows.to_dim(), features.to_dim()]))
            .map_err(|e| internal("input", e))?;
        let w = model.add_const("weights", weights).map_err(|e| internal("weights", e))?;
        let product = EinSum::new("mk,kn->mn".parse().map_err(|e| internal("axes", e))?, DatumType::F32);
        let product = model.wire_node("project", product, &[x, w]).map_err(|e| internal("product", e))?;
        let b = model.add_const("bias", bias).map_err(|e| internal("bias", e))?;
        let out =
            model.wire_node("bias_add", math::add(), &[product[0], b]).map_err(|e| internal("bias", e))?;
        model.select_output_outlets(&out).map_err(|e| internal("output", e))?;
        let plan = model.into_optimized().and_then(|m| m.into_runnable()).map_err(|e| internal("plan", e))?;
        Ok(Projection { plan, features, classes })
    }

    /// Features each frame has.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Classes each frame is scored on: the alphabet and the blank.
    pub fn classes(&self) -> usize {
        self.classes
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
        Ok(logits.chunks_exact(self.classes).map(most_likely).collect())
    }
}

/// The most likely class of one frame's logits, and its softmax probability.
///
/// Over 18,385 classes a frame this was 8% of reading a receipt with libm's `expf` and a
/// running argmax, one class at a time; here every pass runs in 16 lanes, which the compiler
/// vectorises: the largest logit, then the softmax's denominator with the encoder's
/// attention exponential ([`exp_nonpositive`]), then the first class that holds the largest
/// logit.
fn most_likely(row: &[f32]) -> (usize, f32) {
    let mut tops = [f32::NEG_INFINITY; LANES];
    in_lanes(row, |k, v| tops[k] = tops[k].max(v));
    let top = tops.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sums = [0f32; LANES];
    in_lanes(row, |k, v| sums[k] += exp_nonpositive(v - top));
    let best = row.iter().position(|&v| v == top).unwrap_or(0);
    (best, 1.0 / sums.iter().sum::<f32>())
}

/// Lanes `most_likely` keeps its running maxima and sums in.
const LANES: usize = 16;

/// Calls `f(lane, logit)` for every class, class `i` in lane `i % LANES` (the last few,
/// past whole groups of lanes, all in lane 0).
fn in_lanes(row: &[f32], mut f: impl FnMut(usize, f32)) {
    let groups = row.chunks_exact(LANES);
    let tail = groups.remainder();
    for group in groups {
        for k in 0..LANES {
            f(k, group[k]);
        }
    }
    for &v in tail {
        f(0, v);
    }
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

    #[test]
    fn a_frames_probability_follows_the_exact_softmax() {
        // Against libm's exponentials, over as many classes as the recogniser has (and a
        // remainder past the 16 lanes). The exponential itself is tested where it lives.
        let row: Vec<f32> = (0..18_385).map(|i| ((i * 7919) % 1000) as f32 / 100.0 - 5.0).collect();
        let row: Vec<f32> =
            row.iter().enumerate().map(|(i, l)| l + ((i * 104_729) % 300) as f32 / 100.0).collect();
        let (best, p) = most_likely(&row);
        let top = row[best];
        let exact: f64 = row.iter().map(|&l| f64::from(l - top).exp()).sum();
        assert!(((1.0 / exact) - f64::from(p)).abs() < 1e-6 * (1.0 / exact), "{p} vs {}", 1.0 / exact);
    }
}
