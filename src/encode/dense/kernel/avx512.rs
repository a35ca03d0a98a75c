//! The AVX-512 VNNI path: `vpdpbusd` multiplies 4 unsigned activation bytes by 4 signed
//! weight bytes and adds the 4 products to an i32 lane, 64 products an instruction.
//!
//! A tile is `MR` rows × 64 columns: 24 accumulators, 4 weight vectors and one broadcast
//! activation word fit the 32 vector registers. Rows are taken in blocks of [`MC`] so that a
//! block's activations stay in cache while every panel of weights passes over them.

use std::arch::x86_64::*;

use super::VNNI_PANEL as NR;
use super::{Epilogue, Rows};

/// Rows per tile.
const MR: usize = 6;
/// Rows per cache block, a multiple of `MR`.
const MC: usize = 96;

/// `out = epilogue(a · w)`: `a` is `[rows, stride]` u8, `w` the packed panels.
///
/// # Safety
/// The CPU must have AVX-512F, AVX-512BW and AVX-512 VNNI; `a` must hold `rows · stride`
/// bytes with `stride` a multiple of 4, `w` the panels [`super::Kernel::pack`] wrote for the
/// same `stride` and `e.n`, `out` `rows · e.n` values.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(super) unsafe fn matmul(a: &[u8], rows: &Rows, stride: usize, w: &[i8], e: &Epilogue, out: &mut [f32]) {
    let (scales, zeros) = (rows.scales, rows.zeros);
    let rows = rows.len();
    let groups = stride / 4;
    let panel = groups * NR * 4;
    debug_assert!(a.len() >= rows * stride && out.len() >= rows * e.n);
    debug_assert!(w.len() >= e.n.div_ceil(NR) * panel);
    for r0 in (0..rows).step_by(MC) {
        let r1 = (r0 + MC).min(rows);
        for (p, wp) in w.chunks_exact(panel).take(e.n.div_ceil(NR)).enumerate() {
            let mut r = r0;
            while r < r1 {
                let mr = (r1 - r).min(MR);
                let t = Tile { a: a.as_ptr().add(r * stride), stride, groups, w: wp.as_ptr(), c0: p * NR };
                let (rows, dst) = (
                    Rows { scales: &scales[r..r + mr], zeros: &zeros[r..r + mr] },
                    out.as_mut_ptr().add(r * e.n),
                );
                match mr {
                    6 => t.run::<6>(&rows, e, dst),
                    5 => t.run::<5>(&rows, e, dst),
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
    a: *const u8,
    stride: usize,
    groups: usize,
    w: *const i8,
    c0: usize,
}

impl Tile {
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    unsafe fn run<const M: usize>(&self, rows: &Rows, e: &Epilogue, out: *mut f32) {
        let mut acc = [[_mm512_setzero_si512(); 4]; M];
        for g in 0..self.groups {
            let wg = self.w.add(g * NR * 4);
            let b = [
                _mm512_loadu_si512(wg as *const __m512i),
                _mm512_loadu_si512(wg.add(64) as *const __m512i),
                _mm512_loadu_si512(wg.add(128) as *const __m512i),
                _mm512_loadu_si512(wg.add(192) as *const __m512i),
            ];
            for (i, row) in acc.iter_mut().enumerate() {
                let word = (self.a.add(i * self.stride + g * 4) as *const i32).read_unaligned();
                let av = _mm512_set1_epi32(word);
                for (lane, bv) in row.iter_mut().zip(&b) {
                    *lane = _mm512_dpbusd_epi32(*lane, av, *bv);
                }
            }
        }
        // No early exit for a partial panel: a loop of fixed length lets the accumulators
        // live in registers (with a `break` they were zeroed in memory, by a `memset` call
        // per tile). Columns past `n` get an empty mask, which loads and stores nothing.
        for j in 0..4 {
            let c = self.c0 + j * 16;
            let valid = e.n.saturating_sub(c).min(16);
            let mask = ((1u32 << valid) - 1) as __mmask16;
            let scale = _mm512_maskz_loadu_ps(mask, e.scales.as_ptr().wrapping_add(c));
            let sums = _mm512_maskz_loadu_epi32(mask, e.sums.as_ptr().wrapping_add(c));
            let bias = _mm512_maskz_loadu_ps(mask, e.bias.as_ptr().wrapping_add(c));
            for (i, row) in acc.iter().enumerate() {
                // The same operations in the same order as `Epilogue::apply`: every path
                // gives bit-identical outputs.
                let s = _mm512_mul_ps(_mm512_set1_ps(rows.scales[i]), scale);
                let shift = _mm512_mullo_epi32(_mm512_set1_epi32(rows.zeros[i]), sums);
                let v = _mm512_cvtepi32_ps(_mm512_sub_epi32(row[j], shift));
                let y = _mm512_add_ps(_mm512_mul_ps(v, s), bias);
                _mm512_mask_storeu_ps(out.wrapping_add(i * e.n + c), mask, y);
            }
        }
    }
}
