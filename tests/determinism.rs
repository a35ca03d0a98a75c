//! The same input and model give byte-identical JSON across runs and across 1, 2 and 8
//! threads: analysis (trained and zero-shot models), extraction from a scan, and correction
//! sampling. (Training's own determinism for a seed is tested in `src/train/tests.rs`.)
//!
//! Thread counts change which worker encodes which batch and in which order batches finish;
//! none of that may reach the answers.

#[path = "extract_support/mod.rs"]
mod extract_support;

use std::path::{Path, PathBuf};

use opinio::correct::{self, SampleOptions};
use opinio::extract::{ExtractOptions, Extractor};
use opinio::parallel::Pool;
use opinio::schema::Document;
use opinio::Model;

const THREADS: [usize; 3] = [1, 2, 8];

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs `f` on a pool of `threads` threads.
fn on<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    Pool::new(threads).unwrap().install(f)
}

/// `f`'s answer on every thread count of [`THREADS`], twice each: all must be one answer.
fn assert_one_answer(what: &str, f: impl Fn() -> String + Sync + Send) {
    let reference = on(1, &f);
    for threads in THREADS {
        for run in 0..2 {
            assert!(
                on(threads, &f) == reference,
                "{what}: {threads} threads, run {run} differs from 1 thread"
            );
        }
    }
}

/// Restaurant reviews of varied length: the shipped samples and the labelled fixture.
fn documents() -> Vec<Document> {
    let mut texts = Vec::new();
    for file in ["samples/reviews.jsonl", "tests/fixtures/analysis/restaurant_sample.jsonl"] {
        for line in std::fs::read_to_string(repo(file)).unwrap().lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            texts.push(value["text"].as_str().unwrap().to_string());
        }
    }
    texts.into_iter().map(|text| Document { text, ..Document::default() }).collect()
}

#[test]
fn analysis_is_byte_identical_across_runs_and_threads() {
    for name in ["restaurants", "restaurants-zero-shot"] {
        let model = Model::load(repo(&format!("models/{name}"))).unwrap();
        let docs = documents();
        assert_one_answer(name, || {
            let analysed = model.analyze_documents(docs.clone(), true).unwrap();
            serde_json::to_string(&analysed).unwrap()
        });
    }
}

#[test]
fn sampling_is_byte_identical_across_runs_and_threads() {
    let model = Model::load(repo("models/restaurants")).unwrap();
    let docs = documents();
    assert_one_answer("sample", || {
        let sample = correct::sample(&model, docs.clone(), &SampleOptions { size: 10 }).unwrap();
        serde_json::to_string(&sample).unwrap()
    });
}

#[test]
fn extraction_from_a_scan_is_byte_identical_across_runs_and_threads() {
    let extractor = Extractor::load(repo("models/receipts")).unwrap();
    let scan = extract_support::photographed_receipt();
    let options = ExtractOptions::default().with_annotated_pages(true);
    assert_one_answer("extract", || {
        let response = extractor.extract_bytes("receipt.jpg", &scan, &options).unwrap();
        serde_json::to_string(&response).unwrap()
    });
}
