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
    let mut out = Vec::new();
    each_placed(field, doc, |placed| out.push(placed));
    out
}

/// Hands every candidate for `field` to `f`, page by page, described for the scorer; only
/// one page's candidates are held at a time.
fn each_placed(field: &FieldSpec, doc: &Laid, mut f: impl FnMut(Placed)) {
    let anchors = Anchors::new(field);
    for (p, (page, lines)) in doc.pages.iter().zip(&doc.lines).enumerate() {
        let cands = fields::candidates(field.kind, lines);
        let feats = score::describe(field.kind, &anchors, page, lines, &cands);
        for (candidate, features) in cands.into_iter().zip(feats) {
            f(Placed { page: p, candidate, features });
        }
    }
}

/// The most probable candidate, unless "not on this document" is more probable.
///
/// Page by page: only each candidate's score and the best candidate so far are kept, not
/// every candidate's features, so a long document costs its words and little more.
pub fn best(field: &FieldSpec, doc: &Laid) -> Option<Found> {
    let mut scores = Vec::new();
    // The highest score so far (the later one on a tie): its index, page and candidate.
    let mut chosen: Option<(usize, usize, Candidate)> = None;
    each_placed(field, doc, |placed| {
        let s = score::score(&field.weights, &placed.features);
        if chosen.as_ref().is_none_or(|&(i, _, _)| s.total_cmp(&scores[i]).is_ge()) {
            chosen = Some((scores.len(), placed.page, placed.candidate));
        }
        scores.push(s);
    });
    let (i, page, candidate) = chosen?;
    let probs = score::softmax_with_none(&scores);
    let p = probs[i];
    if p < probs[scores.len()] {
        return None;
    }
    Some(Found { page, candidate, confidence: p })
}
