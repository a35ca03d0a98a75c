//! The C ABI: the header is fresh, C programs build and run against the shared library, and
//! every export keeps its promises when called directly (null and non-UTF-8 arguments, bad
//! JSON, missing models, threads sharing one model, cancellation). The panic boundary is
//! tested in src/ffi/panic.rs: forcing a real export to panic would need a test-only entry
//! point in the shipped ABI, and every export goes through the same `guard`.
//!
//! The C programs need a C compiler and pkg-config, and the memcheck run valgrind: without
//! them those tests are ignored with the command that installs them (build.rs looks for
//! them); with `OPINIO_REQUIRE_ALL=1` (.ci/run) they run and fail instead.
//!
//! Regenerate include/opinio.h after changing src/ffi:
//! `OPINIO_REGENERATE_HEADER=1 cargo test --release --test c_abi header`.

mod ffi_support;

use ffi_support::c::{build, build_and_run, install, memcheck, run_under};

use std::ffi::{c_char, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use opinio::ffi::*;
use serde_json::{json, Value};

const MODEL: &str = "models/restaurants-zero-shot";

// ---------------------------------------------------------------------------------------
// The header and the packaging.

fn generated_header() -> String {
    let root = ffi_support::repo();
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("read cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen parses src/ffi");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("header is utf-8")
}

#[test]
fn header_is_fresh() {
    let path = ffi_support::repo().join("include/opinio.h");
    let generated = generated_header();
    if std::env::var_os("OPINIO_REGENERATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("write include/opinio.h");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "include/opinio.h is not what cbindgen generates from src/ffi; regenerate it with\n    \
         OPINIO_REGENERATE_HEADER=1 cargo test --release --test c_abi header\nand commit it"
    );
}

#[test]
fn header_declares_the_contract() {
    let header = std::fs::read_to_string(ffi_support::repo().join("include/opinio.h")).unwrap();
    for decl in [
        "int32_t opinio_segment(const char *request_json, char **out_json);",
        "int32_t opinio_model_load(const char *dir, OpinioModel **out_model);",
        "int32_t opinio_analyze(const OpinioModel *model, const char *request_json, char **out_json);",
        "const char *opinio_last_error(void);",
        "void opinio_string_free(char *s);",
        "void opinio_model_free(OpinioModel *model);",
        "const char *opinio_version(void);",
        "OPINIO_STATUS_NULL_ARGUMENT = 200,",
        "#define OPINIO_ABI_VERSION 0",
    ] {
        assert!(header.contains(decl), "include/opinio.h lacks `{decl}`");
    }
}

#[test]
fn soname_carries_the_abi_version() {
    let build_rs = std::fs::read_to_string(ffi_support::repo().join("build.rs")).unwrap();
    let line = format!("const ABI_VERSION: u32 = {OPINIO_ABI_VERSION};");
    assert!(build_rs.contains(&line), "build.rs must say `{line}` as src/ffi/version.rs does");
    let lib = std::fs::read(ffi_support::shared_library()).unwrap();
    let soname = format!("libopinio.so.{OPINIO_ABI_VERSION}\0");
    assert!(lib.windows(soname.len()).any(|w| w == soname.as_bytes()), "no SONAME {soname:?}");
}

/// With default features the library needs no system library beyond the C runtime (no
/// libtesseract, libleptonica, OpenMP or C++ runtime): its dynamic section names only these.
#[cfg(not(feature = "tesseract"))]
#[test]
fn the_default_build_needs_only_the_c_runtime() {
    const C_RUNTIME: [&str; 7] =
        ["libc.so.6", "libm.so.6", "libgcc_s.so.1", "libpthread.so.0", "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2"];
    let lib = std::fs::read(ffi_support::shared_library()).unwrap();
    // DT_NEEDED names sit in the dynamic string table as NUL-terminated `lib*.so*` strings;
    // every such string of the file is a superset of them.
    let needed: Vec<String> = lib
        .split(|&b| b == 0)
        .filter_map(|s| std::str::from_utf8(s).ok())
        .filter(|s| s.starts_with("lib") && s.contains(".so.") && !s.contains(' ') && s.len() < 64)
        .map(String::from)
        .collect();
    assert!(needed.iter().any(|n| n == "libc.so.6"), "no libc.so.6 among {needed:?}");
    let extra: Vec<&String> =
        needed.iter().filter(|n| !C_RUNTIME.contains(&n.as_str()) && !n.starts_with("libopinio.so")).collect();
    assert!(extra.is_empty(), "the default build links {extra:?} besides the C runtime");
}

#[test]
#[cfg_attr(
    not(opinio_has_cc),
    ignore = "needs a C compiler and pkg-config: apt-get install gcc libc6-dev pkg-config"
)]
fn c_programs_build_and_run() {
    let (prefix, flags) = install();
    let model = ffi_support::repo().join(MODEL);
    let (code, stdout, stderr) =
        build_and_run(prefix.path(), &flags, "example.c", &[model.to_str().unwrap()]);
    assert_eq!(code, 0, "example failed:\n{stderr}\n{stdout}");
    let out: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(out["version"], env!("CARGO_PKG_VERSION"));
    let segmented = &out["segmented"]["documents"];
    assert_eq!(segmented[0]["segments"][1]["text"], "Our waiter was rude and slow.");
    assert_eq!(segmented[1]["id"], "r-2");
    let analyzed = &out["analyzed"];
    assert_eq!(analyzed["type"], "ABSA");
    let tags: Vec<&str> = analyzed["documents"][0]["segments"][1]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["label"].as_str())
        .collect();
    assert!(tags.contains(&"NEG"), "rude and slow waiter: {tags:?}");
    assert_eq!(out["null_argument"]["status"], 200);
    assert_eq!(out["null_argument"]["message"], "argument `request_json` is null");
    assert_eq!(out["malformed"]["status"], 103);

    let (code, stdout, stderr) =
        build_and_run(prefix.path(), &flags, "threads.c", &[model.to_str().unwrap(), "4", "25"]);
    assert_eq!(code, 0, "threads failed:\n{stderr}\n{stdout}");
    assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap()["mismatches"], 0);
}

/// The example under valgrind's memcheck: no invalid access, no uninitialised read in
/// opinio's code (bindings/c/valgrind.supp names the two in tract and says why), no definite
/// leak. Ignored without valgrind (or without a C compiler); `.ci/run` installs both.
#[test]
#[cfg_attr(not(opinio_has_valgrind), ignore = "needs valgrind: apt-get install valgrind")]
#[cfg_attr(
    all(opinio_has_valgrind, not(opinio_has_cc)),
    ignore = "needs a C compiler and pkg-config: apt-get install gcc libc6-dev pkg-config"
)]
fn example_is_clean_under_valgrind() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        panic!("valgrind is not installed; the memcheck run needs it: apt-get install valgrind");
    }
    let (prefix, flags) = install();
    let exe = build(prefix.path(), &flags, "example.c");
    let wrapper = memcheck();
    let wrapper: Vec<&str> = wrapper.iter().map(String::as_str).collect();
    let model = ffi_support::repo().join(MODEL);
    let (code, stdout, stderr) = run_under(prefix.path(), &exe, &wrapper, &[model.to_str().unwrap()]);
    assert_eq!(code, 0, "valgrind found errors (exit 99) or the example failed:\n{stderr}\n{stdout}");
    assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
    assert!(stderr.contains("definitely lost: 0 bytes") || stderr.contains("All heap blocks were freed"), "{stderr}");

    // The extraction and sampling entry points, by path and from bytes, and a bad document.
    let exe = build(prefix.path(), &flags, "extract_sample.c");
    let repo = ffi_support::repo();
    let args = [
        repo.join("models/receipts"),
        repo.join("tests/fixtures/extract/receipt.words.json"),
        repo.join(MODEL),
    ];
    let args: Vec<&str> = args.iter().map(|p| p.to_str().unwrap()).collect();
    let (code, stdout, stderr) = run_under(prefix.path(), &exe, &wrapper, &args);
    assert_eq!(code, 0, "valgrind found errors (exit 99) or extract_sample failed:\n{stderr}\n{stdout}");
    assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
    assert!(stderr.contains("definitely lost: 0 bytes") || stderr.contains("All heap blocks were freed"), "{stderr}");
    let out: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(out["sampled"]["documents"].as_array().map(Vec::len), Some(2));
    assert!(out["by_path"]["documents"][0]["matches"].as_array().is_some_and(|m| !m.is_empty()), "{stdout}");
}

// ---------------------------------------------------------------------------------------
// The exports, called directly.

fn cstring(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(opinio_last_error()) }.to_str().unwrap().to_owned()
}

/// Calls an export with a `char **out_json`; returns the status and the JSON, freed.
fn call(f: impl FnOnce(*mut *mut c_char) -> i32) -> (i32, Option<Value>) {
    let mut out: *mut c_char = std::ptr::dangling_mut(); // not NULL: the export must clear it
    let status = f(&mut out);
    if out.is_null() {
        return (status, None);
    }
    let json = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
    unsafe { opinio_string_free(out) };
    (status, Some(serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))))
}

/// The one model every test shares, as C would: a handle loaded once.
fn model() -> *const OpinioModel {
    static HANDLE: OnceLock<usize> = OnceLock::new();
    *HANDLE.get_or_init(|| {
        let dir = cstring(ffi_support::repo().join(MODEL).to_str().unwrap());
        let mut handle: *mut OpinioModel = std::ptr::null_mut();
        let status = unsafe { opinio_model_load(dir.as_ptr(), &mut handle) };
        assert_eq!(status, 0, "{}", last_error());
        handle as usize
    }) as *const OpinioModel
}

fn analyze(request: &Value) -> (i32, Option<Value>) {
    let request = cstring(&request.to_string());
    call(|out| unsafe { opinio_analyze(model(), request.as_ptr(), out) })
}

#[test]
fn segment_keeps_ids_and_counts_code_points() {
    let request =
        cstring(r#"{"documents": [{"id": 3, "text": "Café ist gut. Das Essen war toll!"}], "lang": "de"}"#);
    let (status, out) = call(|out| unsafe { opinio_segment(request.as_ptr(), out) });
    assert_eq!(status, 0, "{}", last_error());
    assert_eq!(last_error(), "");
    let doc = &out.unwrap()["documents"][0];
    assert_eq!(doc["id"], 3);
    assert_eq!(doc["segments"][0], json!({"text": "Café ist gut.", "span": [0, 13]}));
    assert_eq!(doc["segments"][1]["span"], json!([14, 33]));
}

#[test]
fn null_arguments_are_statuses_naming_the_argument() {
    let s = cstring("{}");
    let null = std::ptr::null::<c_char>();
    type Export<'a> = Box<dyn Fn(*mut *mut c_char) -> i32 + 'a>;
    let cases: Vec<(&str, Export)> = vec![
        ("request_json", Box::new(|out| unsafe { opinio_segment(null, out) })),
        ("model", Box::new(|out| unsafe { opinio_analyze(std::ptr::null(), s.as_ptr(), out) })),
        ("request_json", Box::new(|out| unsafe { opinio_analyze(model(), null, out) })),
        ("model", Box::new(|out| unsafe { opinio_model_meta(std::ptr::null(), out) })),
        ("path", Box::new(|out| unsafe { opinio_preview(null, out) })),
        ("path", Box::new(|out| unsafe { opinio_analyze_batch(model(), null, null, None, null_mut(), out) })),
        ("options_json", Box::new(|out| unsafe { opinio_train_zero_shot(null, out) })),
        ("options_json", Box::new(|out| unsafe { opinio_train(null, None, null_mut(), out) })),
    ];
    for (name, f) in cases {
        let (status, out) = call(f);
        assert_eq!((status, out), (OpinioStatus::NullArgument as i32, None), "{name}");
        assert_eq!(last_error(), format!("argument `{name}` is null"));
    }
    assert_eq!(unsafe { opinio_segment(s.as_ptr(), std::ptr::null_mut()) }, 200);
    assert_eq!(last_error(), "argument `out_json` is null");
    assert_eq!(unsafe { opinio_model_load(s.as_ptr(), std::ptr::null_mut()) }, 200);
    // Freeing NULL is a no-op.
    unsafe {
        opinio_string_free(std::ptr::null_mut());
        opinio_model_free(std::ptr::null_mut());
    }
}

fn null_mut() -> *mut c_void {
    std::ptr::null_mut()
}

#[test]
fn invalid_utf8_and_bad_json_are_statuses() {
    let bad = CString::new(b"{\"documents\": [{\"text\": \"caf\xe9\"}]}".to_vec()).unwrap();
    let (status, out) = call(|out| unsafe { opinio_segment(bad.as_ptr(), out) });
    assert_eq!((status, out), (OpinioStatus::InvalidUtf8Argument as i32, None));
    assert_eq!(last_error(), "argument `request_json` is not valid utf-8 at byte 28");

    let broken = cstring(r#"{"documents": [{"text": 1}]}"#);
    let (status, _) = call(|out| unsafe { opinio_analyze(model(), broken.as_ptr(), out) });
    assert_eq!(status, OpinioStatus::Malformed as i32);
    assert!(last_error().starts_with("invalid json in `request_json`: invalid type"), "{}", last_error());

    let lang = cstring(r#"{"documents": [], "lang": "fr"}"#);
    let (status, _) = call(|out| unsafe { opinio_segment(lang.as_ptr(), out) });
    assert_eq!(status, OpinioStatus::InvalidArgument as i32);
    assert!(last_error().contains("\"fr\""), "{}", last_error());
}

#[test]
fn a_missing_model_is_an_error_naming_the_folder() {
    let dir = cstring("/nonexistent/opinio-model");
    let mut handle: *mut OpinioModel = std::ptr::dangling_mut();
    let status = unsafe { opinio_model_load(dir.as_ptr(), &mut handle) };
    assert_eq!(status, OpinioStatus::InvalidArgument as i32);
    assert!(handle.is_null());
    assert!(last_error().contains("/nonexistent/opinio-model"), "{}", last_error());
}

#[test]
fn load_options_pick_the_precision_and_refuse_unknown_ones() {
    let dir = cstring(ffi_support::repo().join(MODEL).to_str().unwrap());
    let load = |options: Option<&str>| {
        let options = options.map(cstring);
        let ptr = options.as_ref().map_or(std::ptr::null(), |o| o.as_ptr());
        let mut handle: *mut OpinioModel = std::ptr::dangling_mut();
        let status = unsafe { opinio_model_load_with(dir.as_ptr(), ptr, &mut handle) };
        (status, handle.cast_const())
    };
    let request = cstring(r#"{"documents": [{"text": "The soup was delicious. Our waiter was rude."}], "split": true}"#);
    let tags = |handle: *const OpinioModel| {
        let (status, out) = call(|out| unsafe { opinio_analyze(handle, request.as_ptr(), out) });
        assert_eq!(status, 0, "{}", last_error());
        let segments = out.unwrap()["documents"][0]["segments"].clone();
        segments.as_array().unwrap().iter().map(|s| (s["tags"][0]["class"].clone(), s["tags"][0]["label"].clone())).collect::<Vec<_>>()
    };
    for options in [None, Some("{}"), Some(r#"{"precision": "int8"}"#), Some(r#"{"precision": "fp32"}"#)] {
        let (status, handle) = load(options);
        assert_eq!(status, 0, "{options:?}: {}", last_error());
        assert_eq!(tags(handle), tags(model()), "{options:?}");
        unsafe { opinio_model_free(handle.cast_mut()) };
    }
    for (bad, named) in [(r#"{"precision": "int4"}"#, "int4"), (r#"{"precison": "int8"}"#, "precison"), ("[", "options_json")] {
        let (status, handle) = load(Some(bad));
        assert_eq!(status, OpinioStatus::Malformed as i32, "{bad}");
        assert!(handle.is_null(), "{bad}: no handle on error");
        assert!(last_error().contains(named), "{bad}: {}", last_error());
    }
    // Limits travel in the load options: a request over the document limit is refused.
    let (status, handle) = load(Some(r#"{"limits": {"max_request_documents": 1}}"#));
    assert_eq!(status, 0, "{}", last_error());
    let two = cstring(r#"{"documents": [{"text": "Cold soup."}, {"text": "Nice view."}]}"#);
    let (status, out) = call(|out| unsafe { opinio_analyze(handle, two.as_ptr(), out) });
    assert_eq!((status, out), (OpinioStatus::LimitExceeded as i32, None));
    assert!(last_error().contains("max_request_documents"), "{}", last_error());
    assert_eq!(tags(handle), tags(model()), "one document is within the limit");
    unsafe { opinio_model_free(handle.cast_mut()) };
}

#[test]
fn analyze_answers_the_ad_hoc_shape() {
    let (status, out) =
        analyze(&json!({"documents": [{"id": "a", "text": "The soup was cold. Nice view."}], "split": true}));
    assert_eq!(status, 0, "{}", last_error());
    let out = out.unwrap();
    assert_eq!(out["model"], "Restaurants (zero-shot)");
    assert_eq!(out["type"], "ABSA");
    assert_eq!(out["documents"][0]["id"], "a");
    assert_eq!(out["documents"][0]["segments"].as_array().unwrap().len(), 2);
    let (status, meta) = call(|out| unsafe { opinio_model_meta(model(), out) });
    assert_eq!(status, 0);
    assert_eq!(meta.unwrap()["language"], "en");
}

#[test]
fn threads_sharing_one_model_get_identical_answers() {
    let request = json!({"documents": [
        {"id": 1, "text": "The steak was overcooked. The staff were lovely though."},
        {"id": 2, "text": "Too expensive for such small portions."}
    ], "split": true});
    let expected = analyze(&request).1.unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let request = request.clone();
            std::thread::spawn(move || (0..5).map(|_| analyze(&request).1.unwrap()).collect::<Vec<_>>())
        })
        .collect();
    for h in handles {
        for answer in h.join().unwrap() {
            assert_eq!(answer, expected);
        }
    }
}

fn reviews_file(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("reviews.jsonl");
    let lines: Vec<String> = (0..n)
        .map(|i| json!({"id": i, "text": format!("Review {i}: the pizza was great.")}).to_string())
        .collect();
    std::fs::write(&path, lines.join("\n") + "\n{broken\n").unwrap();
    path
}

/// Records every progress call; cancels once `done` reaches `user_data.1`.
unsafe extern "C" fn record_progress(percent: f64, done: u64, user_data: *mut c_void) -> i32 {
    let (calls, cancel_at) = unsafe { &mut *user_data.cast::<(Vec<(f64, u64)>, u64)>() };
    calls.push((percent, done));
    i32::from(done >= *cancel_at)
}

fn batch(path: &Path, options: &str, state: &mut (Vec<(f64, u64)>, u64)) -> (i32, Option<Value>) {
    let path = cstring(path.to_str().unwrap());
    let options = cstring(options);
    let user_data = (state as *mut (Vec<(f64, u64)>, u64)).cast::<c_void>();
    call(|out| unsafe {
        opinio_analyze_batch(model(), path.as_ptr(), options.as_ptr(), Some(record_progress), user_data, out)
    })
}

#[test]
fn batch_reports_progress_and_keeps_going_past_bad_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = reviews_file(dir.path(), 7);
    let mut state = (Vec::new(), u64::MAX);
    let (status, out) = batch(&path, r#"{"chunk_size": 3, "split": true}"#, &mut state);
    assert_eq!(status, 0, "{}", last_error());
    let out = out.unwrap();
    assert_eq!(out["type"], "ABSA");
    assert_eq!(out["documents"].as_array().unwrap().len(), 7);
    assert_eq!(out["documents"][6]["id"], 6);
    assert!(out["documents"][0]["segments"][0]["tags"].is_array());
    assert_eq!(out["errors"][0]["line"], 8);
    // Before the first chunk, then after each chunk of 3 (the bad record counts as handled).
    assert_eq!(state.0, vec![(0.0, 0), (37.5, 3), (75.0, 6), (100.0, 8)]);

    let (status, _) = batch(&path, r#"{"colum": 1}"#, &mut state);
    assert_eq!(status, OpinioStatus::Malformed as i32);
    assert!(last_error().contains("unknown field `colum`"), "{}", last_error());
}

#[test]
fn batch_is_cancelled_by_the_callback() {
    let dir = tempfile::tempdir().unwrap();
    let path = reviews_file(dir.path(), 12);
    let mut state = (Vec::new(), 4);
    let (status, out) = batch(&path, r#"{"chunk_size": 2}"#, &mut state);
    assert_eq!((status, out), (OpinioStatus::Cancelled as i32, None));
    assert_eq!(last_error(), "batch cancelled after 4 documents");
    assert_eq!(state.0.last(), Some(&(100.0 * 4.0 / 13.0, 4)));
    assert_eq!(state.0.len(), 3);
}

#[test]
fn preview_and_version() {
    let path = cstring(ffi_support::repo().join("tests/fixtures/ingest/seed_preview.csv").to_str().unwrap());
    let (status, out) = call(|out| unsafe { opinio_preview(path.as_ptr(), out) });
    assert_eq!(status, 0, "{}", last_error());
    assert_eq!(out.unwrap()["preview"][0], json!(["another_column", "document", "review_source"]));
    let missing = cstring("/nonexistent/file.csv");
    assert_eq!(call(|out| unsafe { opinio_preview(missing.as_ptr(), out) }).0, OpinioStatus::Io as i32);
    let version = unsafe { CStr::from_ptr(opinio_version()) }.to_str().unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
}

#[test]
fn train_zero_shot_writes_a_loadable_model() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("rooms");
    let options = json!({
        "type": "CLASS", "lang": "en", "out": out_dir, "name": "Rooms",
        "classes": [{"name": "cleanliness", "description": "How clean the room was."}, "noise"]
    });
    let options = cstring(&options.to_string());
    let (status, meta) = call(|out| unsafe { opinio_train_zero_shot(options.as_ptr(), out) });
    assert_eq!(status, 0, "{}", last_error());
    let meta = meta.unwrap();
    assert_eq!((meta["name"].clone(), meta["type"].clone()), (json!("Rooms"), json!("CLASS")));
    assert_eq!(meta["classes"], json!(["cleanliness", "noise"]));

    let dir_c = cstring(out_dir.to_str().unwrap());
    let mut handle: *mut OpinioModel = std::ptr::null_mut();
    assert_eq!(unsafe { opinio_model_load(dir_c.as_ptr(), &mut handle) }, 0, "{}", last_error());
    let request = cstring(r#"{"documents": [{"text": "The bathroom was dirty."}]}"#);
    let (status, out) = call(|out| unsafe { opinio_analyze(handle, request.as_ptr(), out) });
    unsafe { opinio_model_free(handle) };
    assert_eq!(status, 0, "{}", last_error());
    assert_eq!(out.unwrap()["type"], "CLASS");

    let bad = cstring(r#"{"type": "ABSA", "classes": [], "out": "/tmp/x"}"#);
    assert_eq!(call(|out| unsafe { opinio_train_zero_shot(bad.as_ptr(), out) }).0, 100);
    assert_eq!(last_error(), "no class definitions given in `classes`");
}

#[test]
fn train_fine_tunes_reports_every_step_and_cancels_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("mine");
    let labeled = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/labeled/reviews_absa.csv");
    let options = |out: &Path| {
        cstring(
            &json!({
                "type": "ABSA", "train": labeled, "out": out, "epochs": 1, "name": "Mine", "seed": 3,
                "column_mapping": {"text": "review", "aspect": "aspect", "label": "sentiment"}
            })
            .to_string(),
        )
    };
    let request = options(&out_dir);
    let mut progress: (Vec<(f64, u64)>, u64) = (Vec::new(), u64::MAX);
    let user_data = (&mut progress as *mut (Vec<(f64, u64)>, u64)).cast::<c_void>();
    let (status, meta) = call(|out| unsafe { opinio_train(request.as_ptr(), Some(record_progress), user_data, out) });
    assert_eq!(status, 0, "{}", last_error());
    let meta = meta.unwrap();
    assert_eq!((meta["name"].clone(), meta["type"].clone()), (json!("Mine"), json!("ABSA")));
    assert!(meta["score"].as_f64().is_some_and(|s| (0.0..=1.0).contains(&s)), "{meta}");
    let steps: Vec<u64> = progress.0.iter().map(|p| p.1).collect();
    assert_eq!(steps, (1..=steps.len() as u64).collect::<Vec<_>>(), "one call per step");
    assert_eq!(progress.0.last().map(|p| p.0), Some(100.0));
    let dir_c = cstring(out_dir.to_str().unwrap());
    let mut handle: *mut OpinioModel = std::ptr::null_mut();
    assert_eq!(unsafe { opinio_model_load(dir_c.as_ptr(), &mut handle) }, 0, "{}", last_error());
    unsafe { opinio_model_free(handle) };

    let cancelled_dir = dir.path().join("cancelled");
    let request = options(&cancelled_dir);
    let mut progress: (Vec<(f64, u64)>, u64) = (Vec::new(), 1);
    let user_data = (&mut progress as *mut (Vec<(f64, u64)>, u64)).cast::<c_void>();
    let (status, out) = call(|out| unsafe { opinio_train(request.as_ptr(), Some(record_progress), user_data, out) });
    assert_eq!((status, out), (OpinioStatus::Cancelled as i32, None));
    assert!(last_error().contains("cancelled at step 1"), "{}", last_error());
    assert!(!cancelled_dir.exists());

    let unknown = cstring(r#"{"type": "ABSA", "train": "x.csv", "out": "/tmp/x", "epoch": 2}"#);
    assert_eq!(call(|out| unsafe { opinio_train(unknown.as_ptr(), None, null_mut(), out) }).0, OpinioStatus::Malformed as i32);
    assert!(last_error().contains("epoch"), "{}", last_error());
}

// ---------------------------------------------------------------------------------------
// Extraction.

fn extractor(dir: &str) -> (i32, *mut OpinioExtractor) {
    let dir = cstring(ffi_support::repo().join(dir).to_str().unwrap());
    let mut handle: *mut OpinioExtractor = std::ptr::dangling_mut();
    let status = unsafe { opinio_extractor_load(dir.as_ptr(), &mut handle) };
    (status, handle)
}

fn receipt_fixture() -> PathBuf {
    ffi_support::repo().join("tests/fixtures/extract/receipt.words.json")
}

#[test]
fn extraction_from_a_path_and_from_bytes_agree() {
    let (status, handle) = extractor("models/receipts");
    assert_eq!(status, 0, "{}", last_error());
    let path = receipt_fixture();
    let c_path = cstring(path.to_str().unwrap());
    let (status, by_path) = call(|out| unsafe { opinio_extract_file(handle, c_path.as_ptr(), std::ptr::null(), out) });
    assert_eq!(status, 0, "{}", last_error());
    let by_path = by_path.unwrap();
    let document = &by_path["documents"][0];
    assert_eq!(document["name"], "receipt.words.json");
    let total = document["matches"].as_array().unwrap().iter().find(|m| m["label"] == "total");
    assert_eq!(total.expect("a total is found")["value"], "25.50", "{document}");
    assert!(document.get("annotated_pages").is_none_or(|p| p.is_null()));

    let bytes = std::fs::read(&path).unwrap();
    let name = cstring("receipt.words.json");
    let options = cstring(r#"{"annotated_pages": true}"#);
    let (status, by_bytes) = call(|out| unsafe {
        opinio_extract_bytes(handle, name.as_ptr(), bytes.as_ptr(), bytes.len(), options.as_ptr(), out)
    });
    assert_eq!(status, 0, "{}", last_error());
    let by_bytes = by_bytes.unwrap();
    assert_eq!(by_bytes["documents"][0]["matches"], document["matches"]);
    assert_eq!(by_bytes["documents"][0]["annotated_pages"].as_array().map(Vec::len), Some(1));
    unsafe { opinio_extractor_free(handle) };
}

#[test]
fn extraction_errors_are_statuses_with_messages() {
    let (status, handle) = extractor("models/no-such-extractor");
    assert_ne!(status, 0);
    assert!(handle.is_null(), "a failed load leaves the handle NULL");
    assert!(last_error().contains("no-such-extractor"), "{}", last_error());

    let (status, handle) = extractor("models/receipts");
    assert_eq!(status, 0, "{}", last_error());
    let missing = cstring("/no/such/receipt.pdf");
    let (status, out) = call(|out| unsafe { opinio_extract_file(handle, missing.as_ptr(), std::ptr::null(), out) });
    assert_eq!((status, out), (OpinioStatus::Io as i32, None), "{}", last_error());

    let path = cstring(receipt_fixture().to_str().unwrap());
    let bad_options = cstring(r#"{"annotated_page": true}"#);
    let (status, _) = call(|out| unsafe { opinio_extract_file(handle, path.as_ptr(), bad_options.as_ptr(), out) });
    assert_eq!(status, OpinioStatus::Malformed as i32, "{}", last_error());
    assert!(last_error().contains("annotated_page"), "{}", last_error());

    let garbage = [0x25u8, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37, 0x0a, 0xff, 0x00, 0x13];
    let name = cstring("truncated.pdf");
    let (status, out) = call(|out| unsafe {
        opinio_extract_bytes(handle, name.as_ptr(), garbage.as_ptr(), garbage.len(), std::ptr::null(), out)
    });
    assert!(status != 0 && out.is_none(), "a truncated PDF is refused: status {status}");
    assert!(!last_error().is_empty());

    let (status, _) = call(|out| unsafe { opinio_extract_file(std::ptr::null(), path.as_ptr(), std::ptr::null(), out) });
    assert_eq!(status, OpinioStatus::NullArgument as i32);
    assert_eq!(last_error(), "argument `extractor` is null");
    let (status, _) = call(|out| unsafe {
        opinio_extract_bytes(handle, name.as_ptr(), std::ptr::null(), 10, std::ptr::null(), out)
    });
    assert_eq!(status, OpinioStatus::NullArgument as i32);
    assert_eq!(last_error(), "argument `data` is null");
    unsafe { opinio_extractor_free(handle) };
    unsafe { opinio_extractor_free(std::ptr::null_mut()) };
}

#[test]
fn sample_ranks_documents_for_a_correction_session() {
    let request = json!({"documents": [
        {"id": 1, "text": "The pasta was great."},
        {"id": 2, "text": "We waited an hour for a cold pizza."},
        {"id": 3, "text": "The pasta was great!"},
    ], "size": 2});
    let request = cstring(&request.to_string());
    let (status, out) = call(|out| unsafe { opinio_sample(model(), request.as_ptr(), out) });
    assert_eq!(status, 0, "{}", last_error());
    let out = out.unwrap();
    assert_eq!(out["documents"].as_array().map(Vec::len), Some(2), "{out}");
    let score = out["predicted_score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score), "{score}");

    let zero = cstring(r#"{"documents": [{"text": "x"}], "size": 0}"#);
    let (status, out) = call(|out| unsafe { opinio_sample(model(), zero.as_ptr(), out) });
    assert_eq!((status, out), (OpinioStatus::InvalidArgument as i32, None));
    let (status, _) = call(|out| unsafe { opinio_sample(std::ptr::null(), zero.as_ptr(), out) });
    assert_eq!(status, OpinioStatus::NullArgument as i32);
}
