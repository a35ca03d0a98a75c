//! The zero-shot head: classes and labels as directions in embedding space.
//!
//! Each class (and each label) is a *prototype*: the normalised mean embedding of its
//! definition texts (name, description, example). A segment carries a class when its
//! similarity to the prototype passes the class's calibrated threshold
//! ([`super::calibrate`]); it carries the label whose prototype it is closest to, with a
//! softmax over labels at a calibrated temperature. For ABSA the labels are the
//! sentiments, defined in `src/heads/data/sentiment.json`; a segment close to both `POS`
//! and `NEG` gets `CON` (conflict).
//!
//! The same head serves a trained model once its prototypes are means of labelled
//! examples instead of definitions, so it is also the base that training refines.

use super::calibrate::{self, Calibration};
use super::lexicon::{Lexicon, NEUTRAL_BAND};
use super::math::{dot, logistic, mean_direction, softmax};
use super::{Embedder, Head, Probabilities};
use crate::schema::{sentiment, Class, ModelType, Tag};
use crate::{Error, Result};

/// How far (in logits) a class may trail the best class and still be present.
const RIVAL_MARGIN: f32 = 1.0;

/// A label probability both `POS` and `NEG` must reach for a segment to be `CON`.
const CONFLICT_SHARE: f32 = 1.0 / 3.0;

/// The numbers of a prototype head, as stored in a model folder.
#[derive(Clone, Debug, PartialEq)]
pub struct PrototypeParams {
    /// Floats per embedding.
    pub dim: usize,
    /// Class names, in the order of the class arrays.
    pub classes: Vec<String>,
    /// `classes.len() × dim`, row-major, unit rows.
    pub class_prototypes: Vec<f32>,
    /// One calibrated threshold per class.
    pub class_thresholds: Vec<f32>,
    /// One confidence scale per class.
    pub class_scales: Vec<f32>,
    /// Label names, in the order of `label_prototypes`.
    pub labels: Vec<String>,
    /// `labels.len() × dim`, row-major, unit rows.
    pub label_prototypes: Vec<f32>,
    /// Softmax temperature over label similarities.
    pub label_temperature: f32,
}

/// The zero-shot (prototype) head; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct PrototypeHead {
    model_type: ModelType,
    p: PrototypeParams,
    /// A sentiment lexicon consulted for ABSA labels, when the model names one.
    lexicon: Option<&'static Lexicon>,
}

/// The default ABSA sentiment definitions (`POS`, `NEG`, `NEU`).
pub fn sentiment_definitions() -> Vec<Class> {
    serde_json::from_str(include_str!("data/sentiment.json")).unwrap_or_default()
}

impl PrototypeHead {
    /// A head from stored parameters, checked for consistency with `model_type`.
    pub fn new(model_type: ModelType, p: PrototypeParams) -> Result<Self> {
        let (c, l, d) = (p.classes.len(), p.labels.len(), p.dim);
        let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(Error::malformed(what.to_string())) };
        check(d > 0, "head dimension is 0")?;
        check(
            p.class_prototypes.len() == c * d,
            &format!("class_prototypes has {} floats, expected {c} × {d}", p.class_prototypes.len()),
        )?;
        check(
            p.class_thresholds.len() == c && p.class_scales.len() == c,
            "class thresholds or scales do not match the classes",
        )?;
        check(
            p.label_prototypes.len() == l * d,
            &format!("label_prototypes has {} floats, expected {l} × {d}", p.label_prototypes.len()),
        )?;
        check(p.label_temperature > 0.0, "label temperature must be positive")?;
        let needs_classes = model_type != ModelType::Label;
        let needs_labels = model_type != ModelType::Class;
        check(!needs_classes || c > 0, &format!("a {model_type} model needs at least one class"))?;
        check(
            !needs_labels || l >= 2,
            &format!("a {model_type} model needs at least two labels, found {l}"),
        )?;
        Ok(PrototypeHead { model_type, p, lexicon: None })
    }

    /// Consults `lexicon` for ABSA sentiment: where it finds polarity (|compound| ≥ 0.05),
    /// its vote `POS ∝ (1 + c) / 2`, `NEG ∝ (1 - c) / 2`, `NEU ∝ 1 - |c|` multiplies the
    /// prototype probabilities; where it finds none, the prototypes decide alone.
    pub fn with_lexicon(mut self, lexicon: Option<&'static Lexicon>) -> Self {
        self.lexicon = lexicon;
        self
    }

    /// Whether a sentiment lexicon is consulted.
    pub fn uses_lexicon(&self) -> bool {
        self.lexicon.is_some()
    }

    /// Builds a zero-shot head from definitions alone.
    ///
    /// `classes` are the seed's Class objects (name, description, example). `labels` are
    /// label definitions in the same shape; for ABSA pass [`sentiment_definitions`] (or
    /// your own), for CLASS pass none.
    pub fn zero_shot(
        embedder: &dyn Embedder,
        model_type: ModelType,
        classes: &[Class],
        labels: &[Class],
    ) -> Result<Self> {
        let dim = embedder.dim();
        check_unique(classes, "class")?;
        check_unique(labels, "label")?;
        let background_texts = calibrate::background();
        let background = embedder.embed(&background_texts)?;

        let mut p = PrototypeParams {
            dim,
            classes: classes.iter().map(|c| c.name.clone()).collect(),
            class_prototypes: Vec::with_capacity(classes.len() * dim),
            class_thresholds: Vec::new(),
            class_scales: Vec::new(),
            labels: labels.iter().map(|l| l.name.clone()).collect(),
            label_prototypes: Vec::with_capacity(labels.len() * dim),
            label_temperature: 1.0,
        };
        let embedded: Vec<Vec<f32>> =
            classes.iter().map(|c| embedder.embed(&definition_texts(c))).collect::<Result<_>>()?;
        for (k, own) in embedded.iter().enumerate() {
            let rows: Vec<&[f32]> = own.chunks_exact(dim).collect();
            let prototype = mean_direction(rows.iter().copied(), dim);
            // Negatives: everyday text, and the other classes' definitions (in-domain text
            // that is not about this class).
            let mut negatives = background.clone();
            embedded
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != k)
                .for_each(|(_, o)| negatives.extend_from_slice(o));
            let Calibration { threshold, scale } = calibrate::calibrate(&prototype, &rows, &negatives, dim);
            p.class_prototypes.extend_from_slice(&prototype);
            p.class_thresholds.push(threshold);
            p.class_scales.push(scale);
        }
        for label in labels {
            let texts = definition_texts(label);
            let embedded = embedder.embed(&texts)?;
            p.label_prototypes.extend(mean_direction(embedded.chunks_exact(dim), dim));
        }
        if !labels.is_empty() {
            p.label_temperature = calibrate::temperature(&p.label_prototypes, &background, dim);
        }
        PrototypeHead::new(model_type, p)
    }

    /// The stored parameters.
    pub fn params(&self) -> &PrototypeParams {
        &self.p
    }

    /// Class confidences of one embedding, in class order. A class also competes with the
    /// others: one more than [`RIVAL_MARGIN`] logits behind the best class is not present,
    /// since a segment that is clearly about food is not also vaguely about the menu.
    fn class_confidences(&self, e: &[f32]) -> Vec<f32> {
        let d = self.p.dim;
        let logits: Vec<f32> = (0..self.p.classes.len())
            .map(|c| {
                let sim = dot(e, &self.p.class_prototypes[c * d..(c + 1) * d]);
                (sim - self.p.class_thresholds[c]) / self.p.class_scales[c]
            })
            .collect();
        let best = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        logits
            .into_iter()
            .map(|l| if l < best - RIVAL_MARGIN { logistic(l.min(0.0) - 1e-3) } else { logistic(l) })
            .collect()
    }

    /// Label probabilities of one segment, in label order: the prototypes' softmax, times
    /// the lexicon's vote for ABSA when it has one.
    fn label_probabilities(&self, text: &str, e: &[f32]) -> Vec<f32> {
        let sims: Vec<f32> = self.p.label_prototypes.chunks_exact(self.p.dim).map(|l| dot(e, l)).collect();
        let mut probs = softmax(&sims, self.p.label_temperature);
        let Some(lexicon) = self.lexicon.filter(|_| self.model_type == ModelType::Absa) else { return probs };
        let c = lexicon.shares(text).compound;
        if c.abs() < NEUTRAL_BAND {
            return probs;
        }
        for (p, label) in probs.iter_mut().zip(&self.p.labels) {
            *p *= match label.as_str() {
                sentiment::POS => (1.0 + c) / 2.0,
                sentiment::NEG => (1.0 - c) / 2.0,
                sentiment::NEU => 1.0 - c.abs(),
                _ => 1.0,
            };
        }
        let total: f32 = probs.iter().sum();
        if total > 0.0 {
            probs.iter_mut().for_each(|p| *p /= total);
        }
        probs
    }

    /// The label of one embedding and its probability; for ABSA, `CON` when the segment
    /// leans both ways.
    fn best_label(&self, probs: &[f32]) -> (String, f32) {
        if self.model_type == ModelType::Absa {
            let share = |name: &str| self.p.labels.iter().position(|l| l == name).map(|i| probs[i]);
            if let (Some(pos), Some(neg)) = (share(sentiment::POS), share(sentiment::NEG)) {
                if pos >= CONFLICT_SHARE && neg >= CONFLICT_SHARE {
                    return (sentiment::CON.to_string(), pos + neg);
                }
            }
        }
        let (i, p) = probs
            .iter()
            .copied()
            .enumerate()
            .fold((0, f32::MIN), |b, (i, p)| if p > b.1 { (i, p) } else { b });
        (self.p.labels[i].clone(), p)
    }

    fn tag_one(&self, text: &str, e: &[f32]) -> Vec<Tag> {
        let tag = |class: Option<&String>, label: Option<String>, confidence: f32| Tag {
            class: class.cloned(),
            label,
            confidence: Some(confidence.clamp(0.0, 1.0)),
        };
        let mut tags = Vec::new();
        match self.model_type {
            ModelType::Label => {
                let (label, p) = self.best_label(&self.label_probabilities(text, e));
                tags.push(tag(None, Some(label), p));
            }
            ModelType::Class => {
                for (c, conf) in self.class_confidences(e).into_iter().enumerate() {
                    if conf > 0.5 {
                        tags.push(tag(Some(&self.p.classes[c]), None, conf));
                    }
                }
            }
            ModelType::ClassLabel | ModelType::Absa => {
                let present: Vec<(usize, f32)> = self
                    .class_confidences(e)
                    .into_iter()
                    .enumerate()
                    .filter(|&(_, conf)| conf > 0.5)
                    .collect();
                if !present.is_empty() {
                    let (label, p) = self.best_label(&self.label_probabilities(text, e));
                    for (c, conf) in present {
                        tags.push(tag(Some(&self.p.classes[c]), Some(label.clone()), conf * p));
                    }
                }
            }
        }
        tags.sort_by(|a, b| b.confidence.unwrap_or(0.0).total_cmp(&a.confidence.unwrap_or(0.0)));
        tags
    }
}

impl Head for PrototypeHead {
    fn model_type(&self) -> ModelType {
        self.model_type
    }

    fn dim(&self) -> usize {
        self.p.dim
    }

    fn tag(&self, texts: &[&str], embeddings: &[f32]) -> Vec<Vec<Tag>> {
        texts.iter().zip(embeddings.chunks_exact(self.p.dim)).map(|(t, e)| self.tag_one(t, e)).collect()
    }

    fn probabilities(&self, texts: &[&str], embeddings: &[f32]) -> Option<Vec<Probabilities>> {
        let one = |(text, e): (&&str, &[f32])| Probabilities {
            classes: if self.model_type.has_classes() { self.class_confidences(e) } else { Vec::new() },
            labels: if self.model_type.has_labels() { vec![self.label_probabilities(text, e)] } else { Vec::new() },
        };
        Some(texts.iter().zip(embeddings.chunks_exact(self.p.dim)).map(one).collect())
    }
}

/// The texts that define a class or label: its name, description and examples (the
/// `example` field may hold several, one per line).
fn definition_texts(def: &Class) -> Vec<&str> {
    let examples = def.example.as_deref().into_iter().flat_map(str::lines);
    [def.name.as_str()]
        .into_iter()
        .chain(def.description.as_deref())
        .chain(examples)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

fn check_unique(defs: &[Class], what: &str) -> Result<()> {
    for (i, d) in defs.iter().enumerate() {
        if d.name.trim().is_empty() {
            return Err(Error::invalid_argument(format!("{what} {} has an empty name", i + 1)));
        }
        if defs[..i].iter().any(|o| o.name == d.name) {
            return Err(Error::invalid_argument(format!("{what} {:?} is defined twice", d.name)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bag-of-letters embedder: enough geometry to test the head's logic, not a model.
    struct Letters;
    impl Embedder for Letters {
        fn dim(&self) -> usize {
            26
        }
        fn embed(&self, texts: &[&str]) -> Result<Vec<f32>> {
            Ok(texts
                .iter()
                .flat_map(|t| {
                    let mut v = vec![0f32; 26];
                    t.bytes().filter(u8::is_ascii_lowercase).for_each(|b| v[usize::from(b - b'a')] += 1.0);
                    super::super::math::normalize(&mut v);
                    v
                })
                .collect())
        }
    }

    fn class(name: &str, description: &str) -> Class {
        Class { name: name.into(), description: Some(description.into()), example: None, id: None }
    }

    #[test]
    fn class_head_tags_what_is_close_to_a_definition() {
        let classes = [class("zzz", "zzzz zzz"), class("qqq", "qqqq qqq")];
        let head = PrototypeHead::zero_shot(&Letters, ModelType::Class, &classes, &[]).unwrap();
        let e = Letters.embed(&["zzz zz", "the weather is nice"]).unwrap();
        let tags = head.tag(&["zzz zz", "the weather is nice"], &e);
        assert_eq!(tags[0].len(), 1);
        assert_eq!(tags[0][0].class.as_deref(), Some("zzz"));
        assert!(tags[0][0].label.is_none());
        assert!(tags[1].is_empty());
    }

    #[test]
    fn label_head_always_answers_one_label() {
        let labels = [class("xx", "xxxx"), class("yy", "yyyy")];
        let head = PrototypeHead::zero_shot(&Letters, ModelType::Label, &[], &labels).unwrap();
        let tags = head.tag(&["yyy", "abc"], &Letters.embed(&["yyy", "abc"]).unwrap());
        assert!(tags.iter().all(|t| t.len() == 1 && t[0].class.is_none()));
        assert_eq!(tags[0][0].label.as_deref(), Some("yy"));
        assert!(tags[0][0].confidence.unwrap() > 0.5);
    }

    #[test]
    fn definitions_are_validated() {
        let twice = [class("a", "x"), class("a", "y")];
        assert!(PrototypeHead::zero_shot(&Letters, ModelType::Class, &twice, &[]).is_err());
        let one_label = [class("POS", "good")];
        let err = PrototypeHead::zero_shot(&Letters, ModelType::Label, &[], &one_label).unwrap_err();
        assert!(err.to_string().contains("two labels"), "{err}");
    }

    #[test]
    fn stored_parameters_are_checked() {
        let p = PrototypeParams {
            dim: 2,
            classes: vec!["a".into()],
            class_prototypes: vec![1.0],
            class_thresholds: vec![0.5],
            class_scales: vec![0.1],
            labels: vec![],
            label_prototypes: vec![],
            label_temperature: 1.0,
        };
        let err = PrototypeHead::new(ModelType::Class, p).unwrap_err();
        assert!(err.to_string().contains("class_prototypes has 1 floats"), "{err}");
    }

    #[test]
    fn sentiment_definitions_are_the_absa_labels() {
        let names: Vec<String> = sentiment_definitions().into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["POS", "NEG", "NEU"]);
    }
}
