//! The languages opinio segments and analyses, and detection of them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A supported language, serialised as its ISO 639-1 code (`"en"`, `"de"`, `"ar"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    En,
    /// German.
    De,
    /// Arabic.
    Ar,
}

impl Language {
    /// Every supported language.
    pub const ALL: [Language; 3] = [Language::En, Language::De, Language::Ar];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
            Language::Ar => "ar",
        }
    }

    /// Detect the language of `text` among the supported ones.
    ///
    /// Uses `whatlang` restricted to English, German and Arabic, so the answer is always one
    /// of them; text with no letters (numbers, emoji) falls back to English.
    pub fn detect(text: &str) -> Language {
        Self::detect_or(text, Language::En)
    }

    /// Like [`Language::detect`], but answers `fallback` when the evidence is weak (fewer
    /// than 20 letters): a model's own language is a better guess there than a coin flip.
    pub fn detect_or(text: &str, fallback: Language) -> Language {
        use whatlang::{Detector, Lang};
        // Arabic script decides on its own: whatlang's script detection is exact and cheap.
        let sample = prefix_chars(text, 2048);
        if let Some(info) = whatlang::detect_script(sample) {
            if info == whatlang::Script::Arabic {
                return Language::Ar;
            }
        }
        if sample.chars().filter(|c| c.is_alphabetic()).count() < MIN_LETTERS {
            return fallback;
        }
        match Detector::with_allowlist(vec![Lang::Eng, Lang::Deu]).detect_lang(sample) {
            Some(Lang::Deu) => Language::De,
            Some(_) => Language::En,
            None => fallback,
        }
    }
}

/// Fewer letters than this are too little evidence to tell English from German.
const MIN_LETTERS: usize = 20;

/// The first `n` characters of `text`, cut on a character boundary.
fn prefix_chars(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Language {
    type Err = Error;

    /// Parses `en`, `de`, `ar`, case-insensitively, also with a region (`de-AT`, `en_US`).
    fn from_str(s: &str) -> Result<Self> {
        let base = s.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match base.as_str() {
            "en" | "eng" | "english" => Ok(Language::En),
            "de" | "deu" | "ger" | "german" => Ok(Language::De),
            "ar" | "ara" | "arabic" => Ok(Language::Ar),
            _ => Err(Error::invalid_argument(format!("unknown language {s:?}, expected one of en, de, ar"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_regions() {
        assert_eq!("de-AT".parse::<Language>().unwrap(), Language::De);
        assert_eq!("EN".parse::<Language>().unwrap(), Language::En);
        assert!("fr".parse::<Language>().is_err());
    }

    #[test]
    fn detects_the_three_languages() {
        assert_eq!(Language::detect("The room was clean and the staff were friendly."), Language::En);
        assert_eq!(
            Language::detect("Das Zimmer war sauber und das Personal war sehr freundlich."),
            Language::De
        );
        assert_eq!(Language::detect("كانت الغرفة نظيفة وكان الموظفون ودودين."), Language::Ar);
        assert_eq!(Language::detect("12345 !!!"), Language::En);
        assert_eq!(Language::detect_or("12345 !!!", Language::De), Language::De);
    }
}
