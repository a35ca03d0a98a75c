//! Gives the shared library its SONAME, `libopinio.so.<ABI version>`.
//!
//! Programs linked against libopinio record the SONAME, not the file name, so the ABI
//! version in it (src/ffi/version.rs, `OPINIO_ABI_VERSION`) lets an incompatible library
//! sit next to a compatible one. Only the cdylib gets the flag; the rlib and staticlib are
//! unaffected. Keep the number equal to `OPINIO_ABI_VERSION` (tests/c_abi.rs checks it).

const ABI_VERSION: u32 = 0;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(os.as_str(), "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libopinio.so.{ABI_VERSION}");
    }
}
