//! Picking a batch by the gradients a correction would cause (BADGE, Ash et al. 2020).
//!
//! What a corrected document teaches the model is the gradient it brings. The gold is not
//! known yet, so the model's own tags stand in for it: the loss gradient of the head's last
//! layer on one segment is then the outer product of its **residuals** (each probability
//! minus the tag the model gives: class presence, and the label of each class weighted by how
//! present the class is) and the text's vector. The product is long where the model is
//! unsure and points where the text is, so one rule covers both halves of the choice.
//!
//! k-means++ seeding over these vectors ([`kmeans_pp`]) picks the longest first, then each
//! next one with a probability proportional to its squared distance from the nearest pick:
//! unsure documents (long vectors) and different ones (other directions) come first, while
//! the documents the model is sure of sit near the origin, where one pick covers them all.
//! Each seed is then moved to the medoid of its cluster ([`kmedoids`]), so that a pick
//! stands for its kind of doubt instead of being its extreme. An earlier rule (uncertainty
//! × density × novelty, greedy) did not beat random picks on SemEval-2014; this one is
//! measured in `tests/sampling_experiment.rs`, and the choice between the seeds and the
//! medoids in docs/training.md.
//!
//! The seed is fixed, so the same documents and model give the same pick.

use super::uncertainty::{label_row, TagModel};
use crate::encode::pool::dot;
use crate::heads::Probabilities;
use crate::rng::SplitMix64;
use crate::schema::ModelType;

/// Segments kept per document: those with the longest residuals. A document's gradient is
/// the sum of its segments', and comparing two documents costs the product of their segment
/// counts, so long documents are summarised by their most doubtful segments.
pub const MAX_SEGMENTS: usize = 4;

/// The seed of the k-means++ draws.
const SEED: u64 = 0xBAD6E;

/// The loss gradient with respect to the head's logits on one segment, the model's own tags
/// taken as gold: `p(class) - [presumed]` per class ([`TagModel::presumed`]: the tagged
/// classes, or the likeliest when there must be one), then per class `p(class) · (p(label) -
/// [likeliest])` per label (LABEL: the one label row alone).
pub fn residuals(m: TagModel, p: &Probabilities) -> Vec<f32> {
    let label_residual = |row: &[f32], weight: f32, out: &mut Vec<f32>| {
        let best = row.iter().enumerate().fold(0, |b, (i, &x)| if x > row[b] { i } else { b });
        out.extend(row.iter().enumerate().map(|(i, &x)| weight * (x - if i == best { 1.0 } else { 0.0 })));
    };
    let mut r: Vec<f32> = Vec::new();
    match m.model_type {
        ModelType::Label => {
            if let Some(row) = p.labels.first() {
                label_residual(row, 1.0, &mut r);
            }
        }
        _ => {
            let presumed = m.presumed(p);
            r.extend(p.classes.iter().zip(presumed).map(|(&q, on)| q - if on { 1.0 } else { 0.0 }));
            if m.model_type != ModelType::Class {
                for (c, &q) in p.classes.iter().enumerate() {
                    if let Some(row) = label_row(p, c) {
                        label_residual(row, q, &mut r);
                    }
                }
            }
        }
    }
    r
}

/// One document's gradient vector, kept factored: `Σ residual ⊗ embedding` over (at most
/// [`MAX_SEGMENTS`] of) its segments.
#[derive(Clone, Debug, Default)]
pub struct GradientEmbedding {
    parts: Vec<(Vec<f32>, Vec<f32>)>,
}

impl GradientEmbedding {
    /// Adds a segment: its [`residuals`] and its unit embedding. Past [`MAX_SEGMENTS`], the
    /// segment with the shortest residual is dropped.
    pub fn add(&mut self, residual: Vec<f32>, embedding: Vec<f32>) {
        self.parts.push((residual, embedding));
        if self.parts.len() > MAX_SEGMENTS {
            let shortest = (0..self.parts.len())
                .min_by(|&a, &b| {
                    let (x, y) = (&self.parts[a].0, &self.parts[b].0);
                    dot(x, x).total_cmp(&dot(y, y))
                })
                .unwrap_or(0);
            self.parts.swap_remove(shortest);
        }
    }

    /// Whether no segment was added.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The inner product of the two (unfactored) gradient vectors.
    pub fn dot(&self, other: &GradientEmbedding) -> f32 {
        let mut sum = 0.0;
        for (r, e) in &self.parts {
            for (s, f) in &other.parts {
                if r.len() == s.len() && e.len() == f.len() {
                    sum += dot(r, s) * dot(e, f);
                }
            }
        }
        sum
    }
}

/// Indices of `docs` in pick order, `size` of them (all when fewer): k-means++ seeding, the
/// longest vector first. Deterministic.
pub fn kmeans_pp(docs: &[GradientEmbedding], size: usize) -> Vec<usize> {
    seed(&Distances::new(docs), size)
}

/// Squared distances between the documents' (unfactored) gradient vectors, their squared
/// lengths computed once.
struct Distances<'a> {
    docs: &'a [GradientEmbedding],
    norms: Vec<f32>,
}

impl<'a> Distances<'a> {
    fn new(docs: &'a [GradientEmbedding]) -> Distances<'a> {
        Distances { docs, norms: docs.iter().map(|d| d.dot(d)).collect() }
    }

    /// `|a - b|²`, never below 0 (rounding).
    fn d2(&self, a: usize, b: usize) -> f32 {
        (self.norms[a] + self.norms[b] - 2.0 * self.docs[a].dot(&self.docs[b])).max(0.0)
    }
}

/// [`kmeans_pp`] over precomputed [`Distances`].
fn seed(distances: &Distances, size: usize) -> Vec<usize> {
    let (n, norms) = (distances.docs.len(), &distances.norms);
    let size = size.min(n);
    let mut picked = vec![false; n];
    let mut order = Vec::with_capacity(size);
    let Some(first) = (0..n).reduce(|b, i| if norms[i] > norms[b] { i } else { b }) else {
        return order;
    };
    let mut nearest = vec![f32::INFINITY; n];
    let mut rng = SplitMix64::new(SEED);
    let mut next = first;
    while order.len() < size {
        picked[next] = true;
        order.push(next);
        for j in (0..n).filter(|&j| !picked[j]) {
            nearest[j] = nearest[j].min(distances.d2(next, j));
        }
        let total: f64 = (0..n).filter(|&j| !picked[j]).map(|j| nearest[j] as f64).sum();
        let candidates = (0..n).filter(|&j| !picked[j]);
        next = if total > 0.0 {
            let mut target = rng.uniform() * total;
            let mut chosen = None;
            for j in candidates {
                target -= nearest[j] as f64;
                chosen = Some(j);
                if target < 0.0 && nearest[j] > 0.0 {
                    break;
                }
            }
            match chosen {
                Some(j) => j,
                None => break,
            }
        } else {
            // Every candidate sits on a pick: the order no longer matters.
            match candidates.into_iter().next() {
                Some(j) => j,
                None => break,
            }
        };
    }
    order
}

/// k-medoids rounds after the k-means++ seeding; each costs about one seeding.
const MEDOID_ROUNDS: usize = 5;

/// Indices of `docs`, `size` of them (all when fewer): the medoids of `size` clusters, in
/// the order k-means++ seeded them ([`kmeans_pp`]). Deterministic.
///
/// k-means++ seeding alone picks by squared distance, so it favours the documents furthest
/// from the rest: among the likeliest-wrong documents, the oddest. Each seed is then moved
/// to the medoid of the documents nearest it (Voronoi iteration, a few rounds): the member
/// whose summed squared distance to the other members is least, which is the member nearest
/// the cluster's mean. The batch stays spread (one pick per cluster) but each pick is
/// typical of a kind of mistake rather than its extreme (TypiClust's finding: at small
/// budgets typical examples teach more). On SemEval-2014 (200 + 200 sentences, nine seeds)
/// it picked as many mistakes as the seeds (88.4% against 88.5%) for joint F1 0.550 against
/// 0.548, with smaller losses on the seeds where sampling lost; docs/training.md.
pub fn kmedoids(docs: &[GradientEmbedding], size: usize) -> Vec<usize> {
    let n = docs.len();
    let distances = Distances::new(docs);
    let mut medoids = seed(&distances, size);
    for _ in 0..MEDOID_ROUNDS {
        let mut members: Vec<Vec<usize>> = medoids.iter().map(|&m| vec![m]).collect();
        let mut is_medoid = vec![false; n];
        medoids.iter().for_each(|&m| is_medoid[m] = true);
        for i in (0..n).filter(|&i| !is_medoid[i]) {
            let nearest = medoids.iter().map(|&m| distances.d2(i, m)).enumerate().min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((c, _)) = nearest {
                members[c].push(i);
            }
        }
        let next: Vec<usize> = members
            .iter()
            .map(|m| {
                let spread = |i: usize| m.iter().map(|&j| distances.d2(i, j) as f64).sum::<f64>();
                // The first member is the old medoid: it stays on ties.
                let least = m.iter().map(|&i| (spread(i), i)).reduce(|best, x| if x.0 < best.0 { x } else { best });
                least.map_or(m[0], |(_, i)| i)
            })
            .collect();
        if next == medoids {
            break;
        }
        medoids = next;
    }
    medoids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(residual: &[f32], embedding: &[f32]) -> GradientEmbedding {
        let mut g = GradientEmbedding::default();
        g.add(residual.to_vec(), embedding.to_vec());
        g
    }

    #[test]
    fn residuals_follow_the_models_own_tags() {
        let p = Probabilities { classes: vec![0.9, 0.2], labels: vec![vec![0.7, 0.3], vec![0.5, 0.5]] };
        let r = residuals(TagModel { model_type: ModelType::Absa, at_least_one: false }, &p);
        let want = [-0.1, 0.2, 0.9 * -0.3, 0.9 * 0.3, 0.2 * -0.5, 0.2 * 0.5];
        assert_eq!(r.len(), want.len());
        assert!(r.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6), "{r:?}");
        assert_eq!(residuals(TagModel { model_type: ModelType::Class, at_least_one: false }, &p).len(), 2);
        let sure = Probabilities { classes: vec![], labels: vec![vec![1.0, 0.0]] };
        assert!(residuals(TagModel { model_type: ModelType::Label, at_least_one: false }, &sure).iter().all(|&x| x == 0.0));
        // No class tagged, but there must be one: the likeliest is presumed.
        let low = Probabilities { classes: vec![0.3, 0.2], labels: vec![] };
        let given = TagModel { model_type: ModelType::Class, at_least_one: true };
        assert_eq!(residuals(given, &low), [0.3 - 1.0, 0.2]);
    }

    #[test]
    fn factored_dot_equals_the_outer_products() {
        let mut a = doc(&[1.0, 2.0], &[0.6, 0.8]);
        a.add(vec![0.5, -1.0], vec![1.0, 0.0]);
        let b = doc(&[3.0, -1.0], &[0.0, 1.0]);
        let outer =
            |r: &[f32], e: &[f32]| r.iter().flat_map(|x| e.iter().map(move |y| x * y)).collect::<Vec<f32>>();
        let mut ga = outer(&[1.0, 2.0], &[0.6, 0.8]);
        ga.iter_mut().zip(outer(&[0.5, -1.0], &[1.0, 0.0])).for_each(|(x, y)| *x += y);
        let gb = outer(&[3.0, -1.0], &[0.0, 1.0]);
        assert!((a.dot(&b) - dot(&ga, &gb)).abs() < 1e-5);
    }

    #[test]
    fn keeps_the_most_doubtful_segments() {
        let mut g = GradientEmbedding::default();
        for k in 0..MAX_SEGMENTS + 2 {
            g.add(vec![k as f32], vec![1.0]);
        }
        assert_eq!(g.parts.len(), MAX_SEGMENTS);
        assert!(g.parts.iter().all(|(r, _)| r[0] >= 2.0));
    }

    #[test]
    fn unsure_and_different_first_near_duplicates_and_sure_ones_later() {
        // 0: unsure on x; 1: its near-duplicate; 2, 3: unsure on y and z; then ten sure ones.
        let mut docs = vec![
            doc(&[1.0], &[1.0, 0.0, 0.0]),
            doc(&[1.0], &[0.995, 0.0998, 0.0]),
            doc(&[0.9], &[0.0, 1.0, 0.0]),
            doc(&[0.9], &[0.0, 0.0, 1.0]),
        ];
        docs.extend(
            (0..10).map(|k| doc(&[0.01], &[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]][k % 3])),
        );
        let order = kmeans_pp(&docs, docs.len());
        assert_eq!(order[0], 0, "the longest vector first");
        let at = |i: usize| order.iter().position(|&o| o == i).unwrap();
        assert!(at(2) < 5 && at(3) < 5, "the other directions early: {order:?}");
        assert!(at(1) > at(2) && at(1) > at(3), "the near-duplicate after them: {order:?}");
        let mut all = order.clone();
        all.sort_unstable();
        assert_eq!(all, (0..docs.len()).collect::<Vec<_>>());
        assert_eq!(kmeans_pp(&docs, docs.len()), order, "deterministic");
        assert!(kmeans_pp(&[], 3).is_empty());
        let same = [doc(&[0.0], &[1.0]), doc(&[0.0], &[1.0])];
        assert_eq!(kmeans_pp(&same, 2), [0, 1]);
    }

    #[test]
    fn medoids_are_typical_of_their_cluster_not_its_extremes() {
        // Two kinds of doubt, along x and along y: three typical documents each and one
        // further out. k-means++ seeds on the furthest (6.0 on x, the longest); the medoids
        // are the members nearest each cluster's mean (5.25 on x, 5.2 on y): 5.1 both times.
        let x = [6.0, 5.0, 5.1, 4.9];
        let y = [5.8, 5.0, 5.1, 4.9];
        let mut docs: Vec<GradientEmbedding> = x.iter().map(|&r| doc(&[r], &[1.0, 0.0])).collect();
        docs.extend(y.iter().map(|&r| doc(&[r], &[0.0, 1.0])));
        assert_eq!(kmeans_pp(&docs, 2)[0], 0, "seeded on the extreme");
        assert_eq!(kmedoids(&docs, 2), [2, 6]);
        assert_eq!(kmedoids(&docs, 2), kmedoids(&docs, 2), "deterministic");
        let mut all = kmedoids(&docs, 20);
        all.sort_unstable();
        assert_eq!(all, (0..docs.len()).collect::<Vec<_>>(), "each its own cluster when size covers them");
        assert!(kmedoids(&[], 3).is_empty());
    }
}
