//! Training time against the number of labeled sentences: 100, 1000 and 3000 sentences, one
//! epoch each (`opinio train` runs 4 by default: time grows linearly with epochs), on the
//! machine's threads, including the held-out scoring through tract.
//!
//! The sentences are the repository's own review sentences (`benches/common`), repeated as
//! needed, with tags assigned round-robin: only time is measured here, and it depends on the
//! number and length of sentences, not on what their tags say. Held-out quality is measured
//! by `scripts/build-restaurants.sh` instead.
//!
//! Under `cargo test` (criterion's test mode: no `--bench` argument) only the 100-sentence
//! case runs, for 1 epoch, so the bench takes seconds and cannot rot; `cargo bench --bench
//! train` runs all three, 10 samples each (criterion's minimum: about half an hour on 2
//! cores; `cargo bench --bench train -- sentences/100` for one size).

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use opinio::labeled::{LabeledSegment, LabeledSet};
use opinio::schema::{ModelType, Tag};
use opinio::train::{self, Control, TrainOptions};

const CLASSES: [&str; 4] = ["food", "service", "price", "ambience"];
const LABELS: [&str; 3] = ["POS", "NEG", "NEU"];

fn labeled(n: usize) -> LabeledSet {
    let segments = common::sentences(n)
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let tag = Tag {
                class: Some(CLASSES[i % CLASSES.len()].into()),
                label: Some(LABELS[(i / 2) % LABELS.len()].into()),
                confidence: None,
            };
            LabeledSegment { text, tags: vec![tag], line: i as u64 + 1, record: i }
        })
        .collect();
    let mut classes: Vec<String> = CLASSES.iter().map(|c| c.to_string()).collect();
    classes.sort();
    let labels = opinio::schema::sentiment::ALL.iter().map(|l| l.to_string()).collect();
    LabeledSet { model_type: ModelType::Absa, segments, classes, labels, issues: Vec::new() }
}

fn bench_train(c: &mut Criterion) {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes: &[usize] = if full { &[100, 1000, 3000] } else { &[100] };
    let mut group = c.benchmark_group("train");
    group.sample_size(10);
    for &n in sizes {
        let data = labeled(n);
        let options = TrainOptions { epochs: 1, min_steps: 0, ..TrainOptions::new(ModelType::Absa) };
        group.bench_with_input(BenchmarkId::new("sentences", n), &data, |b, data| {
            b.iter(|| train::train(data, None, &options, |_| Control::Continue).expect("training").train_size)
        });
    }
    group.finish();
}

criterion_group!(benches, bench_train);
criterion_main!(benches);
