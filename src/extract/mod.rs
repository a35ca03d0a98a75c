//! Extraction: fields from PDFs, images and words read by another OCR engine.
//!
//! The pipeline has three stages, each its own module, composed by a thin top-level type:
//! a page source turns a file into [`Page`]s of positioned words ([`pages`]), and the
//! field stage finds, scores and converts values on those words.

pub mod draw;
pub mod page;
pub mod pages;

pub use draw::{annotate, Mark};
pub use page::{BBox, Page, PageOrigin, Word};
pub use pages::ReadOptions;
