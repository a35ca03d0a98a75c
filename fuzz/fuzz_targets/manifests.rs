//! Model and extraction manifests on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<opinio::model::Manifest>(data);
    let _ = opinio::extract::ExtractionModel::from_json(data);
});
