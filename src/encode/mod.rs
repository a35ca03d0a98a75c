//! The encoder stage: text to sentence vectors (and per-token states) with a
//! sentence-transformer run in-process by tract.
//!
//! ```no_run
//! use opinio::encode::{pool, Encoder};
//!
//! # fn main() -> opinio::Result<()> {
//! let encoder = Encoder::default_model()?; // models/all-MiniLM-L6-v2, loaded once
//! let e = encoder.embed(&["The food was delicious", "The meal tasted great", "The train left at noon"])?;
//! assert!(pool::dot(e.row(0), e.row(1)) > pool::dot(e.row(0), e.row(2)));
//! # Ok(())
//! # }
//! ```
//!
//! # The pipeline
//!
//! segment → **encode** → head → tags. An [`Encoder`] is a model folder holding `model.onnx`
//! (a BERT-style graph: int64 `input_ids`, `attention_mask`, optionally `token_type_ids`, all
//! `[batch, sequence]`, giving f32 `[batch, sequence, hidden]`) and `tokenizer.json`. Loading
//! reads, optimises and plans the graph once ([`model`]); the plan is shared by every thread
//! and serves any batch size and sequence length. Before tract sees the graph, each BERT
//! attention block in it is replaced by one fused operator (`attention`, private: the graph
//! still reads and runs the same), which on ~30-token sentences took the attention from 17% of
//! the encoder's time to about 9%.
//!
//! [`Encoder::embed`] is the hot path: every text is tokenized ([`tokenize`]), the texts are
//! sorted by token count so each batch holds texts of similar length (little padding),
//! batches of [`EncoderOptions::batch_size`] run in parallel ([`crate::parallel`]), each is
//! pooled and normalised ([`pool`]), and the vectors come back in input order. A text's vector
//! does not depend on the batch it landed in: padding is masked out.
//!
//! # Where the model files are
//!
//! [`Encoder::load`] takes any folder. [`Encoder::default_model`] loads
//! `$OPINIO_MODELS/all-MiniLM-L6-v2` when the `OPINIO_MODELS` environment variable is set (for
//! installed binaries), else `models/all-MiniLM-L6-v2` of the source tree opinio was built
//! from. Nothing is ever downloaded.
//!
//! # Memory
//!
//! [`Encoder::embed`] holds the tokens of all its texts and one batch of activations per
//! thread (`batch × sequence × hidden` f32 per layer, batches of at most 1024 padded tokens);
//! feed it a few thousand texts at a time when streaming a large file.
//! [`Encoder::map_token_states`] reduces each text's token states on the batch's worker, so
//! they never pile up; [`Encoder::encode_tokens`] keeps them all.

pub(crate) mod attention;
mod batch;
pub mod dense;
pub(crate) mod gelu;
mod fit;
pub(crate) mod graph;
mod layer_norm;
pub mod model;
pub mod onnx;
pub mod pool;
pub mod tokenize;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use batch::{Embeddings, TextStates, TokenStates};
pub use dense::Precision;
pub use model::Plan;
pub use tokenize::{TokenBatch, Tokenizer, Tokens, DEFAULT_MAX_TOKENS, MAX_POSITIONS};

use crate::{Error, ErrorKind, Result};

/// The folder name of the shipped encoder, under `models/` or `$OPINIO_MODELS`.
pub const DEFAULT_MODEL: &str = "all-MiniLM-L6-v2";

/// The environment variable naming the folder that holds [`DEFAULT_MODEL`] in an
/// installed program (the source tree's `models/` is used when it is unset).
pub const MODELS_ENV: &str = "OPINIO_MODELS";

/// Texts per model run unless asked otherwise: large enough to keep the matrix kernels busy,
/// small enough that length-sorted batches waste little on padding.
pub const DEFAULT_BATCH_SIZE: usize = 32;

/// The largest batch accepted: beyond it the activations of one run grow past hundreds of MB
/// with no speed to gain.
pub const MAX_BATCH_SIZE: usize = 1024;

/// How an [`Encoder`] batches and truncates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncoderOptions {
    /// Texts per model run, 1 to [`MAX_BATCH_SIZE`]; [`DEFAULT_BATCH_SIZE`] by default.
    pub batch_size: usize,
    /// Tokens kept per text (special tokens included), 2 to [`MAX_POSITIONS`]; longer texts
    /// are cut. [`DEFAULT_MAX_TOKENS`] by default.
    pub max_tokens: usize,
    /// The arithmetic of the dense layers: [`Precision::Fp32`] by default.
    pub precision: Precision,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        EncoderOptions { batch_size: DEFAULT_BATCH_SIZE, max_tokens: DEFAULT_MAX_TOKENS, precision: Precision::Fp32 }
    }
}

fn check_batch_size(batch_size: usize) -> Result<()> {
    if batch_size == 0 {
        return Err(Error::invalid_argument("batch_size is 0, it must be at least 1"));
    }
    if batch_size > MAX_BATCH_SIZE {
        return Err(Error::limit("batch_size", batch_size, MAX_BATCH_SIZE));
    }
    Ok(())
}

/// A loaded sentence encoder: tokenizer plus planned graph.
///
/// `Send + Sync` and cheap to clone (the plan and tokenizer are shared), so one encoder
/// serves every thread; calls from many threads give the same answers as sequential ones.
#[derive(Clone)]
pub struct Encoder {
    tokenizer: Arc<Tokenizer>,
    plan: Plan,
    options: EncoderOptions,
    dir: PathBuf,
    /// The graph's position table size, where it could be read: the most tokens per text.
    positions: Option<usize>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("dir", &self.dir)
            .field("dim", &self.dim())
            .field("options", &self.options)
            .finish()
    }
}

/// The process-wide default encoder, loaded on first use.
static DEFAULT: Mutex<Option<Encoder>> = Mutex::new(None);

impl Encoder {
    /// Loads the model folder `dir` (`model.onnx` + `tokenizer.json`) with default options.
    ///
    /// Errors name the path: [`ErrorKind::Io`] for a missing folder or file,
    /// [`ErrorKind::Malformed`] for a file that does not parse, [`ErrorKind::Unsupported`]
    /// for a graph that is not a BERT-style encoder.
    pub fn load(dir: impl AsRef<Path>) -> Result<Encoder> {
        Encoder::load_with(dir, &EncoderOptions::default())
    }

    /// Loads the model folder `dir` with `options`.
    pub fn load_with(dir: impl AsRef<Path>, options: &EncoderOptions) -> Result<Encoder> {
        Encoder::load_graph(dir.as_ref(), None, options)
    }

    /// Loads the model folder `dir` with the values of some of its graph's initialisers
    /// replaced (`weights`: initialiser name → f32 values, e.g. a fine-tuned encoder).
    ///
    /// The graph is patched in memory and planned as usual: a trained model runs on the same
    /// tract path as its base. A name the graph does not have, or a size that differs, is an
    /// [`ErrorKind::Malformed`] error.
    pub fn load_patched(
        dir: impl AsRef<Path>,
        weights: std::collections::HashMap<String, Vec<f32>>,
        options: &EncoderOptions,
    ) -> Result<Encoder> {
        Encoder::load_graph(dir.as_ref(), Some(weights), options)
    }

    /// Reads the tokenizer and the graph, patches the graph with `weights` when given,
    /// checks that the two belong together ([`fit`]) and plans the graph.
    ///
    /// tract is not written for hostile graphs: a panic while it types or plans one becomes
    /// an [`ErrorKind::Unsupported`] error naming the file, never an unwinding host.
    fn load_graph(
        dir: &Path,
        weights: Option<std::collections::HashMap<String, Vec<f32>>>,
        options: &EncoderOptions,
    ) -> Result<Encoder> {
        check_batch_size(options.batch_size)?;
        let meta = std::fs::metadata(dir).map_err(|e| read_error("model folder", dir, e))?;
        if !meta.is_dir() {
            return Err(Error::invalid_argument("model path is not a folder").with_path(dir));
        }
        // The tokenizer first: it is quick, so a broken folder fails fast.
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))?;
        tokenizer.set_max_tokens(options.max_tokens)?;
        let path = dir.join("model.onnx");
        let mut proto = onnx::read_proto(&path)?;
        if let Some(weights) = weights {
            onnx::patch_proto(&mut proto, weights).map_err(|e| e.with_path(&path))?;
        }
        let positions = fit::check(&proto, &tokenizer, options.max_tokens, &path)?;
        let precision = options.precision;
        let planned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            model::OnnxGraph::from_proto(proto, &path, precision)?.optimize()?.into_plan()
        }));
        let plan = planned.unwrap_or_else(|panic| {
            let why = crate::error::panic_message(panic.as_ref()).unwrap_or_default();
            Err(Error::new(
                ErrorKind::Unsupported,
                format!("the onnx graph is not an encoder opinio can run (tract panicked while planning it: {why})"),
            )
            .with_path(&path))
        })?;
        Ok(Encoder { tokenizer: Arc::new(tokenizer), plan, options: options.clone(), dir: dir.to_path_buf(), positions })
    }

    /// The folder [`Encoder::default_model`] loads: `$OPINIO_MODELS/all-MiniLM-L6-v2` when
    /// `OPINIO_MODELS` is set, else `models/all-MiniLM-L6-v2` in opinio's source tree.
    pub fn default_model_dir() -> PathBuf {
        shipped_model_dir(DEFAULT_MODEL)
    }

    /// The shipped encoder (all-MiniLM-L6-v2) from [`Encoder::default_model_dir`], with
    /// default options.
    ///
    /// Loaded once per process and shared: later calls return a clone of the same encoder
    /// (a failed load is retried on the next call).
    pub fn default_model() -> Result<Encoder> {
        let mut slot = DEFAULT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(encoder) = slot.as_ref() {
            return Ok(encoder.clone());
        }
        let encoder = Encoder::load(Encoder::default_model_dir())?;
        *slot = Some(encoder.clone());
        Ok(encoder)
    }

    /// The length of a sentence vector and of each token's state (384 for MiniLM).
    pub fn dim(&self) -> usize {
        self.plan.hidden()
    }

    /// The folder the model was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The batching and truncation in use.
    pub fn options(&self) -> &EncoderOptions {
        &self.options
    }

    /// The tokenizer, for heads that map tokens back to text.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The planned graph, for running hand-made batches.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Sets the texts per model run (1 to [`MAX_BATCH_SIZE`]); the model is not reloaded.
    pub fn set_batch_size(&mut self, batch_size: usize) -> Result<()> {
        check_batch_size(batch_size)?;
        self.options.batch_size = batch_size;
        Ok(())
    }

    /// Sets the tokens kept per text (2 to [`MAX_POSITIONS`]); the model is not reloaded,
    /// the tokenizer is copied if other clones share it.
    pub fn set_max_tokens(&mut self, max_tokens: usize) -> Result<()> {
        fit::check_positions(self.positions, max_tokens, &self.dir.join("model.onnx"))?;
        Arc::make_mut(&mut self.tokenizer).set_max_tokens(max_tokens)?;
        self.options.max_tokens = max_tokens;
        Ok(())
    }
}

/// The folder of the shipped model `name`: `$OPINIO_MODELS/NAME` when `OPINIO_MODELS` is
/// set, else `models/NAME` in opinio's source tree.
pub fn shipped_model_dir(name: &str) -> PathBuf {
    match std::env::var_os(MODELS_ENV) {
        Some(root) if !root.is_empty() => PathBuf::from(root).join(name),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(name),
    }
}

/// An I/O error on a model file, naming what was read and where.
pub(crate) fn read_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    let message = format!("cannot read {what}: {}", e.to_string().to_lowercase());
    Error::new(ErrorKind::Io, message).with_path(path).with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_is_send_sync() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Encoder>();
        assert_send_sync::<Plan>();
        assert_send_sync::<Tokenizer>();
        assert_send_sync::<Embeddings>();
        assert_send_sync::<TokenStates>();
    }

    #[test]
    fn missing_folder_names_the_path() {
        let err = Encoder::load("/nonexistent/opinio-model").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert_eq!(err.path(), Some(Path::new("/nonexistent/opinio-model")));
        assert!(err.to_string().contains("cannot read model folder"), "{err}");
    }

    #[test]
    fn options_are_checked() {
        assert!(check_batch_size(0).is_err());
        assert_eq!(check_batch_size(MAX_BATCH_SIZE + 1).unwrap_err().kind(), ErrorKind::LimitExceeded);
        let opts = EncoderOptions { batch_size: 0, ..EncoderOptions::default() };
        assert_eq!(Encoder::load_with(".", &opts).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
}
