//! `opinio`: the command line, a thin shell over the library.
//!
//! Every subcommand prints JSON on stdout. An error prints one line on stderr and exits
//! with status 1 (2 for a bad command line). When some records of a file are bad and the
//! rest were processed, the output is still complete JSON with the good documents and an
//! `errors` list, each bad record is reported on stderr, and the exit status is 3.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use opinio::analysis::batch::{self, BatchOptions, Control, Progress};
use opinio::extract::{evaluate, learn, ExtractOptions, ExtractionModel, Extractor};
use opinio::ingest::{self, Column, IngestOptions, Records};
use opinio::schema::{Document, DocumentsWriter, ModelType};
use opinio::segment::Segmenter;
use opinio::{model, Error, ErrorKind, Language, Limits, Model};
use serde_json::{json, Map, Value};

#[derive(Parser)]
#[command(name = "opinio", version, about = "Text and document AI, in-process and offline")]
struct Cli {
    /// Raise or lower a bound on input, e.g. --limit max_pages=2000 (repeatable; the README
    /// lists the limits and their defaults).
    #[arg(long = "limit", global = true, value_name = "NAME=VALUE")]
    limit: Vec<String>,
    #[command(subcommand)]
    command: Command,
}

/// The bounds this run applies: the defaults with the command line's `--limit`s.
static LIMITS: std::sync::OnceLock<Limits> = std::sync::OnceLock::new();

fn limits() -> Limits {
    LIMITS.get().cloned().unwrap_or_default()
}

/// `options` within this run's limits, reading words only (the scans' pixels are let go as
/// each page is read): for `read` and for learning, which draw nothing.
fn words_only(mut options: opinio::extract::ReadOptions) -> opinio::extract::ReadOptions {
    options.limits = limits();
    options.keep_rasters = false;
    options
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
    Train {
        /// The model type: ABSA, CLASS, LABEL or CLASSLABEL.
        #[arg(long = "type")]
        model_type: String,
        /// Labeled data to train on: the Studio's labeled documents, or a flat file.
        #[arg(long)]
        train: Option<PathBuf>,
        /// Labeled data to test on (default: 10% of --train held out, whole documents).
        #[arg(long)]
        test: Option<PathBuf>,
        #[command(flatten)]
        labeled: LabeledArgs,
        /// Class definitions: the seed's class list (JSON) or a CSV with name, description, example.
        #[arg(long)]
        classes: Option<PathBuf>,
        /// The encoder folder to build on (default: the shipped all-MiniLM-L6-v2).
        #[arg(long)]
        base: Option<PathBuf>,
        /// The model's language (en, de, ar).
        #[arg(long, default_value = "en")]
        lang: String,
        /// The model's name (default: the output folder's name).
        #[arg(long)]
        name: Option<String>,
        /// Passes over the training set (with --train; default 4, more for small sets so that
        /// training makes at least 100 steps).
        #[arg(long)]
        epochs: Option<usize>,
        /// Encoder layers kept as they are, from the bottom (with --train; default 0, all
        /// trained): each one frozen trains faster.
        #[arg(long)]
        frozen_layers: Option<usize>,
        /// Whether each class's layers also read the sentence's mean token state (with
        /// --train; true or false, default false).
        #[arg(long)]
        sentence_mean: Option<bool>,
        /// The most a class's present examples weigh in its detection loss, from its ratio of
        /// absent to present sentences, taken back out of the decisions after training (with
        /// --train; default 4; 0: all alike).
        #[arg(long)]
        positive_weight_cap: Option<f32>,
        /// Dropout on the heads' inputs while training (with --train; 0 to 0.5, default 0).
        #[arg(long)]
        head_dropout: Option<f32>,
        /// Seeds shuffling, the held-out split and the heads' initial weights (with --train;
        /// default 42): the same seed gives the same model.
        #[arg(long)]
        seed: Option<u64>,
        /// The model folder to write.
        #[arg(long)]
        out: PathBuf,
    },
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
    Extract {
        /// The extraction model folder (e.g. models/receipts).
        #[arg(long)]
        model: PathBuf,
        /// Add each page as a base64 PNG with the found fields drawn.
        #[arg(long)]
        annotated_pages: bool,
        /// The documents, one response entry each, in this order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Read documents' words as NAME.words.json does (text layer or OCR): {"pages": [...]},
    /// one object per line and file, to annotate or to see what OCR read.
    Read {
        /// Read as this extraction model reads (its OCR engine, languages and layout).
        #[arg(long)]
        model: Option<PathBuf>,
        /// The OCR engine: ppocr (default, in-process) or tesseract (needs the cargo
        /// feature `tesseract`); overrides the model's.
        #[arg(long)]
        engine: Option<opinio::extract::OcrEngine>,
        /// PDFs or images (JPEG, PNG, TIFF, WEBP).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
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
    LearnFields {
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
    },
}

/// The model folder to load, and how.
#[derive(Args)]
struct ModelArgs {
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
    fn load(&self) -> Result<Model, Error> {
        let precision = self.precision.as_deref().map(str::parse).transpose()?;
        let options = model::LoadOptions { precision, models_root: self.models_root.clone(), limits: limits() };
        Model::load_with(&self.model, &options)
    }
}

/// Where documents come from and which column holds their text.
#[derive(Args)]
struct Input {
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
    meta: bool,
    /// The file: CSV, TXT, JSON, JSONL or XLSX; `-` reads JSONL from stdin.
    file: PathBuf,
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

    fn records(&self) -> Result<Records, Error> {
        let opts = self.options();
        if self.file == Path::new("-") {
            ingest::from_reader(io::stdin(), ingest::Format::Jsonl, "<stdin>", &opts)
        } else {
            ingest::open(&self.file, &opts)
        }
    }
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
    match command {
        Command::Segment { lang, input } => {
            let language = lang.as_deref().map(str::parse::<Language>).transpose()?;
            let segmenter = Segmenter::for_language(language);
            let records = input.records()?;
            stream_documents(out, records, input.meta, |doc| segmenter.segment_document(doc))
        }
        Command::Analyze { model, split, input } => {
            let model = model.load()?;
            analyze(out, &model, split, &input)
        }
        Command::Train {
            model_type,
            train,
            test,
            labeled,
            classes,
            base,
            lang,
            name,
            epochs,
            frozen_layers,
            sentence_mean,
            positive_weight_cap,
            head_dropout,
            seed,
            out: dir,
        } => {
            let model_type: ModelType = model_type.parse()?;
            let language: Language = lang.parse()?;
            if let Some(train) = train {
                let name = name.unwrap_or_else(|| {
                    dir.file_name().map_or("model".into(), |n| n.to_string_lossy().into_owned())
                });
                let train = labeled.read(&train, model_type)?;
                let test = test.map(|t| labeled.read(&t, model_type)).transpose()?;
                let defaults = opinio::train::TrainOptions::new(model_type);
                let options = opinio::train::TrainOptions {
                    base,
                    name,
                    language,
                    frozen_layers: frozen_layers.unwrap_or(defaults.frozen_layers),
                    sentence_mean: sentence_mean.unwrap_or(defaults.sentence_mean),
                    positive_weight_cap: positive_weight_cap.unwrap_or(defaults.positive_weight_cap),
                    head_dropout: head_dropout.unwrap_or(defaults.head_dropout),
                    seed: seed.unwrap_or(defaults.seed),
                    limits: limits(),
                    ..defaults
                }
                .with_epochs(epochs);
                let trained = train_with_progress(&train, test.as_ref(), &options)?;
                let mut built = trained.model;
                built.save(&dir)?;
                write_value(out, built.meta())?;
                return Ok(None);
            }
            if test.is_some() {
                return Err(Error::invalid_argument("--test needs --train"));
            }
            let Some(classes) = classes else {
                return Err(Error::invalid_argument("pass --classes FILE (zero-shot) or --train FILE"));
            };
            let (class_defs, label_defs) = model::read_definitions(&classes)?;
            let encoder = match base {
                Some(dir) => model::load_encoder(dir)?,
                None => model::load_encoder(opinio::encode::Encoder::default_model_dir())?,
            };
            let name = name.unwrap_or_else(|| {
                dir.file_name().map_or("model".into(), |n| n.to_string_lossy().into_owned())
            });
            let mut built = Model::zero_shot(encoder, model_type, &name, language, class_defs, label_defs)?;
            built.save(&dir)?;
            write_value(out, built.meta())?;
            Ok(None)
        }
        Command::Extract { model, annotated_pages, files } => {
            let extractor = Extractor::load(&model)?;
            let options = ExtractOptions::default().with_annotated_pages(annotated_pages).with_limits(limits());
            write_value(out, &extractor.extract_paths(&files, &options)?)?;
            Ok(None)
        }
        Command::Read { model, engine, files } => {
            let mut options = words_only(match model {
                Some(dir) => ExtractionModel::load(&dir)?.read_options(),
                None => opinio::extract::ReadOptions::default(),
            });
            if let Some(engine) = engine {
                options.engine = engine;
            }
            let mut out = out;
            for file in &files {
                let pages = opinio::extract::pages::read_path_with(file, &options)?;
                write_value(&mut out, &opinio::extract::pages::words_json(&pages))?;
            }
            Ok(None)
        }
        Command::LearnFields { spec, annotated, out: dir, folds, test } => {
            let spec = if spec.is_dir() {
                ExtractionModel::load(&spec)?
            } else {
                let bytes = std::fs::read(&spec).map_err(|e| Error::from(e).with_path(&spec))?;
                ExtractionModel::from_json(&bytes).map_err(|e| e.with_path(&spec))?
            };
            let docs = learn::read_annotated(&annotated, &words_only(spec.read_options()))?;
            let options = learn::LearnOptions::default();
            let mut report = Map::new();
            report.insert("model".into(), json!(spec.name));
            report.insert("documents".into(), json!(docs.len()));
            if let Some(k) = folds {
                let scores = evaluate::cross_validate(&spec, &docs, k, &options)?;
                report.insert(
                    "cross_validation".into(),
                    serde_json::to_value(scores)
                        .map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))?,
                );
            }
            if dir.is_some() || test.is_some() {
                let (model, learned) = learn::learn(&spec, &docs, &options)?;
                report.insert("reachable".into(), json!(learned.reachable));
                if let Some(test) = test {
                    let test_docs = learn::read_annotated(&test, &words_only(spec.read_options()))?;
                    let scores = evaluate::evaluate(&model, &test_docs)?;
                    report.insert(
                        "test".into(),
                        serde_json::to_value(scores).map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))?,
                    );
                }
                if let Some(dir) = dir {
                    model.save(&dir)?;
                    report.insert("out".into(), json!(dir));
                }
            }
            write_value(out, &Value::Object(report))?;
            Ok(None)
        }
        Command::Sample { model, size, input } => {
            let model = model.load()?;
            let mut errors = Vec::new();
            let mut documents = Vec::new();
            for record in input.records()? {
                match record {
                    Ok(record) => documents.push(Document { meta: None, ..Document::from(record) }),
                    Err(e) => {
                        eprintln!("opinio: {e}");
                        errors.push(json!({"line": e.line(), "message": e.to_string()}));
                    }
                }
            }
            let sample = opinio::correct::sample(&model, documents, &opinio::correct::SampleOptions { size })?;
            let mut value = json!(sample);
            let bad = errors.len();
            if bad > 0 {
                value["errors"] = Value::Array(errors);
            }
            write_value(out, &value)?;
            Ok((bad > 0).then_some(Partial(bad)))
        }
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
            write_value(out, &value)?;
            Ok(None)
        }
        Command::Report { input, out: path } => {
            let value = opinio::report::read(&input, &limits())?;
            let html = opinio::report::render(&value).map_err(|e| e.with_path(&input))?;
            std::fs::write(&path, html).map_err(|e| Error::from(e).with_path(&path))?;
            let kind = opinio::report::Kind::of(&value).map(|k| k.as_str());
            let documents = value["documents"].as_array().map_or(0, Vec::len);
            write_value(out, &json!({"out": path, "kind": kind, "documents": documents}))?;
            Ok(None)
        }
        Command::Seal { dir, models_root } => {
            let manifest = Model::seal(&dir, &model::LoadOptions { models_root, ..Default::default() })?;
            let value = json!({"model": dir, "sha256": manifest.sha256, "encoder": manifest.encoder.sha256});
            write_value(out, &value)?;
            Ok(None)
        }
        Command::Preview { rows, file } => {
            let preview = ingest::preview(&file, rows, &limits())?;
            write_value(out, &preview)?;
            Ok(None)
        }
    }
}

/// How labeled files are read (`train`, `evaluate`).
#[derive(Args, Debug)]
struct LabeledArgs {
    /// The Studio's column_mapping as JSON, e.g. '{"text": "review", "aspect": 1, "label": 2}'.
    #[arg(long)]
    column_mapping: Option<String>,
    /// CSV/XLSX: the first row is data, not a header (map columns by index then).
    #[arg(long)]
    no_header: bool,
}

impl LabeledArgs {
    /// Reads `file` for a `model_type` model; every problem found goes to stderr.
    fn read(&self, file: &Path, model_type: ModelType) -> Result<opinio::labeled::LabeledSet, Error> {
        use opinio::labeled::{self, LabeledOptions};
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

/// Trains with progress on stderr (a live line on a terminal, else a line every 10 steps) and
/// a summary.
fn train_with_progress(
    train: &opinio::labeled::LabeledSet,
    test: Option<&opinio::labeled::LabeledSet>,
    options: &opinio::train::TrainOptions,
) -> Result<opinio::train::Trained, Error> {
    use std::io::IsTerminal;
    let show = io::stderr().is_terminal();
    let trained = opinio::train::train(train, test, options, |p| {
        let line = format!("training: epoch {}, step {}/{} ({:.0}%), loss {:.4}, {:.0} s", p.epoch, p.step, p.steps, p.percent(), p.loss, p.seconds);
        if show {
            eprint!("\r{line}   ");
        } else if p.step % 10 == 0 || p.step == p.steps {
            // Logs of long runs get a line every 10 steps.
            eprintln!("{line}");
        }
        Control::Continue
    })?;
    let m = &trained.metrics;
    let detection = m.detection.map_or(f64::NAN, |d| d.micro.f1);
    eprintln!(
        "\ntrained on {} segments in {:.1} s; on {} held-out segments: detection micro-F1 {detection:.3}, score {:.3}",
        trained.train_size,
        trained.train_seconds,
        trained.eval_size,
        opinio::evaluate::headline(m).unwrap_or(f64::NAN)
    );
    Ok(trained)
}

/// Streams the ad-hoc analysis response of every record through the batch runner, with a
/// progress line on stderr when it is a terminal.
fn analyze(out: impl Write, model: &Model, split: bool, input: &Input) -> Result<Option<Partial>, Error> {
    use std::io::IsTerminal;
    let show = io::stderr().is_terminal();
    let total =
        if show && input.file != Path::new("-") { Some(input.records()?.count() as u64) } else { None };
    let meta = model.meta();
    let mut lead = Map::new();
    lead.insert("model".into(), json!(meta.display_name));
    lead.insert("type".into(), json!(meta.model_type));
    let mut writer = DocumentsWriter::new(out, &lead)?;
    let mut errors = Vec::new();
    let documents = input.records()?.map(|r| {
        r.map(|record| {
            let mut doc = Document::from(record);
            if !input.meta {
                doc.meta = None;
            }
            doc
        })
    });
    let options = BatchOptions { split, total, ..BatchOptions::default() };
    let progress = |p: &Progress| {
        if show {
            match p.percent() {
                Some(pc) => eprint!("\ranalyzing: {pc:5.1}% ({} documents)", p.done),
                None => eprint!("\ranalyzing: {} documents", p.done),
            }
        }
        Control::Continue
    };
    batch::run(model, documents, &options, progress, |doc| {
        match doc {
            Ok(doc) => writer.write(&doc)?,
            Err(e) => {
                eprintln!("opinio: {e}");
                errors.push(json!({"line": e.line(), "message": e.to_string()}));
            }
        }
        Ok(())
    })?;
    if show {
        eprintln!();
    }
    finish(writer, errors)
}

/// Closes the output, listing bad records under `errors`.
fn finish(writer: DocumentsWriter<impl Write>, errors: Vec<Value>) -> Result<Option<Partial>, Error> {
    let mut trailing = Map::new();
    let bad = errors.len();
    if bad > 0 {
        trailing.insert("errors".into(), Value::Array(errors));
    }
    let mut out = writer.finish(&trailing)?;
    writeln!(out)?;
    Ok((bad > 0).then_some(Partial(bad)))
}

/// Documents handled together by `stream_documents`: enough for every core to get a share,
/// few enough that a chunk of a large file stays small in memory.
const CHUNK_DOCUMENTS: usize = 512;
/// ... and at most about this much text in one chunk.
const CHUNK_BYTES: usize = 1 << 20;

/// Reads `records`, fills each document with `process` and writes it, in input order. Bad
/// records are reported on stderr and listed under `errors`; the good ones are kept.
/// Documents go through in chunks: `process` and the JSON encoding of each chunk run on
/// opinio's threads (`opinio::parallel`), the reading and writing in order on this one.
fn stream_documents(
    out: impl Write,
    records: Records,
    keep_meta: bool,
    process: impl Fn(&mut Document) + Sync + Send,
) -> Result<Option<Partial>, Error> {
    let mut writer = DocumentsWriter::new(out, &Map::new())?;
    let mut errors = Vec::new();
    let mut chunk: Vec<Document> = Vec::with_capacity(CHUNK_DOCUMENTS);
    let mut chunk_bytes = 0;
    let mut records = records.peekable();
    while let Some(record) = records.next() {
        match record {
            Ok(record) => {
                let mut doc = Document::from(record);
                if !keep_meta {
                    doc.meta = None;
                }
                chunk_bytes += doc.text.len();
                chunk.push(doc);
            }
            Err(e) => {
                eprintln!("opinio: {e}");
                errors.push(json!({"line": e.line(), "message": e.to_string()}));
            }
        }
        if chunk.len() >= CHUNK_DOCUMENTS || chunk_bytes >= CHUNK_BYTES || records.peek().is_none() {
            let encoded = opinio::parallel::map_owned(std::mem::take(&mut chunk), |mut doc| {
                process(&mut doc);
                opinio::schema::encode_document(&doc)
            });
            for json in encoded {
                writer.write_encoded(&json?)?;
            }
            chunk_bytes = 0;
        }
    }
    finish(writer, errors)
}

fn write_value(mut out: impl Write, value: &impl serde::Serialize) -> Result<(), Error> {
    serde_json::to_writer(&mut out, value).map_err(|e| Error::new(opinio::ErrorKind::Io, e.to_string()))?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
