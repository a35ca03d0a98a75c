//! What an extraction report shows, read from the extraction response: each field's status
//! in each document (found, needs review, missing), the counts per field, and each page's
//! image and field boxes.
//!
//! A field is *found* when it has a match whose confidence met its threshold and whose
//! value converted, *needs review* when it has a match that missed either, and *missing*
//! when the document's `hitl` lists it without a match. The flags and totals at the top of
//! the response are not trusted: everything is counted from the documents.

use serde_json::Value;

use crate::{Error, Result};

/// A field's status in one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Found,
    Review,
    Missing,
}

impl Status {
    /// Every status, in the order the charts stack them.
    pub const ALL: [Status; 3] = [Status::Found, Status::Review, Status::Missing];

    /// The name in `data-status` and the table's filter.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Found => "found",
            Status::Review => "needs review",
            Status::Missing => "missing",
        }
    }
}

/// The extraction response, per document and per field; text is borrowed from it.
#[derive(Debug)]
pub struct Extraction<'a> {
    pub model: &'a str,
    pub documents: Vec<Doc<'a>>,
    /// Field labels in order of first appearance.
    pub fields: Vec<&'a str>,
    /// Per field (same order): documents where it was found, needs review, is missing.
    pub counts: Vec<[usize; 3]>,
}

/// One document.
#[derive(Debug)]
pub struct Doc<'a> {
    pub name: String,
    /// `hitl.status`: `pending` or `not_required`.
    pub hitl: &'a str,
    pub credits: usize,
    pub fields: Vec<Field<'a>>,
    pub pages: Vec<PageView<'a>>,
}

/// One field of one document.
#[derive(Debug)]
pub struct Field<'a> {
    pub label: &'a str,
    pub status: Status,
    pub value: Option<&'a str>,
    pub text: Option<&'a str>,
    /// In `[0, 1]`.
    pub confidence: Option<f64>,
    /// The threshold, in percent.
    pub expected: Option<f64>,
    pub page: Option<u64>,
    pub required: Option<bool>,
}

/// One page: its annotated image (base64 PNG), when the response has it, and its boxes.
#[derive(Debug, Default)]
pub struct PageView<'a> {
    pub image: Option<&'a str>,
    /// `(label, text, [x0, y0, x1, y1])`, normalised to the page.
    pub boxes: Vec<(&'a str, &'a str, [f64; 4])>,
}

impl<'a> Extraction<'a> {
    /// Reads `value`, an extraction response (`{"model", "documents": [{"matches", "hitl", ...}]}`).
    pub fn from_value(value: &'a Value) -> Result<Extraction<'a>> {
        let docs = value
            .get("documents")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::malformed("extraction has no \"documents\" array"))?;
        let mut x = Extraction {
            model: value.get("model").and_then(Value::as_str).unwrap_or("extraction"),
            documents: Vec::with_capacity(docs.len()),
            fields: Vec::new(),
            counts: Vec::new(),
        };
        for (d, doc) in docs.iter().enumerate() {
            let doc = document(d, doc)?;
            for f in &doc.fields {
                let i = match x.fields.iter().position(|l| *l == f.label) {
                    Some(i) => i,
                    None => {
                        x.fields.push(f.label);
                        x.counts.push([0; 3]);
                        x.fields.len() - 1
                    }
                };
                x.counts[i][f.status as usize] += 1;
            }
            x.documents.push(doc);
        }
        Ok(x)
    }

    /// Documents a person should check (`hitl.status` is `pending`).
    pub fn pending(&self) -> usize {
        self.documents.iter().filter(|d| d.hitl == "pending").count()
    }

    /// Fields with `status` over all documents.
    pub fn total(&self, status: Status) -> usize {
        self.counts.iter().map(|c| c[status as usize]).sum()
    }
}

fn document(d: usize, doc: &Value) -> Result<Doc<'_>> {
    let bad = |what: &str| Error::malformed(format!("document {}: {what}", d + 1));
    if !doc.is_object() {
        return Err(bad("is not an object"));
    }
    let list = |key: &str| -> Result<&[Value]> {
        match doc.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(v) => v.as_array().map(Vec::as_slice).ok_or_else(|| bad(&format!("{key} is not an array"))),
        }
    };
    let name =
        doc.get("name").and_then(Value::as_str).map_or_else(|| format!("document {}", d + 1), str::to_string);
    let mut fields: Vec<Field> = Vec::new();
    for m in list("matches")? {
        let label = m.get("label").and_then(Value::as_str).ok_or_else(|| bad("a match has no label"))?;
        let ok = |key: &str| m.get(key).and_then(Value::as_bool).unwrap_or(true);
        let status =
            if ok("threshold_met") && ok("conversion_passed") { Status::Found } else { Status::Review };
        fields.push(Field {
            label,
            status,
            value: m.get("value").and_then(Value::as_str),
            text: m.get("text").and_then(Value::as_str),
            confidence: m.get("confidence").and_then(Value::as_f64),
            expected: None,
            page: m.get("page").and_then(Value::as_u64),
            required: m.get("required").and_then(Value::as_bool),
        });
    }
    let hitl = doc.get("hitl");
    let confidences = hitl
        .and_then(|h| h.get("result"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("confidences").and_then(Value::as_array))
        .flatten();
    for c in confidences {
        let Some(label) = c.get("label").and_then(Value::as_str) else { continue };
        let expected = c.get("expected_confidence").and_then(Value::as_f64);
        if let Some(f) = fields.iter_mut().find(|f| f.label == label && f.expected.is_none()) {
            f.expected = expected;
            continue;
        }
        // Listed without a match: missing, unless the entry itself carries a value.
        let value = c.get("value").and_then(Value::as_str);
        let found = c.get("found").and_then(Value::as_f64);
        let status = match (value, found, expected) {
            (None, ..) => Status::Missing,
            (Some(_), Some(f), Some(e)) if f < e => Status::Review,
            _ => Status::Found,
        };
        let confidence = value.and(found).map(|f| f / 100.0);
        fields.push(Field {
            label,
            status,
            value,
            text: None,
            confidence,
            expected,
            page: None,
            required: None,
        });
    }
    let images = list("annotated_pages")?;
    let bboxes = list("bboxes")?;
    let mut pages: Vec<PageView> = (0..images.len().max(bboxes.len())).map(|_| PageView::default()).collect();
    for (p, image) in images.iter().enumerate() {
        pages[p].image = image.as_str().filter(|s| is_base64(s));
    }
    for (p, per_match) in bboxes.iter().enumerate() {
        let words = per_match.as_array().into_iter().flatten().filter_map(Value::as_array).flatten();
        for w in words {
            let n = |k: &str| w.get(k).and_then(Value::as_f64);
            let xs = [n("TLx"), n("TRx"), n("BRx"), n("BLx")];
            let ys = [n("TLy"), n("TRy"), n("BRy"), n("BLy")];
            let (Some(xs), Some(ys)) =
                (xs.into_iter().collect::<Option<Vec<f64>>>(), ys.into_iter().collect::<Option<Vec<f64>>>())
            else {
                continue;
            };
            let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min).clamp(0.0, 1.0);
            let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max).clamp(0.0, 1.0);
            let label = w.get("label").and_then(Value::as_str).unwrap_or("");
            let text = w.get("text").and_then(Value::as_str).unwrap_or("");
            pages[p].boxes.push((label, text, [min(&xs), min(&ys), max(&xs), max(&ys)]));
        }
    }
    Ok(Doc {
        name,
        hitl: hitl.and_then(|h| h.get("status")).and_then(Value::as_str).unwrap_or(""),
        credits: doc.get("credits_used").and_then(Value::as_u64).unwrap_or(pages.len() as u64) as usize,
        fields,
        pages,
    })
}

/// Whether `s` is plain base64 (so that it cannot end the `src` attribute it goes into).
fn is_base64(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(name: &str, matches: Value, confidences: Value) -> Value {
        json!({"name": name, "credits_used": 1, "matches": matches, "bboxes": [],
               "hitl": {"status": "pending", "result": [{"confidences": confidences}]}})
    }

    fn m(label: &str, threshold_met: bool, conversion_passed: bool) -> Value {
        json!({"label": label, "value": "v", "text": "t", "confidence": 0.9, "page": 0, "required": true,
               "threshold_met": threshold_met, "conversion_passed": conversion_passed})
    }

    fn c(label: &str, value: Option<&str>) -> Value {
        json!({"label": label, "value": value, "expected_confidence": 70.0, "found": 90.0})
    }

    #[test]
    fn field_counts_per_status() {
        let v = json!({"model": "invoices", "documents": [
            doc("a", json!([m("date", true, true), m("total", false, true)]),
                json!([c("date", Some("v")), c("total", Some("v")), c("iban", None)])),
            doc("b", json!([m("date", true, false)]),
                json!([c("date", Some("v")), c("total", None), c("iban", None)])),
        ]});
        let x = Extraction::from_value(&v).unwrap();
        assert_eq!(x.fields, ["date", "total", "iban"]);
        // found, needs review, missing
        assert_eq!(x.counts, [[1, 1, 0], [0, 1, 1], [0, 0, 2]]);
        assert_eq!((x.total(Status::Found), x.total(Status::Missing), x.pending()), (1, 3, 2));
        assert_eq!(x.documents[0].fields[0].expected, Some(70.0));
    }

    #[test]
    fn pages_keep_images_and_boxes() {
        let mut d = doc("a", json!([m("date", true, true)]), json!([c("date", Some("v"))]));
        d["annotated_pages"] = json!(["iVBORw0KGgo=", "\"><script>"]);
        d["bboxes"] = json!([[[{"TLx": 0.1, "TLy": 0.2, "TRx": 0.3, "TRy": 0.2, "BRx": 0.3, "BRy": 0.25,
                                "BLx": 0.1, "BLy": 0.25, "text": "1.1.2025", "label": "date", "confidence": 0.9}]], [[]]]);
        let v = json!({"documents": [d]});
        let x = Extraction::from_value(&v).unwrap();
        let pages = &x.documents[0].pages;
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].image, Some("iVBORw0KGgo="));
        assert_eq!(pages[1].image, None, "not base64: dropped");
        assert_eq!(pages[0].boxes, [("date", "1.1.2025", [0.1, 0.2, 0.3, 0.25])]);
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(Extraction::from_value(&json!({"documents": [3]})).is_err());
        let v = json!({"documents": [{"matches": [{"value": "x"}]}]});
        assert!(Extraction::from_value(&v)
            .unwrap_err()
            .to_string()
            .contains("document 1: a match has no label"));
    }
}
