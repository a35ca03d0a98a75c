//! The trained head: per-class attention over a segment's token states.
//!
//! Trained by [`crate::train`] together with the encoder. For each class, a query vector
//! scores every token (`h_t · q / √H`), a softmax turns the scores into weights, and the
//! weighted sum of the token states is the class's view of the segment. From that view (with
//! the mean of the token states after it, when trained so) a sigmoid says whether the class is
//! present and a softmax picks its label. A LABEL model
//! has one unnamed class and no detection; a CLASS model has no labels.
//!
//! Plain Rust on tract's per-token output, the same arithmetic as the candle head it was
//! trained as (tested to agree).

use std::path::Path;

use super::math::{dot, logistic, softmax};
use super::tensors::{write_f32_tensors, NamedTensors};
use super::Probabilities;
use crate::schema::{ModelType, Tag};
use crate::{Error, Result};

/// A detection probability above this means the class is present.
pub const DETECTION_THRESHOLD: f32 = 0.5;

/// The trained values of an attention head (`C` classes, `L` labels, `H` hidden).
#[derive(Clone, Debug, PartialEq)]
pub struct AttentionParams {
    /// Hidden size `H`.
    pub dim: usize,
    /// Class names (one empty name for LABEL models).
    pub classes: Vec<String>,
    /// Label names (none for CLASS models).
    pub labels: Vec<String>,
    /// Whether classes are detected (false for LABEL models: the one label is always given).
    pub detect: bool,
    /// Whether the class's attended vector is followed by the segment's mean token state
    /// before the detection and label layers: their inputs are then `F = 2H` wide, else `H`.
    /// The mean tells a class what the whole sentence is about when its own attention
    /// settles on one word.
    pub sentence_mean: bool,
    /// `[C, H]` attention queries.
    pub query: Vec<f32>,
    /// `[C, F]` detection weights.
    pub detect_w: Vec<f32>,
    /// `[C]` detection biases.
    pub detect_b: Vec<f32>,
    /// `[C, L, F]` label weights.
    pub label_w: Vec<f32>,
    /// `[C, L]` label biases.
    pub label_b: Vec<f32>,
}

impl AttentionParams {
    /// The width `F` of the detection and label layers' input.
    pub fn features(&self) -> usize {
        feature_width(self.dim, self.sentence_mean)
    }
}

/// The width of a head's detection and label layers' input: the attended vector (`dim`),
/// and the sentence mean after it when `sentence_mean`.
pub(crate) fn feature_width(dim: usize, sentence_mean: bool) -> usize {
    if sentence_mean {
        2 * dim
    } else {
        dim
    }
}

/// Temperatures that divide a head's logits before the sigmoid and the softmax: above 1 a
/// head that trained overconfident reports probabilities closer to how often it is right.
/// Dividing a logit by a positive number keeps its sign and order, so tags never change;
/// confidences and everything that reads probabilities (correction sampling, its
/// `predicted_score`) do. Fitted after training on the segments it is evaluated on
/// ([`crate::train`]: the held-out share, or the test set given), which must not be the
/// segments it was trained on; 1 (none) for heads saved before.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Temperatures {
    /// For each class's presence logit.
    pub detect: f32,
    /// For the label logits.
    pub label: f32,
}

impl Default for Temperatures {
    fn default() -> Temperatures {
        Temperatures { detect: 1.0, label: 1.0 }
    }
}

/// The trained head, ready to tag token states.
#[derive(Clone, Debug)]
pub struct AttentionHead {
    model_type: ModelType,
    params: AttentionParams,
    temperatures: Temperatures,
}

impl AttentionHead {
    /// Checks the shapes of `params` and builds the head.
    pub fn new(model_type: ModelType, params: AttentionParams) -> Result<AttentionHead> {
        let (c, l, h, f) = (params.classes.len(), params.labels.len(), params.dim, params.features());
        let shapes = [
            ("query", params.query.len(), c * h),
            ("detect_w", params.detect_w.len(), c * f),
            ("detect_b", params.detect_b.len(), c),
            ("label_w", params.label_w.len(), c * l * f),
            ("label_b", params.label_b.len(), c * l),
        ];
        for (name, got, want) in shapes {
            if got != want {
                return Err(Error::malformed(format!(
                    "head tensor {name} has {got} values, expected {want} ({c} classes, {l} labels, dim {h})"
                )));
            }
        }
        if c == 0 || h == 0 || (l == 0 && !params.detect) {
            return Err(Error::malformed(format!("attention head with {c} classes, {l} labels, dim {h}")));
        }
        Ok(AttentionHead { model_type, params, temperatures: Temperatures::default() })
    }

    /// The head with its logits divided by `t` (each a finite number > 0).
    pub fn with_temperatures(self, t: Temperatures) -> Result<AttentionHead> {
        if !(t.detect.is_finite() && t.detect > 0.0 && t.label.is_finite() && t.label > 0.0) {
            return Err(Error::malformed(format!("head temperatures {t:?} must be finite and above 0")));
        }
        Ok(AttentionHead { temperatures: t, ..self })
    }

    /// The temperatures its probabilities are computed at.
    pub fn temperatures(&self) -> Temperatures {
        self.temperatures
    }

    /// The kind of analysis the head was trained for.
    pub fn model_type(&self) -> ModelType {
        self.model_type
    }

    /// The trained values.
    pub fn params(&self) -> &AttentionParams {
        &self.params
    }

    /// The hidden size expected.
    pub fn dim(&self) -> usize {
        self.params.dim
    }

    /// Per class: the detection probability and the label probabilities of one text, given
    /// its tokens' hidden states (`[tokens * dim]`, row-major, no padding), at the head's
    /// [`Temperatures`].
    pub fn scores(&self, states: &[f32]) -> Vec<(f32, Vec<f32>)> {
        let t = self.temperatures;
        let detect = self.params.detect;
        let has_labels = !self.params.labels.is_empty();
        let scores = self.logits(states).into_iter().map(|(logit, labels)| {
            let present = if detect { logistic(logit / t.detect) } else { 1.0 };
            (present, if has_labels { softmax(&labels, t.label) } else { labels })
        });
        scores.collect()
    }

    /// Per class: the presence logit and the label logits of one text, before temperatures.
    pub fn logits(&self, states: &[f32]) -> Vec<(f32, Vec<f32>)> {
        let p = &self.params;
        let (h, l, f) = (p.dim, p.labels.len(), p.features());
        let scale = 1.0 / (h as f32).sqrt();
        let tokens: Vec<&[f32]> = states.chunks_exact(h).collect();
        let mut out = Vec::with_capacity(p.classes.len());
        // The class's attended vector, then (when trained so) the mean token state.
        let mut features = vec![0.0f32; f];
        if p.sentence_mean && !tokens.is_empty() {
            let n = tokens.len() as f32;
            for t in &tokens {
                features[h..].iter_mut().zip(t.iter()).for_each(|(m, x)| *m += x / n);
            }
        }
        for c in 0..p.classes.len() {
            let q = &p.query[c * h..(c + 1) * h];
            let scores: Vec<f32> = tokens.iter().map(|t| dot(t, q) * scale).collect();
            let weights = softmax(&scores, 1.0);
            let pooled = &mut features[..h];
            pooled.iter_mut().for_each(|v| *v = 0.0);
            for (w, t) in weights.iter().zip(&tokens) {
                pooled.iter_mut().zip(t.iter()).for_each(|(p, x)| *p += w * x);
            }
            let logit = dot(&features, &p.detect_w[c * f..(c + 1) * f]) + p.detect_b[c];
            let logits: Vec<f32> = (0..l)
                .map(|j| dot(&features, &p.label_w[(c * l + j) * f..(c * l + j + 1) * f]) + p.label_b[c * l + j])
                .collect();
            out.push((logit, logits));
        }
        out
    }

    /// The probabilities behind one text's tags, in the shape [`Probabilities`] documents:
    /// per class the detection probability (none for LABEL models) and a label row per class.
    pub fn probabilities(&self, states: &[f32]) -> Probabilities {
        let scores = self.scores(states);
        let classes = if self.params.detect { scores.iter().map(|s| s.0).collect() } else { Vec::new() };
        let labels = if self.params.labels.is_empty() { Vec::new() } else { scores.into_iter().map(|s| s.1).collect() };
        Probabilities { classes, labels }
    }

    /// The tags of one text, most confident first.
    pub fn tag(&self, states: &[f32]) -> Vec<Tag> {
        let p = &self.params;
        let mut tags: Vec<Tag> = Vec::new();
        for (c, (present, labels)) in self.scores(states).into_iter().enumerate() {
            if p.detect && present <= DETECTION_THRESHOLD {
                continue;
            }
            let best = labels.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1));
            let class = (self.model_type != ModelType::Label).then(|| p.classes[c].clone());
            let (label, confidence) = match best {
                Some((j, &prob)) => (Some(p.labels[j].clone()), if p.detect { present * prob } else { prob }),
                None => (None, present),
            };
            tags.push(Tag { class, label, confidence: Some(confidence) });
        }
        tags.sort_by(|a, b| b.confidence.unwrap_or(0.0).total_cmp(&a.confidence.unwrap_or(0.0)));
        tags
    }

    /// Writes the head's tensors to `path` (safetensors; names live in the manifest).
    pub fn save(&self, path: &Path) -> Result<()> {
        let p = &self.params;
        let (c, l, h, f) = (p.classes.len(), p.labels.len(), p.dim, p.features());
        let detect = [if p.detect { 1.0f32 } else { 0.0 }];
        let temperatures = [self.temperatures.detect, self.temperatures.label];
        let tensors: [(&str, Vec<usize>, &[f32]); 7] = [
            ("query", vec![c, h], &p.query),
            ("detect_w", vec![c, f], &p.detect_w),
            ("detect_b", vec![c], &p.detect_b),
            ("label_w", vec![c, l, f], &p.label_w),
            ("label_b", vec![c, l], &p.label_b),
            ("detect", vec![1], &detect),
            ("temperatures", vec![2], &temperatures),
        ];
        write_f32_tensors(path, &tensors, "opinio-attention-head/1")
    }

    /// Reads a head saved by [`AttentionHead::save`]; names come from the manifest, and
    /// every tensor must have the shape they imply. Whether the head reads the sentence mean
    /// follows from the width of `detect_w` (`H` or `2H`), so heads saved before it existed
    /// load as they were; so do heads saved without [`Temperatures`] (at 1).
    pub fn load(path: &Path, model_type: ModelType, classes: Vec<String>, labels: Vec<String>) -> Result<AttentionHead> {
        let mut t = NamedTensors::read(path)?;
        let (c, l) = (classes.len(), labels.len());
        let (query, h) = t.take_rows("query", c)?;
        let (detect_w, f) = t.take_rows("detect_w", c)?;
        if f != h && f != 2 * h {
            let what = format!("head tensor detect_w is {f} wide, expected {h} or {} (the query's width, or twice it)", 2 * h);
            return Err(Error::malformed(what).with_path(path));
        }
        let params = AttentionParams {
            dim: h,
            detect: t.take("detect", &[1])?[0] > 0.5,
            sentence_mean: f == 2 * h,
            query,
            detect_w,
            detect_b: t.take("detect_b", &[c])?,
            label_w: t.take("label_w", &[c, l, f])?,
            label_b: t.take("label_b", &[c, l])?,
            classes,
            labels,
        };
        let temperatures = match t.has("temperatures") {
            // The shape is checked: two values.
            true => t.take("temperatures", &[2]).map(|v| Temperatures { detect: v[0], label: v[1] })?,
            false => Temperatures::default(),
        };
        t.finish()?;
        let head = AttentionHead::new(model_type, params).and_then(|h| h.with_temperatures(temperatures));
        head.map_err(|e| e.with_path(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    /// Two classes, two labels, dim 2: class 0's query picks token 0, class 1's token 1.
    fn two_classes() -> AttentionParams {
        AttentionParams {
            dim: 2,
            classes: vec!["food".into(), "service".into()],
            labels: vec!["POS".into(), "NEG".into()],
            detect: true,
            sentence_mean: false,
            query: vec![20.0, 0.0, 0.0, 20.0],
            detect_w: vec![5.0, 0.0, 0.0, 5.0],
            detect_b: vec![-2.0, -2.0],
            // label POS reads +1 on the class's axis, NEG reads -1.
            label_w: vec![1.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, -1.0],
            label_b: vec![0.0; 4],
        }
    }

    #[test]
    fn head_attends_per_class_and_round_trips() {
        let params = two_classes();
        let head = AttentionHead::new(ModelType::Absa, params).unwrap();
        // Two tokens: one on the food axis, one on the service axis.
        let tags = head.tag(&[1.0, -0.2, -0.2, 1.0]);
        assert_eq!(tags.len(), 2);
        assert!(tags.iter().all(|t| t.label.as_deref() == Some("POS")));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("head.safetensors");
        head.save(&path).unwrap();
        let back = AttentionHead::load(&path, ModelType::Absa, vec!["food".into(), "service".into()], vec!["POS".into(), "NEG".into()]).unwrap();
        assert_eq!(back.params(), head.params());
        let wrong = AttentionHead::load(&path, ModelType::Absa, vec!["food".into()], vec!["POS".into(), "NEG".into()]);
        assert_eq!(wrong.unwrap_err().kind(), ErrorKind::Malformed);
    }

    #[test]
    fn a_sentence_mean_head_reads_the_mean_and_round_trips() {
        // One class whose detection reads only the mean half of its input (dim 2, F 4): the
        // attended vector says nothing, the mean [0.5, 0.5] says "present" (logit 2 - 1).
        let params = AttentionParams {
            dim: 2,
            classes: vec!["food".into()],
            labels: vec!["POS".into(), "NEG".into()],
            detect: true,
            sentence_mean: true,
            query: vec![0.0, 0.0],
            detect_w: vec![0.0, 0.0, 2.0, 2.0],
            detect_b: vec![-1.0],
            label_w: vec![0.0, 0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.0],
            label_b: vec![0.0; 2],
        };
        let head = AttentionHead::new(ModelType::Absa, params.clone()).unwrap();
        let scores = head.scores(&[1.0, 0.0, 0.0, 1.0]);
        assert!((scores[0].0 - logistic(1.0)).abs() < 1e-6, "{scores:?}");
        assert!(scores[0].1[0] > scores[0].1[1], "the mean's first axis reads POS: {scores:?}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("head.safetensors");
        head.save(&path).unwrap();
        let back = AttentionHead::load(&path, ModelType::Absa, vec!["food".into()], vec!["POS".into(), "NEG".into()]).unwrap();
        assert_eq!(back.params(), &params);
        // A width that is neither H nor 2H is refused at construction.
        let odd = AttentionParams { detect_w: vec![0.0; 3], ..params };
        assert_eq!(AttentionHead::new(ModelType::Absa, odd).unwrap_err().kind(), ErrorKind::Malformed);
    }

    /// Temperatures soften the probabilities without changing a tag, survive a save, and
    /// must be positive; a head saved without them loads at 1.
    #[test]
    fn temperatures_soften_confidences_keep_tags_and_round_trip() {
        let params = two_classes();
        let states = [1.0, -0.2, -0.2, 1.0];
        let sharp = AttentionHead::new(ModelType::Absa, params).unwrap();
        let t = Temperatures { detect: 2.0, label: 3.0 };
        let soft = sharp.clone().with_temperatures(t).unwrap();
        let (a, b) = (sharp.tag(&states), soft.tag(&states));
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((&x.class, &x.label), (&y.class, &y.label));
            assert!(y.confidence.unwrap() < x.confidence.unwrap(), "{x:?} vs {y:?}");
        }
        let (ps, pt) = (sharp.scores(&states), soft.scores(&states));
        let logit = sharp.logits(&states)[0].0;
        assert!((ps[0].0 - logistic(logit)).abs() < 1e-6 && (pt[0].0 - logistic(logit / 2.0)).abs() < 1e-6);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("head.safetensors");
        let names = || (vec!["food".to_string(), "service".to_string()], vec!["POS".to_string(), "NEG".to_string()]);
        soft.save(&path).unwrap();
        let (classes, labels) = names();
        assert_eq!(AttentionHead::load(&path, ModelType::Absa, classes, labels).unwrap().temperatures(), t);
        // Saved without the tensor, as heads were before it: temperatures of 1.
        let p = sharp.params();
        let old: [(&str, Vec<usize>, &[f32]); 6] = [
            ("query", vec![2, 2], &p.query),
            ("detect_w", vec![2, 2], &p.detect_w),
            ("detect_b", vec![2], &p.detect_b),
            ("label_w", vec![2, 2, 2], &p.label_w),
            ("label_b", vec![2, 2], &p.label_b),
            ("detect", vec![1], &[1.0]),
        ];
        write_f32_tensors(&path, &old, "opinio-attention-head/1").unwrap();
        let (classes, labels) = names();
        assert_eq!(AttentionHead::load(&path, ModelType::Absa, classes, labels).unwrap().temperatures(), Temperatures::default());
        for bad in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            let err = sharp.clone().with_temperatures(Temperatures { detect: bad, label: 1.0 }).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Malformed);
        }
    }
}
