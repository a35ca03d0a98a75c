//! The held-out score of a trained model: tag-level counts turned into the manifest's
//! `score` and `metrics`.
//!
//! A tag is a (class, label) pair (class only for CLASS, label only for LABEL). Detection
//! counts classes regardless of label; joint counts a tag right only when both match. The
//! headline `score` is the joint micro-F1 (detection micro-F1 for CLASS, accuracy for LABEL).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map};

use crate::schema::{Metrics, ModelType, Scores as Prf, Tag};

/// What a model scored on an evaluation set.
#[derive(Clone, Debug, PartialEq)]
pub struct Scores {
    /// Class detection, micro-averaged.
    pub detection: Prf,
    /// (class, label) tags, micro-averaged (= accuracy for LABEL models).
    pub joint: Prf,
    /// The headline number (see the module doc).
    pub score: f64,
    /// Per class and per label, micro and macro, as the manifest carries them.
    pub metrics: Metrics,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: u64,
    fp: u64,
    fn_: u64,
}

impl Counts {
    fn prf(self) -> Prf {
        Prf::from_counts(self.tp, self.fp, self.fn_)
    }
}

fn key(t: &Tag) -> (String, String) {
    (t.class.clone().unwrap_or_default(), t.label.clone().unwrap_or_default())
}

/// Counts `predicted` against `gold` one segment at a time and adds them up.
fn count<K: Ord + Clone>(gold: &BTreeSet<K>, pred: &BTreeSet<K>, by: impl Fn(&K) -> String, table: &mut BTreeMap<String, Counts>, total: &mut Counts) {
    for k in pred {
        let c = table.entry(by(k)).or_default();
        if gold.contains(k) {
            c.tp += 1;
            total.tp += 1;
        } else {
            c.fp += 1;
            total.fp += 1;
        }
    }
    for k in gold.difference(pred) {
        table.entry(by(k)).or_default().fn_ += 1;
        total.fn_ += 1;
    }
}

impl Scores {
    /// Scores `predicted` tags against `gold` tags, segment by segment.
    pub fn compute(model_type: ModelType, gold: &[Vec<Tag>], predicted: &[Vec<Tag>]) -> Scores {
        let (mut per_class, mut per_label) = (BTreeMap::new(), BTreeMap::new());
        let (mut detection, mut joint, mut label_total) = (Counts::default(), Counts::default(), Counts::default());
        let mut unused = BTreeMap::new();
        for (g, p) in gold.iter().zip(predicted) {
            let gj: BTreeSet<(String, String)> = g.iter().map(key).collect();
            let pj: BTreeSet<(String, String)> = p.iter().map(key).collect();
            let gc: BTreeSet<String> = gj.iter().map(|k| k.0.clone()).collect();
            let pc: BTreeSet<String> = pj.iter().map(|k| k.0.clone()).collect();
            count(&gc, &pc, |c| c.clone(), &mut per_class, &mut detection);
            count(&gj, &pj, |k| k.1.clone(), &mut per_label, &mut label_total);
            count(&gj, &pj, |k| k.0.clone(), &mut unused, &mut joint);
        }
        let classes: BTreeMap<String, Prf> = if model_type == ModelType::Label {
            BTreeMap::new()
        } else {
            per_class.into_iter().map(|(k, c)| (k, c.prf())).collect()
        };
        let labels: BTreeMap<String, Prf> = if model_type == ModelType::Class {
            BTreeMap::new()
        } else {
            per_label.into_iter().map(|(k, c)| (k, c.prf())).collect()
        };
        let micro = if model_type == ModelType::Class { detection.prf() } else { joint.prf() };
        let all: Vec<&Prf> = classes.values().chain(labels.values()).collect();
        let n = all.len().max(1) as f64;
        let macro_avg = Prf {
            precision: all.iter().map(|s| s.precision).sum::<f64>() / n,
            recall: all.iter().map(|s| s.recall).sum::<f64>() / n,
            f1: all.iter().map(|s| s.f1).sum::<f64>() / n,
            support: micro.support,
        };
        let mut extra = Map::new();
        extra.insert("detection".into(), json!(detection.prf()));
        extra.insert("joint".into(), json!(joint.prf()));
        let metrics = Metrics { classes, labels, micro_avg: Some(micro), macro_avg: Some(macro_avg), extra };
        Scores { detection: detection.prf(), joint: joint.prf(), score: micro.f1, metrics }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(c: &str, l: &str) -> Tag {
        Tag { class: Some(c.into()), label: Some(l.into()), confidence: None }
    }

    #[test]
    fn hand_made_confusion() {
        // Gold: {food POS, service NEG}, {price NEU}. Predicted: {food POS, service POS}, {}.
        let gold = vec![vec![tag("food", "POS"), tag("service", "NEG")], vec![tag("price", "NEU")]];
        let pred = vec![vec![tag("food", "POS"), tag("service", "POS")], vec![]];
        let s = Scores::compute(ModelType::Absa, &gold, &pred);
        // Detection: tp 2 (food, service), fp 0, fn 1 (price).
        assert_eq!(s.detection, Prf::from_counts(2, 0, 1));
        // Joint: tp 1 (food POS), fp 1 (service POS), fn 2 (service NEG, price NEU).
        assert_eq!(s.joint, Prf::from_counts(1, 1, 2));
        assert!((s.score - 0.4).abs() < 1e-9, "{}", s.score);
        assert_eq!(s.metrics.classes["price"].recall, 0.0);
        assert_eq!(s.metrics.labels["POS"], Prf::from_counts(1, 1, 0));
    }
}
