//! The extraction report page: summary numbers, each field's found / needs-review /
//! missing counts, each document's fields and annotated pages, and a filterable table.
//!
//! Chart rectangles carry `data-field`, `data-status` (`found`, `needs review`, `missing`)
//! and `data-count`: the number of documents, as counted by [`Extraction`].

use std::fmt::Write;

use super::extraction::{Doc, Extraction, Status};
use super::html::{self, Esc, Filter, Row};
use super::svg::{self, Bar, Part};

const FOUND: &str = "#2f9e63";
const REVIEW: &str = "#e0a33b";
const MISSING: &str = "#d64550";
/// Field box colours on page sketches, by field in turn.
const PALETTE: [&str; 8] =
    ["#3559c7", "#e07b39", "#2a9d8f", "#8e5cc4", "#c94f7c", "#6a994e", "#b08d1a", "#4c8dd6"];

fn color(status: Status) -> &'static str {
    match status {
        Status::Found => FOUND,
        Status::Review => REVIEW,
        Status::Missing => MISSING,
    }
}

/// The extraction report of `x` as a whole HTML page.
pub fn page(x: &Extraction) -> String {
    let mut body = String::new();
    let pages: usize = x.documents.iter().map(|d| d.credits).sum();
    html::header(
        &mut body,
        "Extraction report",
        x.model,
        &format!("{} documents, {pages} pages, {} to check", x.documents.len(), x.pending()),
    );
    html::stats(
        &mut body,
        &[
            ("documents", "documents", x.documents.len().to_string()),
            ("pages", "pages", pages.to_string()),
            ("pending", "documents to check", x.pending().to_string()),
            ("found", "fields found", x.total(Status::Found).to_string()),
            ("review", "fields to review", x.total(Status::Review).to_string()),
            ("missing", "fields missing", x.total(Status::Missing).to_string()),
        ],
    );

    body.push_str("<h2>Fields</h2>\n");
    let entries: Vec<_> = Status::ALL.iter().map(|&s| (s.as_str().to_string(), color(s))).collect();
    svg::legend(&mut body, &entries);
    let rows: Vec<Bar> = x
        .fields
        .iter()
        .zip(&x.counts)
        .map(|(field, counts)| Bar {
            name: field.to_string(),
            parts: Status::ALL
                .iter()
                .map(|&s| Part {
                    attrs: vec![("field", field.to_string()), ("status", s.as_str().to_string())],
                    count: counts[s as usize],
                    color: color(s),
                    title: format!("{field}: {} in {} documents", s.as_str(), counts[s as usize]),
                })
                .collect(),
        })
        .collect();
    svg::bars(&mut body, "fields", &rows, 900.0, 170.0);

    body.push_str("<h2>Documents</h2>\n");
    for doc in &x.documents {
        document(&mut body, x, doc);
    }

    body.push_str("<h2>All fields</h2>\n");
    let filters = [
        Filter { attr: "field", label: "Field", values: x.fields.iter().map(|f| f.to_string()).collect() },
        Filter {
            attr: "status",
            label: "Status",
            values: Status::ALL.iter().map(|s| s.as_str().to_string()).collect(),
        },
    ];
    let rows: Vec<Row> = x
        .documents
        .iter()
        .flat_map(|d| d.fields.iter().map(move |f| (d, f)))
        .map(|(d, f)| Row {
            filters: vec![("field", f.label.to_string()), ("status", f.status.as_str().to_string())],
            cells: vec![
                Esc(&d.name).to_string(),
                Esc(f.label).to_string(),
                html::pill(f.status.as_str(), color(f.status)),
                Esc(f.value.unwrap_or("–")).to_string(),
                html::percent(f.confidence),
                f.page.map_or_else(|| "–".into(), |p| (p + 1).to_string()),
            ],
        })
        .collect();
    let total = rows.len();
    html::table(
        &mut body,
        &["Document", "Field", "Status", "Value", "Confidence", "Page"],
        &filters,
        &rows,
        total,
        "fields",
    );
    html::page(&format!("{} – extraction report", x.model), &body)
}

/// One document: its verdict, its fields, and its pages.
fn document(out: &mut String, x: &Extraction, doc: &Doc) {
    let (verdict, verdict_color) = match doc.hitl {
        "pending" => ("to check", REVIEW),
        "not_required" => ("complete", FOUND),
        other => (other, "#98a3b3"),
    };
    let _ = write!(
        out,
        "<section class=\"card\" data-document=\"{}\"><div class=\"card-head\"><h3>{}</h3>{}<span class=\"count\">{} page(s)</span></div>\n",
        Esc(&doc.name),
        Esc(&doc.name),
        if verdict.is_empty() { String::new() } else { html::pill(verdict, verdict_color) },
        doc.credits
    );
    out.push_str(
        "<div class=\"scroll\" style=\"max-height:none\"><table><thead><tr><th>Field</th><th>Status</th><th>Value</th>\
         <th>Read as</th><th>Confidence</th><th>Threshold</th><th>Page</th></tr></thead><tbody>",
    );
    for f in &doc.fields {
        let required = if f.required == Some(true) { " <span class=\"id\">required</span>" } else { "" };
        let _ = write!(
            out,
            "<tr><td>{}{required}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            Esc(f.label),
            html::pill(f.status.as_str(), color(f.status)),
            Esc(f.value.unwrap_or("–")),
            Esc(f.text.unwrap_or("–")),
            html::percent(f.confidence),
            f.expected.map_or_else(|| "–".into(), |e| format!("{e:.0}%")),
            f.page.map_or_else(|| "–".into(), |p| (p + 1).to_string()),
        );
    }
    out.push_str("</tbody></table></div>\n<div class=\"pages\">");
    for (p, page) in doc.pages.iter().enumerate() {
        out.push_str("<figure>");
        match page.image {
            Some(b64) => {
                let _ = write!(out, "<img alt=\"page {}\" src=\"data:image/png;base64,{b64}\">", p + 1);
            }
            None if !page.boxes.is_empty() => sketch(out, x, &page.boxes),
            None => {
                out.push_str("</figure>");
                continue;
            }
        }
        let what = if page.image.is_some() { "" } else { " (field boxes; --annotated-pages adds the image)" };
        let _ = write!(out, "<figcaption>Page {}{what}</figcaption></figure>", p + 1);
    }
    out.push_str("</div></section>\n");
}

/// A page without its image: the field boxes on a blank A4 page, each labelled.
fn sketch(out: &mut String, x: &Extraction, boxes: &[(&str, &str, [f64; 4])]) {
    let (w, h) = (210.0, 297.0);
    let _ = write!(out, "<svg class=\"sketch\" viewBox=\"0 0 {w} {h}\" role=\"img\">");
    let mut labelled: Vec<&str> = Vec::new();
    for (label, text, [x0, y0, x1, y1]) in boxes {
        let i = x.fields.iter().position(|f| f == label).unwrap_or(0);
        let c = PALETTE[i % PALETTE.len()];
        let _ = write!(
            out,
            "<rect data-field=\"{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{c}\" fill-opacity=\"0.18\" stroke=\"{c}\" stroke-width=\"0.6\"><title>{}: {}</title></rect>",
            Esc(label),
            x0 * w,
            y0 * h,
            ((x1 - x0) * w).max(0.5),
            ((y1 - y0) * h).max(0.5),
            Esc(label),
            Esc(text)
        );
        if !labelled.contains(label) {
            labelled.push(label);
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" style=\"font-size:6px;fill:{c}\">{}</text>",
                x0 * w,
                (y0 * h - 1.5).max(6.0),
                Esc(label)
            );
        }
    }
    out.push_str("</svg>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_chart_carries_the_counts_and_text_is_escaped() {
        let v = json!({"model": "inv<oices>", "documents": [{
            "name": "<b>a.pdf</b>", "credits_used": 1,
            "matches": [{"label": "date", "value": "</td><script>x()</script>", "text": "t", "confidence": 0.9,
                         "page": 0, "required": true, "threshold_met": false, "conversion_passed": true}],
            "bboxes": [[[{"TLx": 0.1, "TLy": 0.1, "TRx": 0.2, "TRy": 0.1, "BRx": 0.2, "BRy": 0.12,
                          "BLx": 0.1, "BLy": 0.12, "text": "<i>", "label": "date", "confidence": 0.9}]]],
            "hitl": {"status": "pending", "result": [{"confidences": [
                {"label": "date", "value": "x", "expected_confidence": 95.0, "found": 90.0},
                {"label": "total", "value": null, "expected_confidence": 70.0, "found": 0.0}]}]}}]});
        let html = page(&Extraction::from_value(&v).unwrap());
        assert!(html.contains("data-field=\"date\" data-status=\"needs review\" data-count=\"1\""));
        assert!(html.contains("data-field=\"total\" data-status=\"missing\" data-count=\"1\""));
        assert!(html.contains("data-field=\"total\" data-status=\"found\" data-count=\"0\""));
        assert!(!html.contains("<script>x()") && !html.contains("<b>a.pdf") && !html.contains("<i>"));
        assert!(html.contains("&lt;/td&gt;&lt;script&gt;"));
        assert!(html.contains("class=\"sketch\""), "a page without image is sketched from its boxes");
    }
}
