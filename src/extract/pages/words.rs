//! From positioned glyphs to words in reading order.
//!
//! A PDF's text layer has no words, only glyphs drawn at positions (often with the spaces
//! left out and the gaps made by moving the pen). A word ends at a space character, where
//! the pen jumps forward by more than a fraction of the font size, where it moves
//! backwards, or where the baseline changes. Words are then put in reading order: lines
//! top to bottom, words left to right within a line.

use crate::extract::{BBox, Word};

/// A gap wider than this share of the font size (about 60% of a normal space) starts a new
/// word; letter-spaced or justified text stays well below it.
const GAP_SHARE: f32 = 0.15;
/// A pen moving back by more than this share of the font size starts a new word (the next
/// glyph is elsewhere: a new column, a new line, an overprint).
const BACK_SHARE: f32 = 0.3;
/// A baseline moving by more than this share of the font size starts a new word
/// (superscripts stay attached up to here).
const BASELINE_SHARE: f32 = 0.35;

/// One glyph of a text layer, in page units with the origin top-left.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Glyph {
    /// The Unicode text the glyph stands for (usually one character, sometimes a ligature).
    pub text: String,
    /// Where the pen was when the glyph was drawn (on the baseline).
    pub origin: (f32, f32),
    /// Where the pen goes after the glyph (origin plus the advance).
    pub end: (f32, f32),
    /// The font size on the page (the length of the glyph's em square), > 0.
    pub size: f32,
    /// The glyph's box: advance by ascent-to-descent.
    pub bbox: BBox,
}

/// Groups glyphs drawn in content order into words, then sorts the words into reading order.
pub(crate) fn group(glyphs: &[Glyph]) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Option<(Word, &Glyph)> = None;
    for glyph in glyphs {
        if glyph.text.chars().all(char::is_whitespace) {
            words.extend(current.take().map(|(word, _)| word));
            continue;
        }
        match current.as_mut() {
            Some((word, last)) if continues(last, glyph) => {
                word.text.push_str(&glyph.text);
                word.bbox = word.bbox.union(&glyph.bbox);
                *last = glyph;
            }
            _ => {
                words.extend(current.take().map(|(word, _)| word));
                let word = Word { text: glyph.text.clone(), bbox: glyph.bbox, confidence: 1.0 };
                current = Some((word, glyph));
            }
        }
    }
    words.extend(current.map(|(word, _)| word));
    reading_order(&mut words);
    words
}

/// Whether `next` belongs to the same word as `last`, judged along `last`'s writing
/// direction so that rotated text groups as well as upright text.
fn continues(last: &Glyph, next: &Glyph) -> bool {
    let (dx, dy) = (last.end.0 - last.origin.0, last.end.1 - last.origin.1);
    let advance = (dx * dx + dy * dy).sqrt();
    let size = last.size.max(next.size);
    if !(size > 0.0) {
        return false;
    }
    // The writing direction; a zero-width glyph (a combining mark) keeps the default.
    let (ux, uy) = if advance > 1e-6 { (dx / advance, dy / advance) } else { (1.0, 0.0) };
    let (gx, gy) = (next.origin.0 - last.end.0, next.origin.1 - last.end.1);
    let along = gx * ux + gy * uy;
    let across = -gx * uy + gy * ux;
    along <= GAP_SHARE * size && along >= -BACK_SHARE * size && across.abs() <= BASELINE_SHARE * size
}

/// Sorts words into lines (top to bottom) and each line left to right. Two words are on one
/// line when their vertical extents overlap by more than half of the smaller one.
pub(crate) fn reading_order(words: &mut Vec<Word>) {
    words.sort_by(|a, b| centre_y(a).total_cmp(&centre_y(b)));
    let mut lines: Vec<(BBox, Vec<Word>)> = Vec::new();
    for word in words.drain(..) {
        match lines.last_mut() {
            Some((band, line)) if same_line(band, &word.bbox) => {
                *band = band.union(&word.bbox);
                line.push(word);
            }
            _ => lines.push((word.bbox, vec![word])),
        }
    }
    for (_, mut line) in lines {
        line.sort_by(|a, b| a.bbox.x0.total_cmp(&b.bbox.x0));
        words.extend(line);
    }
}

fn centre_y(word: &Word) -> f32 {
    (word.bbox.y0 + word.bbox.y1) / 2.0
}

fn same_line(band: &BBox, bbox: &BBox) -> bool {
    let overlap = band.y1.min(bbox.y1) - band.y0.max(bbox.y0);
    overlap > 0.5 * bbox.height().min(band.height())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Glyphs of `text` set from `x` on a baseline at `y`, `size` points, every glyph `size/2`
    /// wide, spaces drawn as glyphs.
    fn run(text: &str, x: f32, y: f32, size: f32) -> Vec<Glyph> {
        let w = size / 2.0;
        text.chars()
            .enumerate()
            .map(|(i, c)| {
                let x0 = x + i as f32 * w;
                Glyph {
                    text: c.to_string(),
                    origin: (x0, y),
                    end: (x0 + w, y),
                    size,
                    bbox: BBox::new(x0, y - 0.8 * size, x0 + w, y + 0.2 * size),
                }
            })
            .collect()
    }

    fn texts(words: &[Word]) -> Vec<&str> {
        words.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn spaces_split_words_and_boxes_cover_glyphs() {
        let words = group(&run("Total due", 100.0, 50.0, 10.0));
        assert_eq!(texts(&words), ["Total", "due"]);
        assert_eq!(words[0].bbox, BBox::new(100.0, 42.0, 125.0, 52.0));
        assert_eq!(words[1].bbox.x0, 130.0);
    }

    #[test]
    fn pen_gaps_split_words_without_spaces() {
        let mut glyphs = run("Invoice", 10.0, 20.0, 10.0);
        glyphs.extend(run("2024", 10.0 + 35.0 + 3.0, 20.0, 10.0));
        assert_eq!(texts(&group(&glyphs)), ["Invoice", "2024"]);
        // A gap below the threshold (kerning, letter spacing) keeps one word.
        let mut glyphs = run("Inv", 10.0, 20.0, 10.0);
        glyphs.extend(run("oice", 10.0 + 15.0 + 1.0, 20.0, 10.0));
        assert_eq!(texts(&group(&glyphs)), ["Invoice"]);
    }

    #[test]
    fn lines_come_top_to_bottom_and_left_to_right_whatever_the_drawing_order() {
        let mut glyphs = run("second", 10.0, 80.0, 10.0);
        glyphs.extend(run("right", 200.0, 40.0, 10.0));
        glyphs.extend(run("left", 10.0, 41.0, 10.0));
        assert_eq!(texts(&group(&glyphs)), ["left", "right", "second"]);
    }

    #[test]
    fn a_baseline_jump_splits_and_vertical_text_groups() {
        let mut glyphs = run("ab", 10.0, 20.0, 10.0);
        glyphs.extend(run("cd", 20.0, 30.0, 10.0));
        assert_eq!(group(&glyphs).len(), 2);
        // Text running downwards (a page rotated by 90 degrees) still forms one word.
        let down: Vec<Glyph> = (0..3)
            .map(|i| {
                let y = 10.0 + i as f32 * 5.0;
                Glyph {
                    text: "x".into(),
                    origin: (50.0, y),
                    end: (50.0, y + 5.0),
                    size: 10.0,
                    bbox: BBox::new(42.0, y, 52.0, y + 5.0),
                }
            })
            .collect();
        assert_eq!(texts(&group(&down)), ["xxx"]);
    }

    #[test]
    fn zero_size_glyphs_never_join() {
        let mut glyphs = run("ab", 10.0, 20.0, 10.0);
        for g in &mut glyphs {
            g.size = 0.0;
        }
        assert_eq!(group(&glyphs).len(), 2);
    }
}
