//! The segmenter on any text, in each language. Oracle: sentences come in order, do not
//! overlap, lie on character boundaries, their byte and code-point ranges agree, and every
//! non-space character of the text is inside one of them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opinio::segment::Segmenter;
use opinio::Language;

fuzz_target!(|text: &str| {
    for language in [Language::En, Language::De, Language::Ar] {
        let sentences = Segmenter::new(language).split(text);
        let mut end = 0;
        for s in &sentences {
            assert!(s.bytes.start >= end && s.bytes.start < s.bytes.end && s.bytes.end <= text.len());
            assert!(text.is_char_boundary(s.bytes.start) && text.is_char_boundary(s.bytes.end));
            assert_eq!(text[..s.bytes.start].chars().count(), s.chars.start);
            assert_eq!(s.chars.end - s.chars.start, text[s.bytes.clone()].chars().count());
            assert!(
                text[end..s.bytes.start].chars().all(char::is_whitespace),
                "text left out of every sentence"
            );
            end = s.bytes.end;
        }
        assert!(text[end..].chars().all(char::is_whitespace), "text left out after the last sentence");
    }
});
