//! The C ABI's JSON requests on any bytes: segmentation, and analysis and sampling with the
//! shipped zero-shot model (loaded once).
#![no_main]

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use opinio::ffi::*;

struct Handle(*mut OpinioModel);
// SAFETY: the ABI promises model handles may be shared across threads.
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

fn model() -> *const OpinioModel {
    static MODEL: OnceLock<Handle> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let dir = CString::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/restaurants-zero-shot"))
                .unwrap();
            let mut handle = std::ptr::null_mut();
            assert_eq!(unsafe { opinio_model_load(dir.as_ptr(), &mut handle) }, 0);
            Handle(handle)
        })
        .0
}

fuzz_target!(|data: &[u8]| {
    let Ok(request) = CString::new(data) else { return };
    let mut out: *mut c_char = std::ptr::null_mut();
    for call in 0..3 {
        let status = unsafe {
            match call {
                0 => opinio_segment(request.as_ptr(), &mut out),
                1 => opinio_analyze(model(), request.as_ptr(), &mut out),
                _ => opinio_sample(model(), request.as_ptr(), &mut out),
            }
        };
        assert_ne!(status, 202, "a panic reached the boundary");
        assert_eq!(status == 0, !out.is_null());
        unsafe { opinio_string_free(out) };
        out = std::ptr::null_mut();
    }
});
