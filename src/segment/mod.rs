//! Sentence segmentation with exact spans, in English, German and Arabic.
//!
//! A [`Segmenter`] splits a text into [`Sentence`]s, each a byte range and a code-point
//! range of the original text: nothing is rewritten, nothing is lost except the white space
//! between sentences, and `text[start..end]` is always the sentence, trimmed.
//!
//! ```
//! use opinio::segment::Segmenter;
//! use opinio::Language;
//!
//! let segmenter = Segmenter::new(Language::En);
//! let text = "Mr. Smith lives in the U.S. How about you? I live in Berlin.";
//! let sentences: Vec<&str> = segmenter.split(text).iter().map(|s| s.text(text)).collect();
//! assert_eq!(sentences, ["Mr. Smith lives in the U.S.", "How about you?", "I live in Berlin."]);
//! ```
//!
//! The rules live in one engine ([`RuleSplitter`]) fed by per-language word lists
//! (`src/segment/data/<code>/`); other splitters plug in through the [`Splitter`] trait.

mod chars;
mod lang;
mod lists;
mod regions;
mod rules;

use std::ops::Range;
use std::sync::Arc;

use crate::schema::{Document, Segment};
use crate::Language;

/// One sentence of a text, as ranges of that text.
///
/// `bytes` indexes the Rust `&str`; `chars` counts Unicode code points, as Python's `str`
/// and the JSON `span` do. Both always describe the same trimmed, non-empty piece.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sentence {
    /// Byte range in the text.
    pub bytes: Range<usize>,
    /// Code-point range in the text.
    pub chars: Range<usize>,
}

impl Sentence {
    /// The sentence's text, borrowed from the text it was split from.
    pub fn text<'t>(&self, text: &'t str) -> &'t str {
        &text[self.bytes.clone()]
    }
}

/// Something that finds where sentences end.
///
/// Implementors give the cut points; the trimming and the code-point spans come from the
/// provided [`Splitter::split`], so every splitter keeps the span invariant.
pub trait Splitter: Send + Sync {
    /// Byte offsets (on char boundaries) between which `text` falls into sentences. They
    /// need not be sorted or unique; cutting inside white space is fine.
    fn cuts(&self, text: &str) -> Vec<usize>;

    /// The sentences of `text`: the pieces between cuts, trimmed of white space, empty
    /// pieces dropped.
    fn split(&self, text: &str) -> Vec<Sentence> {
        sentences_between(text, self.cuts(text))
    }
}

/// The rule-based splitter of one language.
#[derive(Clone, Copy)]
pub struct RuleSplitter {
    rules: &'static lang::LanguageRules,
}

impl RuleSplitter {
    /// The splitter for `language`. Its word lists are built once per process.
    pub fn new(language: Language) -> Self {
        RuleSplitter { rules: lang::rules(language) }
    }

    /// The language whose rules this splitter applies.
    pub fn language(&self) -> Language {
        self.rules.language
    }
}

impl Splitter for RuleSplitter {
    fn cuts(&self, text: &str) -> Vec<usize> {
        rules::Scanner::new(self.rules, text).cuts()
    }
}

/// Turns cut points into trimmed sentences with byte and code-point ranges, in one pass.
fn sentences_between(text: &str, mut cuts: Vec<usize>) -> Vec<Sentence> {
    cuts.retain(|&c| c > 0 && c < text.len() && text.is_char_boundary(c));
    cuts.sort_unstable();
    cuts.dedup();
    cuts.push(text.len());
    let mut out = Vec::with_capacity(cuts.len());
    let (mut byte_pos, mut char_pos) = (0usize, 0usize);
    let advance = |to: usize, byte_pos: &mut usize, char_pos: &mut usize| {
        *char_pos += count_chars(&text[*byte_pos..to]);
        *byte_pos = to;
    };
    let mut from = 0;
    for cut in cuts {
        let piece = &text[from..cut];
        let trimmed = piece.trim_start();
        let start = from + (piece.len() - trimmed.len());
        let end = start + trimmed.trim_end().len();
        if end > start {
            advance(start, &mut byte_pos, &mut char_pos);
            let char_start = char_pos;
            advance(end, &mut byte_pos, &mut char_pos);
            out.push(Sentence { bytes: start..end, chars: char_start..char_pos });
        }
        from = cut;
    }
    out
}

/// Code points in `s`: the count of bytes that do not continue a UTF-8 sequence.
fn count_chars(s: &str) -> usize {
    s.bytes().filter(|&b| (b as i8) >= -0x40).count()
}

/// Splits documents into segments: the thin top-level type over a [`Splitter`].
///
/// Cheap to clone and `Send + Sync`: build one and share it across threads.
#[derive(Clone)]
pub struct Segmenter {
    splitter: Choice,
}

#[derive(Clone)]
enum Choice {
    Fixed(RuleSplitter),
    /// Detect per text; the language to assume when detection is unsure.
    Detect(Language),
    Custom(Arc<dyn Splitter>),
}

impl Segmenter {
    /// A segmenter for texts in `language`.
    pub fn new(language: Language) -> Self {
        Segmenter { splitter: Choice::Fixed(RuleSplitter::new(language)) }
    }

    /// A segmenter that detects each text's language (see [`Language::detect`]).
    pub fn detecting() -> Self {
        Self::detecting_or(Language::En)
    }

    /// A segmenter that detects each text's language, assuming `fallback` when detection
    /// is unsure (see [`Language::detect_or`]).
    pub fn detecting_or(fallback: Language) -> Self {
        Segmenter { splitter: Choice::Detect(fallback) }
    }

    /// `Some(language)` fixes the language, `None` detects it per text.
    pub fn for_language(language: Option<Language>) -> Self {
        language.map_or_else(Self::detecting, Self::new)
    }

    /// A segmenter over any other [`Splitter`].
    pub fn with_splitter(splitter: impl Splitter + 'static) -> Self {
        Segmenter { splitter: Choice::Custom(Arc::new(splitter)) }
    }

    /// The sentences of `text`.
    pub fn split(&self, text: &str) -> Vec<Sentence> {
        match &self.splitter {
            Choice::Fixed(s) => s.split(text),
            Choice::Detect(fallback) => RuleSplitter::new(Language::detect_or(text, *fallback)).split(text),
            Choice::Custom(s) => s.split(text),
        }
    }

    /// The segments of `text` in the Studio's shape, without tags.
    pub fn segments(&self, text: &str) -> Vec<Segment> {
        self.split(text)
            .into_iter()
            .map(|s| Segment {
                text: s.text(text).to_owned(),
                span: [s.chars.start, s.chars.end],
                tags: None,
            })
            .collect()
    }

    /// Fills `document.segments` from its text.
    pub fn segment_document(&self, document: &mut Document) {
        document.segments = Some(self.segments(&document.text));
    }
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match &self.splitter {
            Choice::Fixed(s) => s.language().code(),
            Choice::Detect(_) => "detect",
            Choice::Custom(_) => "custom",
        };
        write!(f, "Segmenter({what})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_code_points_and_trimmed() {
        let text = "  Café ist gut.  😀 Das Essen war toll! ";
        let seg = Segmenter::new(Language::De);
        for s in seg.split(text) {
            let by_chars: String = text.chars().skip(s.chars.start).take(s.chars.len()).collect();
            assert_eq!(by_chars, s.text(text));
            assert_eq!(s.text(text), s.text(text).trim());
        }
    }

    #[test]
    fn custom_splitters_keep_the_invariant() {
        struct EveryComma;
        impl Splitter for EveryComma {
            fn cuts(&self, text: &str) -> Vec<usize> {
                text.match_indices(',').map(|(i, _)| i + 1).chain([0, text.len(), 999]).collect()
            }
        }
        let seg = Segmenter::with_splitter(EveryComma);
        let text = "a, b ,c";
        let got: Vec<&str> = seg.split(text).iter().map(|s| s.text(text)).collect();
        assert_eq!(got, ["a,", "b ,", "c"]);
    }
}
