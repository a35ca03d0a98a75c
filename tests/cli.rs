//! The `opinio` command line: JSON on stdout, one line on stderr, exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

fn opinio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opinio")).args(args).output().expect("run opinio")
}

fn opinio_stdin(args: &[&str], input: &str) -> Output {
    opinio_stdin_env(args, input, &[])
}

fn opinio_stdin_env(args: &[&str], input: &str, vars: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_opinio"))
        .args(args)
        .envs(vars.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run opinio");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn fixture(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel).to_string_lossy().into_owned()
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not json ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn stderr_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr).lines().map(str::to_owned).collect()
}

/// Every segment's span indexes its document's text in code points.
fn assert_spans(doc: &Value) {
    let chars: Vec<char> = doc["text"].as_str().unwrap().chars().collect();
    for seg in doc["segments"].as_array().unwrap() {
        let (s, e) = (seg["span"][0].as_u64().unwrap() as usize, seg["span"][1].as_u64().unwrap() as usize);
        assert_eq!(chars[s..e].iter().collect::<String>(), seg["text"].as_str().unwrap());
        assert!(seg.get("tags").is_none(), "segment output carries no tags");
    }
}

#[test]
fn segment_stdin_jsonl_keeps_ids_and_order() {
    let input =
        "{\"id\": 7, \"text\": \"I live in the U.S. How about you?\"}\n{\"id\": \"x\", \"text\": \"Hi.\"}\n";
    let out = opinio_stdin(&["segment", "-"], input);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = stdout_json(&out);
    assert_eq!(
        v,
        json!({"documents": [
            {"id": 7, "text": "I live in the U.S. How about you?", "segments": [
                {"text": "I live in the U.S.", "span": [0, 18]},
                {"text": "How about you?", "span": [19, 33]}]},
            {"id": "x", "text": "Hi.", "segments": [{"text": "Hi.", "span": [0, 3]}]}
        ]})
    );
}

#[test]
fn segment_reads_every_format() {
    for (file, extra) in [
        ("ingest/reviews.csv", vec!["--header-first"]),
        ("ingest/reviews.jsonl", vec![]),
        ("ingest/reviews.json", vec![]),
        ("ingest/reviews.txt", vec![]),
        ("ingest/reviews.xlsx", vec!["--header-first"]),
    ] {
        let path = fixture(file);
        let mut args = vec!["segment", "--lang", "en"];
        args.extend(extra);
        args.push(&path);
        let out = opinio(&args);
        assert!(out.status.success(), "{file}: {}", String::from_utf8_lossy(&out.stderr));
        let v = stdout_json(&out);
        let docs = v["documents"].as_array().unwrap();
        assert!(docs.len() >= 3, "{file}: {} documents", docs.len());
        docs.iter().for_each(assert_spans);
        assert!(docs.iter().all(|d| d.get("meta").is_none()), "{file}: meta only with --meta");
    }
}

#[test]
fn segment_column_by_name_and_meta() {
    let path = fixture("ingest/reviews.csv");
    let out = opinio(&["segment", "--column-name", "text", "--meta", &path]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = stdout_json(&out);
    let first = &v["documents"][0];
    assert_eq!(first["id"], json!(1));
    assert_eq!(first["meta"]["source"], json!("web"));
}

#[test]
fn preview_reproduces_the_seed_example() {
    let out = opinio(&["preview", "--rows", "3", &fixture("ingest/seed_preview.csv")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = stdout_json(&out);
    assert_eq!(
        v["preview"],
        json!([
            ["another_column", "document", "review_source"],
            [null, "the hotel is good", "a"],
            ["test", "the hotel is bad", "b"],
            ["null", "the hotel is ok", "a"]
        ])
    );
    assert_eq!(v["id"].as_str().unwrap().len(), 36, "a uuid");
    assert_eq!(v.as_object().unwrap().len(), 2, "exactly id and preview");
}

#[test]
fn a_broken_record_is_reported_and_the_rest_kept() {
    let input = "{\"text\": \"Good one.\"}\n{\"text\": broken\n{\"text\": \"Also good.\"}\n";
    let out = opinio_stdin(&["segment", "--lang", "en", "-"], input);
    assert_eq!(out.status.code(), Some(3));
    let v = stdout_json(&out);
    assert_eq!(v["documents"].as_array().unwrap().len(), 2);
    assert_eq!(v["errors"][0]["line"], json!(2));
    let err = stderr_lines(&out);
    assert!(err[0].starts_with("opinio: <stdin>:2:"), "{err:?}");
}

#[test]
fn errors_are_one_line_and_non_zero() {
    let missing = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("no-such-file.csv");
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (vec!["segment".into(), missing.to_string_lossy().into()], 1, "no-such-file.csv"),
        (
            vec!["segment".into(), "--lang".into(), "fr".into(), fixture("ingest/reviews.txt")],
            1,
            "unknown language",
        ),
        (vec!["segment".into(), fixture("segment/en.txt").replace(".txt", ".pdf")], 1, "pdf"),
        (vec!["segment".into()], 2, "FILE"),
        (vec!["frobnicate".into()], 2, "frobnicate"),
    ];
    for (args, code, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = opinio(&args);
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        let err = stderr_lines(&out);
        assert_eq!(err.len(), 1, "{args:?}: {err:?}");
        assert!(err[0].starts_with("opinio: ") && err[0].contains(needle), "{args:?}: {err:?}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
}

#[test]
fn invalid_utf8_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.txt");
    std::fs::write(&path, b"fine line.\nbad \xff\xfe line.\nlast line.\n").unwrap();
    let out = opinio(&["segment", "--lang", "en", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr_lines(&out);
    assert!(err[0].contains("bad.txt:2:") && err[0].contains("utf-8"), "{err:?}");
    assert_eq!(stdout_json(&out)["documents"].as_array().unwrap().len(), 2);
}

fn repo(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel).to_string_lossy().into_owned()
}

#[test]
fn analyze_with_the_shipped_model_answers_the_adhoc_shape() {
    let out = opinio(&[
        "analyze",
        "--model",
        &repo("models/restaurants-zero-shot"),
        "--split",
        &repo("samples/reviews.jsonl"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = stdout_json(&out);
    assert_eq!(v["type"], json!("ABSA"));
    assert_eq!(v["model"], json!("Restaurants (zero-shot)"));
    let docs = v["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 8);
    assert_eq!(docs[0]["id"], json!(1));
    for doc in docs {
        let chars: Vec<char> = doc["text"].as_str().unwrap().chars().collect();
        for seg in doc["segments"].as_array().unwrap() {
            let (s, e) =
                (seg["span"][0].as_u64().unwrap() as usize, seg["span"][1].as_u64().unwrap() as usize);
            assert_eq!(chars[s..e].iter().collect::<String>(), seg["text"].as_str().unwrap());
            for tag in seg["tags"].as_array().unwrap() {
                assert!(["POS", "NEG", "NEU", "CON"].contains(&tag["label"].as_str().unwrap()));
                assert!(tag["class"].is_string());
                assert!((0.0..=1.0).contains(&tag["confidence"].as_f64().unwrap()));
            }
        }
    }
    // Without --split every document is one segment.
    let out = opinio(&[
        "analyze",
        "--model",
        &repo("models/restaurants-zero-shot"),
        &repo("samples/reviews.jsonl"),
    ]);
    let v = stdout_json(&out);
    assert!(v["documents"].as_array().unwrap().iter().all(|d| d["segments"].as_array().unwrap().len() == 1));
}

#[test]
fn train_builds_a_zero_shot_model_that_analyze_loads() {
    let dir = tempfile::tempdir().unwrap();
    let classes = dir.path().join("classes.csv");
    std::fs::write(&classes, "name,description,example\nroom,\"The hotel room: bed, bathroom, cleanliness\",The bed was comfy\nbreakfast,Breakfast food and coffee,The eggs were cold\n").unwrap();
    let out_dir = dir.path().join("hotel");
    let out = opinio(&[
        "train",
        "--type",
        "CLASS",
        "--classes",
        classes.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta = stdout_json(&out);
    assert_eq!(meta["type"], json!("CLASS"));
    assert_eq!(meta["classes"], json!(["room", "breakfast"]));
    assert_eq!(meta["name"], json!("hotel"));

    let out = opinio_stdin(
        &["analyze", "--model", out_dir.to_str().unwrap(), "-"],
        "{\"text\": \"The coffee at breakfast was cold.\"}\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tags = &stdout_json(&out)["documents"][0]["segments"][0]["tags"];
    assert_eq!(tags[0]["class"], json!("breakfast"), "{tags}");
    assert!(tags[0].get("label").is_none(), "CLASS tags carry no label");

    let out = opinio(&[
        "train",
        "--type",
        "SENTIMENT",
        "--classes",
        classes.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_lines(&out)[0].contains("SENTIMENT"));
    let out = opinio(&["analyze", "--model", dir.path().to_str().unwrap(), &repo("samples/reviews.jsonl")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_lines(&out)[0].contains("manifest.json"), "{:?}", stderr_lines(&out));
}

#[test]
fn read_prints_what_a_document_holds_as_words_json() {
    let words = fixture("extract/receipt.words.json");
    let out = opinio(&["read", &words]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = stdout_json(&out);
    let given: Value = serde_json::from_str(&std::fs::read_to_string(&words).unwrap()).unwrap();
    let texts = |v: &Value| -> Vec<String> {
        v["pages"][0]["words"].as_array().unwrap().iter().map(|w| w["text"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(texts(&read), texts(&given));
    assert_eq!(read["pages"][0]["width"], given["pages"][0]["width"].as_f64().unwrap());
    let missing = opinio(&["read", "no/such/scan.png"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("scan.png"));
}

#[test]
fn analyze_takes_a_precision_and_names_a_bad_one() {
    let model = format!("{}/models/restaurants-zero-shot", env!("CARGO_MANIFEST_DIR"));
    // Clear-cut sentences: on a borderline one ("The soup was cold.", CON at 0.53 against
    // NEG) rounding alone may flip the label, and this test is about the setting.
    let input = r#"{"id": 1, "text": "The soup was delicious. Our waiter was rude."}"#;
    let tags = |out: &Output| -> Vec<Value> {
        let doc = &stdout_json(out)["documents"][0];
        doc["segments"].as_array().unwrap().iter().map(|s| json!([s["tags"][0]["class"], s["tags"][0]["label"]])).collect()
    };
    let fp32 = opinio_stdin(&["analyze", "--model", &model, "--split", "--precision", "fp32", "-"], input);
    let int8 = opinio_stdin(&["analyze", "--model", &model, "--split", "--precision", "int8", "-"], input);
    assert!(fp32.status.success() && int8.status.success(), "{}", String::from_utf8_lossy(&int8.stderr));
    assert_eq!(tags(&int8), tags(&fp32));
    let bad = opinio_stdin(&["analyze", "--model", &model, "--precision", "int4", "-"], input);
    assert_eq!(bad.status.code(), Some(1));
    let lines = stderr_lines(&bad);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("\"int4\"") && lines[0].contains("fp32 or int8"), "{lines:?}");
}

/// The fp32 products on opinio's tile (where the CPU has AVX-512F) and on tract's give the
/// same tags and confidences up to rounding; a path the variable names wrongly stops the command
/// with one line that names the variable.
#[test]
fn fp32_paths_agree_and_a_bad_path_name_is_refused() {
    let model = format!("{}/models/restaurants", env!("CARGO_MANIFEST_DIR"));
    let input = r#"{"id": 1, "text": "The soup was delicious. Our waiter was rude but the prices were fair."}"#;
    let args = ["analyze", "--model", &model, "--split", "--precision", "fp32", "-"];
    let run = |path: &str| opinio_stdin_env(&args, input, &[("OPINIO_FP32_KERNEL", path)]);
    let (fastest, tract) = (run(""), run("tract"));
    assert!(fastest.status.success() && tract.status.success(), "{}", String::from_utf8_lossy(&fastest.stderr));
    let tags = |out: &Output| -> Vec<(Value, Value, f64)> {
        let doc = &stdout_json(out)["documents"][0];
        let segments = doc["segments"].as_array().unwrap().iter();
        let tags = segments.flat_map(|s| s["tags"].as_array().unwrap().clone());
        tags.map(|t| (t["class"].clone(), t["label"].clone(), t["confidence"].as_f64().unwrap())).collect()
    };
    let (a, b) = (tags(&fastest), tags(&tract));
    assert!(!a.is_empty() && a.len() == b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(&b) {
        assert!(x.0 == y.0 && x.1 == y.1 && (x.2 - y.2).abs() < 1e-3, "{x:?} vs {y:?}");
    }
    let bad = opinio_stdin_env(&args, input, &[("OPINIO_FP32_KERNEL", "avx1024")]);
    assert_eq!(bad.status.code(), Some(1));
    let lines = stderr_lines(&bad);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("OPINIO_FP32_KERNEL=\"avx1024\"") && lines[0].contains("tract"), "{lines:?}");
}
