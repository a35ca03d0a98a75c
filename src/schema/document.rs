//! Documents, their segments and the tags on them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A document id, kept exactly as given: an integer or a string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DocId {
    /// An integer id, e.g. `18000`.
    Int(i64),
    /// A string id, e.g. `"r-17"`.
    Str(String),
}

/// A document: `{"id", "text", "meta", "segments"}`.
///
/// `id`, `meta` and `segments` are left out of the JSON when absent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// The caller's id, kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<DocId>,
    /// The document text.
    pub text: String,
    /// The other columns or properties of the source record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Map<String, Value>>,
    /// The document's segments, when it has been segmented or analysed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<Vec<Segment>>,
}

/// A segment: `{"text", "span": [start, end], "tags"}`.
///
/// `span` is a half-open range of Unicode code points of the document text, so that
/// `doc.text[start:end] == segment.text` in Python terms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// The segment text, exactly the spanned part of the document text.
    pub text: String,
    /// `[start, end)` in code points of the document text.
    pub span: [usize; 2],
    /// Tags, when the segment has been analysed; absent after segmentation alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

/// A tag on a segment: `{"class", "label", "confidence"}`, each part optional by model type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// The class (aspect category for ABSA); absent for LABEL models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// The label (`POS`/`NEG`/`NEU`/`CON` for ABSA); absent for CLASS models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// How sure the model is, in `[0, 1]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
}

/// The seed's upload response: `{"id", "preview": [[header...], [row...]]}`, missing cells `null`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePreview {
    /// The file's id: a UUID derived from its content, so the same file gets the same id.
    pub id: String,
    /// The first rows, header row first, each cell a string or `null`.
    pub preview: Vec<Vec<Option<String>>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tag_skips_missing_parts() {
        let class_only = Tag { class: Some("Comfort".into()), label: None, confidence: None };
        assert_eq!(serde_json::to_value(&class_only).unwrap(), json!({"class": "Comfort"}));
        let label_only = Tag { class: None, label: Some("POS".into()), confidence: Some(0.5) };
        assert_eq!(serde_json::to_value(&label_only).unwrap(), json!({"label": "POS", "confidence": 0.5}));
        let empty = Tag { class: None, label: None, confidence: None };
        assert_eq!(serde_json::to_value(&empty).unwrap(), json!({}));
        let back: Tag = serde_json::from_value(json!({"label": "NEG"})).unwrap();
        assert_eq!(back, Tag { class: None, label: Some("NEG".into()), confidence: None });
    }

    #[test]
    fn doc_id_keeps_int_or_string() {
        let int: DocId = serde_json::from_value(json!(18000)).unwrap();
        assert_eq!(int, DocId::Int(18000));
        assert_eq!(serde_json::to_value(&int).unwrap(), json!(18000));
        let digits: DocId = serde_json::from_value(json!("18000")).unwrap();
        assert_eq!(digits, DocId::Str("18000".into()));
        assert_eq!(serde_json::to_value(&digits).unwrap(), json!("18000"));
        assert!(serde_json::from_value::<DocId>(json!(1.5)).is_err());
    }

    #[test]
    fn segment_without_tags_has_no_tags_key() {
        let s = Segment { text: "Segment 1".into(), span: [0, 9], tags: None };
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v, json!({"text": "Segment 1", "span": [0, 9]}));
        assert!(v.get("tags").is_none());
        let with_empty = Segment { tags: Some(vec![]), ..s };
        assert_eq!(serde_json::to_value(&with_empty).unwrap()["tags"], json!([]));
    }

    #[test]
    fn document_skips_absent_fields() {
        let d = Document { text: "Document 1".into(), ..Document::default() };
        assert_eq!(serde_json::to_value(&d).unwrap(), json!({"text": "Document 1"}));
    }
}
