//! The portable path: plain Rust over `[n][k]` weight rows, which the compiler vectorises
//! with whatever the target has. The reference the SIMD paths are tested against.

use super::{Epilogue, Rows};

/// `out = epilogue(a · w)`: `a` is `[rows, stride]` u8, `w` is `[n][stride]`.
pub(super) fn matmul(a: &[u8], rows: &Rows, stride: usize, w: &[i8], e: &Epilogue, out: &mut [f32]) {
    let per_row = rows.scales.iter().zip(rows.zeros);
    for ((row, (&scale, &zero)), dst) in a.chunks_exact(stride).zip(per_row).zip(out.chunks_exact_mut(e.n)) {
        for (c, (col, y)) in w.chunks_exact(stride).zip(dst.iter_mut()).enumerate() {
            *y = e.apply(dot(row, col), scale, zero, c);
        }
        e.activate(dst);
    }
}

fn dot(a: &[u8], w: &[i8]) -> i32 {
    a.iter().zip(w).map(|(&x, &y)| x as i32 * y as i32).sum()
}
