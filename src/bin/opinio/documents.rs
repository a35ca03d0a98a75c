//! The document commands: `extract` fields, `read` words, `learn-fields` from annotated
//! documents.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use opinio::extract::{evaluate, learn, ExtractOptions, ExtractionModel, Extractor, OcrEngine, ReadOptions};
use opinio::{Error, ErrorKind};
use serde_json::{json, Map, Value};

use crate::args::{limits, words_only};
use crate::write_value;

#[derive(Args)]
pub struct ExtractArgs {
    /// The extraction model folder (e.g. models/receipts).
    #[arg(long)]
    model: PathBuf,
    /// Add each page as a base64 PNG with the found fields drawn.
    #[arg(long)]
    annotated_pages: bool,
    /// The documents, one response entry each, in this order.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

impl ExtractArgs {
    /// Writes the extraction response for all the files.
    pub fn run(self, out: impl Write) -> Result<(), Error> {
        let extractor = Extractor::load(&self.model)?;
        let options =
            ExtractOptions::default().with_annotated_pages(self.annotated_pages).with_limits(limits());
        write_value(out, &extractor.extract_paths(&self.files, &options)?)
    }
}

#[derive(Args)]
pub struct ReadArgs {
    /// Read as this extraction model reads (its OCR engine, languages and layout).
    #[arg(long)]
    model: Option<PathBuf>,
    /// The OCR engine: ppocr (default, in-process) or tesseract (needs the cargo
    /// feature `tesseract`); overrides the model's.
    #[arg(long)]
    engine: Option<OcrEngine>,
    /// PDFs or images (JPEG, PNG, TIFF, WEBP).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

impl ReadArgs {
    /// Writes each file's words, one line each.
    pub fn run(self, mut out: impl Write) -> Result<(), Error> {
        let mut options = words_only(match &self.model {
            Some(dir) => ExtractionModel::load(dir)?.read_options(),
            None => ReadOptions::default(),
        });
        if let Some(engine) = self.engine {
            options.engine = engine;
        }
        for file in &self.files {
            let pages = opinio::extract::pages::read_path_with(file, &options)?;
            write_value(&mut out, &opinio::extract::pages::words_json(&pages))?;
        }
        Ok(())
    }
}

#[derive(Args)]
pub struct LearnFieldsArgs {
    /// The spec: an extraction manifest (fields, anchors, prior weights), or a model folder.
    #[arg(long)]
    spec: PathBuf,
    /// The folder of annotated documents.
    #[arg(long)]
    annotated: PathBuf,
    /// The model folder to write.
    #[arg(long, required_unless_present_any = ["folds", "test"])]
    out: Option<PathBuf>,
    /// Also cross-validate with this many folds and report the held-out scores.
    #[arg(long)]
    folds: Option<usize>,
    /// Also score the learned model on this folder of annotated documents (read as the
    /// model reads them: e.g. scans, when it learned from words.json) and report it as
    /// `test`.
    #[arg(long)]
    test: Option<PathBuf>,
}

impl LearnFieldsArgs {
    /// Learns (and saves, with `--out`), cross-validates and tests as asked; writes the report.
    pub fn run(self, out: impl Write) -> Result<(), Error> {
        let spec = if self.spec.is_dir() {
            ExtractionModel::load(&self.spec)?
        } else {
            let bytes = std::fs::read(&self.spec).map_err(|e| Error::from(e).with_path(&self.spec))?;
            ExtractionModel::from_json(&bytes).map_err(|e| e.with_path(&self.spec))?
        };
        let docs = learn::read_annotated(&self.annotated, &words_only(spec.read_options()))?;
        let options = learn::LearnOptions::default();
        let mut report = Map::new();
        report.insert("model".into(), json!(spec.name));
        report.insert("documents".into(), json!(docs.len()));
        if let Some(k) = self.folds {
            let scores = evaluate::cross_validate(&spec, &docs, k, &options)?;
            report.insert("cross_validation".into(), to_value(scores)?);
        }
        if self.out.is_some() || self.test.is_some() {
            let (model, learned) = learn::learn(&spec, &docs, &options)?;
            report.insert("reachable".into(), json!(learned.reachable));
            if let Some(test) = &self.test {
                let test_docs = learn::read_annotated(test, &words_only(spec.read_options()))?;
                report.insert("test".into(), to_value(evaluate::evaluate(&model, &test_docs)?)?);
            }
            if let Some(dir) = &self.out {
                model.save(dir)?;
                report.insert("out".into(), json!(dir));
            }
        }
        write_value(out, &Value::Object(report))
    }
}

fn to_value(value: impl serde::Serialize) -> Result<Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))
}
