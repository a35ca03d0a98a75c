//! Arabic: no letter case, so capitals cannot signal a new sentence; `؟` asks, and, as in
//! pragmatic_segmenter's Arabic rules, the colon and the Arabic comma `،` end segments
//! (except a colon between digits and a comma inside a list of single words).

use super::{data_files, LanguageRules, Switches};
use crate::Language;

pub(super) fn rules() -> LanguageRules {
    let switches = Switches { cased: false, colon_ends: true, comma_ends: true, ..Switches::default() };
    LanguageRules::new(Language::Ar, switches, data_files!("ar"))
}
