//! Training tests: tiny data, one epoch (CI has 2 cores).

use std::collections::HashMap;

use candle_core::{Device, Tensor};

use super::head::HeadShape;
use super::*;
use crate::encode::onnx::{read_proto, BertWeights};
use crate::labeled::LabeledSegment;
use crate::schema::Tag;

fn tag(c: &str, l: &str) -> Tag {
    Tag { class: Some(c.into()), label: Some(l.into()), confidence: None }
}

/// Two dozen hand-written restaurant sentences.
pub(crate) fn tiny_set() -> LabeledSet {
    let rows: [(&str, &[(&str, &str)]); 24] = [
        ("The pasta was delicious.", &[("food", "POS")]),
        ("The waiter ignored us for twenty minutes.", &[("service", "NEG")]),
        ("Great food but slow service.", &[("food", "POS"), ("service", "NEG")]),
        ("Prices are far too high for what you get.", &[("price", "NEG")]),
        ("Cheap and tasty noodles.", &[("price", "POS"), ("food", "POS")]),
        ("Our server was friendly and quick.", &[("service", "POS")]),
        ("The soup was cold and bland.", &[("food", "NEG")]),
        ("Very reasonable prices.", &[("price", "POS")]),
        ("We waited an hour for a table.", &[("service", "NEG")]),
        ("I loved the dessert.", &[("food", "POS")]),
        ("Staff were rude and the bill was huge.", &[("service", "NEG"), ("price", "NEG")]),
        ("We went there on a Tuesday.", &[]),
        ("The steak was overcooked.", &[("food", "NEG")]),
        ("Attentive service all evening.", &[("service", "POS")]),
        ("Good value for money.", &[("price", "POS")]),
        ("The fish was fresh but the waitress was rude.", &[("food", "POS"), ("service", "NEG")]),
        ("Expensive drinks.", &[("price", "NEG")]),
        ("Best pizza in town.", &[("food", "POS")]),
        ("Nobody came to take our order.", &[("service", "NEG")]),
        ("My friend recommended it.", &[]),
        ("The curry tasted great and cost little.", &[("food", "POS"), ("price", "POS")]),
        ("Service was terrible.", &[("service", "NEG")]),
        ("The salad was soggy.", &[("food", "NEG")]),
        ("Overpriced for tiny portions.", &[("price", "NEG")]),
    ];
    let segments = rows
        .iter()
        .enumerate()
        .map(|(i, (text, tags))| LabeledSegment {
            text: text.to_string(),
            tags: tags.iter().map(|(c, l)| tag(c, l)).collect(),
            line: i as u64 + 1,
            record: i,
        })
        .collect();
    LabeledSet {
        model_type: ModelType::Absa,
        segments,
        classes: vec!["food".into(), "price".into(), "service".into()],
        labels: crate::schema::sentiment::ALL.iter().map(|l| l.to_string()).collect(),
        issues: Vec::new(),
    }
}

fn tiny_options() -> TrainOptions {
    TrainOptions { epochs: 1, min_steps: 0, batch_size: 8, held_out: 0.25, ..TrainOptions::new(ModelType::Absa) }
}

fn shipped() -> std::path::PathBuf {
    Encoder::default_model_dir()
}

#[test]
fn every_parameter_gets_a_gradient() {
    let device = Device::Cpu;
    let weights = BertWeights::read(&shipped().join("model.onnx")).unwrap();
    let bert = Bert::new(&weights, &device).unwrap();
    let shape = HeadShape { classes: 2, labels: 3, hidden: bert.hidden(), detect: true, sentence_mean: true };
    let head = TrainHead::new(shape, 1, &device).unwrap();
    let positive_weight = Tensor::new(&[2f32, 0.5], &device).unwrap();
    let ids = Tensor::new(&[[101u32, 2204, 2833, 2021, 4030, 2326, 102], [101, 1996, 15174, 102, 0, 0, 0]], &device).unwrap();
    let mask = Tensor::new(&[[1f32, 1., 1., 1., 1., 1., 1.], [1., 1., 1., 1., 0., 0., 0.]], &device).unwrap();
    let targets = Targets {
        present: Tensor::new(&[[1f32, 1.], [0., 1.]], &device).unwrap(),
        label: Tensor::new(&[[0u32, 1], [0, 2]], &device).unwrap(),
        label_mask: Tensor::new(&[[1f32, 1.], [0., 1.]], &device).unwrap(),
    };
    let states = bert.forward(&ids, &mask, None).unwrap();
    let (d, l) = head.forward(&states, &mask, None).unwrap();
    let grads = head.loss(&d, l.as_ref(), &targets, Some(&positive_weight)).unwrap().backward().unwrap();
    let names = bert.names.iter().cloned().chain((0..head.vars.len()).map(|i| format!("head.{i}")));
    for (var, name) in bert.vars.iter().chain(&head.vars).zip(names) {
        let g = grads.get(var.as_tensor()).unwrap_or_else(|| panic!("{name} has no gradient"));
        let norm = g.sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
        // Only the type-0 row of token_type_embeddings and the used rows of the
        // word/position tables are touched, so check the sum, not every row.
        assert!(norm > 0.0 && norm.is_finite(), "{name}: gradient norm {norm}");
    }
    // Frozen below layer 2: nothing there gets a gradient, everything above still does.
    let mut bert = bert;
    let first = bert.layer_start(2);
    bert.freeze_before(first);
    let states = bert.forward(&ids, &mask, None).unwrap();
    let (d, l) = head.forward(&states, &mask, None).unwrap();
    let grads = head.loss(&d, l.as_ref(), &targets, Some(&positive_weight)).unwrap().backward().unwrap();
    for (i, var) in bert.vars.iter().enumerate() {
        assert_eq!(grads.get(var.as_tensor()).is_some(), i >= first, "{}", bert.names[i]);
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| (*x as f64) * (*y as f64)).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

#[test]
fn tract_on_the_patched_graph_equals_candle() {
    // Perturb every parameter, then run the same weights through candle and through tract.
    let proto = read_proto(&shipped().join("model.onnx")).unwrap();
    let mut weights = BertWeights::from_onnx(&proto).unwrap();
    let mut rng = SplitMix64::new(3);
    let mut patch = HashMap::new();
    for name in weights.expected_names() {
        let p = weights.get(&name).unwrap().clone();
        let values: Vec<f32> = p.values.iter().map(|v| v * (1.0 + 0.05 * rng.normal())).collect();
        patch.insert(p.initializer.clone(), values.clone());
        weights.set(&name, values).unwrap();
    }
    let encoder = Encoder::load_patched(shipped(), patch, &EncoderOptions::default()).unwrap();
    let texts = ["Great food but slow service.", "The waiter was rude."];
    let states = encoder.encode_tokens(&texts).unwrap();
    let bert = Bert::new(&weights, &Device::Cpu).unwrap();
    let base = Encoder::load(shipped()).unwrap();
    for (i, text) in states.iter().enumerate() {
        let ids: Vec<u32> = text.tokens.ids.iter().map(|&x| x as u32).collect();
        let n = ids.len();
        let ids = Tensor::from_vec(ids, (1, n), &Device::Cpu).unwrap();
        let mask = Tensor::ones((1, n), candle_core::DType::F32, &Device::Cpu).unwrap();
        let ours = bert.forward(&ids, &mask, None).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let c = cosine(&ours, &text.states);
        assert!(c >= 0.9999, "text {i}: cosine {c}");
        // And the patch did change the graph's output.
        let unpatched = base.encode_tokens(&[texts[i]]).unwrap().into_texts();
        assert!(cosine(&unpatched[0].states, &text.states) < 0.9999);
    }
}

#[test]
fn trains_deterministically_and_round_trips_through_its_folder() {
    let examples = tiny_set();
    let options = tiny_options();
    let mut seen = 0u64;
    let a = train(&examples, None, &options, |p| {
        seen = p.step;
        Control::Continue
    })
    .unwrap();
    assert_eq!(seen, 18u64.div_ceil(8), "one epoch of 18 training sentences in batches of 8");
    assert_eq!((a.train_size, a.eval_size), (18, 6));
    let b = train(&examples, None, &options, |_| Control::Continue).unwrap();
    let texts = examples.texts();
    let tags_a = a.model.tag_texts(&texts).unwrap();
    assert_eq!(tags_a, b.model.tag_texts(&texts).unwrap(), "same seed, same model");
    assert_eq!(a.metrics, b.metrics);
    assert!(a.model.meta().score.is_some() && a.model.meta().metrics.is_some());
    // The share of untagged segments is that of the segments it was fitted to.
    let fitted = crate::labeled::split(&examples, options.held_out, options.seed).unwrap().train;
    let untagged = fitted.segments.iter().filter(|s| s.tags.is_empty()).count();
    assert_eq!(a.model.untagged_share(), Some(untagged as f64 / 18.0));
    assert!((super::untagged_share(&examples) - 2.0 / 24.0).abs() < 1e-12);

    let dir = tempfile::tempdir().unwrap();
    let mut model = a.model;
    model.save(dir.path()).unwrap();
    // Not only the same tags: the same bytes, head and encoder values alike.
    let again = tempfile::tempdir().unwrap();
    let mut b_model = b.model;
    b_model.save(again.path()).unwrap();
    let sums = |d: &std::path::Path| Model::load(d).unwrap().manifest().sha256.clone();
    assert_eq!(sums(again.path()), sums(dir.path()), "same seed, same weights files");
    assert_eq!(sums(dir.path()).len(), 2);
    let loaded = Model::load(dir.path()).unwrap();
    assert_eq!(loaded.tag_texts(&texts).unwrap(), tags_a, "saved and loaded, same tags");
    assert_eq!(loaded.meta().score, model.meta().score);
    assert_eq!(loaded.meta().model_type, ModelType::Absa);
    assert_eq!(loaded.untagged_share(), model.untagged_share());

    // A loaded model saved elsewhere carries its encoder file along; saved onto itself, the
    // file is kept, not emptied.
    let mut loaded = loaded;
    let elsewhere = tempfile::tempdir().unwrap();
    loaded.save(elsewhere.path()).unwrap();
    let file = crate::model::ENCODER_WEIGHTS_FILE;
    let original = std::fs::read(dir.path().join(file)).unwrap();
    assert_eq!(std::fs::read(elsewhere.path().join(file)).unwrap(), original);
    loaded.save(dir.path()).unwrap();
    assert_eq!(std::fs::read(dir.path().join(file)).unwrap(), original);
    assert_eq!(Model::load(elsewhere.path()).unwrap().tag_texts(&texts).unwrap(), tags_a);
}

#[test]
fn cancels_and_checks_options() {
    let err = train(&tiny_set(), None, &tiny_options(), |_| Control::Cancel).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    let limits = crate::Limits { max_training_segments: 17, ..crate::Limits::default() };
    let err = train(&tiny_set(), None, &TrainOptions { limits, ..tiny_options() }, |_| Control::Continue).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.to_string().contains("--limit max_training_segments=N"), "{err}");
    let bad = TrainOptions { epochs: 0, ..tiny_options() };
    assert_eq!(train(&tiny_set(), None, &bad, |_| Control::Continue).err().unwrap().kind(), ErrorKind::InvalidArgument);
    let unlabeled = LabeledSet { classes: Vec::new(), ..tiny_set() };
    let err = train(&unlabeled, None, &tiny_options(), |_| Control::Continue).err().unwrap();
    assert!(err.to_string().contains("no class tags"), "{err}");
}

#[test]
fn dropout_is_seeded_keeps_the_mean_and_drops_its_share() {
    let x = Tensor::ones((100, 384), candle_core::DType::F32, &Device::Cpu).unwrap();
    let draw = |seed| bert::Dropout::new(0.1, seed).apply(&x).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let (a, b, c) = (draw(1), draw(1), draw(2));
    assert_eq!(a, b, "same seed, same mask");
    assert_ne!(a, c);
    let dropped = a.iter().filter(|v| **v == 0.0).count() as f64 / a.len() as f64;
    let mean = a.iter().map(|v| *v as f64).sum::<f64>() / a.len() as f64;
    assert!((dropped - 0.1).abs() < 0.01, "dropped {dropped}");
    assert!((mean - 1.0).abs() < 0.02, "mean {mean}");
    assert_eq!(bert::Dropout::new(0.0, 1).apply(&x).unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap(), 38400.0);
}

#[test]
fn small_sets_get_enough_steps() {
    let o = TrainOptions::new(ModelType::Absa);
    assert_eq!(o.epochs_for(3149), 4, "99 steps an epoch: the default 4 passes");
    assert_eq!(o.epochs_for(200), 29, "7 steps an epoch: 29 passes for 200 steps");
    assert_eq!(o.epochs_for(1600), 4, "50 steps an epoch: 4 passes make 200 steps");
    assert_eq!(o.epochs_for(1000), 7, "32 steps an epoch: 7 passes for 200 steps");
    assert_eq!(o.epochs_for(10), MAX_EPOCHS);
    assert_eq!(TrainOptions { min_steps: 0, ..o.clone() }.epochs_for(10), 4);
    assert_eq!(o.clone().with_epochs(Some(2)).epochs_for(10), 2, "asked-for passes are exact");
    assert_eq!(o.with_epochs(None).epochs_for(200), 29);
}

#[test]
fn continues_from_a_trained_model() {
    // A model whose encoder moved well away from MiniLM's.
    let first = TrainOptions { encoder_lr: 1e-3, ..tiny_options() };
    let mut a = train(&tiny_set(), None, &first, |_| Control::Continue).unwrap().model;
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base-model");
    a.save(&base).unwrap();

    // New data shares food and service, renames price: the shared classes start where the
    // base left them. Nothing moves (no encoder step, a vanishing head step), so what comes
    // out is what training started from.
    let mut set = tiny_set();
    set.classes = vec!["food".into(), "service".into(), "value".into()];
    for tag in set.segments.iter_mut().flat_map(|s| s.tags.iter_mut()) {
        if tag.class.as_deref() == Some("price") {
            tag.class = Some("value".into());
        }
    }
    let frozen = TrainOptions { base: Some(base.clone()), encoder_lr: 0.0, head_lr: 1e-30, ..tiny_options() };
    let mut b = train(&set, None, &frozen, |_| Control::Continue).unwrap().model;
    let out = dir.path().join("continued");
    b.save(&out).unwrap();

    let (pa, pb) = (crate::model::parts(&base).unwrap(), crate::model::parts(&out).unwrap());
    assert_eq!(pb.graph.canonicalize().unwrap(), shipped().canonicalize().unwrap(), "the graph stays MiniLM's");
    assert_eq!(pa.encoder_values, pb.encoder_values, "the base's fine-tuned encoder carried over");
    let minilm = BertWeights::read(&shipped().join("model.onnx")).unwrap();
    let q = minilm.get("encoder.layer.0.attention.self.query.bias").unwrap();
    assert_ne!(pb.encoder_values[&q.initializer], q.values, "and it is not MiniLM's");
    let (ha, hb) = (pa.head.unwrap(), pb.head.unwrap());
    let h = ha.dim;
    let row = |v: &[f32], i: usize| v[i * h..(i + 1) * h].to_vec();
    let close = |x: &[f32], y: &[f32]| x.iter().zip(y).all(|(a, b)| (a - b).abs() < 1e-6);
    // a: food 0, price 1, service 2; b: food 0, service 1, value 2.
    assert!(close(&row(&hb.query, 0), &row(&ha.query, 0)) && close(&row(&hb.detect_w, 1), &row(&ha.detect_w, 2)));
    let labels = ha.labels.len();
    assert!(close(&row(&hb.label_w, labels + 3), &row(&ha.label_w, 2 * labels + 3)), "labels by name too");
    assert!(!close(&row(&hb.query, 2), &row(&ha.query, 1)), "a new class starts fresh");
    assert_eq!(b.meta().base.as_deref(), Some("base-model"));
    assert_eq!(b.manifest().encoder.name, "all-MiniLM-L6-v2");

    let err = crate::model::parts(dir.path()).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
}

#[test]
fn the_candle_head_and_the_analysis_head_agree() {
    // Random token states, the second sentence padded: the head trained in candle and the
    // one analysis runs on tract's states must give the same probabilities, with and without
    // the sentence mean.
    let device = Device::Cpu;
    let (h, t) = (8, 5);
    let mut rng = SplitMix64::new(11);
    let states: Vec<f32> = (0..2 * t * h).map(|_| rng.normal()).collect();
    let mask = Tensor::new(&[[1f32, 1., 1., 1., 1.], [1., 1., 1., 0., 0.]], &device).unwrap();
    let lengths = [5, 3];
    for sentence_mean in [false, true] {
        let shape = HeadShape { classes: 3, labels: 2, hidden: h, detect: true, sentence_mean };
        // Weights far from zero, so that the logits differ from class to class.
        let head = TrainHead::new(shape, 5, &device).unwrap();
        for var in &head.vars {
            let scaled = (var.as_tensor() * 40.0).unwrap();
            var.set(&scaled).unwrap();
        }
        let x = Tensor::from_vec(states.clone(), (2, t, h), &device).unwrap();
        let (detect, labels) = head.forward(&x, &mask, None).unwrap();
        let detect: Vec<Vec<f32>> = detect.to_vec2().unwrap();
        let labels: Vec<Vec<Vec<f32>>> = labels.unwrap().to_vec3().unwrap();
        let params = head.params(vec!["a".into(), "b".into(), "c".into()], vec!["POS".into(), "NEG".into()]).unwrap();
        let analysis = AttentionHead::new(ModelType::Absa, params).unwrap();
        for (row, &n) in lengths.iter().enumerate() {
            let scores = analysis.scores(&states[row * t * h..(row * t + n) * h]);
            for (c, (present, probs)) in scores.iter().enumerate() {
                let want = 1.0 / (1.0 + (-detect[row][c]).exp());
                assert!((present - want).abs() < 1e-4, "mean {sentence_mean}, row {row}, class {c}: {present} vs {want}");
                let (a, b) = (labels[row][c][0], labels[row][c][1]);
                let want = 1.0 / (1.0 + (b - a).exp());
                assert!((probs[0] - want).abs() < 1e-4, "mean {sentence_mean}, row {row}, class {c}: {} vs {want}", probs[0]);
            }
        }
    }
}

#[test]
fn rare_classes_weigh_their_present_examples_up_to_the_cap() {
    let rows: Vec<Vec<f32>> =
        vec![vec![1.0, 1.0, 0.0, 1.0], vec![0.0, 1.0, 0.0, 1.0], vec![0.0, 0.0, 0.0, 1.0], vec![0.0, 1.0, 0.0, 1.0]];
    let w = head::positive_weights(rows.iter().map(|r| &r[..]), 4, 4.0);
    // 1 of 4 present: 3; 3 of 4: 1/3; never present: the cap; always present: 1/cap, not 0
    // (whose logarithm the decision would take).
    assert_eq!(w, vec![3.0, 1.0 / 3.0, 4.0, 0.25]);
    let w = head::positive_weights(rows.iter().map(|r| &r[..]), 4, 2.0);
    assert_eq!(w, vec![2.0, 0.5, 2.0, 0.5]);
}

#[test]
fn weights_of_present_examples_leave_the_decision_at_even_odds() {
    // One class present in 2 sentences of 10, another in 5, a third in 8; weighed 4, 1 and
    // 1/4. The weighted loss of a constant logit is least at the logit of w p / (w p + 1 - p),
    // and taking ln w out of the bias gives the logit of p back.
    let device = Device::Cpu;
    let shape = HeadShape { classes: 3, labels: 0, hidden: 4, detect: true, sentence_mean: false };
    let head = TrainHead::new(shape, 1, &device).unwrap();
    let (w, p) = ([4.0f32, 1.0, 0.25], [0.2f32, 0.5, 0.8]);
    let present: Vec<f32> = (0..10).flat_map(|row| p.map(|p| if (row as f32) < p * 10.0 { 1.0 } else { 0.0 })).collect();
    let targets = Targets {
        present: Tensor::from_vec(present, (10, 3), &device).unwrap(),
        label: Tensor::zeros((10, 3), candle_core::DType::U32, &device).unwrap(),
        label_mask: Tensor::zeros((10, 3), candle_core::DType::F32, &device).unwrap(),
    };
    let weight = Tensor::new(&w, &device).unwrap();
    let loss = |logits: [f32; 3]| {
        let detect = Tensor::new(&logits, &device).unwrap().broadcast_as((10, 3)).unwrap().contiguous().unwrap();
        head.loss(&detect, None, &targets, Some(&weight)).unwrap().to_scalar::<f32>().unwrap()
    };
    let logit = |q: f32| (q / (1.0 - q)).ln();
    let best: Vec<f32> = (0..3).map(|c| logit(w[c] * p[c] / (w[c] * p[c] + 1.0 - p[c]))).collect();
    for c in 0..3 {
        for step in [-0.05f32, 0.05] {
            let mut moved = [best[0], best[1], best[2]];
            moved[c] += step;
            assert!(loss(moved) > loss([best[0], best[1], best[2]]), "class {c}: {best:?} is not the minimum");
        }
    }
    let mut params = head.params(vec!["a".into(), "b".into(), "c".into()], Vec::new()).unwrap();
    params.detect_b = best;
    head::take_out_of_the_decision(&mut params, &w);
    for (c, (&b, &p)) in params.detect_b.iter().zip(&p).enumerate() {
        assert!((b - logit(p)).abs() < 1e-5, "class {c}: {b} vs {}", logit(p));
    }
}
