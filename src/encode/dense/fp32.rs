//! f32 dense products `x · W + b` (then GELU) with the weights packed once, at load, for an
//! AVX-512 register tile: the encoder's fp32 path on CPUs that have AVX-512F.
//!
//! Why not tract's product: tract's AVX-512 f32 kernel keeps 12 accumulators (64 × 3) and
//! packs the activations on every call. On a lone product at the encoder's shapes it reached
//! 52–76% of a Zen 4 core's measured FMA peak, this tile 88–94% (ONNX Runtime's MLAS 84–91%);
//! inside the whole encoder the gap is smaller (docs/benchmarks.md). The tile keeps 24
//! accumulators (12 rows × 32 columns, two vectors), reads the activations where they lie
//! (one broadcast per row and step) and the weights laid out so that each step is two
//! contiguous loads. `cargo bench --bench dense` compares it with tract and the `gemm` crate.
//!
//! Cache blocking: [`MC`] rows at a time (their activations in L2) meet each 32-column panel
//! of weights in turn, so each panel, read once from memory, serves the block's eight tiles
//! from L2. Layers deeper than [`KC`] are cut into slabs whose partial sums go through the
//! output. Sums run in a different order than tract's, so outputs differ from tract's in the
//! last bits, as any two f32 products do.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Columns per weight panel: two vectors of 16 lanes.
const NR: usize = 32;
/// Rows per register tile: 12 × 2 accumulators, 2 weight vectors and a broadcast of 32.
const MR: usize = 12;
/// Steps of `k` per slab: MiniLM's and BERT-base's layers are one or two slabs deep.
const KC: usize = 1536;
/// Rows per block, a multiple of [`MR`]: a block's activations (`MC · KC · 4` bytes, up to
/// 576 KiB) stay in L2 while every panel of weights passes over them.
const MC: usize = 96;

/// A dense layer's weights, packed for the AVX-512 tile.
#[derive(Clone, Debug)]
pub struct PackedF32 {
    k: usize,
    n: usize,
    /// `[n / NR][k][NR]`, the last panel padded with zero columns.
    panels: Vec<f32>,
    /// `n` values padded to whole panels (zeros when the layer has none).
    bias: Vec<f32>,
}

impl PackedF32 {
    /// Whether this CPU runs the AVX-512 tile (checked at run time).
    pub fn available() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512f")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// Packs `w` (`[k, n]`, row-major) and `bias` (`n` values, or empty).
    pub fn pack(w: &[f32], k: usize, n: usize, bias: &[f32]) -> PackedF32 {
        assert_eq!(w.len(), k * n, "weights of {} values for {k}x{n}", w.len());
        assert!(bias.is_empty() || bias.len() == n, "bias of {} values for {n} columns", bias.len());
        let count = n.div_ceil(NR);
        let mut panels = vec![0f32; count * k * NR];
        for (p, panel) in panels.chunks_exact_mut(k * NR).enumerate() {
            let (c0, c1) = (p * NR, ((p + 1) * NR).min(n));
            for (row, dst) in w.chunks_exact(n).zip(panel.chunks_exact_mut(NR)) {
                dst[..c1 - c0].copy_from_slice(&row[c0..c1]);
            }
        }
        let mut padded = vec![0f32; count * NR];
        padded[..bias.len()].copy_from_slice(bias);
        PackedF32 { k, n, panels, bias: padded }
    }

    /// Input width.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Output width.
    pub fn n(&self) -> usize {
        self.n
    }

    /// `out = x · W + b` (`x` is `[rows, k]`, `out` `[rows, n]`), then GELU when `gelu`.
    ///
    /// # Panics
    /// When the CPU lacks AVX-512F ([`PackedF32::available`]) or the lengths disagree.
    pub fn matmul(&self, x: &[f32], rows: usize, out: &mut [f32], gelu: bool) {
        assert!(Self::available(), "the f32 tile needs AVX-512F");
        assert!(x.len() >= rows * self.k && out.len() >= rows * self.n, "operands too short");
        #[cfg(target_arch = "x86_64")]
        // SAFETY: AVX-512F is present (checked above) and the lengths were checked.
        unsafe {
            self.matmul_avx512(x, rows, out, gelu)
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn matmul_avx512(&self, x: &[f32], rows: usize, out: &mut [f32], gelu: bool) {
        let (k, n) = (self.k, self.n);
        let panels = n.div_ceil(NR);
        for k0 in (0..k).step_by(KC) {
            let kc = KC.min(k - k0);
            let last = k0 + kc == k;
            let slab = |p: usize| Slab {
                w: self.panels.as_ptr().add(p * k * NR + k0 * NR),
                kc,
                first: k0 == 0,
                bias: self.bias.as_ptr().add(p * NR),
                masks: masks(n - p * NR),
            };
            for r0 in (0..rows).step_by(MC) {
                let r1 = (r0 + MC).min(rows);
                for p in 0..panels {
                    let slab = slab(p);
                    let mut r = r0;
                    while r < r1 {
                        let mr = (r1 - r).min(MR);
                        let (a, c) = (x.as_ptr().add(r * k + k0), out.as_mut_ptr().add(r * n + p * NR));
                        match mr {
                            12 => slab.run::<12>(a, k, c, n),
                            11 => slab.run::<11>(a, k, c, n),
                            10 => slab.run::<10>(a, k, c, n),
                            9 => slab.run::<9>(a, k, c, n),
                            8 => slab.run::<8>(a, k, c, n),
                            7 => slab.run::<7>(a, k, c, n),
                            6 => slab.run::<6>(a, k, c, n),
                            5 => slab.run::<5>(a, k, c, n),
                            4 => slab.run::<4>(a, k, c, n),
                            3 => slab.run::<3>(a, k, c, n),
                            2 => slab.run::<2>(a, k, c, n),
                            _ => slab.run::<1>(a, k, c, n),
                        }
                        r += mr;
                    }
                }
                if last && gelu {
                    // The block's rows, while they are in cache.
                    crate::encode::gelu::gelu_in_place(&mut out[r0 * n..r1 * n]);
                }
            }
        }
    }
}

/// The lanes of a panel's two vectors that hold one of the `left` columns still to write.
#[cfg(target_arch = "x86_64")]
fn masks(left: usize) -> [__mmask16; 2] {
    let lanes = |from: usize| {
        let valid = left.saturating_sub(from).min(16);
        ((1u32 << valid) - 1) as __mmask16
    };
    [lanes(0), lanes(16)]
}

/// One `kc`-deep slab of one weight panel, and what starts its sums.
#[cfg(target_arch = "x86_64")]
struct Slab {
    w: *const f32,
    kc: usize,
    /// The first slab starts from the bias; later ones from the partial sums in the output.
    first: bool,
    bias: *const f32,
    masks: [__mmask16; 2],
}

#[cfg(target_arch = "x86_64")]
impl Slab {
    /// `M` rows of `a` (row stride `lda`) times the slab, into `c` (row stride `ldc`).
    #[target_feature(enable = "avx512f")]
    #[inline(never)]
    unsafe fn run<const M: usize>(&self, a: *const f32, lda: usize, c: *mut f32, ldc: usize) {
        let [m0, m1] = self.masks;
        let mut acc = [[_mm512_setzero_ps(); 2]; M];
        if self.first {
            let b = [_mm512_loadu_ps(self.bias), _mm512_loadu_ps(self.bias.add(16))];
            acc.iter_mut().for_each(|row| *row = b);
        } else {
            for (i, row) in acc.iter_mut().enumerate() {
                let ci = c.add(i * ldc);
                *row = [_mm512_maskz_loadu_ps(m0, ci), _mm512_maskz_loadu_ps(m1, ci.wrapping_add(16))];
            }
        }
        for kk in 0..self.kc {
            let wk = self.w.add(kk * NR);
            let w = [_mm512_loadu_ps(wk), _mm512_loadu_ps(wk.add(16))];
            for (i, row) in acc.iter_mut().enumerate() {
                let b = _mm512_set1_ps(*a.add(i * lda + kk));
                row[0] = _mm512_fmadd_ps(b, w[0], row[0]);
                row[1] = _mm512_fmadd_ps(b, w[1], row[1]);
            }
        }
        for (i, row) in acc.iter().enumerate() {
            let ci = c.add(i * ldc);
            _mm512_mask_storeu_ps(ci, m0, row[0]);
            _mm512_mask_storeu_ps(ci.wrapping_add(16), m1, row[1]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn random(rng: &mut SplitMix64, len: usize) -> Vec<f32> {
        (0..len).map(|_| rng.uniform() as f32 * 2.0 - 1.0).collect()
    }

    /// The tile against a plain f64 product, on shapes that leave partial tiles, panels and
    /// slabs (rows not a multiple of 12, columns not of 32, depth not of 128), with and
    /// without bias and GELU.
    #[test]
    fn the_tile_computes_the_product_on_ragged_shapes() {
        let mut rng = SplitMix64::new(11);
        if !PackedF32::available() {
            // The encoder keeps tract's products on such a CPU; the tile refuses to run.
            let packed = PackedF32::pack(&[1.0], 1, 1, &[]);
            let run = std::panic::catch_unwind(|| packed.matmul(&[1.0], 1, &mut [0.0], false));
            assert!(run.is_err(), "the tile ran without AVX-512F");
            return;
        }
        for (rows, k, n) in [(1, 1, 1), (13, 130, 33), (200, 384, 70), (25, 257, 32)] {
            let (x, w) = (random(&mut rng, rows * k), random(&mut rng, k * n));
            for bias in [Vec::new(), random(&mut rng, n)] {
                for gelu in [false, true] {
                    let packed = PackedF32::pack(&w, k, n, &bias);
                    let mut out = vec![f32::NAN; rows * n];
                    packed.matmul(&x, rows, &mut out, gelu);
                    for r in 0..rows {
                        for c in 0..n {
                            let sum: f64 = (0..k).map(|i| x[r * k + i] as f64 * w[i * n + c] as f64).sum();
                            let z = (sum + bias.get(c).copied().unwrap_or(0.0) as f64) as f32;
                            let want = if gelu { crate::encode::gelu::gelu(z) } else { z };
                            let got = out[r * n + c];
                            assert!(
                                (got - want).abs() <= 1e-4 * (1.0 + want.abs()),
                                "{rows}x{k}x{n} gelu {gelu} at ({r}, {c}): {got} vs {want}"
                            );
                        }
                    }
                }
            }
        }
    }
}
