//! TXT: one document per non-blank line.

use serde_json::Map;

use super::lines::{too_long, Line, LineReader};
use super::{utf8, Record, Source};
use crate::{Limits, Result};

/// A TXT file's records.
pub(crate) struct TxtRecords {
    lines: LineReader,
    max: usize,
}

impl TxtRecords {
    pub(crate) fn new(src: Source, limits: &Limits) -> Self {
        TxtRecords { lines: LineReader::new(src, limits.max_record_bytes), max: limits.max_record_bytes }
    }

    /// The next non-blank line as `(line number, text)`.
    fn next_text(&mut self) -> Option<Result<(u64, String)>> {
        loop {
            let (n, line) = match self.lines.next_line() {
                Ok(Some(l)) => l,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            let bytes = match line {
                Line::Bytes(b) => b,
                Line::TooLong(seen) => return Some(Err(too_long(seen, self.max).with_line(n))),
            };
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(utf8(bytes).map(|text| (n, text)).map_err(|e| e.with_line(n)));
        }
    }
}

impl Iterator for TxtRecords {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        Some(self.next_text()?.map(|(line, text)| Record { id: None, text, meta: Map::new(), line }))
    }
}

/// A TXT file's preview: the header `text` and the first `rows` non-blank lines.
pub(crate) fn preview(src: Source, rows: usize, limits: &Limits) -> Result<Vec<Vec<Option<String>>>> {
    let mut out = vec![vec![Some("text".to_string())]];
    let mut records = TxtRecords::new(src, limits);
    while out.len() <= rows {
        match records.next_text() {
            Some(r) => out.push(vec![Some(r?.1)]),
            None => break,
        }
    }
    Ok(out)
}
