//! Multi-line values: runs of neighbouring lines (an address over three lines, a company
//! name over two), and single lines for free text.
//!
//! Every run of up to [`FieldType::max_lines`] consecutive lines that are stacked (each
//! below the previous and overlapping it horizontally) is a candidate; the scorer decides
//! where a run starts and stops from what was learned about its first, last and
//! neighbouring lines.

use super::{Candidate, FieldType};
use crate::extract::layout::Line;

pub(super) fn spans(kind: FieldType, lines: &[Line]) -> Vec<Candidate> {
    let mut out = Vec::new();
    for first in 0..lines.len() {
        let mut words = Vec::new();
        let mut text = String::new();
        for n in 1..=kind.max_lines() {
            let i = first + n - 1;
            let Some(line) = lines.get(i) else { break };
            if n > 1 && !stacked(&lines[i - 1], line) {
                break;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&line.text);
            words.extend_from_slice(&line.words);
            if !line.text.chars().any(char::is_alphanumeric) {
                continue;
            }
            let Some(value) = kind.convert(&text) else { continue };
            // Conversions cut words off the ends (a label before, a registration number or a
            // phone after): the boxes keep the words the value is made of.
            let first_word = value.split_whitespace().next().unwrap_or("");
            let front = text.split_whitespace().position(|w| w == first_word).unwrap_or(0).min(words.len());
            let kept = value.split_whitespace().count().min(words.len() - front);
            out.push(Candidate {
                line: first,
                lines: n,
                start: 0,
                end: lines[first].text.len(),
                words: words[front..front + kept].to_vec(),
                text: text.clone(),
                value,
                conversion_passed: true,
            });
        }
    }
    out
}

/// A company's name without what is printed around it on its lines: a label before it
/// (`OWNED BY: ACME SDN BHD`), the registration number after it (`ACME SDN BHD (524463-X)`,
/// `ACME S/B 273500-U (KSB)`: the number is another field). OCR slips in its legal form are
/// repaired ([`super::legal_form`]). A run that starts inside a name (`CO. (M) SDN BHD`,
/// `ALAM) SDN BHD`: its first line continues the line above) is no name.
pub(super) fn company_name(text: &str) -> Option<String> {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    // A label ends in a colon within the first three words; a name holds no colon.
    if let Some(colon) = words.iter().take(3).position(|w| w.ends_with(':')) {
        words.drain(..=colon);
    }
    if let Some(number) = words.iter().skip(1).position(|w| registration_number(w)) {
        words.truncate(number + 1);
    }
    let joined = words.join(" ");
    let name = match joined.rfind('(') {
        Some(open)
            if joined[open..].bytes().any(|b| b.is_ascii_digit())
                && !joined[open..].trim_end_matches(')').contains(')') =>
        {
            joined[..open].trim_end()
        }
        _ => joined.as_str(),
    };
    let letters = name.chars().filter(|c| c.is_alphabetic()).count();
    let usable = letters >= 2 && !boilerplate(name) && !opens_inside_a_name(name);
    usable.then(|| super::legal_form::repair(name))
}

/// A company registration number as printed after a name: four or more digits, a hyphen
/// and a check letter (`273500-U`, `(417940-M),`).
fn registration_number(word: &str) -> bool {
    let core = word.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | '.' | ';'));
    let Some((digits, check)) = core.split_once('-') else { return false };
    digits.len() >= 4
        && digits.bytes().all(|b| b.is_ascii_digit())
        && check.len() == 1
        && check.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Text that begins in the middle of a name: with a legal form (`SDN BHD`, `CO. (M) BHD`),
/// which ends a name and never opens one, or with a closing bracket whose opening one is on
/// a line above (`ALAM) SDN BHD`).
fn opens_inside_a_name(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or("");
    let unopened = text.find(')').is_some_and(|close| !text[..close].contains('('));
    super::legal_form::is_form_word(first) || unopened
}

/// A line every receipt or invoice may print that names no one: the document's title
/// (`TAX INVOICE`, `CASH SALE`, `OFFICIAL RECEIPT`) or a courtesy line (`THANK YOU. PLEASE
/// COME AGAIN`). Such a line is never a company's name, whatever else is near it.
fn boilerplate(text: &str) -> bool {
    const WORDS: [&str; 17] = [
        "tax",
        "invoice",
        "receipt",
        "cash",
        "sale",
        "sales",
        "bill",
        "official",
        "simplified",
        "copy",
        "original",
        "thank",
        "thanks",
        "you",
        "please",
        "come",
        "again",
    ];
    let mut words = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).peekable();
    words.peek().is_some() && words.all(|w| WORDS.contains(&w.to_lowercase().as_str()))
}

/// An address without what is printed around it on the same lines: a registration number
/// in parentheses before it (`(1097826-F) 95, BEACH ROAD`), a phone or fax label and all
/// after it (`... SELANGOR. Tel: 03- 5542 Fax:03- 5543`), a phone number at the end of its
/// last line (`... 40150 SHAH ALAM 03-78459183`).
pub(super) fn address(text: &str) -> Option<String> {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    let phone_chars = |w: &str| w.bytes().all(|b| b.is_ascii_digit() || b"-+()./".contains(&b));
    let digits = |w: &str| w.bytes().filter(u8::is_ascii_digit).count();
    const LABELS: [&str; 10] =
        ["tel", "phone", "fax", "telefon", "tél", "hp", "mobile", "whatsapp", "email", "e-mail"];
    // "Tel", "Tel:", "Tel." and, as OCR engines often read it without the gap, a label
    // glued to its number ("TEL03-55250588"); any tax registration label ("GST", "GSTNO:");
    // the one-letter labels of a contact line ("T:", "F:", "E:"); an e-mail address or a
    // web address, which an address never holds.
    let label = |w: &str| {
        let w = w.to_lowercase();
        w.starts_with("gst")
            || matches!(w.as_str(), "t:" | "f:" | "e:")
            || w.contains('@')
            || w.starts_with("http")
            || w.starts_with("www.")
            || LABELS.iter().any(|l| {
                w.strip_prefix(l).is_some_and(|rest| {
                    rest.is_empty()
                        || rest.starts_with(':')
                        || rest == "."
                        || rest.starts_with(|c: char| c.is_ascii_digit() || c == '+')
                })
            })
    };
    // A label followed by more words ("Tel: 03-...", "Fax:03-"): the rest is not address.
    if let Some(at) = words.iter().skip(1).position(|w| label(w)).map(|p| p + 1) {
        words.truncate(at);
    }
    let registration = |w: &str| w.starts_with('(') && w.ends_with(')') && digits(w) >= 4;
    while words.len() > 1 && registration(words[0]) {
        words.remove(0);
    }
    while let Some(&last) = words.last() {
        let n = words.len();
        // "03-78459183", or "03-8060 4233" split over two words.
        let dashed = |w: &str| digits(w) >= 2 && phone_chars(w) && w.contains('-');
        if label(last) || (n > 1 && dashed(last)) {
            words.pop();
        } else if n > 2 && digits(last) >= 3 && phone_chars(last) && dashed(words[n - 2]) {
            words.truncate(n - 2);
        } else {
            break;
        }
    }
    let joined = words.join(" ");
    (joined.chars().any(char::is_alphanumeric)).then_some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_and_address_conversions() {
        assert_eq!(company_name("ACME SDN BHD (524463-X)").as_deref(), Some("ACME SDN BHD"));
        // A document title, a courtesy line or a lone letter names no company.
        assert_eq!(company_name("TAX INVOICE"), None);
        assert_eq!(company_name("THANK YOU. PLEASE COME AGAIN."), None);
        assert_eq!(company_name("P"), None);
        assert_eq!(company_name("CASH & CARRY SDN BHD").as_deref(), Some("CASH & CARRY SDN BHD"));
        assert_eq!(company_name("BROADVIEW SDN BHD(728384-M)").as_deref(), Some("BROADVIEW SDN BHD"));
        assert_eq!(
            company_name("GARDENIA BAKERIES (KL) SDN BHD").as_deref(),
            Some("GARDENIA BAKERIES (KL) SDN BHD")
        );
        // A label before the name and a registration number after it are not the name.
        assert_eq!(company_name("OWN BY: CHEF LEE SDN BHD").as_deref(), Some("CHEF LEE SDN BHD"));
        assert_eq!(company_name("ACME S/B 273500-U (KSB)").as_deref(), Some("ACME S/B"));
        assert_eq!(company_name("URBAN IDEA SDN BHD (417940-M),").as_deref(), Some("URBAN IDEA SDN BHD"));
        assert_eq!(company_name("AMPANG 210 PARKING").as_deref(), Some("AMPANG 210 PARKING"));
        // A run that starts inside a name: its legal form, or a bracket opened above.
        assert_eq!(company_name("CO. (M) SDN BHD"), None);
        assert_eq!(company_name("SDN. BHD."), None);
        assert_eq!(company_name("ALAM) SDN BHD"), None);
        assert_eq!(company_name("COSWAY (M) SDN BHD").as_deref(), Some("COSWAY (M) SDN BHD"));
        assert_eq!(
            address("40150 SHAH ALAM, SELANGOR 03-78459183").as_deref(),
            Some("40150 SHAH ALAM, SELANGOR")
        );
        assert_eq!(address("TAMAN HIJAU, PHONE:").as_deref(), Some("TAMAN HIJAU,"));
        assert_eq!(
            address("47100 PUCHONG, SELANGOR 03-8060 4233").as_deref(),
            Some("47100 PUCHONG, SELANGOR")
        );
        assert_eq!(address("NO 43-45-47G, TAMAN SEJATI").as_deref(), Some("NO 43-45-47G, TAMAN SEJATI"));
        assert_eq!(
            address("Lot 3, Jalan Pelabur 23/1, 40300 Shah Alam. Tel: 03- 55423228 Fax:03- 55423213")
                .as_deref(),
            Some("Lot 3, Jalan Pelabur 23/1, 40300 Shah Alam.")
        );
        assert_eq!(
            address("(1097826-F) 95, Beach Road, 10300 Penang.").as_deref(),
            Some("95, Beach Road, 10300 Penang.")
        );
        // Labels glued to their number, and a tax registration label, end the address too.
        assert_eq!(
            address("40000 SHAH ALAM. SELANGOR TEL03-55250588").as_deref(),
            Some("40000 SHAH ALAM. SELANGOR")
        );
        assert_eq!(
            address("47800 PETALING JAYA GSTNO:001406865408)").as_deref(),
            Some("47800 PETALING JAYA")
        );
        // Contact lines after the address: one-letter labels, e-mail and web addresses.
        assert_eq!(
            address("DAMANSARA HEIGHTS 50490, KUALA LUMPUR T: 03-2093 7358 | F:").as_deref(),
            Some("DAMANSARA HEIGHTS 50490, KUALA LUMPUR")
        );
        assert_eq!(
            address("BATANG KALI, 44300 03-60570314 SHOP@MAIL.COM").as_deref(),
            Some("BATANG KALI, 44300")
        );
        assert_eq!(address("SHAH ALAM,40150 HTTP://WWW.SHOP.COM.MY").as_deref(), Some("SHAH ALAM,40150"));
        assert_eq!(
            address("41200 KLANG, SELANGOR D.E. WHATSAPP : +6012-5060668 WWW.SHOP.COM").as_deref(),
            Some("41200 KLANG, SELANGOR D.E.")
        );
        // Place names that begin like a label stay, and so does a lone "(M)".
        assert_eq!(
            address("Jalan Telok Gong, Faxton (M) 42000").as_deref(),
            Some("Jalan Telok Gong, Faxton (M) 42000")
        );
    }
}

/// Whether `next` continues `prev` downwards: on a later row, not far below, overlapping
/// horizontally.
fn stacked(prev: &Line, next: &Line) -> bool {
    let h = prev.bbox.height().max(1.0);
    let gap = next.bbox.y0 - prev.bbox.y1;
    let overlap = prev.bbox.x1.min(next.bbox.x1) - prev.bbox.x0.max(next.bbox.x0);
    next.row > prev.row && gap < 1.5 * h && overlap > 0.0
}
