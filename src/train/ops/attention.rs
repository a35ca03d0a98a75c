//! Multi-head attention as one op: `softmax(q kᵀ · scale + key_bias) v` per text and head,
//! read straight from the `[tokens, hidden]` projections.
//!
//! Composed in candle, each layer's attention splits Q, K and V into heads (three copies),
//! transposes K (a fourth), runs two batched products of 28 x 32 matrices (far too small for
//! a matrix kernel), five softmax passes and a merge (a fifth copy), and the backward pass
//! mirrors all of it. Forward here is the inference kernel ([`crate::encode::attention`]),
//! one text per task. Backward recomputes each row's weights `p` and, with `dO` the output's
//! gradient, accumulates per key `j` of query row `i`:
//! `ds = p_j (dO·v_j - Σ_j' p_j' dO·v_j')`, `dq_i += scale ds k_j`, `dk_j += scale ds q_i`,
//! `dv_j += p_j dO`. Padded keys (bias far below the text's largest) get no weight and are
//! skipped, as in the forward.

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp3, Layout, Shape, Tensor};
use rayon::prelude::*;

use super::{read, values};
use crate::encode::attention::{attend, exp_nonpositive, live_keys, Dims};

struct Attention {
    dims: Dims,
    scale: f32,
    /// Additive bias per key, `[batch, seq]`: 0 for tokens, very negative for padding.
    key_bias: Arc<Vec<f32>>,
}

impl CustomOp3 for Attention {
    fn name(&self) -> &'static str {
        "opinio-attention"
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
        let (q, k, v) =
            (values(s1, l1, self.name())?, values(s2, l2, self.name())?, values(s3, l3, self.name())?);
        let text = self.dims.seq * self.dims.hidden();
        let one = Dims { batch: 1, ..self.dims };
        let mut out = vec![0f32; q.len()];
        out.par_chunks_mut(text).enumerate().for_each(|(b, out)| {
            let at = b * text..(b + 1) * text;
            let bias = &self.key_bias[b * one.seq..(b + 1) * one.seq];
            attend(&q[at.clone()], &k[at.clone()], &v[at], bias, one, self.scale, out);
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (qv, kv, vv, g) = (read(q)?, read(k)?, read(v)?, read(grad)?);
        let text = self.dims.seq * self.dims.hidden();
        let mut grads = vec![0f32; 3 * qv.len()];
        let (dq, rest) = grads.split_at_mut(qv.len());
        let (dk, dv) = rest.split_at_mut(qv.len());
        dq.par_chunks_mut(text)
            .zip(dk.par_chunks_mut(text))
            .zip(dv.par_chunks_mut(text))
            .enumerate()
            .for_each(|(b, ((dq, dk), dv))| {
                let at = b * text..(b + 1) * text;
                let inputs = Text {
                    q: &qv[at.clone()],
                    k: &kv[at.clone()],
                    v: &vv[at.clone()],
                    d_out: &g[at],
                    bias: &self.key_bias[b * self.dims.seq..(b + 1) * self.dims.seq],
                };
                backward_text(&inputs, self.dims, self.scale, dq, dk, dv);
            });
        let n = qv.len();
        let dv = Tensor::from_slice(&grads[2 * n..], v.shape(), v.device())?;
        let dk = Tensor::from_slice(&grads[n..2 * n], k.shape(), k.device())?;
        grads.truncate(n);
        let dq = Tensor::from_vec(grads, q.shape(), q.device())?;
        Ok((Some(dq), Some(dk), Some(dv)))
    }
}

/// One text's inputs to the backward pass, each `[seq, hidden]` (bias `[seq]`).
struct Text<'a> {
    q: &'a [f32],
    k: &'a [f32],
    v: &'a [f32],
    d_out: &'a [f32],
    bias: &'a [f32],
}

/// The gradients of one text's attention into `dq`, `dk`, `dv` (`[seq, hidden]`, zeroed).
fn backward_text(t: &Text, dims: Dims, scale: f32, dq: &mut [f32], dk: &mut [f32], dv: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU was just checked to support AVX2 and FMA, the call's requirements.
        unsafe { backward_avx2(t, dims, scale, dq, dk, dv) };
        return;
    }
    backward_body(t, dims, scale, dq, dk, dv);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn backward_avx2(t: &Text, dims: Dims, scale: f32, dq: &mut [f32], dk: &mut [f32], dv: &mut [f32]) {
    backward_body(t, dims, scale, dq, dk, dv);
}

#[inline(always)]
fn backward_body(t: &Text, dims: Dims, scale: f32, dq: &mut [f32], dk: &mut [f32], dv: &mut [f32]) {
    let Dims { seq, heads, head_dim: d, .. } = dims;
    let e = dims.hidden();
    let keys: Vec<usize> = live_keys(t.bias).collect();
    let n = keys.len();
    // Per head, K and V transposed (`[d, n]`): a query row's scores, and its output
    // gradient's products with the values, are then `d` vectorised sweeps over the keys
    // instead of `n` dot products that each end in a horizontal sum.
    let (mut kt, mut vt) = (vec![0f32; d * n], vec![0f32; d * n]);
    let (mut p, mut dp) = (vec![0f32; n], vec![0f32; n]);
    for h in 0..heads {
        let cols = |row: usize| row * e + h * d..row * e + (h + 1) * d;
        for (jj, &j) in keys.iter().enumerate() {
            for (u, (&k, &v)) in t.k[cols(j)].iter().zip(&t.v[cols(j)]).enumerate() {
                kt[u * n + jj] = k;
                vt[u * n + jj] = v;
            }
        }
        for i in 0..seq {
            let (qi, doi) = (&t.q[cols(i)], &t.d_out[cols(i)]);
            for (s, &j) in p.iter_mut().zip(&keys) {
                *s = t.bias[j];
            }
            dp.fill(0.0);
            for u in 0..d {
                axpy(qi[u] * scale, &kt[u * n..(u + 1) * n], &mut p);
                axpy(doi[u], &vt[u * n..(u + 1) * n], &mut dp);
            }
            let top = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0f32;
            for s in p.iter_mut() {
                *s = exp_nonpositive(*s - top);
                sum += *s;
            }
            let inv = 1.0 / sum;
            let mut mean_dp = 0f32;
            for (s, &dpj) in p.iter_mut().zip(&dp) {
                *s *= inv;
                mean_dp += *s * dpj;
            }
            let dqi = &mut dq[cols(i)];
            for ((&pj, &dpj), &j) in p.iter().zip(&dp).zip(&keys) {
                let ds = pj * (dpj - mean_dp) * scale;
                axpy(ds, &t.k[cols(j)], dqi);
                axpy(ds, qi, &mut dk[cols(j)]);
                axpy(pj, doi, &mut dv[cols(j)]);
            }
        }
    }
}

/// `y += a x`.
#[inline(always)]
fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// Attention over `heads` heads of `q`, `k`, `v` (`[batch * seq, hidden]`, contiguous, rows
/// text by text), each key `j` of text `b` shifted by `key_bias[b * seq + j]` before the
/// softmax (0 for a token, a large negative value for padding), scores scaled by
/// `1 / sqrt(hidden / heads)`. Returns `[batch * seq, hidden]`.
pub fn attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    key_bias: Arc<Vec<f32>>,
    seq: usize,
    heads: usize,
) -> candle_core::Result<Tensor> {
    let (rows, hidden) = q.dims2()?;
    if k.dims() != q.dims() || v.dims() != q.dims() {
        candle_core::bail!("attention inputs of shapes {:?}, {:?}, {:?}", q.dims(), k.dims(), v.dims())
    }
    if heads == 0
        || !hidden.is_multiple_of(heads)
        || seq == 0
        || !rows.is_multiple_of(seq)
        || key_bias.len() != rows
    {
        candle_core::bail!(
            "attention of {rows} rows of {hidden} in {heads} heads, texts of {seq}, {} biases",
            key_bias.len()
        )
    }
    let dims = Dims { batch: rows / seq, seq, heads, head_dim: hidden / heads };
    let scale = 1.0 / (dims.head_dim as f32).sqrt();
    q.apply_op3(k, v, Attention { dims, scale, key_bias })
}
