//! Learning a field's weights from annotated documents (the Studio's "mark a page as
//! annotated"): pages plus the expected value of each field.
//!
//! For each field the scorer is a conditional logit over the document's candidates (and
//! "none"), fitted by maximum likelihood with an L2 pull towards the manifest's prior
//! weights, so that a handful of examples adjusts rather than replaces the priors. A
//! candidate is a correct one when its value equals the answer as the evaluation compares
//! them ([`fields::same_value`]); when several are (a total printed twice), any of them
//! counts. Context tokens seen in fewer than two documents are not learned.

use crate::extract::fields;
use crate::extract::matcher::{self, Laid};
use crate::extract::model::{ExtractionModel, FieldSpec};
use crate::extract::score::{self, FEATURES};
use crate::extract::{pages, Page};
use crate::{Error, Result};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// One annotated document: its pages and the expected value per field label (a missing
/// label means the field is not on the document).
#[derive(Clone, Debug)]
pub struct Annotated {
    pub name: String,
    pub pages: Vec<Page>,
    pub answers: HashMap<String, String>,
}

/// Suffix of the answers file next to each `NAME.words.json` of an annotated folder.
pub const ANSWERS_SUFFIX: &str = ".answers.json";

/// Most annotated documents read from one folder.
const MAX_ANNOTATED: usize = 100_000;

/// What an annotated document may be: words read by another engine, or a file opinio reads
/// itself (a born-digital PDF, or a scan it OCRs).
const DOCUMENT_SUFFIXES: [&str; 8] =
    [".words.json", ".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"];

/// Reads an annotated folder: every document (`NAME.words.json`, or a PDF or image that is
/// then read as `opinio extract` reads it, OCR included) with its `NAME.answers.json`
/// (`{"label": "expected value", ...}`), sorted by name; documents are read in parallel. A
/// document without answers is an error, not a silent skip: it would teach that no field is
/// on the page.
pub fn read_annotated(dir: &Path, options: &pages::ReadOptions) -> Result<Vec<Annotated>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::from(e).with_path(dir))?;
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::from(e).with_path(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let lower = name.to_lowercase();
        let Some(suffix) = DOCUMENT_SUFFIXES.iter().find(|s| lower.ends_with(*s)) else { continue };
        let stem = name[..name.len() - suffix.len()].to_string();
        if let Some(other) = found.insert(stem.clone(), name.clone()) {
            return Err(Error::invalid_argument(format!(
                "{other} and {name} are both documents named {stem:?}; keep one, the answers file can only go with one"
            ))
            .with_path(dir));
        }
        if found.len() > MAX_ANNOTATED {
            return Err(
                Error::limit("annotated documents in a folder", found.len(), MAX_ANNOTATED).with_path(dir)
            );
        }
    }
    if found.is_empty() {
        return Err(Error::invalid_argument(format!(
            "{} holds no annotated documents (NAME.words.json, .pdf, .jpg, .png, .tiff, .webp); put each there with its NAME{ANSWERS_SUFFIX}",
            dir.display()
        )));
    }
    let found: Vec<(String, String)> = found.into_iter().collect();
    crate::parallel::try_map_each(&found, |(stem, file)| read_one(dir, stem, file, options))
}

/// One annotated document: its pages and its answers.
fn read_one(dir: &Path, stem: &str, file: &str, options: &pages::ReadOptions) -> Result<Annotated> {
    let answers_path = dir.join(format!("{stem}{ANSWERS_SUFFIX}"));
    let pages = pages::read_path_with(&dir.join(file), options)?;
    let bytes = std::fs::read(&answers_path).map_err(|e| Error::from(e).with_path(&answers_path))?;
    let raw: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes).map_err(|e| {
        Error::malformed(format!("answers do not parse: {e}; expected {{\"label\": \"value\", ...}}"))
            .with_path(&answers_path)
    })?;
    let mut answers = HashMap::new();
    for (label, v) in raw {
        match v {
            serde_json::Value::String(s) => {
                answers.insert(label, s);
            }
            serde_json::Value::Number(n) => {
                answers.insert(label, n.to_string());
            }
            serde_json::Value::Null => {}
            other => {
                return Err(Error::malformed(format!("answer for {label:?} is {other}, expected a string"))
                    .with_path(&answers_path))
            }
        }
    }
    Ok(Annotated { name: stem.to_string(), pages, answers })
}

/// How hard learning tries.
#[derive(Clone, Debug)]
pub struct LearnOptions {
    pub epochs: usize,
    pub learning_rate: f32,
    /// Strength of the pull towards the prior weights.
    pub l2: f32,
}

impl Default for LearnOptions {
    fn default() -> Self {
        LearnOptions { epochs: 150, learning_rate: 0.2, l2: 0.01 }
    }
}

/// What learning saw: per field, in how many documents the answer was among the
/// candidates (the ceiling of what scoring can reach).
#[derive(Clone, Debug, Default)]
pub struct LearnReport {
    pub reachable: BTreeMap<String, (usize, usize)>,
}

/// Learns every field's weights of `spec` from `docs`, returning the learned model.
pub fn learn(
    spec: &ExtractionModel,
    docs: &[Annotated],
    options: &LearnOptions,
) -> Result<(ExtractionModel, LearnReport)> {
    spec.validate()?;
    if docs.is_empty() {
        return Err(Error::invalid_argument(
            "no annotated documents to learn from; give at least one words.json with its answers",
        ));
    }
    let laid: Vec<Laid> = docs.iter().map(|d| Laid::new(&d.pages)).collect();
    let mut model = spec.clone();
    let mut report = LearnReport::default();
    for field in &mut model.fields {
        let (reached, total) = learn_field(field, docs, &laid, options);
        report.reachable.insert(field.label.clone(), (reached, total));
    }
    model.learned_from = docs.len();
    Ok((model, report))
}

/// One training document for one field: candidates (named features and token indices)
/// and the indices of the correct ones (empty: the answer is "none").
struct Example {
    values: Vec<[f32; FEATURES.len()]>,
    tokens: Vec<Vec<usize>>,
    correct: Vec<usize>,
}

fn learn_field(
    field: &mut FieldSpec,
    docs: &[Annotated],
    laid: &[Laid],
    opt: &LearnOptions,
) -> (usize, usize) {
    let mut raw = Vec::new();
    let (mut reached, mut total) = (0, 0);
    let mut doc_freq: HashMap<String, usize> = HashMap::new();
    for (doc, lay) in docs.iter().zip(laid) {
        let placed = matcher::placed(field, lay);
        let answer = doc.answers.get(&field.label).map(|s| s.trim()).filter(|s| !s.is_empty());
        let correct: Vec<usize> = match answer {
            Some(a) => placed
                .iter()
                .enumerate()
                .filter(|(_, p)| fields::same_value(field.kind, &p.candidate.value, a))
                .map(|(i, _)| i)
                .collect(),
            None => Vec::new(),
        };
        if answer.is_some() {
            total += 1;
            if correct.is_empty() {
                // The answer is not among the candidates: a finder miss, not a "none".
                continue;
            }
            reached += 1;
        }
        let mut seen = HashSet::new();
        for p in &placed {
            for t in &p.features.tokens {
                if seen.insert(t.clone()) {
                    *doc_freq.entry(t.clone()).or_default() += 1;
                }
            }
        }
        raw.push((placed, correct));
    }
    // Tokens become indices once, so that the epochs below are plain array arithmetic.
    let prior = field.weights.clone();
    let mut vocab: HashMap<String, usize> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut index = |t: &str, vocab: &mut HashMap<String, usize>| {
        *vocab.entry(t.to_string()).or_insert_with(|| {
            names.push(t.to_string());
            names.len() - 1
        })
    };
    for t in prior.tokens.keys() {
        index(t, &mut vocab);
    }
    let learnable = |t: &String| doc_freq.get(t).copied().unwrap_or(0) >= 2 || prior.tokens.contains_key(t);
    let examples: Vec<Example> = raw
        .into_iter()
        .map(|(placed, correct)| Example {
            values: placed.iter().map(|p| p.features.values).collect(),
            tokens: placed
                .iter()
                .map(|p| {
                    p.features.tokens.iter().filter(|t| learnable(t)).map(|t| index(t, &mut vocab)).collect()
                })
                .collect(),
            correct,
        })
        .collect();
    let mut w_feat: Vec<f32> =
        FEATURES.iter().map(|n| prior.features.get(*n).copied().unwrap_or(0.0)).collect();
    let prior_feat = w_feat.clone();
    let prior_tok: Vec<f32> = names.iter().map(|t| prior.tokens.get(t).copied().unwrap_or(0.0)).collect();
    let mut w_tok = prior_tok.clone();
    let n = examples.len().max(1) as f32;
    let mut g_tok = vec![0.0f32; names.len()];
    for epoch in 0..opt.epochs {
        let lr = opt.learning_rate / (1.0 + epoch as f32 / 50.0);
        let mut g_feat = vec![0.0f32; FEATURES.len()];
        g_tok.iter_mut().for_each(|g| *g = 0.0);
        for ex in &examples {
            let scores: Vec<f32> = ex
                .values
                .iter()
                .zip(&ex.tokens)
                .map(|(v, toks)| {
                    let s: f32 = v.iter().zip(&w_feat).map(|(v, w)| v * w).sum();
                    s + toks.iter().map(|&t| w_tok[t]).sum::<f32>()
                })
                .collect();
            let p = score::softmax_with_none(&scores);
            // Target: the probability mass of the correct candidates, spread as the model
            // spreads it (any correct one will do); all on "none" when there is none.
            let mass: f32 = ex.correct.iter().map(|&i| p[i]).sum::<f32>().max(1e-12);
            for (i, (v, toks)) in ex.values.iter().zip(&ex.tokens).enumerate() {
                let target = if ex.correct.contains(&i) { p[i] / mass } else { 0.0 };
                let d = (p[i] - target) / n;
                if d.abs() < 1e-7 {
                    continue;
                }
                for (g, v) in g_feat.iter_mut().zip(v) {
                    *g += d * v;
                }
                for &t in toks {
                    g_tok[t] += d;
                }
            }
        }
        for ((w, g), w0) in w_feat.iter_mut().zip(&g_feat).zip(&prior_feat) {
            *w -= lr * (g + opt.l2 * (*w - w0));
        }
        for ((w, g), w0) in w_tok.iter_mut().zip(&g_tok).zip(&prior_tok) {
            *w -= lr * (g + opt.l2 * (*w - w0));
        }
    }
    field.weights.features = FEATURES.iter().zip(w_feat).map(|(n, w)| (n.to_string(), round(w))).collect();
    field.weights.tokens =
        names.into_iter().zip(w_tok).map(|(k, w)| (k, round(w))).filter(|(_, w)| w.abs() >= 0.01).collect();
    (reached, total)
}

/// Four decimals: the manifest stays readable and diffs stay small.
fn round(w: f32) -> f32 {
    (w * 10_000.0).round() / 10_000.0
}
