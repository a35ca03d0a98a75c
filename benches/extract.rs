//! Page sources: a born-digital PDF page from its text layer (bar: under 50 ms a page), and
//! a 300-dpi A4 scan read end to end, against the OCR engine alone on the same pixels
//! (PP-OCRv5 by default; with `--features tesseract`, Tesseract's too), which says what
//! opinio adds around the OCR (decoding, deskew, turns, word conversion).
//!
//! The documents are the synthetic invoice of `tests/extract_support` (written as a PDF with
//! Helvetica, rendered by hayro for the scan). `cargo bench --bench extract` also prints the
//! overhead ratio from its own timed runs; `cargo test --bench extract` runs each benchmark
//! once (a few seconds).

#[path = "../tests/extract_support/mod.rs"]
mod extract_support;

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use opinio::extract::pages::{ocr_image, read_bytes};
use opinio::extract::{OcrEngine, ReadOptions};

fn bench_extract(c: &mut Criterion) {
    let pdf = extract_support::invoice_pdf();
    let scan = extract_support::render(&pdf, 0, 300.0);
    let jpeg = extract_support::jpeg(&scan);
    let options = ReadOptions::default();

    let mut group = c.benchmark_group("extract");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.bench_function("pdf_text_page", |b| b.iter(|| read_bytes("invoice.pdf", &pdf).map(|p| p.len())));
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("scan_a4_300dpi_jpeg/opinio", |b| b.iter(|| read_bytes("invoice.jpg", &jpeg).map(|p| p[0].words.len())));
    group.bench_function("scan_a4_300dpi_jpeg/ppocr_only", |b| {
        b.iter(|| ocr_image(&scan, Some(300), &options).map(|w| w.len()))
    });
    if cfg!(feature = "tesseract") {
        let mut tesseract = ReadOptions::default();
        tesseract.engine = OcrEngine::Tesseract;
        group.bench_function("scan_a4_300dpi_jpeg/tesseract_only", |b| {
            b.iter(|| ocr_image(&scan, Some(300), &tesseract).map(|w| w.len()))
        });
    }
    group.finish();

    if std::env::args().any(|a| a == "--bench") {
        overhead_ratio(&jpeg, &scan, &options);
    }
}

/// Interleaved runs of both, medians compared: the share of the end-to-end time that is not
/// the engine's (decoding, grey conversion, deskew, word conversion).
fn overhead_ratio(jpeg: &[u8], scan: &image::RgbImage, options: &ReadOptions) {
    let (mut total, mut ocr) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        let t = Instant::now();
        let _ = read_bytes("invoice.jpg", jpeg);
        total.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let _ = ocr_image(scan, Some(300), options);
        ocr.push(t.elapsed().as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (total, ocr) = (median(&mut total), median(&mut ocr));
    println!(
        "300-dpi A4 scan: opinio {:.0} ms, the ocr engine alone {:.0} ms, overhead {:.1}% of ocr time",
        total * 1e3,
        ocr * 1e3,
        100.0 * (total - ocr) / ocr
    );
}

criterion_group!(benches, bench_extract);
criterion_main!(benches);
