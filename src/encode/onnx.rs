//! The encoder's weights inside its ONNX graph: read them out to train, write them back to run.
//!
//! The shipped encoder is only an ONNX file (no safetensors), so training starts from its
//! initialisers. Exporters keep Hugging Face names for biases and LayerNorm parameters
//! (`encoder.layer.0.attention.self.query.bias`) but store MatMul weights under generated
//! names (`onnx::MatMul_123`), already laid out `[in, out]`. The graph says which is which:
//! a MatMul's weight is followed by an `Add` of its bias, so the weight takes the bias's name
//! with `weight` for `bias`. [`BertWeights::from_onnx`] does that mapping once and keeps, for
//! every parameter, the initialiser it came from, so trained values go back under the same
//! initialiser names ([`patch_proto`]) and tract runs the fine-tuned graph unchanged.

use std::collections::HashMap;
use std::path::Path;

use tract_onnx::pb::{self, tensor_proto::DataType, ModelProto, TensorProto};
use tract_onnx::prelude::Framework;

use crate::{Error, ErrorKind, Result};

/// One BERT parameter: its Hugging Face name, the ONNX initialiser holding it, its shape
/// (`[in, out]` for dense weights) and values.
#[derive(Clone, Debug)]
pub struct Param {
    /// Hugging Face name, e.g. `encoder.layer.0.attention.self.query.weight`.
    pub name: String,
    /// The ONNX initialiser the values were read from and are written back to.
    pub initializer: String,
    /// Shape as stored in the graph.
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub values: Vec<f32>,
}

/// The BERT parameters of an ONNX encoder, keyed by Hugging Face name.
#[derive(Clone, Debug)]
pub struct BertWeights {
    params: HashMap<String, Param>,
    /// Number of transformer layers.
    pub layers: usize,
    /// Hidden size.
    pub hidden: usize,
}

/// Reads the protobuf of the ONNX file at `path`.
pub fn read_proto(path: &Path) -> Result<ModelProto> {
    std::fs::metadata(path).map_err(|e| super::read_error("onnx model", path, e))?;
    tract_onnx::onnx()
        .proto_model_for_path(path)
        .map_err(|e| Error::malformed(format!("onnx model does not parse: {e:#}")).with_path(path))
}

/// The f32 values of an initialiser (raw little-endian bytes or `float_data`).
pub(crate) fn f32_values(t: &TensorProto) -> Result<Vec<f32>> {
    if t.data_type != DataType::Float as i32 {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!("initialiser {:?} has onnx type {}, expected float", t.name, t.data_type),
        ));
    }
    let n: usize = t.dims.iter().map(|&d| d.max(0) as usize).product();
    let values: Vec<f32> = if !t.raw_data.is_empty() {
        t.raw_data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    } else {
        t.float_data.clone()
    };
    if values.len() != n {
        return Err(Error::malformed(format!(
            "initialiser {:?} holds {} values for shape {:?}",
            t.name,
            values.len(),
            t.dims
        )));
    }
    Ok(values)
}

/// Strips an exporter's prefix (`bert.`, `model.`) so names start at `embeddings.`/`encoder.`.
pub(crate) fn canonical(name: &str) -> Option<&str> {
    ["embeddings.", "encoder."].iter().find_map(|root| name.find(root).map(|at| &name[at..]))
}

impl BertWeights {
    /// Maps the initialisers of `proto` to BERT parameters.
    ///
    /// Fails with [`ErrorKind::Unsupported`] when a parameter the BERT forward needs is
    /// missing, naming it.
    pub fn from_onnx(proto: &ModelProto) -> Result<BertWeights> {
        let graph = proto.graph.as_ref().ok_or_else(|| Error::malformed("onnx model has no graph"))?;
        let inits: HashMap<&str, &TensorProto> =
            graph.initializer.iter().map(|t| (t.name.as_str(), t)).collect();
        // Which initialiser carries which Hugging Face name.
        let mut names: HashMap<String, String> = HashMap::new();
        for t in &graph.initializer {
            if let Some(c) = canonical(&t.name) {
                names.insert(c.to_string(), t.name.clone());
            }
        }
        // MatMul weights under generated names: named after the bias added to their output.
        let consumers: HashMap<&str, Vec<&pb::NodeProto>> = graph.node.iter().fold(HashMap::new(), |mut m, n| {
            for i in &n.input {
                m.entry(i.as_str()).or_default().push(n);
            }
            m
        });
        for node in graph.node.iter().filter(|n| n.op_type == "MatMul") {
            let Some(weight) = node.input.get(1).filter(|w| inits.contains_key(w.as_str())) else {
                continue;
            };
            if canonical(weight).is_some() {
                continue;
            }
            let Some(out) = node.output.first() else { continue };
            let bias = consumers.get(out.as_str()).into_iter().flatten().filter(|n| n.op_type == "Add").find_map(|add| {
                add.input.iter().filter(|i| *i != out).find_map(|i| {
                    inits.contains_key(i.as_str()).then(|| canonical(i)).flatten().filter(|c| c.ends_with(".bias"))
                })
            });
            if let Some(bias) = bias {
                let name = format!("{}weight", bias.strip_suffix("bias").unwrap_or(bias));
                names.insert(name, weight.clone());
            }
        }
        let mut params = HashMap::new();
        for (name, init) in names {
            let t = inits[init.as_str()];
            let values = f32_values(t)?;
            let shape = t.dims.iter().map(|&d| d.max(0) as usize).collect();
            params.insert(name.clone(), Param { name, initializer: init, shape, values });
        }
        let mut layers = 0;
        while params.contains_key(&format!("encoder.layer.{layers}.attention.self.query.weight")) {
            layers += 1;
        }
        let hidden = params
            .get("embeddings.word_embeddings.weight")
            .and_then(|p| p.shape.get(1).copied())
            .ok_or_else(|| missing("embeddings.word_embeddings.weight"))?;
        let weights = BertWeights { params, layers, hidden };
        for name in weights.expected_names() {
            weights.get(&name)?;
        }
        if layers == 0 {
            return Err(missing("encoder.layer.0.attention.self.query.weight"));
        }
        Ok(weights)
    }

    /// Reads the ONNX file at `path` and maps it.
    pub fn read(path: &Path) -> Result<BertWeights> {
        BertWeights::from_onnx(&read_proto(path)?).map_err(|e| e.with_path(path))
    }

    /// Every parameter name the BERT forward reads, in a fixed order.
    pub fn expected_names(&self) -> Vec<String> {
        let mut names: Vec<String> = ["word_embeddings", "position_embeddings", "token_type_embeddings"]
            .iter()
            .map(|n| format!("embeddings.{n}.weight"))
            .collect();
        names.push("embeddings.LayerNorm.weight".into());
        names.push("embeddings.LayerNorm.bias".into());
        for l in 0..self.layers {
            for part in [
                "attention.self.query",
                "attention.self.key",
                "attention.self.value",
                "attention.output.dense",
                "attention.output.LayerNorm",
                "intermediate.dense",
                "output.dense",
                "output.LayerNorm",
            ] {
                names.push(format!("encoder.layer.{l}.{part}.weight"));
                names.push(format!("encoder.layer.{l}.{part}.bias"));
            }
        }
        names
    }

    /// The parameter `name`.
    pub fn get(&self, name: &str) -> Result<&Param> {
        self.params.get(name).ok_or_else(|| missing(name))
    }

    /// Replaces the values of parameter `name` (same length).
    pub fn set(&mut self, name: &str, values: Vec<f32>) -> Result<()> {
        let p = self.params.get_mut(name).ok_or_else(|| missing(name))?;
        if p.values.len() != values.len() {
            return Err(Error::invalid_argument(format!(
                "{name} holds {} values, {} given",
                p.values.len(),
                values.len()
            )));
        }
        p.values = values;
        Ok(())
    }

    /// The parameters in [`BertWeights::expected_names`] order.
    pub fn ordered(&self) -> Result<Vec<&Param>> {
        self.expected_names().iter().map(|n| self.get(n)).collect()
    }
}

fn missing(name: &str) -> Error {
    Error::new(ErrorKind::Unsupported, format!("onnx encoder has no parameter {name:?}, not a bert graph"))
}

/// Replaces the values of the initialisers named in `values` (initialiser name → f32
/// values) in `proto`; shapes must match.
///
/// `values` is consumed one tensor at a time, so that loading a fine-tuned model never holds
/// the fine-tuned values twice (as f32 and as the graph's bytes).
pub fn patch_proto(proto: &mut ModelProto, mut values: HashMap<String, Vec<f32>>) -> Result<()> {
    let graph = proto.graph.as_mut().ok_or_else(|| Error::malformed("onnx model has no graph"))?;
    for t in graph.initializer.iter_mut() {
        let Some(new) = values.remove(&t.name) else { continue };
        let n: usize = t.dims.iter().map(|&d| d.max(0) as usize).product();
        if new.len() != n || t.data_type != DataType::Float as i32 {
            return Err(Error::malformed(format!(
                "encoder weight {:?} has {} values, the graph's initialiser has shape {:?}",
                t.name,
                new.len(),
                t.dims
            )));
        }
        t.float_data.clear();
        t.raw_data = new.iter().flat_map(|x| x.to_le_bytes()).collect();
    }
    if !values.is_empty() {
        let unknown: Vec<&String> = values.keys().take(3).collect();
        return Err(Error::malformed(format!("encoder weights {unknown:?} are not initialisers of the base graph")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> std::path::PathBuf {
        crate::encode::Encoder::default_model_dir().join("model.onnx")
    }

    #[test]
    fn maps_every_minilm_parameter() {
        let w = BertWeights::read(&shipped()).unwrap();
        assert_eq!((w.layers, w.hidden), (6, 384));
        let q = w.get("encoder.layer.0.attention.self.query.weight").unwrap();
        assert_eq!(q.shape, vec![384, 384]);
        let i = w.get("encoder.layer.5.intermediate.dense.weight").unwrap();
        assert_eq!(i.shape, vec![384, 1536], "dense weights are [in, out]");
        let total: usize = w.ordered().unwrap().iter().map(|p| p.values.len()).sum();
        assert!((22_000_000..23_000_000).contains(&total), "{total} parameters");
    }

    #[test]
    fn patch_rejects_wrong_shapes_and_names() {
        let mut proto = read_proto(&shipped()).unwrap();
        let w = BertWeights::from_onnx(&proto).unwrap();
        let p = w.get("embeddings.LayerNorm.bias").unwrap();
        let bad = HashMap::from([(p.initializer.clone(), vec![0.0; 3])]);
        assert_eq!(patch_proto(&mut proto, bad).unwrap_err().kind(), ErrorKind::Malformed);
        let unknown = HashMap::from([("nope".to_string(), vec![0.0])]);
        assert!(patch_proto(&mut proto, unknown).unwrap_err().to_string().contains("nope"));
        let good = HashMap::from([(p.initializer.clone(), vec![0.5; p.values.len()])]);
        patch_proto(&mut proto, good).unwrap();
        let back = BertWeights::from_onnx(&proto).unwrap();
        assert!(back.get("embeddings.LayerNorm.bias").unwrap().values.iter().all(|&v| v == 0.5));
    }
}
