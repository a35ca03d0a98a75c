//! opinio: a text-and-document AI engine inside your program.

pub mod error;
pub mod language;
pub mod limits;
pub mod schema;
pub mod segment;
pub mod ingest;

pub use error::{Error, ErrorKind, Result};
pub use language::Language;
pub use limits::Limits;
