//! What an analysis report shows, counted from the analysis response: tags per class and
//! label, the same per period when documents carry dates, the most confident segments of
//! each class and label, and the rows of the table.
//!
//! A count is a number of tags: a segment tagged `food`/`POS` and `staff`/`NEG` counts once
//! for each. LABEL models' tags have no class and CLASS models' no label; both are kept as
//! `None`, never invented.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::dates::{self, Timeline};
use crate::{Error, Result};

/// Examples kept per class and label.
pub const EXAMPLES: usize = 3;
/// Rows of the table at most; the charts count every tag.
pub const MAX_ROWS: usize = 2000;

/// The counted analysis; text is borrowed from the response.
#[derive(Debug)]
pub struct Analysis<'a> {
    pub model: &'a str,
    pub model_type: &'a str,
    pub documents: usize,
    pub segments: usize,
    /// Segments without any tag.
    pub untagged: usize,
    pub tags: usize,
    /// Classes in order of first appearance (`None`: tags without a class).
    pub classes: Vec<Option<&'a str>>,
    /// Labels in order of first appearance (`None`: tags without a label).
    pub labels: Vec<Option<&'a str>>,
    /// Tags per `(class, label)` index pair.
    pub counts: HashMap<(usize, usize), usize>,
    pub timeline: Option<Timeline>,
    /// Tags per `(period, class, label)`.
    pub by_period: HashMap<(usize, usize, usize), usize>,
    /// The most confident tags per `(class, label)`, most confident first.
    pub examples: HashMap<(usize, usize), Vec<Tagged<'a>>>,
    /// The first [`MAX_ROWS`] tags, in document order.
    pub rows: Vec<Tagged<'a>>,
}

/// One tag on one segment, with what is needed to show it.
#[derive(Clone, Debug)]
pub struct Tagged<'a> {
    pub doc_id: String,
    pub doc_text: &'a str,
    pub segment: &'a str,
    /// The segment's code-point span in the document text, when given.
    pub span: Option<[usize; 2]>,
    pub class: usize,
    pub label: usize,
    pub confidence: Option<f64>,
}

impl<'a> Analysis<'a> {
    /// Counts `value`, an analysis response (`{"model", "type", "documents"}`).
    pub fn from_value(value: &'a Value) -> Result<Analysis<'a>> {
        let docs = value
            .get("documents")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::malformed("analysis has no \"documents\" array"))?;
        let mut a = Analysis {
            model: value.get("model").and_then(Value::as_str).unwrap_or("analysis"),
            model_type: value.get("type").and_then(Value::as_str).unwrap_or(""),
            documents: docs.len(),
            segments: 0,
            untagged: 0,
            tags: 0,
            classes: Vec::new(),
            labels: Vec::new(),
            counts: HashMap::new(),
            timeline: None,
            by_period: HashMap::new(),
            examples: HashMap::new(),
            rows: Vec::new(),
        };
        let mut metas: Vec<Option<&Map<String, Value>>> = Vec::with_capacity(docs.len());
        for (d, doc) in docs.iter().enumerate() {
            let doc = doc.as_object().ok_or_else(|| at(d, None, "is not an object"))?;
            metas.push(doc.get("meta").and_then(Value::as_object));
        }
        a.timeline = dates::timeline(&metas);
        for (d, doc) in docs.iter().enumerate() {
            a.add_document(d, doc)?;
        }
        Ok(a)
    }

    fn add_document(&mut self, d: usize, doc: &'a Value) -> Result<()> {
        let doc_text = match doc.get("text") {
            None | Some(Value::Null) => return Err(at(d, None, "has no text")),
            Some(v) => v.as_str().ok_or_else(|| at(d, None, "text is not a string"))?,
        };
        let doc_id = match doc.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => format!("#{}", d + 1),
        };
        let period = self.timeline.as_ref().and_then(|t| t.of_document[d]);
        let segments = match doc.get("segments") {
            None | Some(Value::Null) => return Ok(()),
            Some(v) => v.as_array().ok_or_else(|| at(d, None, "segments is not an array"))?,
        };
        for (s, seg) in segments.iter().enumerate() {
            self.segments += 1;
            let text =
                seg.get("text").and_then(Value::as_str).ok_or_else(|| at(d, Some(s), "has no text"))?;
            let span = seg.get("span").and_then(|v| {
                let a = v.as_array()?;
                match a.as_slice() {
                    [s, e] => Some([s.as_u64()? as usize, e.as_u64()? as usize]),
                    _ => None,
                }
            });
            let tags = match seg.get("tags") {
                None | Some(Value::Null) => &[][..],
                Some(v) => v.as_array().ok_or_else(|| at(d, Some(s), "tags is not an array"))?.as_slice(),
            };
            let mut tagged = false;
            for tag in tags {
                let part = |key: &str| -> Result<Option<&'a str>> {
                    match tag.get(key) {
                        None | Some(Value::Null) => Ok(None),
                        Some(Value::String(v)) => Ok(Some(v.as_str())),
                        Some(_) => Err(at(d, Some(s), &format!("has a tag whose {key} is not a string"))),
                    }
                };
                let (class, label) = (part("class")?, part("label")?);
                if class.is_none() && label.is_none() {
                    continue;
                }
                let confidence = match tag.get("confidence") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(
                        v.as_f64()
                            .ok_or_else(|| at(d, Some(s), "has a tag whose confidence is not a number"))?,
                    ),
                };
                tagged = true;
                self.tags += 1;
                let class = intern(&mut self.classes, class);
                let label = intern(&mut self.labels, label);
                *self.counts.entry((class, label)).or_default() += 1;
                if let Some(p) = period {
                    *self.by_period.entry((p, class, label)).or_default() += 1;
                }
                let item = Tagged {
                    doc_id: doc_id.clone(),
                    doc_text,
                    segment: text,
                    span,
                    class,
                    label,
                    confidence,
                };
                keep_best(self.examples.entry((class, label)).or_default(), &item);
                if self.rows.len() < MAX_ROWS {
                    self.rows.push(item);
                }
            }
            if !tagged {
                self.untagged += 1;
            }
        }
        Ok(())
    }

    /// Tags of class `c` and label `l`.
    pub fn count(&self, c: usize, l: usize) -> usize {
        self.counts.get(&(c, l)).copied().unwrap_or(0)
    }

    /// Tags of class `c`, all labels.
    pub fn class_total(&self, c: usize) -> usize {
        (0..self.labels.len()).map(|l| self.count(c, l)).sum()
    }

    /// Class indices, most tags first (ties in order of appearance).
    pub fn class_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.classes.len()).collect();
        order.sort_by_key(|&c| std::cmp::Reverse(self.class_total(c)));
        order
    }

    /// Label indices: ABSA's `POS`, `NEG`, `NEU`, `CON` first, then the others as they appeared.
    pub fn label_order(&self) -> Vec<usize> {
        let rank = |l: &usize| match self.labels[*l] {
            Some("POS") => 0,
            Some("NEG") => 1,
            Some("NEU") => 2,
            Some("CON") => 3,
            _ => 4,
        };
        let mut order: Vec<usize> = (0..self.labels.len()).collect();
        order.sort_by_key(rank);
        order
    }

    /// Whether the tags carry labels (all but CLASS models).
    pub fn has_labels(&self) -> bool {
        self.labels.iter().any(Option::is_some)
    }

    /// Whether the tags carry classes (all but LABEL models).
    pub fn has_classes(&self) -> bool {
        self.classes.iter().any(Option::is_some)
    }
}

fn intern<'a>(names: &mut Vec<Option<&'a str>>, name: Option<&'a str>) -> usize {
    match names.iter().position(|n| *n == name) {
        Some(i) => i,
        None => {
            names.push(name);
            names.len() - 1
        }
    }
}

/// Keeps `best` at the [`EXAMPLES`] most confident, most confident first; among equals,
/// the first seen.
fn keep_best<'a>(best: &mut Vec<Tagged<'a>>, item: &Tagged<'a>) {
    let key = |t: &Tagged| t.confidence.unwrap_or(f64::NEG_INFINITY);
    let at = best.iter().position(|b| key(item) > key(b)).unwrap_or(best.len());
    if at < EXAMPLES {
        best.insert(at, item.clone());
        best.truncate(EXAMPLES);
    }
}

/// An error about document `d` (and segment `s`), 1-based in the message.
fn at(d: usize, s: Option<usize>, what: &str) -> Error {
    match s {
        Some(s) => Error::malformed(format!("document {}, segment {}: {what}", d + 1, s + 1)),
        None => Error::malformed(format!("document {}: {what}", d + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({"model": "restaurants", "type": "ABSA", "documents": [
            {"id": 1, "text": "Great pasta. Rude waiter.", "meta": {"date": "2025-01-10"}, "segments": [
                {"text": "Great pasta.", "span": [0, 12], "tags": [
                    {"class": "food", "label": "POS", "confidence": 0.9}]},
                {"text": "Rude waiter.", "span": [13, 25], "tags": [
                    {"class": "staff", "label": "NEG", "confidence": 0.8},
                    {"class": "food", "label": "NEU", "confidence": 0.3}]}]},
            {"id": "b", "text": "Pasta was fine.", "meta": {"date": "2025-03-02"}, "segments": [
                {"text": "Pasta was fine.", "span": [0, 15], "tags": [
                    {"class": "food", "label": "POS", "confidence": 0.95}]}]},
            {"text": "Nothing.", "segments": [{"text": "Nothing.", "span": [0, 8], "tags": []}]}
        ]})
    }

    fn idx(names: &[Option<&str>], name: &str) -> usize {
        names.iter().position(|n| *n == Some(name)).unwrap()
    }

    #[test]
    fn counts_equal_the_tags_in_the_json() {
        let v = sample();
        let a = Analysis::from_value(&v).unwrap();
        assert_eq!((a.documents, a.segments, a.untagged, a.tags), (3, 4, 1, 4));
        let (food, staff) = (idx(&a.classes, "food"), idx(&a.classes, "staff"));
        let (pos, neg, neu) = (idx(&a.labels, "POS"), idx(&a.labels, "NEG"), idx(&a.labels, "NEU"));
        assert_eq!((a.count(food, pos), a.count(food, neu), a.count(food, neg)), (2, 1, 0));
        assert_eq!(a.count(staff, neg), 1);
        assert_eq!(a.class_order(), [food, staff]);
        assert_eq!(a.label_order(), [pos, neg, neu]);
        // The most confident first; ids as given, or the position.
        let ex = &a.examples[&(food, pos)];
        assert_eq!((ex[0].doc_id.as_str(), ex[1].doc_id.as_str()), ("b", "1"));
        assert_eq!(a.rows.len(), 4);
    }

    #[test]
    fn dates_in_meta_give_counts_per_period() {
        let v = sample();
        let a = Analysis::from_value(&v).unwrap();
        let t = a.timeline.as_ref().unwrap();
        assert_eq!(t.periods, ["2025-01", "2025-02", "2025-03"]);
        let (food, pos) = (idx(&a.classes, "food"), idx(&a.labels, "POS"));
        assert_eq!(a.by_period.get(&(0, food, pos)), Some(&1));
        assert_eq!(a.by_period.get(&(2, food, pos)), Some(&1));
        assert_eq!(a.by_period.get(&(1, food, pos)), None);
        assert_eq!(a.by_period.values().sum::<usize>(), 4, "the undated document is left out");
    }

    #[test]
    fn label_and_class_models_keep_missing_parts_as_none() {
        let v = json!({"type": "LABEL", "documents": [{"text": "a", "segments": [
            {"text": "a", "span": [0, 1], "tags": [{"label": "urgent"}]}]}]});
        let a = Analysis::from_value(&v).unwrap();
        assert_eq!((a.classes.as_slice(), a.labels.as_slice()), (&[None][..], &[Some("urgent")][..]));
        assert!(!a.has_classes() && a.has_labels());
        let v = json!({"type": "CLASS", "documents": [{"text": "a", "segments": [
            {"text": "a", "span": [0, 1], "tags": [{"class": "x"}, {"class": "y"}]}]}]});
        let a = Analysis::from_value(&v).unwrap();
        assert_eq!(a.labels, [None]);
        assert_eq!((a.count(0, 0), a.count(1, 0)), (1, 1));
    }

    #[test]
    fn bad_shapes_name_the_document_and_segment() {
        let err = |v: Value| Analysis::from_value(&v).unwrap_err().to_string();
        assert!(err(json!({"documents": 3})).contains("\"documents\" array"));
        assert!(err(json!({"documents": [1]})).contains("document 1: is not an object"));
        assert!(err(json!({"documents": [{"name": "food"}]})).contains("document 1: has no text"));
        let v = json!({"documents": [{"text": "a"}, {"text": "b", "segments": [
            {"text": "b", "tags": [{"class": 7}]}]}]});
        assert!(err(v).contains("document 2, segment 1: has a tag whose class is not a string"));
    }
}
