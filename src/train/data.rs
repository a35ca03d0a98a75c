//! Training examples: texts with gold tags, the class and label sets they define, the
//! held-out split and length-sorted batches.

use std::collections::BTreeSet;

use super::rng::SplitMix64;
use crate::schema::{Document, ModelType, Tag};
use crate::{Error, Result};

/// One labeled segment: its text and gold tags (empty: no class applies).
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    /// The segment's text.
    pub text: String,
    /// Its gold tags.
    pub tags: Vec<Tag>,
}

impl Example {
    /// A labeled text.
    pub fn new(text: impl Into<String>, tags: Vec<Tag>) -> Example {
        Example { text: text.into(), tags }
    }
}

/// The labeled segments of documents: every segment that carries `tags` (an empty list
/// counts: it says no class applies); segments without a `tags` key are unlabeled and skipped.
pub fn examples_from_documents(docs: &[Document]) -> Vec<Example> {
    docs.iter()
        .flat_map(|d| d.segments.iter().flatten())
        .filter_map(|s| s.tags.as_ref().map(|tags| Example::new(s.text.clone(), tags.clone())))
        .collect()
}

/// ABSA labels in their conventional order; others come sorted.
const ABSA_ORDER: [&str; 4] = ["POS", "NEG", "NEU", "CON"];

/// The classes and labels of a training set, in a fixed order (sorted; ABSA labels as
/// POS, NEG, NEU, CON), checked against what `model_type` allows.
pub fn vocabulary(model_type: ModelType, examples: &[Example]) -> Result<(Vec<String>, Vec<String>)> {
    let mut classes = BTreeSet::new();
    let mut labels = BTreeSet::new();
    for (i, ex) in examples.iter().enumerate() {
        for tag in &ex.tags {
            let needs_class = model_type != ModelType::Label;
            let needs_label = model_type != ModelType::Class;
            match (&tag.class, needs_class) {
                (Some(c), true) => {
                    classes.insert(c.clone());
                }
                (None, true) => return Err(bad_tag(i, &ex.text, model_type, "has no class")),
                _ => {}
            }
            match (&tag.label, needs_label) {
                (Some(l), true) => {
                    if model_type == ModelType::Absa && !ABSA_ORDER.contains(&l.as_str()) {
                        return Err(bad_tag(i, &ex.text, model_type, &format!("has label {l:?}, ABSA labels are POS, NEG, NEU, CON")));
                    }
                    labels.insert(l.clone());
                }
                (None, true) => return Err(bad_tag(i, &ex.text, model_type, "has no label")),
                _ => {}
            }
        }
    }
    let mut labels: Vec<String> = labels.into_iter().collect();
    if model_type == ModelType::Absa {
        labels.sort_by_key(|l| ABSA_ORDER.iter().position(|a| a == l));
    }
    let classes: Vec<String> = classes.into_iter().collect();
    if model_type != ModelType::Label && classes.is_empty() {
        return Err(Error::invalid_argument(format!("the training data has no class tags, a {model_type:?} model needs some").to_lowercase()));
    }
    if model_type != ModelType::Class && labels.len() < 2 {
        return Err(Error::invalid_argument(format!("the training data has {} distinct labels, at least 2 are needed", labels.len())));
    }
    Ok((classes, labels))
}

fn bad_tag(i: usize, text: &str, model_type: ModelType, what: &str) -> Error {
    let short: String = text.chars().take(40).collect();
    Error::invalid_argument(format!("labeled segment {i} ({short:?}) {what}; every {model_type:?} tag needs it").to_lowercase())
}

/// The gold of one example against a vocabulary: per class, present or not, and the gold
/// label's index (for LABEL models, one pseudo-class).
#[derive(Clone, Debug, PartialEq)]
pub struct Gold {
    /// Per class, 1.0 when present.
    pub present: Vec<f32>,
    /// Per class, the gold label index (0 where unknown).
    pub label: Vec<u32>,
    /// Per class, 1.0 where the label is known.
    pub label_mask: Vec<f32>,
}

/// The gold of `ex`. Tags with a class or label outside the vocabulary are ignored (they
/// only occur in test data: the vocabulary comes from the training set).
pub fn gold(model_type: ModelType, classes: &[String], labels: &[String], ex: &Example) -> Gold {
    let c = if model_type == ModelType::Label { 1 } else { classes.len() };
    let mut g = Gold { present: vec![0.0; c], label: vec![0; c], label_mask: vec![0.0; c] };
    for tag in &ex.tags {
        let ci = match model_type {
            ModelType::Label => Some(0),
            _ => tag.class.as_ref().and_then(|name| classes.iter().position(|x| x == name)),
        };
        let Some(ci) = ci else { continue };
        g.present[ci] = 1.0;
        if let Some(li) = tag.label.as_ref().and_then(|name| labels.iter().position(|x| x == name)) {
            g.label[ci] = li as u32;
            g.label_mask[ci] = 1.0;
        }
    }
    g
}

/// Splits off a random `share` of `examples` (at least one each side) as held-out data.
pub fn split(examples: &[Example], share: f64, seed: u64) -> Result<(Vec<Example>, Vec<Example>)> {
    if examples.len() < 2 {
        return Err(Error::invalid_argument(format!("{} labeled segments, at least 2 are needed to hold some out", examples.len())));
    }
    let mut order: Vec<usize> = (0..examples.len()).collect();
    SplitMix64::new(seed ^ SPLIT_SALT).shuffle(&mut order);
    let held = ((examples.len() as f64 * share).round() as usize).clamp(1, examples.len() - 1);
    let pick = |ix: &[usize]| ix.iter().map(|&i| examples[i].clone()).collect::<Vec<_>>();
    Ok((pick(&order[held..]), pick(&order[..held])))
}

/// Mixed into the split's seed so it does not reuse the shuffling stream.
const SPLIT_SALT: u64 = 0x5eed_5917;

/// Batches of at most `size` example indices with similar token counts, in a seeded random
/// order: sorting by length keeps padding (which costs as much as real tokens) low, and a
/// little noise in the sort key plus the shuffle of whole batches varies them per epoch.
pub fn batches(lengths: &[usize], size: usize, rng: &mut SplitMix64) -> Vec<Vec<usize>> {
    let mut keyed: Vec<(f64, usize)> = lengths.iter().enumerate().map(|(i, &l)| (l as f64 + rng.uniform() * 3.0, i)).collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Vec<usize>> = keyed.chunks(size.max(1)).map(|c| c.iter().map(|&(_, i)| i).collect()).collect();
    rng.shuffle(&mut out);
    out
}

/// The largest labeled file read, in bytes.
const MAX_LABELED_BYTES: u64 = 512 << 20;

/// Reads labeled documents (the seed's documents with segments and tags) from a JSONL file
/// (one document a line) or a JSON file (a list, or `{"documents": [...]}`), and returns
/// their labeled segments.
pub fn read_labeled(path: &std::path::Path) -> Result<Vec<Example>> {
    let size = std::fs::metadata(path).map_err(|e| Error::from(e).with_path(path))?.len();
    if size > MAX_LABELED_BYTES {
        return Err(Error::limit("labeled file size", size, MAX_LABELED_BYTES).with_path(path));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::from(e).with_path(path))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| Error::new(crate::ErrorKind::InvalidUtf8, format!("labeled file is not utf-8: {e}")).with_path(path))?;
    let first = text.trim_start().chars().next();
    let docs: Vec<Document> = if matches!(first, Some('[') | Some('{')) && !is_jsonl(text) {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Shape {
            List(Vec<Document>),
            Wrapped { documents: Vec<Document> },
        }
        match serde_json::from_str::<Shape>(text) {
            Ok(Shape::List(d)) | Ok(Shape::Wrapped { documents: d }) => d,
            Err(e) => return Err(Error::malformed(format!("not labeled documents: {e}")).with_path(path).with_line(e.line() as u64)),
        }
    } else {
        let mut docs = Vec::new();
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let doc = serde_json::from_str::<Document>(line).map_err(|e| {
                Error::malformed(format!("not a labeled document: {e}")).with_path(path).with_line(i as u64 + 1)
            })?;
            docs.push(doc);
        }
        docs
    };
    Ok(examples_from_documents(&docs))
}

/// Whether `text` holds several JSON values, one a line.
fn is_jsonl(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    lines.next().is_some_and(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()) && lines.next().is_some()
}
