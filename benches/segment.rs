//! Segmenter throughput in MB/s, on the repository's own review texts and segmentation
//! fixtures repeated to about 1 MB.
//!
//! sentencex (Wikimedia's Rust segmenter, the fastest peer we know) runs here too, in the
//! same process on the same documents, as `peer/sentencex`: its `get_sentence_boundaries`
//! gives what `split` gives, each sentence's byte and code-point range. The whole-process
//! comparison (pySBD and sentencex from Python, `opinio segment` on a JSONL file) is
//! `benches/peers/segment_vs_pysbd.py`.

mod common;

use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

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
    // Interleaved: every sample runs opinio and then sentencex over the same documents, so
    // that a slow spell of the machine hits both; the ratios are printed after the group.
    let pairs = RefCell::new(Vec::new());
    group.bench_with_input(BenchmarkId::new("interleaved", "en"), &docs, |b, docs| {
        let segmenter = Segmenter::new(Language::En);
        b.iter_custom(|iters| {
            let (mut ours, mut peer) = (Duration::ZERO, Duration::ZERO);
            for _ in 0..iters {
                let t = Instant::now();
                black_box(docs.iter().map(|d| segmenter.split(d).len()).sum::<usize>());
                ours += t.elapsed();
                let t = Instant::now();
                black_box(
                    docs.iter().map(|d| sentencex::get_sentence_boundaries("en", d).len()).sum::<usize>(),
                );
                peer += t.elapsed();
            }
            pairs.borrow_mut().push((ours.as_secs_f64() / iters as f64, peer.as_secs_f64() / iters as f64));
            ours
        })
    });
    report_pairs(&pairs.into_inner(), bytes);
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

/// Prints opinio's and sentencex's best and median throughput over interleaved samples and
/// how many times faster opinio is: best to best, and the median of the per-sample ratios.
fn report_pairs(pairs: &[(f64, f64)], bytes: usize) {
    if pairs.is_empty() {
        return; // filtered out
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mib = |secs: f64| bytes as f64 / secs / (1024.0 * 1024.0);
    let best = |f: fn(&(f64, f64)) -> f64| pairs.iter().map(f).fold(f64::INFINITY, f64::min);
    let (ours, peer) = (best(|p| p.0), best(|p| p.1));
    let ours_median = median(pairs.iter().map(|p| p.0).collect());
    let peer_median = median(pairs.iter().map(|p| p.1).collect());
    let ratio_median = median(pairs.iter().map(|p| p.1 / p.0).collect());
    println!(
        "segment/interleaved/en over {} samples: opinio {:.1} MiB/s best, {:.1} median; sentencex {:.1} best, \
         {:.1} median; opinio is {:.2}x as fast best to best, {:.2}x median of pairs",
        pairs.len(),
        mib(ours),
        mib(ours_median),
        mib(peer),
        mib(peer_median),
        peer / ours,
        ratio_median
    );
}

criterion_group!(benches, bench_segment);
criterion_main!(benches);
