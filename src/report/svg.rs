//! Inline SVG charts: horizontal (stacked) bars of counts and 100% columns of shares.
//!
//! Each drawn rectangle carries its number in `data-count` (and what it counts in the other
//! `data-*` attributes the caller gives), so a test can read the chart back and compare it
//! with the input. Names are escaped like all text ([`Esc`]); colours are the report's own.

use std::fmt::Write;

use super::html::Esc;

/// One piece of a bar: a count, its colour, its `data-*` attributes and its tooltip.
pub struct Part {
    pub attrs: Vec<(&'static str, String)>,
    pub count: usize,
    pub color: &'static str,
    pub title: String,
}

/// One bar (a row of the bar chart, a column of the share chart): a name and its pieces.
pub struct Bar {
    pub name: String,
    pub parts: Vec<Part>,
}

const WIDTH: f64 = 720.0;
const ROW: f64 = 26.0;
const THICK: f64 = 17.0;
/// Longest row name drawn in full; longer ones are cut with an ellipsis (the tooltip has all).
const NAME_CHARS: usize = 22;

/// Horizontal bars, one row per [`Bar`], its parts stacked left to right; `width` is the
/// drawing's width in pixels (the page scales it down on narrow screens), `label` the width
/// of the name column. All rows share one scale, the largest total.
pub fn bars(out: &mut String, chart: &str, rows: &[Bar], width: f64, label: f64) {
    let width = if width > 0.0 { width } else { WIDTH };
    let max = rows.iter().map(total).max().unwrap_or(0).max(1) as f64;
    let area = (width - label - 48.0).max(40.0);
    let height = ROW * rows.len() as f64 + 6.0;
    let _ = write!(
        out,
        "<svg class=\"chart\" data-chart=\"{}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\">",
        Esc(chart)
    );
    for (i, row) in rows.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let mid = y + THICK / 2.0 + 4.0;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{mid:.1}\" text-anchor=\"end\"><title>{}</title>{}</text>",
            label - 10.0,
            Esc(&row.name),
            Esc(&shorten(&row.name, NAME_CHARS))
        );
        let _ = write!(
            out,
            "<rect x=\"{label}\" y=\"{y:.1}\" width=\"{area:.1}\" height=\"{THICK}\" rx=\"3\" fill=\"#f0f2f6\"/>"
        );
        let mut x = label;
        for part in &row.parts {
            let w = area * part.count as f64 / max;
            rect(out, x, y, w, THICK, part);
            if w >= 9.0 * digits(part.count) as f64 + 6.0 {
                let _ = write!(
                    out,
                    "<text class=\"in\" x=\"{:.1}\" y=\"{mid:.1}\" text-anchor=\"middle\">{}</text>",
                    x + w / 2.0,
                    part.count
                );
            }
            x += w;
        }
        let _ = write!(out, "<text class=\"dim\" x=\"{:.1}\" y=\"{mid:.1}\">{}</text>", x + 6.0, total(row));
    }
    out.push_str("</svg>\n");
}

/// Columns of shares, one per [`Bar`] (a period), each part's height its share of the
/// column's total: every non-empty column reaches 100%. Column names are the x-axis labels,
/// thinned out when there are many.
pub fn shares(out: &mut String, chart: &str, columns: &[Bar], width: f64) {
    let (left, bottom, top, plot_h) = (34.0, 22.0, 8.0, 120.0);
    let n = columns.len().max(1) as f64;
    // Label every k-th column so that labels (about 7 px a character) do not overlap.
    let longest = columns.iter().map(|c| c.name.chars().count()).max().unwrap_or(1) as f64;
    let label_px = longest * 7.0 + 8.0;
    let step = ((width - left - 6.0) / n).clamp(4.0, label_px.max(28.0));
    let every = (label_px / step).ceil().max(1.0) as usize;
    // Labels start at their column; the last one may reach past the plot.
    let right = if every == 1 { 6.0 } else { (label_px - step).max(6.0) };
    let width = left + step * n + right;
    let height = top + plot_h + bottom;
    let _ = write!(
        out,
        "<svg class=\"chart\" data-chart=\"{}\" viewBox=\"0 0 {width:.1} {height}\" width=\"{width:.1}\" height=\"{height}\" role=\"img\">",
        Esc(chart)
    );
    for (frac, name) in [(0.0, "0%"), (0.5, "50%"), (1.0, "100%")] {
        let y = top + plot_h * (1.0 - frac);
        let _ = write!(
            out,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e3e7ee\"/>\
             <text class=\"dim\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{name}</text>",
            left + step * n,
            left - 4.0,
            y + 4.0
        );
    }
    let gap = if step > 8.0 { 2.0 } else { 0.5 };
    for (i, col) in columns.iter().enumerate() {
        let x = left + step * i as f64 + gap / 2.0;
        let sum = total(col);
        let mut y = top + plot_h;
        for part in &col.parts {
            let h = if sum == 0 { 0.0 } else { plot_h * part.count as f64 / sum as f64 };
            y -= h;
            rect(out, x, y, step - gap, h, part);
        }
        if i % every == 0 {
            let _ = write!(
                out,
                "<text class=\"dim\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{}\">{}</text>",
                if every == 1 { x + (step - gap) / 2.0 } else { x },
                top + plot_h + 15.0,
                if every == 1 { "middle" } else { "start" },
                Esc(&col.name)
            );
        }
    }
    out.push_str("</svg>\n");
}

/// A legend: a coloured square and a name per entry.
pub fn legend(out: &mut String, entries: &[(String, &'static str)]) {
    out.push_str("<div class=\"legend\">");
    for (name, color) in entries {
        let _ = write!(out, "<span><i style=\"background:{color}\"></i>{}</span>", Esc(name));
    }
    out.push_str("</div>\n");
}

fn rect(out: &mut String, x: f64, y: f64, w: f64, h: f64, part: &Part) {
    let _ = write!(out, "<rect class=\"bar\"");
    for (attr, value) in &part.attrs {
        let _ = write!(out, " data-{attr}=\"{}\"", Esc(value));
    }
    let _ = write!(
        out,
        " data-count=\"{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{}</title></rect>",
        part.count,
        part.color,
        Esc(&part.title)
    );
}

fn total(bar: &Bar) -> usize {
    bar.parts.iter().map(|p| p.count).sum()
}

fn digits(n: usize) -> usize {
    n.checked_ilog10().unwrap_or(0) as usize + 1
}

/// `s` cut to `max` characters, with an ellipsis when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(count: usize) -> Part {
        Part { attrs: vec![("class", "<x>".into())], count, color: "#000", title: "t\"".into() }
    }

    #[test]
    fn bars_carry_counts_and_escape_names() {
        let mut out = String::new();
        let rows = [Bar { name: "a<b>".into(), parts: vec![part(3), part(0)] }];
        bars(&mut out, "c", &rows, 600.0, 120.0);
        assert_eq!(out.matches("<rect class=\"bar\"").count(), 2);
        assert!(out.contains("data-class=\"&lt;x&gt;\" data-count=\"3\""));
        assert!(out.contains("data-count=\"0\""));
        assert!(!out.contains("<x>") && !out.contains("a<b>"));
    }

    #[test]
    fn share_columns_fill_to_the_top() {
        let mut out = String::new();
        let cols = [Bar { name: "2025-01".into(), parts: vec![part(1), part(3)] }];
        shares(&mut out, "t", &cols, 300.0);
        // 1 of 4 is 30 px of 120, 3 of 4 is 90.
        assert!(out.contains("height=\"30.0\"") && out.contains("height=\"90.0\""));
    }

    #[test]
    fn shorten_cuts_on_characters() {
        assert_eq!(shorten("ünïcödé", 4), "ünï…");
        assert_eq!(shorten("abc", 4), "abc");
    }
}
