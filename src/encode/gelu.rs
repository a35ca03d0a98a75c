//! GELU in its exact (erf) form, as BERT's graph has it, and its derivative: shared by the
//! dense layers, int8 and f32 (applied after the product, [`super::dense`]), and the trainer's ops.
//!
//! `erf` is a branch-free polynomial (Abramowitz and Stegun 7.1.26: 1.5e-7, 5e-7 in f32,
//! tested in the trainer's ops) that vectorises, where the C library's is a branchy scalar
//! call; the exponential it needs is the normal density's too.

use crate::encode::attention::exp_nonpositive;

/// `(Φ(z), φ(z))`: the standard normal distribution and density at `z`.
#[inline(always)]
fn normal(z: f32) -> (f32, f32) {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [0.254_829_6, -0.284_496_74, 1.421_413_8, -1.453_152, 1.061_405_4];
    let x = z.abs() * std::f32::consts::FRAC_1_SQRT_2;
    let e = exp_nonpositive(-x * x);
    let t = 1.0 / (1.0 + P * x);
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    let erf = 1.0 - poly * e;
    let erf = if z < 0.0 { -erf } else { erf };
    (0.5 * (1.0 + erf), e * 0.398_942_3) // e^(-z²/2) / √(2π)
}

/// `gelu(z) = z Φ(z)`.
#[inline(always)]
pub(crate) fn gelu(z: f32) -> f32 {
    z * normal(z).0
}

/// [`gelu`] of every value of `y`, in place. Inlined so that the loop vectorises for the
/// instruction set of the kernel that calls it.
#[inline(always)]
pub(crate) fn gelu_in_place(y: &mut [f32]) {
    y.iter_mut().for_each(|v| *v = gelu(*v));
}

/// `gelu'(z) = Φ(z) + z φ(z)`.
#[inline(always)]
pub(crate) fn derivative(z: f32) -> f32 {
    let (cdf, pdf) = normal(z);
    cdf + z * pdf
}

/// `erf(x)`, for the tests against a series.
#[cfg(test)]
pub(crate) fn erf(x: f32) -> f32 {
    2.0 * normal(x * std::f32::consts::SQRT_2).0 - 1.0
}
