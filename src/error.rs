//! The one public error type.
//!
//! [`Error`] is opaque: callers branch on [`Error::kind`], which maps one to one onto the
//! C ABI's status codes, and read structured context ([`Error::path`], [`Error::line`])
//! instead of parsing messages. Messages are lowercase, carry no trailing period and name
//! the value that was wrong, e.g. `record is 52428800 bytes, limit is 16777216`.

use std::fmt;
use std::path::{Path, PathBuf};

/// A specialised `Result` for opinio.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in a closed set small enough to become C status codes.
///
/// New kinds may be added, so match with a wildcard arm.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A caller-supplied argument is invalid (unknown language, column out of range, ...).
    /// Fix the call; retrying the same call fails the same way.
    InvalidArgument,
    /// Reading or writing a file failed at the operating-system level.
    Io,
    /// The input is not valid UTF-8. The error names the file and line; re-encode the file.
    InvalidUtf8,
    /// The input does not parse as the format it claims to be (broken JSON, a file named
    /// `.xlsx` that is not a workbook, ...).
    Malformed,
    /// The input is well formed but opinio does not handle it (unknown file extension, ...).
    Unsupported,
    /// The input exceeds one of the [`Limits`](crate::Limits). The message names the limit and
    /// the value seen; raise the limit only for trusted input.
    LimitExceeded,
    /// An operation was cancelled by its caller.
    Cancelled,
    /// A bug in opinio. Please report it with the message.
    Internal,
}

impl ErrorKind {
    /// A short stable name, used in CLI messages and bindings.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::Io => "i/o error",
            ErrorKind::InvalidUtf8 => "invalid utf-8",
            ErrorKind::Malformed => "malformed input",
            ErrorKind::Unsupported => "unsupported input",
            ErrorKind::LimitExceeded => "limit exceeded",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Internal => "internal error",
        }
    }
}

/// An error with a kind, a message and optional context (file, line).
pub struct Error {
    kind: ErrorKind,
    message: String,
    path: Option<PathBuf>,
    line: Option<u64>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind` with a lowercase `message` naming the offending value.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), path: None, line: None, source: None }
    }

    /// Shorthand for [`ErrorKind::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// Shorthand for [`ErrorKind::Malformed`].
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Malformed, message)
    }

    /// A limit breach: names the limit, the value seen and the maximum allowed.
    pub fn limit(limit: &str, seen: impl fmt::Display, max: impl fmt::Display) -> Self {
        Self::new(ErrorKind::LimitExceeded, format!("{limit} is {seen}, limit is {max}"))
    }

    /// Attach the file the error is about (kept if one is already set).
    pub fn with_path(mut self, path: impl AsRef<Path>) -> Self {
        if self.path.is_none() {
            self.path = Some(path.as_ref().to_path_buf());
        }
        self
    }

    /// Attach the 1-based line (or record number) the error is about (kept if already set).
    pub fn with_line(mut self, line: u64) -> Self {
        if self.line.is_none() {
            self.line = Some(line);
        }
        self
    }

    /// Attach the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message alone, without context.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The file the error is about, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The 1-based line or record number the error is about, if any.
    pub fn line(&self) -> Option<u64> {
        self.line
    }
}

impl fmt::Display for Error {
    /// `path:line: message`, with the parts that are known.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}:", path.display())?;
            if let Some(line) = self.line {
                write!(f, "{line}:")?;
            }
            f.write_str(" ")?;
        } else if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    /// Readable in `unwrap()` output: kind and the displayed message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({:?}: {})", self.kind, self)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        let kind = match e.kind() {
            std::io::ErrorKind::InvalidData => ErrorKind::InvalidUtf8,
            _ => ErrorKind::Io,
        };
        let message = e.to_string().to_lowercase();
        Error::new(kind, message).with_source(e)
    }
}

/// The message a caught panic carried (`panic!("...")` or a formatted one), if any: for
/// the errors that stand in for panics caught at opinio's boundaries (the C ABI, PDF
/// interpretation, graph planning).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload.downcast_ref::<&str>().copied().or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_carries_path_and_line() {
        let e = Error::malformed("expected value").with_path("a.jsonl").with_line(3);
        assert_eq!(e.to_string(), "a.jsonl:3: expected value");
        assert_eq!(e.kind(), ErrorKind::Malformed);
        let e = Error::limit("record", 10, 5).with_line(2);
        assert_eq!(e.to_string(), "line 2: record is 10, limit is 5");
    }

    #[test]
    fn first_context_wins() {
        let e = Error::malformed("x").with_path("inner").with_path("outer").with_line(1).with_line(9);
        assert_eq!(e.path(), Some(Path::new("inner")));
        assert_eq!(e.line(), Some(1));
    }
}
