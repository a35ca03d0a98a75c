//! opinio puts a text-and-document AI engine inside your program: in-process, offline,
//! on the CPU, with the JSON shapes of the Studio platform.
//!
//! ```
//! use opinio::segment::Segmenter;
//! use opinio::Language;
//!
//! let segmenter = Segmenter::new(Language::En);
//! let segments = segmenter.segments("The room was clean. The staff, e.g. Mr. Li, were kind!");
//! assert_eq!(segments[1].text, "The staff, e.g. Mr. Li, were kind!");
//! assert_eq!(segments[1].span, [20, 54]); // code points, as Python's str indices
//! ```
//!
//! # Overview
//!
//! - [`segment`]: sentences with exact spans in English, German and Arabic
//!   ([`segment::Segmenter`], the [`segment::Splitter`] trait for other splitters).
//! - [`ingest`]: documents from CSV, TXT, JSON, JSONL and XLSX files, streamed, with the
//!   Studio's file preview.
//! - [`encode`]: sentence vectors and per-token states from a transformer encoder
//!   (all-MiniLM-L6-v2 shipped) run in-process by tract, batched and parallel
//!   ([`encode::Encoder`]; [`parallel`] switches opinio's threads off).
//! - [`heads`]: from embeddings to tags (zero-shot prototypes with calibrated thresholds).
//! - [`model`]: model folders ([`Model`]): manifest, head weights, encoder reference.
//! - [`analysis`]: ad-hoc ([`Model::analyze`]) and streaming batch analysis with progress.
//! - [`schema`]: the Studio's JSON shapes (documents, segments, tags, models, analyses).
//! - [`report`]: a self-contained HTML report of an analysis or an extraction.
//! - [`Language`]: the supported languages and their detection.
//! - [`Error`]: one error type whose [`ErrorKind`] says what went wrong and whose context
//!   names the file and line.
//!
//! # Untrusted input
//!
//! Files are read as streams and every record is bounded by [`Limits`] before it is held
//! in memory: an oversized line, a zip bomb in an XLSX or deeply nested JSON fails with
//! [`ErrorKind::LimitExceeded`] or [`ErrorKind::Malformed`], naming the file and line,
//! never with a panic or unbounded memory. A bad record in a batch is reported and the
//! good ones are kept.

pub mod analysis;
mod calendar;
pub mod control;
pub mod correct;
pub mod encode;
pub mod error;
pub mod evaluate;
pub mod extract;
pub mod ffi;
pub mod heads;
pub mod ingest;
pub mod labeled;
pub mod language;
pub mod limits;
pub mod model;
pub mod parallel;
pub mod report;
pub mod rng;
pub mod schema;
pub mod segment;
pub mod train;

pub use control::Control;
pub use error::{Error, ErrorKind, Result};
pub use language::Language;
pub use limits::Limits;
pub use model::Model;

/// The README's Rust examples, compiled by `cargo test` so that they keep working.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
