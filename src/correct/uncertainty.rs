//! How unsure a head is about one segment, and what score it expects of its own tags.
//!
//! Both read [`Probabilities`] through a [`TagModel`], so they work for any head that
//! exposes them.

use crate::heads::Probabilities;
use crate::schema::ModelType;
use crate::Model;

/// A class is tagged above this probability (the heads' convention).
pub(super) const PRESENT: f32 = 0.5;

/// How the sampler reads a head's probabilities as a distribution over one segment's tags.
///
/// The heads decide each class's presence on its own (a sigmoid each), and independent
/// presences leave room for a segment with no class at all, with probability
/// `Π (1 - p(class))`. When the model's training segments all carried a tag
/// ([`Model::untagged_share`] is 0), that outcome never happened in the data the model
/// learned from: the presences are then read *given at least one class*. An empty tag set is
/// then certainly wrong; every other set's probability is divided by `1 - Π (1 - p(class))`;
/// and the tags a correction is presumed to bring include the likeliest class. Read
/// independently, a segment whose every class sits low looks like a confident "nothing here"
/// and was rarely sampled, although it is always wrong when nothing is never the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagModel {
    /// The kind of analysis.
    pub model_type: ModelType,
    /// Condition the presences on at least one class (not for LABEL, which always gives one).
    pub at_least_one: bool,
}

impl TagModel {
    /// The reading for `model`: conditioned when its training data held no untagged segment.
    pub fn of(model: &Model) -> TagModel {
        let model_type = model.meta().model_type;
        TagModel { model_type, at_least_one: model_type != ModelType::Label && model.untagged_share() == Some(0.0) }
    }

    /// The uncertainty of one segment, in `[0, 1]`: the most uncertain decision the head made.
    ///
    /// - each class's presence: binary entropy `H(p) / ln 2` (1 at `p = 0.5`);
    /// - the label: `1 - margin` between the two likeliest labels; for ABSA and CLASSLABEL
    ///   weighted by the probability that the class it labels is present, since the label of
    ///   an absent class is never shown.
    ///
    /// The maximum rather than a sum: one doubtful decision is what makes a segment worth a
    /// human look, and a sum would favour models with many classes and long documents.
    pub fn uncertainty(&self, p: &Probabilities) -> f32 {
        let class_u = p.classes.iter().map(|&q| binary_entropy(q)).fold(0.0, f32::max);
        let label_u = match self.model_type {
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

    /// The probability that the head's tags for one segment are wrong somewhere: one minus
    /// the product of the chances that each decision is right (each class's presence or
    /// absence, the label of each class it tags; LABEL: the label), given at least one class
    /// when [`at_least_one`](Self::at_least_one). This is what a correction session wants to
    /// find: documents to fix, not merely documents with one close call among many sure ones.
    pub fn wrong_probability(&self, p: &Probabilities) -> f32 {
        let mut right = 1.0f32;
        match self.model_type {
            ModelType::Label => right *= p.labels.first().map_or(1.0, |row| best(row)),
            _ => {
                for (c, &q) in p.classes.iter().enumerate() {
                    if q > PRESENT {
                        right *= q;
                        if self.model_type != ModelType::Class {
                            right *= label_row(p, c).map_or(1.0, best);
                        }
                    } else {
                        right *= 1.0 - q;
                    }
                }
                if self.at_least_one {
                    // No class tagged: the one outcome the condition rules out.
                    let tagged = p.classes.iter().any(|&q| q > PRESENT);
                    right = if tagged { right / some_class(p) as f32 } else { 0.0 };
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

    /// Whether each class is presumed present: tagged (above 0.5), or, given at least one
    /// class and none tagged, the likeliest.
    pub fn presumed(&self, p: &Probabilities) -> Vec<bool> {
        let mut present: Vec<bool> = p.classes.iter().map(|&q| q > PRESENT).collect();
        if self.at_least_one && !present.contains(&true) {
            let likeliest = (0..p.classes.len()).reduce(|b, c| if p.classes[c] > p.classes[b] { c } else { b });
            if let Some(c) = likeliest {
                present[c] = true;
            }
        }
        present
    }
}

/// The probability of at least one class under independent presences,
/// `1 - Π (1 - p(class))`: what the condition divides by.
fn some_class(p: &Probabilities) -> f64 {
    1.0 - p.classes.iter().map(|&q| 1.0 - q as f64).product::<f64>()
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
    /// Given at least one class, both expectations are divided by the chance of at least one
    /// (the gold count is then at least 1).
    pub fn add(&mut self, m: TagModel, p: &Probabilities) {
        match m.model_type {
            ModelType::Label => {
                self.tp += p.labels.first().map_or(0.0, |row| best(row) as f64);
                self.predicted += 1.0;
                self.gold += 1.0;
            }
            _ => {
                let (mut tp, mut gold) = (0.0, 0.0);
                for (c, &q) in p.classes.iter().enumerate() {
                    gold += q as f64;
                    if q > PRESENT {
                        let label = match m.model_type {
                            ModelType::Class => 1.0,
                            _ => label_row(p, c).map_or(0.0, |row| best(row) as f64),
                        };
                        tp += q as f64 * label;
                        self.predicted += 1.0;
                    }
                }
                if m.at_least_one {
                    let some = some_class(p);
                    // Σ p / (1 - Π (1 - p)) is at least 1; it tends to 1 as every p tends to 0.
                    (tp, gold) = if some > 0.0 { (tp / some, (gold / some).max(1.0)) } else { (0.0, 1.0) };
                }
                self.tp += tp;
                self.gold += gold;
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

    fn independent(model_type: ModelType) -> TagModel {
        TagModel { model_type, at_least_one: false }
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
        assert!((independent(ModelType::Class).uncertainty(&p(&[0.99, 0.5], &[])) - 1.0).abs() < 1e-6);
        assert!(independent(ModelType::Class).uncertainty(&p(&[0.99, 0.01], &[])) < 0.1);
        // LABEL: 1 - margin.
        assert!((independent(ModelType::Label).uncertainty(&p(&[], &[&[0.5, 0.4, 0.1]])) - 0.9).abs() < 1e-6);
        // ABSA: an unsure label counts only as much as its class is present.
        let sure_absent = p(&[0.01], &[&[0.34, 0.33, 0.33]]);
        let sure_present = p(&[0.99], &[&[0.34, 0.33, 0.33]]);
        assert!(independent(ModelType::Absa).uncertainty(&sure_absent) < 0.1);
        assert!(independent(ModelType::Absa).uncertainty(&sure_present) > 0.9);
    }

    #[test]
    fn wrong_probability_multiplies_the_decisions() {
        // Tagged at 0.8 with its label at 0.5, and a class left out at 0.1: right 0.8·0.5·0.9.
        let w = independent(ModelType::Absa).wrong_probability(&p(&[0.8, 0.1], &[&[0.5, 0.5], &[1.0, 0.0]]));
        assert!((w - (1.0 - 0.8 * 0.5 * 0.9)).abs() < 1e-6);
        assert!((independent(ModelType::Class).wrong_probability(&p(&[0.8, 0.1], &[])) - (1.0 - 0.72)).abs() < 1e-6);
        assert!((independent(ModelType::Label).wrong_probability(&p(&[], &[&[0.7, 0.3]])) - 0.3).abs() < 1e-6);
        assert_eq!(independent(ModelType::Class).wrong_probability(&p(&[f32::NAN], &[])), 1.0);
    }

    #[test]
    fn expected_f1() {
        let mut e = Expected::default();
        // Class 0 tagged and right with 0.8 (label 1.0), class 1 not tagged, present with 0.2.
        e.add(independent(ModelType::Absa), &p(&[0.8, 0.2], &[&[1.0, 0.0]]));
        assert!((e.tp - 0.8).abs() < 1e-6 && e.predicted == 1.0 && (e.gold - 1.0).abs() < 1e-6);
        assert!((e.f1() - 0.8).abs() < 1e-6);
        assert_eq!(Expected::default().f1(), 1.0);
    }

    /// Given at least one class: an empty tag set is wrong for sure, a tagged one is
    /// likelier right, the likeliest class is presumed when none is tagged, and the expected
    /// gold count is at least one.
    #[test]
    fn at_least_one_class() {
        let given = TagModel { model_type: ModelType::Absa, at_least_one: true };
        let (low, tagged) = (p(&[0.2, 0.1], &[&[0.9, 0.1], &[0.5, 0.5]]), p(&[0.8, 0.1], &[&[1.0, 0.0], &[0.5, 0.5]]));
        assert!((independent(ModelType::Absa).wrong_probability(&low) - (1.0 - 0.8 * 0.9)).abs() < 1e-6);
        assert_eq!(given.wrong_probability(&low), 1.0);
        // Right 0.8·1.0·0.9 independently, over the 1 - 0.2·0.9 chance of some class.
        let right = 0.8 * 0.9 / (1.0 - 0.2 * 0.9);
        assert!((given.wrong_probability(&tagged) - (1.0 - right)).abs() < 1e-6);
        assert_eq!(given.presumed(&low), [true, false]);
        assert_eq!(independent(ModelType::Absa).presumed(&low), [false, false]);
        assert_eq!(given.presumed(&tagged), [true, false]);
        let mut e = Expected::default();
        e.add(given, &low);
        assert!(e.tp == 0.0 && e.predicted == 0.0 && (e.gold - 0.3 / (1.0 - 0.8 * 0.9)).abs() < 1e-6, "{e:?}");
        let mut nothing = Expected::default();
        nothing.add(given, &p(&[0.0, 0.0], &[&[1.0, 0.0], &[1.0, 0.0]]));
        assert_eq!((nothing.gold, nothing.f1()), (1.0, 0.0));
        // LABEL always gives a label: nothing to condition.
        let label = p(&[], &[&[0.7, 0.3]]);
        assert!((TagModel { model_type: ModelType::Label, at_least_one: true }.wrong_probability(&label) - 0.3).abs() < 1e-6);
    }
}
