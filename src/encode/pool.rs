//! From per-token hidden states to one unit-length sentence vector.
//!
//! sentence-transformers' recipe: the mean of the hidden states of the real tokens (the
//! attention mask excludes padding), then L2 normalisation, so that a dot product is the
//! cosine similarity.
//!
//! The hot loops work on fixed-width lanes (`chunks_exact(LANES)`) so that the compiler emits
//! SIMD adds and, for the norm, keeps [`LANES`] independent partial sums: a plain `sum()` of
//! squares is a serial dependency chain that floating-point rules forbid it to reorder.
//! [`reference`] holds the obvious scalar version the fast one is tested against.

/// Lane width of the vectorised loops: 16 f32 = one AVX-512 register, two AVX2 ones.
pub const LANES: usize = 16;

/// Adds `row` into `acc` (same length), lane by lane.
#[inline]
fn add_assign(acc: &mut [f32], row: &[f32]) {
    debug_assert_eq!(acc.len(), row.len());
    let mut a = acc.chunks_exact_mut(LANES);
    let mut r = row.chunks_exact(LANES);
    for (a, r) in (&mut a).zip(&mut r) {
        for i in 0..LANES {
            a[i] += r[i];
        }
    }
    for (a, r) in a.into_remainder().iter_mut().zip(r.remainder()) {
        *a += r;
    }
}

/// The sum of squares with [`LANES`] partial sums (vectorisable), then a final reduction.
#[inline]
pub fn sum_of_squares(v: &[f32]) -> f32 {
    let mut lanes = [0f32; LANES];
    let mut chunks = v.chunks_exact(LANES);
    for c in &mut chunks {
        for i in 0..LANES {
            lanes[i] += c[i] * c[i];
        }
    }
    let tail: f32 = chunks.remainder().iter().map(|x| x * x).sum();
    lanes.iter().sum::<f32>() + tail
}

/// The dot product with [`LANES`] partial sums; for unit vectors, their cosine similarity.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot of vectors of different lengths");
    let mut lanes = [0f32; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..LANES {
            lanes[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

/// Scales `v` to unit L2 length; a zero vector stays zero (norm floored at 1e-12, as
/// `torch.nn.functional.normalize`).
#[inline]
pub fn normalize(v: &mut [f32]) {
    let inv = 1.0 / sum_of_squares(v).sqrt().max(1e-12);
    for x in v.iter_mut() {
        *x *= inv;
    }
}

/// Mean-pools one text's `[seq * dim]` hidden states over the tokens whose `mask` is
/// non-zero, into `out` (`dim` long), then L2-normalises it.
///
/// A text with no real token gives the zero vector.
pub fn mean_pool(hidden: &[f32], mask: &[i64], dim: usize, out: &mut [f32]) {
    assert_eq!(out.len(), dim, "pooled output length");
    assert_eq!(hidden.len(), mask.len() * dim, "hidden states are [seq * dim]");
    out.fill(0.0);
    let mut count = 0usize;
    for (row, &m) in hidden.chunks_exact(dim).zip(mask) {
        if m != 0 {
            add_assign(out, row);
            count += 1;
        }
    }
    if count > 0 {
        let inv = 1.0 / count as f32;
        for x in out.iter_mut() {
            *x *= inv;
        }
    }
    normalize(out);
}

/// Mean-pools the first `len` rows of `[seq * dim]` hidden states (a right-padded text of
/// `len` real tokens): [`mean_pool`] without reading the mask.
pub fn mean_pool_prefix(hidden: &[f32], len: usize, dim: usize, out: &mut [f32]) {
    assert_eq!(out.len(), dim, "pooled output length");
    assert!(hidden.len() >= len * dim, "hidden states shorter than {len} tokens");
    out.fill(0.0);
    for row in hidden[..len * dim].chunks_exact(dim) {
        add_assign(out, row);
    }
    if len > 0 {
        let inv = 1.0 / len as f32;
        for x in out.iter_mut() {
            *x *= inv;
        }
    }
    normalize(out);
}

/// The pooled, normalised vector of one text from its own token states (`[tokens * dim]`,
/// row-major, no padding), as [`crate::encode::Encoder::map_token_states`] hands them out.
pub fn mean_pool_text(states: &[f32], dim: usize) -> Vec<f32> {
    let mut out = vec![0f32; dim];
    mean_pool_prefix(states, states.len() / dim.max(1), dim, &mut out);
    out
}

/// The plain scalar versions, kept as the specification the fast ones are tested against.
pub mod reference {
    /// Masked mean then L2 normalisation, one element at a time, accumulated in f64.
    pub fn mean_pool(hidden: &[f32], mask: &[i64], dim: usize) -> Vec<f32> {
        let mut sum = vec![0f64; dim];
        let mut count = 0f64;
        for (t, &m) in mask.iter().enumerate() {
            if m != 0 {
                for d in 0..dim {
                    sum[d] += f64::from(hidden[t * dim + d]);
                }
                count += 1.0;
            }
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / count.max(1e-9)).collect();
        let norm = mean.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
        mean.iter().map(|x| (x / norm) as f32).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random sequence (xorshift), so the test needs no extra crate.
    fn noise(n: usize, mut seed: u64) -> Vec<f32> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed % 20_000) as f32 / 10_000.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn fast_equals_reference() {
        // 384 is MiniLM's width; 37 exercises the remainder path.
        for dim in [384, 37, 1] {
            for (seq, real) in [(9, 9), (12, 5), (3, 0), (1, 1)] {
                let hidden = noise(seq * dim, (dim * 31 + seq) as u64);
                let mask: Vec<i64> = (0..seq).map(|t| i64::from(t < real)).collect();
                let mut fast = vec![0f32; dim];
                mean_pool(&hidden, &mask, dim, &mut fast);
                let mut prefix = vec![0f32; dim];
                mean_pool_prefix(&hidden, real, dim, &mut prefix);
                let slow = reference::mean_pool(&hidden, &mask, dim);
                for d in 0..dim {
                    assert!((fast[d] - slow[d]).abs() < 1e-5, "dim {dim} seq {seq} at {d}");
                    assert_eq!(fast[d], prefix[d]);
                }
                if real > 0 {
                    assert!((sum_of_squares(&fast) - 1.0).abs() < 1e-5);
                } else {
                    assert!(fast.iter().all(|&x| x == 0.0));
                }
            }
        }
    }

    #[test]
    fn dot_and_norm() {
        let a = noise(100, 3);
        let b = noise(100, 5);
        let slow: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - slow).abs() < 1e-4);
        let mut v = vec![3.0, 4.0];
        normalize(&mut v);
        assert_eq!(v, [0.6, 0.8]);
    }
}
