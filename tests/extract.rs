//! Extraction end to end: the shipped models load, hand-made words.json documents go
//! through `opinio extract`, the response has the contract's shape, annotated pages decode;
//! scans made here (a photographed till receipt, a scanned invoice PDF) are read by the
//! default OCR engine and give their fields.

mod extract_support;

use extract_support::{pdf_with_images, photographed_receipt, render};
use opinio::extract::{ExtractOptions, ExtractionModel, Extractor};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn extract(model: &str, files: &[&str], extra: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_opinio"))
        .arg("extract")
        .arg("--model")
        .arg(repo(model))
        .args(extra)
        .args(files.iter().map(|f| repo(f)))
        .output()
        .expect("run opinio");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn value<'a>(doc: &'a Value, label: &str) -> Option<&'a str> {
    doc["matches"].as_array()?.iter().find(|m| m["label"] == label)?["value"].as_str()
}

#[test]
fn shipped_models_load() {
    for dir in ["models/receipts", "models/invoices"] {
        let m = ExtractionModel::load(repo(dir)).unwrap();
        assert!(m.learned_from > 0, "{dir} was not learned");
        assert!(m.fields.iter().all(|f| !f.weights.features.is_empty()));
    }
}

#[test]
fn receipt_through_the_cli() {
    let (code, json, err) = extract("models/receipts", &["tests/fixtures/extract/receipt.words.json"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["model"], "receipts");
    let doc = &json["documents"][0];
    assert_eq!(doc["name"], "receipt.words.json");
    assert_eq!(doc["credits_used"], 1);
    assert_eq!(json["total_credits_used"], 1);
    assert_eq!(value(doc, "total"), Some("25.50"));
    assert_eq!(value(doc, "date"), Some("2018-03-14"));
    assert_eq!(value(doc, "company"), Some("KEDAI RUNCIT SRI MAJU SDN BHD"));
    // Boxes: bboxes[page][match], eight corners in [0, 1], TL above-left of BR.
    let pages = doc["bboxes"].as_array().unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].as_array().unwrap().len(), doc["matches"].as_array().unwrap().len());
    for b in pages[0].as_array().unwrap().iter().flat_map(|m| m.as_array().unwrap()) {
        for k in ["TLx", "TLy", "TRx", "TRy", "BRx", "BRy", "BLx", "BLy", "confidence"] {
            let v = b[k].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&v), "{k} = {v}");
        }
        assert!(b["TLx"].as_f64() < b["BRx"].as_f64() && b["TLy"].as_f64() < b["BRy"].as_f64());
        assert!(b["text"].is_string() && b["label"].is_string());
    }
    let hitl = &doc["hitl"];
    let confidences = hitl["result"][0]["confidences"].as_array().unwrap();
    assert_eq!(confidences.len(), 4);
    assert!(confidences.iter().all(|c| c["expected_confidence"].as_f64().unwrap() > 1.0));
    let pending =
        ["all_required_fields_found", "all_confidence_thresholds_met", "all_data_conversion_passed"]
            .iter()
            .any(|k| doc[k] == false);
    assert_eq!(hitl["status"], if pending { "pending" } else { "not_required" });
    assert!(doc.get("annotated_pages").is_none());
}

#[test]
fn invoice_through_the_cli() {
    let (code, json, err) = extract("models/invoices", &["tests/fixtures/extract/invoice.words.json"], &[]);
    assert_eq!(code, 0, "{err}");
    let doc = &json["documents"][0];
    assert_eq!(value(doc, "invoice_number"), Some("2024-0815"));
    assert_eq!(value(doc, "date"), Some("2024-05-07"));
    assert_eq!(value(doc, "amount"), Some("1428.00"));
    assert_eq!(value(doc, "currency"), Some("EUR"));
    assert_eq!(value(doc, "issuer"), Some("Lindqvist Design GmbH"));
}

#[test]
fn annotated_pages_decode_as_png() {
    let (code, json, err) =
        extract("models/receipts", &["tests/fixtures/extract/receipt.words.json"], &["--annotated-pages"]);
    assert_eq!(code, 0, "{err}");
    let pages = json["documents"][0]["annotated_pages"].as_array().unwrap();
    assert_eq!(pages.len(), 1);
    let png = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, pages[0].as_str().unwrap())
        .unwrap();
    let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap();
    assert!(img.width() > 0 && img.height() > 0);
    // The words.json page has no pixels: anything not white was drawn for the matches.
    assert!(img.to_rgb8().pixels().any(|p| p.0 != [255, 255, 255]));
}

#[test]
fn several_files_keep_their_order_and_bad_input_fails_cleanly() {
    let files = ["tests/fixtures/extract/invoice.words.json", "tests/fixtures/extract/receipt.words.json"];
    let (code, json, _) = extract("models/invoices", &files, &[]);
    assert_eq!(code, 0);
    assert_eq!(json["documents"][1]["name"], "receipt.words.json");
    assert_eq!(json["total_credits_used"], 2);

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.words.json");
    std::fs::write(
        &bad,
        r#"{"pages": [{"width": 10, "height": 10, "words": [{"text": "x", "bbox": [1, 2]}]}]}"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_opinio"))
        .args(["extract", "--model"])
        .arg(repo("models/receipts"))
        .arg(&bad)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("page 1 word 1: bbox has 2 numbers"), "{err}");
    assert_eq!(err.trim().lines().count(), 1);
}

#[test]
fn extract_bytes_matches_extract_path() {
    let extractor = Extractor::load(repo("models/receipts")).unwrap();
    let path = repo("tests/fixtures/extract/receipt.words.json");
    let bytes = std::fs::read(&path).unwrap();
    let options = ExtractOptions::default();
    let a = extractor.extract_path(&path, &options).unwrap();
    let b = extractor.extract_bytes("receipt.words.json", &bytes, &options).unwrap();
    assert_eq!(a, b);
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Extractor>();
}

#[test]
fn a_photographed_receipt_gives_its_fields() {
    let extractor = Extractor::load(repo("models/receipts")).unwrap();
    let response =
        extractor.extract_bytes("receipt.jpg", &photographed_receipt(), &ExtractOptions::default());
    let json = serde_json::to_value(response.unwrap()).unwrap();
    let doc = &json["documents"][0];
    assert_eq!(value(doc, "total"), Some("25.50"), "{doc:#}");
    assert_eq!(value(doc, "date"), Some("2018-03-14"), "{doc:#}");
    let company = value(doc, "company").unwrap_or_default().replace(' ', "");
    assert_eq!(company, "KEDAIRUNCITMAJUSDNBHD", "{doc:#}");
}

#[test]
fn a_scanned_invoice_pdf_gives_its_fields() {
    let pdf = extract_support::invoice_pdf();
    let gray = image::imageops::grayscale(&render(&pdf, 0, 200.0));
    let scanned = pdf_with_images(&[gray], extract_support::A4);
    let extractor = Extractor::load(repo("models/invoices")).unwrap();
    let response = extractor.extract_bytes("scan.pdf", &scanned, &ExtractOptions::default()).unwrap();
    let json = serde_json::to_value(response).unwrap();
    let doc = &json["documents"][0];
    assert_eq!(value(doc, "amount"), Some("1234.56"), "{doc:#}");
    assert_eq!(value(doc, "date"), Some("2024-03-14"), "{doc:#}");
    assert_eq!(value(doc, "currency"), Some("EUR"), "{doc:#}");
    assert_eq!(value(doc, "invoice_number"), Some("INV-2024-0042"), "{doc:#}");
}
