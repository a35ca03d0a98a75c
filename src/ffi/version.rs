//! `opinio_version` and the ABI version.
//!
//! The library version (`0.1.0`) says what the code does; the ABI version says which
//! binaries link against it. The ABI version is the `.so.N` of the shared library's SONAME
//! (set in build.rs): it changes only when an existing entry point changes shape or meaning,
//! so programs built against `libopinio.so.0` keep working across library versions.

use std::ffi::c_char;

/// The ABI version: the `N` of the SONAME `libopinio.so.N`. Bumped only by an incompatible
/// change to an existing function or type.
pub const OPINIO_ABI_VERSION: u32 = 0;

/// The library version, NUL-terminated, from Cargo.toml.
static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library version, e.g. `"0.1.0"`.
///
/// A static string: never NULL, never freed. Thread-safe; cannot fail.
#[no_mangle]
pub extern "C" fn opinio_version() -> *const c_char {
    VERSION.as_ptr().cast()
}
