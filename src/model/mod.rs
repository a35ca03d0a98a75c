//! Model folders: load, validate, build zero-shot, save.
//!
//! A model is a folder (`--model DIR`) with `manifest.json` ([`Manifest`]) and the head's
//! weights (`head.safetensors`), referring to an encoder folder (the shipped
//! `models/all-MiniLM-L6-v2`). [`Model::load`] validates all of it and says precisely what
//! is wrong; the encoder is loaded once per process and shared by every model on it.
//!
//! A [`Model`] is `Send + Sync`: load it once and share it across threads.

mod definitions;
mod folder;
pub mod integrity;
mod manifest;
mod parts;
mod weights;

pub(crate) use parts::{parts, Parts};
pub(crate) use weights::round_to_f16;

pub use definitions::read_definitions;
pub use manifest::{Definitions, EncoderRef, HeadKind, HeadSpec, Manifest, FORMAT};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use crate::encode::pool::mean_pool_text;
use crate::encode::{Embeddings, Encoder, Precision};
use crate::heads::lexicon::Lexicon;
use crate::heads::{AttentionHead, Embedder, Head, Probabilities, PrototypeHead};
use crate::schema::{Class, ModelMeta, ModelStatus, ModelType, Tag};
use crate::segment::Segmenter;
use crate::{Error, ErrorKind, Language, Limits, Result};

/// The manifest's file name inside a model folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The head weights' file name written by [`Model::save`].
pub const HEAD_FILE: &str = "head.safetensors";
/// The fine-tuned encoder values' file name of a trained model.
pub const ENCODER_WEIGHTS_FILE: &str = "encoder.safetensors";

/// A loaded model: metadata, encoder, head and a segmenter.
pub struct Model {
    manifest: Manifest,
    encoder: Arc<Encoder>,
    head: ModelHead,
    segmenter: Segmenter,
    /// A trained model's fine-tuned encoder values, for [`Model::save`].
    encoder_weights: Option<EncoderWeights>,
    /// Bounds on requests (see [`LoadOptions::limits`]).
    limits: Limits,
}

/// Where [`Model::save`] gets a fine-tuned encoder's values from.
///
/// A model loaded from a folder only remembers its file: the values already live in the
/// encoder's plan, and a second f32 copy would cost 44 MB for MiniLM through a whole
/// analysis just in case the model is saved elsewhere.
#[derive(Clone, Debug)]
enum EncoderWeights {
    /// The `encoder.safetensors` the model was loaded from, copied as is.
    File(PathBuf),
    /// Values just trained (initialiser name → values).
    Values(Arc<HashMap<String, Vec<f32>>>),
}

/// What a trained model's metadata says about it, from whoever trained it.
pub(crate) struct TrainedAbout<'a> {
    /// The model's name.
    pub name: &'a str,
    /// The language of its documents.
    pub language: Language,
    /// The folder training started from (an encoder, or a model fine-tuned before).
    pub base: &'a Path,
    /// How it was trained, completing "fine-tuned from BASE with ...".
    pub recipe: String,
    /// The share of the segments it was fitted to that carried no tag.
    pub untagged_share: f64,
}

/// The two kinds of head: zero-shot prototypes on pooled vectors, trained attention on
/// token states.
enum ModelHead {
    Prototype(PrototypeHead),
    Attention(AttentionHead),
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("name", &self.manifest.meta.name)
            .field("type", &self.manifest.meta.model_type)
            .field("encoder", &self.manifest.encoder.name)
            .finish()
    }
}

impl Embedder for Encoder {
    fn dim(&self) -> usize {
        Encoder::dim(self)
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<f32>> {
        Ok(Encoder::embed(self, texts)?.into_vec())
    }
}

/// How [`Model::load_with`] loads a model folder.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadOptions {
    /// The arithmetic of the encoder's dense layers; `None` takes the manifest's
    /// (`encoder.precision`), `fp32` when it names none.
    #[serde(default)]
    pub precision: Option<Precision>,
    /// A folder holding encoder folders, searched for the encoder the manifest names after
    /// the model folder's siblings; `None` takes `$OPINIO_MODELS`.
    #[serde(default)]
    pub models_root: Option<PathBuf>,
    /// Bounds on what the model is asked: documents per analysis or sampling request
    /// ([`Limits::max_request_documents`]).
    #[serde(default)]
    pub limits: Limits,
}

impl Model {
    /// Loads and validates the model folder `dir`.
    pub fn load(dir: impl AsRef<Path>) -> Result<Model> {
        Model::load_with(dir, &LoadOptions::default())
    }

    /// Loads and validates the model folder `dir` with `options`.
    pub fn load_with(dir: impl AsRef<Path>, options: &LoadOptions) -> Result<Model> {
        let dir = dir.as_ref();
        let manifest = folder::read_manifest(dir)?;
        folder::verify_files(dir, &manifest)?;
        let base = folder::resolve_encoder(dir, &manifest.encoder, options.models_root.as_deref(), true)?;
        let precision = options.precision.or(manifest.encoder.precision).unwrap_or_default();
        let (encoder, encoder_weights) = match &manifest.encoder.weights {
            None => (shared_encoder(&base, precision)?, None),
            Some(file) => {
                let path = dir.join(file);
                let values = weights::load_encoder(&path)?;
                let options = crate::encode::EncoderOptions { precision, ..Default::default() };
                let encoder = Encoder::load_patched(&base, values, &options)?;
                (Arc::new(encoder), Some(EncoderWeights::File(path)))
            }
        };
        if encoder.dim() != manifest.encoder.dim {
            return Err(Error::malformed(format!(
                "the head was built on {}-dimensional embeddings, the encoder gives {}",
                manifest.encoder.dim,
                encoder.dim()
            ))
            .with_path(dir.join(MANIFEST_FILE)));
        }
        let weights = dir.join(&manifest.head.weights);
        let segmenter = Segmenter::detecting_or(manifest.meta.language);
        if manifest.head.kind == HeadKind::Attention {
            let head = load_attention_head(dir, &manifest)?;
            if head.dim() != encoder.dim() {
                return Err(Error::malformed(format!(
                    "head weights are {}-dimensional, encoder {}",
                    head.dim(),
                    encoder.dim()
                ))
                .with_path(weights));
            }
            return Ok(Model {
                manifest,
                encoder,
                head: ModelHead::Attention(head),
                segmenter,
                encoder_weights,
                limits: options.limits.clone(),
            });
        }
        let params = weights::load_prototype(
            &weights,
            class_names(&manifest.definitions.classes),
            class_names(&manifest.definitions.labels),
        )?;
        let lexicon = sentiment_lexicon(manifest.head.sentiment_lexicon.as_deref())
            .map_err(|e| e.with_path(dir.join(MANIFEST_FILE)))?;
        let head = PrototypeHead::new(manifest.meta.model_type, params)
            .map_err(|e| e.with_path(&weights))?
            .with_lexicon(lexicon);
        if head.dim() != encoder.dim() {
            return Err(Error::malformed(format!(
                "head weights are {}-dimensional, encoder {}",
                head.dim(),
                encoder.dim()
            ))
            .with_path(weights));
        }
        let limits = options.limits.clone();
        Ok(Model { manifest, encoder, head: ModelHead::Prototype(head), segmenter, encoder_weights, limits })
    }

    /// Builds a zero-shot model from class (and label) definitions on `encoder`.
    ///
    /// For ABSA, `labels` may be empty: the default sentiment definitions are used. For
    /// LABEL models the definitions in `classes` are the labels.
    pub fn zero_shot(
        encoder: Arc<Encoder>,
        model_type: ModelType,
        name: &str,
        language: Language,
        classes: Vec<Class>,
        labels: Vec<Class>,
    ) -> Result<Model> {
        let (classes, labels) = match model_type {
            ModelType::Label if labels.is_empty() => (Vec::new(), classes),
            ModelType::Absa if labels.is_empty() => (classes, crate::heads::sentiment_definitions()),
            _ => (classes, labels),
        };
        // English ABSA reads sentiment from words too: the encoder's geometry is about topic.
        let lexicon_name =
            (model_type == ModelType::Absa && language == Language::En).then(|| "vader".to_string());
        let head = PrototypeHead::zero_shot(encoder.as_ref(), model_type, &classes, &labels)?
            .with_lexicon(sentiment_lexicon(lexicon_name.as_deref())?);
        let encoder_name =
            encoder.dir().file_name().map_or("encoder".into(), |n| n.to_string_lossy().into_owned());
        let meta = new_meta(
            name,
            model_type,
            language,
            &encoder_name,
            &classes,
            &labels,
            "zero-shot: built from class definitions, before any labeled data".into(),
        );
        let manifest = Manifest {
            format: FORMAT.to_string(),
            meta,
            definitions: Definitions { classes, labels },
            encoder: EncoderRef {
                name: encoder_name,
                dim: encoder.dim(),
                weights: None,
                precision: None,
                sha256: Default::default(),
            },
            head: HeadSpec {
                kind: HeadKind::Prototype,
                weights: HEAD_FILE.to_string(),
                sentiment_lexicon: lexicon_name,
                untagged_share: None,
            },
            sha256: Default::default(),
        };
        let segmenter = Segmenter::detecting_or(language);
        Ok(Model {
            manifest,
            encoder,
            head: ModelHead::Prototype(head),
            segmenter,
            encoder_weights: None,
            limits: Limits::default(),
        })
    }

    /// Wraps a head trained with its fine-tuned encoder ([`crate::train`]).
    ///
    /// `encoder` already runs the fine-tuned values `encoder_weights` (initialiser name →
    /// values, rounded as they will be saved) on its graph; `about` names the model, its
    /// language, the folder training started from and how it was trained.
    pub(crate) fn trained(
        encoder: Arc<Encoder>,
        about: &TrainedAbout<'_>,
        head: AttentionHead,
        encoder_weights: HashMap<String, Vec<f32>>,
    ) -> Result<Model> {
        let params = head.params();
        let model_type = head.model_type();
        let classes: Vec<Class> = match model_type {
            ModelType::Label => Vec::new(),
            _ => params.classes.iter().map(|c| Class::new(c.clone())).collect(),
        };
        let labels: Vec<Class> = params.labels.iter().map(|l| Class::new(l.clone())).collect();
        let folder_name =
            |p: &Path| p.file_name().map_or("encoder".into(), |n| n.to_string_lossy().into_owned());
        let (base_name, graph_name) = (folder_name(about.base), folder_name(encoder.dir()));
        let meta = new_meta(
            about.name,
            model_type,
            about.language,
            &base_name,
            &classes,
            &labels,
            format!("fine-tuned from {base_name} with {}", about.recipe),
        );
        let manifest = Manifest {
            format: FORMAT.to_string(),
            meta,
            definitions: Definitions { classes, labels },
            encoder: EncoderRef {
                name: graph_name,
                dim: encoder.dim(),
                weights: Some(ENCODER_WEIGHTS_FILE.to_string()),
                precision: None,
                sha256: Default::default(),
            },
            head: HeadSpec {
                kind: HeadKind::Attention,
                weights: HEAD_FILE.to_string(),
                sentiment_lexicon: None,
                untagged_share: Some(about.untagged_share),
            },
            sha256: Default::default(),
        };
        let segmenter = Segmenter::detecting_or(about.language);
        Ok(Model {
            manifest,
            encoder,
            head: ModelHead::Attention(head),
            segmenter,
            encoder_weights: Some(EncoderWeights::Values(Arc::new(encoder_weights))),
            limits: Limits::default(),
        })
    }

    /// Records an evaluation in the metadata: `metrics` and its headline `score`.
    pub fn set_metrics(&mut self, metrics: crate::schema::Metrics) {
        crate::evaluate::apply(&mut self.manifest.meta, metrics);
    }

    /// Writes the model folder `dir` (created if missing): manifest, head weights and a
    /// fine-tuned encoder's values, with the SHA-256 of each and of the encoder's files. The
    /// encoder is referred to by its folder name: keep it next to `dir`, under the models
    /// root, or among the shipped models.
    pub fn save(&mut self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::from(e).with_path(dir))?;
        self.manifest.encoder.sha256 = integrity::checksums(self.encoder.dir(), integrity::ENCODER_FILES)?;
        let head_path = dir.join(&self.manifest.head.weights);
        match &self.head {
            ModelHead::Prototype(head) => weights::save_prototype(head.params(), &head_path)?,
            ModelHead::Attention(head) => head.save(&head_path)?,
        }
        match (&self.encoder_weights, &self.manifest.encoder.weights) {
            (Some(EncoderWeights::Values(values)), Some(file)) => {
                weights::save_encoder(values, &dir.join(file))?
            }
            (Some(EncoderWeights::File(from)), Some(file)) => copy_unless_same(from, &dir.join(file))?,
            _ => {}
        }
        self.manifest.sha256 = integrity::checksums(dir, folder::own_files(&self.manifest))?;
        write_manifest(dir, &self.manifest)
    }

    /// Records the SHA-256 of the files the model folder `dir` uses in its manifest, without
    /// loading it: for a folder saved by an earlier opinio (which recorded none) or
    /// assembled by hand. Do it only for files you trust: loading will then accept exactly
    /// these. The encoder is looked up by name as [`Model::load_with`] does. Returns the
    /// manifest written.
    pub fn seal(dir: impl AsRef<Path>, options: &LoadOptions) -> Result<Manifest> {
        let dir = dir.as_ref();
        let mut manifest = folder::read_manifest(dir)?;
        let encoder = folder::resolve_encoder(dir, &manifest.encoder, options.models_root.as_deref(), false)?;
        manifest.encoder.sha256 = integrity::checksums(&encoder, integrity::ENCODER_FILES)?;
        manifest.sha256 = integrity::checksums(dir, folder::own_files(&manifest))?;
        write_manifest(dir, &manifest)?;
        Ok(manifest)
    }

    /// Bounds on what the model is asked (see [`LoadOptions::limits`]).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Sets the bounds on what the model is asked.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Refuses a request of more than [`Limits::max_request_documents`] documents.
    pub(crate) fn check_request(&self, documents: usize) -> Result<()> {
        let max = self.limits.max_request_documents;
        crate::limits::at_most("max_request_documents", "documents in the request", documents, max)
    }

    /// The seed's model metadata.
    pub fn meta(&self) -> &ModelMeta {
        &self.manifest.meta
    }

    /// The share of its training segments that carried no tag, when the model was trained
    /// and recorded it; see [`HeadSpec::untagged_share`].
    pub fn untagged_share(&self) -> Option<f64> {
        self.manifest.head.untagged_share
    }

    /// The whole manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The encoder this model runs on.
    pub fn encoder(&self) -> &Arc<Encoder> {
        &self.encoder
    }

    /// The segmenter: each document in its detected language, the model's when unsure.
    pub fn segmenter(&self) -> &Segmenter {
        &self.segmenter
    }

    /// Everything the model says about each text (one segment each): its embedding, its
    /// tags and, when the head can tell, the probabilities behind them.
    pub fn predict(&self, texts: &[&str]) -> Result<Prediction> {
        let dim = self.encoder.dim();
        // Each text is pooled, tagged and weighed on the worker that encoded its batch.
        let rows = self.encoder.map_token_states(texts, |i, states| {
            let pooled = mean_pool_text(states, dim);
            let (tags, probabilities) = match &self.head {
                ModelHead::Prototype(head) => {
                    let one = &texts[i..i + 1];
                    let tags = head.tag(one, &pooled).pop().unwrap_or_default();
                    (tags, head.probabilities(one, &pooled).and_then(|mut p| p.pop()))
                }
                ModelHead::Attention(head) => (head.tag(states), Some(head.probabilities(states))),
            };
            (pooled, tags, probabilities)
        })?;
        let mut data = Vec::with_capacity(rows.len() * dim);
        let (mut tags, mut probabilities) =
            (Vec::with_capacity(rows.len()), Some(Vec::with_capacity(rows.len())));
        for (pooled, t, p) in rows {
            data.extend_from_slice(&pooled);
            tags.push(t);
            // One text without probabilities means the head cannot give them.
            probabilities = probabilities.zip(p).map(|(mut all, p)| {
                all.push(p);
                all
            });
        }
        Ok(Prediction { embeddings: Embeddings::new(data, dim)?, tags, probabilities })
    }

    /// The tags of each text, treated as one segment each.
    pub fn tag_texts(&self, texts: &[&str]) -> Result<Vec<Vec<Tag>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        match &self.head {
            // Both heads tag each text on the worker that encoded its batch.
            ModelHead::Prototype(head) => {
                let dim = self.encoder.dim();
                self.encoder.map_token_states(texts, |i, states| {
                    head.tag(&texts[i..i + 1], &mean_pool_text(states, dim)).pop().unwrap_or_default()
                })
            }
            ModelHead::Attention(head) => self.encoder.map_token_states(texts, |_, states| head.tag(states)),
        }
    }
}

/// Writes `manifest` as `dir`'s manifest.
fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
    let json = serde_json::to_vec_pretty(manifest)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("cannot write manifest: {e}")))?;
    let path = dir.join(MANIFEST_FILE);
    std::fs::write(&path, json).map_err(|e| Error::from(e).with_path(&path))
}

/// Copies `from` to `to`, unless both name the same file (a model saved where it was loaded
/// from: copying a file onto itself would empty it).
fn copy_unless_same(from: &Path, to: &Path) -> Result<()> {
    let same = match (std::fs::canonicalize(from), std::fs::canonicalize(to)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same {
        std::fs::copy(from, to).map_err(|e| Error::from(e).with_path(from))?;
    }
    Ok(())
}

/// What [`Model::predict`] says about a batch of segments, in their order.
#[derive(Clone, Debug)]
pub struct Prediction {
    /// The pooled, L2-normalised embedding of each segment.
    pub embeddings: Embeddings,
    /// The tags of each segment, most confident first.
    pub tags: Vec<Vec<Tag>>,
    /// The head's probabilities per segment, when it exposes them.
    pub probabilities: Option<Vec<Probabilities>>,
}

/// The metadata of a model just built: ready, no score yet.
fn new_meta(
    name: &str,
    model_type: ModelType,
    language: Language,
    base: &str,
    classes: &[Class],
    labels: &[Class],
    short_description: String,
) -> ModelMeta {
    let names = |defs: &[Class]| (!defs.is_empty()).then(|| class_names(defs));
    ModelMeta {
        name: name.to_string(),
        display_name: name.to_string(),
        uuid: uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes()).to_string(),
        model_type,
        language,
        status: ModelStatus::Ready,
        base: Some(base.to_string()),
        classes: names(classes),
        labels: names(labels),
        short_description: Some(short_description),
        long_description: None,
        created: None,
        id: None,
        owner: None,
        progress: None,
        project_id: None,
        score: None,
        demoset: None,
        metrics: None,
    }
}

/// The sentiment lexicon a manifest names.
fn sentiment_lexicon(name: Option<&str>) -> Result<Option<&'static Lexicon>> {
    match name {
        None => Ok(None),
        Some("vader") => Ok(Some(Lexicon::vader())),
        Some(other) => Err(Error::new(
            ErrorKind::Unsupported,
            format!("unknown sentiment lexicon {other:?}, this build knows \"vader\""),
        )),
    }
}

/// The attention head of the model folder `dir`, named by its manifest (a LABEL model's
/// one class has the empty name).
fn load_attention_head(dir: &Path, manifest: &Manifest) -> Result<AttentionHead> {
    let model_type = manifest.meta.model_type;
    let classes = match model_type {
        ModelType::Label => vec![String::new()],
        _ => class_names(&manifest.definitions.classes),
    };
    let path = dir.join(&manifest.head.weights);
    AttentionHead::load(&path, model_type, classes, class_names(&manifest.definitions.labels))
}

/// The names of class (or label) definitions, in order.
fn class_names(defs: &[Class]) -> Vec<String> {
    defs.iter().map(|c| c.name.clone()).collect()
}

/// One encoder per folder per process, shared by every model that uses it.
fn shared_encoder(dir: &Path, precision: Precision) -> Result<Arc<Encoder>> {
    static CACHE: Mutex<Option<HashMap<(PathBuf, Precision), Weak<Encoder>>>> = Mutex::new(None);
    let key = (dir.canonicalize().map_err(|e| Error::from(e).with_path(dir))?, precision);
    let mut guard = CACHE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let cache = guard.get_or_insert_with(HashMap::new);
    if let Some(encoder) = cache.get(&key).and_then(Weak::upgrade) {
        return Ok(encoder);
    }
    let options = crate::encode::EncoderOptions { precision, ..Default::default() };
    let encoder = Arc::new(Encoder::load_with(&key.0, &options)?);
    cache.insert(key, Arc::downgrade(&encoder));
    Ok(encoder)
}

/// Loads the encoder in `dir` (at f32) through the process-wide cache.
pub fn load_encoder(dir: impl AsRef<Path>) -> Result<Arc<Encoder>> {
    shared_encoder(dir.as_ref(), Precision::Fp32)
}
