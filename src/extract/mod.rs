//! Extraction: fields from PDFs, images and words read by another OCR engine.
//!
//! The pipeline runs in a fixed order, each stage its own module, composed by the thin
//! [`Extractor`]:
//!
//! 1. a page source turns a file into [`Page`]s of positioned words ([`pages`]), scans read
//!    by an OCR engine ([`ocr`]);
//! 2. words become lines ([`layout`]);
//! 3. every value of each field's type is a candidate ([`fields`]), converted to its
//!    canonical form (ISO dates, decimal amounts, ISO 4217 codes, compact IBANs);
//! 4. candidates are described by layout and context ([`score`]) and the most probable
//!    one is kept ([`matcher`]), with weights from the model ([`model`]) learned from
//!    annotated documents ([`learn`]);
//! 5. the response is built with its human-in-the-loop verdict ([`response`]), with pages
//!    drawn on request ([`draw`]).

pub mod draw;
pub mod evaluate;
pub mod extractor;
pub mod fields;
pub mod layout;
pub mod learn;
pub mod matcher;
pub mod model;
pub mod ocr;
pub mod page;
pub mod pages;
pub mod response;
pub mod score;

pub use extractor::{ExtractOptions, Extractor};
pub use model::ExtractionModel;
pub use draw::{annotate, Mark};
pub use page::{BBox, Page, PageOrigin, Word};
pub use ocr::{OcrEngine, PageLayout};
pub use pages::ReadOptions;
pub use response::{DocumentResult, ExtractionResponse};
