//! Zero-shot thresholds, calibrated rather than guessed.
//!
//! Cosine similarities of sentence embeddings have no absolute meaning: 0.3 is close for one
//! class and far for another. So each class's threshold is set against *negatives*: the
//! similarity that only [`FALSE_POSITIVE_RATE`] of them reach. The negatives are a bank of
//! everyday sentences (`src/heads/data/background.txt`) and the definitions of the other
//! classes, which are in-domain text that is not about this class. The spread of those similarities scales the confidence,
//! so a segment one spread above the threshold gets the same confidence for every class.
//! If the class's own definition texts fall below that bar (measured leave-one-out, so a
//! text is not compared with itself), the threshold moves half-way down to them, so that
//! text like the definitions is still tagged.

use super::math::{dot, mean_direction, mean_std, quantile};

/// The share of reference sentences allowed above a class's threshold.
pub const FALSE_POSITIVE_RATE: f32 = 0.05;

/// The reference sentences, one per line, `#` comments skipped.
pub fn background() -> Vec<&'static str> {
    include_str!("data/background.txt").lines().filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

/// A class's calibrated decision: tagged when similarity ≥ `threshold`; confidence
/// `logistic((similarity - threshold) / scale)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calibration {
    /// Similarity at which the class is tagged (confidence 0.5).
    pub threshold: f32,
    /// Similarity spread that moves confidence by one logit.
    pub scale: f32,
}

/// Calibrates one class: `prototype` against the negative embeddings `background` (row-major,
/// `dim` each), with the class's own definition embeddings for the leave-one-out check.
pub fn calibrate(prototype: &[f32], definitions: &[&[f32]], background: &[f32], dim: usize) -> Calibration {
    let sims: Vec<f32> = background.chunks_exact(dim).map(|b| dot(prototype, b)).collect();
    let mut threshold = quantile(&sims, 1.0 - FALSE_POSITIVE_RATE);
    let (_, spread) = mean_std(&sims);
    if definitions.len() >= 2 {
        let own: Vec<f32> = (0..definitions.len())
            .map(|k| {
                let others = definitions.iter().enumerate().filter(|&(j, _)| j != k).map(|(_, d)| *d);
                dot(&mean_direction(others, dim), definitions[k])
            })
            .collect();
        let (own_mean, _) = mean_std(&own);
        if own_mean < threshold {
            threshold = (threshold + own_mean) / 2.0;
        }
    }
    Calibration { threshold, scale: spread.max(0.01) }
}

/// The softmax temperature for choosing among `prototypes` (row-major, `dim` each): the
/// mean spread of the similarities to them over the background, so one typical spread of
/// difference between two labels is one logit.
pub fn temperature(prototypes: &[f32], background: &[f32], dim: usize) -> f32 {
    let spreads: Vec<f32> = background
        .chunks_exact(dim)
        .map(|b| {
            let sims: Vec<f32> = prototypes.chunks_exact(dim).map(|p| dot(p, b)).collect();
            mean_std(&sims).1
        })
        .collect();
    mean_std(&spreads).0.max(0.01)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_leaves_five_percent_of_background_above() {
        // 2-d toy space: background spread around the x axis, prototype on it.
        let dim = 2;
        let background: Vec<f32> = (0..100)
            .flat_map(|i| {
                let a = (i as f32 / 100.0) * std::f32::consts::PI;
                [a.cos(), a.sin()]
            })
            .collect();
        let cal = calibrate(&[1.0, 0.0], &[], &background, dim);
        let above = background.chunks_exact(2).filter(|b| b[0] >= cal.threshold).count();
        assert!((4..=6).contains(&above), "{above} above");
        assert!(cal.scale > 0.0);
    }

    #[test]
    fn definitions_below_the_bar_pull_it_down() {
        let dim = 2;
        let background = vec![1.0, 0.0, 0.99, 0.14, 0.98, 0.2];
        // Two definitions that disagree: each is far from the prototype of the other.
        let defs: [&[f32]; 2] = [&[0.0, 1.0], &[1.0, 0.0]];
        let proto = mean_direction(defs, dim);
        let high = calibrate(&proto, &[], &background, dim).threshold;
        let pulled = calibrate(&proto, &defs, &background, dim).threshold;
        assert!(pulled < high);
    }

    #[test]
    fn the_background_bank_is_there() {
        assert!(background().len() >= 100);
    }
}
