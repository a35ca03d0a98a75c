//! `NAME.words.json` (words read by another OCR engine) on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = opinio::extract::pages::read_bytes("fuzz.words.json", data);
});
