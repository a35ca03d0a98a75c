//! The encoder against its contract: unit vectors, batching that changes nothing, sensible
//! similarities, values equal to ONNX Runtime's for the same model file, hostile lengths,
//! clear errors, and one encoder shared by many threads.
//!
//! The reference values come from `benches/peers/encoder_reference.py` (ONNX Runtime on the
//! same `model.onnx` and `tokenizer.json`); rerun it to recheck them.

use std::path::Path;

use opinio::encode::{pool, Encoder, EncoderOptions};
use opinio::{parallel, ErrorKind};

fn encoder() -> Encoder {
    Encoder::default_model().expect("the shipped model loads")
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    pool::dot(a, b) / (pool::dot(a, a).sqrt() * pool::dot(b, b).sqrt())
}

/// Review-like sentences of very different token counts, so batches need padding.
const TEXTS: &[&str] = &[
    "Great.",
    "The room was clean, the bed comfortable and the staff, e.g. Mr. Li at the desk, were kind!",
    "",
    "Das Frühstück war leider kalt.",
    "Check-in took 45 minutes, which is ridiculous!!!",
    "ok",
    "We stayed three nights in October and would come back: quiet street, good coffee, \
     friendly people, fair price, and the view from the fifth floor over the old town is worth it.",
    "الغرفة نظيفة",
    "Excellent value for money 👍",
    "The train left at noon.",
    "Noisy.",
];

#[test]
fn embeddings_have_unit_norm() {
    let e = encoder().embed(TEXTS).unwrap();
    assert_eq!((e.len(), e.dim()), (TEXTS.len(), 384));
    for (i, row) in e.rows().enumerate() {
        let norm = pool::dot(row, row).sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "text {i} has norm {norm}");
    }
}

#[test]
fn batches_equal_single_texts_in_input_order() {
    let mut small = encoder();
    small.set_batch_size(4).unwrap(); // several batches, each padded differently
    let batched = small.embed(TEXTS).unwrap();
    let whole = encoder().embed(TEXTS).unwrap();
    for (i, text) in TEXTS.iter().enumerate() {
        let single = encoder().embed(&[text]).unwrap();
        let c = cosine(batched.row(i), single.row(0));
        assert!(c >= 0.99999, "text {i} {text:?}: cosine {c} between batched and alone");
        let c = cosine(whole.row(i), single.row(0));
        assert!(c >= 0.99999, "text {i} {text:?}: cosine {c} in one batch of 32");
    }
}

#[test]
fn similar_sentences_score_higher() {
    let e = encoder()
        .embed(&["The food was delicious", "The meal tasted great", "The train left at noon"])
        .unwrap();
    let similar = pool::dot(e.row(0), e.row(1));
    let unrelated = pool::dot(e.row(0), e.row(2));
    assert!(similar > unrelated + 0.2, "similar {similar}, unrelated {unrelated}");
}

#[test]
fn known_values_from_onnxruntime() {
    // benches/peers/encoder_reference.py, first five dimensions.
    let expected: [(&str, [f32; 5]); 2] = [
        (
            "The food was delicious and the staff were friendly.",
            [-0.012842, 0.053707, -0.012171, 0.041616, -0.058457],
        ),
        ("Das Zimmer war leider sehr laut.", [-0.091950, 0.099745, 0.018285, 0.010018, 0.006899]),
    ];
    let texts: Vec<&str> = expected.iter().map(|(t, _)| *t).collect();
    let e = encoder().embed(&texts).unwrap();
    for (i, (text, dims)) in expected.iter().enumerate() {
        for (d, want) in dims.iter().enumerate() {
            let got = e.row(i)[d];
            assert!((got - want).abs() < 1e-4, "{text:?} dim {d}: {got} vs onnxruntime {want}");
        }
    }
}

#[test]
fn full_vectors_match_onnxruntime() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/encoder/onnxruntime_reference.json");
    let reference: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = reference["sentences"].as_array().unwrap();
    let texts: Vec<&str> = cases.iter().map(|c| c["text"].as_str().unwrap()).collect();
    let e = encoder().embed(&texts).unwrap();
    for (i, case) in cases.iter().enumerate() {
        let want: Vec<f32> =
            case["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
        let c = cosine(e.row(i), &want);
        assert!(c >= 0.99999, "{:?}: cosine {c} to onnxruntime", texts[i]);
    }
}

#[test]
fn empty_and_very_long_texts_work() {
    let encoder = encoder();
    let long = "word ".repeat(10_000);
    let tokens = encoder.tokenizer().encode(&long).unwrap();
    assert_eq!(tokens.len(), encoder.options().max_tokens);
    assert!(tokens.truncated);
    let e = encoder.embed(&["", &long, "short"]).unwrap();
    assert_eq!(e.len(), 3);
    assert!(e.rows().all(|r| r.iter().all(|x| x.is_finite())));
    assert!((pool::dot(e.row(1), e.row(1)) - 1.0).abs() < 1e-5);
    assert!(encoder.embed(&[]).unwrap().is_empty());
}

#[test]
fn token_states_pool_to_the_embeddings() {
    let encoder = encoder();
    let texts = ["The staff were kind.", "", "Das Frühstück war kalt."];
    let states = encoder.encode_tokens(&texts).unwrap();
    let embedded = encoder.embed(&texts).unwrap();
    let pooled = states.pooled();
    for i in 0..texts.len() {
        assert!(cosine(pooled.row(i), embedded.row(i)) >= 0.99999);
    }
    // Offsets are code points of the text; special tokens are flagged.
    let t = states.text(2);
    assert!(t.tokens.special[0] && *t.tokens.special.last().unwrap());
    let chars: Vec<char> = texts[2].chars().collect();
    let piece = |k: usize| {
        let (s, e) = t.tokens.offsets[k];
        chars[s..e].iter().collect::<String>()
    };
    assert_eq!(piece(1), "Das");
    // "Frühstück" is split into word pieces whose offsets tile it, in code points.
    let word: String = (2..t.len() - 1).map(piece).take_while(|p| p != "war").collect();
    assert_eq!(word, "Frühstück");
    let (states_flat, mask, seq) = states.padded();
    assert_eq!(seq, states.iter().map(|t| t.len()).max().unwrap());
    assert_eq!((states_flat.len(), mask.len()), (3 * seq * 384, 3 * seq));
    assert_eq!(t.token(1).len(), 384);
}

#[test]
fn shared_across_threads_equals_sequential() {
    let encoder = encoder();
    let sequential = encoder.embed(TEXTS).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| encoder.embed(TEXTS).unwrap())).collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), sequential);
        }
    });
}

#[test]
fn parallelism_switch_changes_nothing() {
    let encoder = encoder();
    let on = encoder.embed(TEXTS).unwrap();
    parallel::set_parallel(false);
    let off = encoder.embed(TEXTS);
    parallel::set_parallel(true);
    assert_eq!(off.unwrap(), on);
}

#[test]
fn missing_or_broken_model_errors_name_the_path() {
    let err = Encoder::load("no/such/model").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(err.path(), Some(Path::new("no/such/model")));

    let dir = tempfile::tempdir().unwrap();
    let err = Encoder::load(dir.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(err.path(), Some(dir.path().join("tokenizer.json").as_path()), "{err}");

    std::fs::copy(Encoder::default_model_dir().join("tokenizer.json"), dir.path().join("tokenizer.json"))
        .unwrap();
    let err = Encoder::load(dir.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(err.path(), Some(dir.path().join("model.onnx").as_path()), "{err}");

    std::fs::write(dir.path().join("model.onnx"), b"not an onnx graph").unwrap();
    let err = Encoder::load(dir.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed, "{err}");
    assert!(err.to_string().contains("model.onnx"), "{err}");

    std::fs::write(dir.path().join("tokenizer.json"), b"{").unwrap();
    let err = Encoder::load(dir.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed, "{err}");
    assert!(err.to_string().contains("tokenizer.json"), "{err}");

    let opts = EncoderOptions { max_tokens: 513, ..EncoderOptions::default() };
    let err = Encoder::load_with(Encoder::default_model_dir(), &opts).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
}
