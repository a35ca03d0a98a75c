//! Encoder throughput in sentences/s: tokenize + encode + pool, at batch 1, 8 and 32, on 1 and
//! 2 threads, over about 256 sentences of the repository's own text (the English segmentation
//! fixtures and the sample reviews, split by opinio's segmenter).
//!
//! The sentences are also written to `target/bench-encode-sentences.txt`, one per line, so
//! that `benches/peers/encode_vs_onnxruntime.py` runs ONNX Runtime on exactly the same ones and
//! prints the ratio against the results criterion leaves in `target/criterion/encode/`.

mod common;

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use opinio::encode::Encoder;
use opinio::parallel::Pool;

/// How many sentences one iteration encodes.
const SENTENCES: usize = 256;

fn bench_encode(c: &mut Criterion) {
    let sentences = common::sentences(SENTENCES);
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-encode-sentences.txt");
    // Best effort: the peer script needs it, the bench does not.
    let _ = std::fs::write(&out, sentences.join("\n") + "\n");
    let texts: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let base = Encoder::default_model().expect("models/all-MiniLM-L6-v2 loads");

    let mut group = common::model_group(c, "encode", texts.len());
    for threads in common::THREADS {
        let pool = Pool::new(threads).expect("thread pool");
        for batch in common::BATCHES {
            let mut encoder = base.clone();
            encoder.set_batch_size(batch).expect("batch size");
            group.bench_with_input(
                BenchmarkId::new(format!("{threads}_threads"), batch),
                &texts,
                |b, texts| b.iter(|| pool.install(|| encoder.embed(texts).expect("embed").len())),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench_encode);
criterion_main!(benches);
