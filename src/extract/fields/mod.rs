//! Candidate values by type: every place on a page where a value of a field's type could
//! be, with the value converted to its canonical form.
//!
//! Finding is deliberately generous (every date, every amount, every run of lines for an
//! address): deciding which candidate *is* the field is the scorer's job
//! ([`crate::extract::score`]), with anchors, layout and what was learned.

mod amount;
mod date;
mod ident;
mod legal_form;
mod text;

pub use amount::{parse_amount, parse_currency};
pub use date::parse_date;
pub use ident::{compact_iban, iban_checksum_ok};

use crate::extract::layout::Line;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The type of a field's value: decides how candidates are found and converted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Free text on one line.
    Text,
    /// A calendar date, converted to ISO 8601 (`2018-01-25`).
    Date,
    /// A money amount, converted to a plain decimal (`1234.50`).
    Amount,
    /// A currency, converted to its ISO 4217 code.
    Currency,
    /// A whole number.
    Integer,
    /// An IBAN, converted to its compact form; conversion fails when the checksum does.
    Iban,
    Email,
    /// A phone number, converted to `+` and digits.
    Phone,
    /// A VAT identification number, converted to its compact upper-case form.
    VatId,
    /// A postal address over one or more neighbouring lines, joined with spaces.
    Address,
    /// A company name over one or two neighbouring lines.
    Company,
    /// A document number (invoice or order number): a token holding digits.
    Identifier,
}

impl FieldType {
    /// Parses the manifest's type name, listing the valid ones when it is unknown.
    pub fn parse(name: &str) -> Result<FieldType> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|_| {
            Error::invalid_argument(format!(
                "unknown field type {name:?}; expected one of text, date, amount, currency, integer, iban, email, phone, vat_id, address, company, identifier"
            ))
        })
    }

    /// How many neighbouring lines one value may span.
    pub fn max_lines(self) -> usize {
        match self {
            FieldType::Address => 6,
            FieldType::Company => 3,
            _ => 1,
        }
    }

    /// Converts text as read into the canonical value; `None` when it cannot be.
    pub fn convert(self, text: &str) -> Option<String> {
        match self {
            FieldType::Date => parse_date(text),
            FieldType::Amount => parse_amount(text),
            FieldType::Currency => parse_currency(text).map(str::to_string),
            FieldType::Iban => ident::convert_iban(text),
            FieldType::Phone => ident::convert_phone(text),
            FieldType::VatId => ident::convert_vat(text),
            FieldType::Integer => ident::convert_integer(text),
            FieldType::Email => ident::convert_email(text),
            FieldType::Company => text::company_name(text),
            FieldType::Address => text::address(text),
            FieldType::Text | FieldType::Identifier => {
                let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
                (!joined.is_empty()).then_some(joined)
            }
        }
    }
}

/// One possible value: where it is (a byte range of one line, or whole lines) and what it
/// converts to.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The first line it is on (index into the page's lines).
    pub line: usize,
    /// How many consecutive lines it covers (1 for values found inside a line).
    pub lines: usize,
    /// Byte range within the first line's text (the whole line for multi-line values).
    pub start: usize,
    pub end: usize,
    /// Indices of the page words it is made of.
    pub words: Vec<usize>,
    /// The text as read.
    pub text: String,
    /// The converted value, or the text when conversion failed.
    pub value: String,
    pub conversion_passed: bool,
}

/// Every candidate of `kind` on a page's lines, in reading order.
pub fn candidates(kind: FieldType, lines: &[Line]) -> Vec<Candidate> {
    match kind {
        FieldType::Text | FieldType::Address | FieldType::Company => text::spans(kind, lines),
        _ => {
            let mut out = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                for (start, end) in matches(kind, &line.text) {
                    let text = line.text[start..end].to_string();
                    let (value, conversion_passed) = match kind.convert(&text) {
                        Some(v) => (v, true),
                        None => (text.clone(), false),
                    };
                    let words = line.words_in(start, end);
                    out.push(Candidate {
                        line: i,
                        lines: 1,
                        start,
                        end,
                        words,
                        text,
                        value,
                        conversion_passed,
                    });
                }
            }
            out
        }
    }
}

/// Byte ranges in one line's text that look like a value of `kind`.
fn matches(kind: FieldType, text: &str) -> Vec<(usize, usize)> {
    match kind {
        FieldType::Date => date::find(text),
        FieldType::Amount => amount::find_amounts(text),
        FieldType::Currency => amount::find_currencies(text),
        _ => ident::find(kind, text),
    }
}

/// Text compared as the evaluation does: upper case, no spaces.
pub fn comparable(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect()
}

/// Whether a found value equals an expected answer for `kind`: dates as dates, amounts as
/// numbers, the rest with case and spacing ignored.
pub fn same_value(kind: FieldType, found: &str, expected: &str) -> bool {
    match kind {
        FieldType::Date | FieldType::Amount | FieldType::Currency => {
            match (kind.convert(found), kind.convert(expected)) {
                (Some(a), Some(b)) if kind == FieldType::Amount => a
                    .parse::<f64>()
                    .ok()
                    .zip(b.parse::<f64>().ok())
                    .is_some_and(|(x, y)| (x - y).abs() < 0.005),
                (Some(a), Some(b)) => a == b,
                _ => comparable(found) == comparable(expected),
            }
        }
        _ => comparable(found) == comparable(expected),
    }
}
