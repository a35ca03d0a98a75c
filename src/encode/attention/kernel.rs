//! The arithmetic of fused multi-head attention, on plain slices.
//!
//! tract runs BERT's attention as the exporter wrote it: reshape and transpose Q, K and V
//! into heads, a batched matrix product per head (`[s, d] x [d, s]` with `d` = 32), scale,
//! mask, softmax, a second product with V, transpose and reshape back. On sentences of ~30
//! tokens those products are far too small for a matrix kernel: the steps cost 17% of the
//! encoder's time for 1% of its arithmetic. Here one pass per (text, head) reads the heads
//! straight out of the `[b, s, heads * d]` projections, skips padded keys entirely, and
//! writes the result where the final reshape would have put it.
//!
//! The loops are written so the compiler vectorises them; [`attend`] runs them compiled for
//! AVX2 when the CPU has it (chosen at run time, like tract's own kernels) and for the
//! baseline target otherwise.

/// The shape of one attention call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dims {
    /// Texts in the batch.
    pub batch: usize,
    /// Padded sequence length.
    pub seq: usize,
    /// Attention heads.
    pub heads: usize,
    /// Width of one head (`hidden / heads`).
    pub head_dim: usize,
}

impl Dims {
    /// `heads * head_dim`, the width of a token's row.
    pub fn hidden(&self) -> usize {
        self.heads * self.head_dim
    }
}

/// A key whose mask value is this far below the row's largest mask value gets a softmax
/// weight below e^-1000, which is exactly 0 in f32: it is skipped instead of computed.
const MASKED: f32 = 1000.0;

/// The keys of one text that get any weight: those whose mask value (`[seq]`) is within
/// [`MASKED`] of the largest. The others are padding.
pub(crate) fn live_keys(mask: &[f32]) -> impl Iterator<Item = usize> + '_ {
    let top = mask.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    (0..mask.len()).filter(move |&j| !(mask[j] < top - MASKED))
}

/// `out = softmax(q k^T * scale + mask) v` for every text and head.
///
/// `q`, `k`, `v` and `out` are `[batch, seq, heads * head_dim]` row-major; `mask` is the
/// additive mask per key, `[batch, seq]` (0 for a token, a large negative value for padding).
pub(crate) fn attend(q: &[f32], k: &[f32], v: &[f32], mask: &[f32], dims: Dims, scale: f32, out: &mut [f32]) {
    let n = dims.batch * dims.seq * dims.hidden();
    assert!(q.len() == n && k.len() == n && v.len() == n && out.len() == n, "attention inputs of {n} values");
    assert_eq!(mask.len(), dims.batch * dims.seq, "attention mask of batch * seq values");
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU was just checked to support AVX2 and FMA, the call's requirements.
        unsafe { attend_avx2(q, k, v, mask, dims, scale, out) };
        return;
    }
    attend_portable::<Separate>(q, k, v, mask, dims, scale, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn attend_avx2(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    mask: &[f32],
    dims: Dims,
    scale: f32,
    out: &mut [f32],
) {
    attend_portable::<Fused>(q, k, v, mask, dims, scale, out);
}

/// What differs between the CPUs the loops are compiled for: how `a * b + c` is computed
/// (one fused instruction where the CPU has it, else a multiply and an add: `f32::mul_add`
/// without hardware FMA is a slow library call), and how a head's keys are transposed.
trait MulAdd {
    fn mul_add(a: f32, b: f32, c: f32) -> f32;

    /// `kt[u * lp + jj] = k[starts[jj] + u]` for `u < d`: the head's keys as columns.
    /// Row by row, so that the writes are sequential (strided writes cost more than strided
    /// reads).
    #[inline(always)]
    fn transpose_keys(k: &[f32], starts: &[usize], d: usize, lp: usize, kt: &mut [f32]) {
        transpose_keys_by_value(k, starts, d, lp, kt);
    }
}

/// [`MulAdd::transpose_keys`] one value at a time.
#[inline(always)]
fn transpose_keys_by_value(k: &[f32], starts: &[usize], d: usize, lp: usize, kt: &mut [f32]) {
    for (u, kt_row) in kt.chunks_exact_mut(lp).take(d).enumerate() {
        for (slot, &at) in kt_row.iter_mut().zip(starts) {
            *slot = k[at + u];
        }
    }
}

/// Hardware FMA, for code compiled with the `fma` target feature.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
struct Fused;

impl MulAdd for Fused {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }

    /// In 8 × 8 blocks transposed in registers: the element-by-element copy was a tenth of
    /// the int8 encoder's time.
    #[inline(always)]
    fn transpose_keys(k: &[f32], starts: &[usize], d: usize, lp: usize, kt: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if d % LANES == 0
            && lp % LANES == 0
            && kt.len() >= d * lp
            && starts.iter().all(|&at| at + d <= k.len())
        {
            // SAFETY: `Fused` runs only inside `attend_avx2`, on CPUs with AVX2; the bounds
            // the function reads and writes within were just checked.
            unsafe { transpose_keys_avx2(k, starts, d, lp, kt) };
            return;
        }
        transpose_keys_by_value(k, starts, d, lp, kt);
    }
}

/// [`MulAdd::transpose_keys`] in 8 × 8 register blocks; key columns past `starts.len()` (up
/// to the next multiple of 8) are written as zeros.
///
/// # Safety
/// The CPU must have AVX2; `d` and `lp` must be multiples of 8, `kt` at least `d · lp` long,
/// and every `starts[j] + d` within `k`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn transpose_keys_avx2(k: &[f32], starts: &[usize], d: usize, lp: usize, kt: &mut [f32]) {
    use std::arch::x86_64::*;
    for j0 in (0..starts.len()).step_by(8) {
        let count = (starts.len() - j0).min(8);
        for u0 in (0..d).step_by(8) {
            let mut r = [_mm256_setzero_ps(); 8];
            for (i, row) in r.iter_mut().enumerate().take(count) {
                *row = _mm256_loadu_ps(k.as_ptr().add(starts[j0 + i] + u0));
            }
            let t0 = _mm256_unpacklo_ps(r[0], r[1]);
            let t1 = _mm256_unpackhi_ps(r[0], r[1]);
            let t2 = _mm256_unpacklo_ps(r[2], r[3]);
            let t3 = _mm256_unpackhi_ps(r[2], r[3]);
            let t4 = _mm256_unpacklo_ps(r[4], r[5]);
            let t5 = _mm256_unpackhi_ps(r[4], r[5]);
            let t6 = _mm256_unpacklo_ps(r[6], r[7]);
            let t7 = _mm256_unpackhi_ps(r[6], r[7]);
            let s0 = _mm256_shuffle_ps::<0x44>(t0, t2);
            let s1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
            let s2 = _mm256_shuffle_ps::<0x44>(t1, t3);
            let s3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
            let s4 = _mm256_shuffle_ps::<0x44>(t4, t6);
            let s5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
            let s6 = _mm256_shuffle_ps::<0x44>(t5, t7);
            let s7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
            let columns = [
                _mm256_permute2f128_ps::<0x20>(s0, s4),
                _mm256_permute2f128_ps::<0x20>(s1, s5),
                _mm256_permute2f128_ps::<0x20>(s2, s6),
                _mm256_permute2f128_ps::<0x20>(s3, s7),
                _mm256_permute2f128_ps::<0x31>(s0, s4),
                _mm256_permute2f128_ps::<0x31>(s1, s5),
                _mm256_permute2f128_ps::<0x31>(s2, s6),
                _mm256_permute2f128_ps::<0x31>(s3, s7),
            ];
            for (i, column) in columns.iter().enumerate() {
                _mm256_storeu_ps(kt.as_mut_ptr().add((u0 + i) * lp + j0), *column);
            }
        }
    }
}

/// A multiply, then an add.
struct Separate;

impl MulAdd for Separate {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

/// Lanes of one vector: the loops below work on `[f32; LANES]` chunks, which the compiler
/// turns into single AVX2 instructions (two SSE ones on the baseline target).
const LANES: usize = 8;
type Lane = [f32; LANES];

/// Independent accumulators per product ([`lane_product`]): one chain would wait on each
/// addition's latency; four keep the vector units busy.
const CHAINS: usize = 4;

/// Per-text scratch, reused across heads. Keys are padded to a multiple of [`LANES`] (zero
/// keys and values, `-inf` bias) and so is the head width (zero columns), so every loop
/// runs on whole chunks and needs no remainder code.
struct Scratch {
    /// The unmasked keys of the text.
    keys: Vec<usize>,
    /// Where each of them starts in `k` and `v` for the current head.
    starts: Vec<usize>,
    /// Their mask values, then `-inf`: `[lp]`.
    bias: Vec<f32>,
    /// The head's keys, transposed: `[dp][lp]`.
    kt: Vec<f32>,
    /// The head's values: `[lp][dp]`.
    vals: Vec<f32>,
    /// One query row, scaled: `[dp]`.
    q: Vec<f32>,
    /// One row of scores, then weights: `[lp]`.
    scores: Vec<f32>,
    /// One output row: `[dp]`.
    out: Vec<f32>,
}

/// `n` rounded up to whole lanes.
fn padded(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

/// The lane starting at `at`.
#[inline(always)]
fn lane(v: &[f32], at: usize) -> &Lane {
    v[at..at + LANES].try_into().expect("a lane is LANES long")
}

#[inline(always)]
fn attend_portable<M: MulAdd>(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    mask: &[f32],
    dims: Dims,
    scale: f32,
    out: &mut [f32],
) {
    let Dims { batch, seq, heads, head_dim: d } = dims;
    let e = dims.hidden();
    let dp = padded(d);
    let mut s = Scratch {
        keys: Vec::with_capacity(seq),
        starts: Vec::with_capacity(seq),
        bias: Vec::new(),
        kt: Vec::new(),
        vals: Vec::new(),
        q: vec![0.0; dp],
        scores: Vec::new(),
        out: vec![0.0; dp],
    };
    for b in 0..batch {
        let row = |t: usize| (b * seq + t) * e;
        let m = &mask[b * seq..(b + 1) * seq];
        s.keys.clear();
        s.keys.extend(live_keys(m));
        let lp = padded(s.keys.len());
        s.bias.clear();
        s.bias.extend(s.keys.iter().map(|&j| m[j]));
        s.bias.resize(lp, f32::NEG_INFINITY);
        // Zeroed once per text: the padding rows and columns are never written below.
        s.kt.clear();
        s.kt.resize(dp * lp, 0.0);
        s.vals.clear();
        s.vals.resize(lp * dp, 0.0);
        s.scores.resize(lp, 0.0);
        for h in 0..heads {
            let col = h * d;
            s.starts.clear();
            s.starts.extend(s.keys.iter().map(|&j| row(j) + col));
            M::transpose_keys(k, &s.starts, d, lp, &mut s.kt);
            for (jj, &at) in s.starts.iter().enumerate() {
                s.vals[jj * dp..jj * dp + d].copy_from_slice(&v[at..at + d]);
            }
            for i in 0..seq {
                let at = row(i) + col;
                for (x, &y) in s.q.iter_mut().zip(&q[at..at + d]) {
                    *x = y * scale;
                }
                attend_row::<M>(&mut s, lp, dp);
                out[at..at + d].copy_from_slice(&s.out[..d]);
            }
        }
    }
}

/// One scaled query row (`s.q`) against the gathered keys: scores, softmax and the weighted
/// sum of values into `s.out`, each product one lane at a time ([`lane_product`]). `lp` and
/// `dp` are multiples of [`LANES`], hence of [`CHAINS`].
#[inline(always)]
fn attend_row<M: MulAdd>(s: &mut Scratch, lp: usize, dp: usize) {
    // The row's maximum is taken as the scores are made: reading them back right after
    // writing them stalled on store forwarding (a tenth of the attention's time).
    let mut top = [f32::NEG_INFINITY; LANES];
    for c in (0..lp).step_by(LANES) {
        let dots = lane_product::<M>(&s.q, &s.kt, lp, c);
        let bias = lane(&s.bias, c);
        let mut x = [0f32; LANES];
        for l in 0..LANES {
            x[l] = bias[l] + dots[l];
            top[l] = if x[l] > top[l] { x[l] } else { top[l] };
        }
        s.scores[c..c + LANES].copy_from_slice(&x);
    }
    let top = top.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = [0f32; LANES];
    for chunk in s.scores.chunks_exact_mut(LANES) {
        for l in 0..LANES {
            chunk[l] = exp_nonpositive(chunk[l] - top);
            sum[l] += chunk[l];
        }
    }
    let inv = 1.0 / sum.iter().sum::<f32>();
    for c in (0..dp).step_by(LANES) {
        let weighted = lane_product::<M>(&s.scores, &s.vals, dp, c);
        for l in 0..LANES {
            s.out[c + l] = weighted[l] * inv;
        }
    }
}

/// Lane `col..col + LANES` of the row `x` times the matrix `m` (rows `stride` apart):
/// `Σ_u x[u] · m[u · stride + col + l]`. The accumulators stay in registers, in [`CHAINS`]
/// independent chains (one chain would wait on each addition's latency); `x.len()` is a
/// multiple of [`CHAINS`].
#[inline(always)]
fn lane_product<M: MulAdd>(x: &[f32], m: &[f32], stride: usize, col: usize) -> Lane {
    let mut acc = [[0f32; LANES]; CHAINS];
    for t in (0..x.len()).step_by(CHAINS) {
        for (u, a) in acc.iter_mut().enumerate() {
            let w = x[t + u];
            let row = lane(m, (t + u) * stride + col);
            for l in 0..LANES {
                a[l] = M::mul_add(w, row[l], a[l]);
            }
        }
    }
    let mut total = [0f32; LANES];
    for l in 0..LANES {
        total[l] = (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l]);
    }
    total
}

/// `e^x` for `x <= 0` (a softmax score minus its row's maximum), relative error below 2e-7,
/// branch-free so the loop around it vectorises.
///
/// `x = n ln2 + y` with `n` the nearest integer to `x / ln2` and `|y| <= ln2 / 2`; `e^y` by its
/// Taylor series to the 7th term (error < 1.2e-7), `2^n` by building the float's exponent bits.
#[inline(always)]
pub(crate) fn exp_nonpositive(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // 1.5 * 2^23: adding it rounds to an integer, which then sits in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    // Below -87 the result is under f32's smallest normal: flush to e^-87 ~ 1.6e-38. A
    // comparison, not `f32::max`, so that it compiles to one vector instruction.
    let x = if x < -87.0 { -87.0 } else { x };
    let shifted = x * LOG2E + ROUND;
    let nf = shifted - ROUND;
    let n = shifted.to_bits() as i32 - ROUND.to_bits() as i32;
    let y = x - nf * LN2_HI - nf * LN2_LO;
    let p = 1.0
        + y * (1.0 + y * (0.5 + y * (1.0 / 6.0 + y * (1.0 / 24.0 + y * (1.0 / 120.0 + y * (1.0 / 720.0))))));
    p * f32::from_bits(((n + 127) as u32) << 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Attention written out the slow, obvious way.
    fn reference(q: &[f32], k: &[f32], v: &[f32], mask: &[f32], dims: Dims, scale: f32) -> Vec<f32> {
        let Dims { batch, seq, heads, head_dim: d } = dims;
        let e = dims.hidden();
        let mut out = vec![0.0; q.len()];
        for b in 0..batch {
            for h in 0..heads {
                for i in 0..seq {
                    let at = |t: usize, c: usize| (b * seq + t) * e + h * d + c;
                    let scores: Vec<f64> = (0..seq)
                        .map(|j| {
                            let dot: f64 = (0..d).map(|c| q[at(i, c)] as f64 * k[at(j, c)] as f64).sum();
                            dot * scale as f64 + mask[b * seq + j] as f64
                        })
                        .collect();
                    let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let w: Vec<f64> = scores.iter().map(|s| (s - top).exp()).collect();
                    let sum: f64 = w.iter().sum();
                    for c in 0..d {
                        out[at(i, c)] =
                            ((0..seq).map(|j| w[j] * v[at(j, c)] as f64).sum::<f64>() / sum) as f32;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn exp_matches_std() {
        for i in 0..20_000 {
            let x = -(i as f32) * 0.005;
            let (got, want) = (exp_nonpositive(x), x.exp());
            assert!((got - want).abs() <= 4e-7 * want + 1e-37, "exp({x}) = {got}, want {want}");
        }
        assert!(exp_nonpositive(-1e4) < 1e-37);
    }

    #[test]
    fn equals_the_written_out_formula_with_padding() {
        let dims = Dims { batch: 3, seq: 7, heads: 2, head_dim: 8 };
        let n = dims.batch * dims.seq * dims.hidden();
        let mut rng = crate::rng::SplitMix64::new(5);
        let mut draw = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.uniform() as f32 * 4.0 - 2.0).collect() };
        let (q, k, v) = (draw(n), draw(n), draw(n));
        // Text 0 full, text 1 with 3 tokens, text 2 with 1; padding at -1e4 like BERT exports.
        let lens = [7, 3, 1];
        let mask: Vec<f32> = lens
            .iter()
            .flat_map(|&len| (0..dims.seq).map(move |j| if j < len { 0.0 } else { -1e4 }))
            .collect();
        let mut out = vec![0.0; n];
        attend(&q, &k, &v, &mask, dims, 0.35, &mut out);
        let want = reference(&q, &k, &v, &mask, dims, 0.35);
        for (i, (a, b)) in out.iter().zip(&want).enumerate() {
            assert!((a - b).abs() < 1e-5, "value {i}: {a} vs {b}");
        }
        // The portable path (what a CPU without AVX2 runs) gives the same numbers.
        let mut portable = vec![0.0; n];
        attend_portable::<Separate>(&q, &k, &v, &mask, dims, 0.35, &mut portable);
        for (a, b) in portable.iter().zip(&out) {
            assert!((a - b).abs() < 1e-6);
        }
    }
}
