//! Files: `opinio_analyze_batch` (a file's documents analysed with progress and
//! cancellation) and `opinio_preview`.
//!
//! The batch goes through [`batch::run`], the same streaming runner as the command line,
//! so progress comes after every chunk and a cancel stops within one chunk. The answer is
//! built in memory, because a C caller wants one JSON string back; the input is still read
//! as a stream.

use std::ffi::{c_char, c_void};
use std::path::Path;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::model::{model_arg, OpinioModel};
use super::panic::guard;
use super::status::{FfiError, OpinioStatus};
use super::{arg_str, opt_arg_str, out_ptr, parse_json, put_json, put_string};
use crate::analysis::batch::{self, BatchOptions, Progress};
use crate::control::Control;
use crate::ingest::{self, Column, IngestOptions};
use crate::schema::{Document, DocumentsWriter};
use crate::{Limits, Model};

/// Progress callback of `opinio_analyze_batch`: `percent` (0-100) and `done` (records
/// handled so far, analysed or unreadable); return 0 to go on, non-zero to cancel.
///
/// Called on the thread that called `opinio_analyze_batch`, before the first chunk and
/// after each one. It must not unwind (throw) into opinio.
pub type OpinioProgressFn =
    Option<unsafe extern "C" fn(percent: f64, done: u64, user_data: *mut c_void) -> i32>;

/// The rows shown by `opinio_preview`, as the Studio's upload preview.
const PREVIEW_ROWS: usize = 5;

/// `options_json` of `opinio_analyze_batch`. Unknown keys are refused, so a misspelt option
/// is an error rather than silently ignored.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileOptions {
    split: bool,
    column: Option<usize>,
    column_name: Option<String>,
    header_first: bool,
    meta: bool,
    chunk_size: Option<usize>,
}

impl FileOptions {
    fn ingest(&self) -> Result<IngestOptions, FfiError> {
        let column = match (self.column, &self.column_name) {
            (Some(_), Some(_)) => {
                return Err(FfiError::new(
                    OpinioStatus::InvalidArgument,
                    "options give both `column` and `column_name`, pick one",
                ))
            }
            (Some(i), None) => Some(Column::Index(i)),
            (None, Some(name)) => Some(Column::Name(name.clone())),
            (None, None) => None,
        };
        // A column chosen by name implies a header row, as on the command line.
        let header_first = self.header_first || self.column_name.is_some();
        Ok(IngestOptions { column, header_first, limits: Limits::default(), format: None })
    }
}

/// Analyses every document of the file at `path` (CSV, TXT, JSON, JSONL or XLSX).
///
/// `options_json` may be NULL (defaults) or
/// `{"split": false, "column": 0, "column_name": "text", "header_first": false,
///   "meta": false, "chunk_size": 256}`: `split` segments documents into sentences;
/// `column`/`column_name` choose the text column (a name implies `header_first`);
/// `meta` keeps a record's other columns; `chunk_size` is how many documents are analysed
/// between progress calls. Unknown keys are an error.
///
/// `progress` may be NULL. Otherwise it is called with `user_data` before the first chunk
/// and after each one; returning non-zero cancels the batch, which then fails with
/// `OPINIO_STATUS_CANCELLED`.
///
/// On success `*out_json` receives the ad-hoc response shape
/// `{"model", "type", "documents": [...]}`, plus `"errors": [{"line", "message"}]` when
/// some records could not be read (the others are still analysed). Free it with
/// `opinio_string_free`.
///
/// Errors: `OPINIO_STATUS_NULL_ARGUMENT`, `OPINIO_STATUS_INVALID_UTF8_ARGUMENT`,
/// `OPINIO_STATUS_MALFORMED` (bad options), `OPINIO_STATUS_INVALID_ARGUMENT`,
/// `OPINIO_STATUS_IO`, `OPINIO_STATUS_UNSUPPORTED` (file type), `OPINIO_STATUS_CANCELLED`;
/// `*out_json` is then NULL. Thread-safe: batches on one handle may run in parallel.
///
/// # Safety
///
/// `model` is NULL or a live handle; `path` and `options_json` are NULL or NUL-terminated
/// strings; `out_json` is NULL or writable; `progress`, if set, is safe to call with
/// `user_data`.
#[no_mangle]
pub unsafe extern "C" fn opinio_analyze_batch(
    model: *const OpinioModel,
    path: *const c_char,
    options_json: *const c_char,
    progress: OpinioProgressFn,
    user_data: *mut c_void,
    out_json: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract, forwarded.
        let out = unsafe { out_ptr(out_json, "out_json") }?;
        let model = unsafe { model_arg(model, "model") }?;
        let path = Path::new(unsafe { arg_str(path, "path") }?);
        let options: FileOptions = match unsafe { opt_arg_str(options_json, "options_json") }? {
            Some(json) => parse_json(json, "options_json")?,
            None => FileOptions::default(),
        };
        let report = |p: &Progress| match progress {
            // SAFETY: the caller vouches for the callback and its user data.
            Some(f) if unsafe { f(p.percent().unwrap_or(0.0), p.done + p.failed, user_data) } != 0 => {
                Control::Cancel
            }
            _ => Control::Continue,
        };
        put_string(out, analyze_file(model, path, &options, report)?)
    })
}

/// Runs the batch and writes the response, bad records listed under `errors`.
fn analyze_file(
    model: &Model,
    path: &Path,
    options: &FileOptions,
    report: impl FnMut(&Progress) -> Control,
) -> Result<String, FfiError> {
    let ingest_options = options.ingest()?;
    // A first pass counts the records for a percentage: reading is cheap next to encoding.
    let total = ingest::open(path, &ingest_options)?.count() as u64;
    let meta = model.meta();
    let mut lead = Map::new();
    lead.insert("model".into(), json!(meta.display_name));
    lead.insert("type".into(), json!(meta.model_type));
    let mut writer = DocumentsWriter::new(Vec::new(), &lead)?;
    let mut errors: Vec<Value> = Vec::new();
    let keep_meta = options.meta;
    let documents = ingest::open(path, &ingest_options)?.map(|r| {
        r.map(|record| {
            let mut doc = Document::from(record);
            if !keep_meta {
                doc.meta = None;
            }
            doc
        })
    });
    let batch_options = BatchOptions {
        split: options.split,
        chunk_size: options.chunk_size.unwrap_or(BatchOptions::default().chunk_size),
        total: Some(total),
        ..BatchOptions::default()
    };
    batch::run(model, documents, &batch_options, report, |doc| {
        match doc {
            Ok(doc) => writer.write(&doc)?,
            Err(e) => errors.push(json!({"line": e.line(), "message": e.to_string()})),
        }
        Ok(())
    })?;
    let mut trailing = Map::new();
    if !errors.is_empty() {
        trailing.insert("errors".into(), Value::Array(errors));
    }
    let bytes = writer.finish(&trailing)?;
    String::from_utf8(bytes)
        .map_err(|_| FfiError::new(OpinioStatus::Internal, "batch output is not valid utf-8"))
}

/// The Studio's upload preview of the file at `path`: `{"id", "preview": [[header...],
/// [row...]]}` with the first 5 data rows, missing cells null. The id is derived from the
/// content, so the same file always gets the same id.
///
/// On success `*out_json` receives the JSON; free it with `opinio_string_free`.
/// Errors: `OPINIO_STATUS_NULL_ARGUMENT`, `OPINIO_STATUS_INVALID_UTF8_ARGUMENT`,
/// `OPINIO_STATUS_IO`, `OPINIO_STATUS_UNSUPPORTED`, `OPINIO_STATUS_MALFORMED`,
/// `OPINIO_STATUS_LIMIT_EXCEEDED`; `*out_json` is then NULL. Thread-safe; needs no model.
///
/// # Safety
///
/// `path` is NULL or a NUL-terminated string; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn opinio_preview(path: *const c_char, out_json: *mut *mut c_char) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract, forwarded.
        let out = unsafe { out_ptr(out_json, "out_json") }?;
        let path = unsafe { arg_str(path, "path") }?;
        put_json(out, &ingest::preview(Path::new(path), PREVIEW_ROWS, &Limits::default())?)
    })
}
