//! Correction sampling: the documents worth a human's correction first.
//!
//! [`sample`] runs the model over unlabeled documents and ranks them by how much a
//! correction should teach it, the seed's "Create a new correction session" done in-process:
//!
//! 1. Each document is segmented and every segment is tagged, keeping the head's
//!    [`Probabilities`](crate::heads::Probabilities), read as a distribution over the
//!    segment's tags by a [`TagModel`]: independent presences, or, when the model's training
//!    segments all carried a tag, presences given at least one class.
//! 2. Each segment gives the gradient its correction would cause at the head, the model's
//!    own tags standing in for the gold ([`gradient`]): its [`residuals`] (probability minus
//!    tag) times its embedding. A document's is the sum of its segments'.
//! 3. The candidates are the `3 × size` documents likeliest to be tagged wrong somewhere
//!    ([`TagModel::wrong_probability`]). k-means++ seeding over their gradients
//!    ([`kmeans_pp`], BADGE; together, Cluster-Margin's recipe) places `size` clusters:
//!    long gradients (unsure documents) and gradients pointing elsewhere (different
//!    documents) first, so near-duplicates share a cluster — the same doubt corrected twice
//!    teaches the model once — and documents the model is sure of wait. Each cluster then
//!    gives its medoid ([`kmedoids`]): the batch stays spread, but each pick is a typical
//!    document of its kind of doubt, not the oddest one the seeding lands on. A document's
//!    reported uncertainty is that of its most uncertain segment ([`TagModel::uncertainty`]:
//!    binary entropy of each class's presence, `1 - margin` of the label).
//! 4. `predicted_score` is the score the model expects of its own tags on the picked
//!    documents: the expected micro-F1 (joint for ABSA/CLASSLABEL) if its probabilities were
//!    calibrated, `2·E[tp] / (tags given + E[gold tags])` summed over the batch ([`Expected`]).
//!    Low means much to correct. It is a self-estimate: a model that is confidently wrong
//!    overestimates it, which is what the correction session is for. Trained heads divide
//!    their logits by temperatures fitted on held-out segments after training
//!    ([`crate::heads::Temperatures`]) against part of that overconfidence; how far the
//!    estimate stays off is measured in `tests/sampling_experiment.rs`.

pub mod experiment;
pub mod gradient;
mod uncertainty;

pub use gradient::{kmeans_pp, kmedoids, residuals, GradientEmbedding};
pub use uncertainty::{Expected, TagModel};

use serde::Serialize;

use crate::schema::{Document, Segment};
use crate::{Error, ErrorKind, Model, Result};

/// Segments encoded per model call.
const BATCH_SEGMENTS: usize = 512;

/// The batch is drawn from this many candidates a pick, the documents likeliest wrong
/// (Cluster-Margin, Citovsky et al. 2021: uncertainty narrows the pool, diversity picks from
/// it). Set a priori, not tuned; see `tests/sampling_experiment.rs` for what it gives.
const CANDIDATES_PER_PICK: usize = 3;

/// How many documents to pick.
#[derive(Clone, Debug)]
pub struct SampleOptions {
    /// How many documents the session shows (all of them, ranked, when fewer are given).
    pub size: usize,
}

/// A correction sample: `{"documents": [...], "predicted_score": S}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sample {
    /// The picked documents, one per cluster in the order the clusters were seeded (the
    /// most doubtful kind first), segmented and tagged by the model.
    pub documents: Vec<Document>,
    /// The score the model expects of its tags on these documents; see the [module docs](self).
    pub predicted_score: f64,
    /// The uncertainty of each picked document, in `[0, 1]`, in the same order.
    #[serde(skip)]
    pub uncertainty: Vec<f32>,
    /// Each picked document's index in the input.
    #[serde(skip)]
    pub indices: Vec<usize>,
}

/// What one document contributes to the ranking.
struct Scored {
    uncertainty: f32,
    expected: Expected,
    /// The probability that all its segments' tags are right.
    right: f32,
}

/// Picks `opts.size` of `documents` for correction; see the [module docs](self).
///
/// Documents without text are never picked. Fails when `size` is 0, when no document has
/// text, or when the model's head does not expose probabilities.
pub fn sample(model: &Model, mut documents: Vec<Document>, opts: &SampleOptions) -> Result<Sample> {
    model.check_request(documents.len())?;
    if opts.size == 0 {
        return Err(Error::invalid_argument("sample size is 0, ask for at least one document"));
    }
    let reading = TagModel::of(model);
    let mut segments: Vec<Vec<Segment>> =
        documents.iter().map(|d| model.segmenter().segments(&d.text)).collect();
    // Every segment as (document, text), batched across document boundaries.
    let spots: Vec<(usize, &str)> =
        segments.iter().enumerate().flat_map(|(d, s)| s.iter().map(move |s| (d, s.text.as_str()))).collect();
    let mut scored: Vec<Scored> = documents
        .iter()
        .map(|_| Scored { uncertainty: 0.0, expected: Expected::default(), right: 1.0 })
        .collect();
    let mut gradients: Vec<GradientEmbedding> =
        documents.iter().map(|_| GradientEmbedding::default()).collect();
    let mut tags = Vec::with_capacity(spots.len());
    for chunk in spots.chunks(BATCH_SEGMENTS) {
        let texts: Vec<&str> = chunk.iter().map(|&(_, t)| t).collect();
        let prediction = model.predict(&texts)?;
        let probabilities = prediction.probabilities.ok_or_else(|| {
            Error::new(
                ErrorKind::Unsupported,
                "this model's head does not expose probabilities, so it cannot rank documents",
            )
        })?;
        for (k, (&(d, _), p)) in chunk.iter().zip(&probabilities).enumerate() {
            scored[d].uncertainty = scored[d].uncertainty.max(reading.uncertainty(p));
            scored[d].expected.add(reading, p);
            scored[d].right *= 1.0 - reading.wrong_probability(p);
            // Prediction embeddings are unit vectors already.
            gradients[d].add(residuals(reading, p), prediction.embeddings.row(k).to_vec());
        }
        tags.extend(prediction.tags);
    }
    drop(spots);
    let mut tags = tags.into_iter();
    for s in segments.iter_mut().flatten() {
        s.tags = Some(tags.next().unwrap_or_default());
    }
    // Only documents with segments are candidates, and of those the likeliest wrong.
    let mut candidates: Vec<usize> = (0..documents.len()).filter(|&d| !segments[d].is_empty()).collect();
    if candidates.is_empty() {
        return Err(Error::invalid_argument("no document has text to sample from"));
    }
    candidates.sort_by(|&a, &b| scored[a].right.total_cmp(&scored[b].right).then(a.cmp(&b)));
    candidates.truncate(opts.size.saturating_mul(CANDIDATES_PER_PICK).max(opts.size));
    candidates.sort_unstable();
    let pool: Vec<GradientEmbedding> =
        candidates.iter().map(|&d| std::mem::take(&mut gradients[d])).collect();
    drop(gradients);
    let order: Vec<usize> = kmedoids(&pool, opts.size).into_iter().map(|i| candidates[i]).collect();
    let mut expected = Expected::default();
    for &d in &order {
        let x = scored[d].expected;
        expected.tp += x.tp;
        expected.predicted += x.predicted;
        expected.gold += x.gold;
    }
    let uncertainty = order.iter().map(|&d| scored[d].uncertainty).collect();
    for (doc, segs) in documents.iter_mut().zip(segments) {
        doc.segments = Some(segs);
    }
    let mut slots: Vec<Option<Document>> = documents.into_iter().map(Some).collect();
    let picked = order.iter().filter_map(|&d| slots[d].take()).collect();
    Ok(Sample { documents: picked, predicted_score: expected.f1(), uncertainty, indices: order })
}
