//! Reports people look at: one self-contained HTML file from an analysis or an extraction
//! response.
//!
//! ```
//! let analysis = serde_json::json!({"model": "restaurants", "type": "ABSA", "documents": [
//!     {"id": 1, "text": "The pasta was fresh.", "segments": [{"text": "The pasta was fresh.",
//!      "span": [0, 20], "tags": [{"class": "food", "label": "POS", "confidence": 0.91}]}]}]});
//! let html = opinio::report::render(&analysis)?;
//! assert!(html.contains(r#"data-class="food" data-label="POS" data-count="1""#));
//! # Ok::<(), opinio::Error>(())
//! ```
//!
//! An analysis report shows, per class, the tags per label as bars; their share over time
//! when documents carry a date in `meta`; the most confident segments of each class and
//! label, marked in their document; and a filterable table of every tag. An extraction
//! report shows each field's found / needs-review / missing counts, each document's fields
//! and annotated pages, and a filterable table.
//!
//! The page needs nothing but itself: styles and charts (SVG) are inline, a few lines of
//! script filter the table, images are `data:` URLs, and a Content-Security-Policy forbids
//! any fetch. Every chart rectangle carries its number in `data-count` (and what it counts in
//! `data-class`, `data-label`, `data-period`, `data-field`, `data-status`), so that tests and
//! scripts can read the numbers back.
//!
//! # Untrusted input
//!
//! Document text, ids, names and values are escaped wherever they appear: no input can add
//! markup or script to the page. Large inputs stay readable: examples are the few most
//! confident, and the table lists at most [`analysis::MAX_ROWS`] tags (the charts count all).

pub mod analysis;
mod analysis_html;
pub mod dates;
pub mod extraction;
mod extraction_html;
mod html;
mod svg;

use std::path::Path;

use serde_json::{Map, Value};

use crate::{Error, ErrorKind, Limits, Result};

pub use analysis::Analysis;
pub use extraction::Extraction;

/// Which response a report is made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The ad-hoc (or batch) analysis response: documents with tagged segments.
    Analysis,
    /// The extraction response: documents with `matches`, `bboxes` and `hitl`.
    Extraction,
}

impl Kind {
    /// `analysis` or `extraction`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Analysis => "analysis",
            Kind::Extraction => "extraction",
        }
    }

    /// What `value` is: an extraction response when it or its documents carry extraction
    /// fields (`total_credits_used`, `matches`, `hitl`), else an analysis when it has a
    /// `documents` array; `None` otherwise.
    pub fn of(value: &Value) -> Option<Kind> {
        let docs = value.get("documents")?.as_array()?;
        let extraction_doc = |d: &Value| d.get("matches").is_some() || d.get("hitl").is_some();
        if value.get("total_credits_used").is_some() || docs.iter().any(extraction_doc) {
            Some(Kind::Extraction)
        } else {
            Some(Kind::Analysis)
        }
    }
}

/// The report of `value`, an analysis or extraction response (see [`Kind::of`]), as HTML.
pub fn render(value: &Value) -> Result<String> {
    match Kind::of(value) {
        Some(Kind::Analysis) => analysis_html(value),
        Some(Kind::Extraction) => extraction_html(value),
        None => Err(Error::malformed(
            "not an analysis or extraction response: expected an object with a \"documents\" array",
        )),
    }
}

/// The report of an analysis response (`{"model", "type", "documents"}`), as HTML.
pub fn analysis_html(value: &Value) -> Result<String> {
    Ok(analysis_html::page(&Analysis::from_value(value)?))
}

/// The report of an extraction response (`{"model", "documents": [{"matches", ...}]}`), as HTML.
pub fn extraction_html(value: &Value) -> Result<String> {
    Ok(extraction_html::page(&Extraction::from_value(value)?))
}

/// Reads a response as `opinio analyze` or `opinio extract` wrote it, or as other tools do:
/// one JSON object; a JSON array of documents (or of responses); or JSON lines, each a
/// response or a document. Several responses are merged: their documents in order, the
/// other fields from the first.
pub fn parse(text: &str) -> Result<Value> {
    let mut values = Vec::new();
    for value in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        let value = value.map_err(|e| {
            Error::malformed(format!("report input is not json: {e}")).with_line(e.line() as u64)
        })?;
        match value {
            Value::Array(items) => values.extend(items),
            other => values.push(other),
        }
    }
    let mut merged: Option<Map<String, Value>> = None;
    let mut documents = Vec::new();
    for (i, value) in values.into_iter().enumerate() {
        let Value::Object(mut object) = value else {
            return Err(Error::malformed(format!("report input item {} is not a json object", i + 1)));
        };
        match object.remove("documents") {
            Some(Value::Array(docs)) => {
                documents.extend(docs);
                merged.get_or_insert(object);
            }
            Some(_) => {
                return Err(Error::malformed(format!(
                    "report input item {}: documents is not an array",
                    i + 1
                )))
            }
            // A document of its own (a JSON line of documents).
            None if ["text", "segments", "matches", "hitl"].iter().any(|k| object.contains_key(*k)) => {
                documents.push(Value::Object(object))
            }
            None => {
                return Err(Error::malformed(format!(
                    "report input item {} is neither a response (with \"documents\") nor a document \
                     (with \"text\" or \"segments\")",
                    i + 1
                )))
            }
        }
    }
    if merged.is_none() && documents.is_empty() {
        return Err(Error::malformed("report input is empty"));
    }
    let mut out = merged.unwrap_or_default();
    out.insert("documents".into(), Value::Array(documents));
    Ok(Value::Object(out))
}

/// Reads `path` (`-`: standard input) with [`parse`], within [`Limits::max_in_memory_bytes`].
pub fn read(path: &Path, limits: &Limits) -> Result<Value> {
    use std::io::Read;
    let mut text = String::new();
    let max = limits.max_in_memory_bytes;
    let result = if path == Path::new("-") {
        std::io::stdin().lock().take(max.saturating_add(1)).read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(max.saturating_add(1)).read_to_string(&mut text))
    };
    result.map_err(|e| {
        let kind =
            if e.kind() == std::io::ErrorKind::InvalidData { ErrorKind::InvalidUtf8 } else { ErrorKind::Io };
        Error::new(kind, format!("cannot read report input: {e}")).with_path(path)
    })?;
    if text.len() as u64 > max {
        return Err(
            Error::limit("report input", format!("over {max} bytes"), format!("{max} bytes")).with_path(path)
        );
    }
    parse(&text).map_err(|e| e.with_path(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn detects_the_kind() {
        assert_eq!(Kind::of(&json!({"documents": [{"text": "a", "segments": []}]})), Some(Kind::Analysis));
        assert_eq!(Kind::of(&json!({"documents": [{"name": "a", "matches": []}]})), Some(Kind::Extraction));
        assert_eq!(Kind::of(&json!({"total_credits_used": 0, "documents": []})), Some(Kind::Extraction));
        assert_eq!(Kind::of(&json!({"text": "a"})), None);
        assert!(render(&json!([1, 2])).unwrap_err().to_string().contains("\"documents\" array"));
    }

    #[test]
    fn reads_objects_arrays_and_json_lines() {
        let one = parse(r#"{"model": "m", "type": "ABSA", "documents": [{"text": "a"}]}"#).unwrap();
        assert_eq!(one, json!({"model": "m", "type": "ABSA", "documents": [{"text": "a"}]}));
        let lines = parse("{\"model\": \"m\", \"documents\": [{\"text\": \"a\"}]}\n{\"model\": \"n\", \"documents\": [{\"text\": \"b\"}]}\n").unwrap();
        assert_eq!(lines, json!({"model": "m", "documents": [{"text": "a"}, {"text": "b"}]}));
        let docs = parse("{\"text\": \"a\"}\n{\"text\": \"b\"}").unwrap();
        assert_eq!(docs, json!({"documents": [{"text": "a"}, {"text": "b"}]}));
        assert_eq!(parse(r#"[{"text": "a"}]"#).unwrap(), json!({"documents": [{"text": "a"}]}));
        let classes = r#"[{"name": "food", "description": "d", "example": "e"}]"#;
        for bad in ["", "  ", "{", "[1]", r#"{"documents": 3}"#, classes] {
            assert_eq!(parse(bad).unwrap_err().kind(), ErrorKind::Malformed, "{bad:?}");
        }
        assert_eq!(parse("{\n\"a\": }").unwrap_err().line(), Some(2));
    }
}
