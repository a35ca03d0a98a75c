//! The one page/word model every page source produces and the field stage reads.
//!
//! Coordinates are in the page's own units (pixels for images, points for PDFs), origin
//! top-left, y growing downwards, so that normalising to `[0, 1]` is one division by
//! [`Page::width`] / [`Page::height`] whatever the source was.

use std::sync::Arc;

/// An axis-aligned box, `x0 <= x1`, `y0 <= y1`, in page units, origin top-left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BBox {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl BBox {
    /// A box from two corners given in any order.
    pub fn new(xa: f32, ya: f32, xb: f32, yb: f32) -> Self {
        BBox { x0: xa.min(xb), y0: ya.min(yb), x1: xa.max(xb), y1: ya.max(yb) }
    }

    pub fn width(&self) -> f32 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> f32 {
        self.y1 - self.y0
    }

    /// The smallest box holding both.
    pub fn union(&self, other: &BBox) -> BBox {
        BBox {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }
}

/// One word as read: its text, where it is, and how sure the reader was (`[0, 1]`; 1 for a
/// PDF's text layer).
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub text: String,
    pub bbox: BBox,
    pub confidence: f32,
}

/// How a page's words were obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageOrigin {
    /// A born-digital PDF's text layer.
    TextLayer,
    /// Tesseract on a raster (an image, or a PDF page without text).
    Ocr,
    /// Words read by another OCR engine (`NAME.words.json`).
    Words,
}

/// One page: its size, its words in reading order, and its pixels when there are any (used
/// to draw annotated pages).
#[derive(Clone, Debug)]
pub struct Page {
    /// 0-based page number within its document.
    pub index: usize,
    pub width: f32,
    pub height: f32,
    pub words: Vec<Word>,
    pub origin: PageOrigin,
    /// The page as pixels, at `raster_scale` pixels per page unit; `None` for words-only input.
    pub raster: Option<Arc<image::RgbImage>>,
    pub raster_scale: f32,
}
