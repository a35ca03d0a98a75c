//! The AVX2 path: `vpmaddwd` multiplies pairs of 16-bit values and adds each pair into an
//! i32 lane, 16 products an instruction. Activations and weights are widened to 16 bits
//! beforehand, so no sum saturates (the byte instruction `vpmaddubsw` would).
//!
//! A tile is `MR` rows × 16 columns (two vectors), within the 16 vector registers.

use std::arch::x86_64::*;

use super::AVX2_PANEL as NR;
use super::{Epilogue, Rows};

/// Rows per tile.
const MR: usize = 4;
/// Rows per cache block, a multiple of `MR`.
const MC: usize = 96;

/// `out = epilogue(a · w)`: `a` is `[rows, stride]` i16, `w` the packed panels.
///
/// # Safety
/// The CPU must have AVX2; `a` must hold `rows · stride` values with `stride` even, `w` the
/// panels [`super::Kernel::pack`] wrote for the same `stride` and `e.n`, `out` `rows · e.n`.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn matmul(a: &[i16], rows: &Rows, stride: usize, w: &[i16], e: &Epilogue, out: &mut [f32]) {
    let (scales, zeros) = (rows.scales, rows.zeros);
    let rows = rows.len();
    let pairs = stride / 2;
    let panel = pairs * NR * 2;
    debug_assert!(a.len() >= rows * stride && out.len() >= rows * e.n);
    debug_assert!(w.len() >= e.n.div_ceil(NR) * panel);
    for r0 in (0..rows).step_by(MC) {
        let r1 = (r0 + MC).min(rows);
        for (p, wp) in w.chunks_exact(panel).take(e.n.div_ceil(NR)).enumerate() {
            let mut r = r0;
            while r < r1 {
                let mr = (r1 - r).min(MR);
                let t = Tile { a: a.as_ptr().add(r * stride), stride, pairs, w: wp.as_ptr(), c0: p * NR };
                let (rows, dst) = (
                    Rows { scales: &scales[r..r + mr], zeros: &zeros[r..r + mr] },
                    out.as_mut_ptr().add(r * e.n),
                );
                match mr {
                    4 => t.run::<4>(&rows, e, dst),
                    3 => t.run::<3>(&rows, e, dst),
                    2 => t.run::<2>(&rows, e, dst),
                    _ => t.run::<1>(&rows, e, dst),
                }
                // Each row's columns of this panel, while they are in cache.
                let cols = p * NR..((p + 1) * NR).min(e.n);
                for row in r..r + mr {
                    e.activate(&mut out[row * e.n + cols.start..row * e.n + cols.end]);
                }
                r += mr;
            }
        }
    }
}

/// One tile's operands: `a` at its first row, `w` at its panel, `c0` its first column.
struct Tile {
    a: *const i16,
    stride: usize,
    pairs: usize,
    w: *const i16,
    c0: usize,
}

impl Tile {
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn run<const M: usize>(&self, rows: &Rows, e: &Epilogue, out: *mut f32) {
        let mut acc = [[_mm256_setzero_si256(); 2]; M];
        for p in 0..self.pairs {
            let wp = self.w.add(p * NR * 2);
            let b =
                [_mm256_loadu_si256(wp as *const __m256i), _mm256_loadu_si256(wp.add(16) as *const __m256i)];
            for (i, row) in acc.iter_mut().enumerate() {
                let word = (self.a.add(i * self.stride + p * 2) as *const i32).read_unaligned();
                let av = _mm256_set1_epi32(word);
                for (lane, bv) in row.iter_mut().zip(&b) {
                    *lane = _mm256_add_epi32(*lane, _mm256_madd_epi16(av, *bv));
                }
            }
        }
        for j in 0..2 {
            let c = self.c0 + j * 8;
            if c >= e.n {
                break;
            }
            let valid = (e.n - c).min(8);
            for (i, row) in acc.iter().enumerate() {
                if valid < 8 {
                    let mut sums = [0i32; 8];
                    _mm256_storeu_si256(sums.as_mut_ptr() as *mut __m256i, row[j]);
                    for (l, &sum) in sums[..valid].iter().enumerate() {
                        *out.add(i * e.n + c + l) = e.apply(sum, rows.scales[i], rows.zeros[i], c + l);
                    }
                    continue;
                }
                // The same operations in the same order as `Epilogue::apply`: every path gives
                // bit-identical outputs.
                let scale = _mm256_loadu_ps(e.scales.as_ptr().add(c));
                let bias = _mm256_loadu_ps(e.bias.as_ptr().add(c));
                let sums = _mm256_loadu_si256(e.sums.as_ptr().add(c) as *const __m256i);
                let s = _mm256_mul_ps(_mm256_set1_ps(rows.scales[i]), scale);
                let shift = _mm256_mullo_epi32(_mm256_set1_epi32(rows.zeros[i]), sums);
                let v = _mm256_cvtepi32_ps(_mm256_sub_epi32(row[j], shift));
                let y = _mm256_add_ps(_mm256_mul_ps(v, s), bias);
                _mm256_storeu_ps(out.add(i * e.n + c), y);
            }
        }
    }
}
