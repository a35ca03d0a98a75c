//! `opinio_sample`: the documents a correction session should show first (`opinio sample`).

use std::ffi::c_char;

use serde::Deserialize;

use super::model::{model_arg, OpinioModel};
use super::panic::guard;
use super::{arg_str, out_ptr, parse_json, put_json};
use crate::correct::{self, SampleOptions};
use crate::schema::Document;

/// `request_json` of `opinio_sample`. Unknown keys are refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleRequest {
    documents: Vec<Document>,
    size: usize,
}

/// Picks the `size` unlabeled documents whose correction should improve `model` most:
/// likely tagged wrong, unlike each other, each typical of its kind; one per kind, the
/// most doubtful kind first.
///
/// `request_json`: `{"documents": [{"text": "...", "id": 1}, ...], "size": 20}`.
/// On success `*out_json` receives `{"documents": [...], "predicted_score": S}`: the picked
/// documents segmented and tagged by the model (ids kept), and the score the model expects
/// of its own tags on them. Free it with `opinio_string_free`.
///
/// Errors: `OPINIO_STATUS_NULL_ARGUMENT`, `OPINIO_STATUS_INVALID_UTF8_ARGUMENT`,
/// `OPINIO_STATUS_MALFORMED` (bad JSON or shape), `OPINIO_STATUS_INVALID_ARGUMENT` (`size`
/// 0), `OPINIO_STATUS_UNSUPPORTED` (a model whose head gives no probabilities);
/// `*out_json` is then NULL. Thread-safe.
///
/// # Safety
///
/// `model` is NULL or a live handle; `request_json` is NULL or a NUL-terminated string;
/// `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn opinio_sample(
    model: *const OpinioModel,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract, forwarded.
        let out = unsafe { out_ptr(out_json, "out_json") }?;
        let model = unsafe { model_arg(model, "model") }?;
        let request = unsafe { arg_str(request_json, "request_json") }?;
        let request: SampleRequest = parse_json(request, "request_json")?;
        put_json(out, &correct::sample(model, request.documents, &SampleOptions { size: request.size })?)
    })
}
