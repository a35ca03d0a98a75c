//! Bounds on untrusted input, all in one place.
//!
//! Every reader checks declared or observed sizes against [`Limits`] *before* it allocates,
//! and fails with [`ErrorKind::LimitExceeded`] naming the limit, the value seen, and how to
//! raise it. The defaults are safe for files from strangers; raise them only for input you
//! trust, or use [`Limits::none`].
//!
//! Each limit is a field with the same name everywhere: in Rust (`Limits { max_pages: 20,
//! ..Limits::default() }`), on the command line (`--limit max_pages=20`) and in the C ABI's
//! and bindings' options (`"limits": {"max_pages": 20}`).

use serde::{Deserialize, Serialize};

use crate::{Error, ErrorKind, Result};

/// Size and time bounds applied to documents, files, requests and training sets. All
/// limits are strict (a value equal to the limit passes).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest single record (a CSV row, a JSONL line, a TXT line, a JSON array element), in
    /// bytes. Guards against a 50 MB single line being read into memory.
    pub max_record_bytes: usize,
    /// Largest whole input that must be held in memory at once (a `.json` file that is one
    /// object rather than an array, an XLSX sheet), in bytes.
    pub max_in_memory_bytes: u64,
    /// Largest total uncompressed size an XLSX archive may declare, in bytes (zip bombs).
    pub max_uncompressed_bytes: u64,
    /// Largest compression ratio an XLSX member may declare (zip bombs).
    pub max_compression_ratio: u64,
    /// Deepest JSON nesting accepted.
    pub max_json_depth: usize,
    /// Largest document (PDF, image, words file) read for extraction, in bytes.
    pub max_document_bytes: u64,
    /// Most pages one document may have.
    pub max_pages: usize,
    /// Most pixels one page's image may have, checked from the image header before it is
    /// decoded (decompression bombs). An A3 page at 600 dpi is 70 million. A PDF page that
    /// would be larger when rendered is rendered at a lower resolution instead.
    pub max_page_pixels: u64,
    /// Largest size a compressed PDF stream may inflate to, in bytes (flate bombs).
    pub max_pdf_stream_bytes: u64,
    /// Most glyphs one PDF page's text layer may draw.
    pub max_pdf_glyphs_per_page: usize,
    /// Longest the in-process OCR may spend reading one page, in seconds.
    pub max_ocr_seconds_per_page: u64,
    /// Most documents one analysis or sampling request may carry (a file is streamed and
    /// has no such bound).
    pub max_request_documents: usize,
    /// Most labeled segments (sentences or documents) a training set may have.
    pub max_training_segments: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record_bytes: 16 << 20,
            max_in_memory_bytes: 512 << 20,
            max_uncompressed_bytes: 512 << 20,
            max_compression_ratio: 200,
            max_json_depth: 64,
            max_document_bytes: 256 << 20,
            max_pages: 500,
            max_page_pixels: 100_000_000,
            max_pdf_stream_bytes: 256 << 20,
            max_pdf_glyphs_per_page: 1 << 20,
            max_ocr_seconds_per_page: 120,
            max_request_documents: 100_000,
            max_training_segments: 200_000,
        }
    }
}

impl Limits {
    /// No limits at all: only for input you trust.
    pub fn none() -> Self {
        Limits {
            max_record_bytes: usize::MAX,
            max_in_memory_bytes: u64::MAX,
            max_uncompressed_bytes: u64::MAX,
            max_compression_ratio: u64::MAX,
            max_json_depth: usize::MAX,
            max_document_bytes: u64::MAX,
            max_pages: usize::MAX,
            max_page_pixels: u64::MAX,
            max_pdf_stream_bytes: u64::MAX,
            max_pdf_glyphs_per_page: usize::MAX,
            max_ocr_seconds_per_page: u64::MAX,
            max_request_documents: usize::MAX,
            max_training_segments: usize::MAX,
        }
    }

    /// Sets the limit `name` (a field name, e.g. `max_pages`) to `value`, as the command
    /// line's `--limit NAME=VALUE` does. An unknown name is an error listing the known ones.
    pub fn set(&mut self, name: &str, value: u64) -> Result<()> {
        let mut fields = serde_json::to_value(&*self)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("limits do not serialise: {e}")))?;
        let known: Vec<String> = fields.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
        match fields.get_mut(name) {
            Some(slot) => *slot = value.into(),
            None => {
                return Err(Error::invalid_argument(format!(
                    "unknown limit {name:?}; the limits are {}",
                    known.join(", ")
                )))
            }
        }
        *self = serde_json::from_value(fields)
            .map_err(|e| Error::invalid_argument(format!("limit {name} = {value}: {e}")))?;
        Ok(())
    }

    /// Parses `NAME=VALUE` and applies it ([`Limits::set`]).
    pub fn set_from(&mut self, assignment: &str) -> Result<()> {
        let (name, value) = assignment
            .split_once('=')
            .ok_or_else(|| Error::invalid_argument(format!("limit {assignment:?} is not NAME=VALUE")))?;
        let value = value.trim().replace('_', "").parse::<u64>().map_err(|_| {
            Error::invalid_argument(format!("limit {name} = {value:?} is not a whole number"))
        })?;
        self.set(name.trim(), value)
    }
}

/// The error for a breach of the limit `field` ([`Limits`]' field name): `what` was `seen`,
/// more than `max`. The message says how to raise the limit.
pub(crate) fn exceeded(
    field: &str,
    what: &str,
    seen: impl std::fmt::Display,
    max: impl std::fmt::Display,
) -> Error {
    Error::new(
        ErrorKind::LimitExceeded,
        format!(
            "{what} is {seen}, limit is {max}; for input you trust, raise it with --limit {field}=N \
             (\"limits\": {{\"{field}\": N}} in the C ABI's options, Limits::{field} in Rust)"
        ),
    )
}

/// Fails with [`exceeded`] when `seen` is over `max` (limits are strict: equal passes).
pub(crate) fn at_most<T: PartialOrd + std::fmt::Display>(
    field: &str,
    what: &str,
    seen: T,
    max: T,
) -> Result<()> {
    match seen > max {
        true => Err(exceeded(field, what, seen, max)),
        false => Ok(()),
    }
}

/// A time limit started when it is made: [`Deadline::check`] fails once it has passed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    end: Option<std::time::Instant>,
    field: &'static str,
    seconds: u64,
}

impl Deadline {
    /// `seconds` from now, for the limit `field` ([`Limits`]' field name).
    pub(crate) fn after(seconds: u64, field: &'static str) -> Deadline {
        let end = std::time::Instant::now().checked_add(std::time::Duration::from_secs(seconds));
        Deadline { end, field, seconds }
    }

    /// Fails with the limit's error once the time is up; `what` names the work timed.
    pub(crate) fn check(&self, what: &str) -> Result<()> {
        match self.end {
            Some(end) if std::time::Instant::now() >= end => {
                let seconds = self.seconds;
                Err(exceeded(self.field, what, format!("over {seconds} s"), format!("{seconds} s")))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_set_by_name_and_unknown_names_are_refused() {
        let mut limits = Limits::default();
        limits.set_from("max_pages=20").unwrap();
        limits.set_from(" max_page_pixels = 1_000_000").unwrap();
        assert_eq!((limits.max_pages, limits.max_page_pixels), (20, 1_000_000));
        let e = limits.set_from("max_pagez=3").unwrap_err();
        assert!(
            e.to_string().contains("unknown limit \"max_pagez\"") && e.to_string().contains("max_pages"),
            "{e}"
        );
        assert!(limits.set_from("max_pages").is_err());
        assert!(limits.set_from("max_pages=-1").is_err());
        let from_json: Limits = serde_json::from_str(r#"{"max_pages": 7}"#).unwrap();
        assert_eq!(from_json, Limits { max_pages: 7, ..Limits::default() });
        assert!(serde_json::from_str::<Limits>(r#"{"max_pagez": 7}"#).is_err());
    }

    #[test]
    fn a_breach_says_how_to_raise_the_limit() {
        let e = exceeded("max_pages", "pdf page count", 900, 500);
        assert_eq!(e.kind(), ErrorKind::LimitExceeded);
        assert!(e.to_string().contains("pdf page count is 900, limit is 500"), "{e}");
        assert!(e.to_string().contains("--limit max_pages=N"), "{e}");
    }
}
