//! The Studio's JSON shapes as serde types, with the seed's exact field names.
//!
//! These types are the wire format of the CLI, the C ABI and the bindings; see
//! `CONTRACT.md` section 1. Spans are half-open ranges in Unicode code points.
//! Timestamps stay RFC 3339 strings, as given, so no date library is needed to pass them on.

mod analysis;
mod document;
mod model_meta;
mod page;
mod stream;
mod taxonomy;

pub use analysis::{
    AnalysisPage, AnalysisRequest, AnalysisResponse, BatchAnalysis, BatchAnalysisRequest, BatchStatus,
};
pub use document::{DocId, Document, FilePreview, Segment, Tag};
pub use model_meta::{Averages, Metrics, ModelMeta, ModelPage, ModelStatus, Scores};
pub use page::Paging;
pub use stream::{encode_document, DocumentsWriter};
pub use taxonomy::{sentiment, Class, Label, ModelType};
