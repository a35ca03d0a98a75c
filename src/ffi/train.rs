//! Model folders made through the ABI, as `opinio train` makes them: `opinio_train`
//! fine-tunes from labeled data, `opinio_train_zero_shot` builds from class definitions.

use std::ffi::{c_char, c_void};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::batch::OpinioProgressFn;
use super::panic::guard;
use super::{arg_str, out_ptr, parse_json, put_json};
use crate::control::Control;
use crate::encode::Encoder;
use crate::labeled::{self, LabeledOptions};
use crate::schema::{Class, ModelType};
use crate::train::{self as trainer, TrainProgress};
use crate::{model, Error, Language, Limits, Model};

/// `options_json` of `opinio_train`. Unknown keys are refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FineTuneOptions {
    #[serde(rename = "type")]
    model_type: String,
    train: PathBuf,
    #[serde(default)]
    test: Option<PathBuf>,
    #[serde(default)]
    column_mapping: Option<Value>,
    #[serde(default = "header_first_default")]
    header_first: bool,
    out: PathBuf,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    base: Option<PathBuf>,
    #[serde(default)]
    epochs: Option<usize>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    limits: Limits,
}

fn header_first_default() -> bool {
    true
}

/// Fine-tunes a model on labeled data (the encoder with per-class heads, on the CPU, as
/// `opinio train --train`), scores it and writes its folder.
///
/// `options_json`: `{"type": "ABSA", "train": "train.jsonl", "out": "models/mine"}` plus,
/// optionally, `"test"` (a labeled file to score on; default: 10% of `train` held out),
/// `"column_mapping"` (the Studio's `{"text": ..., "class"/"aspect": ..., "label": ...}` for
/// CSV/TXT/JSON/JSONL/XLSX rows), `"header_first"` (default true), `"lang"` (`"en"`),
/// `"name"` (the folder's name), `"base"` (the shipped encoder), `"epochs"` (default 4, more
/// for small sets so that training makes at least 200 steps; given, exactly that), `"seed"`
/// (42; a seed gives the same model every time), `"limits"` (bounds on the files read and
/// on the training set, e.g. `{"max_training_segments": 500000}`).
///
/// `progress` may be NULL. Otherwise it is called with `user_data` after every training
/// step with the percent done and the steps done; returning non-zero cancels, and the call
/// fails with `OPINIO_STATUS_CANCELLED` without writing `out`.
///
/// On success `*out_json` receives the new model's metadata with its `score` and `metrics`;
/// load the folder with `opinio_model_load`. Free the string with `opinio_string_free`.
///
/// Errors: `OPINIO_STATUS_NULL_ARGUMENT`, `OPINIO_STATUS_INVALID_UTF8_ARGUMENT`,
/// `OPINIO_STATUS_MALFORMED` (bad options or labeled file), `OPINIO_STATUS_INVALID_ARGUMENT`
/// (unknown type, too little data), `OPINIO_STATUS_IO`, `OPINIO_STATUS_CANCELLED`;
/// `*out_json` is then NULL. Training uses every core; calls may run in parallel, but two
/// calls must not write the same folder.
///
/// # Safety
///
/// `options_json` is NULL or a NUL-terminated string; `out_json` is NULL or writable;
/// `progress`, if set, is safe to call with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn opinio_train(
    options_json: *const c_char,
    progress: OpinioProgressFn,
    user_data: *mut c_void,
    out_json: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract, forwarded.
        let out = unsafe { out_ptr(out_json, "out_json") }?;
        let options = unsafe { arg_str(options_json, "options_json") }?;
        let options: FineTuneOptions = parse_json(options, "options_json")?;
        let report = |p: &TrainProgress| match progress {
            // SAFETY: the caller vouches for the callback and its user data.
            Some(f) if unsafe { f(p.percent(), p.step, user_data) } != 0 => Control::Cancel,
            _ => Control::Continue,
        };
        put_json(out, fine_tune(options, report)?.meta())
    })
}

fn fine_tune(options: FineTuneOptions, report: impl FnMut(&TrainProgress) -> Control) -> Result<Model, Error> {
    let model_type: ModelType = options.model_type.parse()?;
    let mut read = LabeledOptions::new(model_type).with_columns(options.column_mapping.as_ref(), options.header_first)?;
    read.ingest.limits = options.limits.clone();
    let train = labeled::read(&options.train, &read)?;
    let test = options.test.as_deref().map(|t| labeled::read(t, &read)).transpose()?;
    let defaults = trainer::TrainOptions::new(model_type);
    let settings = trainer::TrainOptions {
        base: options.base,
        seed: options.seed.unwrap_or(defaults.seed),
        name: options.name.unwrap_or_else(|| folder_name(&options.out)),
        language: options.lang.as_deref().unwrap_or("en").parse()?,
        limits: options.limits,
        ..defaults
    }
    .with_epochs(options.epochs);
    let mut model = trainer::train(&train, test.as_ref(), &settings, report)?.model;
    model.save(&options.out)?;
    Ok(model)
}

/// `options_json` of `opinio_train_zero_shot`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrainOptions {
    #[serde(rename = "type")]
    model_type: String,
    classes: Definitions,
    #[serde(default)]
    labels: Vec<Definition>,
    out: PathBuf,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    base: Option<PathBuf>,
}

/// Class definitions: a file (JSON or CSV, as `opinio train --classes`) or inline.
#[derive(Deserialize)]
#[serde(untagged)]
enum Definitions {
    File(PathBuf),
    Inline(Vec<Definition>),
}

/// One inline definition: a bare name or the seed's class object.
#[derive(Deserialize)]
#[serde(untagged)]
enum Definition {
    Name(String),
    Class(Class),
}

impl From<Definition> for Class {
    fn from(d: Definition) -> Class {
        match d {
            Definition::Name(name) => Class::new(name),
            Definition::Class(class) => class,
        }
    }
}

/// Builds a zero-shot model from class definitions and writes its folder.
///
/// `options_json`: `{"type": "ABSA", "classes": "classes.json", "out": "models/mine",
/// "lang": "en", "name": "Mine", "labels": [...], "base": "models/all-MiniLM-L6-v2"}`.
/// `type` is ABSA, CLASS, LABEL or CLASSLABEL; `classes` is a file path (the seed's class
/// list as JSON, or a CSV with name, description, example columns) or an inline list of
/// names or `{"name", "description", "example"}` objects; `labels` (inline, optional) are
/// for CLASSLABEL models (ABSA uses the fixed sentiments); `out` is the folder to write
/// (created if missing); `lang` defaults to `"en"`, `name` to the folder's name, `base` to
/// the shipped encoder.
///
/// On success `*out_json` receives the new model's metadata (the Studio's model shape);
/// load the folder with `opinio_model_load`. Free the string with `opinio_string_free`.
///
/// Errors: `OPINIO_STATUS_NULL_ARGUMENT`, `OPINIO_STATUS_INVALID_UTF8_ARGUMENT`,
/// `OPINIO_STATUS_MALFORMED` (bad options or definitions), `OPINIO_STATUS_INVALID_ARGUMENT`
/// (unknown type or language, no classes), `OPINIO_STATUS_IO`; `*out_json` is then NULL.
/// Thread-safe, but two calls must not write the same folder.
///
/// # Safety
///
/// `options_json` is NULL or a NUL-terminated string; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn opinio_train_zero_shot(
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract, forwarded.
        let out = unsafe { out_ptr(out_json, "out_json") }?;
        let options = unsafe { arg_str(options_json, "options_json") }?;
        let options: TrainOptions = parse_json(options, "options_json")?;
        put_json(out, train(options)?.meta())
    })
}

fn train(options: TrainOptions) -> Result<Model, Error> {
    let model_type: ModelType = options.model_type.parse()?;
    let language: Language = options.lang.as_deref().unwrap_or("en").parse()?;
    let (classes, mut labels) = match options.classes {
        Definitions::File(path) => model::read_definitions(&path)?,
        Definitions::Inline(list) => (list.into_iter().map(Class::from).collect(), Vec::new()),
    };
    if !options.labels.is_empty() {
        labels = options.labels.into_iter().map(Class::from).collect();
    }
    if classes.is_empty() && labels.is_empty() {
        return Err(Error::invalid_argument("no class definitions given in `classes`"));
    }
    let encoder = match &options.base {
        Some(dir) => model::load_encoder(dir)?,
        None => model::load_encoder(Encoder::default_model_dir())?,
    };
    let name = options.name.unwrap_or_else(|| folder_name(&options.out));
    let mut built = Model::zero_shot(encoder, model_type, &name, language, classes, labels)?;
    built.save(&options.out)?;
    Ok(built)
}

fn folder_name(dir: &Path) -> String {
    dir.file_name().map_or("model".into(), |n| n.to_string_lossy().into_owned())
}
