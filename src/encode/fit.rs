//! Does a graph belong with its tokenizer? Checked at load, before tract sees the graph.
//!
//! An encoder folder is untrusted input like any model folder. A `model.onnx` from one model
//! next to another's `tokenizer.json` loads fine and then fails on the first text whose
//! token ids run past the graph's word table, or whose length runs past its position table,
//! deep inside tract. Both tables are initialisers, so the mismatch can be named at load.

use std::path::Path;

use tract_onnx::pb::ModelProto;

use super::onnx::canonical;
use super::Tokenizer;
use crate::{Error, ErrorKind, Result};

/// The rows of the graph's word and position embedding tables, where it names them the
/// BERT way (exports that do not are taken as they are).
fn table_rows(proto: &ModelProto) -> (Option<usize>, Option<usize>) {
    let Some(graph) = proto.graph.as_ref() else { return (None, None) };
    let rows = |wanted: &str| {
        graph
            .initializer
            .iter()
            .find(|t| canonical(&t.name) == Some(wanted))
            .and_then(|t| t.dims.first())
            .map(|&d| d.max(0) as usize)
    };
    (rows("embeddings.word_embeddings.weight"), rows("embeddings.position_embeddings.weight"))
}

/// Checks that every token id of `tokenizer` has a row in the graph's word table and that
/// `max_tokens` positions fit its position table; returns the position table's size, the
/// most tokens a text may keep on this graph. `path` is the graph's, for errors.
pub(crate) fn check(
    proto: &ModelProto,
    tokenizer: &Tokenizer,
    max_tokens: usize,
    path: &Path,
) -> Result<Option<usize>> {
    let (words, positions) = table_rows(proto);
    let ids = tokenizer.inner().get_vocab(true).into_values().max().map_or(0, |m| m as usize + 1);
    if let Some(words) = words.filter(|&w| w < ids) {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "the tokenizer gives token ids up to {}, the graph's word table has {words} rows: \
                 tokenizer.json and model.onnx are not from the same model",
                ids - 1
            ),
        )
        .with_path(path));
    }
    check_positions(positions, max_tokens, path)?;
    Ok(positions)
}

/// Checks that `max_tokens` fit the graph's position table of `positions` rows (when known).
pub(crate) fn check_positions(positions: Option<usize>, max_tokens: usize, path: &Path) -> Result<()> {
    match positions.filter(|&p| p < max_tokens) {
        Some(positions) => Err(Error::limit("max_tokens", max_tokens, positions).with_path(path)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{model::OnnxGraph, onnx::read_proto, Precision};

    fn shipped() -> std::path::PathBuf {
        crate::encode::Encoder::default_model_dir()
    }

    fn table_mut<'a>(proto: &'a mut ModelProto, wanted: &str) -> &'a mut tract_onnx::pb::TensorProto {
        let graph = proto.graph.as_mut().unwrap();
        graph.initializer.iter_mut().find(|t| canonical(&t.name) == Some(wanted)).unwrap()
    }

    #[test]
    fn a_graph_and_a_tokenizer_from_different_models_are_refused() {
        let dir = shipped();
        let tokenizer = Tokenizer::from_file(dir.join("tokenizer.json")).unwrap();
        let path = dir.join("model.onnx");
        let mut proto = read_proto(&path).unwrap();
        assert_eq!(check(&proto, &tokenizer, 256, &path).unwrap(), Some(512));
        let err = check(&proto, &tokenizer, 513, &path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");

        // The declared table sizes are what is checked: shrink them as another export would.
        table_mut(&mut proto, "embeddings.position_embeddings.weight").dims[0] = 128;
        let err = check(&proto, &tokenizer, 256, &path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
        table_mut(&mut proto, "embeddings.word_embeddings.weight").dims[0] = 1000;
        let err = check(&proto, &tokenizer, 128, &path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        assert!(err.to_string().contains("not from the same model"), "{err}");
    }

    #[test]
    fn a_graph_that_is_not_an_encoder_is_refused_with_a_message() {
        let path = shipped().join("model.onnx");
        let mut proto = read_proto(&path).unwrap();
        // Keep the inputs, but make the output the token ids themselves: a valid ONNX graph
        // that is no encoder (integer output of rank 2).
        let graph = proto.graph.as_mut().unwrap();
        let output = graph.output[0].name.clone();
        graph.node.clear();
        graph.initializer.clear();
        graph.node.push(tract_onnx::pb::NodeProto {
            op_type: "Identity".into(),
            input: vec!["input_ids".into()],
            output: vec![output],
            name: "not_an_encoder".into(),
            ..Default::default()
        });
        let err = OnnxGraph::from_proto(proto, &path, Precision::Fp32).and_then(OnnxGraph::optimize).err();
        let err = err.expect("an identity graph is not an encoder");
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    }
}
