//! Enumerations written inline: `1. The first item 2. The second item`, `a) ... b) ...`, `(1) ... (2) ...`,
//! `i. ... ii. ...`, and bulleted items `• ... • ...`.
//!
//! An item marker starts a new segment even when the previous item has no terminal, and
//! the period in `1.` is part of the marker, not a sentence end. To tell a list from a
//! number that merely ends a sentence (`Step 1. Mix well`), markers must form a chain of
//! consecutive values (1, 2, 3 or a, b, c) whose first marker opens a line or follows a
//! bullet or a colon. A lone marker at the start of a line keeps its period too.

use super::chars::{char_at, is_bullet, is_newline};

/// What the rule engine needs to know about the lists in a text.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Lists {
    /// Bytes where a new item begins (a segment boundary before them).
    pub starts: Vec<usize>,
    /// Bytes of periods that belong to a marker and end nothing.
    pub marker_periods: Vec<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    /// `1.` `1)` `1.)`
    Number(Close),
    /// `a.` `a)`
    Letter(Close),
    /// `i.` `ii)`
    Roman(Close),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Close {
    Period,
    Paren,
    PeriodParen,
    /// `(1)` `(a)` `(iv)`
    Enclosed,
}

#[derive(Clone, Copy, Debug)]
struct Marker {
    style: Style,
    value: u32,
    /// Where the item begins: the bullet before the marker if any, else the marker.
    start: usize,
    period: Option<usize>,
    /// At a line start, after a bullet or after a colon: may open a chain.
    leads: bool,
}

/// Finds the list items of `text`. `is_month` tells a German date (`3. Oktober`) from an item.
pub(crate) fn find(text: &str, is_month: &dyn Fn(&str) -> bool) -> Lists {
    if may_hold_items(text) {
        scan(text, is_month)
    } else {
        Lists::default()
    }
}

/// [`find`]'s walk over every word of `text`.
fn scan(text: &str, is_month: &dyn Fn(&str) -> bool) -> Lists {
    let bytes = text.as_bytes();
    let mut markers = Vec::new();
    let mut lists = Lists::default();
    let mut line_start = true;
    let mut bullet_at: Option<usize> = None;
    let mut after_colon = false;
    // The previous char was whitespace or a bullet, or this is the text start.
    let mut prev_gap = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // Visible ASCII (no space, line break or bullet): only a word's first char may open
        // a marker, so the rest of the word is skipped at once, remembering whether it
        // ended in a colon. Most of a text is read here.
        let visible_ascii = |b: u8| b > b' ' && b < 0x80;
        let c = if visible_ascii(b) { b as char } else { char_at(text, i) };
        if is_newline(c) {
            line_start = true;
            bullet_at = None;
            prev_gap = true;
        } else if c.is_whitespace() {
            prev_gap = true;
        } else if is_bullet(c) {
            if !line_start && prev_gap {
                lists.starts.push(i);
            }
            bullet_at = Some(i);
            prev_gap = true;
            line_start = false;
        } else {
            if prev_gap && (c.is_ascii_alphanumeric() || c == '(') {
                if let Some((style, value, period, len)) = parse_marker(bytes, i) {
                    let rest = text[i + len..].trim_start();
                    let word: &str = rest.split(|ch: char| !ch.is_alphanumeric()).next().unwrap_or("");
                    let date = matches!(style, Style::Number(_)) && is_month(word);
                    if !rest.is_empty() && !date {
                        let leads = line_start || bullet_at.is_some() || after_colon;
                        markers.push(Marker { style, value, start: bullet_at.unwrap_or(i), period, leads });
                    }
                }
            }
            let mut last = c;
            if visible_ascii(b) {
                let word = bytes[i + 1..].iter().take_while(|&&n| visible_ascii(n)).count();
                i += word;
                last = bytes[i] as char;
            }
            after_colon = last == ':';
            line_start = false;
            bullet_at = None;
            prev_gap = false;
        }
        i += c.len_utf8();
    }
    chain(&markers, &mut lists);
    lists.starts.sort_unstable();
    lists.starts.dedup();
    lists.marker_periods.sort_unstable();
    lists.marker_periods.dedup();
    lists
}

/// False when `text` surely has no list item: it is ASCII (so no bullet) and no `.` or `)`
/// ends a marker that opens a word. Most texts are ruled out here by two SIMD searches,
/// without [`find`]'s walk over every word.
fn may_hold_items(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !text.is_ascii() {
        return true;
    }
    // As in the walk: the text start, or after white space (the text is ASCII here).
    let opens_word = |i: usize| i == 0 || char::from(bytes[i - 1]).is_whitespace();
    memchr::memchr2_iter(b'.', b')', bytes).any(|end| {
        // A marker's body is one to four letters or digits, maybe after `(`.
        let mut start = end;
        while start > 0 && end - start < 5 && bytes[start - 1].is_ascii_alphanumeric() {
            start -= 1;
        }
        let bare = opens_word(start) && parse_marker(bytes, start).is_some();
        let enclosed = start > 0 && bytes[start - 1] == b'(' && opens_word(start - 1);
        bare || (enclosed && parse_marker(bytes, start - 1).is_some())
    })
}

/// Parses a marker at byte `i`: value, style, the byte of its period and its length.
fn parse_marker(b: &[u8], i: usize) -> Option<(Style, u32, Option<usize>, usize)> {
    let enclosed = b[i] == b'(';
    let from = i + usize::from(enclosed);
    let mut j = from;
    while j < b.len() && j - from < 4 && b[j].is_ascii_alphanumeric() {
        j += 1;
    }
    let (close, period, end) = match (b.get(j), b.get(j + 1)) {
        (Some(b')'), _) if enclosed => (Close::Enclosed, None, j + 1),
        _ if enclosed => return None,
        (Some(b'.'), Some(b')')) => (Close::PeriodParen, Some(j), j + 2),
        (Some(b'.'), _) => (Close::Period, Some(j), j + 1),
        (Some(b')'), _) => (Close::Paren, None, j + 1),
        _ => return None,
    };
    // The marker must be followed by a space: `1.5` and `e.g.` are not markers.
    if !b.get(end).is_some_and(|&c| c == b' ' || c == b'\t') {
        return None;
    }
    // Checked only now: this runs at every word of the text, and most are no marker.
    let body = std::str::from_utf8(&b[from..j]).ok()?;
    let style = if body.len() <= 2 && body.bytes().all(|c| c.is_ascii_digit()) {
        (Style::Number(close), body.parse().ok()?)
    } else if let Some(v) = roman_value(body) {
        (Style::Roman(close), v)
    } else if body.len() == 1 && body.as_bytes()[0].is_ascii_lowercase() {
        (Style::Letter(close), u32::from(body.as_bytes()[0] - b'a') + 1)
    } else {
        return None;
    };
    Some((style.0, style.1, period, end - i))
}

/// Lower-case roman numerals up to 39 (`i` .. `xxxix`).
fn roman_value(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|c| matches!(c, b'i' | b'v' | b'x')) {
        return None;
    }
    let val = |c: u8| match c {
        b'i' => 1,
        b'v' => 5,
        _ => 10,
    };
    let b = s.as_bytes();
    let mut total = 0i32;
    for k in 0..b.len() {
        let v = val(b[k]);
        if b.get(k + 1).is_some_and(|&n| val(n) > v) {
            total -= v;
        } else {
            total += v;
        }
    }
    (total > 0).then_some(total as u32)
}

/// Keeps markers that form chains of consecutive values opened by a leading marker,
/// and lone leading markers at a line start.
fn chain(markers: &[Marker], lists: &mut Lists) {
    let mut used = vec![false; markers.len()];
    for (k, first) in markers.iter().enumerate() {
        if !first.leads || used[k] {
            continue;
        }
        // A letter chain starts at `a`, a roman one at `i`; numbers may start anywhere (`9.`).
        let starts_well = match first.style {
            Style::Letter(_) | Style::Roman(_) => first.value == 1,
            Style::Number(_) => true,
        };
        if !starts_well {
            continue;
        }
        let mut members = vec![k];
        let mut want = first.value + 1;
        for (m, marker) in markers.iter().enumerate().skip(k + 1) {
            if marker.style == first.style && marker.value == want {
                members.push(m);
                want += 1;
            }
        }
        if members.len() >= 2 {
            for &m in &members {
                used[m] = true;
                lists.starts.push(markers[m].start);
                lists.marker_periods.extend(markers[m].period);
            }
        } else if matches!(first.style, Style::Number(_)) {
            // `1. The first item` alone on its line: the period is still the marker's.
            lists.marker_periods.extend(first.period);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str) -> Vec<usize> {
        find(text, &|_| false).starts
    }

    #[test]
    fn numbered_lettered_and_roman_chains() {
        assert_eq!(items("1. The first item 2. The second item"), [0, 18]);
        assert_eq!(items("1.) One 2.) Two"), [0, 8]);
        assert_eq!(items("a. The first b. The second c. The third"), [0, 13, 27]);
        assert_eq!(items("i. One ii. Two iii. Three"), [0, 7, 15]);
        assert_eq!(items("(1) One (2) Two (3) Three"), [0, 8, 16]);
    }

    #[test]
    fn numbers_that_are_not_lists() {
        assert!(items("Step 1. Mix well. Step 2. Bake.").is_empty());
        assert!(items("I have 3.5 cars and 4.2 bikes.").is_empty());
        assert!(find("Am 3. Oktober und am 4. November.", &|w| w.ends_with("ber")).starts.is_empty());
    }

    #[test]
    fn texts_ruled_out_without_a_walk_have_no_items() {
        assert!(!may_hold_items("It was fine. Not great. 4.5 stars, see www.x.com (really)."));
        assert!(may_hold_items("Steps: a) mix b) bake"));
        assert!(may_hold_items("x • y"));
        // Random texts of marker-like pieces: the shortcut never drops what the walk finds.
        let pieces = [
            "1.", "2.", "a)", "b)", "(1)", "(2)", "ii.", "iii.", "x", "word.", ":", " ", "\n", "\t", "(",
            ")", ".",
        ];
        let mut state = 12345u64;
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..(state % 9) {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                text.push_str(pieces[(state >> 33) as usize % pieces.len()]);
            }
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            assert_eq!(find(&text, &|_| false), scan(&text, &|_| false), "{text:?}");
        }
    }

    #[test]
    fn bullets_start_items() {
        let t = "⁃9. The first item ⁃10. The second item";
        assert_eq!(items(t), [0, t.rfind('⁃').unwrap()]);
        assert_eq!(find("x • y • z", &|_| false).starts, [2, 8]);
    }
}
