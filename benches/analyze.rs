//! End-to-end analysis throughput in segments/s: segment → encode → head → tags, with the
//! shipped restaurant aspect definitions as a zero-shot ABSA model, at encoder batch 1, 8
//! and 32, on 1 and 2 threads, over the repository's own review texts (`benches/common`).
//!
//! `benches/peers/analyze_vs_onnxruntime.py` compares the whole `opinio analyze` process
//! with ONNX Runtime's tokenize + encode on the same encoder file.

mod common;

use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use opinio::encode::Encoder;
use opinio::parallel::Pool;
use opinio::schema::{Document, ModelType};
use opinio::{model, Language, Model};

fn bench_analyze(c: &mut Criterion) {
    let docs: Vec<Document> =
        common::documents().into_iter().map(|text| Document { text, ..Document::default() }).collect();
    let classes_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/restaurant_classes.json");
    let (classes, _) = model::read_definitions(&classes_file).expect("restaurant classes");
    let base = Encoder::default_model().expect("models/all-MiniLM-L6-v2 loads");
    let model_with_batch = |batch: usize| {
        let mut encoder = base.clone();
        encoder.set_batch_size(batch).expect("batch size");
        Model::zero_shot(Arc::new(encoder), ModelType::Absa, "bench", Language::En, classes.clone(), vec![])
            .expect("zero-shot model")
    };
    let segments: usize = model_with_batch(32)
        .analyze_documents(docs.clone(), true)
        .expect("analysis")
        .iter()
        .map(|d| d.segments.as_ref().map_or(0, Vec::len))
        .sum();

    let mut group = common::model_group(c, "analyze", segments);
    for threads in common::THREADS {
        let pool = Pool::new(threads).expect("thread pool");
        for batch in common::BATCHES {
            let model = model_with_batch(batch);
            group.bench_with_input(
                BenchmarkId::new(format!("{threads}_threads"), batch),
                &docs,
                |b, docs| {
                    b.iter(|| {
                        pool.install(|| model.analyze_documents(docs.clone(), true).expect("analysis").len())
                    })
                },
            );
        }
    }
    group.finish();

    // Where the time goes, stage by stage, on the same segments at batch 32 on 2 threads.
    let model = model_with_batch(32);
    let analysed = model.analyze_documents(docs.clone(), true).expect("analysis");
    let texts: Vec<&str> =
        analysed.iter().flat_map(|d| d.segments.iter().flatten().map(|s| s.text.as_str())).collect();
    let encoder = model.encoder().clone();
    let mut stages = c.benchmark_group("stages");
    stages.throughput(Throughput::Elements(texts.len() as u64));
    stages.sample_size(10);
    stages.bench_function("segment", |b| {
        b.iter(|| docs.iter().map(|d| model.segmenter().segments(&d.text).len()).sum::<usize>())
    });
    stages.bench_function("tokenize", |b| {
        b.iter(|| encoder.tokenizer().encode_batch(&texts).expect("tokenize").1.len())
    });
    stages.bench_function("tokenize_encode_pool", |b| b.iter(|| encoder.embed(&texts).expect("embed").len()));
    stages.bench_function("tokenize_encode_pool_head", |b| {
        b.iter(|| model.tag_texts(&texts).expect("tags").len())
    });
    stages.bench_function("json", |b| b.iter(|| serde_json::to_vec(&analysed).expect("json").len()));
    stages.finish();
}

criterion_group!(benches, bench_analyze);
criterion_main!(benches);
