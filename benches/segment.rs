//! Segmenter throughput in MB/s, on the repository's own review texts and segmentation
//! fixtures repeated to about 1 MB.
//!
//! The peer comparison (pySBD on the same text, whole `opinio segment` process) is
//! `benches/peers/segment_vs_pysbd.py`; criterion measures the segmenter alone here.

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use opinio::segment::Segmenter;
use opinio::Language;

/// About 1 MB of English review-like text built from the repo's samples and fixtures.
fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    let samples = std::fs::read_to_string(root.join("samples/reviews.jsonl")).expect("samples/reviews.jsonl");
    for line in samples.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("valid sample");
        texts.push(v["text"].as_str().unwrap_or_default().to_owned());
    }
    let fixtures = std::fs::read_to_string(root.join("tests/fixtures/segment/en.txt")).expect("en fixtures");
    for case in fixtures.split("\n===\n") {
        let input: Vec<&str> =
            case.lines().take_while(|l| *l != "---").filter(|l| !l.starts_with('#')).collect();
        texts.push(input.join(" "));
    }
    let unit: usize = texts.iter().map(String::len).sum();
    let copies = (1 << 20) / unit.max(1) + 1;
    texts.iter().cycle().take(texts.len() * copies).cloned().collect()
}

fn bench_segment(c: &mut Criterion) {
    let docs = corpus();
    let bytes: usize = docs.iter().map(String::len).sum();
    let mut group = c.benchmark_group("segment");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(20);
    for (name, segmenter) in [("en", Segmenter::new(Language::En)), ("detect", Segmenter::detecting())] {
        group.bench_with_input(BenchmarkId::new("split", name), &docs, |b, docs| {
            b.iter(|| docs.iter().map(|d| segmenter.split(d).len()).sum::<usize>())
        });
    }
    group.bench_with_input(BenchmarkId::new("segments_json", "en"), &docs, |b, docs| {
        let segmenter = Segmenter::new(Language::En);
        b.iter(|| {
            docs.iter()
                .map(|d| serde_json::to_vec(&segmenter.segments(d)).map_or(0, |v| v.len()))
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_segment);
criterion_main!(benches);
