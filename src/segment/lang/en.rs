//! English: the shared rules with English word lists.

use super::{data_files, LanguageRules, Switches};
use crate::Language;

pub(super) fn rules() -> LanguageRules {
    let switches = Switches { cased: true, ..Switches::default() };
    LanguageRules::new(Language::En, switches, data_files!("en"))
}
