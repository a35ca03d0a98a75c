//! Scoring: each candidate is described by named layout features and context tokens, a
//! field's [`Weights`] turn that into a score, and a softmax over all candidates of the
//! document (plus a "not on this document" option scored 0) turns scores into
//! probabilities. Trained by maximum likelihood ([`learn`](super::learn)), that softmax is
//! the calibrated confidence the response reports.

use crate::extract::fields::{Candidate, FieldType};
use crate::extract::layout::Line;
use crate::extract::model::{FieldSpec, Weights};
use crate::extract::Page;

/// The named features, in the order of [`Features::values`].
pub const FEATURES: &[&str] = &[
    "bias",
    "anchor_left",
    "anchor_above",
    "exclude_left",
    "exclude_above",
    "y",
    "x",
    "repeats",
    "largest",
    "lines",
    "conversion",
    "top_row",
    "ocr_confidence",
    "upper",
    "digits",
    "order",
];

const N: usize = FEATURES.len();

/// What the scorer sees of one candidate.
#[derive(Clone, Debug)]
pub struct Features {
    pub values: [f32; N],
    pub tokens: Vec<String>,
}

/// A field's anchors and exclusions, normalised once per field.
pub struct Anchors {
    anchors: Vec<String>,
    exclude: Vec<String>,
}

impl Anchors {
    /// A phrase of several words also matches written as one word (`" total qty "` also
    /// as `" totalqty "`): OCR engines often read the space between two words as none.
    pub fn new(field: &FieldSpec) -> Anchors {
        let norm = |m: &std::collections::BTreeMap<String, Vec<String>>| -> Vec<String> {
            let phrases: Vec<String> =
                m.values().flatten().map(|p| normalise(p)).filter(|p| !p.trim().is_empty()).collect();
            let joined = phrases
                .iter()
                .filter(|p| p.trim().contains(' '))
                .map(|p| format!(" {} ", p.split_whitespace().collect::<String>()));
            let mut all: Vec<String> = phrases.iter().cloned().chain(joined).collect();
            all.sort();
            all.dedup();
            all
        };
        Anchors { anchors: norm(&field.anchors), exclude: norm(&field.exclude) }
    }

    fn hit(list: &[String], text: &str) -> f32 {
        let t = normalise(text);
        if list.iter().any(|a| t.contains(a.as_str())) {
            1.0
        } else {
            0.0
        }
    }
}

/// Lower case, letters and digits only, single spaces, padded with spaces so that
/// `contains(" total ")` matches whole words. Letters and digits that touch are split
/// (`GST6%` is `gst 6`, `TOTAL1.36` is `total 1 36`): OCR engines often read the gap between
/// a label and its number as none.
fn normalise(text: &str) -> String {
    let mut out = String::from(" ");
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let mut previous: Option<bool> = None;
        for c in word.chars() {
            let digit = c.is_numeric();
            if previous.is_some_and(|p| p != digit) {
                out.push(' ');
            }
            previous = Some(digit);
            out.extend(c.to_lowercase());
        }
        out.push(' ');
    }
    out
}

/// A word as a context token: lower case, letters and digits, digits as `0`.
fn token(word: &str) -> Option<String> {
    let t: String = word
        .chars()
        .filter(|c| c.is_alphanumeric())
        .take(14)
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_ascii_digit() { '0' } else { c })
        .collect();
    (!t.is_empty()).then_some(t)
}

fn push_tokens(out: &mut Vec<String>, prefix: &str, text: &str, take_last: Option<usize>) {
    let words: Vec<String> = text.split_whitespace().filter_map(token).collect();
    let from = take_last.map_or(0, |n| words.len().saturating_sub(n));
    for w in dedup(&words[from..]) {
        out.push(format!("{prefix}{w}"));
    }
}

fn dedup(words: &[String]) -> Vec<&String> {
    let mut seen = Vec::new();
    for w in words {
        if !seen.contains(&w) {
            seen.push(w);
        }
    }
    seen
}

/// The word shape of a value (`Xx`, `0.0`, `X0-0`): tells labels from values.
fn shape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().take(24) {
        let s = if c.is_ascii_digit() {
            '0'
        } else if c.is_uppercase() {
            'X'
        } else if c.is_alphabetic() {
            'x'
        } else if c.is_whitespace() {
            ' '
        } else {
            c
        };
        if !out.ends_with(s) {
            out.push(s);
        }
    }
    out
}

/// How round an amount is: `0` whole, `5` a multiple of 0.05, `-` neither. Where cash is
/// rounded (to 0.05 in many countries), the amount due is round and the sum before the
/// rounding line often is not; a tendered banknote is whole. The weights learn which.
fn roundness(amount: f64) -> &'static str {
    let cents = (amount * 100.0).round();
    if !cents.is_finite() || (amount * 100.0 - cents).abs() > 1e-6 {
        "-"
    } else if cents % 100.0 == 0.0 {
        "0"
    } else if cents % 5.0 == 0.0 {
        "5"
    } else {
        "-"
    }
}

/// The line directly above `line` that overlaps it horizontally, within three rows.
fn above<'a>(lines: &'a [Line], line: &Line) -> Option<&'a Line> {
    lines
        .iter()
        .filter(|l| l.row < line.row && line.row - l.row <= 3)
        .filter(|l| l.bbox.x1.min(line.bbox.x1) > l.bbox.x0.max(line.bbox.x0))
        .max_by_key(|l| l.row)
}

/// The nearest line left of `line` on the same row (a label in its own column).
fn left<'a>(lines: &'a [Line], line: &Line) -> Option<&'a Line> {
    lines
        .iter()
        .filter(|l| l.row == line.row && l.bbox.x1 <= line.bbox.x0)
        .max_by(|a, b| a.bbox.x1.total_cmp(&b.bbox.x1))
}

/// Describes every candidate of one page for `field`.
pub fn describe(
    kind: FieldType,
    anchors: &Anchors,
    page: &Page,
    lines: &[Line],
    cands: &[Candidate],
) -> Vec<Features> {
    let amounts: Vec<f64> = cands.iter().map(|c| c.value.parse::<f64>().unwrap_or(f64::MIN)).collect();
    let largest = amounts.iter().copied().fold(f64::MIN, f64::max);
    let n = cands.len().max(2) as f32;
    cands
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let line = &lines[c.line];
            let last = &lines[(c.line + c.lines - 1).min(lines.len() - 1)];
            let mut tokens = Vec::new();
            // Same line, left of the value, and the label column left of this line.
            let mut left_text = line.text[..c.start.min(line.text.len())].to_string();
            if let Some(l) = left(lines, line) {
                left_text = format!("{} {left_text}", l.text);
            }
            let above_text = above(lines, line).map_or("", |l| l.text.as_str());
            push_tokens(&mut tokens, "L:", &left_text, Some(3));
            push_tokens(&mut tokens, "A:", above_text, None);
            if kind.max_lines() > 1 || matches!(kind, FieldType::Text) {
                push_tokens(&mut tokens, "W:", &c.text, None);
                let prev = c.line.checked_sub(1).map_or("", |p| lines[p].text.as_str());
                let next = lines.get(c.line + c.lines).map_or("", |l| l.text.as_str());
                push_tokens(&mut tokens, "P:", prev, None);
                push_tokens(&mut tokens, "N:", next, None);
                push_tokens(&mut tokens, "F:", &line.text, None);
                push_tokens(&mut tokens, "E:", &last.text, Some(3));
                // How the run's first line and the line before it begin (`0,` for a house
                // number, `XXX` for a word in capitals): where an address or name starts.
                let opening = |text: &str| text.split_whitespace().next().map(shape).unwrap_or_default();
                tokens.push(format!("f:{}", opening(&line.text)));
                tokens.push(format!("p:{}", opening(prev)));
                tokens.push(format!("n:{}", c.lines));
                tokens.push(format!("r:{}", line.row.min(9)));
            } else {
                tokens.push(format!("S:{}", shape(&c.text)));
                if kind == FieldType::Amount {
                    tokens.push(format!("R:{}", roundness(amounts[i])));
                }
            }
            let boxes = c.words.iter().filter_map(|&w| page.words.get(w));
            let (mut bbox, mut conf, mut count) = (line.bbox, 0.0, 0.0);
            for (k, w) in boxes.enumerate() {
                bbox = if k == 0 { w.bbox } else { bbox.union(&w.bbox) };
                conf += w.confidence;
                count += 1.0;
            }
            let y = ((bbox.y0 + bbox.y1) / 2.0 / page.height).clamp(0.0, 1.0);
            let x = ((bbox.x0 + bbox.x1) / 2.0 / page.width).clamp(0.0, 1.0);
            tokens.push(format!("y:{}", (y * 10.0).min(9.0) as u32));
            let letters = c.text.chars().filter(|c| c.is_alphabetic()).count().max(1) as f32;
            let chars = c.text.chars().filter(|c| !c.is_whitespace()).count().max(1) as f32;
            let repeats = cands.iter().filter(|o| o.value == c.value).count() - 1;
            let mut v = [0.0; N];
            v[0] = 1.0;
            v[1] = Anchors::hit(&anchors.anchors, &left_text);
            v[2] = Anchors::hit(&anchors.anchors, above_text);
            v[3] = Anchors::hit(&anchors.exclude, &left_text);
            v[4] = Anchors::hit(&anchors.exclude, above_text);
            v[5] = y;
            v[6] = x;
            v[7] = (1.0 + repeats as f32).ln();
            v[8] = if kind == FieldType::Amount && amounts[i] == largest { 1.0 } else { 0.0 };
            v[9] = c.lines as f32 / kind.max_lines() as f32;
            v[10] = if c.conversion_passed { 1.0 } else { 0.0 };
            v[11] = if line.row == 0 { 1.0 } else { 0.0 };
            v[12] = if count > 0.0 { conf / count } else { 1.0 };
            v[13] = c.text.chars().filter(|c| c.is_uppercase()).count() as f32 / letters;
            v[14] = c.text.chars().filter(|c| c.is_ascii_digit()).count() as f32 / chars;
            v[15] = i as f32 / (n - 1.0);
            Features { values: v, tokens }
        })
        .collect()
}

/// The linear score of one candidate.
pub fn score(weights: &Weights, f: &Features) -> f32 {
    let mut s = 0.0;
    for (name, v) in FEATURES.iter().zip(f.values) {
        if let Some(w) = weights.features.get(*name) {
            s += w * v;
        }
    }
    for t in &f.tokens {
        if let Some(w) = weights.tokens.get(t) {
            s += w;
        }
    }
    s
}

/// Probabilities of each candidate and, last, of "none of them" (score 0).
pub fn softmax_with_none(scores: &[f32]) -> Vec<f32> {
    let max = scores.iter().copied().fold(0.0f32, f32::max);
    let mut p: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
    p.push((0.0 - max).exp());
    let sum: f32 = p.iter().sum();
    p.iter_mut().for_each(|x| *x /= sum);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let p = softmax_with_none(&[2.0, 0.5, -1.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(p[0] > p[1] && p[1] > p[3] && p[3] > p[2]);
    }

    #[test]
    fn normalised_whole_words() {
        assert!(normalise("Sub-Total:").contains(" sub total "));
        assert_eq!(normalise("GST6% TOTAL1.36"), " gst 6 total 1 36 ");
        assert_eq!(shape("RE-2024/0042"), "X-0/0");
        assert_eq!(token("Total:").as_deref(), Some("total"));
        assert_eq!(token("12.50").as_deref(), Some("0000"));
    }

    #[test]
    fn phrases_also_match_read_as_one_word() {
        let spec: crate::extract::model::FieldSpec = serde_json::from_str(
            r#"{"label": "total", "type": "amount", "anchors": {"en": ["total"]}, "exclude": {"en": ["total qty"]}}"#,
        )
        .unwrap();
        let anchors = Anchors::new(&spec);
        assert_eq!(Anchors::hit(&anchors.exclude, "*Total Qty: 1.00"), 1.0);
        assert_eq!(Anchors::hit(&anchors.exclude, "*TotalQty:1.00"), 1.0);
        assert_eq!(Anchors::hit(&anchors.exclude, "Total: 9.00"), 0.0);
        // One-word anchors keep whole-word matching.
        assert_eq!(Anchors::hit(&anchors.anchors, "Subtotal 9.00"), 0.0);
        assert_eq!(Anchors::hit(&anchors.anchors, "TOTAL 9.00"), 1.0);
    }
}
