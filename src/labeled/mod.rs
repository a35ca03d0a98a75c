//! Labeled data in: segments with their gold tags, for training and evaluation.
//!
//! [`read`] takes any file [`ingest`](crate::ingest) reads (CSV, TXT, JSON, JSONL, XLSX) and
//! gives a [`LabeledSet`]: one [`LabeledSegment`] per distinct segment text, its tags checked
//! against the model type, plus every problem found on the way as a [`LabelIssue`] naming
//! the line. Two record shapes are understood, record by record:
//!
//! - **Labeled documents**, the Studio's shape: `{"text", "segments": [{"text", "span",
//!   "tags": [{"class", "label"}]}]}`. Each segment is one complete annotation; a segment
//!   with `"tags": []` is a negative example (no class applies).
//! - **Flat rows** mapped by a [`ColumnMapping`] (`text`, `label`, `class`, `aspect`; without
//!   one, the columns of those names): one row per tag, so rows with the same text are merged
//!   into one segment ("great food, slow service" on two rows, `food`/`POS` and
//!   `service`/`NEG`).
//!
//! # What is reported, and what happens to it
//!
//! Nothing is dropped silently, and nothing doubtful is trained on:
//!
//! | issue | effect |
//! | --- | --- |
//! | [`IssueKind::EmptyText`], [`IssueKind::EmptyLabel`] | the record (or segment) is skipped |
//! | [`IssueKind::InvalidTag`] (wrong parts for the type, ABSA label not POS/NEG/NEU/CON, unknown class or label) | the tag is skipped |
//! | [`IssueKind::Duplicate`] (the same tag or segment twice) | kept once |
//! | [`IssueKind::Contradiction`] (the same text with different annotations) | the text is skipped |
//! | [`IssueKind::Unreadable`] (a record ingest could not read, a malformed `segments`) | the record is skipped |
//!
//! Texts are compared after trimming surrounding whitespace, exactly otherwise.

mod check;
mod documents;
mod mapping;
mod split;

pub use mapping::ColumnMapping;
pub use split::{split, Split};

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::ingest::{self, IngestOptions, Record};
use crate::schema::{ModelType, Tag};
use crate::{Error, ErrorKind, Result};

/// How to read a labeled file.
#[derive(Clone, Debug)]
pub struct LabeledOptions {
    /// The model type the tags are for; it decides which tag parts are required.
    pub model_type: ModelType,
    /// Which columns hold text, class (or aspect) and label in flat files. `None`: the
    /// columns named `text`, `class`, `aspect`, `label` (any case), where present.
    pub mapping: Option<ColumnMapping>,
    /// The classes a tag may name; `None` accepts any and collects them.
    pub classes: Option<Vec<String>>,
    /// The labels a tag may name (LABEL, CLASSLABEL); `None` accepts any. ABSA labels are
    /// always [`sentiment::ALL`](crate::schema::sentiment::ALL).
    pub labels: Option<Vec<String>>,
    /// How the file itself is read (format, `header_first`, limits). Its `column` is set
    /// from the mapping's `text`.
    pub ingest: IngestOptions,
}

impl LabeledOptions {
    /// Options for `model_type` with everything else at its default.
    pub fn new(model_type: ModelType) -> Self {
        LabeledOptions { model_type, mapping: None, classes: None, labels: None, ingest: Default::default() }
    }

    /// Sets the column mapping from the Studio's `column_mapping` JSON object and whether a
    /// flat file's first row is a header (the Studio's `header_first`).
    pub fn with_columns(mut self, column_mapping: Option<&serde_json::Value>, header_first: bool) -> Result<Self> {
        self.mapping = column_mapping.map(ColumnMapping::from_json).transpose()?;
        self.ingest.header_first = header_first;
        Ok(self)
    }
}

/// One segment text and its gold tags.
#[derive(Clone, Debug, PartialEq)]
pub struct LabeledSegment {
    /// The segment text, trimmed.
    pub text: String,
    /// Its gold tags, checked against the model type, without confidences; empty for a
    /// negative example (CLASS, ABSA, CLASSLABEL).
    pub tags: Vec<Tag>,
    /// The 1-based line (or row) it was first read from.
    pub line: u64,
    /// The index of the source record (document or row) it first came from, so that a split
    /// can keep the segments of one document together.
    pub record: usize,
}

/// A problem found in labeled data; see the [module docs](self) for what each kind does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IssueKind {
    /// A record or segment without text.
    EmptyText,
    /// A record or segment without the class or label the model type needs.
    EmptyLabel,
    /// A tag that does not fit the model type or the given classes and labels.
    InvalidTag,
    /// The same tag, or the same annotated segment, more than once.
    Duplicate,
    /// The same text annotated differently.
    Contradiction,
    /// A record that could not be read.
    Unreadable,
}

impl IssueKind {
    /// A short stable name, e.g. `"contradiction"`.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::EmptyText => "empty text",
            IssueKind::EmptyLabel => "empty label",
            IssueKind::InvalidTag => "invalid tag",
            IssueKind::Duplicate => "duplicate",
            IssueKind::Contradiction => "contradiction",
            IssueKind::Unreadable => "unreadable",
        }
    }
}

/// One problem, where it is, and what it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelIssue {
    /// What kind of problem.
    pub kind: IssueKind,
    /// The file.
    pub path: PathBuf,
    /// The 1-based line or row, when known.
    pub line: Option<u64>,
    /// What was wrong, naming the value.
    pub message: String,
}

impl fmt::Display for LabelIssue {
    /// `path:line: kind: message`, like a compiler diagnostic.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, "{line}:")?;
        }
        write!(f, " {}: {}", self.kind.as_str(), self.message)
    }
}

/// Labeled segments for one model type, with the classes and labels they use and the
/// problems found.
#[derive(Clone, Debug, PartialEq)]
pub struct LabeledSet {
    /// The model type the tags were checked for.
    pub model_type: ModelType,
    /// The segments, in the order their texts first appear.
    pub segments: Vec<LabeledSegment>,
    /// The class names: the given ones, or those used, sorted.
    pub classes: Vec<String>,
    /// The label names: ABSA's four, the given ones, or those used, sorted.
    pub labels: Vec<String>,
    /// Every problem found, in file order.
    pub issues: Vec<LabelIssue>,
}

impl LabeledSet {
    /// The segment texts, in order.
    pub fn texts(&self) -> Vec<&str> {
        self.segments.iter().map(|s| s.text.as_str()).collect()
    }

    /// The gold tags, in segment order.
    pub fn gold(&self) -> Vec<Vec<Tag>> {
        self.segments.iter().map(|s| s.tags.clone()).collect()
    }
}

/// Reads the labeled file `path`; see the [module docs](self).
///
/// Fails (rather than reporting) only when the file cannot be used at all: it does not
/// exist, its format is unknown, the mapping names a missing column or lacks what the model
/// type needs, or no usable segment is left.
pub fn read(path: &Path, opts: &LabeledOptions) -> Result<LabeledSet> {
    let mut ingest_opts = opts.ingest.clone();
    if let Some(m) = &opts.mapping {
        m.check(opts.model_type).map_err(|e| e.with_path(path))?;
        ingest_opts.column = Some(m.text.clone());
    }
    let records = ingest::open(path, &ingest_opts)?;
    let header = records.header().map(<[String]>::to_vec);
    from_records(records, path, header.as_deref(), opts)
}

/// Reads labeled records from any source (`name` stands for it in issues); [`read`] for files.
pub fn from_records<I>(records: I, name: &Path, header: Option<&[String]>, opts: &LabeledOptions) -> Result<LabeledSet>
where
    I: IntoIterator<Item = Result<Record>>,
{
    let mut builder = check::Builder::new(opts, name);
    let mapping = match &opts.mapping {
        Some(m) => Some(m.resolve(header).map_err(|e| e.with_path(name))?),
        None => None,
    };
    for (index, record) in records.into_iter().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) if e.kind() == ErrorKind::Io => return Err(e),
            Err(e) => {
                builder.issue(IssueKind::Unreadable, e.line(), e.message().to_string());
                continue;
            }
        };
        match &mapping {
            None if record.meta.contains_key(documents::SEGMENTS) => {
                documents::add(&mut builder, index, record)
            }
            Some(m) => m.add(&mut builder, index, record),
            None => mapping::ResolvedMapping::by_names(&record).add(&mut builder, index, record),
        }
    }
    let set = builder.finish();
    if set.segments.is_empty() {
        let first = set.issues.first().map_or(String::new(), |i| format!("; first issue: {i}"));
        return Err(Error::invalid_argument(format!(
            "no usable labeled segment for a {} model{first}",
            opts.model_type.as_str()
        ))
        .with_path(name));
    }
    Ok(set)
}

/// The distinct class (or label) names of `tags`, sorted.
fn names<'a>(tags: impl Iterator<Item = &'a Option<String>>) -> Vec<String> {
    tags.flatten().cloned().collect::<BTreeSet<_>>().into_iter().collect()
}

/// A key for comparing texts: trimmed.
fn text_key(text: &str) -> &str {
    text.trim()
}
