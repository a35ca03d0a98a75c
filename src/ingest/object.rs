//! JSON and JSONL records: one JSON value each, an object or a bare string.

use serde_json::{Map, Value};

use super::{find_name, Column, IngestOptions, Record};
use crate::schema::DocId;
use crate::{Error, ErrorKind, Result};

/// How a JSON value becomes a [`Record`].
#[derive(Clone, Debug)]
pub(crate) struct ObjectMapper {
    column: Option<Column>,
}

impl ObjectMapper {
    pub(crate) fn new(column: Option<Column>) -> Self {
        ObjectMapper { column }
    }

    /// The record of `value`, which starts on `line`. Errors carry the line.
    pub(crate) fn record(&self, value: Value, line: u64) -> Result<Record> {
        self.map(value, line).map_err(|e| e.with_line(line))
    }

    fn map(&self, value: Value, line: u64) -> Result<Record> {
        let mut obj = match value {
            Value::String(text) => return Ok(Record { id: None, text, meta: Map::new(), line }),
            Value::Object(obj) => obj,
            other => {
                return Err(Error::malformed(format!(
                    "expected a json object or string, found {}",
                    kind(&other)
                )))
            }
        };
        let text_key = self.text_key(&obj)?;
        let text = match obj.shift_remove(&text_key) {
            Some(Value::String(s)) => s,
            Some(other) => {
                return Err(Error::malformed(format!(
                    "property \"{text_key}\" must be a string, found {}",
                    kind(&other)
                )))
            }
            None => return Err(Error::new(ErrorKind::Internal, format!("property \"{text_key}\" vanished"))),
        };
        let id = match obj.shift_remove("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(DocId::Str(s)),
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64().map(DocId::Int),
            Some(other) => {
                return Err(Error::malformed(format!(
                    "property \"id\" must be an integer or a string, found {other}"
                )))
            }
        };
        Ok(Record { id, text, meta: obj, line })
    }

    /// The key holding the text in `obj`.
    fn text_key(&self, obj: &Map<String, Value>) -> Result<String> {
        let keys = || obj.keys().map(String::as_str);
        let found = match &self.column {
            None => find_name(keys(), "text"),
            Some(Column::Name(name)) => find_name(keys(), name),
            Some(Column::Index(i)) => Some(*i).filter(|i| *i < obj.len()),
        };
        match found {
            Some(i) => {
                obj.keys().nth(i).cloned().ok_or_else(|| {
                    Error::new(ErrorKind::Internal, format!("property index {i} out of range"))
                })
            }
            None => {
                let wanted = match &self.column {
                    None => "property \"text\"".to_string(),
                    Some(Column::Name(name)) => format!("property \"{name}\""),
                    Some(Column::Index(i)) => format!("property {i} (0-based)"),
                };
                let have: Vec<String> = keys().map(|k| format!("\"{k}\"")).collect();
                Err(Error::malformed(format!(
                    "record has no {wanted}, its properties are: {}",
                    if have.is_empty() { "none".to_string() } else { have.join(", ") }
                )))
            }
        }
    }
}

/// What a JSON value is, for messages: `"got a string"`.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Records from a stream of `(line, JSON value)`: JSON arrays and JSONL lines alike.
pub(crate) struct ValueRecords<V> {
    values: V,
    mapper: ObjectMapper,
}

impl<V> ValueRecords<V> {
    pub(crate) fn new(values: V, opts: &IngestOptions) -> Self {
        ValueRecords { values, mapper: ObjectMapper::new(opts.column.clone()) }
    }
}

impl<V: Iterator<Item = Result<(u64, Value)>>> Iterator for ValueRecords<V> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        Some(self.values.next()?.and_then(|(line, v)| self.mapper.record(v, line)))
    }
}

/// Depth of the deepest array/object nesting in a JSON text (strings and escapes skipped).
pub(crate) fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The error for JSON nested deeper than the limit.
pub(crate) fn too_deep(seen: usize, max: usize) -> Error {
    Error::limit("json nesting depth", seen, max)
}

/// Parses one JSON value, checking its nesting depth first.
pub(crate) fn parse(bytes: &[u8], max_depth: usize) -> Result<Value> {
    let depth = json_depth(bytes);
    if depth > max_depth {
        return Err(too_deep(depth, max_depth));
    }
    parse_within_depth(bytes)
}

/// Parses one JSON value whose nesting depth the caller has already checked (the JSON
/// splitter measures it while cutting the value out).
pub(crate) fn parse_within_depth(bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| Error::malformed(format!("invalid json: {e}")))
}

/// The preview of JSON records: the union of their properties, then one row per record.
pub(crate) fn preview<I>(values: I) -> Result<Vec<Vec<Option<String>>>>
where
    I: Iterator<Item = Result<(u64, Value)>>,
{
    let mut header: Vec<String> = Vec::new();
    let mut records: Vec<Map<String, Value>> = Vec::new();
    for item in values {
        let (line, value) = item?;
        let obj = match value {
            Value::Object(obj) => obj,
            Value::String(s) => Map::from_iter([("text".to_string(), Value::String(s))]),
            other => {
                return Err(Error::malformed(format!(
                    "expected a json object or string, found {}",
                    kind(&other)
                ))
                .with_line(line))
            }
        };
        for k in obj.keys() {
            if !header.contains(k) {
                header.push(k.clone());
            }
        }
        records.push(obj);
    }
    let mut out = vec![header.iter().map(|h| Some(h.clone())).collect::<Vec<_>>()];
    for obj in records {
        out.push(header.iter().map(|h| obj.get(h).and_then(render)).collect());
    }
    Ok(out)
}

/// A JSON value as a preview cell: strings as they are, `null` as missing, the rest as JSON.
fn render(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_to_record() {
        let m = ObjectMapper::new(None);
        let r = m.record(json!({"id": 7, "text": "hi", "lang": "en"}), 3).unwrap();
        assert_eq!((r.id, r.text.as_str(), r.line), (Some(DocId::Int(7)), "hi", 3));
        assert_eq!(Value::Object(r.meta), json!({"lang": "en"}));
        let r = m.record(json!("bare"), 1).unwrap();
        assert_eq!(r.text, "bare");
        let e = m.record(json!({"body": "x"}), 4).unwrap_err();
        assert_eq!(e.line(), Some(4));
        assert!(e.message().contains("\"text\"") && e.message().contains("\"body\""), "{e}");
        let e = m.record(json!({"text": 5}), 4).unwrap_err();
        assert!(e.message().contains("must be a string"), "{e}");
    }

    #[test]
    fn column_by_index_and_name() {
        let v = json!({"a": "x", "b": "y"});
        let r = ObjectMapper::new(Some(Column::Index(1))).record(v.clone(), 1).unwrap();
        assert_eq!(r.text, "y");
        let r = ObjectMapper::new(Some(Column::Name("A".into()))).record(v, 1).unwrap();
        assert_eq!(r.text, "x");
    }

    #[test]
    fn depth() {
        assert_eq!(json_depth(br#"{"a": [1, "[[[", {"b": []}]}"#), 4);
        assert_eq!(json_depth(br#""\"[""#), 0);
    }
}
