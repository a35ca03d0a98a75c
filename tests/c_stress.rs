//! The concurrency stress run of the C ABI (bindings/c/stress.c): 8 threads share one model
//! and one extractor, mixing analysis, sampling, batch files (some cancelled), extraction of
//! a photographed receipt by path and from bytes, and bad input; every answer must equal the
//! one-thread answer to the same call. Natively twenty calls a thread; and under valgrind's
//! memcheck (errors and definite leaks fail) with one call per thread, a words file instead
//! of the scan and a two-review batch file, because under memcheck one analysis takes
//! seconds (the run takes about four minutes on two cores).
//!
//! Needs a C compiler and pkg-config (and valgrind for the memcheck run): without them the
//! tests are ignored with the install command; `.ci/run` (OPINIO_REQUIRE_ALL=1) runs them.

#[path = "extract_support/mod.rs"]
mod extract_support;
mod ffi_support;

use ffi_support::c::{build, install, memcheck, run_under};
use ffi_support::repo;
use serde_json::Value;
use std::path::Path;

/// Builds stress.c and runs it behind `wrapper` on `document` and the batch file `reviews`
/// with 8 threads for `seconds`, or `calls` calls each; returns the summary it prints and
/// the run's standard error, after checking it found no mismatch.
fn stress(wrapper: &[&str], document: &Path, reviews: &Path, seconds: &str, calls: &str) -> (Value, String) {
    let (prefix, flags) = install();
    let exe = build(prefix.path(), &flags, "stress.c");
    let paths = [repo().join("models/restaurants-zero-shot"), repo().join("models/receipts")];
    let args = [
        paths[0].to_str().unwrap(),
        paths[1].to_str().unwrap(),
        document.to_str().unwrap(),
        reviews.to_str().unwrap(),
        seconds,
        "8",
        calls,
    ];
    let (code, stdout, stderr) = run_under(prefix.path(), &exe, wrapper, &args);
    assert_eq!(code, 0, "stress run failed (exit {code}):\n{stderr}\n{stdout}");
    let summary: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(summary["mismatches"], 0, "{stderr}");
    (summary, stderr)
}

#[test]
#[cfg_attr(
    not(opinio_has_cc),
    ignore = "needs a C compiler and pkg-config: apt-get install gcc libc6-dev pkg-config"
)]
fn eight_threads_get_the_sequential_answers() {
    let dir = tempfile::tempdir().unwrap();
    let scan = dir.path().join("receipt.jpg");
    std::fs::write(&scan, extract_support::photographed_receipt()).unwrap();
    // Twenty calls a thread, twice through the mix of ten operations (about 20 s on two
    // cores), whatever the machine's speed; 300 s is only a backstop.
    let (summary, _) = stress(&[], &scan, &repo().join("samples/reviews.jsonl"), "300", "20");
    assert_eq!(summary["calls"], 8 * 20, "{summary}");
}

#[test]
#[cfg_attr(not(opinio_has_valgrind), ignore = "needs valgrind: apt-get install valgrind")]
#[cfg_attr(
    all(opinio_has_valgrind, not(opinio_has_cc)),
    ignore = "needs a C compiler and pkg-config: apt-get install gcc libc6-dev pkg-config"
)]
fn eight_threads_are_clean_under_memcheck() {
    let wrapper = memcheck();
    let wrapper: Vec<&str> = wrapper.iter().map(String::as_str).collect();
    let words = repo().join("tests/fixtures/extract/receipt.words.json");
    let dir = tempfile::tempdir().unwrap();
    let reviews = dir.path().join("two.jsonl");
    let text = std::fs::read_to_string(repo().join("samples/reviews.jsonl")).unwrap();
    std::fs::write(&reviews, text.lines().take(2).map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let (summary, stderr) = stress(&wrapper, &words, &reviews, "600", "1");
    assert_eq!(summary["calls"], 8, "{summary}");
    assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
    assert!(
        stderr.contains("definitely lost: 0 bytes") || stderr.contains("All heap blocks were freed"),
        "{stderr}"
    );
}
