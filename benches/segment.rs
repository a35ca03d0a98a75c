//! Segmenter throughput in MB/s, on the repository's own review texts and segmentation
//! fixtures repeated to about 1 MB.
//!
//! The peer comparison (pySBD on the same text, whole `opinio segment` process) is
//! `benches/peers/segment_vs_pysbd.py`; criterion measures the segmenter alone here.

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
