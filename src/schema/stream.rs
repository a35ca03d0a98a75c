//! Writing `{"documents": [...]}` one document at a time.
//!
//! Batch jobs stream: a million documents never sit in memory at once, so the envelope is
//! written around them as they come instead of serialising one big value at the end.

use std::io::Write;

use serde::Serialize;
use serde_json::{Map, Value};

use super::Document;
use crate::{Error, ErrorKind, Result};

/// Streams a JSON object whose `documents` array is written one [`Document`] at a time.
///
/// ```
/// use opinio::schema::{Document, DocumentsWriter};
///
/// let mut writer = DocumentsWriter::new(Vec::new(), &Default::default())?;
/// writer.write(&Document { text: "Hi.".into(), ..Document::default() })?;
/// let bytes = writer.finish(&Default::default())?;
/// assert_eq!(String::from_utf8(bytes).unwrap(), r#"{"documents":[{"text":"Hi."}]}"#);
/// # Ok::<(), opinio::Error>(())
/// ```
pub struct DocumentsWriter<W: Write> {
    out: W,
    count: usize,
}

impl<W: Write> DocumentsWriter<W> {
    /// Writes `{`, the `leading` fields, and opens the `documents` array.
    pub fn new(mut out: W, leading: &Map<String, Value>) -> Result<Self> {
        out.write_all(b"{").map_err(write_error)?;
        for (key, value) in leading {
            write_json(&mut out, key)?;
            out.write_all(b":").map_err(write_error)?;
            write_json(&mut out, value)?;
            out.write_all(b",").map_err(write_error)?;
        }
        out.write_all(br#""documents":["#).map_err(write_error)?;
        Ok(DocumentsWriter { out, count: 0 })
    }

    /// Appends one document to the array.
    pub fn write(&mut self, document: &Document) -> Result<()> {
        if self.count > 0 {
            self.out.write_all(b",").map_err(write_error)?;
        }
        write_json(&mut self.out, document)?;
        self.count += 1;
        Ok(())
    }

    /// Appends one document that [`encode_document`] turned into JSON.
    pub fn write_encoded(&mut self, json: &[u8]) -> Result<()> {
        if self.count > 0 {
            self.out.write_all(b",").map_err(write_error)?;
        }
        self.out.write_all(json).map_err(write_error)?;
        self.count += 1;
        Ok(())
    }

    /// How many documents have been written.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Closes the array, writes the `trailing` fields and `}`, flushes, and returns the writer.
    pub fn finish(mut self, trailing: &Map<String, Value>) -> Result<W> {
        self.out.write_all(b"]").map_err(write_error)?;
        for (key, value) in trailing {
            self.out.write_all(b",").map_err(write_error)?;
            write_json(&mut self.out, key)?;
            self.out.write_all(b":").map_err(write_error)?;
            write_json(&mut self.out, value)?;
        }
        self.out.write_all(b"}").map_err(write_error)?;
        self.out.flush().map_err(write_error)?;
        Ok(self.out)
    }
}

/// One document as [`DocumentsWriter::write`] writes it: for encoding documents on several
/// threads and writing them with [`DocumentsWriter::write_encoded`] in order.
pub fn encode_document(document: &Document) -> Result<Vec<u8>> {
    let mut json = Vec::with_capacity(document.text.len() * 3 + 64);
    write_json(&mut json, document)?;
    Ok(json)
}

fn write_json<W: Write, T: Serialize + ?Sized>(out: &mut W, value: &T) -> Result<()> {
    serde_json::to_writer(out, value)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write json: {e}")))
}

fn write_error(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("cannot write output: {e}")).with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leading_and_trailing_fields_surround_the_documents() {
        let mut lead = Map::new();
        lead.insert("model".into(), json!("Hotels"));
        let mut trail = Map::new();
        trail.insert("type".into(), json!("ABSA"));
        let mut w = DocumentsWriter::new(Vec::new(), &lead).unwrap();
        for text in ["a", "b"] {
            w.write(&Document { text: text.into(), ..Document::default() }).unwrap();
        }
        assert_eq!(w.count(), 2);
        let out: Value = serde_json::from_slice(&w.finish(&trail).unwrap()).unwrap();
        assert_eq!(
            out,
            json!({"model": "Hotels", "documents": [{"text": "a"}, {"text": "b"}], "type": "ABSA"})
        );
    }
}
