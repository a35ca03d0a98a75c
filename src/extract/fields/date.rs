//! Dates in the formats invoices and receipts print them: numeric (`25/01/2018`,
//! `25.01.18`, `2018-01-25`) and with month names in several languages (`25 Jan 2018`,
//! `25. Januar 2018`, `25 stycznia 2018`, `Jan 25, 2018`), converted to ISO 8601.
//!
//! Numeric dates are read day first (as everywhere but the US) unless the first number
//! cannot be a day's month partner, i.e. `01/25/2018` is read month first.

use regex::Regex;
use std::collections::HashMap;
use std::sync::OnceLock;

static MONTH_DATA: &str = include_str!("data/months.txt");

fn months() -> &'static HashMap<String, u32> {
    static MONTHS: OnceLock<HashMap<String, u32>> = OnceLock::new();
    MONTHS.get_or_init(|| {
        let mut map = HashMap::new();
        for line in MONTH_DATA.lines().filter(|l| !l.starts_with("//") && !l.trim().is_empty()) {
            let mut parts = line.split_whitespace();
            let Some(n) = parts.next().and_then(|n| n.parse::<u32>().ok()) else { continue };
            for name in parts {
                map.insert(name.to_lowercase(), n);
            }
        }
        map
    })
}

fn month(name: &str) -> Option<u32> {
    months().get(&name.trim_end_matches('.').to_lowercase()).copied()
}

struct Patterns {
    numeric: Regex,
    /// A numeric date with the time glued on (`17/03/201721:35`): OCR engines often read
    /// the gap between them as none. The year ends where a time `H:MM` can start.
    glued: Regex,
    /// The same with a month name (`21Mar201817:59`, `15Jun1808:34:31`).
    glued_day_month: Regex,
    iso: Regex,
    day_month: Regex,
    month_day: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        // Built from constants: failing to compile is a bug caught by every test.
        numeric: Regex::new(r"(?:^|[^\d])(\d{1,2})([./\-])(\d{1,2})[./\-](\d{4}|\d{2})(?:$|[^\d])").expect("date pattern"),
        glued: Regex::new(r"(?:^|[^\d])(\d{1,2})([./\-])(\d{1,2})[./\-](\d{4}|\d{2})\d{1,2}:\d{2}").expect("date pattern"),
        glued_day_month: Regex::new(r"(?i)(?:^|[^\d\p{L}])(\d{1,2})\.?[\s\-/]*(\p{L}{3,12}\.?)[\s,\-/]*'?(\d{4}|\d{2})\d{1,2}:\d{2}").expect("date pattern"),
        iso: Regex::new(r"(?:^|[^\d])(\d{4})[./\-](\d{1,2})[./\-](\d{1,2})(?:$|[^\d])").expect("date pattern"),
        day_month: Regex::new(r"(?i)(?:^|[^\d\p{L}])(\d{1,2})(?:st|nd|rd|th|er)?\.?[\s\-/]*(\p{L}{3,12}\.?)[\s,\-/]*'?(\d{4}|\d{2})(?:$|[^\d])").expect("date pattern"),
        month_day: Regex::new(r"(?i)(?:^|[^\p{L}])(\p{L}{3,12}\.?)\s*(\d{1,2})(?:st|nd|rd|th)?,?\s*(\d{4})(?:$|[^\d])").expect("date pattern"),
    })
}

/// Byte ranges of the dates in `text`.
pub(super) fn find(text: &str) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let p = patterns();
    for re in [&p.iso, &p.numeric, &p.glued, &p.day_month, &p.glued_day_month, &p.month_day] {
        let mut at = 0;
        while at < text.len() {
            let Some(c) = re.captures_at(text, at) else { break };
            let (Some(first), Some(last)) = (c.get(1), c.get(c.len() - 1)) else { break };
            let range = (first.start(), last.end());
            let overlaps = out.iter().any(|&(s, e)| s < range.1 && e > range.0);
            // After an impossible date ("19-21/03" in "#19-21/03/2018") look again from the
            // next character, not after it: the real date may start inside it.
            at = if !overlaps && parse_date(&text[range.0..range.1]).is_some() {
                out.push(range);
                range.1
            } else {
                first.start() + 1
            };
            while at < text.len() && !text.is_char_boundary(at) {
                at += 1;
            }
        }
    }
    out.sort_unstable();
    out
}

/// The ISO 8601 form of a date written in any supported format; `None` if it is not one
/// or names an impossible day.
pub fn parse_date(text: &str) -> Option<String> {
    let text = text.trim();
    let p = patterns();
    let whole = |m: &regex::Captures| m.get(0).is_some_and(|m| m.as_str().trim().len() + 2 >= text.len());
    let num = |c: &regex::Captures, i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    if let Some(c) = p.iso.captures(text).filter(whole) {
        return ymd(num(&c, 1)?, num(&c, 2)?, num(&c, 3)?);
    }
    if let Some(c) = p.numeric.captures(text).filter(whole) {
        let (a, b, y) = (num(&c, 1)?, num(&c, 3)?, year(c.get(4)?.as_str())?);
        return ymd(y, b, a).or_else(|| ymd(y, a, b));
    }
    if let Some(c) = p.day_month.captures(text).filter(whole) {
        let m = month(c.get(2)?.as_str())?;
        return ymd(year(c.get(3)?.as_str())?, m, num(&c, 1)?);
    }
    if let Some(c) = p.month_day.captures(text).filter(whole) {
        let m = month(c.get(1)?.as_str())?;
        return ymd(year(c.get(3)?.as_str())?, m, num(&c, 2)?);
    }
    None
}

/// Two-digit years are 20xx: the documents read here are recent.
fn year(text: &str) -> Option<u32> {
    let y: u32 = text.parse().ok()?;
    match text.len() {
        2 => Some(2000 + y),
        4 if (1900..=2199).contains(&y) => Some(y),
        _ => None,
    }
}

fn ymd(y: u32, m: u32, d: u32) -> Option<String> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (d >= 1 && d <= days && (1900..=2199).contains(&y)).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_languages() {
        for (text, iso) in [
            ("25/01/2018", "2018-01-25"),
            ("2018-01-25", "2018-01-25"),
            ("25.01.2018", "2018-01-25"),
            ("25-01-18", "2018-01-25"),
            ("01/25/2018", "2018-01-25"),
            ("25 Jan 2018", "2018-01-25"),
            ("25-JAN-2018", "2018-01-25"),
            ("25. Januar 2018", "2018-01-25"),
            ("3. März 2021", "2021-03-03"),
            ("25 janvier 2018", "2018-01-25"),
            ("1er février 2019", "2019-02-01"),
            ("25 januari 2018", "2018-01-25"),
            ("25 stycznia 2018", "2018-01-25"),
            ("12 października 2020", "2020-10-12"),
            ("Jan 25, 2018", "2018-01-25"),
            ("September 3rd, 2019", "2019-09-03"),
            ("29 Feb 2020", "2020-02-29"),
            ("15 OGOS 2018", "2018-08-15"),
            ("21Mar2018", "2018-03-21"),
        ] {
            assert_eq!(parse_date(text).as_deref(), Some(iso), "{text}");
        }
        for bad in ["31/02/2018", "29 Feb 2019", "25 Foo 2018", "12345", "2018-13-01"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn finds_dates_inside_lines() {
        let line = "DATE: 25/01/2018 1:22:56PM INV 1234";
        let found = find(line);
        assert_eq!(found.len(), 1);
        assert_eq!(&line[found[0].0..found[0].1], "25/01/2018");
        let line = "ORD #18 -REG #19-21/03/2018";
        assert_eq!(find(line).iter().map(|r| &line[r.0..r.1]).collect::<Vec<_>>(), ["21/03/2018"]);
        for (line, date) in [
            ("17/03/201721:35", "17/03/2017"),
            ("ORD#18-REG#19-21/03/201819:53:23", "21/03/2018"),
            ("07-06-1615:26", "07-06-16"),
            ("25/01/20181:22:56PM", "25/01/2018"),
            ("21Mar201817:59", "21Mar2018"),
            ("15Jun1808:34:31", "15Jun18"),
            ("Date:25Mar20189:27PM", "25Mar2018"),
        ] {
            assert_eq!(find(line).iter().map(|r| &line[r.0..r.1]).collect::<Vec<_>>(), [date], "{line}");
        }
        let line = "Rechnungsdatum 25. Januar 2018";
        assert_eq!(find(line).iter().map(|r| &line[r.0..r.1]).collect::<Vec<_>>(), ["25. Januar 2018"]);
    }
}
