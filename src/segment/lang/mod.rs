//! Per-language rule data, and the one registry from [`Language`] to it.
//!
//! The rule engine in [`super::rules`] is shared; a language contributes word lists (plain
//! text under `src/segment/data/<code>/`, embedded at build time) and a few switches where
//! its punctuation or orthography really differ. Each language file is a handful of lines.

mod ar;
mod de;
mod en;

use rustc_hash::FxHashSet as HashSet;
use std::sync::OnceLock;

use crate::Language;

/// Switches for what differs between languages beyond word lists.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Switches {
    /// The script has upper and lower case, so a capital after a period is evidence of a
    /// new sentence. False for Arabic.
    pub cased: bool,
    /// A one- or two-digit number followed by a period is an ordinal (`am 3. Oktober`,
    /// `der 2. Weltkrieg`), not a sentence end. German.
    pub ordinal_period: bool,
    /// The language capitalises every noun as well as every sentence start. So a
    /// lower-case word after a period continues the sentence (`Ludwig XIV. war`), and a
    /// capital after an abbreviation is a new sentence only if it is a typical opener
    /// (`Co. KG ist` goes on, `usw. Dann` ends). German.
    pub capitalised_nouns: bool,
    /// A colon ends a sentence (except between digits). Arabic, as in pragmatic_segmenter.
    pub colon_ends: bool,
    /// The Arabic comma `،` ends a sentence, except inside a list of single words.
    pub comma_ends: bool,
}

/// Everything the rule engine knows about one language.
pub(crate) struct LanguageRules {
    pub language: Language,
    pub switches: Switches,
    /// Lower-case entries, matched after lower-casing the word.
    abbreviations: HashSet<String>,
    /// Entries with capitals, matched exactly.
    exact_abbreviations: HashSet<String>,
    /// Entries written `-str`: endings of compounds (`Bahnhofstr.`), lower case.
    suffixes: Vec<String>,
    prepositive: HashSet<String>,
    number_abbreviations: HashSet<String>,
    starters: HashSet<String>,
    exclamation_words: HashSet<String>,
    months: HashSet<String>,
}

/// The text files of one language, in the order of [`LanguageRules`]' lists.
pub(crate) struct Data {
    pub abbreviations: &'static str,
    pub prepositive: &'static str,
    pub number_abbreviations: &'static str,
    pub starters: &'static str,
    pub exclamation_words: &'static str,
    pub months: &'static str,
}

/// Embeds the data files of language `$code`.
macro_rules! data_files {
    ($code:literal) => {
        $crate::segment::lang::Data {
            abbreviations: include_str!(concat!("../data/", $code, "/abbreviations.txt")),
            prepositive: include_str!(concat!("../data/", $code, "/prepositive.txt")),
            number_abbreviations: include_str!(concat!("../data/", $code, "/number_abbreviations.txt")),
            starters: include_str!(concat!("../data/", $code, "/starters.txt")),
            exclamation_words: include_str!(concat!("../data/", $code, "/exclamation_words.txt")),
            months: include_str!(concat!("../data/", $code, "/months.txt")),
        }
    };
}
pub(crate) use data_files;

/// The entries of a list file: one per line, `#` comments and blank lines skipped.
fn entries(file: &'static str) -> impl Iterator<Item = &'static str> {
    file.lines().map(|l| l.split('#').next().unwrap_or("").trim()).filter(|l| !l.is_empty())
}

fn lower_set(file: &'static str) -> HashSet<String> {
    entries(file).map(str::to_lowercase).collect()
}

impl LanguageRules {
    pub(crate) fn new(language: Language, switches: Switches, data: Data) -> Self {
        let (suffixes, words): (Vec<&str>, Vec<&str>) =
            entries(data.abbreviations).partition(|e| e.starts_with('-'));
        let (exact, lower): (Vec<&str>, Vec<&str>) =
            words.into_iter().partition(|e| e.chars().any(char::is_uppercase));
        LanguageRules {
            language,
            switches,
            abbreviations: lower.into_iter().map(str::to_owned).collect(),
            exact_abbreviations: exact.into_iter().map(str::to_owned).collect(),
            suffixes: suffixes.into_iter().map(|s| s[1..].to_lowercase()).collect(),
            prepositive: lower_set(data.prepositive),
            number_abbreviations: lower_set(data.number_abbreviations),
            starters: entries(data.starters).map(str::to_owned).collect(),
            exclamation_words: lower_set(data.exclamation_words),
            months: lower_set(data.months),
        }
    }

    /// `word` (as written, without its final period) is a known abbreviation.
    /// `lower` is `word` lower-cased, computed once by the caller.
    pub(crate) fn is_abbreviation(&self, word: &str, lower: &str) -> bool {
        self.abbreviations.contains(lower)
            || self.exact_abbreviations.contains(word)
            || self.prepositive.contains(lower)
            || self.number_abbreviations.contains(lower)
            || self.suffixes.iter().any(|s| lower.len() > s.len() && lower.ends_with(s.as_str()))
    }

    /// An abbreviation after which the sentence always goes on (`Mr.`, `bzw.`).
    pub(crate) fn is_prepositive(&self, lower: &str) -> bool {
        self.prepositive.contains(lower)
    }

    /// An abbreviation that precedes numbers (`No.`, `p.`).
    pub(crate) fn is_number_abbreviation(&self, lower: &str) -> bool {
        self.number_abbreviations.contains(lower)
    }

    /// A word that typically opens a sentence, as written.
    pub(crate) fn is_starter(&self, word: &str) -> bool {
        self.starters.contains(word)
    }

    /// A name that ends in `!` without ending the sentence; `lower` has no `!`.
    pub(crate) fn is_exclamation_word(&self, lower: &str) -> bool {
        self.exclamation_words.contains(lower)
    }

    /// A month name, any case.
    pub(crate) fn is_month(&self, word: &str) -> bool {
        !self.months.is_empty() && self.months.contains(&word.to_lowercase())
    }
}

/// The rules of `language`, built once per process on first use.
pub(crate) fn rules(language: Language) -> &'static LanguageRules {
    static EN: OnceLock<LanguageRules> = OnceLock::new();
    static DE: OnceLock<LanguageRules> = OnceLock::new();
    static AR: OnceLock<LanguageRules> = OnceLock::new();
    match language {
        Language::En => EN.get_or_init(en::rules),
        Language::De => DE.get_or_init(de::rules),
        Language::Ar => AR.get_or_init(ar::rules),
    }
}
