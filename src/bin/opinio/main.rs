//! `opinio`: the command line, a thin shell over the library.
//!
//! Every subcommand prints JSON on stdout. An error prints one line on stderr and exits
//! with status 1 (2 for a bad command line). When some records of a file are bad and the
//! rest were processed, the output is still complete JSON with the good documents and an
//! `errors` list, each bad record is reported on stderr, and the exit status is 3.
//!
//! This file holds the command list and the small commands; [`args`] the arguments several
//! share, [`stream`] the commands that stream documents, [`train`] and [`documents`] the
//! larger ones.

mod args;
mod documents;
mod stream;
mod train;

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use opinio::segment::Segmenter;
use opinio::{model, Error, ErrorKind, Language, Limits, Model};
use serde_json::json;

use args::{limits, Input, LabeledArgs, ModelArgs, LIMITS};

#[derive(Parser)]
#[command(name = "opinio", version, about = "Text and document AI, in-process and offline")]
struct Cli {
    /// Raise or lower a bound on input, e.g. --limit max_pages=2000 (repeatable;
    /// docs/cli.md lists the limits and their defaults).
    #[arg(long = "limit", global = true, value_name = "NAME=VALUE")]
    limit: Vec<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Split documents into sentences: {"documents": [{"text", "segments": [...]}]}.
    Segment {
        /// The language (en, de, ar); detected per document when omitted.
        #[arg(long)]
        lang: Option<String>,
        #[command(flatten)]
        input: Input,
    },
    /// Tag documents with a model: {"model", "type", "documents": [...]}.
    Analyze {
        #[command(flatten)]
        model: ModelArgs,
        /// Split documents into sentences; otherwise each document is one segment.
        #[arg(long)]
        split: bool,
        #[command(flatten)]
        input: Input,
    },
    /// Build a model; with --classes and no --train, a zero-shot model from class definitions.
    Train(train::TrainArgs),
    /// Pick the documents a correction session should show: {"documents", "predicted_score"}.
    Sample {
        #[command(flatten)]
        model: ModelArgs,
        /// How many documents to pick.
        #[arg(long)]
        size: usize,
        #[command(flatten)]
        input: Input,
    },
    /// Score a model on a labeled file: {"model", "type", "score", "metrics", "issues"}.
    Evaluate {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        labeled: LabeledArgs,
        /// The labeled file: the Studio's labeled documents, or a flat file.
        file: PathBuf,
    },
    /// Show a file's id and first rows, as the Studio's upload response.
    Preview {
        /// How many rows to show after the header row.
        #[arg(long, default_value_t = 5)]
        rows: usize,
        /// The file: CSV, TXT, JSON, JSONL or XLSX.
        file: PathBuf,
    },
    /// Extract fields from PDFs, images or NAME.words.json files: the extraction response.
    Extract(documents::ExtractArgs),
    /// Read documents' words as NAME.words.json does (text layer or OCR): {"pages": [...]},
    /// one object per line and file, to annotate or to see what OCR read.
    Read(documents::ReadArgs),
    /// Write one self-contained HTML report of an analysis or extraction response:
    /// {"out", "kind", "documents"}.
    Report {
        /// The response, as `analyze` or `extract` wrote it (JSON or JSON lines; `-`: stdin).
        input: PathBuf,
        /// The HTML file to write.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Record the SHA-256 of a model folder's files in its manifest (for a folder saved by an
    /// earlier opinio, or assembled by hand): {"model", "sha256"}. Loading refuses files that
    /// differ from them, so seal only files you trust.
    Seal {
        /// The model folder.
        dir: PathBuf,
        /// A folder of encoder folders (default: $OPINIO_MODELS).
        #[arg(long)]
        models_root: Option<PathBuf>,
    },
    /// Learn an extraction model from annotated documents (NAME.words.json + NAME.answers.json).
    LearnFields(documents::LearnFieldsArgs),
}

/// A run that finished but skipped bad records.
struct Partial(usize);

fn main() -> ExitCode {
    quiet_candle_pool();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line: clap's message without its usage block, lines joined.
            let rendered = e.render().to_string();
            let message = rendered.split("\n\nUsage").next().unwrap_or_default();
            let words: Vec<&str> = message.split_whitespace().collect();
            eprintln!("opinio: {} (see opinio --help)", words.join(" ").trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let mut limits = Limits::default();
    for assignment in &cli.limit {
        if let Err(e) = limits.set_from(assignment) {
            eprintln!("opinio: --limit: {e}");
            return ExitCode::from(2);
        }
    }
    LIMITS.get_or_init(|| limits);
    match run(cli.command) {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(Partial(n))) => {
            eprintln!("opinio: {n} bad record(s) skipped, the others were processed");
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("opinio: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Training's element-wise work runs in opinio's own ops on rayon's threads
/// ([`opinio::train::ops`]); what is left to candle's separate barrier pool is small, and
/// that pool's worker spins after each op, taking a core from the matrix products:
/// measured, training took 6% longer with it. `CANDLE_NUM_THREADS=1` runs those ops on the
/// calling thread instead. Set here, first thing in `main`, before any thread exists; a
/// value the user set is kept.
fn quiet_candle_pool() {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
}

fn run(command: Command) -> Result<Option<Partial>, Error> {
    let stdout = io::stdout().lock();
    let out = BufWriter::with_capacity(1 << 16, stdout);
    let done = |result: Result<(), Error>| result.map(|()| None);
    match command {
        Command::Segment { lang, input } => {
            let language = lang.as_deref().map(str::parse::<Language>).transpose()?;
            let segmenter = Segmenter::for_language(language);
            let records = input.records()?;
            stream::stream_documents(out, records, input.meta, |doc| segmenter.segment_document(doc))
        }
        Command::Analyze { model, split, input } => stream::analyze(out, &model.load()?, split, &input),
        Command::Sample { model, size, input } => stream::sample(out, &model.load()?, size, &input),
        Command::Train(train) => done(train.run(out)),
        Command::Extract(extract) => done(extract.run(out)),
        Command::Read(read) => done(read.run(out)),
        Command::LearnFields(learn) => done(learn.run(out)),
        Command::Evaluate { model, labeled, file } => {
            let model = model.load()?;
            let set = labeled.read(&file, model.meta().model_type)?;
            let metrics = opinio::evaluate::evaluate(&model, &set)?;
            let issues: Vec<String> = set.issues.iter().map(ToString::to_string).collect();
            let meta = model.meta();
            let value = json!({
                "model": meta.display_name, "type": meta.model_type,
                "score": opinio::evaluate::headline(&metrics), "metrics": metrics, "issues": issues,
            });
            done(write_value(out, &value))
        }
        Command::Report { input, out: path } => {
            let value = opinio::report::read(&input, &limits())?;
            let html = opinio::report::render(&value).map_err(|e| e.with_path(&input))?;
            std::fs::write(&path, html).map_err(|e| Error::from(e).with_path(&path))?;
            let kind = opinio::report::Kind::of(&value).map(|k| k.as_str());
            let documents = value["documents"].as_array().map_or(0, Vec::len);
            done(write_value(out, &json!({"out": path, "kind": kind, "documents": documents})))
        }
        Command::Seal { dir, models_root } => {
            let manifest = Model::seal(&dir, &model::LoadOptions { models_root, ..Default::default() })?;
            let value = json!({"model": dir, "sha256": manifest.sha256, "encoder": manifest.encoder.sha256});
            done(write_value(out, &value))
        }
        Command::Preview { rows, file } => {
            done(write_value(out, &opinio::ingest::preview(&file, rows, &limits())?))
        }
    }
}

/// Writes `value` as one line of JSON and flushes.
fn write_value(mut out: impl Write, value: &impl serde::Serialize) -> Result<(), Error> {
    serde_json::to_writer(&mut out, value).map_err(|e| Error::new(ErrorKind::Io, e.to_string()))?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
