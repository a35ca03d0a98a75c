//! Status codes and the thread-local last-error message.
//!
//! Every fallible export returns an `int32_t` from [`OpinioStatus`]: 0 is success, anything
//! else an error whose message [`opinio_last_error`] gives. The numbers are part of the ABI and
//! never change meaning: library errors ([`ErrorKind`]) live in 100–199, errors of the boundary
//! itself (a null or non-UTF-8 argument, a caught panic) in 200–299. A retired code stays
//! reserved; a new kind gets the next free number in its block. The match in
//! [`OpinioStatus::from_kind`] is exhaustive (inside the crate `#[non_exhaustive]` does not
//! apply), so a new `ErrorKind` cannot ship without a code.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use crate::{Error, ErrorKind};

/// What a call did: `OPINIO_STATUS_OK` (0) or why it failed.
///
/// Functions return these as `int32_t`; after any non-zero status, `opinio_last_error()`
/// on the same thread gives the message. Codes 100-199 mirror the library's error kinds,
/// 200-299 are errors at the boundary itself. Numbers never change meaning.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpinioStatus {
    /// Success.
    Ok = 0,
    /// An argument is invalid: unknown language or model type, a missing model folder, a
    /// column out of range. Retrying the same call fails the same way.
    InvalidArgument = 100,
    /// Reading or writing a file failed at the operating-system level.
    Io = 101,
    /// Input read by the library (a file) is not valid UTF-8; the message names file and line.
    InvalidUtf8 = 102,
    /// Input does not parse as what it claims to be: broken JSON, a damaged workbook.
    Malformed = 103,
    /// Input is well formed but not handled, e.g. an unknown file extension.
    Unsupported = 104,
    /// Input exceeds one of the library's limits; the message names the limit and the value.
    LimitExceeded = 105,
    /// The caller cancelled the operation (a progress callback returned non-zero).
    Cancelled = 106,
    /// A bug in opinio; please report it with the message.
    Internal = 107,
    /// A required pointer argument is NULL; the message names the argument.
    NullArgument = 200,
    /// A string argument is not valid UTF-8; the message names the argument and the byte.
    InvalidUtf8Argument = 201,
    /// opinio panicked; the call was stopped at the boundary and the message says where.
    /// The process is intact, but please report it.
    Panic = 202,
}

impl OpinioStatus {
    /// The code for a library error kind.
    pub fn from_kind(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => OpinioStatus::InvalidArgument,
            ErrorKind::Io => OpinioStatus::Io,
            ErrorKind::InvalidUtf8 => OpinioStatus::InvalidUtf8,
            ErrorKind::Malformed => OpinioStatus::Malformed,
            ErrorKind::Unsupported => OpinioStatus::Unsupported,
            ErrorKind::LimitExceeded => OpinioStatus::LimitExceeded,
            ErrorKind::Cancelled => OpinioStatus::Cancelled,
            ErrorKind::Internal => OpinioStatus::Internal,
        }
    }

    /// The code as returned across the ABI.
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// An error on its way out of an export: the status and its message.
#[derive(Debug)]
pub(crate) struct FfiError {
    pub(crate) status: OpinioStatus,
    pub(crate) message: String,
}

impl FfiError {
    pub(crate) fn new(status: OpinioStatus, message: impl Into<String>) -> Self {
        FfiError { status, message: message.into() }
    }
}

impl From<Error> for FfiError {
    /// Keeps the whole displayed error (`path:line: message`), so C callers see the context.
    fn from(e: Error) -> Self {
        FfiError { status: OpinioStatus::from_kind(e.kind()), message: e.to_string() }
    }
}

thread_local! {
    /// This thread's last error message; empty after a successful call.
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `message` as this thread's last error. Interior NUL bytes (which C cannot see
/// past) are replaced rather than dropping the message.
pub(crate) fn set_last_error(message: &str) {
    let c = CString::new(message.replace('\0', "\u{FFFD}")).unwrap_or_default();
    // `try_with`/`try_borrow_mut`: while a thread is being torn down its thread-locals are
    // gone, and this runs outside the panic boundary, so it must not panic; the message is
    // then lost, the status still returned.
    let _ = LAST_ERROR.try_with(|slot| slot.try_borrow_mut().map(|mut slot| *slot = c));
}

/// Forgets this thread's last error: every call starts clean, so a message never outlives
/// the call it belongs to.
pub(crate) fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            if !slot.as_bytes().is_empty() {
                *slot = CString::default();
            }
        }
    });
}

/// The message of the last failed call on this thread, as UTF-8.
///
/// Never NULL: an empty string when this thread's last call succeeded or it has made none.
/// The string is owned by opinio and stays valid until this thread's next call into opinio
/// (copy it to keep it); do not free it. Each thread has its own message, so threads never
/// see each other's errors.
#[no_mangle]
pub extern "C" fn opinio_last_error() -> *const c_char {
    // The pointer stays valid after `try_with` returns: the CString lives in the thread-local
    // and is replaced only by the next call on this thread. A thread being torn down gets
    // the empty string rather than a panic across the boundary.
    LAST_ERROR
        .try_with(|slot| slot.try_borrow().map(|s| s.as_ptr()).ok())
        .ok()
        .flatten()
        .unwrap_or(c"".as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn codes_are_stable() {
        assert_eq!(OpinioStatus::Ok.code(), 0);
        assert_eq!(OpinioStatus::from_kind(ErrorKind::InvalidArgument).code(), 100);
        assert_eq!(OpinioStatus::from_kind(ErrorKind::Internal).code(), 107);
        assert_eq!(OpinioStatus::NullArgument.code(), 200);
        assert_eq!(OpinioStatus::Panic.code(), 202);
    }

    #[test]
    fn last_error_is_per_thread_and_survives_nul() {
        set_last_error("bad\0value");
        let here = unsafe { CStr::from_ptr(opinio_last_error()) }.to_str().unwrap().to_owned();
        assert_eq!(here, "bad\u{FFFD}value");
        let there = std::thread::spawn(|| unsafe { CStr::from_ptr(opinio_last_error()) }.to_bytes().len())
            .join()
            .unwrap();
        assert_eq!(there, 0);
        clear_last_error();
        assert_eq!(unsafe { CStr::from_ptr(opinio_last_error()) }.to_bytes(), b"");
    }
}
