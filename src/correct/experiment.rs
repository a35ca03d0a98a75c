//! Does sampling pay? The experiment of issue 4, for any trainer.
//!
//! From a model trained on `start` random labeled segments of a pool, add `add` more either
//! picked by [`sample`](super::sample) from the rest of the pool (their gold tags standing in
//! for the human's corrections) or drawn at random, retrain each way, and score both on a
//! held-out set; repeat per seed. The trainer is a closure, so the same harness measures the
//! zero-shot prototypes, the fine-tuned heads, or anything else that yields a [`Model`].

use super::{sample, SampleOptions};
use crate::evaluate::{evaluate, headline};
use crate::labeled::LabeledSet;
use crate::rng::SplitMix64;
use crate::schema::Document;
use crate::{Error, Model, Result};

/// The sizes and seeds of one experiment.
#[derive(Clone, Debug)]
pub struct ExperimentOptions {
    /// Random segments the first model is trained on.
    pub start: usize,
    /// Segments added to them, sampled or random.
    pub add: usize,
    /// One run per seed; the seed also goes to the trainer.
    pub seeds: Vec<u64>,
}

/// The headline scores of one run on the held-out set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// The run's seed.
    pub seed: u64,
    /// The model trained on `start` random segments.
    pub base: f64,
    /// Retrained with `add` random segments more.
    pub random: f64,
    /// Retrained with the `add` segments [`sample`](super::sample) picked.
    pub sampled: f64,
    /// The share of the picked segments whose tags the first model got wrong (any class or
    /// label differs from the gold): what a correction session is for.
    pub sampled_mistakes: f64,
    /// The same share for the `add` random segments.
    pub random_mistakes: f64,
    /// The sample's `predicted_score`: the score the first model expects on the picked segments.
    pub predicted_score: f64,
    /// The score the first model really gets on them.
    pub actual_score: f64,
}

/// Runs the experiment; `train(set, seed)` builds a model from labeled segments.
pub fn compare<T>(
    pool: &LabeledSet,
    test: &LabeledSet,
    opts: &ExperimentOptions,
    mut train: T,
) -> Result<Vec<Outcome>>
where
    T: FnMut(&LabeledSet, u64) -> Result<Model>,
{
    let n = pool.segments.len();
    if opts.start == 0 || opts.add == 0 || opts.start + opts.add > n {
        return Err(Error::invalid_argument(format!(
            "start {} plus add {} must be positive and fit the pool of {n} segments",
            opts.start, opts.add
        )));
    }
    let score = |model: &Model| -> Result<f64> { Ok(headline(&evaluate(model, test)?).unwrap_or(0.0)) };
    let mut outcomes = Vec::with_capacity(opts.seeds.len());
    for &seed in &opts.seeds {
        let order = shuffled(n, seed);
        let (start, rest) = order.split_at(opts.start);
        let base_model = train(&subset(pool, start), seed)?;
        let base = score(&base_model)?;
        let random_set: Vec<usize> = start.iter().chain(&rest[..opts.add]).copied().collect();
        let random = score(&train(&subset(pool, &random_set), seed)?)?;
        let documents = |indices: &[usize]| -> Vec<Document> {
            indices
                .iter()
                .map(|&i| Document { text: pool.segments[i].text.clone(), ..Document::default() })
                .collect()
        };
        let picked = sample(&base_model, documents(rest), &SampleOptions { size: opts.add })?;
        let picked_set: Vec<usize> = picked.indices.iter().map(|&k| rest[k]).collect();
        let sampled_mistakes = mistakes(pool, &picked_set, &picked.documents);
        // Sampling all of the random ones returns them tagged by the same model.
        let random_tagged =
            sample(&base_model, documents(&rest[..opts.add]), &SampleOptions { size: opts.add })?;
        let random_picked: Vec<usize> = random_tagged.indices.iter().map(|&k| rest[k]).collect();
        let random_mistakes = mistakes(pool, &random_picked, &random_tagged.documents);
        let actual_score = headline(&evaluate(&base_model, &subset(pool, &picked_set))?).unwrap_or(0.0);
        drop(base_model);
        let sampled_set: Vec<usize> = start.iter().copied().chain(picked_set).collect();
        let sampled = score(&train(&subset(pool, &sampled_set), seed)?)?;
        outcomes.push(Outcome {
            seed,
            base,
            random,
            sampled,
            sampled_mistakes,
            random_mistakes,
            predicted_score: picked.predicted_score,
            actual_score,
        });
    }
    Ok(outcomes)
}

/// The share of `documents` (the pool's segments at `indices`, tagged by a model) whose
/// (class, label) tags differ from the gold.
fn mistakes(pool: &LabeledSet, indices: &[usize], documents: &[Document]) -> f64 {
    let set = |tags: &mut dyn Iterator<Item = &crate::schema::Tag>| {
        let mut v: Vec<(Option<String>, Option<String>)> =
            tags.map(|t| (t.class.clone(), t.label.clone())).collect();
        v.sort();
        v
    };
    let wrong = indices
        .iter()
        .zip(documents)
        .filter(|(&i, doc)| {
            let predicted = set(&mut doc.segments.iter().flatten().flat_map(|s| s.tags.iter().flatten()));
            predicted != set(&mut pool.segments[i].tags.iter())
        })
        .count();
    wrong as f64 / indices.len().max(1) as f64
}

/// `0..n` in a seeded random order.
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    SplitMix64::new(seed ^ 0x5EED).shuffle(&mut order);
    order
}

/// The segments of `set` at `indices`, with its names.
fn subset(set: &LabeledSet, indices: &[usize]) -> LabeledSet {
    LabeledSet {
        model_type: set.model_type,
        segments: indices.iter().filter_map(|&i| set.segments.get(i).cloned()).collect(),
        classes: set.classes.clone(),
        labels: set.labels.clone(),
        issues: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labeled::LabeledSegment;
    use crate::schema::{ModelType, Segment, Tag};

    fn tag(class: &str, label: &str, confidence: Option<f32>) -> Tag {
        Tag { class: Some(class.into()), label: Some(label.into()), confidence }
    }

    #[test]
    fn a_mistake_is_any_difference_in_the_tag_set() {
        let gold = |tags: Vec<Tag>| LabeledSegment { text: "t".into(), tags, line: 1, record: 0 };
        let pool = LabeledSet {
            model_type: ModelType::Absa,
            segments: vec![
                gold(vec![tag("food", "POS", None), tag("service", "NEG", None)]),
                gold(vec![tag("food", "POS", None)]),
                gold(vec![tag("food", "POS", None)]),
                gold(vec![]),
                gold(vec![tag("price", "NEG", None)]),
            ],
            classes: vec!["food".into(), "price".into(), "service".into()],
            labels: vec!["POS".into(), "NEG".into()],
            issues: Vec::new(),
        };
        let tagged = |tags: Vec<Tag>| Document {
            segments: Some(vec![Segment { text: "t".into(), span: [0, 1], tags: Some(tags) }]),
            ..Document::default()
        };
        let documents = [
            // The same set in another order, with confidences: right.
            tagged(vec![tag("service", "NEG", Some(0.9)), tag("food", "POS", Some(0.7))]),
            // Another label: wrong.
            tagged(vec![tag("food", "NEG", Some(0.6))]),
            // A class too many: wrong.
            tagged(vec![tag("food", "POS", Some(0.8)), tag("price", "POS", Some(0.6))]),
            // Nothing where nothing was tagged: right.
            tagged(vec![]),
            // Nothing where something was: wrong.
            tagged(vec![]),
        ];
        assert_eq!(mistakes(&pool, &[0, 1, 2, 3, 4], &documents), 0.6);
        assert_eq!(mistakes(&pool, &[0, 3], &[documents[0].clone(), documents[3].clone()]), 0.0);
        assert_eq!(mistakes(&pool, &[], &[]), 0.0);
    }
}
