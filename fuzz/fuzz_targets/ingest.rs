//! Every ingest format on any bytes: records or errors, never a panic, within the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opinio::ingest::{self, Format, IngestOptions};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let format =
        [Format::Csv, Format::Txt, Format::Json, Format::Jsonl, Format::Xlsx][usize::from(selector) % 5];
    let mut options = IngestOptions::default();
    options.header_first = selector & 0x80 != 0;
    options.limits.max_record_bytes = 1 << 16;
    options.limits.max_in_memory_bytes = 1 << 20;
    if let Ok(records) = ingest::from_reader(std::io::Cursor::new(bytes.to_vec()), format, "fuzz", &options) {
        for record in records.take(10_000) {
            let _ = record;
        }
    }
});
