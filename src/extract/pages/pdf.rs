//! PDF pages: the text layer where there is one, OCR of the rendered page where there is not.
//!
//! hayro (pure Rust) parses the file, interprets each page's content for its glyphs
//! ([`super::pdf_text`]) and renders pages that carry no usable text at the OCR resolution.
//! Page units are PDF points with the origin at the top-left of the page as displayed: the
//! page's rotation and crop box are applied, as a viewer would.
//!
//! hayro is young and malformed files are its daily bread, so the whole document is read
//! under `catch_unwind`: a panic inside it becomes a [`ErrorKind::Malformed`] error, never a
//! crash of the host.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use hayro::hayro_interpret::hayro_syntax::page::Page as PdfPage;
use hayro::hayro_interpret::hayro_syntax::{DecryptionError, LoadPdfError, Pdf};
use hayro::hayro_interpret::util::TransformExt;
use hayro::hayro_interpret::{interpret_page, Context, InterpreterCache, InterpreterSettings};
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings};
use image::RgbImage;

use super::pdf_text::TextCollector;
use super::scan::{self, Scan};
use super::{words, ReadOptions};
use crate::extract::{Page, PageOrigin};
use crate::{Error, ErrorKind, Result};

/// hayro's pixmaps are at most this many pixels a side.
const MAX_RENDER_SIDE: f32 = 65535.0;

/// Reads every page of a PDF held in memory.
pub(crate) fn read(bytes: &[u8], options: &ReadOptions) -> Result<Vec<Page>> {
    let data = Arc::new(bytes.to_vec());
    let pdf = Pdf::new(data).map_err(load_error)?;
    let count = pdf.pages().len();
    if count == 0 {
        return Err(Error::malformed("pdf has no pages"));
    }
    crate::limits::at_most("max_pages", "pdf page count", count, options.limits.max_pages)?;
    catch_unwind(AssertUnwindSafe(|| super::pdf_streams::check(&pdf, &options.limits)))
        .unwrap_or_else(|_| Err(Error::malformed("pdf streams could not be read; the file is probably damaged")))?;
    // Text layers and renders on this thread, one page after another (hayro's caches are per
    // thread); the OCR, which is where the time goes, on all threads, a few pages at a time,
    // so that no more than a handful of page renders are ever held at once.
    let batch = 2 * crate::parallel::current_threads();
    let mut pages: Vec<Option<Page>> = Vec::with_capacity(count);
    let mut scans = Vec::new();
    for index in 0..count {
        let outcome = catch_unwind(AssertUnwindSafe(|| read_page(&pdf, index, options)))
            .map_err(|panic| panicked(index, panic))??;
        match outcome {
            PageRead::Text(page) => pages.push(Some(page)),
            PageRead::Scan(s) => {
                pages.push(None);
                scans.push(s);
            }
        }
        if scans.len() >= batch || (index + 1 == count && !scans.is_empty()) {
            for page in scan::read_all(std::mem::take(&mut scans), options)? {
                let slot = page.index;
                pages[slot] = Some(page);
            }
        }
    }
    pages
        .into_iter()
        .map(|p| p.ok_or_else(|| Error::new(ErrorKind::Internal, "a scanned pdf page went missing")))
        .collect()
}

enum PageRead {
    Text(Page),
    Scan(Scan),
}

fn read_page(pdf: &Pdf, index: usize, options: &ReadOptions) -> Result<PageRead> {
    let page = pdf.pages().get(index).ok_or_else(|| Error::new(ErrorKind::Internal, format!("pdf page {} vanished", index + 1)))?;
    let crop = page.intersected_crop_box();
    let (cw, ch) = (crop.x1 - crop.x0, crop.y1 - crop.y0);
    if !(cw >= 1.0 && ch >= 1.0) {
        return Err(Error::malformed(format!(
            "pdf page {} has zero size ({cw:.1}x{ch:.1} points); its mediabox or cropbox is empty",
            index + 1
        )));
    }
    let (width, height) = page.render_dimensions();
    let max_glyphs = options.limits.max_pdf_glyphs_per_page;
    let collector = text_layer(page, max_glyphs);
    if collector.truncated {
        let what = format!("glyph count of pdf page {}", index + 1);
        return Err(crate::limits::exceeded("max_pdf_glyphs_per_page", &what, format!("over {max_glyphs}"), max_glyphs));
    }
    let words = words::group(&collector.glyphs);
    let readable = !words.is_empty() && collector.unmapped <= collector.glyphs.len();
    if readable {
        let raster = match options.text_page_dpi {
            Some(dpi) => Some(Arc::new(render(page, dpi, options)?.0)),
            None => None,
        };
        let raster_scale = match &raster {
            Some(r) => r.width() as f32 / width,
            None => 1.0,
        };
        return Ok(PageRead::Text(Page { index, width, height, words, origin: PageOrigin::TextLayer, raster, raster_scale }));
    }
    let (raster, scale) = render(page, options.ocr_dpi, options)?;
    let ppi = (scale * 72.0).round() as u32;
    let size = Some(page.render_dimensions());
    Ok(PageRead::Scan(Scan { index, raster, pixels_per_unit: scale, ppi: Some(ppi), size }))
}

/// The page's glyphs in points, origin top-left of the displayed (rotated, cropped) page.
fn text_layer(page: &PdfPage<'_>, max_glyphs: usize) -> TextCollector {
    let cache = InterpreterCache::new();
    let transform = page.initial_transform(true).to_kurbo();
    let (w, h) = page.render_dimensions();
    let bbox = hayro::kurbo::Rect::new(0.0, 0.0, f64::from(w), f64::from(h));
    let mut context = Context::new(transform, bbox, &cache, page.xref(), InterpreterSettings::default());
    let mut collector = TextCollector::new(max_glyphs);
    interpret_page(page, &mut context, &mut collector);
    collector
}

/// Renders the page on white at `dpi`, lowered when the page would exceed the pixel limit;
/// returns the raster and its pixels per point.
fn render(page: &PdfPage<'_>, dpi: f32, options: &ReadOptions) -> Result<(RgbImage, f32)> {
    let (w, h) = page.render_dimensions();
    let max_pixels = options.limits.max_page_pixels as f32;
    let scale = (dpi / 72.0).min((max_pixels / (w * h)).sqrt()).min(MAX_RENDER_SIDE / w.max(h));
    if !(scale > 0.0) || !scale.is_finite() {
        return Err(Error::invalid_argument(format!("cannot render a {w}x{h}-point page at {dpi} dpi")));
    }
    let settings = PixmapSettings { x_scale: scale, y_scale: scale, bg_color: WHITE };
    let cache = RenderCache::new();
    let pixmap = hayro::render(page, &cache, &InterpreterSettings::default(), &RenderSettings::default(), &settings);
    let (pw, ph) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    if pw == 0 || ph == 0 {
        return Err(Error::malformed(format!("pdf page rendered to {pw}x{ph} pixels")));
    }
    // An opaque background makes premultiplied RGBA plain RGBA: drop the alpha.
    let rgb: Vec<u8> = pixmap.data_as_u8_slice().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let raster = RgbImage::from_raw(pw, ph, rgb).ok_or_else(|| Error::new(ErrorKind::Internal, "pdf render size mismatch"))?;
    Ok((raster, pw as f32 / w))
}

fn load_error(e: LoadPdfError) -> Error {
    match e {
        LoadPdfError::Decryption(DecryptionError::PasswordProtected) => Error::new(
            ErrorKind::Unsupported,
            "pdf is encrypted with a password; remove the password (e.g. qpdf --decrypt) and try again",
        ),
        LoadPdfError::Decryption(d) => Error::new(
            ErrorKind::Unsupported,
            format!("pdf is encrypted and cannot be decrypted ({d:?}); save an unencrypted copy and try again"),
        ),
        LoadPdfError::Invalid => Error::malformed("pdf is damaged or truncated: no readable cross-reference table or page tree"),
    }
}

fn panicked(index: usize, panic: Box<dyn std::any::Any + Send>) -> Error {
    let what = crate::error::panic_message(panic.as_ref()).unwrap_or_default();
    Error::malformed(format!("pdf page {} could not be interpreted ({what}); the file is probably damaged", index + 1))
}
