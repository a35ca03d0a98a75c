//! Segmenter throughput in MB/s, on the repository's own review texts and segmentation
//! fixtures repeated to about 1 MB.
//!
//! sentencex (Wikimedia's Rust segmenter, the fastest peer we know) runs here too, in the
//! same process on the same documents, as `peer/sentencex`: its `get_sentence_boundaries`
//! gives what `split` gives, each sentence's byte and code-point range. The whole-process
//! comparison (pySBD and sentencex from Python, `opinio segment` on a JSONL file) is
//! `benches/peers/segment_vs_pysbd.py`.

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use opinio::segment::Segmenter;
use opinio::Language;

fn bench_segment(c: &mut Criterion) {
    let docs = common::documents_of_size(1 << 20);
    let bytes: usize = docs.iter().map(String::len).sum();
    let mut group = c.benchmark_group("segment");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(20);
    for (name, segmenter) in [("en", Segmenter::new(Language::En)), ("detect", Segmenter::detecting())] {
        group.bench_with_input(BenchmarkId::new("split", name), &docs, |b, docs| {
            b.iter(|| docs.iter().map(|d| segmenter.split(d).len()).sum::<usize>())
        });
    }
    group.bench_with_input(BenchmarkId::new("peer/sentencex", "en"), &docs, |b, docs| {
        b.iter(|| docs.iter().map(|d| sentencex::get_sentence_boundaries("en", d).len()).sum::<usize>())
    });
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
