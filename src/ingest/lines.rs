//! Lines read with a bound: a line longer than the limit is skipped, never held in memory.

use std::io::{self, BufRead};

use super::Source;
use crate::{Error, Result};

/// One physical line.
pub(crate) enum Line {
    /// The line's bytes without its `\n` or `\r\n`.
    Bytes(Vec<u8>),
    /// The line was longer than the limit; this many bytes (line ending excluded) were skipped.
    TooLong(u64),
}

/// Splits a byte stream into lines of at most `max` bytes (line ending excluded).
pub(crate) struct LineReader {
    src: Source,
    max: usize,
    /// Number of the line last returned (1-based).
    line: u64,
    done: bool,
}

impl LineReader {
    pub(crate) fn new(src: Source, max: usize) -> Self {
        LineReader { src, max, line: 0, done: false }
    }

    /// The next line and its 1-based number, `Ok(None)` at the end. A UTF-8 byte order mark
    /// at the start of the input is dropped. After an I/O error the reader is finished.
    pub(crate) fn next_line(&mut self) -> Result<Option<(u64, Line)>> {
        if self.done {
            return Ok(None);
        }
        match self.read_line() {
            Ok(Some(line)) => {
                self.line += 1;
                Ok(Some((self.line, line)))
            }
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(Error::from(e).with_line(self.line + 1))
            }
        }
    }

    /// The next line that is not blank, as text, with its 1-based number. An over-long or
    /// non-UTF-8 line is an `Err` naming its line, and the next call goes on after it.
    pub(crate) fn next_text(&mut self) -> Option<Result<(u64, String)>> {
        loop {
            let (n, line) = match self.next_line() {
                Ok(Some(l)) => l,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            let bytes = match line {
                Line::Bytes(b) => b,
                Line::TooLong(seen) => return Some(Err(too_long(seen, self.max).with_line(n))),
            };
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(super::utf8(bytes).map(|text| (n, text)).map_err(|e| e.with_line(n)));
        }
    }

    fn read_line(&mut self) -> io::Result<Option<Line>> {
        let mut buf = Vec::new();
        let mut seen: u64 = 0; // bytes of this line so far, line ending included
        let mut too_long = false;
        let mut any = false;
        let mut ended = false;
        let mut before_end = 0u8; // the byte before the '\n', to spot a "\r\n" ending
        let mut last = 0u8;
        // Room for the content plus a "\r\n" ending.
        let cap = self.max.saturating_add(2);
        loop {
            let avail = match self.src.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                break;
            }
            any = true;
            let (chunk, end) = match memchr::memchr(b'\n', avail) {
                Some(i) => (&avail[..=i], true),
                None => (avail, false),
            };
            let n = chunk.len();
            seen += n as u64;
            if end {
                ended = true;
                before_end = if n >= 2 { chunk[n - 2] } else { last };
            }
            last = chunk[n - 1];
            if !too_long {
                if buf.len() + n > cap {
                    too_long = true;
                    buf = Vec::new();
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            self.src.consume(n);
            if end {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if self.line == 0 && buf.starts_with(b"\xEF\xBB\xBF") {
            buf.drain(..3);
            seen -= 3;
        }
        if too_long {
            let ending = if !ended {
                0
            } else if before_end == b'\r' {
                2
            } else {
                1
            };
            return Ok(Some(Line::TooLong(seen.saturating_sub(ending))));
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        if buf.len() > self.max {
            return Ok(Some(Line::TooLong(buf.len() as u64)));
        }
        Ok(Some(Line::Bytes(buf)))
    }
}

/// The error for a line longer than the limit.
pub(crate) fn too_long(seen: u64, max: usize) -> Error {
    Error::limit("record size", format!("{seen} bytes"), format!("{max} bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Cursor, Read};

    fn reader(data: &'static [u8], max: usize) -> LineReader {
        let boxed: Box<dyn Read + Send> = Box::new(Cursor::new(data));
        LineReader::new(BufReader::with_capacity(4, boxed), max)
    }

    fn collect(mut r: LineReader) -> Vec<(u64, std::result::Result<Vec<u8>, u64>)> {
        let mut out = Vec::new();
        while let Some((n, l)) = r.next_line().unwrap() {
            out.push((
                n,
                match l {
                    Line::Bytes(b) => Ok(b),
                    Line::TooLong(s) => Err(s),
                },
            ));
        }
        out
    }

    #[test]
    fn splits_and_strips_endings() {
        let got = collect(reader(b"\xEF\xBB\xBFab\r\n\ncd", 10));
        assert_eq!(got, vec![(1, Ok(b"ab".to_vec())), (2, Ok(vec![])), (3, Ok(b"cd".to_vec()))]);
    }

    #[test]
    fn long_line_is_skipped_and_the_next_read() {
        let got = collect(reader(b"0123456789abc\nok\n0123456789\r\n0123456789", 5));
        assert_eq!(got, vec![(1, Err(13)), (2, Ok(b"ok".to_vec())), (3, Err(10)), (4, Err(10))]);
        // Exactly at the limit is fine, one over is not.
        let got = collect(reader(b"12345\r\n123456\n", 5));
        assert_eq!(got, vec![(1, Ok(b"12345".to_vec())), (2, Err(6))]);
    }
}
