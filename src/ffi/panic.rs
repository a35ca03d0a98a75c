//! The panic boundary: no panic ever unwinds into C.
//!
//! Unwinding across `extern "C"` aborts the host process (since Rust 1.81), and a library
//! must never kill its host. So every export that can fail runs its body through [`guard`],
//! which catches a panic with `catch_unwind`, turns it into `OPINIO_STATUS_PANIC` plus a
//! message, and returns. Exports that cannot fail (the `_free` functions, version) use
//! [`guard_void`], which swallows the panic the same way. This relies on `panic = "unwind"`,
//! the default; a build with `panic = "abort"` would turn every panic into an abort.
//!
//! `AssertUnwindSafe` is sound here: after a panic the export returns an error and its
//! partial state is dropped; shared state (a model) is only ever read during a call, and the
//! caches behind it recover from poisoning.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::status::{clear_last_error, set_last_error, FfiError, OpinioStatus};

/// Runs an export body: clears this thread's last error, returns 0 on `Ok`, and on `Err` or
/// a panic records the message and returns the status code.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), FfiError>) -> i32 {
    clear_last_error();
    let error = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return OpinioStatus::Ok.code(),
        Ok(Err(e)) => e,
        Err(payload) => panic_error(payload.as_ref()),
    };
    set_last_error(&error.message);
    error.status.code()
}

/// Runs the body of an export that returns nothing; a panic is recorded as the last error
/// and otherwise ignored, as there is no status to return.
pub(crate) fn guard_void(body: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(body)) {
        set_last_error(&panic_error(payload.as_ref()).message);
    }
}

/// The status and message for a caught panic, with the panic's own message when it has one.
fn panic_error(payload: &(dyn Any + Send)) -> FfiError {
    let what = crate::error::panic_message(payload).unwrap_or("no message");
    FfiError::new(OpinioStatus::Panic, format!("opinio panicked: {what} (please report this)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    use crate::ffi::opinio_last_error;

    fn last() -> String {
        unsafe { CStr::from_ptr(opinio_last_error()) }.to_str().unwrap().to_owned()
    }

    // A real export cannot be made to panic from outside without a test-only entry point in
    // the ABI, so the boundary every export runs through is tested here, directly.
    #[test]
    fn a_panic_becomes_a_status() {
        let code = guard(|| panic!("index {} out of range", 7));
        assert_eq!(code, OpinioStatus::Panic.code());
        assert_eq!(last(), "opinio panicked: index 7 out of range (please report this)");
        let code = guard(|| std::panic::panic_any(42_u8));
        assert_eq!(code, OpinioStatus::Panic.code());
        assert!(last().contains("no message"));
    }

    #[test]
    fn ok_clears_and_errors_set_the_message() {
        assert_eq!(guard(|| Err(FfiError::new(OpinioStatus::Malformed, "bad json"))), 103);
        assert_eq!(last(), "bad json");
        assert_eq!(guard(|| Ok(())), 0);
        assert_eq!(last(), "");
    }

    #[test]
    fn void_exports_swallow_panics() {
        guard_void(|| panic!("in free"));
        assert!(last().contains("in free"));
    }
}
