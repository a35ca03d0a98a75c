//! What training starts from in a folder: a plain encoder, or a trained model whose
//! fine-tuned encoder values and head are carried on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::manifest::HeadKind;
use super::{folder, load_attention_head, weights, MANIFEST_FILE};
use crate::{Error, Result};

/// What training can start from in a folder: the encoder graph folder, the fine-tuned
/// encoder values (initialiser name → values) that patch it, and the trained attention head.
///
/// A plain encoder folder (`model.onnx` + `tokenizer.json`) is its own graph with no values
/// and no head; a trained model folder gives all three, so a model fine-tuned on one domain
/// (the shipped `models/restaurants`) can be the base of the next.
pub(crate) struct Parts {
    /// The folder of the ONNX graph and tokenizer.
    pub graph: PathBuf,
    /// Fine-tuned encoder values; empty for a plain encoder.
    pub encoder_values: HashMap<String, Vec<f32>>,
    /// The trained attention head, when the folder is a fine-tuned model.
    pub head: Option<crate::heads::AttentionParams>,
}

/// Reads the [`Parts`] of `dir`, a model folder (with `manifest.json`) or an encoder folder.
pub(crate) fn parts(dir: &Path) -> Result<Parts> {
    if !dir.join(MANIFEST_FILE).is_file() {
        if !dir.join("model.onnx").is_file() {
            return Err(Error::invalid_argument(format!(
                "neither a model folder ({MANIFEST_FILE}) nor an encoder folder (model.onnx)"
            ))
            .with_path(dir));
        }
        return Ok(Parts { graph: dir.to_path_buf(), encoder_values: HashMap::new(), head: None });
    }
    let manifest = folder::read_manifest(dir)?;
    folder::verify_files(dir, &manifest)?;
    let graph = folder::resolve_encoder(dir, &manifest.encoder, None, true)?;
    let encoder_values = match &manifest.encoder.weights {
        Some(file) => weights::load_encoder(&dir.join(file))?,
        None => HashMap::new(),
    };
    let head = match manifest.head.kind {
        HeadKind::Attention => Some(load_attention_head(dir, &manifest)?.params().clone()),
        HeadKind::Prototype => None,
    };
    Ok(Parts { graph, encoder_values, head })
}
