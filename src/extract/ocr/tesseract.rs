//! The Tesseract engine (libtesseract, through tesseract-plumbing), behind the cargo feature
//! `tesseract`: for scripts PP-OCRv5's alphabet lacks (Arabic) and for users who prefer it.
//!
//! Three choices decide quality and speed, each measured on 300-dpi A4 scans:
//! - page segmentation mode 3 (automatic layout analysis) by default: the library's default
//!   single-block mode silently dropped large headings of A4 pages. Single-column documents
//!   (receipts) ask for the single block ([`PageLayout`]): there automatic analysis drops or
//!   splits lines;
//! - one engine per thread, created once and reused (loading the language models takes
//!   longer than recognising a page), pages spread over threads by [`crate::parallel`];
//! - OpenMP kept out of Tesseract: Debian's libtesseract uses OpenMP, whose spinning threads
//!   fight over the cores with our own per-page threads (measured on 4 SROIE receipts, 2
//!   cores: 21-22 s with OpenMP, 4.9-5.5 s without, a quarter of the time). Tesseract's loops
//!   name their thread count (`num_threads(n)`), which overrides `omp_set_num_threads`, and
//!   `OMP_THREAD_LIMIT` is read only when libgomp loads, before a library can set it. The
//!   runtime switch that works is libgomp's max-active-levels set to 0: every parallel region
//!   then runs on the thread that reaches it. It is process-wide, so a host that runs its own
//!   OpenMP code in the same process gets serial regions once opinio has read a scan.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::PathBuf;

use image::GrayImage;
use tesseract_plumbing::tesseract_sys;
use tesseract_plumbing::TessBaseApi;

use super::{PageLayout, DEFAULT_TESSDATA};
use crate::extract::{BBox, Word};
use crate::{Error, ErrorKind, Language, Result};

/// What Tesseract is asked to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OcrSettings {
    /// Tesseract's language list, e.g. `eng+deu`.
    pub languages: String,
    /// The folder holding `<lang>.traineddata`.
    pub tessdata: PathBuf,
    /// How Tesseract finds the text blocks.
    pub layout: PageLayout,
}

impl OcrSettings {
    pub fn new(languages: &[Language], tessdata: Option<&std::path::Path>) -> Result<Self> {
        if languages.is_empty() {
            return Err(Error::invalid_argument("ocr language list is empty; give at least one of en, de, ar"));
        }
        let codes: Vec<&str> = languages.iter().map(|l| tesseract_code(*l)).collect();
        let tessdata = tessdata.map(PathBuf::from).unwrap_or_else(default_tessdata);
        Ok(OcrSettings { languages: codes.join("+"), tessdata, layout: PageLayout::Auto })
    }

    /// The settings `options` ask for.
    pub fn for_options(options: &crate::extract::ReadOptions) -> Result<Self> {
        Ok(OcrSettings { layout: options.layout, ..OcrSettings::new(&options.languages, options.tessdata.as_deref())? })
    }
}

impl super::Reader for OcrSettings {
    fn read(&self, page: &super::PageImage<'_>, pass: super::Pass) -> Result<Vec<Word>> {
        let binarize = match pass {
            super::Pass::First => Binarize::Global,
            super::Pass::Second => Binarize::Adaptive,
        };
        recognise(page.gray, page.ppi, binarize, self)
    }

    fn has_second_pass(&self) -> bool {
        true
    }
}

/// `TESSDATA_PREFIX` when set (Tesseract's own convention), else Debian's folder.
fn default_tessdata() -> PathBuf {
    std::env::var_os("TESSDATA_PREFIX").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(DEFAULT_TESSDATA))
}

fn tesseract_code(language: Language) -> &'static str {
    match language {
        Language::En => "eng",
        Language::De => "deu",
        Language::Ar => "ara",
    }
}

/// A Tesseract engine bound to one thread and one language list.
struct Engine {
    settings: OcrSettings,
    api: TessBaseApi,
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

/// How Tesseract separates ink from paper before reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binarize {
    /// One Otsu threshold for the whole page (Tesseract's default): best on clean scans.
    Global,
    /// Otsu thresholds per tile (Leptonica's adaptive Otsu): reads faded thermal receipts
    /// and unevenly lit photos that the global threshold turns blank, but adds noise to
    /// clean pages, so it is a second reading rather than the first.
    Adaptive,
}

impl Binarize {
    /// Tesseract's `thresholding_method` value.
    fn method(self) -> &'static CStr {
        match self {
            Binarize::Global => c"0",
            Binarize::Adaptive => c"1",
        }
    }
}

/// Recognises the words of a grey image scanned at `ppi` pixels per inch (estimated by
/// Tesseract when unknown); boxes in pixels.
pub(crate) fn recognise(
    image: &GrayImage,
    ppi: Option<u32>,
    binarize: Binarize,
    settings: &OcrSettings,
) -> Result<Vec<Word>> {
    let (width, height) = image.dimensions();
    let too_big = |v: u32| c_int::try_from(v).is_err();
    if width == 0 || height == 0 || too_big(width) || too_big(height) {
        return Err(Error::invalid_argument(format!("cannot ocr an image of {width}x{height} pixels")));
    }
    ENGINE.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|e| e.settings != *settings) {
            *slot = None;
            *slot = Some(Engine::new(settings)?);
        }
        let engine = slot.as_mut().ok_or_else(|| Error::new(ErrorKind::Internal, "ocr engine vanished"))?;
        engine.read(image, ppi, binarize)
    })
}

impl Engine {
    fn new(settings: &OcrSettings) -> Result<Engine> {
        keep_openmp_serial();
        let missing = settings
            .languages
            .split('+')
            .find(|code| !settings.tessdata.join(format!("{code}.traineddata")).is_file());
        if let Some(code) = missing {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "tesseract language data {code}.traineddata is not in {}; install tesseract-ocr-{code} or set TESSDATA_PREFIX",
                    settings.tessdata.display()
                ),
            ));
        }
        let datapath = cstring(&settings.tessdata.to_string_lossy())?;
        let languages = cstring(&settings.languages)?;
        let mut api = TessBaseApi::create();
        api.init_2(Some(&datapath), Some(&languages)).map_err(|_| {
            Error::new(
                ErrorKind::Unsupported,
                format!("tesseract could not load languages {} from {}", settings.languages, settings.tessdata.display()),
            )
        })?;
        api.set_page_seg_mode(match settings.layout {
            PageLayout::Auto => tesseract_sys::TessPageSegMode_PSM_AUTO,
            PageLayout::SingleBlock => tesseract_sys::TessPageSegMode_PSM_SINGLE_BLOCK,
        });
        // Tesseract's own diagnostics ("Detected 12 diacritics") would go to the host's stderr.
        let _ = api.set_variable(c"debug_file", c"/dev/null");
        Ok(Engine { settings: settings.clone(), api })
    }

    fn read(&mut self, image: &GrayImage, ppi: Option<u32>, binarize: Binarize) -> Result<Vec<Word>> {
        let (width, height) = image.dimensions();
        self.api.set_variable(c"thresholding_method", binarize.method()).map_err(|_| {
            Error::new(ErrorKind::Unsupported, "this libtesseract has no thresholding_method (Tesseract 5 has)")
        })?;
        let (w, h) = (width as c_int, height as c_int);
        self.api
            .set_image(image.as_raw(), w, h, 1, w)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("tesseract refused a {width}x{height} image: {e:?}")))?;
        if let Some(ppi) = ppi {
            self.api.set_source_resolution(ppi.clamp(70, 2400) as c_int);
        }
        self.api
            .recognize()
            .map_err(|_| Error::new(ErrorKind::Internal, format!("tesseract failed to recognise a {width}x{height} page")))?;
        let tsv = self
            .api
            .get_tsv_text(0)
            .map_err(|_| Error::new(ErrorKind::Internal, "tesseract gave no tsv output"))?;
        let tsv: &CStr = tsv.as_ref();
        Ok(parse_tsv(&tsv.to_string_lossy()))
    }
}

fn cstring(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::invalid_argument(format!("{s:?} contains a nul byte")))
}

/// Tesseract's TSV: `level page block par line word left top width height conf text`, one row
/// per layout element; level 5 rows are words, their confidence a percentage.
fn parse_tsv(tsv: &str) -> Vec<Word> {
    let mut words = Vec::new();
    for row in tsv.lines() {
        let cols: Vec<&str> = row.splitn(12, '\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let text = cols[11].trim();
        let nums: Option<Vec<f32>> = cols[6..11].iter().map(|c| c.trim().parse::<f32>().ok()).collect();
        let Some(nums) = nums else { continue };
        let (left, top, width, height, conf) = (nums[0], nums[1], nums[2], nums[3], nums[4]);
        if text.is_empty() || conf < 0.0 || width <= 0.0 || height <= 0.0 {
            continue;
        }
        words.push(Word {
            text: text.to_string(),
            bbox: BBox::new(left, top, left + width, top + height),
            confidence: (conf / 100.0).clamp(0.0, 1.0),
        });
    }
    words
}

/// Makes OpenMP parallel regions run on the thread that reaches them, if libgomp is loaded
/// (see the module docs for why this, and why process-wide).
///
/// The symbol is looked up at run time so that opinio does not link libgomp itself (a
/// libtesseract built without OpenMP then simply has nothing to limit).
fn keep_openmp_serial() {
    extern "C" {
        fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    }
    // glibc's RTLD_DEFAULT: search the global scope, where libtesseract's libgomp lives.
    const RTLD_DEFAULT: *mut c_void = std::ptr::null_mut();
    // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only reads the loaded
    // objects' symbol tables. A non-null result is libgomp's
    // `void omp_set_max_active_levels(int)`, safe to call from any thread at any time.
    unsafe {
        let f = dlsym(RTLD_DEFAULT, c"omp_set_max_active_levels".as_ptr());
        if !f.is_null() {
            let set: extern "C" fn(c_int) = std::mem::transmute(f);
            set(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words_keep_boxes_and_confidences() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t100\t200\t50\t20\t96.5\tTotal\n\
                   5\t1\t1\t1\t1\t2\t160\t200\t40\t20\t88\t12,50\n\
                   5\t1\t1\t1\t1\t3\t210\t200\t0\t20\t90\tbad\n\
                   5\t1\t1\t1\t1\t4\t260\t200\t10\t20\t-1\t \n";
        let words = parse_tsv(tsv);
        assert_eq!(words.len(), 2);
        assert_eq!(words[0].text, "Total");
        assert_eq!(words[0].bbox, BBox::new(100.0, 200.0, 150.0, 220.0));
        assert!((words[0].confidence - 0.965).abs() < 1e-6);
        assert_eq!(words[1].text, "12,50");
    }

    #[test]
    fn languages_map_to_tesseract_codes() {
        let s = OcrSettings::new(&[Language::En, Language::De, Language::Ar], Some("/x".as_ref())).unwrap();
        assert_eq!(s.languages, "eng+deu+ara");
        assert!(OcrSettings::new(&[], None).is_err());
    }

    #[test]
    fn missing_language_data_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let s = OcrSettings::new(&[Language::De], Some(dir.path())).unwrap();
        let err = recognise(&GrayImage::new(10, 10), Some(300), Binarize::Global, &s).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert!(err.message().contains("deu.traineddata"), "{err}");
    }
}
