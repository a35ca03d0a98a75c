//! JSON: a top-level array of records, an object with a `documents` array of records (the
//! seed's request shape), or a single record object.
//!
//! Arrays are streamed element by element: a small splitter finds where each element ends
//! (tracking strings, escapes and nesting depth, never recursing) and hands that element's
//! bytes, bounded by `max_record_bytes`, to serde_json. A broken, oversized or too deeply
//! nested element is an `Err` item and reading goes on with the next; a break in the file's
//! own structure (a missing `,`, an unterminated array) ends the iteration.

use std::io::{self, BufRead};

use serde_json::{Map, Value};

use super::lines::too_long;
use super::object::{self, too_deep};
use super::{utf8, Source};
use crate::{Error, ErrorKind, Limits, Result};

/// Where the splitter is in the file's structure.
enum State {
    /// Before the top-level value.
    Start,
    /// Inside an array of records: the top-level one, or the `documents` one when
    /// `in_object`.
    Array {
        first: bool,
        in_object: bool,
    },
    /// Inside the top-level object, looking at its properties.
    Object {
        first: bool,
    },
    /// After the top-level value: only whitespace may follow.
    End,
    Done,
}

/// One JSON value's bytes, as cut out of the stream.
struct Taken {
    /// The bytes, unless they were not kept (not wanted, or over the size limit).
    bytes: Option<Vec<u8>>,
    /// Bytes in the value.
    len: u64,
    /// Deepest nesting seen.
    depth: usize,
    /// Line the value starts on.
    line: u64,
    /// Whether the value ended before the input did.
    complete: bool,
}

/// The top-level object when it has no `documents` array: a single record.
#[derive(Default)]
struct Single {
    line: u64,
    map: Map<String, Value>,
    bytes: u64,
    error: Option<Error>,
    has_documents: bool,
}

/// A record's value and the line it starts on, or why it cannot be read.
type Item = Result<(u64, Value)>;

/// What one step of the splitter gives: `None` to step again, else what `next` returns.
type Step = Option<Option<Item>>;

/// A JSON file's records as values with the line each starts on.
pub(crate) struct JsonValues {
    src: Source,
    line: u64,
    max_bytes: usize,
    max_depth: usize,
    state: State,
    /// Elements seen so far, for messages.
    element: u64,
    single: Single,
}

impl JsonValues {
    pub(crate) fn new(src: Source, limits: &Limits) -> Self {
        JsonValues {
            src,
            line: 1,
            max_bytes: limits.max_record_bytes,
            max_depth: limits.max_json_depth,
            state: State::Start,
            element: 0,
            single: Single::default(),
        }
    }

    /// Skips whitespace and returns the next byte without consuming it.
    fn peek(&mut self) -> io::Result<Option<u8>> {
        loop {
            let buf = fill(&mut self.src)?;
            if buf.is_empty() {
                return Ok(None);
            }
            let (mut i, mut lines) = (0, 0);
            let mut found = None;
            while i < buf.len() {
                match buf[i] {
                    b'\n' => lines += 1,
                    b' ' | b'\t' | b'\r' => {}
                    b => {
                        found = Some(b);
                        break;
                    }
                }
                i += 1;
            }
            self.line += lines;
            self.src.consume(i);
            if found.is_some() {
                return Ok(found);
            }
        }
    }

    /// Consumes one byte (one [`peek`](Self::peek) returned, never a newline).
    fn bump(&mut self) {
        self.src.consume(1);
    }

    /// Cuts the next value out of the stream, keeping its bytes when `keep` and it fits in
    /// `max_bytes`. The caller has peeked its first byte.
    fn take(&mut self, keep: bool) -> io::Result<Taken> {
        let mut t = Taken { bytes: keep.then(Vec::new), len: 0, depth: 0, line: self.line, complete: false };
        let first = match self.peek()? {
            Some(b) => b,
            None => return Ok(t),
        };
        let scalar = !matches!(first, b'{' | b'[' | b'"');
        let (mut depth, mut in_str, mut esc, mut started) = (0usize, false, false, false);
        let max_bytes = self.max_bytes as u64;
        loop {
            let buf = fill(&mut self.src)?;
            if buf.is_empty() {
                // Only a scalar may end with the input.
                t.complete = scalar && t.len > 0;
                return Ok(t);
            }
            let (mut i, mut lines, mut done) = (0, 0, false);
            while i < buf.len() {
                let b = buf[i];
                if b == b'\n' {
                    lines += 1;
                }
                if scalar {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                        done = true;
                        break;
                    }
                } else if in_str {
                    if esc {
                        esc = false;
                    } else if b == b'\\' {
                        esc = true;
                    } else if b == b'"' {
                        in_str = false;
                        if depth == 0 {
                            i += 1;
                            done = true;
                            break;
                        }
                    }
                } else {
                    match b {
                        b'"' => in_str = true,
                        b'{' | b'[' => {
                            depth += 1;
                            t.depth = t.depth.max(depth);
                        }
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 && started {
                                i += 1;
                                done = true;
                                break;
                            }
                        }
                        _ => {}
                    }
                    started = true;
                }
                i += 1;
            }
            if let Some(bytes) = &mut t.bytes {
                if t.len + i as u64 > max_bytes {
                    t.bytes = None;
                } else {
                    bytes.extend_from_slice(&buf[..i]);
                }
            }
            t.len += i as u64;
            self.line += lines;
            self.src.consume(i);
            if done {
                t.complete = true;
                return Ok(t);
            }
        }
    }

    /// Parses a value cut out by [`take`](Self::take), checking the limits.
    fn parse(&self, t: Taken, what: &str) -> Result<Value> {
        let result = if t.depth > self.max_depth {
            Err(too_deep(t.depth, self.max_depth))
        } else if t.len > self.max_bytes as u64 {
            Err(too_long(t.len, self.max_bytes))
        } else {
            let bytes = t
                .bytes
                .ok_or_else(|| Error::new(ErrorKind::Internal, "a value within limits lost its bytes"));
            bytes.and_then(utf8).and_then(|s| object::parse_within_depth(s.as_bytes()))
        };
        result.map_err(|e| {
            let msg = format!("{what}: {}", e.message());
            Error::new(e.kind(), msg).with_line(t.line)
        })
    }

    /// A break in the file's structure: reported once, then the iteration ends.
    fn fatal(&mut self, e: Error) -> Option<Item> {
        self.state = State::Done;
        Some(Err(e))
    }

    fn unexpected(&mut self, expected: &str, found: Option<u8>) -> Option<Item> {
        let found = match found {
            None => "the end of the input".to_string(),
            Some(b) if b.is_ascii_graphic() => format!("'{}'", b as char),
            Some(b) => format!("byte 0x{b:02x}"),
        };
        let e = Error::malformed(format!("expected {expected}, found {found}")).with_line(self.line);
        self.fatal(e)
    }

    fn step(&mut self) -> io::Result<Step> {
        match self.state {
            State::Done => Ok(Some(None)),
            State::Start => {
                if fill(&mut self.src)?.starts_with(b"\xEF\xBB\xBF") {
                    self.src.consume(3);
                }
                match self.peek()? {
                    None => {
                        self.state = State::Done;
                        Ok(Some(None))
                    }
                    Some(b'[') => {
                        self.bump();
                        self.state = State::Array { first: true, in_object: false };
                        Ok(None)
                    }
                    Some(b'{') => {
                        self.single.line = self.line;
                        self.bump();
                        self.state = State::Object { first: true };
                        Ok(None)
                    }
                    other => Ok(Some(self.unexpected("a json array or object", other))),
                }
            }
            State::Array { first, in_object } => {
                let mut next = self.peek()?;
                if next == Some(b']') {
                    self.bump();
                    self.state = if in_object { State::Object { first: false } } else { State::End };
                    return Ok(None);
                }
                if !first {
                    if next != Some(b',') {
                        return Ok(Some(self.unexpected("',' or ']' after an array element", next)));
                    }
                    self.bump();
                    next = self.peek()?;
                }
                if next.is_none() || next == Some(b']') {
                    return Ok(Some(self.unexpected("an array element", next)));
                }
                self.state = State::Array { first: false, in_object };
                self.element += 1;
                let t = self.take(true)?;
                if !t.complete {
                    let e = if t.depth > self.max_depth {
                        too_deep(t.depth, self.max_depth)
                    } else {
                        Error::malformed(format!("element {}: unexpected end of the input", self.element))
                    };
                    return Ok(Some(self.fatal(e.with_line(t.line))));
                }
                let line = t.line;
                let what = format!("element {}", self.element);
                Ok(Some(Some(self.parse(t, &what).map(|v| (line, v)))))
            }
            State::Object { first } => {
                let mut next = self.peek()?;
                if next == Some(b'}') {
                    self.bump();
                    self.state = State::End;
                    if self.single.has_documents {
                        return Ok(None);
                    }
                    let single = std::mem::take(&mut self.single);
                    return Ok(Some(Some(match single.error {
                        Some(e) => Err(e),
                        None => Ok((single.line, Value::Object(single.map))),
                    })));
                }
                if !first {
                    if next != Some(b',') {
                        return Ok(Some(self.unexpected("',' or '}' after an object property", next)));
                    }
                    self.bump();
                    next = self.peek()?;
                }
                if next != Some(b'"') {
                    return Ok(Some(self.unexpected("a property name", next)));
                }
                self.state = State::Object { first: false };
                let t = self.take(true)?;
                if !t.complete {
                    return Ok(Some(self.unexpected("the end of a property name", None)));
                }
                let key = match self.parse(t, "property name") {
                    Ok(Value::String(k)) => k,
                    Ok(_) => {
                        let e = Error::new(ErrorKind::Internal, "a property name parsed as a non-string");
                        return Ok(Some(self.fatal(e)));
                    }
                    Err(e) => return Ok(Some(self.fatal(e))),
                };
                let colon = self.peek()?;
                if colon != Some(b':') {
                    return Ok(Some(self.unexpected("':' after a property name", colon)));
                }
                self.bump();
                let value_start = self.peek()?;
                if value_start.is_none() {
                    return Ok(Some(self.unexpected("a property value", None)));
                }
                if key == "documents" && !self.single.has_documents {
                    if value_start != Some(b'[') {
                        let e =
                            Error::malformed("property \"documents\" must be an array").with_line(self.line);
                        return Ok(Some(self.fatal(e)));
                    }
                    self.bump();
                    self.single = Single { has_documents: true, ..Single::default() };
                    self.state = State::Array { first: true, in_object: true };
                    return Ok(None);
                }
                // Any other property: kept for a single-record object, skipped otherwise.
                let keep = !self.single.has_documents && self.single.error.is_none();
                let t = self.take(keep)?;
                if !t.complete {
                    return Ok(Some(self.unexpected("the end of a property value", None)));
                }
                if keep {
                    self.single.bytes += t.len;
                    let what = format!("property \"{key}\"");
                    if self.single.bytes > self.max_bytes as u64 {
                        let line = self.single.line;
                        self.single.error = Some(too_long(self.single.bytes, self.max_bytes).with_line(line));
                    } else {
                        match self.parse(t, &what) {
                            Ok(v) => {
                                self.single.map.insert(key, v);
                            }
                            Err(e) => self.single.error = Some(e),
                        }
                    }
                }
                Ok(None)
            }
            State::End => {
                let next = self.peek()?;
                if next.is_some() {
                    return Ok(Some(self.unexpected("nothing after the top-level json value", next)));
                }
                self.state = State::Done;
                Ok(Some(None))
            }
        }
    }
}

impl Iterator for JsonValues {
    type Item = Item;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.step() {
                Ok(Some(item)) => return item,
                Ok(None) => continue,
                Err(e) => {
                    let line = self.line;
                    return self.fatal(Error::from(e).with_line(line));
                }
            }
        }
    }
}

fn fill(src: &mut Source) -> io::Result<&[u8]> {
    loop {
        match src.fill_buf() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // Re-borrow to satisfy the borrow checker's view of the loop.
            Ok(_) => return src.fill_buf(),
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::{BufReader, Cursor, Read};

    fn values(data: &str, limits: &Limits) -> Vec<Result<(u64, Value)>> {
        let boxed: Box<dyn Read + Send> = Box::new(Cursor::new(data.as_bytes().to_vec()));
        JsonValues::new(BufReader::with_capacity(3, boxed), limits).collect()
    }

    fn ok(data: &str) -> Vec<(u64, Value)> {
        values(data, &Limits::default()).into_iter().map(|r| r.unwrap()).collect()
    }

    #[test]
    fn array_elements_with_lines() {
        let got = ok("\u{feff}[\n {\"text\": \"a ] } \\\" [\"},\n \"b\", 3 , [1,[2]],\n{\"x\":{}}\n]\n");
        assert_eq!(
            got,
            vec![
                (2, json!({"text": "a ] } \" ["})),
                (3, json!("b")),
                (3, json!(3)),
                (3, json!([1, [2]])),
                (4, json!({"x": {}})),
            ]
        );
        assert!(ok("[]").is_empty());
        assert!(ok("  ").is_empty());
    }

    #[test]
    fn documents_object_and_single_object() {
        let got = ok(r#"{"split": true, "documents": [{"text": "a", "id": 1}, "b"], "x": [1]}"#);
        assert_eq!(got, vec![(1, json!({"text": "a", "id": 1})), (1, json!("b"))]);
        let got = ok("{\"id\": 5,\n \"text\": \"one\"}");
        assert_eq!(got, vec![(1, json!({"id": 5, "text": "one"}))]);
    }

    #[test]
    fn broken_element_is_reported_and_reading_goes_on() {
        let got = values("[{\"text\": \"a\"},\n{\"text\": tru},\n\"c\"]", &Limits::default());
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].as_ref().unwrap().1, json!({"text": "a"}));
        let e = got[1].as_ref().unwrap_err();
        assert_eq!((e.kind(), e.line()), (ErrorKind::Malformed, Some(2)));
        assert!(e.message().contains("element 2"), "{e}");
        assert_eq!(got[2].as_ref().unwrap().1, json!("c"));
    }

    #[test]
    fn limits_per_element() {
        let limits = Limits { max_record_bytes: 10, max_json_depth: 2, ..Limits::default() };
        let got = values("[\"0123456789abc\", [[[1]]], \"ok\"]", &limits);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].as_ref().unwrap_err().kind(), ErrorKind::LimitExceeded);
        assert_eq!(got[1].as_ref().unwrap_err().kind(), ErrorKind::LimitExceeded);
        assert_eq!(got[2].as_ref().unwrap().1, json!("ok"));
    }

    #[test]
    fn structural_errors_end_the_iteration() {
        for bad in ["[1 2]", "[1,", "[{\"a\": 1}", "[1,]", "3", "[1] x", "{\"documents\": 1}", "{\"a\" 1}"] {
            let got = values(bad, &Limits::default());
            let last = got.last().unwrap_or_else(|| panic!("{bad}: no items"));
            assert_eq!(last.as_ref().unwrap_err().kind(), ErrorKind::Malformed, "{bad}");
        }
        let deep = "[".repeat(100_000);
        let got = values(&deep, &Limits::default());
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].as_ref().unwrap_err().kind(), ErrorKind::LimitExceeded);
    }
}
