//! Picking a batch that is both uncertain and diverse.
//!
//! Greedy, uncertainty-weighted k-center: each pick maximises
//! `uncertainty × density × novelty`. Novelty is the cosine distance `1 - cos` to the
//! nearest pick so far, capped at 1: a near-duplicate of a pick has novelty ≈ 0 and waits
//! until everything else is exhausted, however uncertain it is. Density is how typical a
//! candidate is of the pool ([`density`]): odd one-off texts are often uncertain because
//! they are odd, and correcting them teaches the model about nothing else (information
//! density, Settles & Craven 2008). Cost: `O((size + 512) · n · dim)`.

use crate::encode::pool::dot;

/// Candidate indices in pick order (`size` of them, or all when fewer). `embeddings` holds
/// `uncertainty.len()` unit rows of `dim` floats. Ties go to the lower index, so the result
/// is deterministic.
pub fn select(uncertainty: &[f32], embeddings: &[f32], dim: usize, size: usize) -> Vec<usize> {
    let n = uncertainty.len();
    debug_assert_eq!(embeddings.len(), n * dim);
    let size = size.min(n);
    let typical = density(embeddings, dim);
    let mut novelty = vec![1.0f32; n];
    let mut picked = vec![false; n];
    let mut order = Vec::with_capacity(size);
    // A floor keeps a certain but novel candidate ahead of an uncertain duplicate.
    let weight = |u: f32| u.max(0.0) + 1e-3;
    while order.len() < size {
        let mut best: Option<(usize, f32)> = None;
        for i in (0..n).filter(|&i| !picked[i]) {
            let gain = weight(uncertainty[i]) * typical[i] * novelty[i];
            if best.is_none_or(|(_, g)| gain > g) {
                best = Some((i, gain));
            }
        }
        let Some((i, _)) = best else { break };
        picked[i] = true;
        order.push(i);
        let row = &embeddings[i * dim..(i + 1) * dim];
        for j in (0..n).filter(|&j| !picked[j]) {
            let d = (1.0 - dot(row, &embeddings[j * dim..(j + 1) * dim])).clamp(0.0, 1.0);
            novelty[j] = novelty[j].min(d);
        }
    }
    order
}

/// Rows compared with each candidate to measure its density.
const DENSITY_REFERENCE: usize = 512;

/// How typical each unit row is of all of them: its mean cosine similarity (negative counted
/// as 0) to up to 512 rows spread evenly over the pool, scaled so that the most typical is 1;
/// all 1 when no row is similar to any other.
pub fn density(embeddings: &[f32], dim: usize) -> Vec<f32> {
    let n = if dim == 0 { 0 } else { embeddings.len() / dim };
    let step = n.div_ceil(DENSITY_REFERENCE).max(1);
    let reference: Vec<&[f32]> = embeddings.chunks_exact(dim.max(1)).step_by(step).collect();
    let raw: Vec<f32> = embeddings
        .chunks_exact(dim.max(1))
        .map(|row| reference.iter().map(|r| dot(row, r).max(0.0)).sum::<f32>() / reference.len().max(1) as f32)
        .collect();
    let top = raw.iter().copied().fold(0.0f32, f32::max);
    if top <= 0.0 {
        return vec![1.0; n];
    }
    raw.iter().map(|d| d / top).collect()
}

#[cfg(test)]
mod tests {
    use super::{density, select};

    #[test]
    fn most_uncertain_first_then_diverse() {
        // Rows 0 and 1 are the same point, row 2 is orthogonal.
        let e = [1.0, 0.0, 1.0, 0.0, 0.0, 1.0];
        assert_eq!(select(&[0.9, 0.8, 0.3], &e, 2, 3), [0, 2, 1]);
        assert_eq!(select(&[0.2, 0.8, 0.3], &e, 2, 2), [1, 2]);
        assert_eq!(select(&[0.2, 0.8, 0.3], &e, 2, 9).len(), 3);
        assert!(select(&[], &[], 2, 3).is_empty());
    }

    #[test]
    fn typical_rows_are_dense_and_an_outlier_waits() {
        // Three rows near x, one alone on y.
        let e = [1.0, 0.0, 0.98, 0.199, 0.98, -0.199, 0.0, 1.0];
        let d = density(&e, 2);
        assert!(d.iter().any(|&x| x == 1.0), "{d:?}");
        assert!(d[3] < 0.5 * d[1], "{d:?}");
        // The outlier is a little more uncertain, the typical row goes first.
        assert_eq!(select(&[0.5, 0.1, 0.1, 0.6], &e, 2, 1), [0]);
        assert_eq!(density(&[], 2), Vec::<f32>::new());
    }
}
