//! Heads: from a segment's embedding to its tags.
//!
//! The analysis pipeline is segment → encode → head → tags. A [`Head`] sees the pooled,
//! L2-normalised embeddings of a batch of segments and answers the tags of each, in the
//! shape the model type asks for (CONTRACT section 1):
//!
//! | type | tags per segment |
//! | --- | --- |
//! | `ABSA` | each aspect class present, with its sentiment `POS`/`NEG`/`NEU`/`CON` |
//! | `CLASS` | each class present (multi-label) |
//! | `LABEL` | exactly one label |
//! | `CLASSLABEL` | each class present, with one of the user's labels |
//!
//! [`PrototypeHead`] is the zero-shot head: built from class definitions alone (name,
//! description, example), it compares segments with them in embedding space, with
//! thresholds calibrated on reference text ([`calibrate`]).

mod attention;
pub mod calibrate;
pub mod lexicon;
pub(crate) mod math;
mod prototype;
mod tensors;

pub(crate) use attention::feature_width;
pub use attention::{AttentionHead, AttentionParams, Temperatures, DETECTION_THRESHOLD};
pub use prototype::{sentiment_definitions, PrototypeHead, PrototypeParams};
pub(crate) use tensors::{f16_to_f32, f32_to_f16, read_f32_tensors, write_f32_tensors, NamedTensors};

use crate::schema::{ModelType, Tag};
use crate::Result;

/// Turns texts into pooled, L2-normalised embeddings, `dim` floats per text, row-major.
///
/// The encoder implements it; heads depend on nothing more, so they can be built and
/// tested apart from the encoder.
pub trait Embedder: Send + Sync {
    /// Floats per embedding.
    fn dim(&self) -> usize;
    /// The embeddings of `texts`, in order, row-major.
    fn embed(&self, texts: &[&str]) -> Result<Vec<f32>>;
}

/// Something that tags segments from their embeddings.
pub trait Head: Send + Sync {
    /// The model type whose tag shape this head produces.
    fn model_type(&self) -> ModelType;
    /// Floats per embedding this head expects.
    fn dim(&self) -> usize;
    /// The tags of each segment, given its text and its embedding (`dim` floats each,
    /// row-major, in the order of `texts`). Tags come most confident first.
    fn tag(&self, texts: &[&str], embeddings: &[f32]) -> Vec<Vec<Tag>>;

    /// The probabilities behind the tags of each segment, for those who need to know how
    /// sure the head is about what it did *not* tag (correction sampling). `None` when the
    /// head cannot say.
    fn probabilities(&self, texts: &[&str], embeddings: &[f32]) -> Option<Vec<Probabilities>> {
        let _ = (texts, embeddings);
        None
    }
}

/// A head's probabilities for one segment, before thresholds turn them into tags.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Probabilities {
    /// The probability that each class is present, in the model's class order (a class is
    /// tagged above 0.5); empty for LABEL.
    pub classes: Vec<f32>,
    /// Label distributions in the model's label order, each summing to 1: one row per class
    /// when a head decides labels per class, else one row shared by every class (and the
    /// only row for LABEL); empty for CLASS.
    pub labels: Vec<Vec<f32>>,
}
