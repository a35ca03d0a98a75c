//! TXT: one document per non-blank line.

use serde_json::Map;

use super::lines::LineReader;
use super::{Record, Source};
use crate::{Limits, Result};

/// A TXT file's records.
pub(crate) struct TxtRecords {
    lines: LineReader,
}

impl TxtRecords {
    pub(crate) fn new(src: Source, limits: &Limits) -> Self {
        TxtRecords { lines: LineReader::new(src, limits.max_record_bytes) }
    }
}

impl Iterator for TxtRecords {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        Some(self.lines.next_text()?.map(|(line, text)| Record { id: None, text, meta: Map::new(), line }))
    }
}

/// A TXT file's preview: the header `text` and the first `rows` non-blank lines.
pub(crate) fn preview(src: Source, rows: usize, limits: &Limits) -> Result<Vec<Vec<Option<String>>>> {
    let mut out = vec![vec![Some("text".to_string())]];
    let mut records = TxtRecords::new(src, limits);
    while out.len() <= rows {
        match records.lines.next_text() {
            Some(r) => out.push(vec![Some(r?.1)]),
            None => break,
        }
    }
    Ok(out)
}
