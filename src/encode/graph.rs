//! Lookups over an ONNX graph's protobuf, for the rewrites opinio makes before tract reads
//! it: fused attention ([`super::attention`]), int8 dense layers ([`super::dense`]) and
//! fused LayerNorm ([`super::layer_norm`]).

use std::collections::HashMap;

use tract_onnx::pb::{
    attribute_proto::AttributeType, tensor_proto::DataType, AttributeProto, GraphProto, NodeProto,
    TensorProto,
};

/// Lookups over the graph: who produces and who reads each value, and constant values.
pub(crate) struct Graph<'a> {
    pub(crate) nodes: &'a [NodeProto],
    pub(crate) producer: HashMap<&'a str, usize>,
    pub(crate) readers: HashMap<&'a str, Vec<usize>>,
    pub(crate) initializers: HashMap<&'a str, &'a TensorProto>,
}

impl<'a> Graph<'a> {
    pub(crate) fn new(graph: &'a GraphProto) -> Graph<'a> {
        let mut producer = HashMap::new();
        let mut readers: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, n) in graph.node.iter().enumerate() {
            for o in &n.output {
                producer.insert(o.as_str(), i);
            }
            for input in &n.input {
                readers.entry(input.as_str()).or_default().push(i);
            }
        }
        let initializers = graph.initializer.iter().map(|t| (t.name.as_str(), t)).collect();
        Graph { nodes: &graph.node, producer, readers, initializers }
    }

    /// The node producing `value`, when it is of type `op`.
    pub(crate) fn made_by(&self, value: &str, op: &str) -> Option<&'a NodeProto> {
        self.producer.get(value).map(|&i| &self.nodes[i]).filter(|n| n.op_type == op)
    }

    /// The only node reading `value`, when it is of type `op`.
    pub(crate) fn read_only_by(&self, value: &str, op: &str) -> Option<(usize, &'a NodeProto)> {
        match self.readers.get(value).map(Vec::as_slice) {
            Some(&[i]) if self.nodes[i].op_type == op => Some((i, &self.nodes[i])),
            _ => None,
        }
    }

    /// The constant tensor behind `value`: an initialiser or a `Constant` node.
    pub(crate) fn constant(&self, value: &str) -> Option<&'a TensorProto> {
        if let Some(t) = self.initializers.get(value) {
            return Some(t);
        }
        attr(self.made_by(value, "Constant")?, "value")?.t.as_ref()
    }

    /// A scalar float constant.
    pub(crate) fn scalar_f32(&self, value: &str) -> Option<f32> {
        match crate::encode::onnx::f32_values(self.constant(value)?).ok()?.as_slice() {
            [x] => Some(*x),
            _ => None,
        }
    }

    /// The int64 values of a constant.
    pub(crate) fn ints(&self, value: &str) -> Option<Vec<i64>> {
        let t = self.constant(value)?;
        if t.data_type != DataType::Int64 as i32 {
            return None;
        }
        if !t.int64_data.is_empty() {
            return Some(t.int64_data.clone());
        }
        Some(t.raw_data.chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().unwrap_or([0; 8]))).collect())
    }
}

pub(crate) fn int_attr(name: &str, i: i64) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i, ..AttributeProto::default() }
}

pub(crate) fn str_attr(name: &str, s: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::String as i32,
        s: s.as_bytes().to_vec(),
        ..AttributeProto::default()
    }
}

pub(crate) fn floats_attr(name: &str, floats: Vec<f32>) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Floats as i32,
        floats,
        ..AttributeProto::default()
    }
}

pub(crate) fn float_attr(name: &str, f: f32) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Float as i32, f, ..AttributeProto::default() }
}

/// Whether `t` holds f32 values of rank `rank`.
pub(crate) fn is_f32(t: &TensorProto, rank: usize) -> bool {
    t.data_type == DataType::Float as i32 && t.dims.len() == rank
}

/// The attribute `name` of `node`.
pub(crate) fn attr<'n>(node: &'n NodeProto, name: &str) -> Option<&'n AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

/// Removes the nodes whose outputs nothing reads and the graph does not output, until none
/// is left: what a rewrite replaced. Returns how many were removed.
pub(crate) fn prune_dead(graph: &mut GraphProto) -> usize {
    let before = graph.node.len();
    loop {
        let mut read: std::collections::HashSet<&str> =
            graph.output.iter().map(|o| o.name.as_str()).collect();
        read.extend(graph.node.iter().flat_map(|n| n.input.iter().map(String::as_str)));
        let live: Vec<bool> =
            graph.node.iter().map(|n| n.output.iter().any(|o| read.contains(o.as_str()))).collect();
        if live.iter().all(|&l| l) {
            return before - graph.node.len();
        }
        let mut keep = live.into_iter();
        graph.node.retain(|_| keep.next().unwrap_or(true));
    }
}
