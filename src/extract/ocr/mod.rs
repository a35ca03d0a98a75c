//! Optical character recognition: a page image in, positioned words out.
//!
//! An engine is a [`Reader`]; one module an engine:
//!
//! | engine | module | needs |
//! | --- | --- | --- |
//! | PP-OCRv5 on tract (default) | [`ppocr`] | `models/pp-ocrv5`, nothing from the system |
//! | Tesseract | `tesseract` | cargo feature `tesseract`, libtesseract and its language data |
//!
//! Which engine reads a page is [`OcrEngine`], from [`ReadOptions::engine`] or an extraction
//! model's `"ocr_engine"`. Page handling around the engine (deskew, quarter turns, units)
//! is the scan stage's (`pages::scan`), the same for every engine.

pub(crate) mod ppocr;
#[cfg(feature = "tesseract")]
pub(crate) mod tesseract;

use std::path::PathBuf;
use std::sync::Arc;

use image::{GrayImage, RgbImage};

use crate::extract::{ReadOptions, Word};
use crate::{Error, ErrorKind, Language, Result};

/// Where Debian's `tesseract-ocr-*` packages put Tesseract's language models.
pub const DEFAULT_TESSDATA: &str = "/usr/share/tesseract-ocr/5/tessdata";

/// The OCR engine that reads scans.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OcrEngine {
    /// PP-OCRv5 (PaddleOCR's mobile detector and recogniser) run in-process by tract: Latin
    /// scripts, digits, Chinese, Japanese; no Arabic. The default.
    #[default]
    #[serde(rename = "ppocr")]
    PpOcr,
    /// Tesseract 5 through libtesseract: needs opinio built with the cargo feature
    /// `tesseract` and Tesseract's language data. For Arabic, or by preference.
    #[serde(rename = "tesseract")]
    Tesseract,
}

impl OcrEngine {
    /// The engine's name as manifests and the command line spell it.
    pub fn name(self) -> &'static str {
        match self {
            OcrEngine::PpOcr => "ppocr",
            OcrEngine::Tesseract => "tesseract",
        }
    }
}

impl std::str::FromStr for OcrEngine {
    type Err = Error;

    fn from_str(s: &str) -> Result<OcrEngine> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ppocr" | "pp-ocr" | "pp_ocr" | "paddle" => Ok(OcrEngine::PpOcr),
            "tesseract" => Ok(OcrEngine::Tesseract),
            other => {
                Err(Error::invalid_argument(format!("unknown ocr engine {other:?}; use ppocr or tesseract")))
            }
        }
    }
}

/// How Tesseract finds the text on a page (its page segmentation mode). PP-OCR finds lines
/// by detection and ignores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageLayout {
    /// Automatic layout analysis (mode 3): columns, headings and blocks of any size. For
    /// invoices, letters, forms; the default.
    #[default]
    Auto,
    /// One block of lines (mode 6): for single-column documents such as till receipts, where
    /// automatic analysis drops or splits lines. Measured on 40 SROIE receipts: the right
    /// total is in the reading for 35 instead of 27, the right address for 15 instead of 13.
    SingleBlock,
}

/// A page as the scan stage hands it to an engine: colour, grey (deskewed and
/// contrast-stretched) and its resolution when known.
#[cfg_attr(not(feature = "tesseract"), allow(dead_code))]
pub(crate) struct PageImage<'a> {
    pub rgb: &'a RgbImage,
    pub gray: &'a GrayImage,
    pub ppi: Option<u32>,
}

/// Which reading of a page an engine is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pass {
    /// The engine's usual reading.
    First,
    /// Its second way of reading a page that read unclearly (Tesseract: adaptive
    /// thresholds), when [`Reader::has_second_pass`].
    Second,
}

/// An OCR engine ready to read pages, shared by the threads that read them.
pub(crate) trait Reader: Send + Sync {
    /// The words of a page, boxes in its pixels, in any order (lines are rebuilt from
    /// geometry downstream).
    fn read(&self, page: &PageImage<'_>, pass: Pass) -> Result<Vec<Word>>;

    /// Whether [`Pass::Second`] reads differently from [`Pass::First`].
    fn has_second_pass(&self) -> bool {
        false
    }
}

/// The engine `options` ask for, loaded (PP-OCR's networks are shared process-wide).
pub(crate) fn reader(options: &ReadOptions) -> Result<Arc<dyn Reader>> {
    if options.languages.is_empty() {
        return Err(Error::invalid_argument("ocr language list is empty; give at least one of en, de, ar"));
    }
    match options.engine {
        OcrEngine::PpOcr => {
            if options.languages.contains(&Language::Ar) {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "the ppocr engine has no Arabic script; read Arabic with \"ocr_engine\": \"tesseract\" \
                     (opinio built with the cargo feature `tesseract`)",
                ));
            }
            let dir = options.ocr_models.clone().unwrap_or_else(ppocr::PpOcr::default_dir);
            let models = ppocr::PpOcr::shared(&dir)?;
            let settings = ppocr::PpOcrOptions {
                max_side: options.ocr_max_side,
                classify_lines: options.classify_lines,
                db: ppocr::boxes::DbOptions::default(),
                max_seconds: options.limits.max_ocr_seconds_per_page,
            };
            Ok(Arc::new(PpOcrReader { models, settings }))
        }
        OcrEngine::Tesseract => tesseract_reader(options),
    }
}

struct PpOcrReader {
    models: Arc<ppocr::PpOcr>,
    settings: ppocr::PpOcrOptions,
}

impl Reader for PpOcrReader {
    fn read(&self, page: &PageImage<'_>, _pass: Pass) -> Result<Vec<Word>> {
        self.models.read(page.rgb, &self.settings)
    }
}

#[cfg(feature = "tesseract")]
fn tesseract_reader(options: &ReadOptions) -> Result<Arc<dyn Reader>> {
    Ok(Arc::new(tesseract::OcrSettings::for_options(options)?))
}

#[cfg(not(feature = "tesseract"))]
fn tesseract_reader(_options: &ReadOptions) -> Result<Arc<dyn Reader>> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "the tesseract ocr engine is not in this build of opinio: build it with the cargo feature `tesseract` \
         (cargo build --release --features tesseract; needs libtesseract-dev, libleptonica-dev and libclang-dev), \
         or use the default engine, ppocr",
    ))
}

/// The default models folder of PP-OCRv5 ([`ReadOptions::ocr_models`] overrides it).
pub fn default_ppocr_dir() -> PathBuf {
    ppocr::PpOcr::default_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_parse_by_name_and_serialise_as_manifests_spell_them() {
        assert_eq!("ppocr".parse::<OcrEngine>().unwrap(), OcrEngine::PpOcr);
        assert_eq!("Tesseract".parse::<OcrEngine>().unwrap(), OcrEngine::Tesseract);
        assert!("easyocr".parse::<OcrEngine>().unwrap_err().message().contains("ppocr or tesseract"));
        assert_eq!(serde_json::to_string(&OcrEngine::PpOcr).unwrap(), "\"ppocr\"");
        assert_eq!(serde_json::from_str::<OcrEngine>("\"tesseract\"").unwrap(), OcrEngine::Tesseract);
    }

    #[test]
    fn arabic_asks_for_tesseract() {
        let options = ReadOptions::with_languages(&[Language::Ar]);
        let err = reader(&options).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert!(err.message().contains("tesseract"), "{err}");
    }

    #[cfg(not(feature = "tesseract"))]
    #[test]
    fn tesseract_without_the_feature_names_the_feature() {
        let options = ReadOptions { engine: OcrEngine::Tesseract, ..ReadOptions::default() };
        let err = reader(&options).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert!(err.message().contains("feature `tesseract`"), "{err}");
    }
}
