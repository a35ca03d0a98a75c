//! Page sources: a file in, [`Page`]s of positioned words out.
//!
//! The format is decided by content (magic bytes), not by the file name, except for
//! `NAME.words.json`, which is JSON and could be anything else's name.

mod words_json;

use crate::extract::Page;
use crate::{Error, ErrorKind, Result};
use std::path::Path;

/// Reads every page of the file at `path`.
pub fn read_path(path: &Path) -> Result<Vec<Page>> {
    let bytes = std::fs::read(path).map_err(|e| Error::from(e).with_path(path))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    read_bytes(name, &bytes).map_err(|e| e.with_path(path))
}

/// Reads every page of a file held in memory; `name` is only used to recognise
/// `*.words.json`.
pub fn read_bytes(name: &str, bytes: &[u8]) -> Result<Vec<Page>> {
    if name.to_ascii_lowercase().ends_with(".words.json") {
        return words_json::read(bytes);
    }
    Err(Error::new(ErrorKind::Unsupported, format!("{name}: not a PDF, image or .words.json file")))
}
