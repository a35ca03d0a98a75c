//! Annotated pages: a page's image with the found fields boxed and labelled, as PNG.
//!
//! A person checking an extraction (the human in the loop) needs to see where each value was
//! read. The page's own raster is used when there is one (scans, rendered PDF pages);
//! words-only pages (a born-digital PDF read from its text layer, `*.words.json`) get a white
//! page of their size with each word's box drawn faintly, so the layout stays recognisable.
//!
//! Labels are drawn in the 8x8 bitmap font of the `font8x8` crate (public-domain glyphs,
//! MIT-licensed crate): no font file to ship or find, crisp at any scale that is a whole
//! number, and Latin-1 is enough for field labels (other characters show as `?`).

use font8x8::UnicodeFonts;
use image::{ImageEncoder, Rgb, RgbImage};
use imageproc::drawing::{draw_filled_rect_mut, draw_hollow_rect_mut};
use imageproc::rect::Rect;

use crate::extract::{BBox, Page};
use crate::{Error, ErrorKind, Result};

/// One found field to draw: its box in page units and its label.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub bbox: BBox,
    pub label: String,
}

/// Words-only pages are drawn at least this many pixels on their longer side (a page in
/// points would otherwise be a 595-pixel thumbnail).
const MIN_BLANK_SIDE: f32 = 1200.0;
/// Nor more than this (a words.json page in pixels of a 600-dpi scan).
const MAX_BLANK_SIDE: f32 = 4000.0;
const MARK: Rgb<u8> = Rgb([220, 30, 30]);
const WORD: Rgb<u8> = Rgb([200, 200, 215]);
const LABEL_TEXT: Rgb<u8> = Rgb([255, 255, 255]);

/// The page as PNG bytes with every mark boxed and labelled.
pub fn annotate(page: &Page, marks: &[Mark]) -> Result<Vec<u8>> {
    let (mut canvas, scale) = canvas(page)?;
    // Boxes thick enough to see on a 300-dpi scan, labels big enough to read.
    let thickness = (canvas.width().max(canvas.height()) / 800).clamp(1, 6) as i32;
    let glyph_scale = (canvas.width().max(canvas.height()) / 1000).clamp(1, 4);
    for mark in marks {
        let Some(rect) = pixel_rect(&mark.bbox, scale, &canvas) else { continue };
        for t in 0..thickness {
            let grown = Rect::at(rect.left() - t, rect.top() - t).of_size(rect.width() + 2 * t as u32, rect.height() + 2 * t as u32);
            draw_hollow_rect_mut(&mut canvas, grown, MARK);
        }
        draw_label(&mut canvas, &mark.label, rect.left() - thickness + 1, rect.top() - thickness, glyph_scale);
    }
    encode_png(&canvas)
}

/// The picture to draw on and its pixels per page unit.
fn canvas(page: &Page) -> Result<(RgbImage, f32)> {
    if !(page.width > 0.0 && page.height > 0.0 && page.width.is_finite() && page.height.is_finite()) {
        return Err(Error::invalid_argument(format!(
            "page {} has no size ({}x{}); cannot draw it",
            page.index + 1,
            page.width,
            page.height
        )));
    }
    if let Some(raster) = &page.raster {
        let scale = if page.raster_scale > 0.0 { page.raster_scale } else { raster.width() as f32 / page.width };
        return Ok(((**raster).clone(), scale));
    }
    let longer = page.width.max(page.height);
    let scale = (MIN_BLANK_SIDE / longer).max(1.0).min(MAX_BLANK_SIDE / longer);
    let (w, h) = ((page.width * scale).round().max(1.0) as u32, (page.height * scale).round().max(1.0) as u32);
    let mut blank = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
    for word in &page.words {
        if let Some(rect) = pixel_rect(&word.bbox, scale, &blank) {
            draw_hollow_rect_mut(&mut blank, rect, WORD);
        }
    }
    Ok((blank, scale))
}

/// The box in pixels, clipped to the canvas; `None` when it lies outside or is not finite.
fn pixel_rect(bbox: &BBox, scale: f32, canvas: &RgbImage) -> Option<Rect> {
    let (w, h) = (canvas.width() as f32, canvas.height() as f32);
    let x0 = (bbox.x0 * scale).floor().clamp(0.0, w - 1.0);
    let y0 = (bbox.y0 * scale).floor().clamp(0.0, h - 1.0);
    let x1 = (bbox.x1 * scale).ceil().clamp(0.0, w - 1.0);
    let y1 = (bbox.y1 * scale).ceil().clamp(0.0, h - 1.0);
    if !(x0.is_finite() && y0.is_finite() && x1.is_finite() && y1.is_finite()) || x1 < x0 || y1 < y0 {
        return None;
    }
    Some(Rect::at(x0 as i32, y0 as i32).of_size((x1 - x0) as u32 + 1, (y1 - y0) as u32 + 1))
}

/// The label in white on a tab of the mark's colour, above the box (below its top edge when
/// the box touches the top of the page).
fn draw_label(canvas: &mut RgbImage, label: &str, x: i32, top: i32, scale: u32) {
    let cell = 8 * scale as i32;
    let chars: Vec<char> = label.chars().take(60).collect();
    if chars.is_empty() {
        return;
    }
    let (tab_w, tab_h) = (chars.len() as i32 * cell + 4, cell + 4);
    let y = if top - tab_h >= 0 { top - tab_h } else { top.max(0) };
    let x = x.clamp(0, (canvas.width() as i32 - tab_w).max(0));
    draw_filled_rect_mut(canvas, Rect::at(x, y).of_size(tab_w as u32, tab_h as u32), MARK);
    for (i, c) in chars.iter().enumerate() {
        let glyph = font8x8::BASIC_FONTS
            .get(*c)
            .or_else(|| font8x8::LATIN_FONTS.get(*c))
            .or_else(|| font8x8::BASIC_FONTS.get('?'))
            .unwrap_or([0; 8]);
        let gx = x + 2 + i as i32 * cell;
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8 {
                if bits >> col & 1 == 1 {
                    let px = gx + col * scale as i32;
                    let py = y + 2 + row as i32 * scale as i32;
                    draw_filled_rect_mut(canvas, Rect::at(px, py).of_size(scale, scale), LABEL_TEXT);
                }
            }
        }
    }
}

fn encode_png(image: &RgbImage) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgb8)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("png encoding failed: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{PageOrigin, Word};
    use std::sync::Arc;

    fn words_page(width: f32, height: f32) -> Page {
        let word = Word { text: "Total".into(), bbox: BBox::new(50.0, 60.0, 90.0, 72.0), confidence: 1.0 };
        Page { index: 0, width, height, words: vec![word], origin: PageOrigin::TextLayer, raster: None, raster_scale: 1.0 }
    }

    fn decode(png: &[u8]) -> RgbImage {
        image::load_from_memory_with_format(png, image::ImageFormat::Png).unwrap().to_rgb8()
    }

    #[test]
    fn a_raster_page_keeps_its_size_and_gets_a_box_in_the_mark_colour() {
        let mut page = words_page(100.0, 50.0);
        page.raster = Some(Arc::new(RgbImage::from_pixel(400, 200, Rgb([255, 255, 255]))));
        page.raster_scale = 4.0;
        let marks = [Mark { bbox: BBox::new(20.0, 20.0, 40.0, 30.0), label: "total".into() }];
        let img = decode(&annotate(&page, &marks).unwrap());
        assert_eq!(img.dimensions(), (400, 200));
        assert_eq!(*img.get_pixel(80, 100), MARK, "left edge of the box, scaled by 4");
        assert_eq!(*img.get_pixel(120, 100), Rgb([255, 255, 255]), "inside stays clear");
        assert!(img.pixels().any(|p| *p == LABEL_TEXT) && img.pixels().filter(|p| **p == MARK).count() > 100);
    }

    #[test]
    fn a_words_only_page_is_a_white_page_with_faint_word_boxes() {
        let page = words_page(600.0, 800.0);
        let img = decode(&annotate(&page, &[]).unwrap());
        assert_eq!(img.dimensions(), (900, 1200));
        assert_eq!(*img.get_pixel(75, 100), WORD);
        assert_eq!(*img.get_pixel(10, 10), Rgb([255, 255, 255]));
    }

    #[test]
    fn marks_off_the_page_and_odd_labels_do_not_panic() {
        let page = words_page(100.0, 100.0);
        let marks = [
            Mark { bbox: BBox::new(-50.0, -50.0, 1e9, 1e9), label: "ÿ€ 名前 a very long label that runs past the page edge".into() },
            Mark { bbox: BBox { x0: f32::NAN, y0: 0.0, x1: 1.0, y1: 1.0 }, label: String::new() },
            Mark { bbox: BBox::new(0.0, 0.0, 0.0, 0.0), label: "x".into() },
        ];
        assert!(annotate(&page, &marks).is_ok());
        let err = annotate(&words_page(0.0, 10.0), &marks).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }
}
