//! Batch analysis over a stream of documents: bounded memory, progress, cancellation.
//!
//! Documents are analysed in chunks ([`BatchOptions::chunk_size`] documents, at most
//! [`CHUNK_TEXT_BYTES`] of text): a million documents never sit in memory at once, and each
//! chunk still fills the encoder's batches. After every chunk the progress callback is told
//! how far the batch is and may cancel it.
//!
//! Chunks are large because the encoder sorts texts by length only *within* a chunk: on 2000
//! review sentences, chunks of 256 padded the batches to 67,300 tokens for 62,000 real ones,
//! chunks of 1024 to 63,900 (2048 is the default), and every chunk's last batches leave a core idle while the
//! other finishes (see the README's speed section for the measured effect). The byte bound keeps a chunk of long documents (many segments, one pooled
//! vector each) within a few tens of megabytes.

use std::time::{SystemTime, UNIX_EPOCH};

pub use crate::control::Control;
use crate::model::Model;
use crate::schema::{BatchAnalysis, BatchStatus, Class, Document, Label};
use crate::{Error, ErrorKind, Result};

/// A chunk is closed once its documents hold this much text, whatever `chunk_size` says.
pub const CHUNK_TEXT_BYTES: usize = 1 << 20;

/// How a batch runs.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    /// Split documents into sentences.
    pub split: bool,
    /// Documents analysed together (fewer when they hold more than [`CHUNK_TEXT_BYTES`] of
    /// text); bounds memory and sets how often progress is reported.
    pub chunk_size: usize,
    /// The number of documents, when known in advance, for a percentage.
    pub total: Option<u64>,
    /// The batch's name, as the seed's batch analysis has one.
    pub name: String,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions { split: false, chunk_size: 2048, total: None, name: "batch analysis".into() }
    }
}

/// How far a batch is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Documents analysed so far.
    pub done: u64,
    /// Records that could not be read.
    pub failed: u64,
    /// All documents, when known.
    pub total: Option<u64>,
}

impl Progress {
    /// Percent done (0–100), when the total is known.
    pub fn percent(&self) -> Option<f64> {
        self.total.map(|t| {
            if t == 0 {
                100.0
            } else {
                (100.0 * (self.done + self.failed) as f64 / t as f64).min(100.0)
            }
        })
    }
}

/// Analyses every document of `documents` with `model`, in chunks.
///
/// Each analysed document, or each record that could not be read (an `Err` item of the
/// input, passed through), goes to `sink` in input order; a sink error stops the batch.
/// `on_progress` is called before the first chunk and after each one. Returns the seed's
/// batch analysis object (without the documents, which went to `sink`).
pub fn run<I, P, S>(
    model: &Model,
    documents: I,
    options: &BatchOptions,
    mut on_progress: P,
    mut sink: S,
) -> Result<BatchAnalysis>
where
    I: IntoIterator<Item = Result<Document>>,
    P: FnMut(&Progress) -> Control,
    S: FnMut(Result<Document>) -> Result<()>,
{
    let created = rfc3339(SystemTime::now());
    let mut progress = Progress { done: 0, failed: 0, total: options.total };
    if on_progress(&progress) == Control::Cancel {
        return Err(cancelled(&progress));
    }
    let chunk_size = options.chunk_size.max(1);
    let mut pending: Vec<Result<Document>> = Vec::new();
    let mut input = documents.into_iter().peekable();
    while input.peek().is_some() {
        let mut bytes = 0;
        while pending.len() < chunk_size && bytes < CHUNK_TEXT_BYTES {
            let Some(doc) = input.next() else { break };
            bytes += doc.as_ref().map_or(0, |d| d.text.len());
            pending.push(doc);
        }
        let (good, slots): (Vec<Document>, Vec<Option<Error>>) = split_errors(std::mem::take(&mut pending));
        let mut analysed = model.analyze_documents(good, options.split)?.into_iter();
        for slot in slots {
            match slot {
                None => {
                    progress.done += 1;
                    sink(Ok(analysed
                        .next()
                        .ok_or_else(|| Error::new(ErrorKind::Internal, "lost a document"))?))?;
                }
                Some(e) => {
                    progress.failed += 1;
                    sink(Err(e))?;
                }
            }
        }
        if on_progress(&progress) == Control::Cancel {
            return Err(cancelled(&progress));
        }
    }
    let meta = model.meta();
    let manifest = model.manifest();
    Ok(BatchAnalysis {
        created: Some(created),
        finished: Some(rfc3339(SystemTime::now())),
        document_count: Some(progress.done),
        uuid: None,
        id: None,
        name: options.name.clone(),
        progress: 100.0,
        model_id: None,
        status: BatchStatus::Finished,
        model_type: meta.model_type,
        description: None,
        classes: Some(manifest.definitions.classes.clone()).filter(|c: &Vec<Class>| !c.is_empty()),
        labels: Some(
            manifest
                .definitions
                .labels
                .iter()
                .map(|l| Label { id: None, name: l.name.clone() })
                .collect::<Vec<_>>(),
        )
        .filter(|l| !l.is_empty()),
        documents: None,
    })
}

/// Separates readable documents from read errors, remembering where each error was.
fn split_errors(items: Vec<Result<Document>>) -> (Vec<Document>, Vec<Option<Error>>) {
    let mut good = Vec::with_capacity(items.len());
    let mut slots = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Ok(d) => {
                good.push(d);
                slots.push(None);
            }
            Err(e) => slots.push(Some(e)),
        }
    }
    (good, slots)
}

fn cancelled(p: &Progress) -> Error {
    Error::new(ErrorKind::Cancelled, format!("batch cancelled after {} documents", p.done + p.failed))
}

/// `t` as an RFC 3339 UTC timestamp (`2026-11-28T18:31:00Z`), the seed's format.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = crate::calendar::civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_890_660)), "2026-11-28T18:31:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn percent_counts_failures_as_handled() {
        let p = Progress { done: 3, failed: 1, total: Some(8) };
        assert_eq!(p.percent(), Some(50.0));
        assert_eq!(Progress { done: 0, failed: 0, total: None }.percent(), None);
    }
}
