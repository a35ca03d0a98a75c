//! Reading documents from files: CSV, TXT, JSON, JSONL and XLSX, as the Studio's upload
//! endpoints accept them.
//!
//! [`open`] (or [`from_reader`]) gives [`Records`], a streaming iterator of [`Record`]s: one
//! per TXT line, CSV/XLSX row, JSONL line or JSON array element. Memory stays bounded by
//! [`Limits`]: every record is checked against `max_record_bytes` *while* it is read, and an
//! oversized, broken or non-UTF-8 record yields an `Err` item naming the file and line, after
//! which iteration goes on with the next record. Errors that leave nothing to resume from (an
//! I/O failure, a JSON file whose structure breaks) end the iteration after their `Err` item.
//!
//! [`preview`] gives the seed's upload response: the file's id and its first rows.
//!
//! # Choosing the text
//!
//! - **TXT**: every non-blank line is a document; the line ending is removed, nothing else.
//! - **CSV / XLSX** (first worksheet): with [`IngestOptions::header_first`] the first row
//!   names the columns; the text column is [`IngestOptions::column`], by default the column
//!   named `text` (any case) or else column 0. A column named `id` (any case) gives the id
//!   (an integer when it parses as one). Every other column goes to `meta`, keyed by its header
//!   name, or by its index (`"0"`, `"1"`, ...) without a header; empty cells are `null`.
//!   Without `header_first` every row is data and columns can only be chosen by index.
//! - **JSONL / JSON**: each record is an object (text from the `text` property or the chosen
//!   one, `id` from `id`, the other properties to `meta`) or a bare string (the text). A JSON
//!   file is a top-level array of records, or an object with a `documents` array (the seed's
//!   request shape), or a single record object. `Column::Index(i)` picks an object's `i`-th
//!   property.

mod csv;
mod json;
mod jsonl;
mod lines;
mod object;

pub(crate) use object::kind as json_kind;
mod table;
mod txt;
mod xlsx;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::schema::{DocId, Document, FilePreview};
use crate::{Error, ErrorKind, Limits, Result};

/// Buffer size of the readers under every format.
const BUF_CAPACITY: usize = 64 << 10;

/// A file format opinio reads documents from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma-separated values (`;` and tab are detected too).
    Csv,
    /// Plain text, one document per non-blank line.
    Txt,
    /// A JSON array of records, or an object with a `documents` array.
    Json,
    /// One JSON record per line.
    Jsonl,
    /// An Excel workbook; its first worksheet is read.
    Xlsx,
}

impl Format {
    /// The format named by a file's extension (any case): `csv` (and `tsv`), `txt`, `json`,
    /// `jsonl` (and `ndjson`), `xlsx`.
    pub fn from_path(path: &Path) -> Result<Format> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        let format = match ext.as_deref() {
            Some("csv" | "tsv") => Format::Csv,
            Some("txt") => Format::Txt,
            Some("json") => Format::Json,
            Some("jsonl" | "ndjson") => Format::Jsonl,
            Some("xlsx") => Format::Xlsx,
            Some(other) => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                    "unsupported file extension \".{other}\", expected .csv, .txt, .json, .jsonl or .xlsx"
                ),
                )
                .with_path(path))
            }
            None => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "file has no extension, expected .csv, .txt, .json, .jsonl or .xlsx",
                )
                .with_path(path))
            }
        };
        Ok(format)
    }

    /// The format's usual extension, e.g. `"jsonl"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Txt => "txt",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Xlsx => "xlsx",
        }
    }
}

/// Which column (CSV, XLSX) or property (JSON, JSONL) holds the text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    /// 0-based column index (for JSON objects: the index of the property).
    Index(usize),
    /// Column name from the header row (needs `header_first`), or JSON property name.
    /// Matched exactly first, then ignoring ASCII case.
    Name(String),
}

impl From<usize> for Column {
    fn from(index: usize) -> Self {
        Column::Index(index)
    }
}

impl From<&str> for Column {
    fn from(name: &str) -> Self {
        Column::Name(name.to_string())
    }
}

/// How to read a file.
#[derive(Clone, Debug, Default)]
pub struct IngestOptions {
    /// The text column; `None` means `text` (or column 0 for a CSV/XLSX without that column).
    pub column: Option<Column>,
    /// CSV/XLSX: the first row is a header naming the columns.
    pub header_first: bool,
    /// Bounds on the input.
    pub limits: Limits,
    /// The format, when the file's extension does not tell it.
    pub format: Option<Format>,
}

/// One document as read from a file, with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The record's id (an `id` column or property), kept as given.
    pub id: Option<DocId>,
    /// The document text.
    pub text: String,
    /// The record's other columns or properties.
    pub meta: Map<String, Value>,
    /// 1-based line (TXT, JSONL, JSON: where the record starts) or row number (CSV: the line
    /// the row starts on; XLSX: the worksheet row) in the source.
    pub line: u64,
}

impl From<Record> for Document {
    fn from(r: Record) -> Self {
        Document {
            id: r.id,
            text: r.text,
            meta: if r.meta.is_empty() { None } else { Some(r.meta) },
            segments: None,
        }
    }
}

/// A streaming iterator over a file's records; see the [module docs](self).
///
/// Every `Err` item carries the file name and, where known, the line.
pub struct Records {
    inner: Inner,
    name: PathBuf,
    format: Format,
}

enum Inner {
    Txt(txt::TxtRecords),
    Jsonl(object::ValueRecords<jsonl::JsonlValues>),
    Json(object::ValueRecords<json::JsonValues>),
    Csv(table::TableRecords<csv::CsvRows>),
    Xlsx(table::TableRecords<xlsx::XlsxRows>),
}

impl Records {
    /// The format being read.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The header row of a CSV/XLSX read with `header_first`.
    pub fn header(&self) -> Option<&[String]> {
        match &self.inner {
            Inner::Csv(t) => t.header(),
            Inner::Xlsx(t) => t.header(),
            _ => None,
        }
    }
}

impl Iterator for Records {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        let item = match &mut self.inner {
            Inner::Txt(r) => r.next(),
            Inner::Jsonl(r) => r.next(),
            Inner::Json(r) => r.next(),
            Inner::Csv(r) => r.next(),
            Inner::Xlsx(r) => r.next(),
        }?;
        Some(item.map_err(|e| e.with_path(&self.name)))
    }
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records").field("name", &self.name).field("format", &self.format).finish()
    }
}

/// Opens `path` and streams its records. The format is `opts.format`, else the extension's.
pub fn open(path: &Path, opts: &IngestOptions) -> Result<Records> {
    let format = match opts.format {
        Some(f) => f,
        None => Format::from_path(path)?,
    };
    let file = File::open(path).map_err(|e| Error::from(e).with_path(path))?;
    let inner = match format {
        Format::Xlsx => xlsx::open(file, opts).map(Inner::Xlsx),
        _ => text_inner(Box::new(file), format, opts),
    }
    .map_err(|e| e.with_path(path))?;
    Ok(Records { inner, name: path.to_path_buf(), format })
}

/// Streams records from any reader (`-` on the command line is JSONL from stdin); `name`
/// stands for the file in error messages. An XLSX workbook is read into memory first,
/// bounded by `max_in_memory_bytes`.
pub fn from_reader<R: Read + Send + 'static>(
    reader: R,
    format: Format,
    name: &str,
    opts: &IngestOptions,
) -> Result<Records> {
    let inner = match format {
        Format::Xlsx => {
            let bytes = read_bounded(reader, opts.limits.max_in_memory_bytes)?;
            xlsx::open(std::io::Cursor::new(bytes), opts).map(Inner::Xlsx)
        }
        _ => text_inner(Box::new(reader), format, opts),
    }
    .map_err(|e| e.with_path(name))?;
    Ok(Records { inner, name: PathBuf::from(name), format })
}

/// The type every text format reads from.
pub(crate) type Source = BufReader<Box<dyn Read + Send>>;

fn text_inner(reader: Box<dyn Read + Send>, format: Format, opts: &IngestOptions) -> Result<Inner> {
    let src: Source = BufReader::with_capacity(BUF_CAPACITY, reader);
    Ok(match format {
        Format::Txt => Inner::Txt(txt::TxtRecords::new(src, &opts.limits)),
        Format::Jsonl => {
            Inner::Jsonl(object::ValueRecords::new(jsonl::JsonlValues::new(src, &opts.limits), opts))
        }
        Format::Json => {
            Inner::Json(object::ValueRecords::new(json::JsonValues::new(src, &opts.limits), opts))
        }
        Format::Csv => Inner::Csv(table::TableRecords::new(csv::CsvRows::new(src, &opts.limits)?, opts)?),
        Format::Xlsx => {
            return Err(Error::new(ErrorKind::Internal, "xlsx is opened by the caller, not as text"))
        }
    })
}

/// Reads a whole input, refusing one larger than `max` bytes.
fn read_bounded<R: Read>(reader: R, max: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(Error::limit("input held in memory", format!("over {max} bytes"), max));
    }
    Ok(bytes)
}

/// The seed's upload response for `path`: its id and its first rows, header row first.
///
/// `rows` counts the data rows after the header. The header is the raw first row of a
/// CSV/XLSX (whether or not it will be read with `header_first`), the union of the
/// properties of the previewed records of a JSON/JSONL file (in first-seen order; a bare
/// string counts as `text`), and `["text"]` for a TXT file. Cells are strings, or `null`
/// when empty or missing; JSON values other than strings are rendered as JSON text.
///
/// The id is a UUID (version 5) of the file's first MiB and its length, so the same file
/// always gets the same id.
pub fn preview(path: &Path, rows: usize, limits: &Limits) -> Result<FilePreview> {
    let format = Format::from_path(path)?;
    let id = file_id(path).map_err(|e| e.with_path(path))?;
    let file = File::open(path).map_err(|e| Error::from(e).with_path(path))?;
    let preview = match format {
        Format::Xlsx => xlsx::preview(file, rows, limits),
        _ => {
            let src: Source = BufReader::with_capacity(BUF_CAPACITY, Box::new(file));
            match format {
                Format::Txt => txt::preview(src, rows, limits),
                Format::Csv => table::preview(csv::CsvRows::new(src, limits)?, rows),
                Format::Jsonl => object::preview(jsonl::JsonlValues::new(src, limits).take(rows)),
                Format::Json => object::preview(json::JsonValues::new(src, limits).take(rows)),
                Format::Xlsx => {
                    Err(Error::new(ErrorKind::Internal, "xlsx is previewed by the caller, not as text"))
                }
            }
        }
    }
    .map_err(|e| e.with_path(path))?;
    Ok(FilePreview { id, preview })
}

/// UUID v5 over the first MiB of the file followed by its length (8 bytes, little endian).
fn file_id(path: &Path) -> Result<String> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut head = Vec::with_capacity(1 << 20);
    file.take(1 << 20).read_to_end(&mut head)?;
    head.extend_from_slice(&len.to_le_bytes());
    Ok(uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, &head).to_string())
}

/// Finds `name` among `names`: exact match first, then ignoring ASCII case.
pub(crate) fn find_name<'a, I>(names: I, name: &str) -> Option<usize>
where
    I: IntoIterator<Item = &'a str> + Clone,
{
    names
        .clone()
        .into_iter()
        .position(|n| n == name)
        .or_else(|| names.into_iter().position(|n| n.eq_ignore_ascii_case(name)))
}

/// An id from a cell or property text: an integer when it parses as one, else the string.
pub(crate) fn id_from_text(s: String) -> DocId {
    match s.parse::<i64>() {
        Ok(n) => DocId::Int(n),
        Err(_) => DocId::Str(s),
    }
}

/// Converts bytes to a `String`, or an `InvalidUtf8` error saying where in the record.
pub(crate) fn utf8(bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Error::new(ErrorKind::InvalidUtf8, format!("invalid utf-8 at byte {at} of the record"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_from_path() {
        assert_eq!(Format::from_path(Path::new("a/B.CSV")).unwrap(), Format::Csv);
        assert_eq!(Format::from_path(Path::new("x.JsonL")).unwrap(), Format::Jsonl);
        assert_eq!(Format::from_path(Path::new("x.xlsx")).unwrap(), Format::Xlsx);
        let e = Format::from_path(Path::new("x.pdf")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.to_string().contains(".pdf"), "{e}");
        assert_eq!(Format::from_path(Path::new("noext")).unwrap_err().kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn find_name_prefers_exact() {
        let names = ["Text", "text", "id"];
        assert_eq!(find_name(names.iter().copied(), "text"), Some(1));
        assert_eq!(find_name(names.iter().copied(), "TEXT"), Some(0));
        assert_eq!(find_name(names.iter().copied(), "x"), None);
    }

    #[test]
    fn ids() {
        assert_eq!(id_from_text("18000".into()), DocId::Int(18000));
        assert_eq!(id_from_text("r-1".into()), DocId::Str("r-1".into()));
    }

    #[test]
    fn records_are_send() {
        fn send<T: Send>() {}
        send::<Records>();
    }
}
