//! The hot path: many texts through the encoder, batched by length, in parallel.
//!
//! Padding costs as much compute as real tokens, so texts are sorted by token count before
//! they are cut into batches: each batch then holds texts of nearly equal length and pads
//! little. Where lengths spread out (the long tail of a corpus), a batch is also closed early
//! once it holds [`MIN_SPLIT`] texts and the next one would make more than [`MAX_PADDING`] of
//! its tokens padding: measured on review sentences, batches of 32 then run as fast as
//! batches of 8 instead of about 15% slower. Batches run in parallel on the shared plan (one batch per thread at a time; tract's
//! own kernels stay single-threaded, which measured faster than splitting each matmul),
//! costliest first, and the results are put back in input order.

use super::model::HiddenStates;
use super::pool;
use super::tokenize::{TokenBatch, Tokens};
use super::Encoder;
use crate::{parallel, Error, ErrorKind, Result};

/// A batch is never closed early below this many texts: smaller batches lose more to per-run
/// overhead than padding costs.
pub(crate) const MIN_SPLIT: usize = 8;

/// The share of a batch's tokens that may be padding before it is closed early (1/8).
pub(crate) const MAX_PADDING: f64 = 0.125;

/// A batch is also closed before its padded tokens pass this: the encoder's activations grow
/// with batch x sequence (the feed-forward layer's are 1536 floats per token), so long texts
/// go in smaller batches and memory stays flat: on 2000 review sentences, peak memory of a
/// whole analysis went from 301 MB (no bound) to 278 MB, at the same speed. 32 texts of 32
/// tokens fit, so batches of typical review sentences are not cut.
pub(crate) const MAX_BATCH_TOKENS: usize = 1024;

/// Cuts texts already sorted by token count (`lengths`, ascending) into consecutive batches
/// of at most `batch_size`, closing one early when padding would exceed [`MAX_PADDING`] or
/// its padded tokens [`MAX_BATCH_TOKENS`].
pub(crate) fn plan_batches(lengths: &[usize], batch_size: usize) -> Vec<std::ops::Range<usize>> {
    let mut batches = Vec::new();
    let (mut start, mut real) = (0usize, 0usize);
    for (i, &len) in lengths.iter().enumerate() {
        let n = i - start;
        // Sorted, so `len` is the padded length if text i joins.
        let padded = len * (n + 1);
        let wasteful = n >= MIN_SPLIT && (padded - (real + len)) as f64 > MAX_PADDING * padded as f64;
        let too_big = n > 0 && padded > MAX_BATCH_TOKENS;
        if n == batch_size || wasteful || too_big {
            batches.push(start..i);
            start = i;
            real = 0;
        }
        real += len;
    }
    if start < lengths.len() {
        batches.push(start..lengths.len());
    }
    batches
}

/// Unit-length sentence vectors, one row per input text, row-major `[n, dim]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Embeddings {
    data: Vec<f32>,
    dim: usize,
}

impl Embeddings {
    /// Wraps row-major `[n, dim]` data (e.g. vectors stored in a model folder).
    pub fn new(data: Vec<f32>, dim: usize) -> Result<Embeddings> {
        if dim == 0 || !data.len().is_multiple_of(dim) {
            return Err(Error::invalid_argument(format!(
                "embeddings of {} values do not split into rows of {dim}",
                data.len()
            )));
        }
        Ok(Embeddings { data, dim })
    }

    /// Number of vectors (texts).
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    /// Whether there are no vectors.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Length of each vector.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Text `i`'s vector.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// The vectors in input order.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, f32> {
        self.data.chunks_exact(self.dim.max(1))
    }

    /// All values, row-major.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// All values, row-major, without a copy.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }
}

/// One text's per-token encoder output: its tokens and their hidden states, unpadded.
#[derive(Clone, Debug, PartialEq)]
pub struct TextStates {
    /// The tokens (ids, code-point offsets, special-token flags).
    pub tokens: Tokens,
    /// `[tokens.len() * dim]` hidden states, row-major.
    pub states: Vec<f32>,
}

impl TextStates {
    /// Number of tokens, special tokens included.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the text has no token.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Token `t`'s hidden state.
    pub fn token(&self, t: usize) -> &[f32] {
        let dim = self.states.len() / self.tokens.len().max(1);
        &self.states[t * dim..(t + 1) * dim]
    }
}

/// Per-token encoder output for several texts, for heads that need more than the pooled
/// vector. Each text keeps only its own tokens (no padding); [`TokenStates::padded`] gives the
/// `[n][seq][dim]` + mask form.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TokenStates {
    texts: Vec<TextStates>,
    dim: usize,
}

impl TokenStates {
    /// Number of texts.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether there are no texts.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Length of each token's state.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Text `i`'s tokens and states.
    pub fn text(&self, i: usize) -> &TextStates {
        &self.texts[i]
    }

    /// The texts in input order.
    pub fn iter(&self) -> std::slice::Iter<'_, TextStates> {
        self.texts.iter()
    }

    /// The texts, owned.
    pub fn into_texts(self) -> Vec<TextStates> {
        self.texts
    }

    /// The pooled, normalised sentence vectors: what [`Encoder::embed`] gives for the same
    /// texts, without running the model again.
    pub fn pooled(&self) -> Embeddings {
        let mut data = vec![0f32; self.texts.len() * self.dim];
        for (text, out) in self.texts.iter().zip(data.chunks_exact_mut(self.dim.max(1))) {
            pool::mean_pool_prefix(&text.states, text.len(), self.dim, out);
        }
        Embeddings { data, dim: self.dim }
    }

    /// All texts padded to the longest: `(states, mask, seq)` with `states` row-major
    /// `[n * seq * dim]` (zeros at padding) and `mask` `[n * seq]` (1 for a real token).
    pub fn padded(&self) -> (Vec<f32>, Vec<i64>, usize) {
        let seq = self.texts.iter().map(TextStates::len).max().unwrap_or(0);
        let mut states = vec![0f32; self.texts.len() * seq * self.dim];
        let mut mask = vec![0i64; self.texts.len() * seq];
        for (i, text) in self.texts.iter().enumerate() {
            let at = i * seq * self.dim;
            states[at..at + text.states.len()].copy_from_slice(&text.states);
            mask[i * seq..i * seq + text.len()].fill(1);
        }
        (states, mask, seq)
    }
}

impl Encoder {
    /// Tokenizes all texts, then runs length-sorted batches in parallel; `per_batch` turns
    /// each batch's hidden states into one result per text (in batch order). Returns the
    /// results in input order.
    fn run_batches<R, F>(&self, texts: &[&str], per_batch: F) -> Result<Vec<R>>
    where
        R: Send,
        F: Fn(&HiddenStates, &TokenBatch, &[usize], &[Tokens]) -> Vec<R> + Sync + Send,
    {
        let tokenizer = self.tokenizer();
        let tokens = parallel::try_map(texts, |t| tokenizer.encode(t))?;
        // Stable sort: equal lengths keep input order, so runs are reproducible.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| tokens[i].len());
        let lengths: Vec<usize> = order.iter().map(|&i| tokens[i].len()).collect();
        let mut ranges = plan_batches(&lengths, self.options().batch_size);
        // Costliest batches (padded tokens) first: the cheap ones then fill the gaps at the
        // end, instead of one thread running the longest batch alone while the other waits.
        ranges.sort_by_key(|r| std::cmp::Reverse(r.len() * lengths[r.clone()].last().copied().unwrap_or(0)));
        let batches: Vec<&[usize]> = ranges.into_iter().map(|r| &order[r]).collect();
        let plan = self.plan();
        let pad_id = tokenizer.pad_id();
        let results = parallel::try_map_each(&batches, |idx| {
            let refs: Vec<&Tokens> = idx.iter().map(|&i| &tokens[i]).collect();
            let batch = TokenBatch::pad(&refs, pad_id);
            let hidden = plan.run(&batch)?;
            let out = per_batch(&hidden, &batch, idx, &tokens);
            debug_assert_eq!(out.len(), idx.len());
            Ok(out)
        })?;
        // Scatter back to input order.
        let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(texts.len()).collect();
        for (idx, out) in batches.iter().zip(results) {
            for (&i, r) in idx.iter().zip(out) {
                slots[i] = Some(r);
            }
        }
        slots
            .into_iter()
            .map(|r| r.ok_or_else(|| Error::new(ErrorKind::Internal, "a text lost its batch result")))
            .collect()
    }

    /// The pooled, L2-normalised sentence vector of each text, `[texts.len(), dim]` in input
    /// order. Texts longer than [`super::EncoderOptions::max_tokens`] are truncated; an empty
    /// text still has a vector (that of `[CLS] [SEP]`).
    pub fn embed(&self, texts: &[&str]) -> Result<Embeddings> {
        let dim = self.dim();
        let rows = self.run_batches(texts, |hidden, batch, _, _| {
            (0..batch.batch)
                .map(|r| {
                    let mut v = vec![0f32; dim];
                    pool::mean_pool_prefix(hidden.row(r), batch.lengths[r], dim, &mut v);
                    v
                })
                .collect()
        })?;
        let mut data = Vec::with_capacity(rows.len() * dim);
        for row in rows {
            data.extend_from_slice(&row);
        }
        Ok(Embeddings { data, dim })
    }

    /// Each text's tokens with their hidden states (unpadded), in input order, for heads that
    /// work on tokens; [`TokenStates::pooled`] gives the sentence vectors from the same run.
    ///
    /// This keeps every text's states until the call returns; [`Encoder::map_token_states`]
    /// reduces them batch by batch instead.
    pub fn encode_tokens(&self, texts: &[&str]) -> Result<TokenStates> {
        let dim = self.dim();
        let texts = self.run_batches(texts, |hidden, batch, idx, tokens| {
            idx.iter()
                .enumerate()
                .map(|(r, &i)| {
                    let n = batch.lengths[r];
                    TextStates { tokens: tokens[i].clone(), states: hidden.row(r)[..n * dim].to_vec() }
                })
                .collect()
        })?;
        Ok(TokenStates { texts, dim })
    }

    /// `f(i, states)` for each text `i` and its token states (`[tokens * dim]`, row-major,
    /// unpadded), in input order.
    ///
    /// `f` runs on the worker that encoded the batch, right after it, so a head's work is
    /// spread over the threads with the encoder's and no text's states outlive its batch:
    /// memory stays that of the batches in flight, however many texts there are.
    pub fn map_token_states<R, F>(&self, texts: &[&str], f: F) -> Result<Vec<R>>
    where
        R: Send,
        F: Fn(usize, &[f32]) -> R + Sync + Send,
    {
        let dim = self.dim();
        self.run_batches(texts, |hidden, batch, idx, _| {
            idx.iter().enumerate().map(|(r, &i)| f(i, &hidden.row(r)[..batch.lengths[r] * dim])).collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_close_early_on_padding() {
        assert_eq!(plan_batches(&[], 32), Vec::<std::ops::Range<usize>>::new());
        assert_eq!(plan_batches(&[3; 10], 4), [0..4, 4..8, 8..10]);
        assert_eq!(plan_batches(&[3; 10], 32), vec![0..10]);
        // Eight texts of 10 tokens then one of 20: 180 padded for 100 real, so it starts anew.
        let mut lengths = vec![10; 8];
        lengths.extend([20, 21]);
        assert_eq!(plan_batches(&lengths, 32), [0..8, 8..10]);
        // Below MIN_SPLIT texts a batch is never closed early.
        assert_eq!(plan_batches(&[1, 1, 50], 32), vec![0..3]);
        assert_eq!(plan_batches(&[5], 1), vec![0..1]);
        // Long texts go in smaller batches: 1024 tokens at most (one text alone may pass it).
        assert_eq!(plan_batches(&[200; 12], 32), [0..5, 5..10, 10..12]);
        assert_eq!(plan_batches(&[3000, 3000], 32), [0..1, 1..2]);
    }

    #[test]
    fn embeddings_shape() {
        let e = Embeddings::new(vec![1.0, 0.0, 0.0, 1.0, 0.6, 0.8], 2).unwrap();
        assert_eq!((e.len(), e.dim()), (3, 2));
        assert_eq!(e.row(2), [0.6, 0.8]);
        assert_eq!(e.rows().count(), 3);
        assert!(Embeddings::new(vec![1.0; 5], 2).is_err());
        assert!(Embeddings::new(vec![], 0).is_err());
    }

    #[test]
    fn padded_and_pooled_agree() {
        let text = |n: usize, v: f32| TextStates {
            tokens: Tokens {
                ids: vec![1; n],
                type_ids: vec![0; n],
                offsets: vec![(0, 0); n],
                special: vec![false; n],
                truncated: false,
            },
            states: vec![v; n * 2],
        };
        let states = TokenStates { texts: vec![text(1, 3.0), text(3, -1.0)], dim: 2 };
        let (flat, mask, seq) = states.padded();
        assert_eq!(seq, 3);
        assert_eq!(mask, [1, 0, 0, 1, 1, 1]);
        assert_eq!(&flat[..6], [3.0, 3.0, 0.0, 0.0, 0.0, 0.0]);
        let pooled = states.pooled();
        let s = std::f32::consts::FRAC_1_SQRT_2;
        assert!((pooled.row(0)[0] - s).abs() < 1e-6 && (pooled.row(1)[1] + s).abs() < 1e-6);
    }
}
