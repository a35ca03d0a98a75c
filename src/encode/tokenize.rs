//! Text to token ids for the encoder, through the `tokenizers` crate.
//!
//! A sentence-transformer's `tokenizer.json` often bakes in fixed padding (MiniLM's pads every
//! text to 128 tokens) and its own truncation. Fixed padding makes every short review cost as
//! much as a long one, so [`Tokenizer`] removes it: each text is tokenized alone, unpadded, and
//! a [`TokenBatch`] pads only to the longest text it holds. Truncation is ours too, at
//! [`DEFAULT_MAX_TOKENS`] unless asked otherwise, and never beyond the model's position
//! embeddings.

use std::path::Path;

use tokenizers::{TruncationDirection, TruncationParams, TruncationStrategy};

use crate::{Error, ErrorKind, Result};

/// Tokens per text (special tokens included) unless the caller asks otherwise: long enough
/// for any review sentence, short enough that one runaway text does not dominate a batch.
pub const DEFAULT_MAX_TOKENS: usize = 256;

/// BERT-family encoders learn 512 position embeddings; a longer sequence has no position
/// vector and would fail (or read out of bounds) inside the graph.
pub const MAX_POSITIONS: usize = 512;

/// A `tokenizer.json` loaded for encoding: no padding, truncation at a chosen length.
///
/// Cheap to share: it is `Send + Sync` and [`Tokenizer::encode`] takes `&self`.
#[derive(Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    max_tokens: usize,
    pad_id: i64,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("max_tokens", &self.max_tokens)
            .field("pad_id", &self.pad_id)
            .finish_non_exhaustive()
    }
}

/// One text's tokens, unpadded: what the model reads plus the character offsets heads need
/// to map a token back to the text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    /// Vocabulary ids, `[CLS]` and `[SEP]` included.
    pub ids: Vec<i64>,
    /// Segment ids (all 0 for a single sentence).
    pub type_ids: Vec<i64>,
    /// Per token, the half-open range of Unicode code points of the text it came from
    /// (`(0, 0)` for special tokens), the same unit as a segment's `span`.
    pub offsets: Vec<(usize, usize)>,
    /// Per token, whether it is a special token (`[CLS]`, `[SEP]`) rather than text.
    pub special: Vec<bool>,
    /// Whether the text was cut at the tokenizer's maximum length.
    pub truncated: bool,
}

impl Tokens {
    /// Number of tokens, special tokens included.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no tokens at all (never the case with special tokens on).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Several texts padded to the longest among them: the three int64 `[batch, seq]` inputs of
/// a BERT-style ONNX graph, row-major.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenBatch {
    /// Number of texts.
    pub batch: usize,
    /// Padded sequence length (the longest text's token count).
    pub seq: usize,
    /// `[batch * seq]` token ids, padding id after each text's end.
    pub input_ids: Vec<i64>,
    /// `[batch * seq]` 1 for a real token, 0 for padding.
    pub attention_mask: Vec<i64>,
    /// `[batch * seq]` segment ids, 0 for padding.
    pub token_type_ids: Vec<i64>,
    /// Each text's real token count (the number of leading 1s in its mask row).
    pub lengths: Vec<usize>,
}

impl TokenBatch {
    /// Pads `texts` to the longest of them with `pad_id`.
    pub fn pad(texts: &[&Tokens], pad_id: i64) -> TokenBatch {
        let batch = texts.len();
        let seq = texts.iter().map(|t| t.len()).max().unwrap_or(0);
        let mut out = TokenBatch {
            batch,
            seq,
            input_ids: vec![pad_id; batch * seq],
            attention_mask: vec![0; batch * seq],
            token_type_ids: vec![0; batch * seq],
            lengths: Vec::with_capacity(batch),
        };
        for (row, t) in texts.iter().enumerate() {
            let n = t.len();
            let at = row * seq;
            out.input_ids[at..at + n].copy_from_slice(&t.ids);
            out.attention_mask[at..at + n].fill(1);
            out.token_type_ids[at..at + n].copy_from_slice(&t.type_ids);
            out.lengths.push(n);
        }
        out
    }
}

impl Tokenizer {
    /// Loads `tokenizer.json`, drops its padding and truncates at [`DEFAULT_MAX_TOKENS`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Tokenizer> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| super::read_error("tokenizer", path, e))?;
        Tokenizer::from_bytes(&bytes).map_err(|e| e.with_path(path))
    }

    /// Parses a `tokenizer.json` held in memory; see [`Tokenizer::from_file`].
    pub fn from_bytes(json: &[u8]) -> Result<Tokenizer> {
        let mut inner = tokenizers::Tokenizer::from_bytes(json)
            .map_err(|e| Error::malformed(format!("tokenizer.json does not parse: {e}")))?;
        // The pad id is the one piece of the baked-in padding worth keeping.
        let pad_id = inner.get_padding().map_or(0, |p| i64::from(p.pad_id));
        inner.with_padding(None);
        let mut tokenizer = Tokenizer { inner, max_tokens: 0, pad_id };
        tokenizer.set_max_tokens(DEFAULT_MAX_TOKENS)?;
        Ok(tokenizer)
    }

    /// Truncates every text to `max_tokens` tokens, special tokens included.
    ///
    /// Fails for fewer than 2 tokens (no room for `[CLS]` and `[SEP]`) or more than
    /// [`MAX_POSITIONS`].
    pub fn set_max_tokens(&mut self, max_tokens: usize) -> Result<()> {
        if max_tokens > MAX_POSITIONS {
            return Err(Error::limit("max_tokens", max_tokens, MAX_POSITIONS));
        }
        if max_tokens < 2 {
            return Err(Error::invalid_argument(format!(
                "max_tokens is {max_tokens}, it must be at least 2 ([CLS] and [SEP])"
            )));
        }
        let params = TruncationParams {
            direction: TruncationDirection::Right,
            max_length: max_tokens,
            strategy: TruncationStrategy::LongestFirst,
            stride: 0,
        };
        self.inner.with_truncation(Some(params)).map_err(|e| {
            Error::invalid_argument(format!("max_tokens {max_tokens} is refused by the tokenizer: {e}"))
        })?;
        self.max_tokens = max_tokens;
        Ok(())
    }

    /// The truncation length, special tokens included.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// The id that pads a short text in a batch.
    pub fn pad_id(&self) -> i64 {
        self.pad_id
    }

    /// Tokenizes one text, unpadded, with `[CLS]`/`[SEP]` and code-point offsets.
    pub fn encode(&self, text: &str) -> Result<Tokens> {
        let enc = self.inner.encode_char_offsets(text, true).map_err(|e| {
            Error::new(ErrorKind::Internal, format!("tokenizing a {}-byte text failed: {e}", text.len()))
        })?;
        let widen = |v: &[u32]| v.iter().map(|&x| i64::from(x)).collect::<Vec<i64>>();
        Ok(Tokens {
            ids: widen(enc.get_ids()),
            type_ids: widen(enc.get_type_ids()),
            offsets: enc.get_offsets().to_vec(),
            special: enc.get_special_tokens_mask().iter().map(|&m| m != 0).collect(),
            truncated: !enc.get_overflowing().is_empty(),
        })
    }

    /// Tokenizes `texts` and pads them to the longest: the model's three inputs at once,
    /// plus each text's tokens (offsets included) in input order.
    pub fn encode_batch(&self, texts: &[&str]) -> Result<(TokenBatch, Vec<Tokens>)> {
        let tokens = texts.iter().map(|t| self.encode(t)).collect::<Result<Vec<_>>>()?;
        let refs: Vec<&Tokens> = tokens.iter().collect();
        Ok((TokenBatch::pad(&refs, self.pad_id), tokens))
    }

    /// The wrapped `tokenizers` tokenizer, for decoding or inspecting the vocabulary.
    pub fn inner(&self) -> &tokenizers::Tokenizer {
        &self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(ids: &[i64]) -> Tokens {
        Tokens {
            ids: ids.to_vec(),
            type_ids: vec![0; ids.len()],
            offsets: vec![(0, 0); ids.len()],
            special: vec![false; ids.len()],
            truncated: false,
        }
    }

    #[test]
    fn pad_to_the_longest() {
        let (a, b) = (toks(&[101, 7, 102]), toks(&[101, 102]));
        let batch = TokenBatch::pad(&[&a, &b], 0);
        assert_eq!((batch.batch, batch.seq), (2, 3));
        assert_eq!(batch.input_ids, [101, 7, 102, 101, 102, 0]);
        assert_eq!(batch.attention_mask, [1, 1, 1, 1, 1, 0]);
        assert_eq!(batch.lengths, [3, 2]);
    }

    #[test]
    fn pad_nothing() {
        let batch = TokenBatch::pad(&[], 0);
        assert_eq!((batch.batch, batch.seq), (0, 0));
        assert!(batch.input_ids.is_empty());
    }
}
