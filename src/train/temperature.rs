//! Temperatures for a trained head, fitted on segments its weights were not fitted to.
//!
//! Fine-tuned classifiers come out overconfident: their probabilities say right more often
//! than they are (Guo et al. 2017, "On Calibration of Modern Neural Networks"). Correction
//! sampling reads those probabilities to rank documents and to predict the score of its
//! sample, so it inherits the error. The remedy that paper found best for its simplicity is
//! one temperature dividing the logits, chosen by the negative log-likelihood on held-out
//! data; it keeps every tag (a logit's sign and the labels' order do not change).
//!
//! Two temperatures here, as the head has two kinds of output: the presence logits (a binary
//! cross-entropy over every segment and class) and the label logits (a cross-entropy over the
//! gold labels of the classes present). Each is the best of a log grid from 1/4 to 8: one
//! scalar, so the grid is as good as a solver and cannot diverge.

use super::data;
use crate::encode::Encoder;
use crate::heads::{AttentionHead, Temperatures};
use crate::labeled::LabeledSet;
use crate::Result;

/// Grid points per doubling of the temperature.
const STEPS_PER_OCTAVE: i32 = 16;
/// The grid: `2^(i / STEPS_PER_OCTAVE)` for `i` in this range (1/4 to 8).
const GRID: std::ops::RangeInclusive<i32> = -2 * STEPS_PER_OCTAVE..=3 * STEPS_PER_OCTAVE;

/// One presence decision: the class's logit and whether the class is in the gold tags.
type Presence = (f32, bool);
/// One label decision: the class's label logits and the gold label's index.
type Choice = (Vec<f32>, usize);

/// The temperatures at which `head` (with `encoder`) best predicts `set`'s gold tags; 1 for
/// a kind of output the set gives no example of.
pub(crate) fn fit(encoder: &Encoder, head: &AttentionHead, set: &LabeledSet) -> Result<Temperatures> {
    let params = head.params();
    let logits = encoder.map_token_states(&set.texts(), |_, states| head.logits(states))?;
    let (mut presence, mut choices): (Vec<Presence>, Vec<Choice>) = (Vec::new(), Vec::new());
    for (segment, per_class) in set.segments.iter().zip(logits) {
        // The gold as training read it, in the head's class and label order.
        let gold = data::gold(head.model_type(), &params.classes, &params.labels, &segment.tags);
        for (c, (logit, labels)) in per_class.into_iter().enumerate() {
            if params.detect {
                presence.push((logit, gold.present.get(c).is_some_and(|&p| p > 0.0)));
            }
            if gold.label_mask.get(c).is_some_and(|&m| m > 0.0) {
                choices.push((labels, gold.label[c] as usize));
            }
        }
    }
    Ok(Temperatures { detect: presence_temperature(&presence), label: label_temperature(&choices) })
}

/// The temperature that best predicts the presences.
fn presence_temperature(presence: &[Presence]) -> f32 {
    best_on_grid(|t| presence.iter().map(|&(z, y)| presence_loss(z, y, t)).sum())
}

/// The temperature that best predicts the gold labels.
fn label_temperature(choices: &[Choice]) -> f32 {
    best_on_grid(|t| choices.iter().map(|(l, j)| choice_loss(l, *j, t)).sum())
}

/// The grid temperature with the smallest `loss`; 1 when every point ties (no examples).
fn best_on_grid(loss: impl Fn(f32) -> f64) -> f32 {
    let mut best = (loss(1.0), 1.0f32);
    for i in GRID {
        let t = 2f32.powf(i as f32 / STEPS_PER_OCTAVE as f32);
        let l = loss(t);
        if l < best.0 {
            best = (l, t);
        }
    }
    best.1
}

/// `-log p(y)` for presence logit `z` at temperature `t`: `log(1 + e^(∓z/t))`, stably.
fn presence_loss(z: f32, present: bool, t: f32) -> f64 {
    let s = if present { z / t } else { -z / t } as f64;
    // log(1 + e^-s) without overflow on either side.
    (-s).max(0.0) + (-s.abs()).exp().ln_1p()
}

/// `-log softmax(logits / t)[gold]`, stably.
fn choice_loss(logits: &[f32], gold: usize, t: f32) -> f64 {
    let scaled: Vec<f64> = logits.iter().map(|&l| l as f64 / t as f64).collect();
    let max = scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let log_sum = max + scaled.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
    log_sum - scaled.get(gold).copied().unwrap_or(max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// Logits drawn wide, outcomes drawn from the logits at temperature 2: the fit finds
    /// about 2 for both kinds of output.
    #[test]
    fn the_fit_finds_the_temperature_the_outcomes_were_drawn_at() {
        let mut rng = SplitMix64::new(5);
        let mut presence = Vec::new();
        let mut choices = Vec::new();
        for _ in 0..4000 {
            let z = (rng.uniform() as f32 * 2.0 - 1.0) * 8.0;
            presence.push((z, rng.uniform() < 1.0 / (1.0 + (-z as f64 / 2.0).exp())));
            let logits: Vec<f32> = (0..3).map(|_| (rng.uniform() as f32 * 2.0 - 1.0) * 6.0).collect();
            let p = crate::heads::math::softmax(&logits, 2.0);
            let u = rng.uniform() as f32;
            let gold = if u < p[0] { 0 } else if u < p[0] + p[1] { 1 } else { 2 };
            choices.push((logits, gold));
        }
        let (detect, label) = (presence_temperature(&presence), label_temperature(&choices));
        assert!((detect - 2.0).abs() < 0.3, "presence temperature {detect}");
        assert!((label - 2.0).abs() < 0.3, "label temperature {label}");
        // No examples: no change.
        assert_eq!(best_on_grid(|_| 0.0), 1.0);
    }

    #[test]
    fn the_losses_are_the_log_likelihoods() {
        let p: f64 = 1.0 / (1.0 + (-1.5f64).exp());
        assert!((presence_loss(3.0, true, 2.0) + p.ln()).abs() < 1e-9);
        assert!((presence_loss(3.0, false, 2.0) + (1.0 - p).ln()).abs() < 1e-9);
        assert!(presence_loss(1e6, false, 1.0).is_finite());
        let q = crate::heads::math::softmax(&[1.0, 2.0, 0.5], 0.5);
        assert!((choice_loss(&[1.0, 2.0, 0.5], 0, 0.5) + (q[0] as f64).ln()).abs() < 1e-6);
    }
}
