//! The extraction response, exactly as CONTRACT section 1 (the Studio's "Extract
//! information from one or more documents"), and the human-in-the-loop rules.

use crate::extract::matcher::Found;
use crate::extract::model::FieldSpec;
use crate::extract::{BBox, Page};
use serde::{Deserialize, Serialize};

/// The whole response: one entry in `documents` per input file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ExtractionResponse {
    pub model: String,
    pub all_required_fields_found: bool,
    pub all_confidence_thresholds_met: bool,
    pub all_data_conversion_passed: bool,
    pub total_credits_used: usize,
    pub documents: Vec<DocumentResult>,
}

impl ExtractionResponse {
    /// The response over `documents`, with the overall flags and credits.
    pub fn new(model: &str, documents: Vec<DocumentResult>) -> ExtractionResponse {
        ExtractionResponse {
            model: model.to_string(),
            all_required_fields_found: documents.iter().all(|d| d.all_required_fields_found),
            all_confidence_thresholds_met: documents.iter().all(|d| d.all_confidence_thresholds_met),
            all_data_conversion_passed: documents.iter().all(|d| d.all_data_conversion_passed),
            total_credits_used: documents.iter().map(|d| d.credits_used).sum(),
            documents,
        }
    }
}

/// One document's fields.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DocumentResult {
    /// The input file's name.
    pub name: String,
    pub all_required_fields_found: bool,
    pub all_confidence_thresholds_met: bool,
    pub all_data_conversion_passed: bool,
    /// Pages processed.
    pub credits_used: usize,
    pub matches: Vec<Match>,
    /// `bboxes[page][match]`: the word boxes of each match on each page (empty where the
    /// match is on another page).
    pub bboxes: Vec<Vec<Vec<WordBox>>>,
    /// Each page as a base64 PNG with the matches drawn; only when asked.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub annotated_pages: Option<Vec<String>>,
    pub hitl: Hitl,
}

/// One found field.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Match {
    pub label: String,
    /// The converted value (ISO date, decimal amount, ...), or the text when conversion failed.
    pub value: String,
    /// The text as read.
    pub text: String,
    pub confidence: f32,
    /// 0-based page number.
    pub page: usize,
    pub required: bool,
    pub threshold_met: bool,
    pub conversion_passed: bool,
}

/// One word of a match, its corners normalised to `[0, 1]` of the page, origin top-left.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[allow(non_snake_case)]
pub struct WordBox {
    pub TLx: f32,
    pub TLy: f32,
    pub TRx: f32,
    pub TRy: f32,
    pub BRx: f32,
    pub BRy: f32,
    pub BLx: f32,
    pub BLy: f32,
    pub text: String,
    pub label: String,
    pub confidence: f32,
}

impl WordBox {
    /// The box of `bbox` on a `width` × `height` page, clamped to `[0, 1]`.
    pub fn normalised(
        bbox: &BBox,
        width: f32,
        height: f32,
        text: &str,
        label: &str,
        confidence: f32,
    ) -> WordBox {
        let x = |v: f32| (v / width.max(f32::MIN_POSITIVE)).clamp(0.0, 1.0);
        let y = |v: f32| (v / height.max(f32::MIN_POSITIVE)).clamp(0.0, 1.0);
        WordBox {
            TLx: x(bbox.x0),
            TLy: y(bbox.y0),
            TRx: x(bbox.x1),
            TRy: y(bbox.y0),
            BRx: x(bbox.x1),
            BRy: y(bbox.y1),
            BLx: x(bbox.x0),
            BLy: y(bbox.y1),
            text: text.to_string(),
            label: label.to_string(),
            confidence: confidence.clamp(0.0, 1.0),
        }
    }
}

/// The human-in-the-loop verdict.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Hitl {
    /// `pending` when a person should check the document, else `not_required`.
    pub status: String,
    pub result: Vec<HitlResult>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HitlResult {
    pub confidences: Vec<HitlConfidence>,
}

/// One field's confidence against its threshold, both in percent.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HitlConfidence {
    pub label: String,
    /// The value found; `null` when the field was not found.
    pub value: Option<String>,
    pub expected_confidence: f32,
    pub found: f32,
}

/// Builds one document's result from the value found (or not) for each field.
pub fn document(name: &str, pages: &[Page], fields: &[FieldSpec], found: &[Option<Found>]) -> DocumentResult {
    let mut matches = Vec::new();
    let mut bboxes = vec![Vec::new(); pages.len()];
    let mut confidences = Vec::new();
    let (mut required_found, mut thresholds_met, mut conversions) = (true, true, true);
    for (field, f) in fields.iter().zip(found) {
        let percent = f.as_ref().map_or(0.0, |f| round2(f.confidence * 100.0));
        let threshold_met = f.is_some() && percent >= field.expected_confidence;
        confidences.push(HitlConfidence {
            label: field.label.clone(),
            value: f.as_ref().map(|f| f.candidate.value.clone()),
            expected_confidence: field.expected_confidence,
            found: percent,
        });
        let Some(f) = f else {
            required_found &= !field.required;
            // A missing optional field has no threshold to miss.
            thresholds_met &= !field.required;
            continue;
        };
        thresholds_met &= threshold_met;
        conversions &= f.candidate.conversion_passed;
        matches.push(Match {
            label: field.label.clone(),
            value: f.candidate.value.clone(),
            text: f.candidate.text.clone(),
            confidence: f.confidence,
            page: f.page,
            required: field.required,
            threshold_met,
            conversion_passed: f.candidate.conversion_passed,
        });
        for (p, page_boxes) in bboxes.iter_mut().enumerate() {
            let boxes = if p == f.page {
                let page = &pages[p];
                f.candidate
                    .words
                    .iter()
                    .filter_map(|&w| page.words.get(w))
                    .map(|w| {
                        WordBox::normalised(
                            &w.bbox,
                            page.width,
                            page.height,
                            &w.text,
                            &field.label,
                            f.confidence,
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            };
            page_boxes.push(boxes);
        }
    }
    let pending = !(required_found && thresholds_met && conversions);
    DocumentResult {
        name: name.to_string(),
        all_required_fields_found: required_found,
        all_confidence_thresholds_met: thresholds_met,
        all_data_conversion_passed: conversions,
        credits_used: pages.len(),
        matches,
        bboxes,
        annotated_pages: None,
        hitl: Hitl {
            status: if pending { "pending" } else { "not_required" }.to_string(),
            result: vec![HitlResult { confidences }],
        },
    }
}

fn round2(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::fields::{Candidate, FieldType};
    use crate::extract::model::Weights;
    use crate::extract::{PageOrigin, Word};

    fn page() -> Page {
        Page {
            index: 0,
            width: 200.0,
            height: 100.0,
            words: vec![Word {
                text: "9.00".into(),
                bbox: BBox::new(50.0, 10.0, 100.0, 20.0),
                confidence: 0.9,
            }],
            origin: PageOrigin::Words,
            raster: None,
            raster_scale: 1.0,
        }
    }

    fn field(label: &str, required: bool, threshold: f32) -> FieldSpec {
        FieldSpec {
            label: label.into(),
            kind: FieldType::Amount,
            required,
            expected_confidence: threshold,
            anchors: Default::default(),
            exclude: Default::default(),
            weights: Weights::default(),
        }
    }

    fn found(confidence: f32, conversion_passed: bool) -> Option<Found> {
        let candidate = Candidate {
            line: 0,
            lines: 1,
            start: 0,
            end: 4,
            words: vec![0],
            text: "9.00".into(),
            value: "9.00".into(),
            conversion_passed,
        };
        Some(Found { page: 0, candidate, confidence })
    }

    #[test]
    fn hitl_status_rules() {
        let pages = [page()];
        let status =
            |fields: &[FieldSpec], found: &[Option<Found>]| document("d", &pages, fields, found).hitl.status;
        // Everything found, sure enough and converted: no person needed.
        assert_eq!(status(&[field("a", true, 80.0)], &[found(0.9, true)]), "not_required");
        // A required field missing.
        assert_eq!(status(&[field("a", true, 80.0)], &[None]), "pending");
        // An optional field missing is fine.
        assert_eq!(status(&[field("a", false, 80.0)], &[None]), "not_required");
        // A threshold not met.
        assert_eq!(status(&[field("a", false, 80.0)], &[found(0.79, true)]), "pending");
        // A conversion failed.
        assert_eq!(status(&[field("a", true, 50.0)], &[found(0.99, false)]), "pending");
        let doc = document(
            "d",
            &pages,
            &[field("a", true, 80.0), field("b", true, 80.0)],
            &[found(0.7, true), None],
        );
        assert!(
            !doc.all_required_fields_found
                && !doc.all_confidence_thresholds_met
                && doc.all_data_conversion_passed
        );
        let c = &doc.hitl.result[0].confidences;
        assert_eq!((c[0].expected_confidence, c[0].found, c[1].found), (80.0, 70.0, 0.0));
        assert_eq!(c[1].value, None);
        assert_eq!(doc.credits_used, 1);
    }

    #[test]
    fn boxes_are_normalised_corners() {
        let b = WordBox::normalised(&BBox::new(50.0, 10.0, 100.0, 20.0), 200.0, 100.0, "9.00", "total", 0.9);
        assert_eq!(
            (b.TLx, b.TLy, b.TRx, b.TRy, b.BRx, b.BRy, b.BLx, b.BLy),
            (0.25, 0.1, 0.5, 0.1, 0.5, 0.2, 0.25, 0.2)
        );
        // Out-of-page boxes are clamped, zero-size pages do not divide by zero.
        let b = WordBox::normalised(&BBox::new(-5.0, 0.0, 300.0, 120.0), 200.0, 100.0, "x", "l", 2.0);
        assert_eq!((b.TLx, b.BRx, b.BRy, b.confidence), (0.0, 1.0, 1.0, 1.0));
        let b = WordBox::normalised(&BBox::new(1.0, 1.0, 2.0, 2.0), 0.0, 0.0, "x", "l", 0.5);
        assert!(b.TLx.is_finite() && b.BRy <= 1.0);
        let json = serde_json::to_value(&b).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["TLx", "TLy", "TRx", "TRy", "BRx", "BRy", "BLx", "BLy", "text", "label", "confidence"]
        );
    }
}
