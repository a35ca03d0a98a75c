//! `opinio_segment`: documents in, sentences with spans out.

use std::ffi::c_char;

use serde::Deserialize;

use super::panic::guard;
use super::{arg_str, out_ptr, parse_json, put_json};
use crate::schema::Document;
use crate::segment::Segmenter;
use crate::Language;

/// The segmentation request: the ad-hoc analysis request's `documents`, plus an optional
/// language. Other fields (`split`, `model_id`) are ignored, so an analysis request can be
/// segmented as it is.
#[derive(Deserialize)]
struct SegmentRequest {
    documents: Vec<Document>,
    #[serde(default)]
    lang: Option<String>,
}

/// The answer: `{"documents": [...]}`.
#[derive(serde::Serialize)]
struct SegmentResponse {
    documents: Vec<Document>,
}

/// Splits documents into sentences.
///
/// `request_json`: `{"documents": [{"text": "...", "id": 1}], "lang": "en"}`; `lang` is
/// `"en"`, `"de"` or `"ar"`, or absent/null to detect each document's language. Other
/// fields are ignored, so the ad-hoc analysis request is accepted as it is.
///
/// On success `*out_json` receives `{"documents": [...]}`: each document as given (id and
/// meta kept) with `"segments": [{"text", "span": [start, end]}]`, spans in Unicode code
/// points. Free it with `opinio_string_free`.
///
/// Errors: `OPINIO_STATUS_NULL_ARGUMENT`, `OPINIO_STATUS_INVALID_UTF8_ARGUMENT`,
/// `OPINIO_STATUS_MALFORMED` (bad JSON or shape), `OPINIO_STATUS_INVALID_ARGUMENT` (unknown
/// language); `*out_json` is then NULL. Thread-safe; needs no model.
///
/// # Safety
///
/// `request_json` is NULL or a NUL-terminated string; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn opinio_segment(request_json: *const c_char, out_json: *mut *mut c_char) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract, forwarded.
        let out = unsafe { out_ptr(out_json, "out_json") }?;
        let request = unsafe { arg_str(request_json, "request_json") }?;
        let request: SegmentRequest = parse_json(request, "request_json")?;
        let language = request.lang.as_deref().map(str::parse::<Language>).transpose()?;
        let segmenter = Segmenter::for_language(language);
        let mut documents = request.documents;
        for doc in &mut documents {
            segmenter.segment_document(doc);
        }
        put_json(out, &SegmentResponse { documents })
    })
}
