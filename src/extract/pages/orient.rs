//! Pages scanned sideways or upside down.
//!
//! The reading itself says whether a page was upright. Upside down, Tesseract reads a handful
//! of unsure fragments; on its side, Tesseract's layout analysis finds the vertical lines
//! and reads them well, but every word box is then taller than wide and lines run down the
//! page, which breaks the layout features of extraction. So when too few letters are read
//! with confidence, the page is read again turned by 180°, 90° and 270°, and when the words
//! run vertically, turned by 90° and 270°; the clearest reading wins. Upright pages, the vast
//! majority, pay nothing; this needs no orientation model (Tesseract's OSD data is a
//! separate package that is often missing).

use image::{imageops, GrayImage, RgbImage};

use crate::extract::Word;

/// A quarter turn applied to the scan before reading it, clockwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Turn {
    /// As scanned.
    None,
    /// 90° clockwise (the scan was lying on its left side).
    Right,
    /// 180°.
    Half,
    /// 270° clockwise (the scan was lying on its right side).
    Left,
}

impl Turn {
    /// Whether width and height swap.
    pub fn swaps_sides(self) -> bool {
        matches!(self, Turn::Right | Turn::Left)
    }

    /// The raster and its grey copy turned.
    pub fn apply(self, raster: &RgbImage, gray: &GrayImage) -> (RgbImage, GrayImage) {
        match self {
            Turn::None => (raster.clone(), gray.clone()),
            Turn::Right => (imageops::rotate90(raster), imageops::rotate90(gray)),
            Turn::Half => (imageops::rotate180(raster), imageops::rotate180(gray)),
            Turn::Left => (imageops::rotate270(raster), imageops::rotate270(gray)),
        }
    }
}

/// A word counts as read when Tesseract is at least this sure of it.
const SURE: f32 = 0.6;
/// Below this share of surely read letters a reading is unclear and other turns are tried.
const CLEAR_SHARE: f32 = 0.6;
/// Fewer surely read letters than this is unclear too (a turned page often yields a few
/// confident blobs and nothing else).
const CLEAR_LETTERS: f32 = 12.0;
/// Another turn replaces the upright reading only when it reads this many times more.
const BETTER_BY: f32 = 1.5;

/// How much of a reading is legible: the letters and digits of surely read words, each
/// weighted by its confidence.
pub(crate) fn legibility(words: &[Word]) -> f32 {
    words.iter().filter(|w| w.confidence >= SURE).map(|w| w.confidence * letters(w)).sum()
}

/// Whether a reading is clear enough to keep without trying other turns.
pub(crate) fn is_clear(words: &[Word]) -> bool {
    let all: f32 = words.iter().map(letters).sum();
    let sure = legibility(words);
    sure >= CLEAR_LETTERS && sure >= CLEAR_SHARE * all
}

/// Whether the surely read words run down the page: most words of three letters or more are
/// taller than wide.
pub(crate) fn runs_vertically(words: &[Word]) -> bool {
    let long: Vec<&Word> = words.iter().filter(|w| w.confidence >= SURE && letters(w) >= 3.0).collect();
    let tall = long.iter().filter(|w| w.bbox.height() > w.bbox.width()).count();
    long.len() >= 3 && 2 * tall > long.len()
}

/// Whether a reading with `candidate` legibility should replace one with `current`.
pub(crate) fn is_better(candidate: f32, current: f32) -> bool {
    candidate > BETTER_BY * current.max(1.0)
}

fn letters(word: &Word) -> f32 {
    word.text.chars().filter(|c| c.is_alphanumeric()).count() as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::BBox;

    fn word(text: &str, confidence: f32) -> Word {
        Word { text: text.into(), bbox: BBox::new(0.0, 0.0, 1.0, 1.0), confidence }
    }

    #[test]
    fn confident_text_is_clear_and_fragments_are_not() {
        let upright = vec![word("Invoice", 0.95), word("Total", 0.93), word("1,234.56", 0.9), word("~", 0.2)];
        assert!(is_clear(&upright));
        let turned = vec![word("ʇ", 0.3), word("uoʞ", 0.4), word("II", 0.7), word("l1", 0.5), word(".-", 0.45)];
        assert!(!is_clear(&turned));
        assert!(!is_clear(&[]));
        assert!(is_better(legibility(&upright), legibility(&turned)));
        assert!(!is_better(legibility(&turned), legibility(&upright)));
        assert!(!runs_vertically(&upright));
        let tall = |t: &str| Word { text: t.into(), bbox: BBox::new(0.0, 0.0, 10.0, 60.0), confidence: 0.9 };
        assert!(runs_vertically(&[tall("Invoice"), tall("Total"), tall("Date"), word("x", 0.9)]));
    }

    #[test]
    fn turns_swap_sides_and_undo_each_other() {
        let raster = RgbImage::from_fn(3, 2, |x, y| image::Rgb([x as u8, y as u8, 0]));
        let gray = imageops::grayscale(&raster);
        let (r, g) = Turn::Right.apply(&raster, &gray);
        assert_eq!((r.dimensions(), g.dimensions()), ((2, 3), (2, 3)));
        assert!(Turn::Right.swaps_sides() && !Turn::Half.swaps_sides());
        let (back, _) = Turn::Left.apply(&r, &g);
        assert_eq!(back, raster);
    }
}
