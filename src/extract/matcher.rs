//! Matching: for one field, every candidate of its type on every page, scored, and the
//! most probable one kept.

use crate::extract::fields::{self, Candidate};
use crate::extract::layout::{self, Line};
use crate::extract::model::FieldSpec;
use crate::extract::score::{self, Anchors, Features};
use crate::extract::Page;

/// A document's pages with their lines, computed once and shared by all fields.
pub struct Laid<'a> {
    pub pages: &'a [Page],
    pub lines: Vec<Vec<Line>>,
}

impl<'a> Laid<'a> {
    pub fn new(pages: &'a [Page]) -> Laid<'a> {
        Laid { pages, lines: pages.iter().map(layout::lines).collect() }
    }
}

/// One candidate in its document: which page it is on and how the scorer sees it.
pub struct Placed {
    pub page: usize,
    pub candidate: Candidate,
    pub features: Features,
}

/// The field's value found on a document, with its confidence in `[0, 1]`.
#[derive(Clone, Debug)]
pub struct Found {
    pub page: usize,
    pub candidate: Candidate,
    pub confidence: f32,
}

/// Every candidate for `field` on the document, described for the scorer.
pub fn placed(field: &FieldSpec, doc: &Laid) -> Vec<Placed> {
    let anchors = Anchors::new(field);
    let mut out = Vec::new();
    for (p, (page, lines)) in doc.pages.iter().zip(&doc.lines).enumerate() {
        let cands = fields::candidates(field.kind, lines);
        let feats = score::describe(field.kind, &anchors, page, lines, &cands);
        out.extend(cands.into_iter().zip(feats).map(|(candidate, features)| Placed {
            page: p,
            candidate,
            features,
        }));
    }
    out
}

/// The most probable candidate, unless "not on this document" is more probable.
pub fn best(field: &FieldSpec, doc: &Laid) -> Option<Found> {
    let all = placed(field, doc);
    let scores: Vec<f32> = all.iter().map(|c| score::score(&field.weights, &c.features)).collect();
    let probs = score::softmax_with_none(&scores);
    let (i, &p) = probs[..all.len()].iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
    if p < probs[all.len()] {
        return None;
    }
    let chosen = all.into_iter().nth(i)?;
    Some(Found { page: chosen.page, candidate: chosen.candidate, confidence: p })
}
