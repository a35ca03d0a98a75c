//! `NAME.words.json`: words already read by another OCR engine (CONTRACT section 3).
//!
//! `{"pages": [{"width": W, "height": H, "words": [{"text", "bbox": [x0, y0, x1, y1],
//! "confidence"}]}]}` in pixels, origin top-left. The file comes from a stranger's OCR
//! engine, so every size is bounded and every number checked before a page is built: a bad
//! word is named by page and word index rather than silently dropped.

use crate::Limits;
use crate::extract::{BBox, Page, PageOrigin, Word};
use crate::{Error, Result};
use serde::Deserialize;

/// Largest words.json accepted, in bytes.
pub(crate) const MAX_BYTES: usize = 64 << 20;
/// Most words on one page.
pub(crate) const MAX_WORDS_PER_PAGE: usize = 100_000;
/// Largest page side, in pixels (a 600 dpi A0 sheet is about 28 000).
pub(crate) const MAX_SIDE: f64 = 100_000.0;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    pages: Vec<RawPage>,
}

#[derive(Deserialize)]
struct RawPage {
    width: f64,
    height: f64,
    #[serde(default)]
    words: Vec<RawWord>,
}

#[derive(Deserialize)]
struct RawWord {
    text: String,
    bbox: Vec<f64>,
    #[serde(default = "full_confidence")]
    confidence: f64,
}

fn full_confidence() -> f64 {
    1.0
}

/// Pages as a words.json value, the shape [`read`] takes back: what opinio read of a scan or
/// PDF, to annotate (`NAME.answers.json` beside it) or to check what OCR saw. Sizes and
/// boxes are in the page's units (pixels for images, points for PDF pages).
pub fn to_json(pages: &[Page]) -> serde_json::Value {
    let round = |v: f32| (f64::from(v) * 100.0).round() / 100.0;
    let pages: Vec<serde_json::Value> = pages
        .iter()
        .map(|page| {
            let words: Vec<serde_json::Value> = page
                .words
                .iter()
                .map(|w| {
                    let b = w.bbox;
                    serde_json::json!({
                        "text": w.text,
                        "bbox": [round(b.x0), round(b.y0), round(b.x1), round(b.y1)],
                        "confidence": (f64::from(w.confidence) * 1000.0).round() / 1000.0,
                    })
                })
                .collect();
            serde_json::json!({"width": round(page.width), "height": round(page.height), "words": words})
        })
        .collect();
    serde_json::json!({ "pages": pages })
}

/// Reads the pages of a words.json; `limits.max_pages` bounds it like any document (no
/// pixels are decoded, so the pixel limit does not apply: page sides are bounded by
/// [`MAX_SIDE`] instead).
pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Vec<Page>> {
    if bytes.len() > MAX_BYTES {
        return Err(Error::limit("words.json size in bytes", bytes.len(), MAX_BYTES));
    }
    let file: File = serde_json::from_slice(bytes).map_err(|e| {
        Error::malformed(format!("words.json does not parse: {e}; expected {{\"pages\": [{{\"width\", \"height\", \"words\": [...]}}]}}"))
    })?;
    if file.pages.is_empty() {
        return Err(Error::malformed(
            "words.json has no pages; give at least one page with width and height",
        ));
    }
    crate::limits::at_most("max_pages", "words.json page count", file.pages.len(), limits.max_pages)?;
    file.pages.into_iter().enumerate().map(|(index, raw)| page(index, raw)).collect()
}

fn page(index: usize, raw: RawPage) -> Result<Page> {
    let n = index + 1;
    for (what, side) in [("width", raw.width), ("height", raw.height)] {
        if !side.is_finite() || side <= 0.0 {
            return Err(Error::malformed(format!(
                "words.json page {n}: {what} is {side}, it must be a positive number of pixels"
            )));
        }
        if side > MAX_SIDE {
            return Err(Error::limit(&format!("words.json page {n} {what}"), side, MAX_SIDE));
        }
    }
    if raw.words.len() > MAX_WORDS_PER_PAGE {
        return Err(Error::limit(
            &format!("words.json page {n} word count"),
            raw.words.len(),
            MAX_WORDS_PER_PAGE,
        ));
    }
    let mut words = Vec::with_capacity(raw.words.len());
    for (i, w) in raw.words.into_iter().enumerate() {
        let at = || format!("words.json page {n} word {}", i + 1);
        let [x0, y0, x1, y1] = <[f64; 4]>::try_from(w.bbox.as_slice()).map_err(|_| {
            Error::malformed(format!(
                "{}: bbox has {} numbers, expected [x0, y0, x1, y1]",
                at(),
                w.bbox.len()
            ))
        })?;
        if [x0, y0, x1, y1].iter().any(|v| !v.is_finite() || *v < -MAX_SIDE || *v > MAX_SIDE) {
            return Err(Error::malformed(format!(
                "{}: bbox {:?} is not a finite box in pixels",
                at(),
                [x0, y0, x1, y1]
            )));
        }
        if !(0.0..=1.0).contains(&w.confidence) {
            // Some engines report percent: accept 0..100 and scale, refuse anything else.
            if !(0.0..=100.0).contains(&w.confidence) {
                return Err(Error::malformed(format!(
                    "{}: confidence is {}, expected [0, 1]",
                    at(),
                    w.confidence
                )));
            }
        }
        let confidence = if w.confidence > 1.0 { w.confidence / 100.0 } else { w.confidence };
        let text = w.text.trim();
        if text.is_empty() {
            continue;
        }
        // Boxes are clamped to the page: an OCR box a pixel outside must not give
        // normalised coordinates outside [0, 1].
        let (pw, ph) = (raw.width, raw.height);
        let bbox = BBox::new(
            x0.clamp(0.0, pw) as f32,
            y0.clamp(0.0, ph) as f32,
            x1.clamp(0.0, pw) as f32,
            y1.clamp(0.0, ph) as f32,
        );
        words.push(Word { text: text.to_string(), bbox, confidence: confidence as f32 });
    }
    Ok(Page {
        index,
        width: raw.width as f32,
        height: raw.height as f32,
        words,
        origin: PageOrigin::Words,
        raster: None,
        raster_scale: 1.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pages_and_words() {
        let json = br#"{"pages": [{"width": 100, "height": 200, "words": [
            {"text": "Total", "bbox": [10, 20, 40, 30], "confidence": 0.9},
            {"text": " ", "bbox": [0, 0, 1, 1]},
            {"text": "9.00", "bbox": [50, 20, 99, 30]}]}]}"#;
        let pages = read(json, &Limits::default()).unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].words.len(), 2);
        assert_eq!(pages[0].words[0].bbox, BBox::new(10.0, 20.0, 40.0, 30.0));
        assert_eq!(pages[0].words[1].confidence, 1.0);
    }

    #[test]
    fn errors_name_the_bad_value() {
        let cases: [(&[u8], &str); 6] = [
            (b"{", "does not parse"),
            (br#"{"pages": []}"#, "no pages"),
            (br#"{"pages": [{"width": 0, "height": 5}]}"#, "width is 0"),
            (br#"{"pages": [{"width": 9, "height": 5, "words": [{"text": "a", "bbox": [1, 2, 3]}]}]}"#, "page 1 word 1: bbox has 3 numbers"),
            (br#"{"pages": [{"width": 9, "height": 5, "words": [{"text": "a", "bbox": [1, 2, 3, 4], "confidence": -2}]}]}"#, "confidence is -2"),
            (br#"{"pages": [{"width": 9e9, "height": 5}]}"#, "limit is"),
        ];
        for (json, needle) in cases {
            let e = read(json, &Limits::default()).unwrap_err();
            assert!(e.message().contains(needle), "{} lacks {needle}", e.message());
        }
        // The document page limit applies to words.json too.
        let two = br#"{"pages": [{"width": 9, "height": 5, "words": []}, {"width": 9, "height": 5, "words": []}]}"#;
        let one_page = Limits { max_pages: 1, ..Limits::default() };
        let e = read(two, &one_page).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::LimitExceeded, "{e}");
        assert_eq!(read(two, &Limits::default()).unwrap().len(), 2);
    }
}
