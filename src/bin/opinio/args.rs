//! The arguments several subcommands share: which model to load, where documents come
//! from, how labeled files are read; and the bounds (`--limit`) every reader applies.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::Args;
use opinio::ingest::{self, Column, IngestOptions, Records};
use opinio::labeled::{self, LabeledOptions, LabeledSet};
use opinio::schema::ModelType;
use opinio::{model, Error, Limits, Model};
use serde_json::Value;

/// The bounds this run applies: the defaults with the command line's `--limit`s, set once by
/// `main` before any command runs.
pub static LIMITS: OnceLock<Limits> = OnceLock::new();

/// This run's bounds on input.
pub fn limits() -> Limits {
    LIMITS.get().cloned().unwrap_or_default()
}

/// `options` within this run's limits, reading words only (the scans' pixels are let go as
/// each page is read): for `read` and for learning, which draw nothing.
pub fn words_only(mut options: opinio::extract::ReadOptions) -> opinio::extract::ReadOptions {
    options.limits = limits();
    options.keep_rasters = false;
    options
}

/// The model folder to load, and how.
#[derive(Args)]
pub struct ModelArgs {
    /// The model folder.
    #[arg(long)]
    model: PathBuf,
    /// The encoder's arithmetic: fp32 (default) or int8 (about twice as fast, see the
    /// README's accuracy table); overrides the model's own setting.
    #[arg(long)]
    precision: Option<String>,
    /// A folder of encoder folders, searched for the model's encoder after the model's
    /// siblings (default: $OPINIO_MODELS).
    #[arg(long)]
    models_root: Option<PathBuf>,
}

impl ModelArgs {
    /// Loads the model folder, at `--precision` when given.
    pub fn load(&self) -> Result<Model, Error> {
        let precision = self.precision.as_deref().map(str::parse).transpose()?;
        let options =
            model::LoadOptions { precision, models_root: self.models_root.clone(), limits: limits() };
        Model::load_with(&self.model, &options)
    }
}

/// Where documents come from and which column holds their text.
#[derive(Args)]
pub struct Input {
    /// The text column by 0-based index.
    #[arg(long, conflicts_with = "column_name")]
    column: Option<usize>,
    /// The text column (or JSON property) by name.
    #[arg(long)]
    column_name: Option<String>,
    /// CSV/XLSX: the first row is a header.
    #[arg(long)]
    header_first: bool,
    /// Keep each record's other columns as `meta` in the output.
    #[arg(long)]
    pub meta: bool,
    /// The file: CSV, TXT, JSON, JSONL or XLSX; `-` reads JSONL from stdin.
    pub file: PathBuf,
}

impl Input {
    fn options(&self) -> IngestOptions {
        let column = match (&self.column, &self.column_name) {
            (Some(i), _) => Some(Column::Index(*i)),
            (None, Some(name)) => Some(Column::Name(name.clone())),
            (None, None) => None,
        };
        // A column chosen by name implies a header row.
        let header_first = self.header_first || self.column_name.is_some();
        IngestOptions { column, header_first, limits: limits(), format: None }
    }

    /// The records, read from the start (each call reads the file anew).
    pub fn records(&self) -> Result<Records, Error> {
        let opts = self.options();
        if self.is_stdin() {
            ingest::from_reader(io::stdin(), ingest::Format::Jsonl, "<stdin>", &opts)
        } else {
            ingest::open(&self.file, &opts)
        }
    }

    /// Whether the records come from standard input, which can be read only once.
    pub fn is_stdin(&self) -> bool {
        self.file == Path::new("-")
    }
}

/// How labeled files are read (`train`, `evaluate`).
#[derive(Args, Debug)]
pub struct LabeledArgs {
    /// The Studio's column_mapping as JSON, e.g. '{"text": "review", "aspect": 1, "label": 2}'.
    #[arg(long)]
    column_mapping: Option<String>,
    /// CSV/XLSX: the first row is data, not a header (map columns by index then).
    #[arg(long)]
    no_header: bool,
}

impl LabeledArgs {
    /// Reads `file` for a `model_type` model; every problem found goes to stderr.
    pub fn read(&self, file: &Path, model_type: ModelType) -> Result<LabeledSet, Error> {
        let mapping: Option<Value> = match &self.column_mapping {
            Some(m) => Some(
                serde_json::from_str(m)
                    .map_err(|e| Error::invalid_argument(format!("--column-mapping is not JSON: {e}")))?,
            ),
            None => None,
        };
        let mut opts = LabeledOptions::new(model_type).with_columns(mapping.as_ref(), !self.no_header)?;
        opts.ingest.limits = limits();
        let set = labeled::read(file, &opts)?;
        for issue in &set.issues {
            eprintln!("opinio: {issue}");
        }
        Ok(set)
    }
}
