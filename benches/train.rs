//! Training time against the number of labeled sentences: 100, 1000 and 3000 sentences,
//! 4 epochs each (the defaults of `opinio train`), on the machine's threads.
//!
//! The sentences are the repository's own review sentences (`benches/common`), repeated as
//! needed, with tags assigned round-robin: only time is measured here, and it depends on the
//! number and length of sentences, not on what their tags say. Held-out quality is measured
//! by `scripts/build-restaurants.sh` instead.
//!
//! Under `cargo test` (criterion's test mode: no `--bench` argument) only the 100-sentence
//! case runs, for 1 epoch, so the bench takes seconds and cannot rot; `cargo bench --bench
//! train` runs all three, 10 samples each (criterion's minimum: about an hour on 2 cores;
//! `cargo bench --bench train -- sentences/100` for one size).

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use opinio::schema::{ModelType, Tag};
use opinio::train::{self, Control, Example, TrainOptions};

const CLASSES: [&str; 4] = ["food", "service", "price", "ambience"];
const LABELS: [&str; 3] = ["POS", "NEG", "NEU"];

fn examples(n: usize) -> Vec<Example> {
    common::sentences(n)
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let tag = Tag {
                class: Some(CLASSES[i % CLASSES.len()].into()),
                label: Some(LABELS[(i / 2) % LABELS.len()].into()),
                confidence: None,
            };
            Example::new(text, vec![tag])
        })
        .collect()
}

fn bench_train(c: &mut Criterion) {
    let full = std::env::args().any(|a| a == "--bench");
    let (sizes, epochs): (&[usize], usize) = if full { (&[100, 1000, 3000], 4) } else { (&[100], 1) };
    let mut group = c.benchmark_group("train");
    group.sample_size(10);
    for &n in sizes {
        let data = examples(n);
        let options = TrainOptions { epochs, ..TrainOptions::new(ModelType::Absa) };
        group.bench_with_input(BenchmarkId::new("sentences", n), &data, |b, data| {
            b.iter(|| train::train(data, None, &options, |_| Control::Continue).expect("training").train_size)
        });
    }
    group.finish();
}

criterion_group!(benches, bench_train);
criterion_main!(benches);
