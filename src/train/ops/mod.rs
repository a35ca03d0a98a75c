//! Fused training operations: candle custom ops with their own forward and backward passes.
//!
//! Composed from candle's element-wise ops, a LayerNorm is 9 passes over its input forward
//! and about 20 backward, each allocating its result, and every backward node also
//! allocates a zeroed gradient to add into. Profiled on MiniLM (batches of 32 sentences),
//! those passes, the softmax's, GELU's library `erf` and the per-head reshapes cost as much
//! as the matrix products. Each op here does its arithmetic in one or two passes over
//! contiguous rows, split across threads:
//!
//! - [`layer_norm`]: LayerNorm with its scale and shift (gradients for all three);
//! - [`add_bias`] and [`bias_gelu`]: a dense layer's bias, alone or followed by GELU (erf);
//! - [`attention`]: scaled, masked multi-head attention straight from the `[tokens, hidden]`
//!   projections, forward by the inference kernel ([`crate::encode::attention`]).
//!
//! The tests compare each op and its gradients against the same arithmetic composed from
//! candle's differentiable ops (the trainer's code before these ops).

mod attention;
mod bias;
mod layer_norm;

pub use attention::attention;
pub use bias::{add_bias, bias_gelu};
pub use layer_norm::layer_norm;

use candle_core::{CpuStorage, Layout, Storage, StorageRef, Tensor};
use rayon::prelude::*;

use crate::encode::gelu;

/// The f32 values of a contiguous CPU tensor argument.
fn values<'a>(storage: &'a CpuStorage, layout: &Layout, op: &str) -> candle_core::Result<&'a [f32]> {
    let CpuStorage::F32(all) = storage else { candle_core::bail!("{op} takes f32 tensors") };
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&all[start..end]),
        None => candle_core::bail!("{op} takes contiguous tensors"),
    }
}

/// The f32 values of a tensor, borrowed from its storage when it is a contiguous CPU tensor
/// (the gradients and inputs a backward pass reads), copied otherwise.
pub(super) struct Values<'a> {
    storage: Option<StorageRef<'a>>,
    range: std::ops::Range<usize>,
    copy: Vec<f32>,
}

impl std::ops::Deref for Values<'_> {
    type Target = [f32];

    fn deref(&self) -> &[f32] {
        match self.storage.as_deref() {
            Some(Storage::Cpu(CpuStorage::F32(all))) => &all[self.range.clone()],
            _ => &self.copy,
        }
    }
}

/// Reads `t`'s values ([`Values`]).
pub(super) fn read(t: &Tensor) -> candle_core::Result<Values<'_>> {
    let (storage, layout) = t.storage_and_layout();
    if let (Storage::Cpu(CpuStorage::F32(_)), Some((start, end))) = (&*storage, layout.contiguous_offsets()) {
        return Ok(Values { storage: Some(storage), range: start..end, copy: Vec::new() });
    }
    drop(storage);
    Ok(Values { storage: None, range: 0..0, copy: t.flatten_all()?.to_vec1::<f32>()? })
}

/// Rows per parallel task: at least 16, and about four tasks per thread so that the threads
/// end together.
fn rows_per_task(rows: usize) -> usize {
    rows.div_ceil(4 * rayon::current_num_threads()).max(16)
}

/// A `[rows, width]` matrix whose row `r` is written by `f(r, row)`, rows in parallel.
fn per_row(rows: usize, width: usize, f: impl Fn(usize, &mut [f32]) + Sync) -> Vec<f32> {
    let mut out = vec![0f32; rows * width];
    let task = rows_per_task(rows);
    out.par_chunks_mut(task * width).enumerate().for_each(|(t, chunk)| {
        for (i, row) in chunk.chunks_exact_mut(width).enumerate() {
            f(t * task + i, row);
        }
    });
    out
}

/// Column sums of the `[rows, width]` matrix `x`: a bias's gradient.
fn column_sums(x: &[f32], width: usize) -> Vec<f32> {
    let rows = x.len() / width;
    let partial = x.par_chunks(rows_per_task(rows) * width).map(|chunk| {
        let mut sum = vec![0f32; width];
        for row in chunk.chunks_exact(width) {
            for (s, &v) in sum.iter_mut().zip(row) {
                *s += v;
            }
        }
        sum
    });
    sum_in_order(partial, width)
}

/// The sum of per-task partial sums, added in task order: rayon's own `reduce` may group
/// them differently from run to run, and float addition is not associative, so training
/// would not be deterministic.
fn sum_in_order(partial: impl IndexedParallelIterator<Item = Vec<f32>>, width: usize) -> Vec<f32> {
    let partial: Vec<Vec<f32>> = partial.collect();
    let mut total = vec![0f32; width];
    for p in &partial {
        for (t, &v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

#[cfg(test)]
mod tests;
