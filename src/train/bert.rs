//! A BERT encoder in candle whose every operation has a backward pass.
//!
//! candle-transformers has a BERT, but its LayerNorm and fused softmax have no backward pass:
//! `backward()` succeeds and only the head learns. Here LayerNorm, attention and the biased
//! GELU are opinio's fused ops with their own backward passes ([`super::ops`], each checked
//! against the same arithmetic composed from candle's differentiable ops), and every
//! parameter gets a non-zero gradient (tested). The weights come from the ONNX graph
//! ([`crate::encode::onnx`]) in its layout (dense weights `[in, out]`), so trained values go
//! straight back into that graph.
//!
//! Dropout (when asked for: on the embeddings and each sub-layer's output; the fused
//! attention has none on its weights) draws its masks from the training seed ([`Dropout`]),
//! so training stays deterministic; without it the forward is a pure function of the
//! weights, equal to the ONNX graph tract runs (tested).

use std::sync::Arc;

use candle_core::{Device, Tensor, Var, D};

use super::ops;
use crate::encode::onnx::BertWeights;
use crate::rng::SplitMix64;
use crate::{Error, ErrorKind, Result};

/// candle's errors as opinio's: a failing tensor op is a bug (shapes are ours).
pub(crate) fn ce(e: candle_core::Error) -> Error {
    Error::new(ErrorKind::Internal, format!("tensor operation failed: {e}"))
}

/// The values of a tensor (a variable's, to save or to start from), flat.
pub(crate) fn flat_values(t: &Tensor) -> Result<Vec<f32>> {
    t.flatten_all().and_then(|t| t.to_vec1::<f32>()).map_err(ce)
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
    /// Parameters before this index are used as constants: no gradient is computed for them,
    /// and none flows below the first trained one (see [`Bert::freeze_before`]).
    trained_from: usize,
}

/// Parameters before the first layer: word, position and type embeddings, LayerNorm.
const EMBEDDING_PARAMS: usize = 5;
/// Parameters per layer, in [`BertWeights::expected_names`] order.
const PARAMS_PER_LAYER: usize = 16;

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
fn dense(x: &Tensor, w: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    ops::add_bias(&x.matmul(w)?, b)
}

/// Softmax over the last dimension; the max shift is a constant, so it is detached.
pub(crate) fn softmax(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let e = x.broadcast_sub(&max)?.exp()?;
    e.broadcast_div(&e.sum_keepdim(D::Minus1)?)
}

/// Inverted dropout with masks from a seeded generator (candle's own dropout draws from an
/// unseeded one): each value is kept with probability `1 - p` and scaled to keep the mean.
pub struct Dropout {
    rng: SplitMix64,
    /// Out of 256: a random byte below it keeps the value.
    keep_below: u64,
}

impl Dropout {
    /// Drops a share `p` (0 to 0.9) of values, with masks drawn from `seed`.
    pub fn new(p: f32, seed: u64) -> Dropout {
        let keep = (1.0 - p.clamp(0.0, 0.9)) * 256.0;
        Dropout { rng: SplitMix64::new(seed ^ 0xD80F_0D80), keep_below: keep.round() as u64 }
    }

    /// `x` with the dropped values zeroed and the kept ones scaled by `256 / keep_below`.
    pub fn apply(&mut self, x: &Tensor) -> candle_core::Result<Tensor> {
        if self.keep_below >= 256 {
            return Ok(x.clone());
        }
        let n = x.elem_count();
        let scale = 256.0 / self.keep_below as f32;
        let mut mask = Vec::with_capacity(n);
        while mask.len() < n {
            let mut bits = self.rng.next_u64();
            for _ in 0..8.min(n - mask.len()) {
                mask.push(if (bits & 0xff) < self.keep_below { scale } else { 0.0 });
                bits >>= 8;
            }
        }
        x * Tensor::from_vec(mask, x.shape(), x.device())?
    }
}

/// Dropout when training, identity otherwise.
fn drop(dropout: &mut Option<&mut Dropout>, x: Tensor) -> candle_core::Result<Tensor> {
    match dropout {
        Some(d) => d.apply(&x),
        None => Ok(x),
    }
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
        Ok(Bert { vars, names, initializers, layers: weights.layers, hidden, heads: attention_heads(hidden), trained_from: 0 })
    }

    /// The index of the first parameter of layer `layer` (`layer == layers`: past the last).
    pub fn layer_start(&self, layer: usize) -> usize {
        EMBEDDING_PARAMS + PARAMS_PER_LAYER * layer
    }

    /// Uses the parameters before `index` as constants from now on. Their gradients are never
    /// computed, and when they are whole layers from the bottom up, the backward pass stops
    /// where the first trained layer starts: freezing the word embeddings alone saves a
    /// 30522 x 384 gradient per step, freezing two of MiniLM's six layers a third of the
    /// backward pass.
    pub fn freeze_before(&mut self, index: usize) {
        self.trained_from = index.min(self.vars.len());
    }

    /// Hidden size.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// The per-token states `[batch, seq, hidden]` of `ids` (u32 `[batch, seq]`) with
    /// `mask` (f32 `[batch, seq]`, 1 for real tokens), with `dropout` when training.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor, mut dropout: Option<&mut Dropout>) -> candle_core::Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let (h, heads) = (self.hidden, self.heads);
        // Frozen parameters as detached tensors: candle then records no backward op for them.
        let v: Vec<Tensor> = self
            .vars
            .iter()
            .enumerate()
            .map(|(i, var)| if i < self.trained_from { var.as_tensor().detach() } else { var.as_tensor().clone() })
            .collect();
        let words = v[0].index_select(&ids.flatten_all()?, 0)?.reshape((b, t, h))?;
        let positions = v[1].narrow(0, 0, t)?;
        let types = v[2].narrow(0, 0, 1)?;
        let x = words.broadcast_add(&positions.broadcast_add(&types)?)?;
        let x = ops::layer_norm(&x, &v[3], &v[4])?.reshape((b * t, h))?;
        let mut x = drop(&mut dropout, x)?;
        // Padding gets a large negative score before the softmax.
        let key_bias: Vec<f32> = mask.flatten_all()?.to_vec1::<f32>()?.iter().map(|m| (m - 1.0) * 10000.0).collect();
        let key_bias = Arc::new(key_bias);
        for l in 0..self.layers {
            let p = &v[self.layer_start(l)..self.layer_start(l + 1)];
            let q = dense(&x, &p[0], &p[1])?;
            let k = dense(&x, &p[2], &p[3])?;
            let val = dense(&x, &p[4], &p[5])?;
            let ctx = ops::attention(&q, &k, &val, key_bias.clone(), t, heads)?;
            let attended = drop(&mut dropout, dense(&ctx, &p[6], &p[7])?)?;
            x = ops::layer_norm(&(attended + &x)?, &p[8], &p[9])?;
            let inner = ops::bias_gelu(&x.matmul(&p[10])?, &p[11])?;
            let out = drop(&mut dropout, dense(&inner, &p[12], &p[13])?)?;
            x = ops::layer_norm(&(out + &x)?, &p[14], &p[15])?;
        }
        x.reshape((b, t, h))
    }
}
