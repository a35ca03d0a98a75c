//! JSONL: one JSON record per line; blank lines are skipped, a broken line is an `Err` item
//! and reading goes on with the next.

use serde_json::Value;

use super::lines::LineReader;
use super::object;
use super::Source;
use crate::{Limits, Result};

/// A JSONL file's values with their line numbers.
pub(crate) struct JsonlValues {
    lines: LineReader,
    max_depth: usize,
}

impl JsonlValues {
    pub(crate) fn new(src: Source, limits: &Limits) -> Self {
        JsonlValues { lines: LineReader::new(src, limits.max_record_bytes), max_depth: limits.max_json_depth }
    }
}

impl Iterator for JsonlValues {
    type Item = Result<(u64, Value)>;

    fn next(&mut self) -> Option<Self::Item> {
        let parsed = self.lines.next_text()?.and_then(|(n, text)| {
            object::parse(text.as_bytes(), self.max_depth).map(|v| (n, v)).map_err(|e| e.with_line(n))
        });
        Some(parsed)
    }
}
