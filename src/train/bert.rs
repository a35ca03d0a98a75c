//! A BERT encoder in candle, written with differentiable operations only.
//!
//! candle-transformers has a BERT, but its LayerNorm and fused softmax have no backward pass:
//! `backward()` succeeds and only the head learns. Here LayerNorm, softmax and attention are
//! composed from ops that all have gradients (tested: every parameter gets a non-zero
//! gradient). The weights come from the ONNX graph ([`crate::encode::onnx`]) in its layout (dense
//! weights `[in, out]`), so trained values go straight back into that graph.
//!
//! No dropout: the forward is a pure function of the weights, which keeps training
//! deterministic for a seed, and equal to the ONNX graph tract runs.

use candle_core::{DType, Device, Tensor, Var, D};

use crate::encode::onnx::BertWeights;
use crate::{Error, ErrorKind, Result};

/// LayerNorm epsilon of BERT checkpoints.
const LN_EPS: f64 = 1e-12;

/// candle's errors as opinio's: a failing tensor op is a bug (shapes are ours).
pub(crate) fn ce(e: candle_core::Error) -> Error {
    Error::new(ErrorKind::Internal, format!("tensor operation failed: {e}"))
}

/// A trainable BERT: one [`Var`] per parameter, in [`BertWeights::expected_names`] order.
pub struct Bert {
    /// The parameters, trainable.
    pub vars: Vec<Var>,
    /// Each parameter's Hugging Face name.
    pub names: Vec<String>,
    /// Each parameter's ONNX initialiser name.
    pub initializers: Vec<String>,
    layers: usize,
    hidden: usize,
    heads: usize,
}

/// Attention heads of a BERT of this hidden size: 64-wide heads from BERT-base up, 32-wide
/// below (MiniLM-L6/L12 with 384 → 12 heads). Checked by the tract-equality test.
fn attention_heads(hidden: usize) -> usize {
    if hidden >= 768 && hidden.is_multiple_of(64) {
        hidden / 64
    } else {
        (hidden / 32).max(1)
    }
}

/// `x [n, in] · w [in, out] + b`.
fn dense(x: &Tensor, w: &Var, b: &Var) -> candle_core::Result<Tensor> {
    x.matmul(w.as_tensor())?.broadcast_add(b.as_tensor())
}

/// LayerNorm over the last dimension, composed from differentiable ops.
pub(crate) fn layer_norm(x: &Tensor, w: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    let mean = x.mean_keepdim(D::Minus1)?;
    let centred = x.broadcast_sub(&mean)?;
    let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
    let normed = centred.broadcast_div(&(var + LN_EPS)?.sqrt()?)?;
    normed.broadcast_mul(w)?.broadcast_add(b)
}

/// Softmax over the last dimension; the max shift is a constant, so it is detached.
pub(crate) fn softmax(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let e = x.broadcast_sub(&max)?.exp()?;
    e.broadcast_div(&e.sum_keepdim(D::Minus1)?)
}

impl Bert {
    /// Trainable variables initialised from `weights`.
    pub fn new(weights: &BertWeights, device: &Device) -> Result<Bert> {
        let mut vars = Vec::new();
        let (mut names, mut initializers) = (Vec::new(), Vec::new());
        for p in weights.ordered()? {
            vars.push(Var::from_slice(&p.values, p.shape.as_slice(), device).map_err(ce)?);
            names.push(p.name.clone());
            initializers.push(p.initializer.clone());
        }
        let hidden = weights.hidden;
        Ok(Bert { vars, names, initializers, layers: weights.layers, hidden, heads: attention_heads(hidden) })
    }

    /// Hidden size.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// The per-token states `[batch, seq, hidden]` of `ids` (u32 `[batch, seq]`) with
    /// `mask` (f32 `[batch, seq]`, 1 for real tokens).
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let (h, heads) = (self.hidden, self.heads);
        let dh = h / heads;
        let v = &self.vars;
        let words = v[0].as_tensor().index_select(&ids.flatten_all()?, 0)?.reshape((b, t, h))?;
        let positions = v[1].as_tensor().narrow(0, 0, t)?;
        let types = v[2].as_tensor().narrow(0, 0, 1)?;
        let x = words.broadcast_add(&positions.broadcast_add(&types)?)?;
        let mut x = layer_norm(&x, v[3].as_tensor(), v[4].as_tensor())?.reshape((b * t, h))?;
        // Padding gets a large negative score before the softmax: [b, 1, 1, t].
        let bias = ((mask.to_dtype(DType::F32)? - 1.0)? * 10000.0)?.reshape((b, 1, 1, t))?;
        let scale = 1.0 / (dh as f64).sqrt();
        for l in 0..self.layers {
            let p = &v[5 + 16 * l..5 + 16 * (l + 1)];
            let split = |y: Tensor| y.reshape((b, t, heads, dh))?.transpose(1, 2)?.contiguous();
            let q = split(dense(&x, &p[0], &p[1])?)?;
            let k = split(dense(&x, &p[2], &p[3])?)?;
            let val = split(dense(&x, &p[4], &p[5])?)?;
            let scores = (q.matmul(&k.transpose(2, 3)?.contiguous()?)? * scale)?.broadcast_add(&bias)?;
            let ctx = softmax(&scores)?.matmul(&val)?.transpose(1, 2)?.contiguous()?.reshape((b * t, h))?;
            let attended = dense(&ctx, &p[6], &p[7])?;
            x = layer_norm(&(attended + &x)?, p[8].as_tensor(), p[9].as_tensor())?;
            let inner = dense(&x, &p[10], &p[11])?.gelu_erf()?;
            let out = dense(&inner, &p[12], &p[13])?;
            x = layer_norm(&(out + &x)?, p[14].as_tensor(), p[15].as_tensor())?;
        }
        x.reshape((b, t, h))
    }
}
