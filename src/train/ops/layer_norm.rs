//! LayerNorm over the last dimension with its scale and shift, in one pass each way.
//!
//! Forward: per row, the mean and variance, then `(x - mean) / sqrt(var + eps) * w + b`.
//! Backward, with `x̂` the normalised row and `g' = g * w`:
//! `dx = (g' - mean(g') - x̂ * mean(g' * x̂)) / sqrt(var + eps)`, `dw = Σ g * x̂`, `db = Σ g`
//! over rows. Mean and variance are recomputed from `x` backward rather than kept: that is
//! one cheap pass against storing them per call.

use candle_core::{CpuStorage, CustomOp3, Layout, Shape, Tensor};
use rayon::prelude::*;

use super::{per_row, read, rows_per_task, sum_in_order, values};

/// LayerNorm epsilon of BERT checkpoints.
const EPS: f32 = 1e-12;

/// The mean and `1 / sqrt(var + eps)` of a row.
#[inline(always)]
fn moments(x: &[f32]) -> (f32, f32) {
    let n = x.len() as f32;
    let mean = x.iter().sum::<f32>() / n;
    let var = x.iter().map(|&v| (v - mean) * (v - mean)).sum::<f32>() / n;
    (mean, 1.0 / (var + EPS).sqrt())
}

struct LayerNorm;

impl CustomOp3 for LayerNorm {
    fn name(&self) -> &'static str {
        "opinio-layer-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = values(s1, l1, self.name())?;
        let (w, b) = (values(s2, l2, self.name())?, values(s3, l3, self.name())?);
        let width = w.len();
        let out = per_row(x.len() / width, width, |r, o| {
            let x = &x[r * width..(r + 1) * width];
            let (mean, rstd) = moments(x);
            for (((o, &x), &w), &b) in o.iter_mut().zip(x).zip(w).zip(b) {
                *o = (x - mean) * rstd * w + b;
            }
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (xv, wv, g) = (read(x)?, read(w)?, read(grad)?);
        let wv: &[f32] = &wv;
        let width = wv.len();
        let rows = xv.len() / width;
        let mut dx = vec![0f32; xv.len()];
        let task = rows_per_task(rows) * width;
        // Per task: the rows' dx, and partial sums of dw and db (concatenated).
        let partial =
            dx.par_chunks_mut(task).zip(xv.par_chunks(task).zip(g.par_chunks(task))).map(|(dx, (x, g))| {
                let mut sums = vec![0f32; 2 * width];
                for ((dx, x), g) in
                    dx.chunks_exact_mut(width).zip(x.chunks_exact(width)).zip(g.chunks_exact(width))
                {
                    let (mean, rstd) = moments(x);
                    let (mut mean_gw, mut mean_gwx) = (0f32, 0f32);
                    for ((&x, &g), &w) in x.iter().zip(g).zip(wv) {
                        let xhat = (x - mean) * rstd;
                        mean_gw += g * w;
                        mean_gwx += g * w * xhat;
                    }
                    let (mean_gw, mean_gwx) = (mean_gw / width as f32, mean_gwx / width as f32);
                    let (dw, db) = sums.split_at_mut(width);
                    for (k, ((&x, &g), &w)) in x.iter().zip(g).zip(wv).enumerate() {
                        let xhat = (x - mean) * rstd;
                        dx[k] = (g * w - mean_gw - xhat * mean_gwx) * rstd;
                        dw[k] += g * xhat;
                        db[k] += g;
                    }
                }
                sums
            });
        let sums = sum_in_order(partial, 2 * width);
        let (dw, db) = sums.split_at(width);
        let dx = Tensor::from_vec(dx, x.shape(), x.device())?;
        let dw = Tensor::from_slice(dw, w.shape(), w.device())?;
        let db = Tensor::from_slice(db, b.shape(), b.device())?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

/// LayerNorm of each row of `x` (`[.., width]`, contiguous) with scale `w` and shift `b`
/// (`[width]`).
pub fn layer_norm(x: &Tensor, w: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    let width = *x.dims().last().unwrap_or(&0);
    if w.dims() != [width] || b.dims() != [width] {
        candle_core::bail!(
            "LayerNorm parameters of shapes {:?} and {:?} for rows of {width}",
            w.dims(),
            b.dims()
        )
    }
    x.apply_op3(w, b, LayerNorm)
}
