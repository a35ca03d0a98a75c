//! Identifiers: IBANs (checked with their mod-97 checksum), e-mail addresses, phone
//! numbers, VAT ids, whole numbers and document numbers.

use super::FieldType;
use regex::Regex;
use std::sync::OnceLock;

struct Patterns {
    iban: Regex,
    email: Regex,
    phone: Regex,
    vat: Regex,
    integer: Regex,
    identifier: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    // Constant patterns: a compile failure is a bug every test catches.
    P.get_or_init(|| Patterns {
        iban: Regex::new(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b").expect("iban pattern"),
        email: Regex::new(r"(?i)\b[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}\b").expect("email pattern"),
        phone: Regex::new(r"(?:\+|\b)\d[\d ()\-./]{5,18}\d\b").expect("phone pattern"),
        vat: Regex::new(r"\b(?:ATU\d{8}|BE ?0?\d{3}[ .]?\d{3}[ .]?\d{3}|DE ?\d{9}|FR ?[A-Z0-9]{2} ?\d{9}|NL ?\d{9} ?B ?\d{2}|PL ?\d{10}|GB ?\d{3} ?\d{4} ?\d{2}|[A-Z]{2}\d{8,12})\b").expect("vat pattern"),
        integer: Regex::new(r"(?:^|[^\d.,])(\d{1,15})(?:$|[^\d.,])").expect("integer pattern"),
        identifier: Regex::new(r"(?:^|[\s:#])([A-Za-z0-9][A-Za-z0-9\-/._]{1,30}[A-Za-z0-9])").expect("identifier pattern"),
    })
}

/// Byte ranges of values of `kind` in `text`.
pub(super) fn find(kind: FieldType, text: &str) -> Vec<(usize, usize)> {
    let p = patterns();
    let whole =
        |re: &Regex| -> Vec<(usize, usize)> { re.find_iter(text).map(|m| (m.start(), m.end())).collect() };
    let group = |re: &Regex| -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(c) = re.captures_at(text, at) {
            let Some(m) = c.get(1) else { break };
            at = m.end();
            out.push((m.start(), m.end()));
        }
        out
    };
    match kind {
        FieldType::Iban => whole(&p.iban),
        FieldType::Email => whole(&p.email),
        FieldType::Phone => {
            let all: Vec<(usize, usize)> = whole(&p.phone);
            all.into_iter().filter(|&(s, e)| convert_phone(&text[s..e]).is_some()).collect()
        }
        FieldType::VatId => whole(&p.vat),
        FieldType::Integer => group(&p.integer),
        FieldType::Identifier => group(&p.identifier)
            .into_iter()
            .filter(|&(s, e)| text[s..e].bytes().any(|b| b.is_ascii_digit()))
            .collect(),
        _ => Vec::new(),
    }
}

/// An IBAN without spaces, upper case.
pub fn compact_iban(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// The ISO 13616 mod-97 check: move the first four characters to the end, letters to
/// numbers (A = 10), and the remainder by 97 must be 1.
pub fn iban_checksum_ok(compact: &str) -> bool {
    if !(15..=34).contains(&compact.len()) || !compact.is_ascii() {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut rem: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let v = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        rem = if v < 10 { (rem * 10 + v) % 97 } else { (rem * 100 + v) % 97 };
    }
    rem == 1
}

pub(super) fn convert_iban(text: &str) -> Option<String> {
    let c = compact_iban(text);
    iban_checksum_ok(&c).then_some(c)
}

/// `+` (when written as `+` or `00`) and the digits; 7 to 15 digits as E.164 allows.
pub(super) fn convert_phone(text: &str) -> Option<String> {
    let t = text.trim();
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let (plus, digits) = if t.starts_with('+') {
        ("+", digits.as_str())
    } else if let Some(rest) = digits.strip_prefix("00") {
        ("+", rest)
    } else {
        ("", digits.as_str())
    };
    ((7..=15).contains(&digits.len())).then(|| format!("{plus}{digits}"))
}

pub(super) fn convert_vat(text: &str) -> Option<String> {
    let c: String =
        text.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    let ok = c.len() >= 8
        && c.len() <= 14
        && c[..2].bytes().all(|b| b.is_ascii_uppercase())
        && c[2..].bytes().any(|b| b.is_ascii_digit());
    ok.then_some(c)
}

pub(super) fn convert_integer(text: &str) -> Option<String> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    t.parse::<u64>().ok().map(|n| n.to_string())
}

pub(super) fn convert_email(text: &str) -> Option<String> {
    let t = text.trim().to_lowercase();
    patterns().email.is_match(&t).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_checksum() {
        assert_eq!(convert_iban("DE89 3704 0044 0532 0130 00").as_deref(), Some("DE89370400440532013000"));
        assert_eq!(convert_iban("GB82 WEST 1234 5698 7654 32").as_deref(), Some("GB82WEST12345698765432"));
        assert_eq!(
            convert_iban("PL61 1090 1014 0000 0712 1981 2874").as_deref(),
            Some("PL61109010140000071219812874")
        );
        assert_eq!(convert_iban("DE89 3704 0044 0532 0130 01"), None);
        let line = "IBAN: NL91 ABNA 0417 1643 00 BIC ABNANL2A";
        let found = find(FieldType::Iban, line);
        assert_eq!(&line[found[0].0..found[0].1], "NL91 ABNA 0417 1643 00");
    }

    #[test]
    fn phones_vat_email_numbers() {
        assert_eq!(convert_phone("+49 (0)30 1234-567").as_deref(), Some("+490301234567"));
        assert_eq!(convert_phone("0049 30 123456").as_deref(), Some("+4930123456"));
        assert_eq!(convert_phone("12"), None);
        assert_eq!(convert_vat("DE 123 456 789"), Some("DE123456789".into()));
        assert_eq!(convert_email(" Billing@Example.COM").as_deref(), Some("billing@example.com"));
        let line = "USt-IdNr.: DE123456789 Rechnung Nr. RE-2024/0042";
        let vat = find(FieldType::VatId, line);
        assert_eq!(&line[vat[0].0..vat[0].1], "DE123456789");
        let ids: Vec<&str> = find(FieldType::Identifier, line).iter().map(|r| &line[r.0..r.1]).collect();
        assert!(ids.contains(&"RE-2024/0042"), "{ids:?}");
        let ints: Vec<&str> = find(FieldType::Integer, "qty 3 at 4.50 x 12")
            .iter()
            .map(|&(s, e)| &"qty 3 at 4.50 x 12"[s..e])
            .collect();
        assert_eq!(ints, ["3", "12"]);
    }
}
