//! Bounds on untrusted input.
//!
//! Every reader checks declared or observed sizes against [`Limits`] *before* it allocates,
//! and fails with [`ErrorKind::LimitExceeded`](crate::ErrorKind::LimitExceeded) naming the
//! limit and the value seen. The defaults are safe for files from strangers; raise them only
//! for input you trust, or use [`Limits::none`].

/// Size bounds applied to input files and documents. All limits are strict.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest single record (a CSV row, a JSONL line, a TXT line, a JSON array element), in
    /// bytes. Guards against a 50 MB single line being read into memory.
    pub max_record_bytes: usize,
    /// Largest whole input that must be held in memory at once (a `.json` file that is one
    /// object rather than an array, an XLSX sheet), in bytes.
    pub max_in_memory_bytes: u64,
    /// Largest total uncompressed size an XLSX archive may declare, in bytes (zip bombs).
    pub max_uncompressed_bytes: u64,
    /// Largest compression ratio an XLSX member may declare (zip bombs).
    pub max_compression_ratio: u64,
    /// Deepest JSON nesting accepted.
    pub max_json_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record_bytes: 16 << 20,
            max_in_memory_bytes: 512 << 20,
            max_uncompressed_bytes: 512 << 20,
            max_compression_ratio: 200,
            max_json_depth: 64,
        }
    }
}

impl Limits {
    /// No limits at all: only for input you trust.
    pub fn none() -> Self {
        Limits {
            max_record_bytes: usize::MAX,
            max_in_memory_bytes: u64::MAX,
            max_uncompressed_bytes: u64::MAX,
            max_compression_ratio: u64::MAX,
            max_json_depth: usize::MAX,
        }
    }
}
