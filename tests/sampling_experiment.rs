//! Issue 4's experiment on a split of the shared SemEval-2014 restaurants train data:
//! 200 random + 200 sampled segments against 200 random + 200 random, over 3 seeds.
//!
//! Needs `../shared/data/semeval14/Restaurants_Train_v2.xml` (research-only, not in the
//! repository); skips with a note without it. The data are converted in memory to the
//! Studio's labeled documents and never written into the repository.
//!
//! The trainer is a closure ([`opinio::correct::experiment::compare`]): until the fine-tuning
//! trainer lands, it is a few-shot prototype model (class and sentiment prototypes are the
//! means of the labeled examples, [`Model::zero_shot`] with the examples as definitions).

use std::path::{Path, PathBuf};

use opinio::correct::experiment::{compare, ExperimentOptions};
use opinio::encode::Encoder;
use opinio::labeled::{self, LabeledOptions, LabeledSet};
use opinio::schema::{Class, ModelType, Tag};
use opinio::{model, Language, Model, Result};

fn semeval() -> Option<PathBuf> {
    let shared = std::env::var_os("OPINIO_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let path = shared.join("data/semeval14/Restaurants_Train_v2.xml");
    path.is_file().then_some(path)
}

/// The value of `name="..."` in an XML tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    // The first attribute follows the element name's space, which the caller split off.
    let tag = &format!(" {tag}");
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&apos;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// SemEval-2014 sentences as the Studio's labeled documents (JSONL): one segment per
/// sentence, tags = its aspect categories with POS/NEG/NEU/CON.
fn to_labeled_jsonl(xml: &str) -> String {
    let mut out = String::new();
    for sentence in xml.split("<sentence ").skip(1) {
        let Some(text) = sentence.split("<text>").nth(1).and_then(|t| t.split("</text>").next()) else { continue };
        let text = unescape(text);
        let tags: Vec<serde_json::Value> = sentence
            .split("<aspectCategory ")
            .skip(1)
            .filter_map(|t| {
                let polarity = match attr(t, "polarity")?.as_str() {
                    "positive" => "POS",
                    "negative" => "NEG",
                    "neutral" => "NEU",
                    "conflict" => "CON",
                    _ => return None,
                };
                Some(serde_json::json!({"class": attr(t, "category")?, "label": polarity}))
            })
            .collect();
        let n = text.chars().count();
        let doc = serde_json::json!({"text": text, "segments": [{"text": text, "span": [0, n], "tags": tags}]});
        out.push_str(&doc.to_string());
        out.push('\n');
    }
    out
}

/// The stand-in trainer: prototypes from the labeled examples.
fn prototype_trainer(set: &LabeledSet, _seed: u64) -> Result<Model> {
    let encoder = model::load_encoder(Encoder::default_model_dir())?;
    let examples = |keep: &dyn Fn(&Tag) -> bool| -> Option<String> {
        let texts: Vec<String> = set
            .segments
            .iter()
            .filter(|s| s.tags.iter().any(|t| keep(t)))
            .map(|s| s.text.replace('\n', " "))
            .collect();
        (!texts.is_empty()).then(|| texts.join("\n"))
    };
    let classes: Vec<Class> = set
        .classes
        .iter()
        .filter_map(|c| {
            let example = examples(&|t: &Tag| t.class.as_deref() == Some(c.as_str()))?;
            Some(Class { name: c.clone(), example: Some(example), ..Class::default() })
        })
        .collect();
    let labels: Vec<Class> = ["POS", "NEG", "NEU"]
        .iter()
        .map(|l| {
            let mut def = opinio::heads::sentiment_definitions().into_iter().find(|d| d.name == *l).unwrap_or_else(|| Class::new(*l));
            def.example = examples(&|t: &Tag| t.label.as_deref() == Some(*l)).or(def.example);
            def
        })
        .collect();
    Model::zero_shot(encoder, ModelType::Absa, "few-shot prototypes", Language::En, classes, labels)
}

#[test]
fn sampled_beats_random_on_semeval_split() {
    let Some(xml_path) = semeval() else {
        eprintln!("note: skipped, ../shared/data/semeval14/Restaurants_Train_v2.xml is not here");
        return;
    };
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("semeval_train.jsonl");
    std::fs::write(&jsonl, to_labeled_jsonl(&xml)).unwrap();
    let set = labeled::read(&jsonl, &LabeledOptions::new(ModelType::Absa)).unwrap();
    eprintln!("semeval train: {} segments, {} issues, classes {:?}", set.segments.len(), set.issues.len(), set.classes);
    let split = labeled::split(&set, 0.2, 2014).unwrap();
    let opts = ExperimentOptions { start: 200, add: 200, seeds: vec![1, 2, 3] };
    let outcomes = compare(&split.train, &split.held_out, &opts, prototype_trainer).unwrap();
    for o in &outcomes {
        eprintln!("seed {}: base {:.4}, +200 random {:.4}, +200 sampled {:.4}", o.seed, o.base, o.random, o.sampled);
    }
    let mean = |f: fn(&opinio::correct::experiment::Outcome) -> f64| outcomes.iter().map(f).sum::<f64>() / 3.0;
    let (random, sampled) = (mean(|o| o.random), mean(|o| o.sampled));
    eprintln!("mean joint micro-F1: random {random:.4}, sampled {sampled:.4}");
    assert!(sampled > random, "sampling ({sampled:.4}) did not beat random ({random:.4})");
}
