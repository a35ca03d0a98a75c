//! `manifest.json`: what a model folder declares.
//!
//! The manifest is the seed's model metadata (name, display_name, uuid, type, language,
//! classes, labels, score, metrics, base, ...) at the top level, plus three opinio fields:
//!
//! ```json
//! {
//!   "name": "restaurants", "display_name": "Restaurants", "uuid": "...", "type": "ABSA",
//!   "language": "en", "status": "READY", "classes": ["food", "service"], "labels": ["POS", "NEG", "NEU"],
//!   "definitions": {"classes": [{"name": "food", "description": "...", "example": "..."}], "labels": [...]},
//!   "encoder": {"name": "all-MiniLM-L6-v2", "dim": 384,
//!               "sha256": {"model.onnx": "759a…", "tokenizer.json": "be50…"}},
//!   "head": {"kind": "prototype", "weights": "head.safetensors", "sentiment_lexicon": "vader"},
//!   "sha256": {"head.safetensors": "3f1c…"}
//! }
//! ```
//!
//! `sha256` records the checksum of every file of the folder the manifest names, and
//! `encoder.sha256` those of the encoder's files; loading checks them (see `folder.rs`).
//!
//! A trained model adds `"weights": "encoder.safetensors"` to `encoder` (its fine-tuned
//! encoder values) and has `"kind": "attention"`. `encoder` may also ask for
//! `"precision": "int8"` (see [`crate::encode::Precision`]).

use serde::{Deserialize, Serialize};

use super::integrity::Checksums;
use crate::encode::Precision;
use crate::schema::{Class, ModelMeta};

/// The version of the model-folder layout this build reads and writes.
pub const FORMAT: &str = "opinio-model/1";

/// A model folder's `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The layout version, [`FORMAT`].
    pub format: String,
    /// The seed's model metadata.
    #[serde(flatten)]
    pub meta: ModelMeta,
    /// Class and label definitions (the seed's Class objects).
    #[serde(default)]
    pub definitions: Definitions,
    /// Which encoder the head was built on.
    pub encoder: EncoderRef,
    /// The head and its weights file.
    pub head: HeadSpec,
    /// The SHA-256 of each file of the folder named above (file name → hex digest).
    #[serde(default)]
    pub sha256: Checksums,
}

/// Class and label definitions: name, description, example.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Definitions {
    /// The classes (aspect categories for ABSA).
    #[serde(default)]
    pub classes: Vec<Class>,
    /// The labels (sentiments for ABSA).
    #[serde(default)]
    pub labels: Vec<Class>,
}

/// The encoder a model runs on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EncoderRef {
    /// The encoder's folder name, e.g. `all-MiniLM-L6-v2`, looked up among the model
    /// folder's siblings, the models root and the shipped models.
    pub name: String,
    /// Floats per embedding; checked against the encoder at load time.
    pub dim: usize,
    /// Fine-tuned encoder values (safetensors keyed by the base graph's initialiser names,
    /// relative to the model folder) that replace the base's at load time; absent for models
    /// that run on the base encoder as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<String>,
    /// The arithmetic the model asks its encoder's dense layers to run at (`fp32` when
    /// absent); a caller's [`crate::model::LoadOptions::precision`] overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
    /// The SHA-256 of the encoder folder's files ([`super::integrity::ENCODER_FILES`]): the
    /// folder found by name must match them.
    #[serde(default)]
    pub sha256: Checksums,
}

/// The head of a model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeadSpec {
    /// The head kind: `prototype` (zero-shot) or `attention` (trained).
    pub kind: HeadKind,
    /// The weights file, relative to the model folder (safetensors).
    pub weights: String,
    /// A sentiment lexicon the head consults for ABSA labels: `vader` (English), or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment_lexicon: Option<String>,
    /// The share of the training segments that carried no tag, for a trained head; absent for
    /// zero-shot heads and heads saved before it was recorded. At 0 the training data never
    /// showed a segment without a tag, so a segment tagged with nothing is a mistake by the
    /// data's own standard; correction sampling reads it so ([`crate::correct::TagModel`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub untagged_share: Option<f64>,
}

/// The kinds of head a model folder may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeadKind {
    /// [`crate::heads::PrototypeHead`].
    Prototype,
    /// [`crate::heads::AttentionHead`], on the per-token states.
    Attention,
}
