//! Dates in documents' `meta`, and the periods (days, months or years) they fall into.
//!
//! Which `meta` property holds the date is not fixed: the one whose values read as dates
//! most often wins (a name containing "date" breaks ties). Dates are read from ISO-style
//! strings (`2025-03-14`, `2025-03-14T09:30:00Z`, `2025/03/14`, `2025-03`), day-first
//! dotted strings (`14.03.2025`) and, under a date-like name (`date`, `time`, `created`),
//! Unix timestamps in seconds or milliseconds. Ambiguous forms such as `03/04/2025` are
//! not guessed.

use serde_json::Value;

/// A calendar day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// How long one period of the timeline is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    Day,
    Month,
    Year,
}

impl Granularity {
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Month => "month",
            Granularity::Year => "year",
        }
    }
}

/// The periods documents fall into: their names in order and each document's period.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// The `meta` property the dates come from.
    pub key: String,
    pub granularity: Granularity,
    /// Period names in time order: `2025-03-14`, `2025-03` or `2025`.
    pub periods: Vec<String>,
    /// Each document's period (an index into `periods`), `None` when it has no date.
    pub of_document: Vec<Option<usize>>,
}

impl Timeline {
    /// How many documents carry a date.
    pub fn dated(&self) -> usize {
        self.of_document.iter().flatten().count()
    }
}

/// Spans up to a month are shown by day, up to three years by month, longer by year.
const DAYS_BY_DAY: i64 = 31;
const DAYS_BY_MONTH: i64 = 3 * 366;
/// Empty periods between the first and the last are shown, unless there would be more
/// than this many periods; then only the periods with documents are.
const MAX_FILLED: usize = 240;

/// The timeline of documents whose `meta` (one entry per document, `None` without meta)
/// carries dates; `None` when no document does.
pub fn timeline(metas: &[Option<&serde_json::Map<String, Value>>]) -> Option<Timeline> {
    let key = date_key(metas)?;
    let days: Vec<Option<Day>> =
        metas.iter().map(|m| m.and_then(|m| m.get(&key)).and_then(|v| read(&key, v))).collect();
    let first = days.iter().flatten().min()?.to_owned();
    let last = days.iter().flatten().max()?.to_owned();
    let span = days_from_civil(last) - days_from_civil(first);
    let granularity = if span <= DAYS_BY_DAY {
        Granularity::Day
    } else if span <= DAYS_BY_MONTH {
        Granularity::Month
    } else {
        Granularity::Year
    };
    let name = |d: Day| match granularity {
        Granularity::Day => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
        Granularity::Month => format!("{:04}-{:02}", d.year, d.month),
        Granularity::Year => format!("{:04}", d.year),
    };
    let mut periods: Vec<String> = Vec::new();
    let filled = match granularity {
        Granularity::Day => (span + 1) as usize,
        Granularity::Month => {
            ((last.year - first.year) * 12 + last.month as i32 - first.month as i32 + 1) as usize
        }
        Granularity::Year => (last.year - first.year + 1) as usize,
    };
    if filled <= MAX_FILLED {
        let mut d = first;
        while d <= last {
            periods.push(name(d));
            d = match granularity {
                Granularity::Day => civil_from_days(days_from_civil(d) + 1),
                Granularity::Month if d.month == 12 => Day { year: d.year + 1, month: 1, day: 1 },
                Granularity::Month => Day { month: d.month + 1, day: 1, ..d },
                Granularity::Year => Day { year: d.year + 1, month: 1, day: 1 },
            };
        }
    } else {
        let mut present: Vec<String> = days.iter().flatten().map(|&d| name(d)).collect();
        present.sort();
        present.dedup();
        periods = present;
    }
    let of_document = days.iter().map(|d| d.and_then(|d| periods.binary_search(&name(d)).ok())).collect();
    Some(Timeline { key, granularity, periods, of_document })
}

/// The `meta` property whose values read as dates most often.
fn date_key(metas: &[Option<&serde_json::Map<String, Value>>]) -> Option<String> {
    let mut hits: Vec<(String, usize)> = Vec::new();
    for meta in metas.iter().flatten() {
        for (key, value) in meta.iter() {
            if read(key, value).is_some() {
                match hits.iter_mut().find(|(k, _)| k == key) {
                    Some((_, n)) => *n += 1,
                    None => hits.push((key.clone(), 1)),
                }
            }
        }
    }
    hits.into_iter()
        .max_by(|(ka, na), (kb, nb)| na.cmp(nb).then(date_like(ka).cmp(&date_like(kb))).then(kb.cmp(ka)))
        .map(|(k, _)| k)
}

fn date_like(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["date", "time", "created", "published", "posted", "updated"].iter().any(|w| k.contains(w))
}

/// The day `value` (the `meta` property `key`) stands for, if it reads as one.
pub fn read(key: &str, value: &Value) -> Option<Day> {
    match value {
        Value::String(s) => parse(s),
        Value::Number(n) if date_like(key) => {
            let n = n.as_f64()?;
            let seconds = if (1e8..1e11).contains(&n) {
                n
            } else if (1e11..1e14).contains(&n) {
                n / 1000.0
            } else {
                return None;
            };
            Some(civil_from_days((seconds / 86_400.0).floor() as i64))
        }
        _ => None,
    }
}

/// A date at the start of `s`: `YYYY-MM-DD` (or `/`, `.` separators, anything after it
/// that is not a digit), `YYYY-MM`, or `DD.MM.YYYY`.
pub fn parse(s: &str) -> Option<Day> {
    let s = s.trim();
    let (nums, seps, rest_ok) = split_numbers(s)?;
    let day = match (nums.as_slice(), seps.as_slice()) {
        ([(y, 4), (m, 1..=2), (d, 1..=2)], [a, b]) if a == b && matches!(a, '-' | '/' | '.') => (*y, *m, *d),
        ([(y, 4), (m, 1..=2)], ['-']) => (*y, *m, 1),
        ([(d, 1..=2), (m, 1..=2), (y, 4)], ['.', '.']) => (*y, *m, *d),
        _ => return None,
    };
    if !rest_ok {
        return None;
    }
    let (year, month, day) =
        (i32::try_from(day.0).ok()?, u32::try_from(day.1).ok()?, u32::try_from(day.2).ok()?);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || !(1000..=9999).contains(&year)
    {
        return None;
    }
    Some(Day { year, month, day })
}

/// Up to three leading numbers (value, digit count) and the separators between them, and
/// whether what follows may end a date (nothing, or `T`/space/`Z`/`+` and more).
fn split_numbers(s: &str) -> Option<(Vec<(u64, usize)>, Vec<char>, bool)> {
    let mut nums = Vec::new();
    let mut seps = Vec::new();
    let mut chars = s.char_indices().peekable();
    loop {
        let mut value: u64 = 0;
        let mut digits = 0;
        while let Some(&(_, c)) = chars.peek() {
            let Some(d) = c.to_digit(10) else { break };
            value = value.checked_mul(10)?.checked_add(d as u64)?;
            digits += 1;
            chars.next();
        }
        if digits == 0 {
            return None;
        }
        nums.push((value, digits));
        match chars.peek() {
            None => return Some((nums, seps, true)),
            Some(&(_, c)) if nums.len() < 3 && matches!(c, '-' | '/' | '.') => {
                seps.push(c);
                chars.next();
            }
            Some(&(_, c)) => return Some((nums, seps, matches!(c, 'T' | 't' | ' ' | 'Z' | '+'))),
        }
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01.
fn days_from_civil(d: Day) -> i64 {
    crate::calendar::days_from_civil(d.year, d.month, d.day)
}

/// The day `z` days after 1970-01-01.
fn civil_from_days(z: i64) -> Day {
    let (year, month, day) = crate::calendar::civil_from_days(z);
    Day { year, month, day }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(year: i32, month: u32, day: u32) -> Option<Day> {
        Some(Day { year, month, day })
    }

    #[test]
    fn reads_common_date_forms() {
        assert_eq!(parse("2025-03-14"), day(2025, 3, 14));
        assert_eq!(parse("2025-03-14T09:30:00Z"), day(2025, 3, 14));
        assert_eq!(parse("2025-3-4 09:30"), day(2025, 3, 4));
        assert_eq!(parse("2025/03/14"), day(2025, 3, 14));
        assert_eq!(parse("14.03.2025"), day(2025, 3, 14));
        assert_eq!(parse("2025-03"), day(2025, 3, 1));
        for bad in ["03/04/2025", "2025-13-01", "2025-02-30", "website", "12", "2025", "2025-03-14x", ""] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(parse("2024-02-29"), day(2024, 2, 29));
        assert_eq!(read("created", &json!(1_700_000_000)), day(2023, 11, 14));
        assert_eq!(read("created", &json!(1_700_000_000_000_u64)), day(2023, 11, 14));
        assert_eq!(read("stars", &json!(1_700_000_000)), None);
    }

    #[test]
    fn calendar_round_trips() {
        for z in [-800_000, -1, 0, 1, 11_016, 19_000, 20_000, 2_932_896] {
            assert_eq!(days_from_civil(civil_from_days(z)), z);
        }
        assert_eq!(civil_from_days(0), Day { year: 1970, month: 1, day: 1 });
    }

    #[test]
    fn picks_the_key_and_the_granularity() {
        let metas = [
            json!({"source": "app", "date": "2025-01-20"}),
            json!({"source": "web", "date": "2025-03-02"}),
            json!({"source": "web"}),
        ];
        let maps: Vec<_> = metas.iter().map(|m| m.as_object()).chain([None]).collect();
        let t = timeline(&maps).unwrap();
        assert_eq!(t.key, "date");
        assert_eq!(t.granularity, Granularity::Month);
        assert_eq!(t.periods, ["2025-01", "2025-02", "2025-03"]);
        assert_eq!(t.of_document, [Some(0), Some(2), None, None]);
        assert_eq!(t.dated(), 2);

        let short = [json!({"at": "2025-01-30"}), json!({"at": "2025-02-01"})];
        let maps: Vec<_> = short.iter().map(|m| m.as_object()).collect();
        let t = timeline(&maps).unwrap();
        assert_eq!(t.periods, ["2025-01-30", "2025-01-31", "2025-02-01"]);

        let long = [json!({"d": "1990-05-01"}), json!({"d": "2025-02-01"})];
        let maps: Vec<_> = long.iter().map(|m| m.as_object()).collect();
        assert_eq!(timeline(&maps).unwrap().periods.len(), 36);

        let none = [json!({"source": "app"})];
        assert_eq!(timeline(&[none[0].as_object()]), None);
    }
}
