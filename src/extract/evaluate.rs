//! Evaluation as the SROIE task 3 scores it: a field counts when its value equals the
//! answer (case and spacing ignored, amounts as numbers, dates as dates); precision is
//! over the fields returned, recall over the fields expected, Hmean their harmonic mean.
//! Cross-validation learns on k-1 folds and scores the held-out one, so every document is
//! scored by a model that never saw it.

use crate::extract::fields;
use crate::extract::learn::{self, Annotated, LearnOptions};
use crate::extract::model::ExtractionModel;
use crate::extract::{ExtractOptions, Extractor};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts of one evaluation, overall and per field.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Scores {
    pub documents: usize,
    pub correct: usize,
    pub returned: usize,
    pub expected: usize,
    pub precision: f64,
    pub recall: f64,
    pub hmean: f64,
    /// Per field label: (correct, returned, expected).
    pub fields: BTreeMap<String, (usize, usize, usize)>,
    /// Held-out misses, `document: label: found -> expected`, for error analysis.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub misses: Vec<String>,
}

impl Scores {
    /// Adds another evaluation's counts (another fold) to these.
    pub fn merge(&mut self, other: Scores) {
        self.documents += other.documents;
        for (k, (c, r, e)) in other.fields {
            let f = self.fields.entry(k).or_default();
            f.0 += c;
            f.1 += r;
            f.2 += e;
        }
        self.misses.extend(other.misses);
        self.finish();
    }

    fn finish(&mut self) {
        self.correct = self.fields.values().map(|f| f.0).sum();
        self.returned = self.fields.values().map(|f| f.1).sum();
        self.expected = self.fields.values().map(|f| f.2).sum();
        self.precision = ratio(self.correct, self.returned);
        self.recall = ratio(self.correct, self.expected);
        self.hmean = if self.precision + self.recall > 0.0 {
            2.0 * self.precision * self.recall / (self.precision + self.recall)
        } else {
            0.0
        };
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Scores `model` on annotated documents.
pub fn evaluate(model: &ExtractionModel, docs: &[Annotated]) -> Result<Scores> {
    let extractor = Extractor::from_model(model.clone())?;
    let mut scores = Scores { documents: docs.len(), ..Scores::default() };
    for doc in docs {
        let result = extractor.document(&doc.name, &doc.pages, &ExtractOptions::default())?;
        for field in &model.fields {
            let expected = doc.answers.get(&field.label).map(|s| s.trim()).filter(|s| !s.is_empty());
            let found = result.matches.iter().find(|m| m.label == field.label);
            let counts = scores.fields.entry(field.label.clone()).or_default();
            let ok = match (found, expected) {
                (Some(m), Some(e)) => fields::same_value(field.kind, &m.value, e),
                _ => false,
            };
            counts.0 += ok as usize;
            counts.1 += found.is_some() as usize;
            counts.2 += expected.is_some() as usize;
            if !ok && (found.is_some() || expected.is_some()) {
                scores.misses.push(format!(
                    "{}: {}: {:?} -> {:?}",
                    doc.name,
                    field.label,
                    found.map(|m| m.value.as_str()),
                    expected
                ));
            }
        }
    }
    scores.finish();
    Ok(scores)
}

/// k-fold cross-validation: fold `i` holds documents `i, i + k, i + 2k, ...`.
pub fn cross_validate(
    spec: &ExtractionModel,
    docs: &[Annotated],
    k: usize,
    options: &LearnOptions,
) -> Result<Scores> {
    if k < 2 || k > docs.len() {
        return Err(Error::invalid_argument(format!(
            "cross-validation needs 2 <= folds <= documents, got {k} folds for {} documents",
            docs.len()
        )));
    }
    let mut total = Scores::default();
    for fold in 0..k {
        let (test, train): (Vec<(usize, &Annotated)>, Vec<(usize, &Annotated)>) =
            docs.iter().enumerate().partition(|(i, _)| i % k == fold);
        let train: Vec<Annotated> = train.into_iter().map(|(_, d)| d.clone()).collect();
        let test: Vec<Annotated> = test.into_iter().map(|(_, d)| d.clone()).collect();
        let (model, _) = learn::learn(spec, &train, options)?;
        total.merge(evaluate(&model, &test)?);
    }
    Ok(total)
}
