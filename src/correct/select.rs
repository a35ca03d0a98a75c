//! Picking a batch that is both uncertain and diverse.
//!
//! Greedy, uncertainty-weighted k-center: the first pick is the most uncertain candidate;
//! each next pick maximises `uncertainty × novelty`, where novelty is the cosine distance
//! `1 - cos` to the nearest pick so far, capped at 1. A near-duplicate of a pick has
//! novelty ≈ 0 and waits until everything else is exhausted, however uncertain it is;
//! among equally novel candidates the more uncertain wins. Cost: `O(size · n · dim)`.

use crate::encode::pool::dot;

/// Candidate indices in pick order (`size` of them, or all when fewer). `embeddings` holds
/// `uncertainty.len()` unit rows of `dim` floats. Ties go to the lower index, so the result
/// is deterministic.
pub fn select(uncertainty: &[f32], embeddings: &[f32], dim: usize, size: usize) -> Vec<usize> {
    let n = uncertainty.len();
    debug_assert_eq!(embeddings.len(), n * dim);
    let size = size.min(n);
    let mut novelty = vec![1.0f32; n];
    let mut picked = vec![false; n];
    let mut order = Vec::with_capacity(size);
    // A floor keeps a certain but novel candidate ahead of an uncertain duplicate.
    let weight = |u: f32| u.max(0.0) + 1e-3;
    while order.len() < size {
        let mut best: Option<(usize, f32)> = None;
        for i in (0..n).filter(|&i| !picked[i]) {
            let gain = weight(uncertainty[i]) * novelty[i];
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

#[cfg(test)]
mod tests {
    use super::select;

    #[test]
    fn most_uncertain_first_then_diverse() {
        // Rows 0 and 1 are the same point, row 2 is orthogonal.
        let e = [1.0, 0.0, 1.0, 0.0, 0.0, 1.0];
        assert_eq!(select(&[0.9, 0.8, 0.3], &e, 2, 3), [0, 2, 1]);
        assert_eq!(select(&[0.2, 0.8, 0.3], &e, 2, 2), [1, 2]);
        assert_eq!(select(&[0.2, 0.8, 0.3], &e, 2, 9).len(), 3);
        assert!(select(&[], &[], 2, 3).is_empty());
    }
}
