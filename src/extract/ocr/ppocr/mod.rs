//! PP-OCRv5 on tract: PaddleOCR's mobile detector and recogniser run in-process, with no
//! system library.
//!
//! The pipeline, one module a stage:
//!
//! 1. [`detect`]: the page scaled (longer side at most 960 px by default), the DB detector
//!    gives a text probability map;
//! 2. [`boxes`]: the map becomes one rotated box per text line (binarise, connected regions,
//!    minimum-area rectangles, box score, unclip), in reading order;
//! 3. [`crop`]: each box is warped upright out of the page, tall ones turned;
//! 4. optionally, the orientation classifier turns lines read upside down
//!    ([`recognize::orient`]);
//! 5. [`recognize`]: lines are read in batches of similar width on opinio's workers;
//! 6. [`ctc`]: the decoding keeps each character's frame, so a line becomes words with their
//!    own boxes.
//!
//! The networks are loaded once per models folder and shared ([`PpOcr::shared`]).

pub(crate) mod boxes;
pub(crate) mod crop;
pub(crate) mod ctc;
pub(crate) mod detect;
mod fold;
mod net;
mod project;
pub(crate) mod recognize;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use image::RgbImage;

use self::boxes::DbOptions;
use self::net::Net;
use crate::extract::{BBox, Word};
use crate::limits::Deadline;
use crate::{Error, ErrorKind, Result};
use project::Projection;

/// The models folder's name among opinio's models.
pub const MODELS_DIR: &str = "pp-ocrv5";

/// Detector plans kept, one per padded page size met (see `net` and `detect`).
const DET_PLANS: usize = 6;

/// Lines read with a mean character probability under this are dropped as noise
/// (PaddleOCR's `drop_score`).
const DROP_SCORE: f32 = 0.5;

/// The loaded networks and alphabet.
pub(crate) struct PpOcr {
    det: Net,
    rec: Net,
    /// The recogniser's last layer, split from it (`project` says why).
    project: Projection,
    cls: Net,
    alphabet: Vec<String>,
}

/// How one page is read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PpOcrOptions {
    /// The detector sees the page with its longer side at most this many pixels.
    pub max_side: u32,
    /// Run the 0°/180° line classifier.
    pub classify_lines: bool,
    pub db: DbOptions,
    /// Longest one page may take, in seconds ([`crate::Limits::max_ocr_seconds_per_page`]).
    pub max_seconds: u64,
}

static LOADED: Mutex<Option<HashMap<PathBuf, Arc<PpOcr>>>> = Mutex::new(None);

impl PpOcr {
    /// The folder opinio reads PP-OCRv5 from when none is given: `$OPINIO_MODELS/pp-ocrv5`
    /// when `OPINIO_MODELS` is set, else `models/pp-ocrv5` in opinio's source tree.
    pub fn default_dir() -> PathBuf {
        crate::encode::shipped_model_dir(MODELS_DIR)
    }

    /// The networks of `dir`, loaded on first use and shared by every later caller.
    pub fn shared(dir: &Path) -> Result<Arc<PpOcr>> {
        let mut slot = LOADED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let map = slot.get_or_insert_with(HashMap::new);
        if let Some(loaded) = map.get(dir) {
            return Ok(loaded.clone());
        }
        let loaded = Arc::new(PpOcr::load(dir)?);
        map.insert(dir.to_path_buf(), loaded.clone());
        Ok(loaded)
    }

    /// Loads `det.onnx`, `rec.onnx`, `cls.onnx` and `ppocrv5_dict.txt` from `dir`.
    pub fn load(dir: &Path) -> Result<PpOcr> {
        let alphabet = read_alphabet(&dir.join("ppocrv5_dict.txt"))?;
        let det = Net::load(&dir.join("det.onnx"), "text detector", DET_PLANS)?;
        let mut rec = Net::load(&dir.join("rec.onnx"), "text recogniser", recognize::WIDTHS.len())?;
        let project = rec.split_last_layer()?;
        let cls = Net::load(&dir.join("cls.onnx"), "line orientation classifier", 1)?;
        if project.classes() != alphabet.len() + 1 {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the text recogniser reads {} classes, but ppocrv5_dict.txt has {} characters (plus the blank: {})",
                    project.classes(),
                    alphabet.len(),
                    alphabet.len() + 1
                ),
            )
            .with_path(dir));
        }
        Ok(PpOcr { det, rec, project, cls, alphabet })
    }

    /// Reads the words of a page image; boxes in its pixels.
    pub fn read(&self, page: &RgbImage, options: &PpOcrOptions) -> Result<Vec<Word>> {
        let deadline = Deadline::after(options.max_seconds, "max_ocr_seconds_per_page");
        let (width, height) = (page.width() as f32, page.height() as f32);
        let map = detect_on_all_cores(|| detect::detect(&self.det, page, options.max_side))?;
        deadline.check("ocr time of a page")?;
        let lines = boxes::text_boxes(&map, &options.db, width, height);
        drop(map);
        let corners: Vec<[boxes::Point; 4]> = lines.iter().map(|b| b.corners).collect();
        let mut crops = crate::parallel::map(&corners, |&c| crop::crop(page, c));
        if options.classify_lines {
            crops = recognize::orient(&self.cls, crops)?;
        }
        let decoded = recognize::recognize(&self.rec, &self.project, &self.alphabet, &crops, &deadline)?;
        let mut words = Vec::new();
        for (crop, line) in crops.iter().zip(&decoded) {
            let line_words = ctc::words(line);
            let chars = line.chars.len().max(1) as f32;
            if line.chars.iter().map(|c| c.2).sum::<f32>() / chars < DROP_SCORE {
                continue;
            }
            for word in line_words {
                let points = [
                    crop.page_point(word.start, 0.0),
                    crop.page_point(word.end, 0.0),
                    crop.page_point(word.end, 1.0),
                    crop.page_point(word.start, 1.0),
                ];
                let bbox = points
                    .iter()
                    .skip(1)
                    .fold(BBox::new(points[0].0, points[0].1, points[0].0, points[0].1), |b, p| {
                        b.union(&BBox::new(p.0, p.1, p.0, p.1))
                    });
                words.push(Word { text: word.text, bbox, confidence: word.confidence });
            }
        }
        Ok(words)
    }
}

/// Runs `f` with tract's matrix products spread over rayon's workers (the detector is one
/// large run per page) when [`spreading_is_safe_here`], else on this thread alone.
fn detect_on_all_cores<R>(f: impl FnOnce() -> R) -> R {
    use tract_linalg::multithread::{multithread_tract_scope, Executor};
    if spreading_is_safe_here() {
        multithread_tract_scope(Executor::RayonGlobal, f)
    } else {
        f()
    }
}

/// Whether a tract run on this thread may spread its products over rayon's pool: only when
/// opinio's threads are on and this thread is not itself a rayon worker (of any pool).
///
/// A worker that spreads a product waits for the product's chunks, and while it waits
/// rayon gives it other queued work. If that work runs a tract plan (another page's
/// recogniser), the plan finds tract's per-thread scratch space still borrowed by the
/// waiting product: a panic inside a destructor, which aborts the process. Pages read in
/// parallel are on workers, so each detects on its own thread; the pages are the
/// parallelism there. A single page read from the host's thread spreads.
fn spreading_is_safe_here() -> bool {
    crate::parallel::is_parallel() && rayon::current_thread_index().is_none()
}

/// The recogniser's alphabet: one entry a line (a character, or a few that render as one,
/// like a flag); a space is the last class. Full-width forms (`（`, `：`, `１`), which the
/// recogniser, trained on Chinese documents too, often reads for their ASCII twins, are
/// read as those twins ([`half_width`]).
fn read_alphabet(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("ocr alphabet not readable ({e}); the pp-ocrv5 folder ships in opinio's models/"),
        )
        .with_path(path)
    })?;
    let mut alphabet = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || line.chars().count() > 8 {
            return Err(Error::malformed(format!(
                "ocr alphabet line {} is not one character: {line:?}",
                n + 1
            ))
            .with_path(path));
        }
        alphabet.push(line.chars().map(half_width).collect());
    }
    alphabet.push(" ".to_string());
    Ok(alphabet)
}

/// The ASCII character a full-width form stands for (U+FF01-U+FF5E, and the ideographic
/// space U+3000); any other character unchanged.
fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_are_spread_only_from_threads_outside_rayon() {
        use rayon::prelude::*;
        assert_eq!(spreading_is_safe_here(), crate::parallel::is_parallel());
        let pool = crate::parallel::Pool::new(2).unwrap();
        assert!(!pool.install(spreading_is_safe_here), "a worker of opinio's own pool");
        let on_global: Vec<bool> = (0..4).into_par_iter().map(|_| spreading_is_safe_here()).collect();
        assert_eq!(on_global, [false; 4], "workers of rayon's global pool");
    }

    #[test]
    fn full_width_forms_read_as_ascii() {
        let read: String = "（Ｍ）ＳＤＮ：１　x".chars().map(half_width).collect();
        assert_eq!(read, "(M)SDN:1 x");
        assert_eq!(half_width('é'), 'é');
    }

    #[test]
    fn alphabets_are_read_one_entry_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dict.txt");
        std::fs::write(&path, "a\n（\n🇩🇪\n").unwrap();
        assert_eq!(read_alphabet(&path).unwrap(), vec!["a", "(", "🇩🇪", " "]);
        std::fs::write(&path, "a\n\nb\n").unwrap();
        assert!(read_alphabet(&path).unwrap_err().message().contains("line 2"));
        assert_eq!(read_alphabet(&dir.path().join("none")).unwrap_err().kind(), ErrorKind::Io);
    }

    #[test]
    fn the_recognisers_last_layer_runs_apart_and_other_graphs_are_refused() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/pp-ocrv5");
        let ocr = PpOcr::load(&dir).unwrap();
        assert_eq!((ocr.project.features(), ocr.project.classes()), (120, ocr.alphabet.len() + 1));
        // The detector ends in a sigmoid, not a product, bias and softmax.
        let mut det = Net::load(&dir.join("det.onnx"), "text detector", 1).unwrap();
        let e = det.split_last_layer().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.message().contains("no softmax"), "{}", e.message());
    }
}
