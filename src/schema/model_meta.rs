//! Model metadata: what a model is, how good it is, and what it can say.
//!
//! Field names follow the seed's "Models" endpoints, which all return the same object; the
//! project-scoped retrieve adds `demoset`, `metrics`, `classes` and `labels`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::schema::{Document, ModelType, Paging};
use crate::Language;

/// The lifecycle of a model, as the seed's enum lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ModelStatus {
    /// Defined, not yet trained.
    Created,
    /// Waiting to be trained.
    Queued,
    /// Being trained.
    Training,
    /// Training failed.
    Failed,
    /// Trained and usable.
    Ready,
    /// Trained and in use.
    Active,
    /// Trained and shared beyond its project.
    Published,
}

impl ModelStatus {
    /// Every status.
    pub const ALL: [ModelStatus; 7] = [
        ModelStatus::Created,
        ModelStatus::Queued,
        ModelStatus::Training,
        ModelStatus::Failed,
        ModelStatus::Ready,
        ModelStatus::Active,
        ModelStatus::Published,
    ];

    /// The wire name, e.g. `"READY"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelStatus::Created => "CREATED",
            ModelStatus::Queued => "QUEUED",
            ModelStatus::Training => "TRAINING",
            ModelStatus::Failed => "FAILED",
            ModelStatus::Ready => "READY",
            ModelStatus::Active => "ACTIVE",
            ModelStatus::Published => "PUBLISHED",
        }
    }

    /// Whether the model can analyse (`READY`, `ACTIVE`, `PUBLISHED`).
    pub fn is_usable(self) -> bool {
        matches!(self, ModelStatus::Ready | ModelStatus::Active | ModelStatus::Published)
    }
}

impl fmt::Display for ModelStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Precision, recall, F1 and support of one class, one label or one average.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Of the predicted tags, the share that is right, in `[0, 1]`.
    pub precision: f64,
    /// Of the true tags, the share that was predicted, in `[0, 1]`.
    pub recall: f64,
    /// The harmonic mean of precision and recall, in `[0, 1]`.
    pub f1: f64,
    /// How many true tags the test set holds.
    pub support: u64,
}

impl Scores {
    /// Scores from true-positive, false-positive and false-negative counts.
    ///
    /// A ratio with a zero denominator is `0`, as in scikit-learn's `zero_division=0`.
    pub fn from_counts(tp: u64, fp: u64, fn_: u64) -> Self {
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let precision = ratio(tp, tp + fp);
        let recall = ratio(tp, tp + fn_);
        let f1 =
            if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        Scores { precision, recall, f1, support: tp + fn_ }
    }
}

/// A model's test-set metrics.
///
/// The seed shows `metrics` only as an empty object (`"metrics": { }`) and documents no keys,
/// so the shape is opinio's: per-class and per-label [`Scores`] plus micro and macro
/// averages, every part left out when empty so that `{}` round-trips. Keys opinio does not
/// know (metrics written by the Studio or a newer opinio) are kept in `extra` and written
/// back unchanged, rather than making `metrics` an untyped `Value` that every reader would
/// have to pick apart.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Scores per class name (CLASS, CLASSLABEL, and ABSA aspects).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub classes: BTreeMap<String, Scores>,
    /// Scores per label name (LABEL, CLASSLABEL, and ABSA sentiments).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, Scores>,
    /// Micro average: counts pooled over all classes and labels.
    #[serde(rename = "micro", default, skip_serializing_if = "Option::is_none")]
    pub micro_avg: Option<Scores>,
    /// Macro average: the unweighted mean over classes and labels.
    #[serde(rename = "macro", default, skip_serializing_if = "Option::is_none")]
    pub macro_avg: Option<Scores>,
    /// ABSA and CLASSLABEL: micro and macro averages of class detection alone, whatever the
    /// label (the headline `micro`/`macro` are over (class, label) pairs there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection: Option<Averages>,
    /// LABEL: the share of segments with the right label. ABSA and CLASSLABEL: of the gold
    /// tags whose class was found, the share with the right label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// How many segments were scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<u64>,
    /// Any other keys, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A micro and a macro average.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Averages {
    /// Counts pooled over the units.
    pub micro: Scores,
    /// The unweighted mean of the units' scores.
    #[serde(rename = "macro")]
    pub macro_avg: Scores,
}

impl Metrics {
    /// Whether no metric is recorded, as in the seed's `{}`.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
            && self.labels.is_empty()
            && self.micro_avg.is_none()
            && self.macro_avg.is_none()
            && self.detection.is_none()
            && self.accuracy.is_none()
            && self.segments.is_none()
            && self.extra.is_empty()
    }
}

/// Model metadata, as the seed's model endpoints return it.
///
/// What identifies and describes a model (`name`, `display_name`, `uuid`, `language`,
/// `status`, `type`) is required; everything else is optional and left out when absent,
/// since the seed's list endpoints omit `demoset`, `metrics`, `classes` and `labels`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// The name of the model this one was trained from, e.g. `"Hotel Pre-Trained"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// When it was created, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The friendly name shown to users and in ad-hoc responses.
    pub display_name: String,
    /// Its UUID.
    pub uuid: String,
    /// Its integer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// The language it analyses.
    pub language: Language,
    /// A longer description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_description: Option<String>,
    /// The internal name, unique within a workspace.
    pub name: String,
    /// Who owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Training progress, 0 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<f64>,
    /// The project it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<u64>,
    /// Its overall test score, in `[0, 1]`; set by training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// A short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_description: Option<String>,
    /// Where it stands in its lifecycle.
    pub status: ModelStatus,
    /// What kind of tags it produces.
    #[serde(rename = "type")]
    pub model_type: ModelType,
    /// Example documents, analysed, to show what the model does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demoset: Option<Vec<Document>>,
    /// Test-set metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
    /// The class names it can assign. Names only: the seed's model object lists strings here,
    /// unlike the batch analysis, which lists full [`Class`](crate::schema::Class) objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<String>>,
    /// The label names it can assign, names only as for `classes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
}

/// A page of models: the seed's "list all models of a user" response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelPage {
    /// The models on this page.
    pub models: Vec<ModelMeta>,
    /// Where the page sits in the whole list.
    #[serde(flatten)]
    pub paging: Paging,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_metrics_round_trip() {
        let m: Metrics = serde_json::from_value(json!({})).unwrap();
        assert!(m.is_empty());
        assert_eq!(serde_json::to_value(&m).unwrap(), json!({}));
    }

    #[test]
    fn typed_metrics_and_unknown_keys() {
        let v = json!({
            "classes": {"Comfort": {"precision": 0.5, "recall": 1.0, "f1": 0.75, "support": 4}},
            "macro": {"precision": 0.5, "recall": 1.0, "f1": 0.75, "support": 4},
            "kappa": 0.9
        });
        let m: Metrics = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(m.classes["Comfort"].support, 4);
        assert_eq!(m.macro_avg.unwrap().f1, 0.75);
        assert_eq!(m.extra["kappa"], json!(0.9));
        assert_eq!(serde_json::to_value(&m).unwrap(), v);
    }

    #[test]
    fn scores_from_counts() {
        let s = Scores::from_counts(3, 1, 3);
        assert_eq!(s.precision, 0.75);
        assert_eq!(s.recall, 0.5);
        assert!((s.f1 - 0.6).abs() < 1e-12);
        assert_eq!(s.support, 6);
        assert_eq!(Scores::from_counts(0, 0, 0), Scores::default());
    }

    #[test]
    fn model_status_wire_names() {
        for s in ModelStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
        }
        assert!(ModelStatus::Ready.is_usable());
        assert!(!ModelStatus::Training.is_usable());
    }

    #[test]
    fn minimal_model_skips_absent_fields() {
        let v = json!({
            "display_name": "Hotels", "uuid": "u", "language": "de", "name": "hotels",
            "status": "READY", "type": "CLASS"
        });
        let m: ModelMeta = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(m.language, Language::De);
        assert_eq!(serde_json::to_value(&m).unwrap(), v);
    }
}
