//! Multi-line values: runs of neighbouring lines (an address over three lines, a company
//! name over two), and single lines for free text.
//!
//! Every run of up to [`FieldType::max_lines`] consecutive lines that are stacked (each
//! below the previous and overlapping it horizontally) is a candidate; the scorer decides
//! where a run starts and stops from what was learned about its first, last and
//! neighbouring lines.

use super::{Candidate, FieldType};
use crate::extract::layout::Line;

pub(super) fn spans(kind: FieldType, lines: &[Line]) -> Vec<Candidate> {
    let mut out = Vec::new();
    for first in 0..lines.len() {
        let mut words = Vec::new();
        let mut text = String::new();
        for n in 1..=kind.max_lines() {
            let i = first + n - 1;
            let Some(line) = lines.get(i) else { break };
            if n > 1 && !stacked(&lines[i - 1], line) {
                break;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&line.text);
            words.extend_from_slice(&line.words);
            if !line.text.chars().any(char::is_alphanumeric) {
                continue;
            }
            let Some(value) = kind.convert(&text) else { continue };
            out.push(Candidate {
                line: first,
                lines: n,
                start: 0,
                end: lines[first].text.len(),
                words: words.clone(),
                text: text.clone(),
                value,
                conversion_passed: true,
            });
        }
    }
    out
}

/// Whether `next` continues `prev` downwards: on a later row, not far below, overlapping
/// horizontally.
fn stacked(prev: &Line, next: &Line) -> bool {
    let h = prev.bbox.height().max(1.0);
    let gap = next.bbox.y0 - prev.bbox.y1;
    let overlap = prev.bbox.x1.min(next.bbox.x1) - prev.bbox.x0.max(next.bbox.x0);
    next.row > prev.row && gap < 1.5 * h && overlap > 0.0
}
