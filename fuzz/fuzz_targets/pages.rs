//! PDFs and images on any bytes: the text layer, rendering, image decoding and the OCR's
//! pre-processing and post-processing, within small limits so that each input is quick.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opinio::extract::pages::read_bytes_with;
use opinio::extract::ReadOptions;

fn options() -> ReadOptions {
    let mut options = ReadOptions::default();
    options.limits.max_pages = 4;
    // Pages of at most 128x128 pixels: the OCR networks run on every decodable input, and
    // under the sanitizer a full page takes longer than the per-input timeout.
    options.limits.max_page_pixels = 1 << 14;
    options.limits.max_pdf_stream_bytes = 8 << 20;
    options.limits.max_ocr_seconds_per_page = 5;
    options.ocr_dpi = 72.0;
    options
}

fuzz_target!(
    init: {
        // Load the OCR networks once, before the first timed input (under the sanitizer it
        // takes longer than libFuzzer's per-input timeout).
        let blank = include_bytes!("../corpus/pages/checker.png");
        read_bytes_with("init", blank, &options()).expect("the seed image reads");
    },
    |data: &[u8]| {
        let _ = read_bytes_with("fuzz", data, &options());
    }
);
