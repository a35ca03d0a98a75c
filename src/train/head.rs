//! The trainable per-class attention head and its loss, in candle.
//!
//! Each class attends over the token states with its own query vector, so in "great food
//! but slow service" *food* reads "great food" and *service* reads "slow service" instead
//! of both reading the sentence's average. The class's pooled vector (with the sentence's
//! mean token state after it, when [`TrainHead::new`] is asked for it) then gives a detection
//! logit (is the class present, sigmoid) and label logits (softmax over the labels). The
//! same arithmetic runs at analysis time on tract's token states in
//! [`crate::heads::AttentionHead`], from the same [`AttentionParams`].

use candle_core::{DType, Device, Tensor, Var, D};

use super::bert::{ce, flat_values, softmax, Dropout};
use crate::rng::SplitMix64;
use crate::heads::AttentionParams;
use crate::Result;

/// Head parameters as trainable variables: `query [C, H]`, `detect_w [C, F]`,
/// `detect_b [C]`, `label_w [C, L, F]`, `label_b [C, L]` (L may be 0, C is 1 for LABEL; F
/// is H, or 2H with the sentence mean).
pub struct TrainHead {
    /// The variables, in the order above.
    pub vars: Vec<Var>,
    shape: HeadShape,
}

/// The size of a head.
#[derive(Clone, Copy, Debug)]
pub struct HeadShape {
    /// Classes `C` (1 for LABEL).
    pub classes: usize,
    /// Labels `L` (0 for CLASS).
    pub labels: usize,
    /// The encoder's hidden size `H`.
    pub hidden: usize,
    /// Whether classes are detected.
    pub detect: bool,
    /// Whether the layers read the sentence mean after the attended vector.
    pub sentence_mean: bool,
}

impl HeadShape {
    /// The width `F` of the detection and label layers' input.
    fn features(&self) -> usize {
        crate::heads::feature_width(self.hidden, self.sentence_mean)
    }
}

/// Per class, the weight of its present examples in the detection loss: the ratio of its
/// absent to present examples in `present` (rows of `classes` 0/1 values), between `1/cap`
/// and `cap`.
///
/// A class present in one sentence of ten otherwise learns mostly that it is absent; the
/// weight evens the two kinds of mistake out (pos_weight in PyTorch's BCEWithLogitsLoss).
/// The floor keeps a class present in (nearly) every sentence from weighing nothing, and
/// its `ln w` ([`take_out_of_the_decision`]) finite.
pub fn positive_weights<'a>(present: impl Iterator<Item = &'a [f32]>, classes: usize, cap: f32) -> Vec<f32> {
    let (mut pos, mut n) = (vec![0.0f64; classes], 0.0f64);
    for row in present {
        pos.iter_mut().zip(row).for_each(|(p, &y)| *p += y as f64);
        n += 1.0;
    }
    pos.iter().map(|&p| if p > 0.0 { (((n - p) / p) as f32).clamp(1.0 / cap, cap) } else { cap }).collect()
}

/// Takes the weights of present examples back out of the decision: subtracts `ln w` from
/// each class's detection bias.
///
/// Weighed by `w`, the loss is least where the sigmoid gives `w p / (w p + 1 - p)` for a
/// class present with probability `p` (the logit moves by `ln w`): the weights teach the
/// encoder and the head more from the rare class's sentences, but they also tilt its
/// decisions toward "present" (for `w` = 4, 0.5 then means one chance in five). Subtracting
/// `ln w` afterwards makes 0.5 mean even odds again (logit adjustment: Menon et al., 2021,
/// "Long-tail learning via logit adjustment"), so what the weights taught stays and the
/// tilt goes. Replayed on MAMS-ACSA validation before it was built, two models trained with
/// weights went from detection 0.871 / 0.878 and joint 0.656 / 0.661 to 0.879 / 0.884 and
/// 0.672 / 0.675 (seeds 42 / 7).
pub fn take_out_of_the_decision(head: &mut AttentionParams, weights: &[f32]) {
    for (b, w) in head.detect_b.iter_mut().zip(weights) {
        *b -= w.ln();
    }
}

/// The gold of one batch, as tensors.
pub struct Targets {
    /// `[B, C]` 1 where the class is present (unused without detection).
    pub present: Tensor,
    /// `[B, C]` the gold label's index where present (0 elsewhere), u32.
    pub label: Tensor,
    /// `[B, C]` 1 where a label is known and trained.
    pub label_mask: Tensor,
}

impl TrainHead {
    /// A fresh head: small random queries and weights from `seed`, zero biases. With
    /// `sentence_mean`, the detection and label layers read the class's attended vector
    /// followed by the sentence's mean token state.
    pub fn new(shape: HeadShape, seed: u64, device: &Device) -> Result<TrainHead> {
        let HeadShape { classes, labels, hidden, .. } = shape;
        let features = shape.features();
        let mut rng = SplitMix64::new(seed);
        let mut normal = |n: usize, std: f32| (0..n).map(|_| rng.normal() * std).collect::<Vec<f32>>();
        let std = 0.02;
        let vars = vec![
            Var::from_vec(normal(classes * hidden, std), (classes, hidden), device),
            Var::from_vec(normal(classes * features, std), (classes, features), device),
            Var::zeros(classes, DType::F32, device),
            Var::from_vec(normal(classes * labels * features, std), (classes, labels, features), device),
            Var::zeros((classes, labels), DType::F32, device),
        ]
        .into_iter()
        .collect::<candle_core::Result<Vec<Var>>>()
        .map_err(ce)?;
        Ok(TrainHead { vars, shape })
    }

    /// Starts the classes and labels this head shares by name with the trained head `from`
    /// (same hidden size) at `from`'s values; the others keep their fresh initialisation.
    /// When one head reads the sentence mean and the other does not, only the queries carry
    /// over: the layers after them read different inputs.
    ///
    /// A model fine-tuned on one data set then starts the next with what it knows of the
    /// classes both have: "food" attends to dishes before the first step.
    pub fn start_from(&mut self, from: &AttentionParams, classes: &[String], labels: &[String]) -> Result<()> {
        let (h, f) = (self.shape.hidden, self.shape.features());
        if from.dim != h {
            return Err(crate::Error::invalid_argument(format!(
                "the base's head is {}-dimensional, the encoder {h}",
                from.dim
            )));
        }
        let layers = from.sentence_mean == self.shape.sentence_mean;
        let mut values: Vec<Vec<f32>> = (0..self.vars.len()).map(|i| self.values(i)).collect::<Result<_>>()?;
        let (fl, l) = (from.labels.len(), self.shape.labels);
        for (c, name) in classes.iter().enumerate() {
            let Some(fc) = from.classes.iter().position(|n| n == name) else { continue };
            values[0][c * h..(c + 1) * h].copy_from_slice(&from.query[fc * h..(fc + 1) * h]);
            if !layers {
                continue;
            }
            if from.detect && self.shape.detect {
                values[1][c * f..(c + 1) * f].copy_from_slice(&from.detect_w[fc * f..(fc + 1) * f]);
                values[2][c] = from.detect_b[fc];
            }
            for (k, label) in labels.iter().enumerate() {
                let Some(fk) = from.labels.iter().position(|n| n == label) else { continue };
                let (to, at) = ((c * l + k) * f, (fc * fl + fk) * f);
                values[3][to..to + f].copy_from_slice(&from.label_w[at..at + f]);
                values[4][c * l + k] = from.label_b[fc * fl + fk];
            }
        }
        for (var, v) in self.vars.iter().zip(values) {
            let t = Tensor::from_vec(v, var.as_tensor().shape(), var.as_tensor().device()).map_err(ce)?;
            var.set(&t).map_err(ce)?;
        }
        Ok(())
    }

    /// The values of variable `i`, flat.
    fn values(&self, i: usize) -> Result<Vec<f32>> {
        flat_values(self.vars[i].as_tensor())
    }

    /// Detection logits `[B, C]` and label logits `[B, C, L]` from token states
    /// `[B, T, H]` and `mask [B, T]`; `dropout`, when training, on the layers' inputs.
    pub fn forward(&self, states: &Tensor, mask: &Tensor, dropout: Option<&mut Dropout>) -> candle_core::Result<(Tensor, Option<Tensor>)> {
        let (b, t, h) = states.dims3()?;
        let c = self.shape.classes;
        let scale = 1.0 / (h as f64).sqrt();
        // scores [B, C, T]: each class's query against every token, padding masked.
        let q = self.vars[0].as_tensor();
        let scores = (states.reshape((b * t, h))?.matmul(&q.t()?.contiguous()?)?.reshape((b, t, c))?.transpose(1, 2)? * scale)?;
        let bias = ((mask - 1.0)? * 10000.0)?.reshape((b, 1, t))?;
        let weights = softmax(&scores.broadcast_add(&bias)?.contiguous()?)?;
        let mut pooled = weights.matmul(states)?; // [B, C, H]
        if self.shape.sentence_mean {
            // [B, 1, T] · [B, T, H] / tokens → [B, 1, H], beside every class's vector.
            let tokens = mask.sum_keepdim(D::Minus1)?.reshape((b, 1, 1))?;
            let mean = mask.reshape((b, 1, t))?.matmul(states)?.broadcast_div(&tokens)?;
            pooled = Tensor::cat(&[&pooled, &mean.broadcast_as((b, c, h))?.contiguous()?], 2)?; // [B, C, 2H]
        }
        if let Some(dropout) = dropout {
            pooled = dropout.apply(&pooled)?;
        }
        let detect = pooled.broadcast_mul(self.vars[1].as_tensor())?.sum(D::Minus1)?.broadcast_add(self.vars[2].as_tensor())?;
        let labels = if self.shape.labels > 0 {
            // [C, B, F] · [C, F, L] → [C, B, L] → [B, C, L]
            let per_class = pooled.transpose(0, 1)?.contiguous()?;
            let w = self.vars[3].as_tensor().transpose(1, 2)?.contiguous()?;
            let l = per_class.matmul(&w)?.transpose(0, 1)?.broadcast_add(self.vars[4].as_tensor())?;
            Some(l)
        } else {
            None
        };
        Ok((detect, labels))
    }

    /// Mean binary cross-entropy of detection (each class's present examples weighed by
    /// `positive_weight [C]`, when given) plus mean cross-entropy of the known labels.
    pub fn loss(&self, detect: &Tensor, labels: Option<&Tensor>, targets: &Targets, positive_weight: Option<&Tensor>) -> candle_core::Result<Tensor> {
        let mut loss = Tensor::zeros((), DType::F32, detect.device())?;
        if self.shape.detect {
            // -log σ(x) = softplus(-x) = softplus(x) - x and -log(1 - σ(x)) = softplus(x),
            // with softplus(x) = log(1 + e^-|x|) + max(x, 0), stable for any x.
            let y = &targets.present;
            let softplus = ((detect.abs()?.neg()?.exp()? + 1.0)?.log()? + detect.relu()?)?;
            let bce = match positive_weight {
                // (1 - y)·softplus(x) + w·y·(softplus(x) - x)
                Some(w) => {
                    let wy = y.broadcast_mul(w)?;
                    ((softplus.clone() * (1.0 - y)?)? + ((softplus - detect)? * wy)?)?
                }
                None => (softplus - (detect * y)?)?,
            };
            loss = (loss + bce.mean_all()?)?;
        }
        if let Some(logits) = labels {
            let (b, c, l) = logits.dims3()?;
            let flat = logits.reshape((b * c, l))?;
            let max = flat.max_keepdim(D::Minus1)?.detach();
            let shifted = flat.broadcast_sub(&max)?;
            let log_z = shifted.exp()?.sum_keepdim(D::Minus1)?.log()?;
            let gold = targets.label.reshape((b * c, 1))?;
            let picked = shifted.gather(&gold, D::Minus1)?;
            let nll = (log_z - picked)?.reshape((b, c))?;
            let mask = &targets.label_mask;
            let n = mask.sum_all()?.to_scalar::<f32>()?.max(1.0);
            loss = (loss + ((nll * mask)?.sum_all()? / n as f64)?)?;
        }
        Ok(loss)
    }

    /// The trained values, for saving and for analysis.
    pub fn params(&self, class_names: Vec<String>, label_names: Vec<String>) -> Result<AttentionParams> {
        Ok(AttentionParams {
            dim: self.shape.hidden,
            classes: class_names,
            labels: label_names,
            detect: self.shape.detect,
            sentence_mean: self.shape.sentence_mean,
            query: self.values(0)?,
            detect_w: self.values(1)?,
            detect_b: self.values(2)?,
            label_w: self.values(3)?,
            label_b: self.values(4)?,
        })
    }
}
