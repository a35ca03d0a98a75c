//! Company names end in a legal form (`SDN BHD`, `GmbH`, `B.V.`, `Sp. z o.o.`): a short,
//! closed list, so a letter OCR got wrong there can be put right, and a bracket read as a
//! brace (`AEON CO. {M) BHD`) can be matched to its partner.
//!
//! A trailing word (or two) is repaired only when every letter that differs from a legal
//! form is one OCR confuses with the form's letter ([`CONFUSABLE`]: round letters, thin
//! strokes, and so on) and at most one letter differs per word, so `SUN` next to `BHD` becomes
//! `SDN` but a name that merely ends like a legal form is left alone.

/// Legal forms as printed, most with their usual spellings, in the languages the shipped
/// models read (English, German, French, Dutch, Polish, Malay).
const FORMS: &[&str] = &[
    "SDN BHD",
    "SDN. BHD.",
    "BHD",
    "BERHAD",
    "LTD",
    "LTD.",
    "LIMITED",
    "PLC",
    "INC",
    "INC.",
    "LLC",
    "GMBH",
    "AG",
    "KG",
    "SARL",
    "SAS",
    "B.V.",
    "N.V.",
    "SP. Z O.O.",
    "S.A.",
];

/// Words of a legal form that end a name and never open one (`SDN BHD`, `CO. (M) BHD`,
/// `S/B`), lower case.
const FORM_WORDS: [&str; 11] =
    ["sdn", "bhd", "berhad", "co", "s/b", "ltd", "limited", "plc", "inc", "llc", "gmbh"];

/// Whether `word` (any case, a final `.` or `,` aside) is one of [`FORM_WORDS`].
pub(super) fn is_form_word(word: &str) -> bool {
    FORM_WORDS.contains(&word.trim_end_matches(['.', ',']).to_lowercase().as_str())
}

/// Groups of characters OCR reads one as another.
const CONFUSABLE: &[&str] = &["DOQU0", "IL1|T", "S5$", "B8", "G6", "Z2"];

/// `name` with its trailing legal form repaired and braces matched to brackets.
pub(super) fn repair(name: &str) -> String {
    let name = match_brackets(name);
    let words: Vec<&str> = name.split(' ').collect();
    for take in [2usize, 1] {
        if words.len() <= take {
            continue;
        }
        let tail = words[words.len() - take..].join(" ");
        if let Some(form) = FORMS.iter().find(|f| f.split(' ').count() == take && close(&tail, f)) {
            // Only the misread letters change, in the case of the word they are in.
            let lower = tail.chars().any(char::is_lowercase);
            let fixed: String = tail
                .chars()
                .zip(form.chars())
                .map(|(p, f)| match p.to_ascii_uppercase() == f {
                    true => p,
                    false if lower => f.to_ascii_lowercase(),
                    false => f,
                })
                .collect();
            let head = words[..words.len() - take].join(" ");
            return format!("{head} {fixed}");
        }
    }
    name
}

/// Whether `printed` reads as `form` up to one confusable letter per word.
fn close(printed: &str, form: &str) -> bool {
    let printed: Vec<char> = printed.to_uppercase().chars().collect();
    let form: Vec<char> = form.chars().collect();
    if printed.len() != form.len() {
        return false;
    }
    let mut wrong_in_word = 0;
    for (&p, &f) in printed.iter().zip(&form) {
        if f == ' ' {
            if p != ' ' {
                return false;
            }
            wrong_in_word = 0;
            continue;
        }
        if p == f {
            continue;
        }
        wrong_in_word += 1;
        if wrong_in_word > 1 || !CONFUSABLE.iter().any(|g| g.contains(p) && g.contains(f)) {
            return false;
        }
    }
    true
}

/// `{` or `}` where the other side is a bracket (`{M)`, `(M}`) becomes the bracket.
fn match_brackets(name: &str) -> String {
    let mut out: Vec<char> = name.chars().collect();
    for i in 0..out.len() {
        if out[i] == '{' && out[i + 1..].iter().take_while(|&&c| c != '(' && c != '{').any(|&c| c == ')') {
            out[i] = '(';
        }
        if out[i] == '}' && out[..i].iter().rev().take_while(|&&c| c != ')' && c != '}').any(|&c| c == '(') {
            out[i] = ')';
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::repair;

    #[test]
    fn repairs_legal_forms_and_braces() {
        assert_eq!(repair("FOUR QUARTERS SUN BHD"), "FOUR QUARTERS SDN BHD");
        assert_eq!(repair("GH DISTRIBUTOR & MARKETING SDN BHO"), "GH DISTRIBUTOR & MARKETING SDN BHD");
        assert_eq!(repair("AEON CO. {M) BHD"), "AEON CO. (M) BHD");
        assert_eq!(repair("ACME (M} SDN BHD"), "ACME (M) SDN BHD");
        assert_eq!(repair("ACME LTO"), "ACME LTD");
        assert_eq!(repair("Acme Lt0"), "Acme Ltd");
        assert_eq!(repair("Muller GmbH"), "Muller GmbH");
        // Right already, or not a legal form: unchanged.
        assert_eq!(repair("Aneka Intertrade Sdn Bhd"), "Aneka Intertrade Sdn Bhd");
        assert_eq!(repair("THE INK SHOP"), "THE INK SHOP");
        assert_eq!(repair("BHO"), "BHO", "a name is never only its form");
        assert_eq!(repair("SUNNY SUN BAR"), "SUNNY SUN BAR");
        assert_eq!(repair("XY SXN BHD"), "XY SXN BHD", "X is not confused with D");
        assert_eq!(repair("{weird} name"), "{weird} name");
    }
}
