//! The C ABI: the only module with `extern "C"`; `include/opinio.h` is generated from it.
//!
//! Conventions, the same for every export (CONTRACT section 4):
//!
//! - **Status codes.** A fallible function returns an `int32_t` [`OpinioStatus`], 0 on
//!   success; the message of a failure is [`opinio_last_error`] on the same thread.
//! - **Out-parameters.** Results come back through `out_*` pointers. They are set to NULL on
//!   entry, so on failure they hold NULL, never a stale value.
//! - **Strings.** Arguments are NUL-terminated UTF-8, borrowed for the call. Strings handed
//!   out are allocated by opinio and freed with [`opinio_string_free`], never with `free()`.
//! - **JSON** carries structured input and output, in the Studio's shapes.
//! - **Handles** are opaque pointers ([`OpinioModel`], [`OpinioExtractor`]) released by their `_free` function;
//!   they are `Send + Sync`, so one handle may be used from many threads at once.
//! - **No undefined behaviour from bad arguments** that C can detect: NULL pointers and
//!   invalid UTF-8 return `OPINIO_STATUS_NULL_ARGUMENT` / `..._INVALID_UTF8_ARGUMENT`, and a
//!   panic returns `OPINIO_STATUS_PANIC` (see [`panic`]). Dangling pointers cannot be detected.
//!
//! Regenerate the header after changing an export (tests/c_abi.rs fails until you do):
//! `OPINIO_REGENERATE_HEADER=1 cargo test --release --test c_abi header`.

mod batch;
mod extract;
mod model;
mod panic;
mod sample;
mod segment;
mod status;
mod train;
mod version;

use std::ffi::{c_char, CStr, CString};

pub use batch::{opinio_analyze_batch, opinio_preview, OpinioProgressFn};
pub use extract::{
    opinio_extract_bytes, opinio_extract_file, opinio_extractor_free, opinio_extractor_load, OpinioExtractor,
};
pub use model::{opinio_analyze, opinio_model_free, opinio_model_load, opinio_model_load_with, opinio_model_meta, OpinioModel};
pub use sample::opinio_sample;
pub use segment::opinio_segment;
pub use status::{opinio_last_error, OpinioStatus};
pub use train::{opinio_train, opinio_train_zero_shot};
pub use version::{opinio_version, OPINIO_ABI_VERSION};

use panic::guard_void;
use status::FfiError;

/// Frees a string that opinio handed out (every `char **out_json`).
///
/// Passing NULL does nothing. Passing a pointer opinio did not hand out, or freeing one
/// twice, is undefined behaviour. Thread-safe: any thread may free any string.
///
/// # Safety
///
/// `s` is NULL or a string from an opinio function, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn opinio_string_free(s: *mut c_char) {
    guard_void(|| {
        if !s.is_null() {
            // SAFETY: the caller hands back a pointer made by `CString::into_raw` in `put_string`.
            drop(unsafe { CString::from_raw(s) });
        }
    });
}

/// The string argument `name`, borrowed for the call: NULL and invalid UTF-8 are errors that
/// name the argument.
///
/// # Safety
///
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
unsafe fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, FfiError> {
    if ptr.is_null() {
        return Err(null_argument(name));
    }
    // SAFETY: non-null and NUL-terminated per the function's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|e| {
        FfiError::new(
            OpinioStatus::InvalidUtf8Argument,
            format!("argument `{name}` is not valid utf-8 at byte {}", e.valid_up_to()),
        )
    })
}

/// Like [`arg_str`], but NULL means "not given".
///
/// # Safety
///
/// As [`arg_str`].
unsafe fn opt_arg_str<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>, FfiError> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { arg_str(ptr, name) }.map(Some)
    }
}

/// The out-parameter `name`, checked and cleared to NULL so a failure leaves no stale value.
///
/// # Safety
///
/// `out` is NULL or valid for writes of a pointer for `'a`.
unsafe fn out_ptr<'a, T>(out: *mut *mut T, name: &str) -> Result<&'a mut *mut T, FfiError> {
    if out.is_null() {
        return Err(null_argument(name));
    }
    // SAFETY: non-null and writable per the function's contract.
    let slot = unsafe { &mut *out };
    *slot = std::ptr::null_mut();
    Ok(slot)
}

/// Hands `s` to C through `slot`; C frees it with [`opinio_string_free`].
fn put_string(slot: &mut *mut c_char, s: String) -> Result<(), FfiError> {
    let c = CString::new(s).map_err(|e| {
        FfiError::new(OpinioStatus::Internal, format!("output has a nul byte at {}", e.nul_position()))
    })?;
    *slot = c.into_raw();
    Ok(())
}

/// Serialises `value` and hands it out through `slot`.
fn put_json(slot: &mut *mut c_char, value: &impl serde::Serialize) -> Result<(), FfiError> {
    let json = serde_json::to_string(value)
        .map_err(|e| FfiError::new(OpinioStatus::Internal, format!("cannot write json: {e}")))?;
    put_string(slot, json)
}

/// Parses the JSON argument `name` into `T`; a syntax or shape error is `MALFORMED` and
/// names the argument, line and column.
fn parse_json<T: serde::de::DeserializeOwned>(json: &str, name: &str) -> Result<T, FfiError> {
    serde_json::from_str(json)
        .map_err(|e| FfiError::new(OpinioStatus::Malformed, format!("invalid json in `{name}`: {e}")))
}

fn null_argument(name: &str) -> FfiError {
    FfiError::new(OpinioStatus::NullArgument, format!("argument `{name}` is null"))
}
