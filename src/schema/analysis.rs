//! Analyses: the ad-hoc request and response, and the batch analysis object.
//!
//! Field names, nesting and optionality follow the seed's "Analyses" endpoints; field order
//! in the structs follows the seed's samples so that written JSON reads like them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::schema::{Class, Document, Label, ModelType, Paging};

/// The ad-hoc analysis request: `{"documents", "model_id", "split"}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnalysisRequest {
    /// The documents to analyse.
    pub documents: Vec<Document>,
    /// The model to use, by its integer id as in the seed; absent means the default model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<u64>,
    /// Whether documents are split into sentences first; the seed's default is `false`.
    #[serde(default)]
    pub split: bool,
}

/// The ad-hoc analysis response: `{"model", "documents", "type"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisResponse {
    /// The model's display name, e.g. `"Hotels Pre-Trained"`.
    pub model: String,
    /// The analysed documents, their segments tagged.
    pub documents: Vec<Document>,
    /// The model's type, which tells which parts of each tag are filled in.
    #[serde(rename = "type")]
    pub model_type: ModelType,
}

/// The status of a batch analysis.
///
/// The seed shows only `CREATED` on analysis objects and lists no enum for them; it lists
/// `CREATED, STARTED, ANNOTATING, FAILED, FINISHED, SAMPLING, PREDICTING, DELETING` for
/// sessions and `PROCESSING` on document groups, the other long-running jobs. All of them
/// are accepted so that any status the Studio writes parses; opinio itself moves an analysis
/// through `CREATED`, `PROCESSING`/`PREDICTING` and ends in `FINISHED` or `FAILED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BatchStatus {
    /// Accepted, not started.
    Created,
    /// Started.
    Started,
    /// Being annotated (sessions).
    Annotating,
    /// Documents being sampled (sessions).
    Sampling,
    /// Documents being read and segmented.
    Processing,
    /// Segments being tagged by the model.
    Predicting,
    /// Done; `finished` is set.
    Finished,
    /// Stopped on an error; `finished` is set.
    Failed,
    /// Being deleted.
    Deleting,
}

impl BatchStatus {
    /// Every status.
    pub const ALL: [BatchStatus; 9] = [
        BatchStatus::Created,
        BatchStatus::Started,
        BatchStatus::Annotating,
        BatchStatus::Sampling,
        BatchStatus::Processing,
        BatchStatus::Predicting,
        BatchStatus::Finished,
        BatchStatus::Failed,
        BatchStatus::Deleting,
    ];

    /// The wire name, e.g. `"CREATED"`.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Created => "CREATED",
            BatchStatus::Started => "STARTED",
            BatchStatus::Annotating => "ANNOTATING",
            BatchStatus::Sampling => "SAMPLING",
            BatchStatus::Processing => "PROCESSING",
            BatchStatus::Predicting => "PREDICTING",
            BatchStatus::Finished => "FINISHED",
            BatchStatus::Failed => "FAILED",
            BatchStatus::Deleting => "DELETING",
        }
    }

    /// Whether the analysis has stopped for good (`FINISHED` or `FAILED`).
    pub fn is_terminal(self) -> bool {
        matches!(self, BatchStatus::Finished | BatchStatus::Failed)
    }
}

impl fmt::Display for BatchStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A batch analysis, as the seed's list, create, retrieve and update endpoints return it.
///
/// Identity and progress (`name`, `status`, `type`, `progress`) are always present; the rest
/// is optional and left out of the JSON when absent, e.g. `finished` while running or
/// `documents` when only the summary is asked for. Timestamps stay RFC 3339 strings as given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchAnalysis {
    /// When the analysis was created, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When it finished or failed, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    /// How many documents it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_count: Option<u64>,
    /// Its UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Its integer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// Its name.
    pub name: String,
    /// Percent done, 0 to 100.
    pub progress: f64,
    /// The id of the model that analyses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<u64>,
    /// Where it stands.
    pub status: BatchStatus,
    /// The model's type.
    #[serde(rename = "type")]
    pub model_type: ModelType,
    /// A free-text description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The classes the model can assign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<Class>>,
    /// The labels the model can assign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<Label>>,
    /// The analysed documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<Document>>,
}

/// A page of analyses: the seed's "list all analysis from a model" response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisPage {
    /// The analyses on this page.
    pub analyses: Vec<BatchAnalysis>,
    /// Where the page sits in the whole list.
    #[serde(flatten)]
    pub paging: Paging,
}

/// The batch analysis create request.
///
/// The documents come either inline (`documents`) or from an uploaded file (`file_id` plus
/// `column` or `column_name`); [`BatchAnalysisRequest::validate`] checks that exactly one
/// source is given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchAnalysisRequest {
    /// The documents, when sent inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<Document>>,
    /// The analysis name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The id of a previously uploaded file (see [`FilePreview`](crate::schema::FilePreview)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    /// The 0-based index of the file's text column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The name of the file's text column or property.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column_name: Option<String>,
    /// Whether documents are split into sentences first; default `false`.
    #[serde(default)]
    pub split: bool,
    /// Whether the file's first row is a header; default `true`, as spreadsheets and CSV
    /// exports almost always have one.
    #[serde(default = "default_header_first")]
    pub header_first: bool,
}

fn default_header_first() -> bool {
    true
}

impl Default for BatchAnalysisRequest {
    fn default() -> Self {
        BatchAnalysisRequest {
            documents: None,
            name: None,
            file_id: None,
            column: None,
            column_name: None,
            split: false,
            header_first: default_header_first(),
        }
    }
}

impl BatchAnalysisRequest {
    /// Checks that the request names exactly one document source.
    ///
    /// The seed's sample sends `documents` and `file_id` together (it fills every field), so
    /// this is not applied on deserialisation, only where a request is about to run.
    pub fn validate(&self) -> Result<()> {
        match (&self.documents, &self.file_id) {
            (Some(_), Some(_)) => {
                Err(Error::invalid_argument("batch analysis has both documents and a file_id"))
            }
            (None, None) => {
                Err(Error::invalid_argument("batch analysis has neither documents nor a file_id"))
            }
            (None, Some(_)) if self.column.is_none() && self.column_name.is_none() => {
                Err(Error::invalid_argument("batch analysis from a file needs a column or column_name"))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_defaults() {
        let r: AnalysisRequest = serde_json::from_value(json!({"documents": []})).unwrap();
        assert_eq!(r.model_id, None);
        assert!(!r.split);
        let r: BatchAnalysisRequest = serde_json::from_value(json!({"file_id": "f", "column": 1})).unwrap();
        assert!(!r.split);
        assert!(r.header_first);
        assert!(r.validate().is_ok());
    }

    #[test]
    fn response_type_key() {
        let r = AnalysisResponse {
            model: "Hotels Pre-Trained".into(),
            documents: vec![],
            model_type: ModelType::Absa,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v, json!({"model": "Hotels Pre-Trained", "documents": [], "type": "ABSA"}));
    }

    #[test]
    fn batch_status_wire_names() {
        for s in BatchStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
            assert_eq!(serde_json::from_value::<BatchStatus>(json!(s.as_str())).unwrap(), s);
        }
        assert!(BatchStatus::Failed.is_terminal());
        assert!(!BatchStatus::Predicting.is_terminal());
    }

    #[test]
    fn batch_skips_absent_fields() {
        let v = json!({"name": "a", "progress": 0.0, "status": "CREATED", "type": "CLASS"});
        let b: BatchAnalysis = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(b.documents, None);
        assert_eq!(serde_json::to_value(&b).unwrap(), v);
    }

    #[test]
    fn batch_request_sources() {
        let none = BatchAnalysisRequest::default();
        assert!(none.validate().unwrap_err().message().contains("neither"));
        let both =
            BatchAnalysisRequest { documents: Some(vec![]), file_id: Some("f".into()), ..Default::default() };
        assert!(both.validate().unwrap_err().message().contains("both"));
        let no_column = BatchAnalysisRequest { file_id: Some("f".into()), ..Default::default() };
        assert!(no_column.validate().is_err());
    }
}
