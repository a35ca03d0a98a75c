//! Lines from words: the unit the field stage reasons about ("on the same line as the
//! anchor", "the line below", "three address lines").
//!
//! OCR engines give words in no reliable order, so lines are rebuilt from geometry: words
//! whose vertical extents overlap enough form a row, and a row is cut where the horizontal
//! gap is much wider than the text height (two columns side by side are two lines on one
//! row, sharing a `row` number).

use crate::extract::{BBox, Page};

/// One line: indices of its words in the page, left to right, with their joined text.
#[derive(Clone, Debug)]
pub struct Line {
    pub words: Vec<usize>,
    pub bbox: BBox,
    pub text: String,
    /// Byte range in `text` of each word (same order as `words`).
    pub spans: Vec<(usize, usize)>,
    /// Lines on one row share this number; rows count from the top.
    pub row: usize,
}

impl Line {
    /// The words whose text overlaps the byte range `start..end` of [`Line::text`].
    pub fn words_in(&self, start: usize, end: usize) -> Vec<usize> {
        self.words
            .iter()
            .zip(&self.spans)
            .filter_map(|(&w, &(s, e))| (s < end && e > start).then_some(w))
            .collect()
    }
}

/// Gap (in text heights) beyond which two words on one row belong to different lines.
const COLUMN_GAP: f32 = 3.0;

/// The page's lines, top to bottom, then left to right within a row.
pub fn lines(page: &Page) -> Vec<Line> {
    let words = &page.words;
    let mut order: Vec<usize> = (0..words.len()).collect();
    let center = |i: usize| (words[i].bbox.y0 + words[i].bbox.y1) / 2.0;
    order.sort_by(|&a, &b| center(a).total_cmp(&center(b)));
    // Rows: a word joins the current row when its centre lies within the row's vertical band.
    let mut rows: Vec<(BBox, Vec<usize>)> = Vec::new();
    for i in order {
        let b = words[i].bbox;
        match rows.last_mut() {
            Some((band, members))
                if {
                    let c = center(i);
                    let h = band.height().min(b.height()).max(1.0);
                    c > band.y0 - 0.1 * h
                        && c < band.y1 + 0.1 * h
                        && (center(members[0]) - c).abs() < 0.6 * h.max(band.height())
                } =>
            {
                *band = band.union(&b);
                members.push(i);
            }
            _ => rows.push((b, vec![i])),
        }
    }
    let mut out = Vec::new();
    for (row, (_, mut members)) in rows.into_iter().enumerate() {
        members.sort_by(|&a, &b| words[a].bbox.x0.total_cmp(&words[b].bbox.x0));
        let mut current: Vec<usize> = Vec::new();
        for w in members {
            if let Some(&last) = current.last() {
                let h = words[last].bbox.height().max(words[w].bbox.height()).max(1.0);
                if words[w].bbox.x0 - words[last].bbox.x1 > COLUMN_GAP * h {
                    out.push(build(page, std::mem::take(&mut current), row));
                }
            }
            current.push(w);
        }
        if !current.is_empty() {
            out.push(build(page, current, row));
        }
    }
    out
}

fn build(page: &Page, words: Vec<usize>, row: usize) -> Line {
    let mut text = String::new();
    let mut spans = Vec::with_capacity(words.len());
    let mut bbox = page.words[words[0]].bbox;
    for &w in &words {
        if !text.is_empty() {
            text.push(' ');
        }
        let start = text.len();
        text.push_str(&page.words[w].text);
        spans.push((start, text.len()));
        bbox = bbox.union(&page.words[w].bbox);
    }
    Line { words, bbox, text, spans, row }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{PageOrigin, Word};

    fn page(words: &[(&str, [f32; 4])]) -> Page {
        Page {
            index: 0,
            width: 1000.0,
            height: 1000.0,
            words: words
                .iter()
                .map(|(t, b)| Word {
                    text: t.to_string(),
                    bbox: BBox::new(b[0], b[1], b[2], b[3]),
                    confidence: 1.0,
                })
                .collect(),
            origin: PageOrigin::Words,
            raster: None,
            raster_scale: 1.0,
        }
    }

    #[test]
    fn rows_and_columns() {
        let p = page(&[
            ("9.00", [300.0, 102.0, 340.0, 118.0]),
            ("Total", [10.0, 100.0, 60.0, 120.0]),
            ("Invoice", [10.0, 10.0, 80.0, 30.0]),
            ("Date:", [700.0, 12.0, 750.0, 30.0]),
            ("due", [65.0, 101.0, 90.0, 119.0]),
        ]);
        let lines = lines(&p);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Invoice", "Date:", "Total due", "9.00"]);
        assert_eq!(lines[0].row, lines[1].row);
        assert_eq!(lines[2].words_in(6, 9), vec![4]);
    }
}
