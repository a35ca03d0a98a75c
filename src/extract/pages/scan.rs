//! A scanned page (an image, or a PDF page without a text layer) read by OCR.
//!
//! The order of the steps: grey copy, deskew (raster and grey turned together, so that the
//! word boxes fit the raster kept for annotated pages), contrast stretch (grey only, for
//! Tesseract), the OCR engine ([`crate::extract::ocr`]), the engine's second pass and other
//! quarter turns when that reading is unclear ([`orient`]), then the boxes converted from
//! pixels to the page's units.

use std::sync::Arc;

use image::RgbImage;

use super::orient::{self, Turn};
use super::{contrast, deskew, ReadOptions};
use crate::extract::ocr::{self, PageImage, Pass, Reader};
use crate::extract::{BBox, Page, PageOrigin, Word};
use crate::Result;

/// One raster to read: its page number, its pixels, and how many pixels make one page unit
/// (1 for images, dpi/72 for PDF pages measured in points).
pub(crate) struct Scan {
    pub index: usize,
    pub raster: RgbImage,
    pub pixels_per_unit: f32,
    /// The scan's resolution when known (PDF pages are rasterised at a chosen dpi; images
    /// rarely say), so that the engine need not estimate it.
    pub ppi: Option<u32>,
    /// The page's size in its own units when it has one (a PDF page's points), so that
    /// rounding the raster to whole pixels does not change the page size.
    pub size: Option<(f32, f32)>,
}

/// OCRs the scans, one per task, on opinio's threads; pages come back in input order.
pub(crate) fn read_all(scans: Vec<Scan>, options: &ReadOptions) -> Result<Vec<Page>> {
    let reader = ocr::reader(options)?;
    let slots: Vec<std::sync::Mutex<Option<Scan>>> = scans.into_iter().map(|s| std::sync::Mutex::new(Some(s))).collect();
    crate::parallel::try_map_each(&slots, |slot| {
        let scan = slot.lock().ok().and_then(|mut s| s.take());
        let scan = scan.ok_or_else(|| crate::Error::new(crate::ErrorKind::Internal, "scan taken twice"))?;
        read(scan, options, &*reader)
    })
}

/// OCRs one scan.
pub(crate) fn read(scan: Scan, options: &ReadOptions, reader: &dyn Reader) -> Result<Page> {
    let Scan { index, raster, pixels_per_unit, ppi, size } = scan;
    let gray = image::imageops::grayscale(&raster);
    let (raster, mut gray) = if options.deskew {
        let (raster, gray, _) = deskew::straighten(raster, gray);
        (raster, gray)
    } else {
        (raster, gray)
    };
    contrast::stretch(&mut gray);
    let (raster, mut words, turn) = upright(raster, gray, ppi, reader)?;
    if pixels_per_unit != 1.0 {
        for word in &mut words {
            let b = word.bbox;
            let s = pixels_per_unit;
            word.bbox = BBox::new(b.x0 / s, b.y0 / s, b.x1 / s, b.y1 / s);
        }
    }
    let size = size.map(|(w, h)| if turn.swaps_sides() { (h, w) } else { (w, h) });
    let (width, height) =
        size.unwrap_or((raster.width() as f32 / pixels_per_unit, raster.height() as f32 / pixels_per_unit));
    Ok(Page {
        index,
        width,
        height,
        words,
        origin: PageOrigin::Ocr,
        raster: options.keep_rasters.then(|| Arc::new(raster)),
        raster_scale: pixels_per_unit,
    })
}

/// Reads the page as scanned and, when that reading is unclear, again with the engine's
/// second pass and then turned by quarter turns; when it runs vertically, turned by 90° and
/// 270° ([`orient`]). Returns the raster as read best, its words and the turn applied.
fn upright(
    raster: RgbImage,
    gray: image::GrayImage,
    ppi: Option<u32>,
    reader: &dyn Reader,
) -> Result<(RgbImage, Vec<Word>, Turn)> {
    let words = reader.read(&PageImage { rgb: &raster, gray: &gray, ppi }, Pass::First)?;
    let vertical = orient::runs_vertically(&words);
    if !vertical && orient::is_clear(&words) {
        return Ok((raster, words, Turn::None));
    }
    const UNCLEAR: [(Turn, Pass); 4] =
        [(Turn::None, Pass::Second), (Turn::Half, Pass::First), (Turn::Right, Pass::First), (Turn::Left, Pass::First)];
    const VERTICAL: [(Turn, Pass); 2] = [(Turn::Right, Pass::First), (Turn::Left, Pass::First)];
    // A vertical reading is kept only if no turn reads at all.
    let (tries, current): (&[(Turn, Pass)], f32) =
        if vertical { (&VERTICAL, 0.0) } else { (&UNCLEAR, orient::legibility(&words)) };
    let mut best: Option<(f32, Option<RgbImage>, Vec<Word>, Turn)> = None;
    for &(turn, pass) in tries {
        let (turned, words) = if turn == Turn::None {
            if !reader.has_second_pass() {
                continue;
            }
            (None, reader.read(&PageImage { rgb: &raster, gray: &gray, ppi }, pass)?)
        } else {
            let (turned, turned_gray) = turn.apply(&raster, &gray);
            let words = reader.read(&PageImage { rgb: &turned, gray: &turned_gray, ppi }, pass)?;
            (Some(turned), words)
        };
        let legibility = orient::legibility(&words);
        let to_beat = best.as_ref().map_or(current, |b| b.0);
        if orient::is_better(legibility, to_beat) && !orient::runs_vertically(&words) {
            let clear = orient::is_clear(&words);
            best = Some((legibility, turned, words, turn));
            if clear && !vertical {
                break;
            }
        }
    }
    Ok(match best {
        Some((_, turned, words, turn)) => (turned.unwrap_or(raster), words, turn),
        None => (raster, words, Turn::None),
    })
}
