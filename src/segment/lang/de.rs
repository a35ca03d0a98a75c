//! German: cased like English, but a period after a small number is an ordinal
//! (`am 3. Oktober`, `der 2. Weltkrieg`), and nouns are capitalised, so a capital after
//! an abbreviation is weaker evidence of a new sentence (hence a longer prepositive list).

use super::{data_files, LanguageRules, Switches};
use crate::Language;

pub(super) fn rules() -> LanguageRules {
    let switches =
        Switches { cased: true, ordinal_period: true, capitalised_nouns: true, ..Switches::default() };
    LanguageRules::new(Language::De, switches, data_files!("de"))
}
