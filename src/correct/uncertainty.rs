//! How unsure a head is about one segment, and what score it expects of its own tags.
//!
//! Both read [`Probabilities`], so they work for any head that exposes them.

use crate::heads::Probabilities;
use crate::schema::ModelType;

/// A class is tagged above this probability (the heads' convention).
pub(super) const PRESENT: f32 = 0.5;

/// The uncertainty of one segment, in `[0, 1]`: the most uncertain decision the head made.
///
/// - each class's presence: binary entropy `H(p) / ln 2` (1 at `p = 0.5`);
/// - the label: `1 - margin` between the two likeliest labels; for ABSA and CLASSLABEL
///   weighted by the probability that the class it labels is present, since the label of an
///   absent class is never shown.
///
/// The maximum rather than a sum: one doubtful decision is what makes a segment worth a
/// human look, and a sum would favour models with many classes and long documents.
pub fn segment_uncertainty(model_type: ModelType, p: &Probabilities) -> f32 {
    let class_u = p.classes.iter().map(|&q| binary_entropy(q)).fold(0.0, f32::max);
    let label_u = match model_type {
        ModelType::Class => 0.0,
        ModelType::Label => p.labels.first().map_or(0.0, |row| 1.0 - margin(row)),
        ModelType::Absa | ModelType::ClassLabel => p
            .classes
            .iter()
            .enumerate()
            .map(|(c, &q)| q * label_row(p, c).map_or(0.0, |row| 1.0 - margin(row)))
            .fold(0.0, f32::max),
    };
    class_u.max(label_u).clamp(0.0, 1.0)
}

/// The probability that the head's tags for one segment are wrong somewhere, if its
/// probabilities are calibrated: one minus the product of the chances that each decision is
/// right (each class's presence or absence, the label of each class it tags; LABEL: the
/// label). This is what a correction session wants to find: documents to fix, not merely
/// documents with one close call among many sure ones.
pub fn wrong_probability(model_type: ModelType, p: &Probabilities) -> f32 {
    let mut right = 1.0f32;
    match model_type {
        ModelType::Label => right *= p.labels.first().map_or(1.0, |row| best(row)),
        _ => {
            for (c, &q) in p.classes.iter().enumerate() {
                if q > PRESENT {
                    right *= q;
                    if model_type != ModelType::Class {
                        right *= label_row(p, c).map_or(1.0, best);
                    }
                } else {
                    right *= 1.0 - q;
                }
            }
        }
    }
    let wrong = 1.0 - right;
    if wrong.is_nan() {
        1.0
    } else {
        wrong.clamp(0.0, 1.0)
    }
}

/// Expected counts behind a micro-F1, if the probabilities are calibrated.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Expected {
    /// Expected true positives among the tags the head gives.
    pub tp: f64,
    /// Tags the head gives.
    pub predicted: f64,
    /// Expected gold tags.
    pub gold: f64,
}

impl Expected {
    /// Adds one segment: a tag is given for each class above 0.5 (with its likeliest label)
    /// or, for LABEL, the likeliest label; it is right with probability `p(class)` (times
    /// `p(label)` for ABSA and CLASSLABEL); the expected gold count is `Σ p(class)` (LABEL: 1).
    pub fn add(&mut self, model_type: ModelType, p: &Probabilities) {
        match model_type {
            ModelType::Label => {
                self.tp += p.labels.first().map_or(0.0, |row| best(row) as f64);
                self.predicted += 1.0;
                self.gold += 1.0;
            }
            _ => {
                for (c, &q) in p.classes.iter().enumerate() {
                    self.gold += q as f64;
                    if q > PRESENT {
                        let label = match model_type {
                            ModelType::Class => 1.0,
                            _ => label_row(p, c).map_or(0.0, |row| best(row) as f64),
                        };
                        self.tp += q as f64 * label;
                        self.predicted += 1.0;
                    }
                }
            }
        }
    }

    /// The expected micro-F1, `2·tp / (predicted + gold)` (a ratio of expectations), or 1
    /// when nothing is expected either way.
    pub fn f1(&self) -> f64 {
        let d = self.predicted + self.gold;
        if d <= 0.0 {
            1.0
        } else {
            (2.0 * self.tp / d).clamp(0.0, 1.0)
        }
    }
}

/// The label row for class `c`: its own, or the shared one.
pub(super) fn label_row(p: &Probabilities, c: usize) -> Option<&[f32]> {
    p.labels.get(c).or_else(|| if p.labels.len() == 1 { p.labels.first() } else { None }).map(Vec::as_slice)
}

/// The largest probability of a label row (0 for an empty one): the chance that its likeliest
/// label is right.
fn best(row: &[f32]) -> f32 {
    row.iter().copied().fold(0.0f32, f32::max)
}

/// `H(p) / ln 2`, 0 at 0 and 1, 1 at 0.5; NaN-safe.
fn binary_entropy(p: f32) -> f32 {
    if !(p > 0.0 && p < 1.0) {
        return 0.0;
    }
    -(p * p.ln() + (1.0 - p) * (1.0 - p).ln()) / std::f32::consts::LN_2
}

/// The difference between the two largest values (the largest alone when only one).
fn margin(row: &[f32]) -> f32 {
    let (mut a, mut b) = (0.0f32, 0.0f32);
    for &x in row {
        if x > a {
            b = a;
            a = x;
        } else if x > b {
            b = x;
        }
    }
    (a - b).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(classes: &[f32], labels: &[&[f32]]) -> Probabilities {
        Probabilities { classes: classes.to_vec(), labels: labels.iter().map(|r| r.to_vec()).collect() }
    }

    #[test]
    fn entropy_and_margin() {
        assert!((binary_entropy(0.5) - 1.0).abs() < 1e-6);
        assert_eq!(binary_entropy(0.0), 0.0);
        assert_eq!(binary_entropy(f32::NAN), 0.0);
        assert!(binary_entropy(0.9) < binary_entropy(0.7));
        assert!((margin(&[0.2, 0.7, 0.1]) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn uncertainty_per_type() {
        // A class at 0.5 is as unsure as it gets.
        assert!((segment_uncertainty(ModelType::Class, &p(&[0.99, 0.5], &[])) - 1.0).abs() < 1e-6);
        assert!(segment_uncertainty(ModelType::Class, &p(&[0.99, 0.01], &[])) < 0.1);
        // LABEL: 1 - margin.
        assert!((segment_uncertainty(ModelType::Label, &p(&[], &[&[0.5, 0.4, 0.1]])) - 0.9).abs() < 1e-6);
        // ABSA: an unsure label counts only as much as its class is present.
        let sure_absent = p(&[0.01], &[&[0.34, 0.33, 0.33]]);
        let sure_present = p(&[0.99], &[&[0.34, 0.33, 0.33]]);
        assert!(segment_uncertainty(ModelType::Absa, &sure_absent) < 0.1);
        assert!(segment_uncertainty(ModelType::Absa, &sure_present) > 0.9);
    }

    #[test]
    fn wrong_probability_multiplies_the_decisions() {
        // Tagged at 0.8 with its label at 0.5, and a class left out at 0.1: right 0.8·0.5·0.9.
        let w = wrong_probability(ModelType::Absa, &p(&[0.8, 0.1], &[&[0.5, 0.5], &[1.0, 0.0]]));
        assert!((w - (1.0 - 0.8 * 0.5 * 0.9)).abs() < 1e-6);
        assert!((wrong_probability(ModelType::Class, &p(&[0.8, 0.1], &[])) - (1.0 - 0.72)).abs() < 1e-6);
        assert!((wrong_probability(ModelType::Label, &p(&[], &[&[0.7, 0.3]])) - 0.3).abs() < 1e-6);
        assert_eq!(wrong_probability(ModelType::Class, &p(&[f32::NAN], &[])), 1.0);
    }

    #[test]
    fn expected_f1() {
        let mut e = Expected::default();
        // Class 0 tagged and right with 0.8 (label 1.0), class 1 not tagged, present with 0.2.
        e.add(ModelType::Absa, &p(&[0.8, 0.2], &[&[1.0, 0.0]]));
        assert!((e.tp - 0.8).abs() < 1e-6 && e.predicted == 1.0 && (e.gold - 1.0).abs() < 1e-6);
        assert!((e.f1() - 0.8).abs() < 1e-6);
        assert_eq!(Expected::default().f1(), 1.0);
    }
}
