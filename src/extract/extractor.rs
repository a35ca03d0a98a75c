//! The thin top-level type: a loaded extraction model that reads files into pages, finds
//! each field and builds the response.
//!
//! ```no_run
//! use opinio::extract::{ExtractOptions, Extractor};
//! let extractor = Extractor::load("models/receipts")?;
//! let response = extractor.extract_path("receipt.words.json", &ExtractOptions::default())?;
//! println!("{}", serde_json::to_string(&response).unwrap());
//! # Ok::<(), opinio::Error>(())
//! ```

use base64::Engine as _;

use crate::extract::draw::{self, Mark};
use crate::extract::matcher::{self, Laid};
use crate::extract::model::ExtractionModel;
use crate::extract::response::{self, DocumentResult, ExtractionResponse};
use crate::extract::{pages, Page};
use crate::{parallel, Limits, Result};
use std::path::Path;

/// What to include in a response.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ExtractOptions {
    /// Add each page as a base64 PNG with the found fields drawn (`annotated_pages`).
    pub annotated_pages: bool,
    /// Bounds on the documents read: size, pages, pixels, PDF streams, OCR time.
    pub limits: Limits,
}

impl ExtractOptions {
    pub fn with_annotated_pages(mut self, yes: bool) -> Self {
        self.annotated_pages = yes;
        self
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// An extraction model ready to use; immutable, so one instance serves many threads.
#[derive(Clone, Debug)]
pub struct Extractor {
    model: ExtractionModel,
}

impl Extractor {
    /// Loads the model folder `dir` (its `manifest.json`), validated.
    pub fn load(dir: impl AsRef<Path>) -> Result<Extractor> {
        Ok(Extractor { model: ExtractionModel::load(dir)? })
    }

    /// An extractor over a model already in memory.
    pub fn from_model(model: ExtractionModel) -> Result<Extractor> {
        model.validate()?;
        Ok(Extractor { model })
    }

    pub fn model(&self) -> &ExtractionModel {
        &self.model
    }

    /// Extracts one file: a response whose only document is named after the file.
    pub fn extract_path(
        &self,
        path: impl AsRef<Path>,
        options: &ExtractOptions,
    ) -> Result<ExtractionResponse> {
        self.extract_paths(&[path.as_ref()], options)
    }

    /// Extracts several files into one response, documents in the order given; files are
    /// processed in parallel (see [`parallel`](crate::parallel)).
    pub fn extract_paths<P: AsRef<Path> + Sync>(
        &self,
        paths: &[P],
        options: &ExtractOptions,
    ) -> Result<ExtractionResponse> {
        let docs = parallel::try_map(paths, |p| {
            let path = p.as_ref();
            let name = path
                .file_name()
                .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
            let pages = pages::read_path_with(path, &self.read_options(options))?;
            self.document(&name, &pages, options).map_err(|e| e.with_path(path))
        })?;
        Ok(ExtractionResponse::new(&self.model.name, docs))
    }

    /// Extracts one file held in memory; `name` is the document's name in the response and
    /// decides nothing else but whether it is a `.words.json`.
    pub fn extract_bytes(
        &self,
        name: &str,
        bytes: &[u8],
        options: &ExtractOptions,
    ) -> Result<ExtractionResponse> {
        let pages = pages::read_bytes_with(name, bytes, &self.read_options(options))?;
        Ok(ExtractionResponse::new(&self.model.name, vec![self.document(name, &pages, options)?]))
    }

    /// How documents are read: the model's way, within the call's limits.
    fn read_options(&self, options: &ExtractOptions) -> pages::ReadOptions {
        // The scans' pixels are only drawn on; without annotated pages they are let go as
        // soon as each page is read.
        let keep_rasters = options.annotated_pages;
        pages::ReadOptions { limits: options.limits.clone(), keep_rasters, ..self.model.read_options() }
    }

    /// Extracts from pages already read (by any page source).
    pub fn document(&self, name: &str, pages: &[Page], options: &ExtractOptions) -> Result<DocumentResult> {
        let laid = Laid::new(pages);
        let found: Vec<_> = self.model.fields.iter().map(|f| matcher::best(f, &laid)).collect();
        let mut doc = response::document(name, pages, &self.model.fields, &found);
        if options.annotated_pages {
            let mut encoded = Vec::with_capacity(pages.len());
            for (p, page) in pages.iter().enumerate() {
                let marks: Vec<Mark> = found
                    .iter()
                    .zip(&self.model.fields)
                    .filter_map(|(f, spec)| f.as_ref().filter(|f| f.page == p).map(|f| (f, spec)))
                    .flat_map(|(f, spec)| {
                        f.candidate
                            .words
                            .iter()
                            .filter_map(|&w| page.words.get(w))
                            .map(|w| Mark { bbox: w.bbox, label: spec.label.clone() })
                    })
                    .collect();
                encoded.push(base64::engine::general_purpose::STANDARD.encode(draw::annotate(page, &marks)?));
            }
            doc.annotated_pages = Some(encoded);
        }
        Ok(doc)
    }
}
