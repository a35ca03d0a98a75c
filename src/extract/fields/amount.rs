//! Money: amounts with either decimal separator and any thousands grouping
//! (`1,234.50`, `1.234,50`, `1 234,50`, `1'234.50`), and currencies from ISO codes, symbols
//! and words (`€`, `zł`, `RM`, `euro`), converted to plain decimals and ISO 4217 codes.

use regex::Regex;
use std::collections::HashMap;
use std::sync::OnceLock;

static CURRENCY_DATA: &str = include_str!("data/currencies.txt");

fn currencies() -> &'static HashMap<String, &'static str> {
    static MAP: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut map = HashMap::new();
        for line in CURRENCY_DATA.lines().filter(|l| !l.starts_with("//") && !l.trim().is_empty()) {
            let mut parts = line.split_whitespace();
            let Some(code) = parts.next() else { continue };
            map.insert(code.to_lowercase(), code);
            for name in parts {
                map.insert(name.to_lowercase(), code);
            }
        }
        map
    })
}

/// The ISO 4217 code a symbol, code or currency word names (`"€"` → `EUR`).
pub fn parse_currency(text: &str) -> Option<&'static str> {
    let t = text.trim().to_lowercase();
    let map = currencies();
    map.get(&t).or_else(|| map.get(t.trim_end_matches('.'))).copied()
}

fn number_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Constant pattern: a compile failure is a bug every test catches.
    RE.get_or_init(|| {
        Regex::new(
            r"(?:^|[^\d.,])(-?\d{1,3}(?:[,.' ’]\d{3})+(?:[.,]\d{1,2})?|-?\d+(?:[.,]\d{1,2})?)(?:$|[^\d])",
        )
        .expect("amount pattern")
    })
}

fn token_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?i)[a-z]{0,2}\$|[€£¥₹]|\p{L}+\.?").expect("currency pattern"))
}

/// Byte ranges of the amounts in `text`: numbers with cents, or whole numbers with a
/// currency next to them (`EUR 120`).
pub(super) fn find_amounts(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let Some(c) = number_re().captures_at(text, at) else { break };
        let Some(m) = c.get(1) else { break };
        at = m.end().max(at + 1);
        let s = m.as_str();
        let has_cents = s.len() > 3 && matches!(s.as_bytes()[s.len() - 3], b'.' | b',');
        // A space-grouped number is one amount only when cents follow ("1 234,50");
        // otherwise "2 150" is a quantity and a price.
        if s.contains(' ') && !has_cents {
            continue;
        }
        let before = text[..m.start()].trim_end();
        let after = text[m.end()..].trim_start();
        let currency_near = |t: &str, last: bool| {
            let token = if last {
                t.rsplit(|c: char| c.is_whitespace() || c.is_ascii_digit()).next()
            } else {
                t.split(|c: char| c.is_whitespace() || c.is_ascii_digit()).next()
            };
            token.and_then(parse_currency).is_some()
        };
        if (has_cents || currency_near(before, true) || currency_near(after, false))
            && parse_amount(s).is_some()
        {
            out.push((m.start(), m.end()));
        }
    }
    out
}

/// Byte ranges of currency symbols, codes and words in `text`.
pub(super) fn find_currencies(text: &str) -> Vec<(usize, usize)> {
    token_re()
        .find_iter(text)
        .filter(|m| parse_currency(m.as_str()).is_some())
        .map(|m| (m.start(), m.end()))
        .collect()
}

/// The plain decimal form (`1234.50`) of an amount written with any separators, currency
/// or spacing; `None` if it is not a number.
pub fn parse_amount(text: &str) -> Option<String> {
    let mut s: String =
        text.chars().filter(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '\'' | '’')).collect();
    let negative = s.starts_with('-') || text.trim_end().ends_with('-');
    s.retain(|c| c != '-');
    if !s.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    // The decimal separator is the last '.' or ',' with one or two digits after it; every
    // other separator groups thousands.
    let last_sep = s.rfind(['.', ',']);
    let (int_part, frac) = match last_sep {
        Some(i) if (1..=2).contains(&(s.len() - i - 1)) => (&s[..i], &s[i + 1..]),
        _ => (s.as_str(), ""),
    };
    let digits: String = int_part.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 15 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Thousands groups must be three digits long: "12,34,5" is not an amount.
    let groups: Vec<&str> = int_part.split(['.', ',', '\'', '’', ' ']).collect();
    if groups.len() > 1 && groups[1..].iter().any(|g| g.len() != 3) {
        return None;
    }
    let int: u64 = digits.parse().ok()?;
    let cents = match frac.len() {
        0 => 0,
        1 => frac.parse::<u64>().ok()? * 10,
        _ => frac.parse::<u64>().ok()?,
    };
    Some(format!("{}{int}.{cents:02}", if negative { "-" } else { "" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_either_separator() {
        for (text, value) in [
            ("9.00", "9.00"),
            ("1,234.50", "1234.50"),
            ("1.234,50", "1234.50"),
            ("1 234,50 €", "1234.50"),
            ("1'234.5", "1234.50"),
            ("€ 12", "12.00"),
            ("RM 15.90", "15.90"),
            ("1.234.567,89 zł", "1234567.89"),
            ("-5,00", "-5.00"),
            ("1,234", "1234.00"),
        ] {
            assert_eq!(parse_amount(text).as_deref(), Some(value), "{text}");
        }
        for bad in ["abc", "12,34,5", ""] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
    }

    #[test]
    fn currencies_from_symbols_codes_and_words() {
        for (text, code) in [
            ("€", "EUR"),
            ("eur", "EUR"),
            ("Euro", "EUR"),
            ("$", "USD"),
            ("£", "GBP"),
            ("zł", "PLN"),
            ("PLN", "PLN"),
            ("RM", "MYR"),
            ("CHF", "CHF"),
        ] {
            assert_eq!(parse_currency(text), Some(code), "{text}");
        }
        assert_eq!(parse_currency("total"), None);
        let line = "Total due: 1.234,50 EUR";
        assert_eq!(find_currencies(line).iter().map(|r| &line[r.0..r.1]).collect::<Vec<_>>(), ["EUR"]);
    }

    #[test]
    fn finds_amounts_not_quantities() {
        let line = "2 x 150 Coffee 1 234,50 EUR 120 total 9.00";
        let found: Vec<&str> = find_amounts(line).iter().map(|r| &line[r.0..r.1]).collect();
        assert_eq!(found, ["1 234,50", "120", "9.00"]);
        let line = "EUR 120 due";
        assert_eq!(find_amounts(line).iter().map(|r| &line[r.0..r.1]).collect::<Vec<_>>(), ["120"]);
    }
}
