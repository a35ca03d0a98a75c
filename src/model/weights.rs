//! Head weights in safetensors: named f32 tensors, the format the ML ecosystem reads.
//!
//! A prototype head stores `class_prototypes [C, D]`, `class_thresholds [C]`,
//! `class_scales [C]`, `label_prototypes [L, D]` and `label_temperature [1]`; class and
//! label names live in the manifest, and their counts are checked against the shapes.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, TensorView};

use crate::heads::NamedTensors;
use crate::heads::PrototypeParams;
use crate::{Error, ErrorKind, Result};

/// Writes `params` to `path`.
pub(crate) fn save_prototype(params: &PrototypeParams, path: &Path) -> Result<()> {
    let (c, l, d) = (params.classes.len(), params.labels.len(), params.dim);
    let temperature = [params.label_temperature];
    let tensors: [(&str, Vec<usize>, &[f32]); 5] = [
        ("class_prototypes", vec![c, d], &params.class_prototypes),
        ("class_thresholds", vec![c], &params.class_thresholds),
        ("class_scales", vec![c], &params.class_scales),
        ("label_prototypes", vec![l, d], &params.label_prototypes),
        ("label_temperature", vec![1], &temperature),
    ];
    crate::heads::write_f32_tensors(path, &tensors, "opinio-prototype-head/1")
}

/// Reads a prototype head's tensors from `path`; names come from the manifest.
pub(crate) fn load_prototype(
    path: &Path,
    classes: Vec<String>,
    labels: Vec<String>,
) -> Result<PrototypeParams> {
    let mut t = NamedTensors::read(path)?;
    let (c, l) = (classes.len(), labels.len());
    let (class_prototypes, class_dim) = t.take_rows("class_prototypes", c)?;
    let (label_prototypes, label_dim) = t.take_rows("label_prototypes", l)?;
    let dim = if c > 0 { class_dim } else { label_dim };
    if c > 0 && l > 0 && class_dim != label_dim {
        return Err(Error::malformed(format!("class dim {class_dim} differs from label dim {label_dim}"))
            .with_path(path));
    }
    let params = PrototypeParams {
        dim,
        classes,
        class_prototypes,
        class_thresholds: t.take("class_thresholds", &[c])?,
        class_scales: t.take("class_scales", &[c])?,
        labels,
        label_prototypes,
        label_temperature: t.take("label_temperature", &[1])?[0],
    };
    t.finish()?;
    Ok(params)
}

/// Writes fine-tuned encoder values (initialiser name → values) to `path` in half
/// precision: half the size of f32, and analysis quality is unchanged (measured; see
/// `models/restaurants/README.md`). Callers round the values with [`round_to_f16`] before
/// using them, so a saved model tags exactly as the one in memory.
pub(crate) fn save_encoder(weights: &HashMap<String, Vec<f32>>, path: &Path) -> Result<()> {
    let mut names: Vec<&String> = weights.keys().collect();
    names.sort();
    let bytes: Vec<(&String, Vec<u8>)> = names
        .iter()
        .map(|n| (*n, weights[*n].iter().flat_map(|&x| crate::heads::f32_to_f16(x).to_le_bytes()).collect()))
        .collect();
    let views = bytes
        .iter()
        .map(|(n, b)| {
            TensorView::new(Dtype::F16, vec![b.len() / 2], b)
                .map(|v| (n.to_string(), v))
                .map_err(|e| Error::new(ErrorKind::Internal, format!("cannot build tensor {n}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let meta: HashMap<String, String> =
        [("format".to_string(), "opinio-encoder-weights/1".to_string())].into();
    safetensors::serialize_to_file(views, Some(meta), path)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write encoder weights: {e}")).with_path(path))
}

/// Reads encoder values saved by [`save_encoder`].
pub(crate) fn load_encoder(path: &Path) -> Result<HashMap<String, Vec<f32>>> {
    Ok(crate::heads::read_f32_tensors(path)?.into_iter().map(|(k, (_, v))| (k, v)).collect())
}

/// Rounds every value to the nearest half-precision number, as [`save_encoder`] stores it.
pub(crate) fn round_to_f16(weights: &mut HashMap<String, Vec<f32>>) {
    for v in weights.values_mut().flat_map(|v| v.iter_mut()) {
        *v = crate::heads::f16_to_f32(crate::heads::f32_to_f16(*v));
    }
}
