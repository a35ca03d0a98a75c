//! Activations to 8 bits, a row at a time: `a = round(x / s) + z`, with `s` spreading the
//! row's range (0 included) over 0..=255 and `z` the integer that stands for 0.0.
//!
//! This runs on every dense layer's input, so it must keep up with the products: rounding
//! is done with the add-and-subtract trick (`(x + 1.5·2²³) − 1.5·2²³` rounds to nearest,
//! ties to even, for |x| < 2²²) rather than `f32::round`, a library call the compiler will
//! not vectorise, and the body is compiled a second time with AVX2 enabled for the x86 paths.
//! Both compilations perform the same IEEE operations in the same order, so every path
//! quantises to the same integers.

use super::{Kernel, QuantizedRows};

/// Fills `out` with `rows` quantised rows of `x`, each `stride` values long (`k` values
/// then padding that contributes nothing to a product). `channels` (empty, or `k` values)
/// multiplies each input channel first (the weights' smoothing, undone on this side).
pub(super) fn rows(
    kernel: Kernel,
    x: &[f32],
    channels: &[f32],
    (rows, k, stride): (usize, usize, usize),
    out: &mut QuantizedRows,
) {
    out.rows = rows;
    out.scales.clear();
    out.scales.resize(rows, 1.0);
    out.zeros.clear();
    out.zeros.resize(rows, 0);
    // Every value is written below, and padding meets zero weights, so the buffers are only
    // resized, not cleared (zeroing them was 3% of the int8 encoder's time).
    if kernel == Kernel::Avx2 {
        out.words.resize(rows * stride, 0);
    } else {
        out.bytes.resize(rows * stride, 0);
    }
    #[cfg(target_arch = "x86_64")]
    if kernel != Kernel::Portable {
        // SAFETY: both x86 paths are chosen only on CPUs with AVX2.
        unsafe { fill_avx2(kernel, x, channels, (k, stride), out) };
        return;
    }
    fill(kernel, x, channels, (k, stride), out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn fill_avx2(
    kernel: Kernel,
    x: &[f32],
    channels: &[f32],
    widths: (usize, usize),
    out: &mut QuantizedRows,
) {
    fill(kernel, x, channels, widths, out);
}

#[inline(always)]
fn fill(kernel: Kernel, x: &[f32], channels: &[f32], (k, stride): (usize, usize), out: &mut QuantizedRows) {
    let QuantizedRows { scales, zeros, bytes, words, smoothed, .. } = out;
    let x = if channels.is_empty() {
        x
    } else {
        // A plain loop over slices, so that it vectorises like the rest.
        smoothed.resize(x.len(), 0.0);
        for (dst, src) in smoothed.chunks_exact_mut(k).zip(x.chunks_exact(k)) {
            for ((d, v), m) in dst.iter_mut().zip(src).zip(channels) {
                *d = v * m;
            }
        }
        &smoothed[..]
    };
    let per_row = scales.iter_mut().zip(zeros.iter_mut());
    for (r, (row, (scale, zero))) in x.chunks_exact(k).zip(per_row).enumerate() {
        let at = r * stride;
        (*scale, *zero) = match kernel {
            Kernel::Avx2 => row_into(row, &mut words[at..at + k], |a| a as i16),
            _ => row_into(row, &mut bytes[at..at + k], |a| a as u8),
        };
    }
}

/// Quantises one row into `dst` through `to`; returns the row's scale and zero point.
#[inline(always)]
fn row_into<T>(row: &[f32], dst: &mut [T], to: impl Fn(i32) -> T) -> (f32, i32) {
    let (low, high) = range(row);
    let scale = if high > low && (high - low).is_finite() { (high - low) / 255.0 } else { 1.0 };
    let inv = 1.0 / scale;
    // 0.0 is in the range, so the zero point is in 0..=255.
    let zero = round(-low * inv).max(0.0).min(255.0);
    for (d, &v) in dst.iter_mut().zip(row) {
        // `max`/`min` map NaN to 0, so the value is always in range for the cast.
        let a = (round(v * inv) + zero).max(0.0).min(255.0);
        // SAFETY: `a` is finite and within 0..=255.
        *d = to(unsafe { a.to_int_unchecked::<i32>() });
    }
    // SAFETY: as above.
    (scale, unsafe { zero.to_int_unchecked::<i32>() })
}

/// Rounds to nearest, ties to even, for |x| < 2²²; larger values stay large (they are
/// clamped afterwards).
#[inline(always)]
pub(super) fn round(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2²³
    (x + MAGIC) - MAGIC
}

/// The smallest and largest value of `row` with 0.0 included, NaN ignored; in 16 lanes so
/// that it vectorises.
#[inline(always)]
fn range(row: &[f32]) -> (f32, f32) {
    let (mut low, mut high) = ([0f32; 16], [0f32; 16]);
    let chunks = row.chunks_exact(16);
    let tail = chunks.remainder();
    for chunk in chunks {
        for ((l, h), &v) in low.iter_mut().zip(high.iter_mut()).zip(chunk) {
            *l = if v < *l { v } else { *l };
            *h = if v > *h { v } else { *h };
        }
    }
    for &v in tail {
        low[0] = if v < low[0] { v } else { low[0] };
        high[0] = if v > high[0] { v } else { high[0] };
    }
    let low = low.iter().fold(0f32, |m, &v| if v < m { v } else { m });
    let high = high.iter().fold(0f32, |m, &v| if v > m { v } else { m });
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_nearest_even_like_the_library() {
        for x in [-127.5f32, -2.5, -1.5, -0.5, -0.49, 0.0, 0.5, 1.5, 2.5, 3.49999, 126.5, 127.4] {
            assert_eq!(round(x), x.round_ties_even(), "{x}");
        }
    }

    #[test]
    fn range_includes_zero_ignores_nan_and_sees_the_tail() {
        let mut row = vec![0.5f32; 37];
        row[3] = f32::NAN;
        row[36] = 9.0;
        assert_eq!(range(&row), (0.0, 9.0));
        row[35] = -2.0;
        assert_eq!(range(&row), (-2.0, 9.0));
    }

    #[test]
    fn zero_is_exact_and_the_range_is_used() {
        let x = [-0.17f32, 0.0, 2.0, 5.0, 0.3];
        for kernel in Kernel::available() {
            let mut out = QuantizedRows::default();
            rows(kernel, &x, &[], (1, x.len(), 8), &mut out);
            let (s, z) = (out.scales[0], out.zeros[0]);
            let values: Vec<f32> = (0..x.len())
                .map(|i| if kernel == Kernel::Avx2 { out.words[i] as f32 } else { out.bytes[i] as f32 })
                .collect();
            assert_eq!(values[1] as i32, z, "{}: 0.0 is the zero point", kernel.name());
            assert_eq!((values[0], values[3]), (0.0, 255.0), "{}: the ends of the range", kernel.name());
            for (v, &want) in values.iter().zip(&x) {
                assert!(((v - z as f32) * s - want).abs() <= s / 2.0 + 1e-6, "{}: {want}", kernel.name());
            }
        }
    }

    #[test]
    fn hostile_values_stay_in_range() {
        let x = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e30, -1e30, 3.0];
        for kernel in Kernel::available() {
            let mut out = QuantizedRows::default();
            rows(kernel, &x, &[], (1, x.len(), x.len().next_multiple_of(4)), &mut out);
            assert_eq!(out.scales, [1.0], "{}: an infinite row gets scale 1", kernel.name());
        }
    }
}
