//! CSV rows, parsed by the `csv` crate with every record bounded while it is read.
//!
//! The delimiter is `,` unless the first line has more `;` or tabs (outside quotes). A UTF-8
//! byte order mark is dropped. Quoted fields may hold delimiters, quotes (`""`) and newlines.
//!
//! The bound: the `csv` reader pulls its bytes through a [`Guard`] that knows where the
//! current record started and fails the read once the record has grown past the limit (plus
//! the reader's buffer), so an oversized record is never held whole. The row is then reported
//! as too long, the rest of its line skipped, and a fresh parser resumes on the next line.

use std::io::{self, BufRead, Read};

use ::csv::{ByteRecord, Reader, ReaderBuilder, Terminator};

use super::lines::too_long;
use super::table::{Row, RowSource};
use super::Source;
use crate::{Error, ErrorKind, Limits, Result};

/// The `csv` reader's own buffer; a record may overshoot the limit by this much while read.
const CSV_BUF: usize = 16 << 10;

/// The reader between the file and the `csv` parser: counts bytes and lines, and refuses to
/// feed a record beyond its budget.
struct Guard {
    src: Source,
    /// Bytes handed to the parser so far.
    delivered: u64,
    /// Absolute offset where the record being read started.
    record_start: u64,
    /// Bytes a record may span before reads fail.
    budget: u64,
    /// Whether the last read failed because of the budget.
    tripped: bool,
    /// Whether the input has ended.
    eof: bool,
    /// The last byte handed out.
    last: u8,
    /// Newlines handed out.
    newlines: u64,
}

impl Read for Guard {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.delivered - self.record_start > self.budget {
            self.tripped = true;
            return Err(io::Error::other("record over the size limit"));
        }
        let n = self.src.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.eof = true;
        } else if n > 0 {
            self.last = buf[n - 1];
            self.newlines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        }
        self.delivered += n as u64;
        Ok(n)
    }
}

/// A CSV file's rows.
pub(crate) struct CsvRows {
    rdr: Option<Reader<Guard>>,
    delimiter: u8,
    /// Absolute byte offset and line where the current parser started.
    base_byte: u64,
    base_line: u64,
    record: ByteRecord,
    max: usize,
}

impl CsvRows {
    pub(crate) fn new(mut src: Source, limits: &Limits) -> Result<Self> {
        let head = src.fill_buf()?;
        let bom = head.starts_with(b"\xEF\xBB\xBF");
        let delimiter = sniff(if bom { &head[3..] } else { head });
        if bom {
            src.consume(3);
        }
        let max = limits.max_record_bytes;
        let guard = Guard {
            src,
            delivered: 0,
            record_start: 0,
            budget: (max as u64).saturating_add(CSV_BUF as u64),
            tripped: false,
            eof: false,
            last: b'\n',
            newlines: 0,
        };
        Ok(CsvRows {
            rdr: Some(parser(guard, delimiter)),
            delimiter,
            base_byte: 0,
            base_line: 1,
            record: ByteRecord::new(),
            max,
        })
    }

    /// After a row went over the limit: skips the rest of its line and starts a new parser
    /// after it. Returns the row's size in bytes as far as it was seen.
    fn resync(&mut self, rdr: Reader<Guard>, line: u64) -> Result<u64> {
        let mut guard = rdr.into_inner();
        // The parser consumed everything it read (it was inside the record), so the guard's
        // counts are exact here.
        let mut skipped = 0u64;
        let mut ended = false;
        let mut before = guard.last;
        loop {
            let buf = match guard.src.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::from(e).with_line(line)),
            };
            if buf.is_empty() {
                break;
            }
            let (n, end) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            if end {
                before = if n >= 2 { buf[n - 2] } else { before };
            } else {
                before = buf[n - 1];
            }
            guard.src.consume(n);
            skipped += n as u64;
            if end {
                ended = true;
                break;
            }
        }
        let ending = if !ended {
            0
        } else if before == b'\r' {
            2
        } else {
            1
        };
        let seen = guard.delivered + skipped - guard.record_start - ending;
        guard.delivered += skipped;
        guard.newlines += u64::from(ended);
        guard.last = b'\n';
        guard.tripped = false;
        guard.record_start = guard.delivered;
        self.base_byte = guard.delivered;
        self.base_line = guard.newlines + 1;
        if ended {
            self.rdr = Some(parser(guard, self.delimiter));
        }
        Ok(seen)
    }
}

fn parser(guard: Guard, delimiter: u8) -> Reader<Guard> {
    ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        // Only '\n' ends a record, so that a record's end is always known; a '\r' before it
        // is removed from the last field below.
        .terminator(Terminator::Any(b'\n'))
        .buffer_capacity(CSV_BUF)
        .from_reader(guard)
}

impl RowSource for CsvRows {
    fn next_row(&mut self) -> Option<Result<Row>> {
        loop {
            let rdr = self.rdr.as_mut()?;
            let start = rdr.position().clone();
            let start_line = self.base_line + start.line() - 1;
            rdr.get_mut().record_start = self.base_byte + start.byte();
            match rdr.read_byte_record(&mut self.record) {
                Ok(false) => {
                    self.rdr = None;
                    return None;
                }
                Ok(true) => {
                    let guard = rdr.get_ref();
                    let consumed_all = self.base_byte + rdr.position().byte() == guard.delivered;
                    let lf_ended = !(guard.eof && consumed_all && guard.last != b'\n');
                    let after = self.base_line + rdr.position().line() - 1;
                    let inner = memchr::memchr_iter(b'\n', self.record.as_slice()).count() as u64;
                    let line = after.saturating_sub(inner + u64::from(lf_ended)).max(1);
                    if let Some(row) = self.row(line).transpose() {
                        return Some(row);
                    }
                    // A blank line: read on.
                }
                Err(e) => {
                    let rdr = self.rdr.take().expect("reader is present");
                    if rdr.get_ref().tripped {
                        return Some(match self.resync(rdr, start_line) {
                            Ok(seen) => Err(too_long(seen, self.max).with_line(start_line)),
                            Err(e) => Err(e),
                        });
                    }
                    let e = match e.into_kind() {
                        ::csv::ErrorKind::Io(io) => Error::from(io),
                        other => Error::new(ErrorKind::Malformed, format!("{other:?}").to_lowercase()),
                    };
                    return Some(Err(e.with_line(start_line)));
                }
            }
        }
    }
}

impl CsvRows {
    /// The row just read, `None` for a blank line.
    fn row(&self, line: u64) -> Result<Option<Row>> {
        let n = self.record.len();
        let len_of = |j: usize, f: &'_ [u8]| -> usize {
            if j + 1 == n && f.ends_with(b"\r") {
                f.len() - 1
            } else {
                f.len()
            }
        };
        // Content bytes: the fields and the delimiters between them.
        let size: usize =
            self.record.iter().enumerate().map(|(j, f)| len_of(j, f)).sum::<usize>() + n.saturating_sub(1);
        if size == 0 {
            return Ok(None); // a blank line
        }
        if size > self.max {
            return Err(too_long(size as u64, self.max).with_line(line));
        }
        let mut cells = Vec::with_capacity(n);
        for (j, f) in self.record.iter().enumerate() {
            let field = &f[..len_of(j, f)];
            if field.is_empty() {
                cells.push(None);
                continue;
            }
            match std::str::from_utf8(field) {
                Ok(s) => cells.push(Some(s.to_string())),
                Err(e) => {
                    return Err(Error::new(
                        ErrorKind::InvalidUtf8,
                        format!("invalid utf-8 in column {j} at byte {}", e.valid_up_to()),
                    )
                    .with_line(line))
                }
            }
        }
        Ok(Some(Row { line, cells }))
    }
}

/// The delimiter of the first line: `;` or tab when either outnumbers `,` outside quotes.
fn sniff(head: &[u8]) -> u8 {
    let line = match memchr::memchr(b'\n', head) {
        Some(i) => &head[..i],
        None => head,
    };
    let (mut counts, mut quoted) = ([0usize; 3], false);
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], std::cmp::Reverse(i))).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        [b',', b';', b'\t'][best]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Cursor};

    fn rows(data: &[u8], max: usize) -> Vec<Result<Row>> {
        let boxed: Box<dyn Read + Send> = Box::new(Cursor::new(data.to_vec()));
        let limits = Limits { max_record_bytes: max, ..Limits::default() };
        let mut src = CsvRows::new(BufReader::with_capacity(7, boxed), &limits).unwrap();
        std::iter::from_fn(|| src.next_row()).collect()
    }

    fn ok(data: &[u8]) -> Vec<(u64, Vec<Option<String>>)> {
        rows(data, 1000).into_iter().map(|r| r.map(|r| (r.line, r.cells)).unwrap()).collect()
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn quoted_fields_blank_lines_crlf_and_line_numbers() {
        let got = ok(b"\xEF\xBB\xBFa,b\r\n\r\n\"x,\ny\",\"q\"\"\"\r\n\n,last");
        assert_eq!(
            got,
            vec![(1, vec![s("a"), s("b")]), (3, vec![s("x,\ny"), s("q\"")]), (6, vec![None, s("last")]),]
        );
    }

    #[test]
    fn delimiters_are_sniffed() {
        assert_eq!(sniff(b"a;b;c,d\n1,2,3,4,5"), b';');
        assert_eq!(sniff(b"a\tb\n"), b'\t');
        assert_eq!(sniff(b"\"a;b\",c\n"), b',');
        assert_eq!(sniff(b"text\n"), b',');
        assert_eq!(ok(b"t;u\n1;2\n")[1].1, vec![s("1"), s("2")]);
    }

    #[test]
    fn long_row_is_refused_and_the_next_read() {
        let mut data = b"a,b\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 100_000));
        data.extend(b",\"y\"\r\nc,d\n");
        let got = rows(&data, 1000);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0].as_ref().unwrap().cells, vec![s("a"), s("b")]);
        let e = got[1].as_ref().unwrap_err();
        assert_eq!((e.kind(), e.line()), (ErrorKind::LimitExceeded, Some(2)));
        assert!(e.message().contains("100004 bytes"), "{e}");
        let last = got[2].as_ref().unwrap();
        assert_eq!((last.line, &last.cells), (3, &vec![s("c"), s("d")]));
        // Just over the limit, within the parser's buffer: refused after reading.
        let got = rows(b"12345,7\nok\n", 6);
        assert_eq!(got[0].as_ref().unwrap_err().kind(), ErrorKind::LimitExceeded);
        assert_eq!(got[1].as_ref().unwrap().cells, vec![s("ok")]);
    }

    #[test]
    fn invalid_utf8_is_per_row() {
        let got = rows(b"a\n\xff\xfe\nb\n", 100);
        assert_eq!(got[0].as_ref().unwrap().cells, vec![s("a")]);
        let e = got[1].as_ref().unwrap_err();
        assert_eq!((e.kind(), e.line()), (ErrorKind::InvalidUtf8, Some(2)));
        assert_eq!(got[2].as_ref().unwrap().cells, vec![s("b")]);
    }
}
