//! Held-out evaluation of the shipped extraction specs.
//!
//! Receipts: 5-fold cross-validation over the 40 SROIE receipts of /work/shared (converted
//! by scripts/sroie_to_words.py from the dataset's own OCR lines); the bar on unseen
//! receipts is Hmean >= 0.85. End to end, the same folds learn from the words.json of 32
//! receipts and read the other 8 from their JPEGs through opinio's OCR; the bar is Hmean >=
//! 0.65 (about two minutes on 2 cores). Both skip with a note when the data or python3 is
//! absent.
//! Invoices: leave-one-language-out over the synthetic invoices in tests/fixtures, so each
//! language is read by a model that never saw an invoice in it.

use opinio::extract::evaluate::{self, Scores};
use opinio::extract::learn::{self, Annotated, LearnOptions};
use opinio::extract::ExtractionModel;
use std::path::{Path, PathBuf};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn spec(dir: &str) -> ExtractionModel {
    let bytes = std::fs::read(repo(dir).join("spec.json")).unwrap();
    ExtractionModel::from_json(&bytes).unwrap()
}

fn sroie_dir() -> PathBuf {
    std::env::var_os("OPINIO_SROIE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/data/sroie"))
}

#[test]
fn receipts_cross_validated_hmean() {
    let Some(out) = sroie_words() else { return };
    let docs = learn::read_annotated(out.path(), &Default::default()).unwrap();
    assert_eq!(docs.len(), 40);
    let scores =
        evaluate::cross_validate(&spec("models/receipts"), &docs, 5, &LearnOptions::default()).unwrap();
    report("receipts (5-fold cross-validation)", &scores);
    assert!(scores.hmean >= 0.85, "held-out Hmean {:.3} is under 0.85", scores.hmean);
}

/// The SROIE receipts as annotated words.json documents in a temporary folder, or `None`
/// (with a note) when the data or python3 is missing.
fn sroie_words() -> Option<tempfile::TempDir> {
    let src = sroie_dir();
    if !src.join("box").is_dir() {
        eprintln!("note: {} not found, skipping the SROIE evaluation", src.display());
        return None;
    }
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("python3")
        .arg(repo("scripts/sroie_to_words.py"))
        .arg(&src)
        .arg(out.path())
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("note: python3 scripts/sroie_to_words.py failed or python3 is missing, skipping");
        return None;
    }
    Some(out)
}

#[test]
fn receipts_end_to_end_from_the_scans() {
    let Some(words) = sroie_words() else { return };
    let spec = spec("models/receipts");
    let docs = learn::read_annotated(words.path(), &Default::default()).unwrap();
    assert_eq!(docs.len(), 40);
    // Fold i holds documents i, i + 5, ... as in evaluate::cross_validate (names sorted).
    let k = 5;
    let mut total = Scores::default();
    for fold in 0..k {
        let train: Vec<Annotated> =
            docs.iter().enumerate().filter(|(i, _)| i % k != fold).map(|(_, d)| d.clone()).collect();
        let (model, _) = learn::learn(&spec, &train, &LearnOptions::default()).unwrap();
        let scans = tempfile::tempdir().unwrap();
        for d in docs.iter().enumerate().filter(|(i, _)| i % k == fold).map(|(_, d)| d) {
            let name = &d.name;
            std::fs::copy(
                sroie_dir().join(format!("img/{name}.jpg")),
                scans.path().join(format!("{name}.jpg")),
            )
            .unwrap();
            let answers = format!("{name}{}", learn::ANSWERS_SUFFIX);
            std::fs::copy(words.path().join(&answers), scans.path().join(&answers)).unwrap();
        }
        let test = learn::read_annotated(scans.path(), &spec.read_options()).unwrap();
        total.merge(evaluate::evaluate(&model, &test).unwrap());
    }
    report("receipts end to end (5 folds, learned on words.json, read from the JPEGs)", &total);
    assert!(total.hmean >= 0.65, "end-to-end Hmean {:.3} is under 0.65", total.hmean);
}

#[test]
fn invoices_leave_one_language_out() {
    let docs = learn::read_annotated(&repo("tests/fixtures/extract/invoices"), &Default::default()).unwrap();
    let spec = spec("models/invoices");
    let mut total = Scores::default();
    let mut per_lang = Vec::new();
    for lang in ["en", "de", "fr", "nl", "pl"] {
        let (test, train): (Vec<Annotated>, Vec<Annotated>) =
            docs.iter().cloned().partition(|d| d.name.starts_with(&format!("{lang}-")));
        let (model, _) = learn::learn(&spec, &train, &LearnOptions::default()).unwrap();
        let s = evaluate::evaluate(&model, &test).unwrap();
        per_lang.push((lang, s.hmean));
        total.merge(s);
    }
    report("invoices (leave one language out)", &total);
    eprintln!("per language: {per_lang:?}");
    // Accuracy over the four contract fields and the issuer, on languages never seen.
    assert!(total.recall >= 0.8, "held-out field accuracy {:.3} is under 0.8", total.recall);
}

fn report(what: &str, s: &Scores) {
    eprintln!("{what}: precision {:.3} recall {:.3} hmean {:.3}", s.precision, s.recall, s.hmean);
    for (label, (c, r, e)) in &s.fields {
        eprintln!("  {label}: {c} correct, {r} returned, {e} expected");
    }
    for m in &s.misses {
        eprintln!("  miss {m}");
    }
}
