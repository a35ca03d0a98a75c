//! Analysis: documents in, segments with tags out, as the seed's "Run an Ad-hoc analysis"
//! and "Create a Batch Analysis".
//!
//! The pipeline runs in a fixed order:
//! 1. **segment**: each document is split into sentences (`split: true`) or kept whole;
//! 2. **encode**: all segments of a chunk go through the encoder together, sorted by length
//!    and batched in parallel ([`crate::encode`]);
//! 3. **head**: the model's head turns each embedding into tags ([`crate::heads`]);
//! 4. **tags**: tags are attached to their segments, documents keep their order and ids.
//!
//! [`Model::analyze`] answers an ad-hoc request in memory; [`batch::run`] streams any
//! number of documents in chunks, with progress and cancellation.

pub mod batch;

use crate::model::Model;
use crate::schema::{AnalysisRequest, AnalysisResponse, Document, Segment};
use crate::Result;

impl Model {
    /// Runs the seed's ad-hoc analysis: every document of `request`, split into sentences
    /// when `request.split`, each segment tagged.
    pub fn analyze(&self, request: &AnalysisRequest) -> Result<AnalysisResponse> {
        self.check_request(request.documents.len())?;
        let documents = self.analyze_documents(request.documents.clone(), request.split)?;
        Ok(AnalysisResponse {
            model: self.meta().display_name.clone(),
            model_type: self.meta().model_type,
            documents,
        })
    }

    /// Segments (or keeps whole) and tags `documents`, in one encoder pass over all their
    /// segments.
    pub fn analyze_documents(&self, mut documents: Vec<Document>, split: bool) -> Result<Vec<Document>> {
        for doc in &mut documents {
            doc.segments = Some(self.segments_of(&doc.text, split));
        }
        let texts: Vec<&str> =
            documents.iter().flat_map(|d| d.segments.iter().flatten().map(|s| s.text.as_str())).collect();
        let mut tags = self.tag_texts(&texts)?.into_iter();
        for doc in &mut documents {
            for segment in doc.segments.iter_mut().flatten() {
                segment.tags = Some(tags.next().unwrap_or_default());
            }
        }
        Ok(documents)
    }

    /// The segments of `text`: its sentences, or the whole text as one segment. Text with
    /// nothing but white space has no segments.
    fn segments_of(&self, text: &str, split: bool) -> Vec<Segment> {
        if split {
            self.segmenter().segments(text)
        } else if text.trim().is_empty() {
            Vec::new()
        } else {
            vec![Segment { text: text.to_string(), span: [0, text.chars().count()], tags: None }]
        }
    }
}
