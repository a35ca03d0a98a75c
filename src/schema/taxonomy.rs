//! What a model can say about a segment: its type, its classes and its labels.
//!
//! The model type decides which half of a [`Tag`] is filled in (`CONTRACT.md` section 1), so
//! the rule lives here, next to the type, rather than in every caller that builds tags.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::schema::Tag;

/// The fixed labels of an `ABSA` model: the sentiment towards an aspect.
///
/// ABSA labels are not user-defined (the seed: "You cannot add labels to an ABSA project"),
/// so they are constants rather than data.
pub mod sentiment {
    /// Positive.
    pub const POS: &str = "POS";
    /// Negative.
    pub const NEG: &str = "NEG";
    /// Neutral.
    pub const NEU: &str = "NEU";
    /// Conflict: positive and negative about the same aspect.
    pub const CON: &str = "CON";
    /// Every ABSA label, in the order above.
    pub const ALL: [&str; 4] = [POS, NEG, NEU, CON];

    /// Whether `label` is one of the ABSA labels (exact, upper case, as on the wire).
    pub fn is_sentiment(label: &str) -> bool {
        ALL.contains(&label)
    }
}

/// A class: `{"name", "example", "description", "id"}`.
///
/// Only `name` is required: the seed's create requests may leave out the id (the store assigns
/// it) and the annotator hints. Absent fields are left out of the JSON, not written as `null`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Class {
    /// The class name as it appears in tags, e.g. `"Comfort"`.
    pub name: String,
    /// A usage example for annotators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// A description to help annotators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The class id, once stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
}

impl Class {
    /// A class with only a name.
    pub fn new(name: impl Into<String>) -> Self {
        Class { name: name.into(), ..Class::default() }
    }
}

/// A label: `{"id", "name"}`.
///
/// `id` is optional because the seed's "add a new label" request sends only `{"name"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// The label id, once stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// The label name as it appears in tags, e.g. `"POS"`.
    pub name: String,
}

impl Label {
    /// A label with only a name.
    pub fn new(name: impl Into<String>) -> Self {
        Label { id: None, name: name.into() }
    }
}

/// The kind of model, serialised exactly as the seed writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ModelType {
    /// Aspect-based sentiment: a class (aspect) and a fixed sentiment label per tag.
    #[serde(rename = "ABSA")]
    Absa,
    /// Classes only; a segment may carry several.
    #[serde(rename = "CLASS")]
    Class,
    /// One user-defined label per segment, no class.
    #[serde(rename = "LABEL")]
    Label,
    /// A class and a user-defined label per tag.
    #[serde(rename = "CLASSLABEL")]
    ClassLabel,
}

impl ModelType {
    /// Every model type.
    pub const ALL: [ModelType; 4] =
        [ModelType::Absa, ModelType::Class, ModelType::Label, ModelType::ClassLabel];

    /// The wire name: `"ABSA"`, `"CLASS"`, `"LABEL"` or `"CLASSLABEL"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelType::Absa => "ABSA",
            ModelType::Class => "CLASS",
            ModelType::Label => "LABEL",
            ModelType::ClassLabel => "CLASSLABEL",
        }
    }

    /// Whether tags of this type carry a `class`.
    pub fn has_classes(self) -> bool {
        !matches!(self, ModelType::Label)
    }

    /// Whether tags of this type carry a `label`.
    pub fn has_labels(self) -> bool {
        !matches!(self, ModelType::Class)
    }

    /// Whether the user defines the labels (`LABEL`, `CLASSLABEL`); ABSA's are [`sentiment`].
    pub fn user_labels(self) -> bool {
        matches!(self, ModelType::Label | ModelType::ClassLabel)
    }

    /// Checks that `tag` has exactly the parts this type calls for, and for `ABSA` that its
    /// label is one of [`sentiment::ALL`].
    ///
    /// Used on labeled training data and on model output, so a CLASS tag with a stray label
    /// is caught at the boundary instead of being silently trained on.
    pub fn check_tag(self, tag: &Tag) -> Result<()> {
        let name = self.as_str().to_ascii_lowercase();
        match (self.has_classes(), &tag.class) {
            (true, None) => return Err(Error::invalid_argument(format!("{name} tag has no class"))),
            (false, Some(c)) => return Err(Error::invalid_argument(format!("{name} tag has a class `{c}`"))),
            _ => {}
        }
        match (self.has_labels(), &tag.label) {
            (true, None) => Err(Error::invalid_argument(format!("{name} tag has no label"))),
            (false, Some(l)) => Err(Error::invalid_argument(format!("{name} tag has a label `{l}`"))),
            (true, Some(l)) if self == ModelType::Absa && !sentiment::is_sentiment(l) => {
                Err(Error::invalid_argument(format!("absa label `{l}` is not one of POS, NEG, NEU, CON")))
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for ModelType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ModelType {
    type Err = Error;

    /// Parses the wire names case-insensitively (`absa`, `ClassLabel`, ...).
    fn from_str(s: &str) -> Result<Self> {
        ModelType::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
            Error::invalid_argument(format!(
                "unknown model type `{s}`, expected absa, class, label or classlabel"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    fn tag(class: Option<&str>, label: Option<&str>) -> Tag {
        Tag { class: class.map(Into::into), label: label.map(Into::into), confidence: None }
    }

    #[test]
    fn model_type_wire_names() {
        for t in ModelType::ALL {
            assert_eq!(serde_json::to_value(t).unwrap(), json!(t.as_str()));
            assert_eq!(serde_json::from_value::<ModelType>(json!(t.as_str())).unwrap(), t);
            assert_eq!(t.to_string(), t.as_str());
        }
        assert_eq!(serde_json::to_string(&ModelType::ClassLabel).unwrap(), "\"CLASSLABEL\"");
    }

    #[test]
    fn model_type_parses_case_insensitively() {
        assert_eq!("absa".parse::<ModelType>().unwrap(), ModelType::Absa);
        assert_eq!("Class".parse::<ModelType>().unwrap(), ModelType::Class);
        assert_eq!("label".parse::<ModelType>().unwrap(), ModelType::Label);
        assert_eq!("ClassLabel".parse::<ModelType>().unwrap(), ModelType::ClassLabel);
    }

    #[test]
    fn model_type_parse_errors() {
        for bad in ["", "sentiment", "class_label", "ABSA2"] {
            let err = bad.parse::<ModelType>().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            let msg = err.to_string();
            assert!(msg.contains("unknown model type"), "{msg}");
        }
        // serde stays strict: the wire is upper case only.
        assert!(serde_json::from_value::<ModelType>(json!("absa")).is_err());
    }

    #[test]
    fn class_skips_absent_fields() {
        assert_eq!(serde_json::to_value(Class::new("Comfort")).unwrap(), json!({"name": "Comfort"}));
        let c: Class = serde_json::from_value(json!({"name": "Staff", "id": 3})).unwrap();
        assert_eq!(c.id, Some(3));
        assert_eq!(c.example, None);
    }

    #[test]
    fn label_without_id() {
        assert_eq!(serde_json::to_value(Label::new("POS")).unwrap(), json!({"name": "POS"}));
        let l: Label = serde_json::from_value(json!({"id": 1, "name": "POS"})).unwrap();
        assert_eq!(l, Label { id: Some(1), name: "POS".into() });
    }

    #[test]
    fn tag_shape_by_model_type() {
        assert!(ModelType::Absa.check_tag(&tag(Some("Comfort"), Some(sentiment::CON))).is_ok());
        assert!(ModelType::Absa.check_tag(&tag(Some("Comfort"), Some("GOOD"))).is_err());
        assert!(ModelType::Absa.check_tag(&tag(None, Some("POS"))).is_err());
        assert!(ModelType::Class.check_tag(&tag(Some("Comfort"), None)).is_ok());
        assert!(ModelType::Class.check_tag(&tag(Some("Comfort"), Some("POS"))).is_err());
        assert!(ModelType::Label.check_tag(&tag(None, Some("Urgent"))).is_ok());
        assert!(ModelType::Label.check_tag(&tag(Some("Comfort"), Some("Urgent"))).is_err());
        assert!(ModelType::ClassLabel.check_tag(&tag(Some("Staff"), Some("TBD"))).is_ok());
        let err = ModelType::ClassLabel.check_tag(&tag(Some("Staff"), None)).unwrap_err();
        assert_eq!(err.to_string(), "classlabel tag has no label");
    }
}
