//! The cost of the C ABI: a 10-document ad-hoc analysis (JSON in, JSON out) through
//! `opinio_analyze` against the same request through the Rust API (parse the JSON, analyse,
//! write the JSON). Both run on the same shipped default model; the difference is what the
//! boundary adds (C strings, the panic guard, status handling), which should stay under 5%.

mod common;

use std::ffi::{CStr, CString};
use std::path::Path;
use std::ptr;

use criterion::{criterion_group, criterion_main, Criterion};
use opinio::ffi::{opinio_analyze, opinio_model_free, opinio_model_load, opinio_string_free, OpinioModel};
use opinio::schema::AnalysisRequest;
use opinio::Model;

fn bench_ffi(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/restaurants-zero-shot");
    let docs: Vec<serde_json::Value> = common::documents()
        .into_iter()
        .take(10)
        .enumerate()
        .map(|(i, text)| serde_json::json!({"id": i, "text": text}))
        .collect();
    let request = serde_json::json!({"documents": docs, "split": true}).to_string();

    let model = Model::load(&dir).expect("default model");
    let c_dir = CString::new(dir.to_string_lossy().as_bytes()).expect("path without NUL");
    let c_request = CString::new(request.as_bytes()).expect("json without NUL");
    let mut handle: *mut OpinioModel = ptr::null_mut();
    // SAFETY: valid NUL-terminated strings and a valid out-pointer.
    assert_eq!(unsafe { opinio_model_load(c_dir.as_ptr(), &mut handle) }, 0);

    let mut group = common::model_group(c, "abi", 10);
    group.bench_function("rust_api", |b| {
        b.iter(|| {
            let req: AnalysisRequest = serde_json::from_str(&request).expect("request");
            serde_json::to_string(&model.analyze(&req).expect("analysis")).expect("json").len()
        })
    });
    group.bench_function("c_abi", |b| {
        b.iter(|| {
            let mut out: *mut std::os::raw::c_char = ptr::null_mut();
            // SAFETY: a live handle, a NUL-terminated request and a valid out-pointer; the
            // answer is read, then freed with the matching free function.
            unsafe {
                assert_eq!(opinio_analyze(handle, c_request.as_ptr(), &mut out), 0);
                let len = CStr::from_ptr(out).to_bytes().len();
                opinio_string_free(out);
                len
            }
        })
    });
    group.finish();
    // SAFETY: the handle came from opinio_model_load and is freed once.
    unsafe { opinio_model_free(handle) };
}

criterion_group!(benches, bench_ffi);
criterion_main!(benches);
