//! The shared rule engine: where does a sentence end?
//!
//! One linear pass finds candidate terminals (`.`, `!`, `?`, `…`, `؟`, line breaks, and in
//! Arabic `:` and `،`). Each candidate is read as a *run* (`?!`, `...`, `. . . .`), extended
//! over closing quotes and brackets and over emoji that belong to the sentence, and then
//! judged by its context: the word before it (an abbreviation? an initial? a number? a URL?)
//! and the word after it (a capital? a typical sentence opener?). Quotations, parentheses
//! and list markers come from [`super::regions`] and [`super::lists`].
//!
//! The rules follow the "Golden Rules" that pragmatic_segmenter made the reference for
//! sentence boundary detection, written as context checks rather than text rewriting, so
//! the original text is never altered and every cut is a byte offset into it.

use super::chars::{
    byte_table, char_at, is_bidi_control, is_closer, is_emoji, is_exclaim_or_question, is_hard_terminal,
    is_newline, is_opener, starts_like_sentence,
};
use super::lang::LanguageRules;
use super::{lists, regions};

/// Bytes that may start a candidate: a few ASCII ones, and any non-ASCII byte (decoded and
/// checked).
static MAY_START_CANDIDATE: [bool; 256] = byte_table(false, b".!?\n\r:\x0B\x0C");

/// A run of terminal punctuation: `.`, `?!`, `...`, `. . . .`.
#[derive(Debug, Default)]
struct Run {
    start: usize,
    end: usize,
    /// Periods in the run (`…` counts three).
    dots: usize,
    /// Periods separated by single spaces (`. . .`).
    spaced: bool,
    /// Contains `!`, `?` or a relative of theirs.
    exclaim: bool,
    /// Contains a terminal that always ends a sentence (`。`).
    hard: bool,
    colon: bool,
    comma: bool,
}

/// What follows a run and its closers.
struct Next<'t> {
    /// The next visible character, if any.
    ch: Option<char>,
    /// Whitespace separates the run from it.
    space: bool,
    /// A line break separates the run from it.
    newline: bool,
    /// The alphanumeric word starting at `ch` (empty if `ch` is not alphanumeric).
    word: &'t str,
    /// The whole non-space token starting at `ch`.
    token: &'t str,
}

/// Finds the sentence cuts of one text with one language's rules.
pub(crate) struct Scanner<'r, 't> {
    rules: &'r LanguageRules,
    text: &'t str,
    cuts: Vec<usize>,
    lower: String,
}

impl<'r, 't> Scanner<'r, 't> {
    pub(crate) fn new(rules: &'r LanguageRules, text: &'t str) -> Self {
        Scanner { rules, text, cuts: Vec::new(), lower: String::new() }
    }

    /// Byte offsets where a sentence ends or a list item begins, sorted and unique.
    pub(crate) fn cuts(mut self) -> Vec<usize> {
        let text = self.text;
        let bytes = text.as_bytes();
        let regions = regions::find(text);
        let mut region_at = regions::Cursor::new(&regions);
        let lists = lists::find(text, &|w| self.rules.is_month(w));
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if !MAY_START_CANDIDATE[b as usize] {
                i += 1;
                continue;
            }
            let c = char_at(text, i);
            if !self.is_candidate(c) {
                i += c.len_utf8();
                continue;
            }
            if is_newline(c) {
                i = self.line_break(i, c);
                continue;
            }
            let run = self.run_at(i);
            let closed = self.skip_citations(self.skip_closers(run.end));
            let hidden = region_at.enclosing(i).is_some_and(|r| closed <= r.close);
            let marker = run.dots == 1 && lists.marker_periods.binary_search(&run.start).is_ok();
            if !hidden && !marker {
                let end = self.skip_emoji(closed);
                if self.ends_sentence(&run, closed > run.end, end) {
                    self.cuts.push(end);
                }
            }
            i = closed.max(run.end);
        }
        self.cuts.extend(lists.starts);
        self.cuts.sort_unstable();
        self.cuts.dedup();
        join_lone_terminals(text, &mut self.cuts);
        self.cuts
    }

    fn is_candidate(&self, c: char) -> bool {
        match c {
            '.' | '…' => true,
            ':' => self.rules.switches.colon_ends,
            '،' => self.rules.switches.comma_ends,
            _ => is_exclaim_or_question(c) || is_hard_terminal(c) || is_newline(c),
        }
    }

    /// Reads the run of terminals starting at `i`.
    fn run_at(&self, i: usize) -> Run {
        let text = self.text;
        let mut run = Run { start: i, end: i, ..Run::default() };
        let mut j = i;
        while j < text.len() {
            let c = char_at(text, j);
            match c {
                '.' => run.dots += 1,
                '…' => run.dots += 3,
                ':' if j == i && self.rules.switches.colon_ends => {
                    run.colon = true;
                    run.end = j + 1;
                    return run;
                }
                '،' if j == i && self.rules.switches.comma_ends => {
                    run.comma = true;
                    run.end = j + c.len_utf8();
                    return run;
                }
                ' ' if run.dots > 0 && !run.exclaim && text[j + 1..].starts_with('.') => {
                    run.spaced = true;
                }
                c if is_exclaim_or_question(c) => run.exclaim = true,
                c if is_hard_terminal(c) => run.hard = true,
                c if is_bidi_control(c) => {}
                _ => break,
            }
            j += c.len_utf8();
            if !is_bidi_control(c) && c != ' ' {
                run.end = j;
            }
        }
        run
    }

    /// Skips closing quotes and brackets (and invisible bidi marks) after a run. A quote
    /// followed by a letter opens the next word instead (`'Tis`), so it is not skipped.
    fn skip_closers(&self, mut i: usize) -> usize {
        let text = self.text;
        while i < text.len() {
            let c = char_at(text, i);
            if is_bidi_control(c) {
                i += c.len_utf8();
                continue;
            }
            if !is_closer(c) {
                break;
            }
            let after = text[i + c.len_utf8()..].chars().next();
            if matches!(c, '"' | '\'' | '’') && after.is_some_and(char::is_alphanumeric) {
                break;
            }
            i += c.len_utf8();
        }
        i
    }

    /// Citation marks right after a terminal belong to the sentence they cite for
    /// (`a Christian martyr.[1] The emperor`): bracketed groups of up to four letters or digits.
    fn skip_citations(&self, mut i: usize) -> usize {
        let bytes = self.text.as_bytes();
        while bytes.get(i) == Some(&b'[') {
            let body = bytes[i + 1..].iter().take(5).take_while(|b| b.is_ascii_alphanumeric()).count();
            if body == 0 || body > 4 || bytes.get(i + 1 + body) != Some(&b']') {
                break;
            }
            i += body + 2;
        }
        i
    }

    /// Emoji right after a terminal belong to the sentence it ends (`Loved it! 😍 The`).
    fn skip_emoji(&self, i: usize) -> usize {
        let text = self.text;
        let mut end = i;
        let mut j = i;
        loop {
            let rest = &text[j..];
            let trimmed = rest.trim_start_matches([' ', '\t']);
            let k = j + (rest.len() - trimmed.len());
            match trimmed.chars().next() {
                Some(c) if is_emoji(c) => {
                    let len: usize = trimmed
                        .chars()
                        .take_while(|&e| is_emoji(e) || ('\u{1F3FB}'..='\u{1F3FF}').contains(&e))
                        .map(char::len_utf8)
                        .sum();
                    j = k + len;
                    end = j;
                }
                _ => return end,
            }
        }
    }

    /// What follows byte `i`.
    fn next_at(&self, i: usize) -> Next<'t> {
        let text: &'t str = self.text;
        let rest = &text[i..];
        let visible = rest.trim_start_matches(|c: char| c.is_whitespace() || is_bidi_control(c));
        let gap = &rest[..rest.len() - visible.len()];
        let word_len = visible.find(|c: char| !c.is_alphanumeric()).unwrap_or(visible.len());
        let token_len = visible.find(char::is_whitespace).unwrap_or(visible.len());
        Next {
            ch: visible.chars().next(),
            space: gap.chars().any(char::is_whitespace),
            newline: gap.chars().any(is_newline),
            word: &visible[..word_len],
            token: &visible[..token_len],
        }
    }

    /// The word before byte `i`: back to whitespace or to the previous cut, without
    /// leading openers and trailing closers (`(Mr.` gives `Mr`, `55).` gives `55`).
    fn word_before(&self, i: usize) -> &'t str {
        let text: &'t str = self.text;
        let floor = self.cuts.last().copied().unwrap_or(0);
        let head = &text[floor..i];
        let start = head
            .rfind(char::is_whitespace)
            .map_or(0, |k| k + head[k..].chars().next().map_or(1, char::len_utf8));
        head[start..]
            .trim_start_matches(|c: char| is_opener(c) || is_bidi_control(c))
            .trim_end_matches(|c: char| is_closer(c) || is_bidi_control(c))
    }

    /// The non-space token around byte `i` (for URLs and e-mail addresses).
    fn token_around(&self, i: usize) -> &'t str {
        let text: &'t str = self.text;
        // Past the whole space character: a no-break space is two bytes (found by fuzzing).
        let start =
            text[..i].char_indices().rfind(|&(_, c)| c.is_whitespace()).map_or(0, |(k, c)| k + c.len_utf8());
        let end = text[i..].find(char::is_whitespace).map_or(text.len(), |k| i + k);
        &text[start..end]
    }

    /// Decides whether `run`, whose closers and trailing emoji end at `end`, ends a sentence.
    fn ends_sentence(&mut self, run: &Run, had_closers: bool, end: usize) -> bool {
        let next = self.next_at(end);
        let Some(c) = next.ch else { return true };
        if run.hard {
            return true;
        }
        if run.colon {
            // Arabic: `10:30` is a time, `http://` a URL; a colon before a space ends a segment.
            return next.space;
        }
        if run.comma {
            // Arabic: `a، b، c` lists single words; a comma before a clause ends a segment.
            let listing = next.token.char_indices().skip(1).any(|(_, ch)| ch == '،');
            return next.space && !listing;
        }
        if next.newline {
            return true;
        }
        if had_closers && c.is_lowercase() {
            return false; // `'This is great.' she said`, `(... an engineer.) at the`
        }
        if run.exclaim {
            return self.exclaim_ends(run, &next, c);
        }
        if run.dots == 1 && !run.spaced {
            return self.period_ends(run, had_closers, &next, c);
        }
        // Ellipses: `. . .` (three, spaced) continues; a fourth period ends the sentence;
        // `...`/`…`/`....` end it only before a space and a sentence-like start.
        if run.spaced && run.dots < 4 {
            return false;
        }
        next.space && starts_like_sentence(c)
    }

    fn exclaim_ends(&mut self, run: &Run, next: &Next<'t>, c: char) -> bool {
        if &self.text[run.start..run.end] == "!" {
            let word = self.word_before(run.start);
            self.lower.clear();
            self.lower.extend(word.chars().flat_map(char::to_lowercase));
            if self.rules.is_exclamation_word(&self.lower) {
                return false;
            }
        }
        if !next.space {
            // `Hello!How` ends; `Yahoo!in`, `?q=1` and `!important` do not.
            return c.is_uppercase();
        }
        !matches!(c, ',' | ';' | ':')
    }

    fn period_ends(&mut self, run: &Run, had_closers: bool, next: &Next<'t>, c: char) -> bool {
        let rules = self.rules;
        let cased = rules.switches.cased;
        if !next.space {
            if c.is_ascii_digit() {
                return false; // 3.5, $100.00, 1026.253.553
            }
            if had_closers {
                return starts_like_sentence(c);
            }
            if looks_like_address(self.token_around(run.start)) {
                return false;
            }
            // `world.Today`, `1,000.That`: a missing space between two sentences, unless the
            // word is an abbreviation (`Dr.Smith`).
            let word = self.word_before(run.start);
            let lower = word.to_lowercase();
            if rules.is_abbreviation(word, &lower) || is_dotted_abbreviation(word) {
                return false;
            }
            let prev = self.text[..run.start].chars().next_back();
            let joined = prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit());
            return cased && joined && c.is_uppercase() && next.word.chars().nth(1).is_some();
        }
        let word = self.word_before(run.start);
        if word.is_empty() {
            return !cased || starts_like_sentence(c);
        }
        self.lower.clear();
        self.lower.extend(word.chars().flat_map(char::to_lowercase));
        let lower = self.lower.as_str();
        if word.ends_with('°') && c.is_ascii_digit() {
            return false; // N°. 1026
        }
        if matches!(lower, "a.m" | "p.m") {
            // Times often end a clause: a capital after them starts a sentence, unless it is
            // a title (`at 9 a.m. Mr. Li came`), a time zone (`5 p.m. EST`) or the day the
            // time is on (`at 9 a.m. Monday`, `5 p.m. March 3`).
            let next_lower = next.word.to_lowercase();
            let title = rules.is_prepositive(&next_lower);
            let zone = next.word.len() <= 4 && next.word.chars().all(|ch| ch.is_ascii_uppercase());
            let day = WEEKDAYS.contains(&next_lower.as_str()) || rules.is_month(next.word);
            return c.is_uppercase() && !title && !zone && !day;
        }
        if is_dotted_abbreviation(word) {
            // U.S., e.g., z.B.: the sentence ends only if a typical opener follows.
            return !rules.is_prepositive(lower) && cased && c.is_uppercase() && rules.is_starter(next.word);
        }
        if rules.is_abbreviation(word, lower) {
            if rules.is_prepositive(lower) || (rules.is_number_abbreviation(lower) && c.is_ascii_digit()) {
                return false;
            }
            if rules.switches.capitalised_nouns {
                return c.is_uppercase() && rules.is_starter(next.word);
            }
            return cased && c.is_uppercase();
        }
        let mut letters = word.chars();
        if let (Some(l), None) = (letters.next(), letters.next()) {
            if matches!(l, 'Q' | 'A') && cased && self.opens_sentence(run.start, word) {
                // `Q. What is it? A. A cat.`: question and answer markers, not sentences.
                return false;
            }
            if l.is_alphabetic() {
                // An initial (Jonas E. Smith) unless a typical opener follows (you and I. Did).
                return (l.is_lowercase() || l.is_uppercase())
                    && c.is_uppercase()
                    && rules.is_starter(next.word);
            }
        }
        if rules.switches.capitalised_nouns && c.is_lowercase() {
            return false; // Ludwig XIV. war König
        }
        let number = word.bytes().all(|b| b.is_ascii_digit());
        if number && rules.switches.ordinal_period && word.len() <= 2 && c.is_alphabetic() {
            // am 3. Oktober, der 2. Weltkrieg; but `Abb. 3. Dort steht` ends at the number.
            return rules.is_starter(next.word);
        }
        if number && rules.is_month(next.word) {
            return false;
        }
        if number && cased && c.is_lowercase() {
            // `as in 1. above`, `see item 2. below`: a list item referred to; a sentence
            // does not start in lower case.
            return false;
        }
        true
    }

    /// Whether `word`, ending at byte `end`, is the first word of the sentence being read.
    fn opens_sentence(&self, end: usize, word: &str) -> bool {
        let floor = self.cuts.last().copied().unwrap_or(0);
        let head = &self.text[floor..end];
        head.strip_suffix(word).is_some_and(|before| before.trim().is_empty())
    }

    /// A line break ends the sentence, except a soft wrap: a line with no final punctuation
    /// continued by a lower-case line that does end with a terminal (text copied from PDFs).
    fn line_break(&mut self, i: usize, c: char) -> usize {
        let text = self.text;
        let mut after = i + c.len_utf8();
        if c == '\r' && text[after..].starts_with('\n') {
            after += 1;
        }
        if !self.soft_wrap(i, after) {
            self.cuts.push(i);
        }
        after
    }

    fn soft_wrap(&self, i: usize, after: usize) -> bool {
        let text = self.text;
        let line_start = text[..i].rfind(is_newline).map_or(0, |k| k + char_at(text, k).len_utf8());
        let line = text[line_start..i].trim();
        let Some(last) = line.chars().next_back() else { return false };
        if !last.is_alphanumeric() || !line.contains(' ') {
            return false;
        }
        let rest = &text[after..];
        let next_end = rest.find(is_newline).unwrap_or(rest.len());
        let next_line = rest[..next_end].trim();
        let starts_lower = next_line.chars().next().is_some_and(char::is_lowercase);
        let ends = next_line.chars().next_back().is_some_and(|e| e == '.' || is_exclaim_or_question(e));
        starts_lower && ends && !rest[..next_end].starts_with(char::is_whitespace)
    }
}

/// Day names that may follow a time of day (`a.m.`/`p.m.`, English only) in one sentence.
const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// Drops the cut before a piece made only of terminals and closers (`!` or `...` alone on
/// a line, as chat and OCR text has them): such a piece ends the sentence before it rather
/// than being a sentence. One at the very start of the text stays its own piece; dividers
/// (`***`, `---`) are not terminals and stay apart.
fn join_lone_terminals(text: &str, cuts: &mut Vec<usize>) {
    let lone = |piece: &str| {
        let piece = piece.trim();
        !piece.is_empty()
            && piece.chars().all(|c| {
                matches!(c, '.' | '…')
                    || is_exclaim_or_question(c)
                    || is_hard_terminal(c)
                    || is_closer(c)
                    || is_bidi_control(c)
            })
    };
    let mut kept = 0;
    for k in 0..cuts.len() {
        let cut = cuts[k];
        let next = cuts.get(k + 1).copied().unwrap_or(text.len());
        let before = if kept == 0 { 0 } else { cuts[kept - 1] };
        let joins = text.get(before..cut).is_some_and(|b| !b.trim().is_empty())
            && text.get(cut..next).is_some_and(lone);
        if joins {
            continue;
        }
        cuts[kept] = cut;
        kept += 1;
    }
    cuts.truncate(kept);
}

/// `U.S`, `e.g`, `Ph.D`, `z.B`: two or more parts of one to three letters joined by periods.
fn is_dotted_abbreviation(word: &str) -> bool {
    let mut parts = 0;
    for part in word.split('.') {
        let n = part.chars().count();
        if n == 0 || n > 3 || !part.chars().all(char::is_alphabetic) {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

/// URLs and e-mail addresses: their periods never end a sentence.
fn looks_like_address(token: &str) -> bool {
    token.contains('@') || token.contains("://") || token.starts_with("www.") || token.contains(".com")
}
