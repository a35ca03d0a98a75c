//! Model handles and ad-hoc analysis: `opinio_model_load`, `opinio_analyze`,
//! `opinio_model_meta`, `opinio_model_free`.
//!
//! A handle is an `Arc<OpinioModel>` turned into a raw pointer (`Arc::into_raw`), handed out
//! as `const` because every operation only reads it. `Arc` rather than `Box` because built
//! objects are shared (STYLE section 3): handles made from a model later (an extractor, a
//! session) can keep it alive by a reference count instead of depending on the caller's
//! pointer, and `opinio_model_free` stays a plain decrement.

use std::ffi::c_char;
use std::sync::Arc;

use super::panic::{guard, guard_void};
use super::status::FfiError;
use super::{arg_str, null_argument, out_ptr, parse_json, put_json};
use crate::schema::AnalysisRequest;
use crate::model::LoadOptions;
use crate::Model;

/// A loaded model, opaque to C.
///
/// Thread-safe: one handle may be used by any number of threads at once (analysis only
/// reads it). Created by `opinio_model_load`, released by `opinio_model_free`.
pub struct OpinioModel {
    pub(crate) model: Model,
}

// The ABI promises that handles may be shared across threads; this fails to compile if a
// field ever stops being Send + Sync.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<OpinioModel>();
};

/// The model behind `ptr`, borrowed for the call.
///
/// # Safety
///
/// `ptr` is NULL or a live handle from `opinio_model_load`.
pub(crate) unsafe fn model_arg<'a>(ptr: *const OpinioModel, name: &str) -> Result<&'a Model, FfiError> {
    if ptr.is_null() {
        return Err(null_argument(name));
    }
    // SAFETY: a live handle points to the `OpinioModel` inside an `Arc`.
    Ok(unsafe { &(*ptr).model })
}

/// Loads the model folder `dir` (manifest, head weights, and the encoder it names).
///
/// On success `*out_model` receives a handle; release it with `opinio_model_free`. Loading
/// takes a second or more (the encoder is read once per process and shared by every model
/// on it): load once, then share the handle between threads.
///
/// Errors: `OPINIO_STATUS_NULL_ARGUMENT`, `OPINIO_STATUS_INVALID_UTF8_ARGUMENT`,
/// `OPINIO_STATUS_INVALID_ARGUMENT` (no such folder, encoder not found), `OPINIO_STATUS_IO`,
/// `OPINIO_STATUS_MALFORMED` (bad manifest or weights), `OPINIO_STATUS_UNSUPPORTED` (model
/// format of another version); `*out_model` is then NULL. Thread-safe.
///
/// # Safety
///
/// `dir` is NULL or a NUL-terminated string; `out_model` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn opinio_model_load(dir: *const c_char, out_model: *mut *mut OpinioModel) -> i32 {
    // SAFETY: the caller's contract, forwarded; NULL options are the defaults.
    unsafe { opinio_model_load_with(dir, std::ptr::null(), out_model) }
}

/// Loads the model folder `dir` with load options: `opinio_model_load` plus a JSON object
/// `options_json`, NULL or `"{}"` for the defaults.
///
/// Options: `"precision"`: `"fp32"` or `"int8"`, the arithmetic of the encoder's dense
/// layers (default: the model's manifest, else `fp32`; int8 is about twice as fast, within
/// about 0.01 F1); `"models_root"`: a folder of encoder folders searched for the model's
/// encoder after the model folder's siblings (default `$OPINIO_MODELS`); `"limits"`: bounds
/// on what the model is asked, e.g. `{"max_request_documents": 1000}` (see the README's
/// limits). An unknown option or value is `OPINIO_STATUS_MALFORMED` /
/// `OPINIO_STATUS_INVALID_ARGUMENT` naming it. Otherwise as `opinio_model_load`.
///
/// # Safety
///
/// `dir` is NULL or a NUL-terminated string; `options_json` is NULL or a NUL-terminated
/// string; `out_model` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn opinio_model_load_with(
    dir: *const c_char,
    options_json: *const c_char,
    out_model: *mut *mut OpinioModel,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract, forwarded.
        let out = unsafe { out_ptr(out_model, "out_model") }?;
        let dir = unsafe { arg_str(dir, "dir") }?;
        let options: LoadOptions = if options_json.is_null() {
            LoadOptions::default()
        } else {
            parse_json(unsafe { arg_str(options_json, "options_json") }?, "options_json")?
        };
        let model = Model::load_with(dir, &options)?;
        *out = Arc::into_raw(Arc::new(OpinioModel { model })).cast_mut();
        Ok(())
    })
}

/// Releases a model handle. Passing NULL does nothing.
///
/// The caller must make sure no other thread is still using the handle; using or freeing it
/// afterwards is undefined behaviour.
///
/// # Safety
///
/// `model` is NULL or a live handle from `opinio_model_load`, not used after this call.
#[no_mangle]
pub unsafe extern "C" fn opinio_model_free(model: *mut OpinioModel) {
    guard_void(|| {
        if !model.is_null() {
            // SAFETY: the pointer came from `Arc::into_raw` in `opinio_model_load`.
            drop(unsafe { Arc::from_raw(model.cast_const()) });
        }
    });
}

/// Runs an ad-hoc analysis: segments (when `"split": true`) and tags every document.
///
/// `request_json` is the Studio's ad-hoc request:
/// `{"documents": [{"text": "...", "id": 1}], "split": true}` (`split` defaults to false:
/// each document is one segment; `model_id` is ignored, the handle is the model).
/// On success `*out_json` receives the ad-hoc response
/// `{"model": "...", "documents": [...], "type": "ABSA"}`, every segment with its `tags`.
/// Free it with `opinio_string_free`.
///
/// Errors: `OPINIO_STATUS_NULL_ARGUMENT`, `OPINIO_STATUS_INVALID_UTF8_ARGUMENT`,
/// `OPINIO_STATUS_MALFORMED` (bad JSON or shape), `OPINIO_STATUS_LIMIT_EXCEEDED`;
/// `*out_json` is then NULL. Thread-safe: many threads may analyse with one handle at once,
/// and get the same answers as one thread would.
///
/// # Safety
///
/// `model` is NULL or a live handle; `request_json` is NULL or a NUL-terminated string;
/// `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn opinio_analyze(
    model: *const OpinioModel,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract, forwarded.
        let out = unsafe { out_ptr(out_json, "out_json") }?;
        let model = unsafe { model_arg(model, "model") }?;
        let request = unsafe { arg_str(request_json, "request_json") }?;
        let request: AnalysisRequest = parse_json(request, "request_json")?;
        put_json(out, &model.analyze(&request)?)
    })
}

/// The model's metadata in the Studio's model shape (`name`, `type`, `language`,
/// `classes`, `labels`, ...).
///
/// On success `*out_json` receives the JSON object; free it with `opinio_string_free`.
/// Errors: `OPINIO_STATUS_NULL_ARGUMENT`; `*out_json` is then NULL. Thread-safe.
///
/// # Safety
///
/// `model` is NULL or a live handle; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn opinio_model_meta(model: *const OpinioModel, out_json: *mut *mut c_char) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract, forwarded.
        let out = unsafe { out_ptr(out_json, "out_json") }?;
        let model = unsafe { model_arg(model, "model") }?;
        put_json(out, model.meta())
    })
}
