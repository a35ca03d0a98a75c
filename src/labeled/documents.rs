//! The Studio's labeled documents: `{"text", "segments": [{"text", "span", "tags"}]}`.

use serde::Deserialize;
use serde_json::Value;

use super::check::Builder;
use super::{IssueKind, Record};
use crate::ingest::json_kind;
use crate::schema::Tag;

/// The property that marks a record as a labeled document.
pub(super) const SEGMENTS: &str = "segments";

/// A segment as given, every part optional so that one bad segment is reported, not fatal.
#[derive(Deserialize)]
struct GivenSegment {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    span: Option<[usize; 2]>,
    #[serde(default)]
    tags: Option<Vec<Tag>>,
}

/// Adds the segments of one labeled document. A segment's text is its `text`, or else the
/// document text at its `span` (code points); when both are given they must agree.
pub(super) fn add(b: &mut Builder<'_>, index: usize, mut record: Record) {
    let line = record.line;
    let segments = match record.meta.remove(SEGMENTS) {
        Some(Value::Array(items)) => items,
        Some(other) => {
            let msg = format!("\"segments\" must be an array of segments, got {}", json_kind(&other));
            b.issue(IssueKind::Unreadable, Some(line), msg);
            return;
        }
        None => Vec::new(),
    };
    if segments.is_empty() {
        b.issue(IssueKind::EmptyLabel, Some(line), "the document has no labeled segments".into());
        return;
    }
    for (n, item) in segments.into_iter().enumerate() {
        let seg: GivenSegment = match serde_json::from_value(item) {
            Ok(s) => s,
            Err(e) => {
                b.issue(IssueKind::Unreadable, Some(line), format!("segment {n}: {e}"));
                continue;
            }
        };
        let spanned = seg.span.and_then(|[s, e]| code_points(&record.text, s, e));
        if let (Some([s, e]), None) = (seg.span, &spanned) {
            let len = record.text.chars().count();
            let msg = format!("segment {n}: span [{s}, {e}] is outside the text of {len} code points");
            b.issue(IssueKind::Unreadable, Some(line), msg);
            continue;
        }
        let text = match (seg.text, spanned) {
            (Some(t), Some(at)) if t != at => {
                let msg = format!("segment {n}: its text {t:?} is not the document text at its span, {at:?}");
                b.issue(IssueKind::Unreadable, Some(line), msg);
                continue;
            }
            (Some(t), _) => t,
            (None, Some(at)) => at.to_string(),
            (None, None) => String::new(),
        };
        let Some(tags) = seg.tags else {
            b.issue(IssueKind::EmptyLabel, Some(line), format!("segment {n} has no \"tags\""));
            continue;
        };
        b.add_segment(index, line, &text, tags);
    }
}

/// `text[start..end]` in code points, when the range is valid.
fn code_points(text: &str, start: usize, end: usize) -> Option<&str> {
    if start > end {
        return None;
    }
    let mut idx = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len()));
    let from = idx.nth(start)?;
    let to = if end == start { from } else { idx.nth(end - start - 1)? };
    Some(&text[from..to])
}

#[cfg(test)]
mod tests {
    use super::code_points;

    #[test]
    fn code_point_ranges() {
        let t = "héllo wörld";
        assert_eq!(code_points(t, 0, 5), Some("héllo"));
        assert_eq!(code_points(t, 6, 11), Some("wörld"));
        assert_eq!(code_points(t, 3, 3), Some(""));
        assert_eq!(code_points(t, 6, 12), None);
        assert_eq!(code_points(t, 5, 4), None);
    }
}
