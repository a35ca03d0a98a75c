//! Labeled data in every ingest format: tags checked per model type, problems reported with
//! their lines, and a deterministic split.

use std::path::{Path, PathBuf};

use opinio::labeled::{self, ColumnMapping, IssueKind, LabeledOptions, LabeledSet};
use opinio::schema::{ModelType, Tag};
use opinio::ErrorKind;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/labeled").join(name)
}

fn tag(class: Option<&str>, label: Option<&str>) -> Tag {
    Tag { class: class.map(str::to_string), label: label.map(str::to_string), confidence: None }
}

fn issues(set: &LabeledSet) -> Vec<(IssueKind, Option<u64>)> {
    set.issues.iter().map(|i| (i.kind, i.line)).collect()
}

fn texts(set: &LabeledSet) -> Vec<&str> {
    set.texts()
}

#[test]
fn studio_documents_jsonl() {
    let set = labeled::read(&fixture("absa_documents.jsonl"), &LabeledOptions::new(ModelType::Absa)).unwrap();
    assert_eq!(texts(&set), ["The pasta was great.", "Nice place.", "Nothing else to say.", "Cold soup."]);
    assert_eq!(set.segments[0].tags, [tag(Some("food"), Some("POS"))]);
    // "positive" is ABSA's POS; the confidence of a gold tag is dropped.
    assert_eq!(set.segments[1].tags, [tag(Some("ambience"), Some("POS"))]);
    assert!(set.segments[2].tags.is_empty(), "a segment with no tags is a negative example");
    assert_eq!(set.segments[3].tags, [tag(Some("food"), Some("NEG"))]);
    assert_eq!((set.segments[3].line, set.segments[3].record), (4, 3));
    assert_eq!(
        issues(&set),
        [
            (IssueKind::Duplicate, Some(3)),     // the same annotated segment as line 1
            (IssueKind::InvalidTag, Some(4)),    // GOOD is no ABSA label
            (IssueKind::Duplicate, Some(4)),     // food/NEG twice on one segment
            (IssueKind::Contradiction, Some(5)), // service/POS here, service/NEG on line 1
            (IssueKind::Unreadable, Some(6)),    // text does not match its span
            (IssueKind::EmptyLabel, Some(7)),    // no segments
            (IssueKind::Contradiction, Some(8)), // food/POS and food/NEG on one segment
        ]
    );
    let contradiction = set.issues[3].to_string();
    assert!(contradiction.contains("absa_documents.jsonl:5: contradiction"), "{contradiction}");
    assert!(contradiction.contains("service/NEG") && contradiction.contains("line 1"), "{contradiction}");
    assert!(set.issues[1].message.contains("GOOD"), "{}", set.issues[1]);
    assert_eq!(set.classes, ["ambience", "food"]);
    assert_eq!(set.labels, ["POS", "NEG", "NEU", "CON"]);
}

#[test]
fn flat_csv_rows_merge_by_text() {
    let mut opts = LabeledOptions::new(ModelType::Absa);
    opts.mapping = Some(ColumnMapping::new("sentence").class("aspect").label("polarity"));
    opts.ingest.header_first = true;
    let set = labeled::read(&fixture("absa_rows.csv"), &opts).unwrap();
    assert_eq!(texts(&set), ["Great food but slow service.", "The wine list is long.", "Prices are fair."]);
    assert_eq!(set.segments[0].tags, [tag(Some("food"), Some("POS")), tag(Some("service"), Some("NEG"))]);
    assert_eq!(set.segments[2].tags, [tag(Some("price"), Some("POS"))]);
    assert_eq!(set.segments[2].line, 8);
    assert_eq!(
        issues(&set),
        [
            (IssueKind::Duplicate, Some(5)),
            (IssueKind::EmptyText, Some(6)),
            (IssueKind::EmptyLabel, Some(7)),
            (IssueKind::Contradiction, Some(10)),
        ]
    );
    assert_eq!(set.classes, ["food", "menu", "price", "service"]);
}

#[test]
fn column_mapping_from_studio_json() {
    let m = ColumnMapping::from_json(&serde_json::json!({"text": "sentence", "aspect": "aspect", "label": 2})).unwrap();
    assert_eq!(m, ColumnMapping::new("sentence").class("aspect").label(2));
    let both = ColumnMapping::from_json(&serde_json::json!({"class": "a", "aspect": "b"})).unwrap_err();
    assert_eq!(both.kind(), ErrorKind::InvalidArgument);
    let unknown = ColumnMapping::from_json(&serde_json::json!({"txt": "a"})).unwrap_err();
    assert!(unknown.message().contains("\"txt\""), "{unknown}");
    assert!(ColumnMapping::from_json(&serde_json::json!({"text": -1})).is_err());
    assert!(ColumnMapping::from_json(&serde_json::json!(["text"])).is_err());
}

#[test]
fn mapping_must_fit_the_type_and_the_file() {
    let mut opts = LabeledOptions::new(ModelType::Class);
    opts.ingest.header_first = true;
    opts.mapping = Some(ColumnMapping::new("sentence").class("aspect").label("polarity"));
    let e = labeled::read(&fixture("absa_rows.csv"), &opts).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("remove label"), "{e}");
    opts.model_type = ModelType::Absa;
    opts.mapping = Some(ColumnMapping::new("sentence").class("aspect"));
    assert!(labeled::read(&fixture("absa_rows.csv"), &opts).unwrap_err().message().contains("needs a label"));
    opts.mapping = Some(ColumnMapping::new("sentence").class("nope").label("polarity"));
    let e = labeled::read(&fixture("absa_rows.csv"), &opts).unwrap_err();
    assert!(e.message().contains("\"nope\" not found"), "{e}");
    assert!(e.to_string().contains("absa_rows.csv"), "{e}");
}

#[test]
fn flat_json_class_lists() {
    let set = labeled::read(&fixture("class.json"), &LabeledOptions::new(ModelType::Class)).unwrap();
    assert_eq!(texts(&set), ["Clean room, friendly staff.", "The bed was hard.", "Parking was free."]);
    assert_eq!(set.segments[0].tags, [tag(Some("Cleanliness"), None), tag(Some("Staff"), None)]);
    assert_eq!(set.classes, ["Cleanliness", "Comfort", "Parking", "Staff"]);
    assert!(set.labels.is_empty());
    let kinds: Vec<IssueKind> = set.issues.iter().map(|i| i.kind).collect();
    assert_eq!(kinds, [IssueKind::Duplicate, IssueKind::EmptyLabel]);
    // Only known classes, when they are given.
    let mut opts = LabeledOptions::new(ModelType::Class);
    opts.classes = Some(vec!["Comfort".into(), "Staff".into()]);
    let set = labeled::read(&fixture("class.json"), &opts).unwrap();
    assert_eq!(set.segments[0].tags, [tag(Some("Staff"), None)]);
    assert_eq!(set.classes, ["Comfort", "Staff"]);
    assert!(set.issues.iter().any(|i| i.kind == IssueKind::InvalidTag && i.message.contains("Parking")));
}

#[test]
fn xlsx_labels_by_index() {
    let mut opts = LabeledOptions::new(ModelType::Label);
    opts.mapping = Some(ColumnMapping::new("review").label(1));
    opts.ingest.header_first = true;
    let set = labeled::read(&fixture("label.xlsx"), &opts).unwrap();
    assert_eq!(texts(&set), ["Loved every minute.", "It was fine."]);
    assert_eq!(set.segments[1].tags, [tag(None, Some("ok"))]);
    assert_eq!(set.labels, ["good", "ok"]);
    assert_eq!(issues(&set), [(IssueKind::Contradiction, Some(5)), (IssueKind::EmptyLabel, Some(6))]);
    opts.labels = Some(vec!["good".into(), "bad".into()]);
    let set = labeled::read(&fixture("label.xlsx"), &opts).unwrap();
    assert_eq!(texts(&set), ["Loved every minute."]);
    assert_eq!(set.issues[0].kind, IssueKind::InvalidTag);
}

#[test]
fn nothing_usable_is_an_error() {
    let e = labeled::read(&fixture("texts.txt"), &LabeledOptions::new(ModelType::Label)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("no usable labeled segment") && e.message().contains("empty label"), "{e}");
    let e = labeled::read(&fixture("missing.jsonl"), &LabeledOptions::new(ModelType::Label)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
}

#[test]
fn hostile_records_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    let lines = [
        r#"{"text": "ok.", "segments": [{"text": "ok.", "span": [0, 3], "tags": [{"class": "food", "label": "POS"}]}]}"#,
        r#"{"text": "x", "segments": 5}"#,
        r#"{"text": "x", "segments": [{"span": [0, 99999999999], "tags": []}]}"#,
        r#"{"text": "x", "segments": [{"text": 3}]}"#,
        "{not json",
        "\u{feff}\u{0}",
        r#"{"text": "y", "segments": [{"text": "y", "tags": [{"class": "", "label": "POS"}]}]}"#,
    ];
    std::fs::write(&path, lines.join("\n")).unwrap();
    let set = labeled::read(&path, &LabeledOptions::new(ModelType::Absa)).unwrap();
    assert_eq!(texts(&set), ["ok."]);
    assert_eq!(set.issues.len(), 6, "{:#?}", set.issues);
    assert!(set.issues.iter().all(|i| i.line.is_some()));
}

#[test]
fn split_is_seeded_and_keeps_documents_together() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/analysis/restaurant_sample.jsonl");
    let set = labeled::read(&path, &LabeledOptions::new(ModelType::Absa)).unwrap();
    assert_eq!(set.segments.len(), 30);
    let a = labeled::split(&set, 0.2, 7).unwrap();
    let b = labeled::split(&set, 0.2, 7).unwrap();
    assert_eq!(a, b);
    assert_eq!((a.train.segments.len(), a.held_out.segments.len()), (24, 6));
    let c = labeled::split(&set, 0.2, 8).unwrap();
    assert_ne!(a.held_out.texts(), c.held_out.texts());
    let mut all: Vec<&str> = a.train.texts().into_iter().chain(a.held_out.texts()).collect();
    all.sort_unstable();
    let mut want = set.texts();
    want.sort_unstable();
    assert_eq!(all, want);
    assert_eq!(a.held_out.classes, set.classes);
    // The two segments of one document land on one side.
    let docs = labeled::read(&fixture("absa_documents.jsonl"), &LabeledOptions::new(ModelType::Absa)).unwrap();
    for seed in 0..20 {
        let s = labeled::split(&docs, 0.5, seed).unwrap();
        let side = |t: &str| s.held_out.texts().contains(&t);
        assert_eq!(side("Nice place."), side("Nothing else to say."));
    }
    assert_eq!(labeled::split(&set, 1.0, 1).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(labeled::split(&set, 0.001, 1).unwrap_err().kind(), ErrorKind::InvalidArgument);
}
