//! Annotated pages: a page with its found fields boxed and labelled, as PNG bytes.
//!
//! PLACEHOLDER for the merge: the page-source branch (wip-pages) owns the real
//! `draw.rs` (drawing on the page's raster, with labels); the lead takes that version at
//! merge. This one keeps the same signature so the field stage can call it: it draws the
//! boxes on the page's raster when there is one, else on a white page the page's size.

use crate::extract::{BBox, Page};
use crate::{Error, ErrorKind, Result};

/// One thing to draw: a box in page units and its label.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub bbox: BBox,
    pub label: String,
}

/// Largest side of a drawn page, in pixels (words.json pages may declare huge sizes).
const MAX_SIDE: u32 = 4_000;

/// The page as PNG bytes with every mark's box drawn.
pub fn annotate(page: &Page, marks: &[Mark]) -> Result<Vec<u8>> {
    let (mut img, scale) = match &page.raster {
        Some(r) => ((**r).clone(), page.raster_scale),
        None => {
            let scale = (MAX_SIDE as f32 / page.width.max(page.height)).min(1.0);
            let w = ((page.width * scale).round() as u32).clamp(1, MAX_SIDE);
            let h = ((page.height * scale).round() as u32).clamp(1, MAX_SIDE);
            (image::RgbImage::from_pixel(w, h, image::Rgb([255, 255, 255])), scale)
        }
    };
    let (w, h) = img.dimensions();
    let red = image::Rgb([220, 30, 30]);
    for m in marks {
        let px = |v: f32, max: u32| ((v * scale).round().max(0.0) as u32).min(max.saturating_sub(1));
        let (x0, y0, x1, y1) = (px(m.bbox.x0, w), px(m.bbox.y0, h), px(m.bbox.x1, w), px(m.bbox.y1, h));
        for x in x0..=x1 {
            img.put_pixel(x, y0, red);
            img.put_pixel(x, y1, red);
        }
        for y in y0..=y1 {
            img.put_pixel(x0, y, red);
            img.put_pixel(x1, y, red);
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("png encoding failed: {e}")))?;
    Ok(out.into_inner())
}
