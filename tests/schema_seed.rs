//! Round trips of the seed's own JSON samples through the typed schema.
//!
//! Each fixture in `tests/fixtures/seed/` is read into its struct, written back and compared
//! with the original as a `serde_json::Value`, so a renamed, dropped or retyped field fails.
//! The fixtures live in the repository, so these tests need no copy of the seed.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use opinio::schema::{
    AnalysisPage, AnalysisRequest, AnalysisResponse, BatchAnalysis, BatchAnalysisRequest, BatchStatus, Class,
    DocId, Document, FilePreview, Label, ModelMeta, ModelPage, ModelStatus, ModelType,
};
use opinio::Language;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed")
}

fn load(name: &str) -> Value {
    let path = fixture_dir().join(format!("{name}.json"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads `value` as `T`, writes it back and returns the typed value if both JSON values match.
fn round_trip_value<T: Serialize + DeserializeOwned>(name: &str, value: Value) -> Result<T, String> {
    let typed: T = serde_json::from_value(value.clone()).map_err(|e| format!("{name}: {e}"))?;
    let back = serde_json::to_value(&typed).map_err(|e| format!("{name}: {e}"))?;
    if back == value {
        Ok(typed)
    } else {
        Err(format!(
            "{name}: round trip changed the json\nseed:\n{}\nback:\n{}",
            serde_json::to_string_pretty(&value).unwrap(),
            serde_json::to_string_pretty(&back).unwrap()
        ))
    }
}

fn round_trip<T: Serialize + DeserializeOwned>(name: &str) -> T {
    round_trip_value(name, load(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// A round trip through `T`, as a plain function pointer for the table below.
fn check<T: Serialize + DeserializeOwned>(name: &str) {
    round_trip::<T>(name);
}

/// A fixture name and the check for the type it must round-trip through.
type Fixture = (&'static str, fn(&str));

/// Every fixture and the type it must round-trip through.
const FIXTURES: &[Fixture] = &[
    ("run_an_ad_hoc_analysis.request", check::<AnalysisRequest>),
    ("run_an_ad_hoc_analysis.response", check::<AnalysisResponse>),
    ("create_a_batch_analysis.request", check::<BatchAnalysisRequest>),
    ("create_a_batch_analysis.response", check::<BatchAnalysis>),
    ("retrieve_an_analysis.response", check::<BatchAnalysis>),
    ("list_all_analyses.response", check::<Vec<BatchAnalysis>>),
    ("list_all_analysis_from_a_model.response", check::<AnalysisPage>),
    ("getting_started_upload_a_file.response", check::<FilePreview>),
    ("upload_a_file_for_a_new_batch_analysis.response", check::<FilePreview>),
    ("upload_a_model.response", check::<ModelMeta>),
    ("retrieve_a_specific_model_that_belongs_to_a_project.response", check::<ModelMeta>),
    ("retrieve_models_that_belongs_to_a_project.response", check::<Vec<ModelMeta>>),
    ("list_all_models_of_a_user.response", check::<ModelPage>),
    ("list_all_classes_from_a_project.response", check::<Vec<Class>>),
    ("retrieve_a_class.response", check::<Class>),
    ("add_a_new_label_to_a_project.request", check::<Label>),
    ("add_a_new_label_to_a_project.response", check::<Label>),
    ("retrieve_a_document_of_a_labeling_session.response", check::<Document>),
    ("retrieve_document_from_a_project.response", check::<Document>),
    ("create_a_new_document.response", check::<Document>),
];

#[test]
fn every_fixture_round_trips() {
    for (name, check) in FIXTURES {
        check(name);
    }
}

#[test]
fn every_fixture_file_is_checked() {
    let on_disk: BTreeSet<String> = fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_owned))
        .collect();
    let checked: BTreeSet<String> = FIXTURES.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(on_disk, checked, "a fixture has no round-trip check, or a check no fixture");
}

/// The comparison really is exact: an unknown key (what a renamed field looks like to serde)
/// is dropped on the way back and caught.
#[test]
fn round_trip_catches_a_dropped_field() {
    let mut value = load("run_an_ad_hoc_analysis.response");
    value["modle"] = Value::String("typo".into());
    assert!(round_trip_value::<AnalysisResponse>("mutated", value).is_err());
    let mut value = load("upload_a_model.response");
    value["metrics"] = serde_json::json!({"classes": {"Comfort": {"precision": 1}}});
    assert!(round_trip_value::<ModelMeta>("mutated", value).is_err());
}

#[test]
fn ad_hoc_request_values() {
    let r: AnalysisRequest = round_trip("run_an_ad_hoc_analysis.request");
    assert_eq!(r.model_id, Some(387));
    assert!(r.split);
    assert_eq!(r.documents[0].id, Some(DocId::Int(18000)));
    assert_eq!(r.documents[0].text, "Document 1");
}

#[test]
fn ad_hoc_response_values() {
    let r: AnalysisResponse = round_trip("run_an_ad_hoc_analysis.response");
    assert_eq!(r.model, "Hotels Pre-Trained");
    assert_eq!(r.model_type, ModelType::Absa);
    let seg = &r.documents[0].segments.as_ref().unwrap()[0];
    assert_eq!(seg.span, [0, 9]);
    let tag = &seg.tags.as_ref().unwrap()[0];
    assert_eq!((tag.class.as_deref(), tag.label.as_deref()), (Some("Comfort"), Some("POS")));
    assert!(ModelType::Absa.check_tag(tag).is_ok());
}

#[test]
fn batch_values() {
    let b: BatchAnalysis = round_trip("create_a_batch_analysis.response");
    assert_eq!(b.status, BatchStatus::Created);
    assert_eq!(b.progress, 87.7);
    assert_eq!(b.document_count, Some(100));
    assert_eq!(b.classes.as_ref().unwrap()[0].example.as_deref(), Some("This is a good example"));
    assert_eq!(b.labels.as_ref().unwrap()[0], Label { id: Some(1), name: "POS".into() });
    let r: BatchAnalysisRequest = round_trip("create_a_batch_analysis.request");
    assert_eq!(r.column, Some(0));
    assert_eq!(r.column_name.as_deref(), Some("reviews"));
    assert!(r.split && r.header_first);
}

#[test]
fn file_preview_keeps_null_and_the_string_null() {
    let p: FilePreview = round_trip("getting_started_upload_a_file.response");
    assert_eq!(p.preview[0], ["another_column", "document", "review_source"].map(|s| Some(s.into())));
    assert_eq!(p.preview[1][0], None);
    assert_eq!(p.preview[3][0].as_deref(), Some("null"));
}

#[test]
fn model_values() {
    let m: ModelMeta = round_trip("retrieve_a_specific_model_that_belongs_to_a_project.response");
    assert_eq!(m.language, Language::En);
    assert_eq!(m.model_type, ModelType::Absa);
    assert_eq!(m.status, ModelStatus::Created);
    assert_eq!(m.score, Some(0.68));
    assert!(m.metrics.as_ref().unwrap().is_empty());
    assert_eq!(m.classes.as_deref(), Some(&["Comfort".to_string()][..]));
    assert_eq!(m.demoset.as_ref().unwrap().len(), 1);
    let page: ModelPage = round_trip("list_all_models_of_a_user.response");
    assert!(page.paging.has_more);
    assert_eq!((page.paging.offset, page.paging.limit, page.paging.count), (0, 10, 10));
}
