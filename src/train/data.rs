//! What training needs from labeled segments: the gold of each against the model's class
//! and label order, and length-sorted batches.

use crate::labeled::LabeledSet;
use crate::rng::SplitMix64;
use crate::schema::{ModelType, Tag};
use crate::{Error, Result};

/// Checks that `set` has what a `set.model_type` model needs to learn from: classes (but
/// for LABEL), at least two labels (but for CLASS), and at least one segment.
pub fn check(set: &LabeledSet) -> Result<()> {
    let t = set.model_type;
    if set.segments.is_empty() {
        return Err(Error::invalid_argument("the training data has no usable labeled segment"));
    }
    if t != ModelType::Label && set.classes.is_empty() {
        return Err(Error::invalid_argument(format!(
            "the training data has no class tags, a {} model needs some",
            t.as_str()
        )));
    }
    if t != ModelType::Class && set.labels.len() < 2 {
        return Err(Error::invalid_argument(format!(
            "the training data has {} distinct labels, a {} model needs at least 2",
            set.labels.len(),
            t.as_str()
        )));
    }
    Ok(())
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

/// The gold of one segment's `tags`. Tags with a class or label outside the vocabulary are ignored (they
/// only occur in test data: the vocabulary comes from the training set).
pub fn gold(model_type: ModelType, classes: &[String], labels: &[String], tags: &[Tag]) -> Gold {
    let c = if model_type == ModelType::Label { 1 } else { classes.len() };
    let mut g = Gold { present: vec![0.0; c], label: vec![0; c], label_mask: vec![0.0; c] };
    for tag in tags {
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
