//! Quotations and parentheses: spans inside which a terminal does not end the sentence.
//!
//! `He teaches science (He previously worked for 5 years as an engineer.) at the local
//! University.` is one sentence: the period inside the parentheses closes a clause of the
//! parenthetical, not the sentence. The same holds for quotations. A terminal right before
//! the closing mark is still looked at by the rules (`"This is great." She held it` ends
//! there), so a region only hides terminals that the closer does not immediately follow.
//!
//! Regions never cross a line break and are capped in length, so a stray quote cannot glue
//! a whole document together. The scan is a single pass with a stack: linear in the text.

/// The longest region honoured, in bytes. Real quotations longer than this are rare; an
/// unmatched quote that "closes" far away is far more common.
const MAX_REGION_BYTES: usize = 1200;

/// A quoted or parenthesised span: `open` is the byte of the opening mark, `close` the byte
/// of the closing mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Region {
    pub open: usize,
    pub close: usize,
}

/// The closing marks that may end a region opened by `open`.
fn closers_for(open: char) -> &'static [char] {
    match open {
        '(' => &[')'],
        '[' => &[']'],
        '{' => &['}'],
        '（' => &['）'],
        '「' => &['」'],
        '『' => &['』'],
        '“' => &['”', '“'],
        '„' => &['“', '”'],
        '‚' => &['‘', '’'],
        '‘' => &['’'],
        '«' => &['»'],
        '»' => &['«'],
        '‹' => &['›'],
        '›' => &['‹'],
        '"' => &['"'],
        '\'' => &['\''],
        _ => &[],
    }
}

/// True when a symmetric or ambiguous quote at `i` may open a quotation: it follows a
/// space, an opener or the line start, and precedes a non-space (so `students'` and a
/// lone `"` are not openers).
fn can_open(prev: Option<char>, next: Option<char>) -> bool {
    let after_gap = match prev {
        None => true,
        Some(p) => p.is_whitespace() || super::chars::is_opener(p) || matches!(p, '—' | '–' | '-' | ':'),
    };
    after_gap && next.is_some_and(|n| !n.is_whitespace())
}

/// True when a quote at `i` may close: it follows a non-space and is not followed by a
/// letter or digit (so the apostrophe in `didn’t` never closes `‘`).
fn can_close(prev: Option<char>, next: Option<char>) -> bool {
    prev.is_some_and(|p| !p.is_whitespace()) && !next.is_some_and(|n| n.is_alphanumeric())
}

/// All outermost regions of `text`, sorted by position, not overlapping.
pub(crate) fn find(text: &str) -> Vec<Region> {
    let mut found: Vec<Region> = Vec::new();
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut prev: Option<char> = None;
    let mut i = 0;
    while i < text.len() {
        // ASCII other than quotes, brackets and line breaks changes nothing but `prev`: a
        // run of it is skipped at once.
        let plain = text.as_bytes()[i..].iter().take_while(|&&b| PLAIN_ASCII[b as usize]).count();
        if plain > 0 {
            i += plain;
            prev = Some(text.as_bytes()[i - 1] as char);
            continue;
        }
        let mut rest = text[i..].chars();
        let c = rest.next().unwrap_or('\0');
        let next = rest.next();
        if super::chars::is_newline(c) {
            stack.clear();
        } else if is_quote_or_bracket(c) {
            // Closing takes precedence: the innermost open mark that `c` can close.
            let closes = stack.iter().rposition(|&(open, _)| closers_for(open).contains(&c));
            let quote_like = matches!(c, '"' | '\'' | '’' | '‘' | '“' | '”' | '«' | '»' | '‹' | '›');
            match closes {
                Some(depth) if !quote_like || can_close(prev, next) => {
                    let (_, open) = stack[depth];
                    stack.truncate(depth);
                    if i - open <= MAX_REGION_BYTES {
                        found.push(Region { open, close: i });
                    }
                }
                _ => {
                    let opens = !closers_for(c).is_empty();
                    let ok = !quote_like || can_open(prev, next);
                    if opens && ok && stack.len() < 32 {
                        stack.push((c, i));
                    }
                }
            }
        }
        prev = Some(c);
        i += c.len_utf8();
    }
    outermost(found)
}

/// ASCII bytes that are no quote, bracket or line break.
static PLAIN_ASCII: [bool; 256] = super::chars::byte_table(true, b"\"'()[]{}\n\r\x0B\x0C");

fn is_quote_or_bracket(c: char) -> bool {
    super::chars::is_opener(c) || super::chars::is_closer(c)
}

/// Drops regions nested in others. Inner regions close first, so they are pushed first.
fn outermost(mut regions: Vec<Region>) -> Vec<Region> {
    regions.sort_by_key(|r| (r.open, std::cmp::Reverse(r.close)));
    let mut out: Vec<Region> = Vec::with_capacity(regions.len());
    for r in regions {
        match out.last() {
            Some(last) if r.open < last.close => {}
            _ => out.push(r),
        }
    }
    out
}

/// Answers "which region holds byte `i`?" for increasing `i`, in amortised constant time.
pub(crate) struct Cursor<'a> {
    regions: &'a [Region],
    next: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(regions: &'a [Region]) -> Self {
        Cursor { regions, next: 0 }
    }

    /// The region strictly between whose marks byte `i` lies. Calls must not go backwards.
    pub(crate) fn enclosing(&mut self, i: usize) -> Option<Region> {
        while self.next < self.regions.len() && self.regions[self.next].close <= i {
            self.next += 1;
        }
        self.regions.get(self.next).copied().filter(|r| r.open < i && i < r.close)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<&str> {
        find(text)
            .iter()
            .map(|r| &text[r.open..r.close + text[r.close..].chars().next().unwrap().len_utf8()])
            .collect()
    }

    #[test]
    fn the_plain_byte_table_agrees_with_the_char_classes() {
        for b in 0..=255u8 {
            let c = b as char;
            let plain = b < 0x80 && !is_quote_or_bracket(c) && !super::super::chars::is_newline(c);
            assert_eq!(PLAIN_ASCII[b as usize], plain, "byte {b:#04x}");
        }
    }

    #[test]
    fn parentheses_and_quotes() {
        assert_eq!(spans("a (b. c) d"), ["(b. c)"]);
        assert_eq!(spans(r#"He said, "Go. Now." and left"#), [r#""Go. Now.""#]);
        assert_eq!(spans("She said, 'This is great.' she said."), ["'This is great.'"]);
        assert_eq!(spans("„Ich habe Zeit“, sagte sie."), ["„Ich habe Zeit“"]);
    }

    #[test]
    fn apostrophes_do_not_close() {
        assert_eq!(spans("‘I didn’t go.’ Then"), ["‘I didn’t go.’"]);
        assert!(spans("the students' books. Then").is_empty());
        assert!(spans("It's Michael's car.").is_empty());
    }

    #[test]
    fn nested_keeps_outermost_and_lines_break_regions() {
        assert_eq!(spans("x (a [b] c) y"), ["(a [b] c)"]);
        assert!(spans("an open ( paren\nclosed ) later").is_empty());
    }
}
