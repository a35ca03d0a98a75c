//! Flat labeled files: which column holds the text, the class (or aspect) and the label.
//!
//! The Studio's `column_mapping` (`{"text": ..., "label": ..., "class": ..., "aspect": ...}`,
//! each a column name or index). `aspect` is the ABSA word for a class, so a mapping gives
//! one or the other. A cell holds one name; a JSON array of names gives several tags.

use serde_json::Value;

use super::check::Builder;
use super::{IssueKind, Record};
use crate::ingest::{find_name, Column};
use crate::schema::{ModelType, Tag};
use crate::{Error, Result};

/// Which columns of a flat file hold the text, the class and the label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnMapping {
    /// The text column.
    pub text: Column,
    /// The class (ABSA: aspect) column.
    pub class: Option<Column>,
    /// The label column.
    pub label: Option<Column>,
}

impl ColumnMapping {
    /// A mapping with the text in `text` and no class or label yet.
    pub fn new(text: impl Into<Column>) -> Self {
        ColumnMapping { text: text.into(), class: None, label: None }
    }

    /// Sets the class (or aspect) column.
    pub fn class(mut self, column: impl Into<Column>) -> Self {
        self.class = Some(column.into());
        self
    }

    /// Sets the label column.
    pub fn label(mut self, column: impl Into<Column>) -> Self {
        self.label = Some(column.into());
        self
    }

    /// The Studio's `column_mapping` object: keys `text`, `label`, `class`, `aspect`, each a
    /// column name (string) or 0-based index (integer). `text` defaults to `"text"`.
    pub fn from_json(value: &Value) -> Result<Self> {
        let obj = value
            .as_object()
            .ok_or_else(|| Error::invalid_argument(format!("column_mapping must be an object, got {value}")))?;
        let mut mapping = ColumnMapping::new("text");
        let mut class_key = None;
        for (key, v) in obj {
            let column = match v {
                Value::String(s) => Column::Name(s.clone()),
                Value::Number(n) => match n.as_u64() {
                    Some(i) => Column::Index(usize::try_from(i).unwrap_or(usize::MAX)),
                    None => {
                        return Err(Error::invalid_argument(format!(
                            "column_mapping {key:?} is {n}, expected a column name or a 0-based index"
                        )))
                    }
                },
                other => {
                    return Err(Error::invalid_argument(format!(
                        "column_mapping {key:?} is {other}, expected a column name or a 0-based index"
                    )))
                }
            };
            match key.as_str() {
                "text" => mapping.text = column,
                "label" => mapping.label = Some(column),
                "class" | "aspect" => {
                    if let Some(first) = class_key.replace(key.as_str()) {
                        return Err(Error::invalid_argument(format!(
                            "column_mapping gives both {first:?} and {key:?}; an aspect is a class, give one"
                        )));
                    }
                    mapping.class = Some(column);
                }
                other => {
                    return Err(Error::invalid_argument(format!(
                        "unknown column_mapping key {other:?}, expected text, label, class or aspect"
                    )))
                }
            }
        }
        Ok(mapping)
    }

    /// Checks that the mapping gives what tags of `model_type` need, and nothing they cannot hold.
    pub(super) fn check(&self, model_type: ModelType) -> Result<()> {
        let name = model_type.as_str();
        let problem = match (model_type.has_classes(), &self.class, model_type.has_labels(), &self.label) {
            (true, None, ..) => Some(format!("a {name} model needs a class (or aspect) column in the column mapping")),
            (false, Some(_), ..) => Some(format!("a {name} model has no classes; remove class from the column mapping")),
            (_, _, true, None) => Some(format!("a {name} model needs a label column in the column mapping")),
            (_, _, false, Some(_)) => Some(format!("a {name} model has no labels; remove label from the column mapping")),
            _ => None,
        };
        problem.map_or(Ok(()), |p| Err(Error::invalid_argument(p)))
    }

    /// The meta keys of the class and label columns, checked against the header if any.
    pub(super) fn resolve(&self, header: Option<&[String]>) -> Result<ResolvedMapping> {
        let key = |c: &Option<Column>| -> Result<Option<String>> {
            let Some(c) = c else { return Ok(None) };
            Ok(Some(match (c, header) {
                (Column::Name(n), Some(h)) => match find_name(h.iter().map(String::as_str), n) {
                    Some(i) => h[i].clone(),
                    None => {
                        return Err(Error::invalid_argument(format!(
                            "column \"{n}\" not found, the columns are: {}",
                            h.join(", ")
                        )))
                    }
                },
                (Column::Name(n), None) => n.clone(),
                (Column::Index(i), Some(h)) => match h.get(*i) {
                    Some(name) if !name.is_empty() => name.clone(),
                    Some(_) => i.to_string(),
                    None => {
                        return Err(Error::invalid_argument(format!(
                            "column {i} is out of range, the file has {} columns",
                            h.len()
                        )))
                    }
                },
                (Column::Index(i), None) => i.to_string(),
            }))
        };
        Ok(ResolvedMapping { class: key(&self.class)?, label: key(&self.label)? })
    }
}

/// A mapping turned into the meta keys records carry.
#[derive(Clone, Debug)]
pub(super) struct ResolvedMapping {
    class: Option<String>,
    label: Option<String>,
}

impl ResolvedMapping {
    /// The record's own `class` (or `aspect`) and `label` properties, for files read without
    /// a mapping.
    pub(super) fn by_names(record: &Record) -> Self {
        let keys = || record.meta.keys().map(String::as_str);
        let find = |name: &str| find_name(keys(), name).and_then(|i| keys().nth(i)).map(str::to_string);
        ResolvedMapping { class: find("class").or_else(|| find("aspect")), label: find("label") }
    }

    /// Adds the row's tags to the builder.
    pub(super) fn add(&self, b: &mut Builder<'_>, index: usize, record: Record) {
        let mt = b.model_type();
        let line = record.line;
        let values = |key: &Option<String>| key.as_ref().map(|k| cell_names(record.meta.get(k)));
        let classes = if mt.has_classes() { values(&self.class) } else { None };
        let labels = if mt.has_labels() { values(&self.label) } else { None };
        let missing = |what: &str, key: &Option<String>| match key {
            Some(k) => format!("the {what} column {k:?} is empty"),
            None => format!("no {what} column; name one in the column mapping"),
        };
        if mt.has_classes() && classes.as_ref().is_none_or(Vec::is_empty) {
            b.issue(IssueKind::EmptyLabel, Some(line), missing("class", &self.class));
            return;
        }
        if mt.has_labels() && labels.as_ref().is_none_or(Vec::is_empty) {
            b.issue(IssueKind::EmptyLabel, Some(line), missing("label", &self.label));
            return;
        }
        let (classes, labels) = (classes.unwrap_or_default(), labels.unwrap_or_default());
        let tags: Vec<Tag> = match (mt.has_classes(), mt.has_labels()) {
            (true, false) => classes.into_iter().map(|c| tag(Some(c), None)).collect(),
            (false, _) => labels.into_iter().map(|l| tag(None, Some(l))).collect(),
            (true, true) if classes.len() == labels.len() => {
                classes.into_iter().zip(labels).map(|(c, l)| tag(Some(c), Some(l))).collect()
            }
            (true, true) => {
                let msg = format!("{} classes but {} labels on one row; pair them", classes.len(), labels.len());
                b.issue(IssueKind::InvalidTag, Some(line), msg);
                return;
            }
        };
        b.add_row(index, line, &record.text, tags);
    }
}

fn tag(class: Option<String>, label: Option<String>) -> Tag {
    Tag { class, label, confidence: None }
}

/// The names in a cell: a string, a number, or an array of those; none when empty.
fn cell_names(cell: Option<&Value>) -> Vec<String> {
    match cell {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if s.trim().is_empty() => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().flat_map(|v| cell_names(Some(v))).collect(),
        Some(other) => vec![other.to_string()],
    }
}
