//! Character classes the rules look at.
//!
//! Kept in one place so that every rule agrees on what a closing quote, a bullet or an
//! emoji is. Bidirectional control marks are "transparent": Arabic text often wraps a
//! period in them (`د\u{202A}.\u{202C}`), and they must not hide the word before it.

/// The character starting at byte `i`, which must be a char boundary.
pub(crate) fn char_at(text: &str, i: usize) -> char {
    text[i..].chars().next().unwrap_or('\0')
}

/// Sentence-final punctuation other than the period, in every supported language.
pub(crate) fn is_exclaim_or_question(c: char) -> bool {
    matches!(c, '!' | '?' | '‼' | '⁇' | '⁈' | '⁉' | '؟' | '！' | '？')
}

/// Terminals that end a sentence whatever follows them (CJK full-width forms, Urdu/Arabic full stop).
pub(crate) fn is_hard_terminal(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '۔')
}

/// Line separators: a sentence never continues over two of them.
pub(crate) fn is_newline(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}' | '\u{0B}' | '\u{0C}')
}

/// Characters that may close a sentence after its terminal: quotes and brackets.
pub(crate) fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | '”' | '’' | '“' | '»' | '«' | '›' | '‹' | ')' | ']' | '}' | '）' | '」' | '』')
}

/// Characters that may open a quotation or parenthesis at the start of a sentence.
pub(crate) fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '“'
            | '‘'
            | '„'
            | '‚'
            | '«'
            | '»'
            | '‹'
            | '›'
            | '('
            | '['
            | '{'
            | '（'
            | '「'
            | '『'
            | '¿'
            | '¡'
    )
}

/// Bidirectional formatting marks, invisible and skipped by every look-around.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// List bullets: one in the middle of a line starts a new segment.
pub(crate) fn is_bullet(c: char) -> bool {
    matches!(c, '•' | '⁃' | '◦' | '▪' | '▫' | '●' | '○' | '■' | '□' | '➢' | '►' | '‣' | '∙')
}

/// Emoji and pictographs, with the joiners and modifiers that build sequences of them.
///
/// An emoji right after a terminal belongs to the sentence it ends (`Loved it! 😍`).
pub(crate) fn is_emoji(c: char) -> bool {
    matches!(c,
        '\u{1F000}'..='\u{1FAFF}' | '\u{2600}'..='\u{27BF}' | '\u{2B00}'..='\u{2BFF}'
        | '\u{FE0F}' | '\u{200D}' | '\u{20E3}' | '\u{E0020}'..='\u{E007F}' | '\u{2190}'..='\u{21FF}'
        | '\u{2300}'..='\u{23FF}' | '\u{3030}' | '\u{303D}' | '\u{3297}' | '\u{3299}')
}

/// A letter with no case (Arabic, CJK, ...): such a script can start a sentence with any letter.
pub(crate) fn is_uncased_letter(c: char) -> bool {
    c.is_alphabetic() && !c.is_lowercase() && !c.is_uppercase()
}

/// Could `c` be the first letter of a new sentence? Upper case, or a letter of a script without case.
pub(crate) fn starts_like_sentence(c: char) -> bool {
    c.is_uppercase() || is_uncased_letter(c)
}

/// A table that answers one question about a byte with a single load, for the loops that
/// skip plain text a byte at a time (a `matches!` over scattered bytes compiles to a jump
/// table per byte). Every ASCII byte answers `ascii`, except those in `flipped`; every
/// byte >= 0x80 (part of a longer char, which the caller decodes) answers `!ascii`.
pub(crate) const fn byte_table(ascii: bool, flipped: &[u8]) -> [bool; 256] {
    let mut table = [!ascii; 256];
    let mut b = 0;
    while b < 0x80 {
        table[b] = ascii;
        b += 1;
    }
    let mut k = 0;
    while k < flipped.len() {
        table[flipped[k] as usize] = !ascii;
        k += 1;
    }
    table
}
