//! The commands that read documents from a file and write a response for them: `segment`
//! and `analyze` stream, document by document, in input order; `sample` reads them all,
//! then picks. A bad record is reported on stderr and listed under `errors`; the good ones
//! are kept.

use std::io::{self, IsTerminal, Write};

use opinio::analysis::batch::{self, BatchOptions, Control, Progress};
use opinio::ingest::Records;
use opinio::schema::{Document, DocumentsWriter};
use opinio::{Error, Model};
use serde_json::{json, Map, Value};

use crate::args::Input;
use crate::{write_value, Partial};

/// Streams the ad-hoc analysis response of every record through the batch runner, with a
/// progress line on stderr when it is a terminal.
pub fn analyze(out: impl Write, model: &Model, split: bool, input: &Input) -> Result<Option<Partial>, Error> {
    let show = io::stderr().is_terminal();
    // Counting the records reads the file once more; stdin can be read only once.
    let total = if show && !input.is_stdin() { Some(input.records()?.count() as u64) } else { None };
    let meta = model.meta();
    let mut lead = Map::new();
    lead.insert("model".into(), json!(meta.display_name));
    lead.insert("type".into(), json!(meta.model_type));
    let mut writer = DocumentsWriter::new(out, &lead)?;
    let mut errors = Vec::new();
    let documents = input.records()?.map(|r| r.map(|record| document(record, input.meta)));
    let options = BatchOptions { split, total, ..BatchOptions::default() };
    let progress = |p: &Progress| {
        if show {
            match p.percent() {
                Some(pc) => eprint!("\ranalyzing: {pc:5.1}% ({} documents)", p.done),
                None => eprint!("\ranalyzing: {} documents", p.done),
            }
        }
        Control::Continue
    };
    batch::run(model, documents, &options, progress, |doc| {
        match doc {
            Ok(doc) => writer.write(&doc)?,
            Err(e) => skip(&mut errors, e),
        }
        Ok(())
    })?;
    if show {
        eprintln!();
    }
    finish(writer, errors)
}

/// Picks `size` of the records for a correction session and writes the sample.
pub fn sample(out: impl Write, model: &Model, size: usize, input: &Input) -> Result<Option<Partial>, Error> {
    let mut errors = Vec::new();
    let mut documents = Vec::new();
    for record in input.records()? {
        match record {
            Ok(record) => documents.push(document(record, false)),
            Err(e) => skip(&mut errors, e),
        }
    }
    let sample = opinio::correct::sample(model, documents, &opinio::correct::SampleOptions { size })?;
    let mut value = json!(sample);
    let bad = errors.len();
    if bad > 0 {
        value["errors"] = Value::Array(errors);
    }
    write_value(out, &value)?;
    Ok((bad > 0).then_some(Partial(bad)))
}

/// Documents handled together by `stream_documents`: enough for every core to get a share,
/// few enough that a chunk of a large file stays small in memory.
const CHUNK_DOCUMENTS: usize = 512;
/// ... and at most about this much text in one chunk.
const CHUNK_BYTES: usize = 1 << 20;

/// Reads `records`, fills each document with `process` and writes it, in input order.
/// Documents go through in chunks: `process` and the JSON encoding of each chunk run on
/// opinio's threads (`opinio::parallel`), the reading and writing in order on this one.
pub fn stream_documents(
    out: impl Write,
    records: Records,
    keep_meta: bool,
    process: impl Fn(&mut Document) + Sync + Send,
) -> Result<Option<Partial>, Error> {
    let mut writer = DocumentsWriter::new(out, &Map::new())?;
    let mut errors = Vec::new();
    let mut chunk: Vec<Document> = Vec::with_capacity(CHUNK_DOCUMENTS);
    let mut chunk_bytes = 0;
    let mut records = records.peekable();
    while let Some(record) = records.next() {
        match record {
            Ok(record) => {
                let doc = document(record, keep_meta);
                chunk_bytes += doc.text.len();
                chunk.push(doc);
            }
            Err(e) => skip(&mut errors, e),
        }
        if chunk.len() >= CHUNK_DOCUMENTS || chunk_bytes >= CHUNK_BYTES || records.peek().is_none() {
            let encoded = opinio::parallel::map_owned(std::mem::take(&mut chunk), |mut doc| {
                process(&mut doc);
                opinio::schema::encode_document(&doc)
            });
            for json in encoded {
                writer.write_encoded(&json?)?;
            }
            chunk_bytes = 0;
        }
    }
    finish(writer, errors)
}

/// A record as a document, with its other columns as `meta` or without them.
fn document(record: opinio::ingest::Record, keep_meta: bool) -> Document {
    let mut doc = Document::from(record);
    if !keep_meta {
        doc.meta = None;
    }
    doc
}

/// Reports a bad record on stderr and lists it for the response's `errors`.
fn skip(errors: &mut Vec<Value>, e: Error) {
    eprintln!("opinio: {e}");
    errors.push(json!({"line": e.line(), "message": e.to_string()}));
}

/// Closes the output, listing bad records under `errors`.
fn finish(writer: DocumentsWriter<impl Write>, errors: Vec<Value>) -> Result<Option<Partial>, Error> {
    let mut trailing = Map::new();
    let bad = errors.len();
    if bad > 0 {
        trailing.insert("errors".into(), Value::Array(errors));
    }
    let mut out = writer.finish(&trailing)?;
    writeln!(out)?;
    Ok((bad > 0).then_some(Partial(bad)))
}
