//! Correction sampling and evaluation on the shipped zero-shot restaurants model.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use opinio::correct::{self, SampleOptions};
use opinio::labeled::{self, LabeledOptions};
use opinio::schema::{DocId, Document, ModelType};
use opinio::{evaluate, ErrorKind, Model};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn model_dir() -> PathBuf {
    root().join("models/restaurants-zero-shot")
}

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::load(model_dir()).expect("shipped zero-shot model"))
}

fn docs(texts: &[&str]) -> Vec<Document> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| Document { id: Some(DocId::Int(i as i64)), text: t.to_string(), ..Document::default() })
        .collect()
}

fn id(d: &Document) -> i64 {
    match d.id {
        Some(DocId::Int(i)) => i,
        _ => panic!("ids are integers here"),
    }
}

const VARIED: [&str; 8] = [
    "The pasta was great and the sauce was rich.",
    "Our waiter ignored us for twenty minutes.",
    "Way too expensive for such small portions.",
    "The terrace has a lovely view of the harbour.",
    "The menu changes every week.",
    "It was fine, I suppose, nothing special.",
    "Parking nearby is impossible on weekends.",
    "The staff were friendly but the food was cold.",
];

#[test]
fn near_duplicates_are_not_all_picked() {
    let texts = [
        "The food was okay but the service, well, it was what it was.",
        "The food was ok but the service, well, it was what it was.",
        "The food was okay, but the service, well, it was what it was.",
        "The food was okay but the service... well, it was what it was.",
        "the food was okay but the service, well, it was what it was",
    ];
    let refs: Vec<&str> = texts.iter().chain(VARIED.iter()).copied().collect();
    // Ranked by uncertainty alone, the near-duplicates would fill the batch.
    let all = correct::sample(model(), docs(&refs), &SampleOptions { size: refs.len() }).unwrap();
    let mut by_uncertainty: Vec<(f32, usize)> = all.uncertainty.iter().copied().zip(all.indices.iter().copied()).collect();
    by_uncertainty.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let naive = by_uncertainty[..5].iter().filter(|(_, i)| *i < 5).count();
    assert!(naive >= 3, "the near-duplicates should be among the most uncertain: {by_uncertainty:?}");
    let sample = correct::sample(model(), docs(&refs), &SampleOptions { size: 5 }).unwrap();
    let dups = sample.documents.iter().filter(|d| id(d) < 5).count();
    assert!(dups <= 1, "picked {dups} near-duplicates: {:?} {:?}", sample.indices, sample.uncertainty);
}

#[test]
fn picks_come_from_the_documents_likeliest_wrong() {
    let more = [
        "Service was slow.",
        "Great sushi, terrible music.",
        "We waited an hour and the soup was cold.",
        "Prices are fair for the area.",
        "I would come back for the desserts alone.",
    ];
    let refs: Vec<&str> = VARIED.iter().chain(more.iter()).copied().collect();
    // One sentence each, so each text is one segment.
    let prediction = model().predict(&refs).unwrap();
    let wrong: Vec<f32> = prediction
        .probabilities
        .expect("the zero-shot head gives probabilities")
        .iter()
        .map(|p| correct::TagModel::of(model()).wrong_probability(p))
        .collect();
    let mut ranked: Vec<usize> = (0..refs.len()).collect();
    ranked.sort_by(|&a, &b| wrong[b].total_cmp(&wrong[a]).then(a.cmp(&b)));
    for size in [1, 2, 3] {
        let top: HashSet<usize> = ranked[..3 * size].iter().copied().collect();
        let sample = correct::sample(model(), docs(&refs), &SampleOptions { size }).unwrap();
        assert_eq!(sample.indices.len(), size);
        assert!(sample.indices.iter().all(|i| top.contains(i)), "{:?} not all in {top:?}", sample.indices);
    }
}

#[test]
fn most_uncertain_first_sizes_and_order() {
    let all = correct::sample(model(), docs(&VARIED), &SampleOptions { size: 100 }).unwrap();
    assert_eq!(all.documents.len(), VARIED.len());
    let best = all.uncertainty.iter().copied().fold(0.0f32, f32::max);
    assert_eq!(all.uncertainty[0], best, "{:?}", all.uncertainty);
    assert!(all.uncertainty.iter().all(|u| (0.0..=1.0).contains(u)));
    let ids: HashSet<i64> = all.documents.iter().map(id).collect();
    assert_eq!(ids.len(), VARIED.len());
    for (d, &i) in all.documents.iter().zip(&all.indices) {
        assert_eq!(id(d) as usize, i);
        assert_eq!(d.text, VARIED[i]);
        let segments = d.segments.as_ref().unwrap();
        assert!(!segments.is_empty() && segments.iter().all(|s| s.tags.is_some()));
    }
    let three = correct::sample(model(), docs(&VARIED), &SampleOptions { size: 3 }).unwrap();
    // One document from each of three clusters, the member nearest each one's middle: not
    // necessarily the first three of the whole ranking.
    assert_eq!(three.indices.iter().collect::<HashSet<_>>().len(), 3);
    assert!(three.indices.iter().all(|&i| i < VARIED.len()));
    assert!((0.0..=1.0).contains(&three.predicted_score));
    let json = serde_json::to_value(&three).unwrap();
    assert_eq!(json.as_object().unwrap().keys().map(String::as_str).collect::<Vec<_>>(), ["documents", "predicted_score"]);
    // Deterministic.
    let again = correct::sample(model(), docs(&VARIED), &SampleOptions { size: 3 }).unwrap();
    assert_eq!(again, three);
}

#[test]
fn sampling_errors() {
    let e = correct::sample(model(), docs(&VARIED), &SampleOptions { size: 0 }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = correct::sample(model(), docs(&["", "   "]), &SampleOptions { size: 1 }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    // Blank documents are never picked.
    let s = correct::sample(model(), docs(&["", "The soup was cold."]), &SampleOptions { size: 2 }).unwrap();
    assert_eq!(s.indices, [1]);
}

#[test]
fn evaluate_the_zero_shot_model() {
    let path = root().join("tests/fixtures/analysis/restaurant_sample.jsonl");
    let set = labeled::read(&path, &LabeledOptions::new(ModelType::Absa)).unwrap();
    let metrics = evaluate::evaluate(model(), &set).unwrap();
    assert_eq!(metrics.segments, Some(30));
    // The same numbers as scoring the model's tags directly.
    let pred = model().tag_texts(&set.texts()).unwrap();
    let direct = evaluate::score(ModelType::Absa, &set.gold(), &pred).unwrap();
    assert_eq!(metrics, direct);
    let detection = metrics.detection.unwrap().micro;
    let joint = metrics.micro_avg.unwrap();
    assert!(detection.f1 >= joint.f1 && joint.f1 > 0.3, "detection {detection:?} joint {joint:?}");
    let mut meta = model().meta().clone();
    evaluate::apply(&mut meta, metrics);
    assert_eq!(meta.score, Some(joint.f1));
    let wrong = labeled::read(&root().join("tests/fixtures/labeled/class.json"), &LabeledOptions::new(ModelType::Class)).unwrap();
    assert_eq!(evaluate::evaluate(model(), &wrong).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn cli_sample_and_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("reviews.txt");
    std::fs::write(&input, VARIED.join("\n")).unwrap();
    let model = model_dir();
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_opinio")).args(args).output().unwrap();
    let out = run(&["sample", "--model", model.to_str().unwrap(), "--size", "3", input.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["documents"].as_array().unwrap().len(), 3);
    assert!(v["predicted_score"].as_f64().is_some());
    let out = run(&["sample", "--model", model.to_str().unwrap(), "--size", "0", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);

    let labeled = root().join("tests/fixtures/labeled/absa_rows.csv");
    let mapping = r#"{"text": "sentence", "aspect": "aspect", "label": "polarity"}"#;
    let out = run(&["evaluate", "--model", model.to_str().unwrap(), "--column-mapping", mapping, labeled.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["type"], "ABSA");
    assert_eq!(v["metrics"]["segments"], 3);
    assert_eq!(v["issues"].as_array().unwrap().len(), 4);
    assert_eq!(v["score"], v["metrics"]["micro"]["f1"]);
}

/// The shipped restaurants model learned from MAMS sentences that all carry a tag, so the
/// sampler reads its presences given at least one class; a zero-shot model records no
/// training data and is read as it is.
#[test]
fn a_model_trained_on_tagged_segments_only_is_read_given_some_class() {
    let trained = Model::load(root().join("models/restaurants")).unwrap();
    assert_eq!(trained.untagged_share(), Some(0.0));
    assert!(correct::TagModel::of(&trained).at_least_one);
    assert_eq!(model().untagged_share(), None);
    assert!(!correct::TagModel::of(model()).at_least_one);
}

/// The measure behind the correction-sampling figures (`correct::experiment`, run in full on
/// SemEval-2014 by `tests/sampling_experiment.rs`), here with a trainer that always returns
/// the shipped zero-shot model, which no change to the training recipe rebuilds: every arm's
/// score is then the same model's, and what is left to check is what the experiment says
/// about the sample. On 70 restaurant sentences of our own, the sample must hold at least as
/// many of the model's mistakes as each seed's random draw and more over five seeds, and its
/// predicted score must stay a score. (With `models/restaurants`, wrong on most of these
/// hard sentences, ten-document draws are too close to tell apart.)
#[test]
fn the_sampling_experiment_counts_the_models_mistakes() {
    let read = |path: &str| labeled::read(&root().join(path), &LabeledOptions::new(ModelType::Absa)).unwrap();
    let mut pool = read("tests/fixtures/labeled/restaurant_sentences.jsonl");
    let easy = read("tests/fixtures/analysis/restaurant_sample.jsonl");
    pool.segments.extend(easy.segments);
    pool.classes.extend(easy.classes);
    pool.classes.sort();
    pool.classes.dedup();
    assert_eq!(pool.segments.len(), 70);
    let trainer = |_: &labeled::LabeledSet, _: u64| Model::load(model_dir());
    let opts = correct::experiment::ExperimentOptions { start: 10, add: 10, seeds: vec![1, 2, 3, 4, 5] };
    let outcomes = correct::experiment::compare(&pool, &pool, &opts, trainer).unwrap();
    assert_eq!(outcomes.len(), 5);
    for o in &outcomes {
        eprintln!("{o:?}");
        assert!(o.base == o.random && o.random == o.sampled, "one model, one test set: {o:?}");
        assert!((0.0..=1.0).contains(&o.predicted_score) && (0.0..=1.0).contains(&o.actual_score), "{o:?}");
        assert!(o.sampled_mistakes >= o.random_mistakes, "the sample holds fewer mistakes: {o:?}");
    }
    let total = |f: fn(&correct::experiment::Outcome) -> f64| outcomes.iter().map(f).sum::<f64>();
    assert!(
        total(|o| o.sampled_mistakes) > total(|o| o.random_mistakes),
        "over five seeds the sample should hold more of the model's mistakes: {outcomes:?}"
    );
    let too_many = correct::experiment::ExperimentOptions { start: 60, add: 11, seeds: vec![1] };
    let e = correct::experiment::compare(&pool, &pool, &too_many, trainer).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}
