//! Extraction: `opinio_extractor_load`, `opinio_extract_file`, `opinio_extract_bytes`,
//! `opinio_extractor_free` (CONTRACT section 4).
//!
//! The handle is an `Arc<OpinioExtractor>` turned into a raw pointer, like a model handle:
//! extraction only reads it, so any number of threads may extract with one handle at once.
//! Files in memory are the common case for RPA hosts (a mail attachment, a download), so
//! bytes get their own entry point rather than a temporary file.

use std::ffi::c_char;
use std::sync::Arc;

use serde::Deserialize;

use super::panic::{guard, guard_void};
use super::status::FfiError;
use super::{arg_str, null_argument, opt_arg_str, out_ptr, parse_json, put_json};
use crate::extract::{ExtractOptions, Extractor};
use crate::Limits;

/// A loaded extraction model, opaque to C.
///
/// Thread-safe: one handle may be used by any number of threads at once. Created by
/// `opinio_extractor_load`, released by `opinio_extractor_free`.
pub struct OpinioExtractor {
    extractor: Extractor,
}

// The ABI promises that handles may be shared across threads.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<OpinioExtractor>();
};

/// `options_json` of the extract calls. Unknown keys are refused, so a misspelt option is an
/// error rather than silently ignored.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Options {
    annotated_pages: bool,
    limits: Limits,
}

impl Options {
    /// NULL means the defaults.
    fn parse(json: Option<&str>) -> Result<ExtractOptions, FfiError> {
        let options: Options = match json {
            Some(json) => parse_json(json, "options_json")?,
            None => Options::default(),
        };
        Ok(ExtractOptions::default().with_annotated_pages(options.annotated_pages).with_limits(options.limits))
    }
}

/// # Safety
///
/// `ptr` is NULL or a live handle from `opinio_extractor_load`.
unsafe fn extractor_arg<'a>(ptr: *const OpinioExtractor) -> Result<&'a Extractor, FfiError> {
    if ptr.is_null() {
        return Err(null_argument("extractor"));
    }
    // SAFETY: a live handle points to the `OpinioExtractor` inside an `Arc`.
    Ok(unsafe { &(*ptr).extractor })
}

/// Loads the extraction model folder `dir` (e.g. `models/receipts`, `models/invoices`).
///
/// On success `*out_extractor` receives a handle; release it with `opinio_extractor_free`.
/// Load once and share the handle between threads.
///
/// Errors: `OPINIO_STATUS_NULL_ARGUMENT`, `OPINIO_STATUS_INVALID_UTF8_ARGUMENT`,
/// `OPINIO_STATUS_INVALID_ARGUMENT` (no such folder), `OPINIO_STATUS_IO`,
/// `OPINIO_STATUS_MALFORMED` (bad manifest), `OPINIO_STATUS_UNSUPPORTED` (model format of
/// another version); `*out_extractor` is then NULL. Thread-safe.
///
/// # Safety
///
/// `dir` is NULL or a NUL-terminated string; `out_extractor` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn opinio_extractor_load(
    dir: *const c_char,
    out_extractor: *mut *mut OpinioExtractor,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract, forwarded.
        let out = unsafe { out_ptr(out_extractor, "out_extractor") }?;
        let dir = unsafe { arg_str(dir, "dir") }?;
        let extractor = Extractor::load(dir)?;
        *out = Arc::into_raw(Arc::new(OpinioExtractor { extractor })).cast_mut();
        Ok(())
    })
}

/// Extracts the fields of the file at `path`: a PDF, an image (JPEG, PNG, TIFF, WEBP) or
/// words read by another OCR engine (`NAME.words.json`).
///
/// `options_json` may be NULL (defaults) or `{"annotated_pages": false, "limits": {...}}`;
/// `annotated_pages` adds each page as a base64 PNG with the found fields drawn; `limits`
/// raises or lowers bounds on the document (`max_document_bytes`, `max_pages`,
/// `max_page_pixels`, `max_pdf_stream_bytes`, `max_pdf_glyphs_per_page`,
/// `max_ocr_seconds_per_page`). Unknown keys are an error.
///
/// On success `*out_json` receives the Studio's extraction response (one document, named
/// after the file); free it with `opinio_string_free`. A file that reads but lacks a field
/// is a success whose `hitl.status` is `"pending"`.
///
/// Errors: `OPINIO_STATUS_NULL_ARGUMENT`, `OPINIO_STATUS_INVALID_UTF8_ARGUMENT`,
/// `OPINIO_STATUS_IO` (no such file), `OPINIO_STATUS_MALFORMED` (a broken PDF or image, bad
/// options), `OPINIO_STATUS_UNSUPPORTED` (not a PDF, image or words file; an encrypted PDF),
/// `OPINIO_STATUS_LIMIT_EXCEEDED` (a decompression bomb, too many pages); `*out_json` is
/// then NULL. Thread-safe.
///
/// # Safety
///
/// `extractor` is NULL or a live handle; `path` and `options_json` are NULL or
/// NUL-terminated strings; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn opinio_extract_file(
    extractor: *const OpinioExtractor,
    path: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract, forwarded.
        let out = unsafe { out_ptr(out_json, "out_json") }?;
        let extractor = unsafe { extractor_arg(extractor) }?;
        let path = unsafe { arg_str(path, "path") }?;
        let options = Options::parse(unsafe { opt_arg_str(options_json, "options_json") }?)?;
        put_json(out, &extractor.extract_path(path, &options)?)
    })
}

/// Extracts the fields of a file held in memory: `len` bytes at `data`.
///
/// `name` is the document's name in the response; it also tells a words file
/// (`*.words.json`) from the rest, which are recognised by their content. Otherwise as
/// `opinio_extract_file`. `data` is only read, and only during the call.
///
/// # Safety
///
/// `data` is NULL or valid for reads of `len` bytes; otherwise as `opinio_extract_file`.
#[no_mangle]
pub unsafe extern "C" fn opinio_extract_bytes(
    extractor: *const OpinioExtractor,
    name: *const c_char,
    data: *const u8,
    len: usize,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract, forwarded.
        let out = unsafe { out_ptr(out_json, "out_json") }?;
        let extractor = unsafe { extractor_arg(extractor) }?;
        let name = unsafe { arg_str(name, "name") }?;
        if data.is_null() {
            return Err(null_argument("data"));
        }
        // SAFETY: non-null and readable for `len` bytes per the contract.
        let bytes = unsafe { std::slice::from_raw_parts(data, len) };
        let options = Options::parse(unsafe { opt_arg_str(options_json, "options_json") }?)?;
        put_json(out, &extractor.extract_bytes(name, bytes, &options)?)
    })
}

/// Releases an extractor handle. Passing NULL does nothing.
///
/// The caller must make sure no other thread is still using the handle.
///
/// # Safety
///
/// `extractor` is NULL or a live handle from `opinio_extractor_load`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn opinio_extractor_free(extractor: *mut OpinioExtractor) {
    guard_void(|| {
        if !extractor.is_null() {
            // SAFETY: made by `Arc::into_raw` in `opinio_extractor_load`, released once.
            drop(unsafe { Arc::from_raw(extractor.cast_const()) });
        }
    });
}
