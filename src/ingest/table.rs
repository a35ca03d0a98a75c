//! Rows of cells (CSV, XLSX) to records: header, text column, id column, meta.

use serde_json::{Map, Value};

use super::{find_name, id_from_text, Column, IngestOptions, Record};
use crate::{Error, Result};

/// One row: its 1-based line (CSV) or row number (XLSX) and its cells, `None` when empty.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    pub(crate) line: u64,
    pub(crate) cells: Vec<Option<String>>,
}

/// Something that yields rows. A row-level error (too long, invalid UTF-8) is an `Err` item
/// followed by the next row; after an error it cannot recover from, the source returns `None`.
pub(crate) trait RowSource {
    fn next_row(&mut self) -> Option<Result<Row>>;
}

impl RowSource for std::vec::IntoIter<Result<Row>> {
    fn next_row(&mut self) -> Option<Result<Row>> {
        self.next()
    }
}

/// A table's records.
pub(crate) struct TableRecords<S> {
    src: S,
    /// A row read ahead while opening, to be returned first.
    pending: Option<Result<Row>>,
    header: Option<Vec<String>>,
    text_col: usize,
    id_col: Option<usize>,
    /// Meta keys of the header's columns; columns beyond the header use their index.
    keys: Vec<String>,
}

impl<S: RowSource> TableRecords<S> {
    /// Reads the header (with `header_first`) and checks the column choice against it, or
    /// against the first row without a header.
    pub(crate) fn new(mut src: S, opts: &IngestOptions) -> Result<Self> {
        let mut pending = None;
        let mut header = None;
        let first = src.next_row();
        if opts.header_first {
            header = Some(match first.transpose()? {
                Some(row) => row.cells.into_iter().map(Option::unwrap_or_default).collect(),
                None => Vec::new(),
            });
        } else {
            pending = first;
        }
        let empty = header.as_ref().map_or(pending.is_none(), Vec::is_empty);
        let (text_col, id_col) = match &header {
            Some(h) => {
                let names = || h.iter().map(String::as_str);
                let text_col = match &opts.column {
                    None => find_name(names(), "text").unwrap_or(0),
                    Some(Column::Name(name)) => match find_name(names(), name) {
                        Some(i) => i,
                        None if empty => 0,
                        None => {
                            return Err(Error::invalid_argument(format!(
                                "column \"{name}\" not found, the columns are: {}",
                                list(h)
                            )))
                        }
                    },
                    Some(Column::Index(i)) => {
                        if *i >= h.len() && !empty {
                            return Err(Error::invalid_argument(format!(
                                "column {i} is out of range, the columns are: {}",
                                list(h)
                            )));
                        }
                        *i
                    }
                };
                let id_col =
                    h.iter().enumerate().position(|(j, n)| j != text_col && n.eq_ignore_ascii_case("id"));
                (text_col, id_col)
            }
            None => {
                let text_col = match &opts.column {
                    None => 0,
                    Some(Column::Name(name)) => {
                        return Err(Error::invalid_argument(format!(
                            "column \"{name}\" is chosen by name but the file is read without a header row: \
                             pass header_first (--header-first) or choose the column by index"
                        )))
                    }
                    Some(Column::Index(i)) => {
                        if let Some(Ok(row)) = &pending {
                            if *i >= row.cells.len() {
                                return Err(Error::invalid_argument(format!(
                                    "column {i} is out of range, the first row has {} columns (0 to {})",
                                    row.cells.len(),
                                    row.cells.len().saturating_sub(1)
                                ))
                                .with_line(row.line));
                            }
                        }
                        *i
                    }
                };
                (text_col, None)
            }
        };
        let keys = meta_keys(header.as_deref().unwrap_or(&[]));
        Ok(TableRecords { src, pending, header, text_col, id_col, keys })
    }

    pub(crate) fn header(&self) -> Option<&[String]> {
        self.header.as_deref()
    }

    fn record(&self, row: Row) -> Result<Record> {
        let Row { line, cells } = row;
        if self.text_col >= cells.len() {
            let name = match self.header.as_ref().and_then(|h| h.get(self.text_col)) {
                Some(n) => format!("column {} (\"{n}\")", self.text_col),
                None => format!("column {}", self.text_col),
            };
            return Err(Error::malformed(format!("row has {} columns, {name} is missing", cells.len()))
                .with_line(line));
        }
        let width = cells.len().max(self.keys.len());
        let mut cells = cells.into_iter();
        let (mut text, mut id, mut meta) = (String::new(), None, Map::new());
        for j in 0..width {
            let cell = cells.next().flatten();
            if j == self.text_col {
                text = cell.unwrap_or_default();
            } else if Some(j) == self.id_col {
                id = cell.map(id_from_text);
            } else {
                let key = self.keys.get(j).cloned().unwrap_or_else(|| j.to_string());
                meta.insert(key, cell.map_or(Value::Null, Value::String));
            }
        }
        Ok(Record { id, text, meta, line })
    }
}

impl<S: RowSource> Iterator for TableRecords<S> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        let row = match self.pending.take() {
            Some(row) => row,
            None => self.src.next_row()?,
        };
        Some(row.and_then(|r| self.record(r)))
    }
}

/// Meta keys for header names: the name, or the column index when the name is empty or
/// already taken.
fn meta_keys(header: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::with_capacity(header.len());
    for (j, name) in header.iter().enumerate() {
        let key = if name.is_empty() || keys.contains(name) { j.to_string() } else { name.clone() };
        keys.push(key);
    }
    keys
}

/// `0 "a", 1 "b"` for error messages.
fn list(header: &[String]) -> String {
    if header.is_empty() {
        return "none".to_string();
    }
    header.iter().enumerate().map(|(i, n)| format!("{i} \"{n}\"")).collect::<Vec<_>>().join(", ")
}

/// The first `rows + 1` rows (the raw first row being the header), padded with `None` to
/// the widest of them.
pub(crate) fn preview<S: RowSource>(mut src: S, rows: usize) -> Result<Vec<Vec<Option<String>>>> {
    let mut out: Vec<Vec<Option<String>>> = Vec::new();
    while out.len() <= rows {
        match src.next_row() {
            Some(row) => out.push(row?.cells),
            None => break,
        }
    }
    let width = out.iter().map(Vec::len).max().unwrap_or(0);
    for row in &mut out {
        row.resize(width, None);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::DocId;
    use crate::ErrorKind;
    use serde_json::json;

    struct Rows(std::vec::IntoIter<Row>);

    impl RowSource for Rows {
        fn next_row(&mut self) -> Option<Result<Row>> {
            self.0.next().map(Ok)
        }
    }

    fn rows(data: &[&[&str]]) -> Rows {
        let rows: Vec<Row> = data
            .iter()
            .enumerate()
            .map(|(i, r)| Row {
                line: i as u64 + 1,
                cells: r.iter().map(|c| (!c.is_empty()).then(|| c.to_string())).collect(),
            })
            .collect();
        Rows(rows.into_iter())
    }

    fn opts(column: Option<Column>, header_first: bool) -> IngestOptions {
        IngestOptions { column, header_first, ..IngestOptions::default() }
    }

    #[test]
    fn header_text_id_meta() {
        let src = rows(&[&["ID", "Text", "", "lang"], &["7", "hi", "x", ""], &["a-1", "yo"]]);
        let recs: Vec<Record> =
            TableRecords::new(src, &opts(None, true)).unwrap().map(Result::unwrap).collect();
        assert_eq!(recs[0].id, Some(DocId::Int(7)));
        assert_eq!(recs[0].text, "hi");
        assert_eq!(Value::Object(recs[0].meta.clone()), json!({"2": "x", "lang": null}));
        assert_eq!(recs[1].id, Some(DocId::Str("a-1".into())));
        assert_eq!(Value::Object(recs[1].meta.clone()), json!({"2": null, "lang": null}));
        assert_eq!(recs[1].line, 3);
    }

    #[test]
    fn column_errors() {
        let h = || rows(&[&["a", "b"], &["1", "2"]]);
        let e = TableRecords::new(h(), &opts(Some(Column::Name("c".into())), true)).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("\"c\"") && e.message().contains("1 \"b\""), "{e}");
        let e = TableRecords::new(h(), &opts(Some(Column::Index(2)), true)).err().unwrap();
        assert!(e.message().contains("column 2"), "{e}");
        let e = TableRecords::new(h(), &opts(Some(Column::Name("a".into())), false)).err().unwrap();
        assert!(e.message().contains("header_first"), "{e}");
        let e = TableRecords::new(h(), &opts(Some(Column::Index(5)), false)).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        // Short rows: the text cell is missing.
        let src = rows(&[&["a", "b"], &["only"]]);
        let mut t = TableRecords::new(src, &opts(Some(Column::Index(1)), false)).unwrap();
        assert_eq!(t.next().unwrap().unwrap().text, "b");
        let e = t.next().unwrap().unwrap_err();
        assert_eq!((e.kind(), e.line()), (ErrorKind::Malformed, Some(2)));
    }

    #[test]
    fn no_header_keys_are_indexes() {
        let src = rows(&[&["x", "y", "z"]]);
        let r =
            TableRecords::new(src, &opts(Some(Column::Index(1)), false)).unwrap().next().unwrap().unwrap();
        assert_eq!((r.text.as_str(), r.id.is_none()), ("y", true));
        assert_eq!(Value::Object(r.meta), json!({"0": "x", "2": "z"}));
    }
}
