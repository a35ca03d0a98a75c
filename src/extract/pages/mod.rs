//! Page sources: a file in, [`Page`]s of positioned words out.
//!
//! The format is decided by content (magic bytes), not by the file name, except for
//! `NAME.words.json`, which is JSON and could be anything else's name:
//!
//! | format | read by | words from |
//! | --- | --- | --- |
//! | PDF | hayro ([`pdf`]) | the text layer; pages without one are rendered and OCRed |
//! | JPEG, PNG, WEBP | the image crate ([`raster`]) | OCR |
//! | TIFF (every page) | the tiff crate ([`tiff_pages`]) | OCR |
//! | `*.words.json` | [`words_json`] | another OCR engine |
//!
//! OCR is an engine of [`crate::extract::ocr`] (PP-OCRv5 in-process by default, Tesseract
//! with the cargo feature `tesseract`) after a small-angle deskew ([`deskew`]) and, for
//! Tesseract, a contrast stretch ([`contrast`]), with quarter turns tried when a page reads
//! unclearly ([`orient`]); scanned pages are spread over opinio's threads
//! ([`crate::parallel`]).

mod contrast;
mod deskew;
mod orient;
mod pdf;
mod pdf_streams;
mod pdf_text;
mod raster;
mod scan;
mod tiff_pages;
mod words;
mod words_json;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use image::ImageFormat;

pub use crate::extract::ocr::{OcrEngine, PageLayout, DEFAULT_TESSDATA};
pub use words_json::to_json as words_json;

use crate::extract::{ocr, Page, Word};
use crate::{Error, ErrorKind, Language, Limits, Result};

/// How pages are read. `ReadOptions::default()` suits invoices and receipts in English and
/// German; Arabic documents need [`OcrEngine::Tesseract`] with [`Language::Ar`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct ReadOptions {
    /// The OCR engine (default [`OcrEngine::PpOcr`], in-process).
    pub engine: OcrEngine,
    /// The languages on the pages, in order of likelihood. Default: English and German.
    /// Tesseract reads these (each needs its `tesseract-ocr-<lang>` data); PP-OCRv5 reads
    /// every Latin script and refuses Arabic.
    pub languages: Vec<Language>,
    /// The folder of PP-OCRv5's networks; default [`ocr::default_ppocr_dir`].
    pub ocr_models: Option<PathBuf>,
    /// PP-OCR detects text on the page scaled so that its longer side is at most this many
    /// pixels (default 960, PaddleOCR's for documents).
    pub ocr_max_side: u32,
    /// PP-OCR runs its 0°/180° line classifier and turns lines it finds upside down
    /// (default off: whole pages scanned upside down are turned by the scan stage).
    pub classify_lines: bool,
    /// Where Tesseract's `<lang>.traineddata` files are; default `TESSDATA_PREFIX`, else
    /// [`DEFAULT_TESSDATA`].
    pub tessdata: Option<PathBuf>,
    /// The resolution PDF pages without a text layer are rendered at for OCR (default 300).
    pub ocr_dpi: f32,
    /// Straighten scans skewed by more than a fraction of a degree (default on).
    pub deskew: bool,
    /// Also render born-digital PDF pages, at this resolution, so that annotated pages show
    /// the page rather than its word boxes (default `None`: no render, the text layer only).
    pub text_page_dpi: Option<f32>,
    /// How Tesseract finds the text blocks (default [`PageLayout::Auto`]).
    pub layout: PageLayout,
    /// Bounds on hostile files.
    pub limits: Limits,
    /// Keep each scanned page's pixels in [`Page::raster`] (default on). Without them a
    /// page read costs its words only, so a long scanned document is read in flat memory;
    /// annotated pages then draw the word boxes on white instead of the scan.
    pub keep_rasters: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            engine: OcrEngine::PpOcr,
            languages: vec![Language::En, Language::De],
            ocr_models: None,
            ocr_max_side: 960,
            classify_lines: false,
            tessdata: None,
            ocr_dpi: 300.0,
            deskew: true,
            text_page_dpi: None,
            layout: PageLayout::Auto,
            limits: Limits::default(),
            keep_rasters: true,
        }
    }
}

impl ReadOptions {
    /// The default options reading `languages`.
    pub fn with_languages(languages: &[Language]) -> Self {
        ReadOptions { languages: languages.to_vec(), ..ReadOptions::default() }
    }
}

/// Refuses a document larger than [`Limits::max_document_bytes`] before it is read.
fn check_document_size(size: u64, limits: &Limits) -> Result<()> {
    crate::limits::at_most("max_document_bytes", "document size in bytes", size, limits.max_document_bytes)
}

/// The page checks of [`Limits`], made before memory is committed.
impl Limits {
    /// Refuses empty pages and pages over the pixel limit, naming the size.
    pub(crate) fn check_pixels(&self, width: u32, height: u32) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(Error::malformed(format!("page has zero size ({width}x{height} pixels)")));
        }
        let pixels = u64::from(width) * u64::from(height);
        let what = format!("page size {width}x{height} in pixels");
        crate::limits::at_most("max_page_pixels", &what, pixels, self.max_page_pixels)
    }

    /// The same bounds for the image crate's decoders (RGBA at 16 bits is 8 bytes a pixel).
    pub(crate) fn image_limits(&self) -> image::Limits {
        let mut limits = image::Limits::default();
        let side = u32::try_from(self.max_page_pixels).unwrap_or(u32::MAX);
        limits.max_image_width = Some(side);
        limits.max_image_height = Some(side);
        limits.max_alloc = Some(self.max_page_pixels.saturating_mul(8));
        limits
    }
}

/// The formats recognised by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Jpeg,
    Png,
    Tiff,
    WebP,
}

impl Format {
    /// The format `bytes` start with, if any. A PDF's header may follow up to 1 KB of junk,
    /// as viewers allow.
    pub fn detect(bytes: &[u8]) -> Option<Format> {
        let head = &bytes[..bytes.len().min(1024)];
        if bytes.starts_with(b"\xFF\xD8\xFF") {
            Some(Format::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") || bytes.starts_with(b"II+\0") || bytes.starts_with(b"MM\0+") {
            Some(Format::Tiff)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Format::WebP)
        } else if memchr::memmem::find(head, b"%PDF-").is_some() {
            Some(Format::Pdf)
        } else {
            None
        }
    }
}

/// Reads every page of the file at `path` with the default options.
pub fn read_path(path: &Path) -> Result<Vec<Page>> {
    read_path_with(path, &ReadOptions::default())
}

/// Reads every page of the file at `path`.
pub fn read_path_with(path: &Path, options: &ReadOptions) -> Result<Vec<Page>> {
    let size = std::fs::metadata(path).map_err(|e| Error::from(e).with_path(path))?.len();
    check_document_size(size, &options.limits).map_err(|e| e.with_path(path))?;
    let bytes = std::fs::read(path).map_err(|e| Error::from(e).with_path(path))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    read_bytes_with(name, &bytes, options).map_err(|e| e.with_path(path))
}

/// Reads every page of a file held in memory with the default options; `name` is only used
/// to recognise `*.words.json`.
pub fn read_bytes(name: &str, bytes: &[u8]) -> Result<Vec<Page>> {
    read_bytes_with(name, bytes, &ReadOptions::default())
}

/// Reads every page of a file held in memory; `name` is only used to recognise
/// `*.words.json`.
pub fn read_bytes_with(name: &str, bytes: &[u8], options: &ReadOptions) -> Result<Vec<Page>> {
    check_document_size(bytes.len() as u64, &options.limits)?;
    if name.to_ascii_lowercase().ends_with(".words.json") {
        return words_json::read(bytes, &options.limits);
    }
    let single = |format: ImageFormat| -> Result<Vec<Page>> {
        let raster = raster::decode(bytes, format, &options.limits)?;
        scan::read_all(vec![image_scan(0, raster)], options)
    };
    match Format::detect(bytes) {
        Some(Format::Pdf) => catch_unwind(AssertUnwindSafe(|| pdf::read(bytes, options)))
            .unwrap_or_else(|_| Err(Error::malformed("pdf could not be read; the file is probably damaged"))),
        Some(Format::Jpeg) => single(ImageFormat::Jpeg),
        Some(Format::Png) => single(ImageFormat::Png),
        Some(Format::WebP) => single(ImageFormat::WebP),
        Some(Format::Tiff) => {
            let rasters = tiff_pages::decode_all(bytes, &options.limits)?;
            scan::read_all(rasters.into_iter().enumerate().map(|(i, r)| image_scan(i, r)).collect(), options)
        }
        None if bytes.is_empty() => Err(Error::malformed(format!("{name}: file is empty"))),
        None => Err(Error::new(
            ErrorKind::Unsupported,
            format!("{name}: not a pdf, jpeg, png, tiff, webp or .words.json file (it starts with {:02x?})", &bytes[..bytes.len().min(8)]),
        )),
    }
}

/// The options' OCR engine alone on an image scanned at `ppi` (estimated when `None`): no
/// decoding, no deskew, no turns; boxes in pixels. For callers that hold the pixels already,
/// and to measure what opinio adds around the OCR (`benches/extract.rs`).
pub fn ocr_image(image: &image::RgbImage, ppi: Option<u32>, options: &ReadOptions) -> Result<Vec<Word>> {
    let reader = ocr::reader(options)?;
    let gray = image::imageops::grayscale(image);
    reader.read(&ocr::PageImage { rgb: image, gray: &gray, ppi }, ocr::Pass::First)
}

fn image_scan(index: usize, raster: image::RgbImage) -> scan::Scan {
    scan::Scan { index, raster, pixels_per_unit: 1.0, ppi: None, size: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_first_bytes() {
        assert_eq!(Format::detect(b"%PDF-1.7\n"), Some(Format::Pdf));
        assert_eq!(Format::detect(b"\r\n junk %PDF-1.4"), Some(Format::Pdf));
        assert_eq!(Format::detect(b"\xFF\xD8\xFF\xE0"), Some(Format::Jpeg));
        assert_eq!(Format::detect(b"\x89PNG\r\n\x1a\n...."), Some(Format::Png));
        assert_eq!(Format::detect(b"II*\0...."), Some(Format::Tiff));
        assert_eq!(Format::detect(b"MM\0*...."), Some(Format::Tiff));
        assert_eq!(Format::detect(b"RIFF\x10\0\0\0WEBPVP8 "), Some(Format::WebP));
        assert_eq!(Format::detect(b"PK\x03\x04"), None);
        assert_eq!(Format::detect(b""), None);
    }

    #[test]
    fn unknown_and_empty_files_are_clear_errors() {
        let err = read_bytes("a.docx", b"PK\x03\x04rest").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert!(err.message().contains("a.docx"), "{err}");
        assert_eq!(read_bytes("e.pdf", b"").unwrap_err().kind(), ErrorKind::Malformed);
    }

    #[test]
    fn pixel_limits_name_the_size() {
        let limits = Limits::default();
        assert!(limits.check_pixels(2480, 3508).is_ok());
        let err = limits.check_pixels(100_000, 100_000).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
        assert!(err.message().contains("100000x100000"), "{err}");
        assert_eq!(limits.check_pixels(0, 10).unwrap_err().kind(), ErrorKind::Malformed);
    }
}
