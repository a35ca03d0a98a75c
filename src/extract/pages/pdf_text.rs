//! A PDF page's text layer: every glyph hayro's interpreter draws, with its position.
//!
//! hayro interprets the page's content (text operators of every kind, form XObjects, the
//! page's rotation and crop box) and hands each run of glyphs to a [`Device`]; this device
//! keeps the glyphs' Unicode text and boxes and ignores paths and images. Invisible text
//! (render mode 3, the OCR layer of a scanned-and-recognised PDF) is kept as well.

use hayro::hayro_interpret::font::GlyphRun;
use hayro::hayro_interpret::hayro_cmap::BfString;
use hayro::hayro_interpret::{
    BlendMode, ClipPath, Device, DrawMode, DrawProps, Image, ImageDrawProps, SoftMask,
};
use hayro::kurbo::{Affine, BezPath, Point};

use super::words::Glyph;
use crate::extract::BBox;

/// Glyph outlines are in units of 1/1000 of the font size; a glyph's box spans the advance
/// horizontally and from the descender to the ascender of a typical Latin font vertically.
const DESCENT: f64 = -200.0;
const ASCENT: f64 = 800.0;
/// The advance assumed for a glyph whose font gives none (half an em).
const DEFAULT_ADVANCE: f64 = 500.0;

/// Collects the glyphs of one page, up to `max_glyphs` (a hostile page can draw millions).
pub(crate) struct TextCollector {
    pub glyphs: Vec<Glyph>,
    /// Glyphs drawn that map to no Unicode text (a font without a `ToUnicode` map): many of
    /// them mean the text layer is unreadable and the page should be OCRed.
    pub unmapped: usize,
    /// Whether more than `max_glyphs` glyphs were drawn.
    pub truncated: bool,
    max_glyphs: usize,
}

impl TextCollector {
    pub fn new(max_glyphs: usize) -> Self {
        TextCollector { glyphs: Vec::new(), unmapped: 0, truncated: false, max_glyphs }
    }

    fn push(&mut self, text: String, transform: Affine, advance: f64) {
        let origin = transform * Point::new(0.0, 0.0);
        let end = transform * Point::new(advance, 0.0);
        let top = transform * Point::new(0.0, 1000.0);
        let size = (top - origin).hypot() as f32;
        let corners = [
            transform * Point::new(0.0, DESCENT),
            transform * Point::new(advance, DESCENT),
            transform * Point::new(advance, ASCENT),
            transform * Point::new(0.0, ASCENT),
        ];
        let finite = corners.iter().all(|p| p.x.is_finite() && p.y.is_finite());
        if !finite || !(size > 0.0) || !size.is_finite() {
            return;
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for p in corners {
            x0 = x0.min(p.x);
            y0 = y0.min(p.y);
            x1 = x1.max(p.x);
            y1 = y1.max(p.y);
        }
        self.glyphs.push(Glyph {
            text,
            origin: (origin.x as f32, origin.y as f32),
            end: (end.x as f32, end.y as f32),
            size,
            bbox: BBox::new(x0 as f32, y0 as f32, x1 as f32, y1 as f32),
        });
    }
}

impl<'a> Device<'a> for TextCollector {
    fn draw_glyph_run(&mut self, run: &GlyphRun<'_, 'a>, props: DrawProps<'a>, _: &DrawMode) {
        for glyph in run.glyphs() {
            if self.glyphs.len() >= self.max_glyphs {
                self.truncated = true;
                return;
            }
            let text = match glyph.as_unicode() {
                Some(BfString::Char(c)) => c.to_string(),
                Some(BfString::String(s)) => s,
                None => {
                    self.unmapped += 1;
                    continue;
                }
            };
            // Control characters (a broken ToUnicode map) carry no text; drop them.
            let text: String = text.chars().filter(|c| !c.is_control()).collect();
            if text.is_empty() {
                self.unmapped += 1;
                continue;
            }
            let advance = match &**glyph {
                hayro::hayro_interpret::font::Glyph::Outline(g) => g.advance_width(),
                hayro::hayro_interpret::font::Glyph::Type3(g) => g.advance_width(),
            };
            let advance = advance.map(f64::from).filter(|a| a.is_finite() && *a > 0.0);
            self.push(text, props.transform * glyph.transform(), advance.unwrap_or(DEFAULT_ADVANCE));
        }
    }

    fn draw_path(&mut self, _: &BezPath, _: DrawProps<'a>, _: &DrawMode) {}
    fn push_clip_path(&mut self, _: &ClipPath) {}
    fn push_transparency_group(&mut self, _: f32, _: Option<SoftMask<'a>>, _: BlendMode) {}
    fn draw_image(&mut self, _: Image<'a, '_>, _: ImageDrawProps<'a>) {}
    fn pop_clip(&mut self) {}
    fn pop_transparency_group(&mut self) {}
}
