//! How good a model is: precision, recall, F1 and support from gold and predicted tags.
//!
//! A [`Scorer`] takes segments one at a time (gold tags, predicted tags) and gives
//! [`Metrics`]; [`score`] does it for whole lists and [`evaluate`] runs a [`Model`] over a
//! [`LabeledSet`] first. Tags are compared as sets per segment; confidences are ignored.
//!
//! What is counted, per model type (a "unit" is what one true positive is):
//!
//! | type | `classes` | `labels` | `micro` / `macro` (headline) | `detection` | `accuracy` |
//! | --- | --- | --- | --- | --- | --- |
//! | `CLASS` | per class | — | over classes | — | — |
//! | `LABEL` | — | per label | over labels | — | share of segments whose label is right |
//! | `ABSA`, `CLASSLABEL` | per class, class found or not | per label, on (class, label) pairs | over (class, label) pairs | over classes | share of the gold tags whose class was found that got the right label |
//!
//! So `micro.f1` is always the headline ([`headline`]): CLASS micro-F1, LABEL micro-F1
//! (equal to accuracy when every segment has one gold and one predicted label), ABSA and
//! CLASSLABEL joint micro-F1. Macro averages are unweighted means of the per-unit
//! precision, recall and F1 over the units that occur in the gold or the predicted tags
//! (a class never given nor predicted has no F1 to average), their support the total.
//! A ratio with a zero denominator is 0, as in scikit-learn's `zero_division=0`.

mod counts;

pub use counts::Counts;

use std::collections::{BTreeMap, BTreeSet};

use crate::labeled::LabeledSet;
use crate::schema::{Metrics, ModelMeta, ModelType, Scores, Tag};
use crate::{Error, Model, Result};

/// Segments tagged per call to the model in [`evaluate`].
const EVAL_BATCH: usize = 256;

/// Accumulates gold and predicted tags segment by segment; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Scorer {
    model_type: ModelType,
    segments: u64,
    classes: BTreeMap<String, Counts>,
    labels: BTreeMap<String, Counts>,
    /// LABEL: segments with the right label. ABSA/CLASSLABEL: found gold classes with the
    /// right label.
    right: u64,
    /// LABEL: segments. ABSA/CLASSLABEL: found gold classes.
    asked: u64,
}

/// A tag as a comparable pair.
type Unit<'a> = (Option<&'a str>, Option<&'a str>);

impl Scorer {
    /// An empty scorer for `model_type`.
    pub fn new(model_type: ModelType) -> Self {
        Scorer {
            model_type,
            segments: 0,
            classes: BTreeMap::new(),
            labels: BTreeMap::new(),
            right: 0,
            asked: 0,
        }
    }

    /// Adds one segment. Fails when a tag lacks a part the model type needs (or has one it
    /// cannot hold); the scorer is unchanged then.
    pub fn add(&mut self, gold: &[Tag], pred: &[Tag]) -> Result<()> {
        for (which, tags) in [("gold", gold), ("predicted", pred)] {
            for t in tags {
                self.model_type.check_tag(t).map_err(|e| {
                    Error::invalid_argument(format!("{which} tag of segment {}: {}", self.segments, e.message()))
                })?;
            }
        }
        let set = |tags: &[Tag]| -> BTreeSet<(Option<String>, Option<String>)> {
            tags.iter().map(|t| (t.class.clone(), t.label.clone())).collect()
        };
        let (gold, pred) = (set(gold), set(pred));
        self.segments += 1;
        match self.model_type {
            ModelType::Class => count(&mut self.classes, &gold, &pred, |u| u.0.map(str::to_string)),
            ModelType::Label => {
                count(&mut self.labels, &gold, &pred, |u| u.1.map(str::to_string));
                self.asked += 1;
                self.right += u64::from(!gold.is_empty() && gold == pred);
            }
            ModelType::Absa | ModelType::ClassLabel => {
                let classes = |s: &BTreeSet<(Option<String>, Option<String>)>| -> BTreeSet<(Option<String>, Option<String>)> {
                    s.iter().map(|(c, _)| (c.clone(), None)).collect()
                };
                count(&mut self.classes, &classes(&gold), &classes(&pred), |u| u.0.map(str::to_string));
                count(&mut self.labels, &gold, &pred, |u| u.1.map(str::to_string));
                for g in &gold {
                    if pred.iter().any(|p| p.0 == g.0) {
                        self.asked += 1;
                        self.right += u64::from(pred.contains(g));
                    }
                }
            }
        }
        Ok(())
    }

    /// The metrics so far.
    pub fn metrics(&self) -> Metrics {
        let scores = |m: &BTreeMap<String, Counts>| -> BTreeMap<String, Scores> {
            m.iter().map(|(k, c)| (k.clone(), c.scores())).collect()
        };
        let (classes, labels) = (scores(&self.classes), scores(&self.labels));
        let headline_units = match self.model_type {
            ModelType::Class => &self.classes,
            _ => &self.labels,
        };
        let accuracy = match self.model_type {
            ModelType::Class => None,
            _ => Some(ratio(self.right, self.asked)),
        };
        let detection = match self.model_type {
            ModelType::Absa | ModelType::ClassLabel => Some(averages(&self.classes)),
            _ => None,
        };
        let headline = averages(headline_units);
        Metrics {
            classes,
            labels,
            micro_avg: Some(headline.micro),
            macro_avg: Some(headline.macro_avg),
            detection,
            accuracy,
            segments: Some(self.segments),
            ..Metrics::default()
        }
    }
}

/// Adds the per-unit counts of one segment to `map`, keyed by `key` of each unit.
fn count<F>(
    map: &mut BTreeMap<String, Counts>,
    gold: &BTreeSet<(Option<String>, Option<String>)>,
    pred: &BTreeSet<(Option<String>, Option<String>)>,
    key: F,
) where
    F: Fn(Unit<'_>) -> Option<String>,
{
    let name = |u: &(Option<String>, Option<String>)| key((u.0.as_deref(), u.1.as_deref()));
    for g in gold {
        if let Some(c) = name(g).map(|k| map.entry(k).or_default()) {
            if pred.contains(g) {
                c.tp += 1;
            } else {
                c.fn_ += 1;
            }
        }
    }
    for p in pred.difference(gold) {
        if let Some(c) = name(p).map(|k| map.entry(k).or_default()) {
            c.fp += 1;
        }
    }
}

/// Micro (pooled counts) and macro (mean of per-unit scores) over `units`.
fn averages(units: &BTreeMap<String, Counts>) -> crate::schema::Averages {
    let pooled = units.values().fold(Counts::default(), |a, c| a + *c);
    let seen: Vec<Scores> = units.values().filter(|c| c.tp + c.fp + c.fn_ > 0).map(Counts::scores).collect();
    let n = seen.len() as f64;
    let mean = |f: fn(&Scores) -> f64| if n == 0.0 { 0.0 } else { seen.iter().map(f).sum::<f64>() / n };
    let macro_ = Scores {
        precision: mean(|s| s.precision),
        recall: mean(|s| s.recall),
        f1: mean(|s| s.f1),
        support: pooled.tp + pooled.fn_,
    };
    crate::schema::Averages { micro: pooled.scores(), macro_avg: macro_ }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Metrics of `pred` against `gold`, one entry per segment in each.
pub fn score(model_type: ModelType, gold: &[Vec<Tag>], pred: &[Vec<Tag>]) -> Result<Metrics> {
    if gold.len() != pred.len() {
        return Err(Error::invalid_argument(format!(
            "{} gold segments but {} predicted; give one prediction per segment",
            gold.len(),
            pred.len()
        )));
    }
    let mut scorer = Scorer::new(model_type);
    for (g, p) in gold.iter().zip(pred) {
        scorer.add(g, p)?;
    }
    Ok(scorer.metrics())
}

/// The headline score of `metrics`: micro-F1 (joint for ABSA and CLASSLABEL).
pub fn headline(metrics: &Metrics) -> Option<f64> {
    metrics.micro_avg.map(|s| s.f1)
}

/// Tags every segment of `set` with `model` (each segment on its own) and scores the result.
///
/// Fails when the model's type is not the set's.
pub fn evaluate(model: &Model, set: &LabeledSet) -> Result<Metrics> {
    let model_type = model.meta().model_type;
    if model_type != set.model_type {
        return Err(Error::invalid_argument(format!(
            "the model is {} but the labeled data was read for {}",
            model_type.as_str(),
            set.model_type.as_str()
        )));
    }
    let mut scorer = Scorer::new(model_type);
    for chunk in set.segments.chunks(EVAL_BATCH) {
        let texts: Vec<&str> = chunk.iter().map(|s| s.text.as_str()).collect();
        let predicted = model.tag_texts(&texts)?;
        for (segment, pred) in chunk.iter().zip(&predicted) {
            scorer.add(&segment.tags, pred)?;
        }
    }
    Ok(scorer.metrics())
}

/// Writes `metrics` and its headline `score` into model metadata.
pub fn apply(meta: &mut ModelMeta, metrics: Metrics) {
    meta.score = headline(&metrics);
    meta.metrics = Some(metrics);
}

#[cfg(test)]
mod tests;
