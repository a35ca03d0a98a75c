//! Reading class definitions for zero-shot models (`opinio train --classes FILE`).
//!
//! Accepted shapes:
//! - the seed's "Add multiple classes" request: a JSON array of Class objects
//!   `[{"name", "description", "example", "id"}]` (strings alone are names);
//! - a JSON object `{"classes": [...], "labels": [...]}` for CLASSLABEL models, whose labels
//!   are names or objects of the same shape;
//! - a CSV with a header naming `name`, `description` and `example` columns (any case).

use std::path::Path;

use serde_json::Value;

use crate::ingest::{self, Format, IngestOptions};
use crate::schema::Class;
use crate::{Error, Result};

/// Class and label definitions read from `path`.
pub fn read_definitions(path: &Path) -> Result<(Vec<Class>, Vec<Class>)> {
    let format = Format::from_path(path)?;
    match format {
        Format::Csv | Format::Xlsx => read_table(path),
        Format::Json => {
            let bytes = std::fs::read(path).map_err(|e| Error::from(e).with_path(path))?;
            let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
                Error::malformed(format!("invalid json: {e}")).with_path(path).with_line(e.line() as u64)
            })?;
            from_value(value).map_err(|e| e.with_path(path))
        }
        _ => Err(Error::invalid_argument(format!(
            "class definitions must be json or csv, not {}",
            format.as_str()
        ))
        .with_path(path)),
    }
}

fn from_value(value: Value) -> Result<(Vec<Class>, Vec<Class>)> {
    match value {
        Value::Array(items) => Ok((defs(items, "class")?, Vec::new())),
        Value::Object(mut map) => {
            let list = |v: Option<Value>, what: &str| match v {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => defs(items, what),
                Some(_) => Err(Error::malformed(format!("\"{what}es\" must be a list"))),
            };
            let classes = list(map.remove("classes"), "class")?;
            let labels = list(map.remove("labels"), "label")?;
            Ok((classes, labels))
        }
        _ => Err(Error::malformed("expected a list of classes or {\"classes\": [...], \"labels\": [...]}")),
    }
}

fn defs(items: Vec<Value>, what: &str) -> Result<Vec<Class>> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(name) => Ok(Class { name, description: None, example: None, id: None }),
            other => serde_json::from_value(other)
                .map_err(|e| Error::malformed(format!("{what} {} is not a class object: {e}", i + 1))),
        })
        .collect()
}

fn read_table(path: &Path) -> Result<(Vec<Class>, Vec<Class>)> {
    let opts = IngestOptions { header_first: true, column: Some("name".into()), ..IngestOptions::default() };
    let mut classes = Vec::new();
    for record in ingest::open(path, &opts)? {
        let record = record?;
        let text = |key: &str| {
            record
                .meta
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .and_then(|(_, v)| v.as_str())
                .map(str::to_owned)
                .filter(|s| !s.trim().is_empty())
        };
        classes.push(Class {
            name: record.text.trim().to_string(),
            description: text("description"),
            example: text("example"),
            id: None,
        });
    }
    Ok((classes, Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn seed_list_and_object_shapes() {
        let (c, l) =
            from_value(json!([{"name": "Comfort", "example": "e", "description": "d", "id": 1}, "Price"]))
                .unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].description.as_deref(), Some("d"));
        assert!(l.is_empty());
        let (c, l) = from_value(json!({"classes": ["Room"], "labels": ["good", {"name": "bad"}]})).unwrap();
        assert_eq!((c.len(), l.len()), (1, 2));
        assert!(from_value(json!({"classes": 3})).is_err());
        assert!(from_value(json!([{"description": "no name"}])).unwrap_err().to_string().contains("class 1"));
    }
}
