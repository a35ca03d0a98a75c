//! Extraction models: a folder with a `manifest.json` declaring the fields (label, type,
//! required, confidence threshold, anchors by language) and the weights learned from
//! annotated documents.
//!
//! The same file is both the spec a user writes and the model [`learn`](super::learn)
//! writes: learning fills in each field's `weights` starting from the ones given, so a
//! hand-set prior (`"anchor_left": 3`) is where learning starts and what it is pulled
//! back to when examples are few.

use crate::extract::fields::FieldType;
use crate::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The manifest's file name inside a model folder.
pub const MANIFEST: &str = "manifest.json";

/// Largest manifest accepted, in bytes.
const MAX_MANIFEST_BYTES: u64 = 32 << 20;

/// One extraction model: what to find and how to score it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractionModel {
    /// Shown as the response's `model`.
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub fields: Vec<FieldSpec>,
    /// How many annotated documents the weights were learned from (0: priors only).
    #[serde(default)]
    pub learned_from: usize,
    /// The OCR engine that reads scans: `"ppocr"` (the default, in-process) or
    /// `"tesseract"` (needs opinio built with the cargo feature `tesseract`).
    #[serde(default, skip_serializing_if = "is_default_engine")]
    pub ocr_engine: crate::extract::OcrEngine,
    /// The languages on scans, most likely first (`["en"]`); empty: the page reader's
    /// default, English and German. Tesseract reads fewer languages faster and confuses
    /// fewer letters; Arabic needs the Tesseract engine.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ocr_languages: Vec<crate::Language>,
    /// How Tesseract finds the text on scans: `"auto"` (the default: invoices, letters,
    /// forms) or `"single_block"` (single-column documents such as till receipts).
    #[serde(default, skip_serializing_if = "is_auto")]
    pub ocr_layout: crate::extract::PageLayout,
}

fn is_default_engine(engine: &crate::extract::OcrEngine) -> bool {
    *engine == crate::extract::OcrEngine::default()
}

fn is_auto(layout: &crate::extract::PageLayout) -> bool {
    *layout == crate::extract::PageLayout::Auto
}

impl ExtractionModel {
    /// How documents are read for this model: the default page options with its OCR
    /// engine, languages and layout.
    pub fn read_options(&self) -> crate::extract::ReadOptions {
        let mut options = crate::extract::ReadOptions::default();
        if !self.ocr_languages.is_empty() {
            options.languages = self.ocr_languages.clone();
        }
        options.layout = self.ocr_layout;
        options.engine = self.ocr_engine;
        options
    }
}

/// One field to extract.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The label in the response (`total`, `invoice_number`).
    pub label: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default)]
    pub required: bool,
    /// The confidence (percent, 0–100) below which a person should check the value.
    #[serde(default = "default_threshold")]
    pub expected_confidence: f32,
    /// Words and phrases that announce the value, by language (`en`, `de`, `fr`, `nl`,
    /// `pl`, ...): "Invoice No.", "Rechnungsnummer", "Numer faktury".
    #[serde(default)]
    pub anchors: BTreeMap<String, Vec<String>>,
    /// Phrases that announce a *different* value of the same type ("Subtotal" for a total).
    #[serde(default)]
    pub exclude: BTreeMap<String, Vec<String>>,
    /// The scorer's weights: named layout features and context words (see
    /// [`score`](super::score)). Priors when written by hand, learned after `learn`.
    #[serde(default)]
    pub weights: Weights,
}

fn default_threshold() -> f32 {
    80.0
}

/// A linear scorer over a candidate's named features and context tokens.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    #[serde(default)]
    pub features: BTreeMap<String, f32>,
    /// Context tokens (`L:total` = "total" left on the same line, `A:date` = "date" on the
    /// line above, `y:3` = fourth tenth of the page height ...) and their weights: which
    /// words are labels of this field and where its values sit.
    #[serde(default)]
    pub tokens: BTreeMap<String, f32>,
}

impl ExtractionModel {
    /// Reads and validates `DIR/manifest.json`.
    pub fn load(dir: impl AsRef<Path>) -> Result<ExtractionModel> {
        let dir = dir.as_ref();
        let path = dir.join(MANIFEST);
        let meta = std::fs::metadata(&path).map_err(|e| Error::from(e).with_path(&path))?;
        if meta.len() > MAX_MANIFEST_BYTES {
            return Err(Error::limit("extraction manifest size in bytes", meta.len(), MAX_MANIFEST_BYTES)
                .with_path(&path));
        }
        let bytes = std::fs::read(&path).map_err(|e| Error::from(e).with_path(&path))?;
        Self::from_json(&bytes).map_err(|e| e.with_path(&path))
    }

    /// Parses and validates a manifest held in memory.
    pub fn from_json(bytes: &[u8]) -> Result<ExtractionModel> {
        let model: ExtractionModel = serde_json::from_slice(bytes)
            .map_err(|e| Error::malformed(format!("extraction manifest does not parse: {e}")))?;
        model.validate()?;
        Ok(model)
    }

    /// Checks what serde cannot: labels present and unique, thresholds in 0–100, finite
    /// weights, non-empty anchors.
    pub fn validate(&self) -> Result<()> {
        if self.fields.is_empty() {
            return Err(Error::malformed(
                "extraction manifest declares no fields; add at least one under \"fields\"",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, f) in self.fields.iter().enumerate() {
            let at = format!("field {} ({:?})", i + 1, f.label);
            if f.label.trim().is_empty() {
                return Err(Error::malformed(format!("field {}: label is empty", i + 1)));
            }
            if !seen.insert(f.label.as_str()) {
                return Err(Error::malformed(format!("{at}: label is declared twice")));
            }
            if !(0.0..=100.0).contains(&f.expected_confidence) {
                return Err(Error::malformed(format!(
                    "{at}: expected_confidence is {}, it is a percentage in 0..100",
                    f.expected_confidence
                )));
            }
            for (lang, phrases) in f.anchors.iter().chain(&f.exclude) {
                if let Some(p) = phrases.iter().find(|p| p.trim().is_empty()) {
                    return Err(Error::malformed(format!(
                        "{at}: anchor {p:?} for language {lang:?} is empty"
                    )));
                }
            }
            let bad = f.weights.features.iter().chain(&f.weights.tokens).find(|(_, w)| !w.is_finite());
            if let Some((name, w)) = bad {
                return Err(Error::malformed(format!(
                    "{at}: weight {name:?} is {w}, weights must be finite"
                )));
            }
            if let Some(name) =
                f.weights.features.keys().find(|k| !crate::extract::score::FEATURES.contains(&k.as_str()))
            {
                return Err(Error::new(
                    ErrorKind::Malformed,
                    format!(
                        "{at}: unknown feature {name:?}; known features are {}",
                        crate::extract::score::FEATURES.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Writes `DIR/manifest.json` (creating `DIR`), pretty-printed so that diffs of a
    /// relearned model can be read.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::from(e).with_path(dir))?;
        let path = dir.join(MANIFEST);
        let json =
            serde_json::to_string_pretty(self).map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))?;
        std::fs::write(&path, json + "\n").map_err(|e| Error::from(e).with_path(&path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_problem() {
        let cases = [
            (r#"{"name": "m", "fields": []}"#, "no fields"),
            (
                r#"{"name": "m", "fields": [{"label": "a", "type": "date"}, {"label": "a", "type": "date"}]}"#,
                "declared twice",
            ),
            (r#"{"name": "m", "fields": [{"label": "a", "type": "datum"}]}"#, "unknown variant"),
            (
                r#"{"name": "m", "fields": [{"label": "a", "type": "date", "expected_confidence": 140}]}"#,
                "expected_confidence is 140",
            ),
            (
                r#"{"name": "m", "fields": [{"label": "a", "type": "date", "anchors": {"en": [" "]}}]}"#,
                "for language \"en\" is empty",
            ),
            (
                r#"{"name": "m", "fields": [{"label": "a", "type": "date", "weights": {"features": {"nope": 1}}}]}"#,
                "unknown feature \"nope\"",
            ),
            (r#"{"name": "m", "ocr_languages": ["xx"], "fields": [{"label": "a", "type": "date"}]}"#, "unknown variant"),
        ];
        for (json, needle) in cases {
            let e = ExtractionModel::from_json(json.as_bytes()).unwrap_err();
            assert!(e.message().contains(needle), "{} lacks {needle}", e.message());
        }
        let ok = r#"{"name": "m", "fields": [{"label": "total", "type": "amount", "required": true}]}"#;
        let m = ExtractionModel::from_json(ok.as_bytes()).unwrap();
        assert_eq!(m.fields[0].expected_confidence, 80.0);
        assert_eq!(m.read_options().languages, crate::extract::ReadOptions::default().languages);
        let ar = r#"{"name": "m", "ocr_languages": ["ar"], "fields": [{"label": "total", "type": "amount"}]}"#;
        let m = ExtractionModel::from_json(ar.as_bytes()).unwrap();
        assert_eq!(m.read_options().languages, vec![crate::Language::Ar]);
        assert_eq!(m.read_options().layout, crate::extract::PageLayout::Auto);
        let receipts = r#"{"name": "m", "ocr_layout": "single_block", "fields": [{"label": "total", "type": "amount"}]}"#;
        let m = ExtractionModel::from_json(receipts.as_bytes()).unwrap();
        assert_eq!(m.read_options().layout, crate::extract::PageLayout::SingleBlock);
        assert_eq!(m.read_options().engine, crate::extract::OcrEngine::PpOcr);
        let tesseract = r#"{"name": "m", "ocr_engine": "tesseract", "fields": [{"label": "total", "type": "amount"}]}"#;
        let m = ExtractionModel::from_json(tesseract.as_bytes()).unwrap();
        assert_eq!(m.read_options().engine, crate::extract::OcrEngine::Tesseract);
        let unknown = r#"{"name": "m", "ocr_engine": "abbyy", "fields": [{"label": "total", "type": "amount"}]}"#;
        assert!(ExtractionModel::from_json(unknown.as_bytes()).unwrap_err().message().contains("unknown variant"));
    }
}
