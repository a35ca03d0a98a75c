//! The benches' shared text: the repository's own sample reviews and English segmentation
//! fixtures, so every bench (and every peer script) measures the same sentences.

#![allow(dead_code)]

use std::collections::HashSet;
use std::path::Path;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use opinio::segment::Segmenter;
use opinio::Language;

/// The threads and encoder batch sizes the model benches compare.
pub const THREADS: [usize; 2] = [1, 2];
pub const BATCHES: [usize; 3] = [1, 8, 32];

/// A group for model runs of a second or so each: few samples, a longer measurement.
pub fn model_group<'c>(c: &'c mut Criterion, name: &str, elements: usize) -> BenchmarkGroup<'c, WallTime> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(elements as u64));
    group.sample_size(10);
    group.warm_up_time(std::time::Duration::from_secs(2));
    group.measurement_time(std::time::Duration::from_secs(15));
    group
}

/// The documents: each sample review and each English fixture's input text.
pub fn documents() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut docs = Vec::new();
    let samples = std::fs::read_to_string(root.join("samples/reviews.jsonl")).expect("samples/reviews.jsonl");
    for line in samples.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("valid sample");
        docs.push(v["text"].as_str().unwrap_or_default().to_owned());
    }
    let fixtures = std::fs::read_to_string(root.join("tests/fixtures/segment/en.txt")).expect("en fixtures");
    for case in fixtures.split("\n===\n") {
        let input: Vec<&str> =
            case.lines().take_while(|l| *l != "---").filter(|l| !l.starts_with('#')).collect();
        docs.push(input.join(" "));
    }
    docs
}

/// The documents repeated to at least `bytes` bytes.
pub fn documents_of_size(bytes: usize) -> Vec<String> {
    let docs = documents();
    let unit: usize = docs.iter().map(String::len).sum();
    let copies = bytes / unit.max(1) + 1;
    docs.iter().cycle().take(docs.len() * copies).cloned().collect()
}

/// `n` sentences: the distinct sentences of the documents, repeated as needed (the encoder
/// has no cache, so repeats cost the same as new text).
pub fn sentences(n: usize) -> Vec<String> {
    let segmenter = Segmenter::new(Language::En);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for doc in documents() {
        for s in segmenter.segments(&doc) {
            let text = s.text.split_whitespace().collect::<Vec<_>>().join(" ");
            if !text.is_empty() && seen.insert(text.clone()) {
                out.push(text);
            }
        }
    }
    assert!(!out.is_empty(), "no sentences in the samples");
    out.iter().cycle().take(n).cloned().collect()
}
