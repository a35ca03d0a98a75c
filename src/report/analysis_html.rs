//! The analysis report page: summary numbers, tags per class and label, their share over
//! time, the most confident segments of each class and label in their document, and a
//! filterable table of every tag.
//!
//! Chart rectangles carry `data-class` and `data-label` (left out where the model's tags
//! have none: LABEL models have no class, CLASS models no label), `data-period` on the time
//! charts, and `data-count`: the number of tags, as counted by [`Analysis`].

use std::fmt::Write;

use super::analysis::{Analysis, Tagged};
use super::html::{self, Esc, Filter, Row};
use super::svg::{self, Bar, Part};
use crate::heads::lexicon::{Lexicon, NEUTRAL_BAND};

/// ABSA's sentiment colours; other labels and classes take [`PALETTE`] in turn.
const POS: &str = "#2f9e63";
const NEG: &str = "#d64550";
const NEU: &str = "#98a3b3";
const CON: &str = "#e0a33b";
const PALETTE: [&str; 10] = [
    "#3559c7", "#e07b39", "#2a9d8f", "#8e5cc4", "#c94f7c", "#6a994e", "#b08d1a", "#4c8dd6", "#9c6644",
    "#5e6b7d",
];
/// Characters of document text shown on each side of an example segment.
const CONTEXT: usize = 70;

/// The analysis report of `a` as a whole HTML page.
pub fn page(a: &Analysis) -> String {
    let colors = label_colors(a);
    let class_order = a.class_order();
    let label_order = a.label_order();
    let mut body = String::new();
    let kind = if a.model_type.is_empty() { String::new() } else { format!("{} model · ", a.model_type) };
    html::header(
        &mut body,
        "Analysis report",
        a.model,
        &format!("{kind}{} documents, {} segments, {} tags", a.documents, a.segments, a.tags),
    );
    let mut stats = vec![
        ("documents", "documents", a.documents.to_string()),
        ("segments", "segments", a.segments.to_string()),
        ("tags", "tags", a.tags.to_string()),
        ("untagged", "segments without a tag", a.untagged.to_string()),
    ];
    if a.has_classes() {
        stats.push(("classes", "classes", a.classes.iter().flatten().count().to_string()));
    }
    if let Some(t) = &a.timeline {
        stats.push(("dated", "documents with a date", format!("{} of {}", t.dated(), a.documents)));
    }
    html::stats(&mut body, &stats);

    if a.tags == 0 {
        body.push_str("<p class=\"note\">No segment carries a tag: is this the output of <code>opinio analyze</code>?</p>\n");
        return html::page(&format!("{} – analysis report", a.model), &body);
    }

    // Overview: one row per class, its labels stacked.
    body.push_str(if a.has_classes() {
        "<h2 id=\"classes\">Tags per class</h2>\n"
    } else {
        "<h2 id=\"classes\">Tags per label</h2>\n"
    });
    if a.has_labels() {
        let entries: Vec<_> = label_order.iter().map(|&l| (label_name(a, l), colors[l])).collect();
        svg::legend(&mut body, &entries);
    }
    let rows: Vec<Bar> = class_order
        .iter()
        .map(|&c| Bar {
            name: class_name(a, c),
            parts: label_order
                .iter()
                .filter(|&&l| a.count(c, l) > 0)
                .map(|&l| part(a, c, l, &colors, None))
                .collect(),
        })
        .collect();
    let overview = if a.has_classes() {
        rows
    } else {
        // A LABEL model: one row per label reads better than one stacked row.
        label_order
            .iter()
            .map(|&l| Bar { name: label_name(a, l), parts: vec![part(a, 0, l, &colors, None)] })
            .collect()
    };
    svg::bars(&mut body, "overview", &overview, 900.0, 170.0);

    // CLASS models: the classes' share over time, in one chart.
    if let (Some(t), false) = (&a.timeline, a.has_labels()) {
        let _ = write!(body, "<h2>Share of classes over time</h2>\n<p class=\"note\">{}</p>\n", time_note(a));
        let entries: Vec<_> = class_order
            .iter()
            .enumerate()
            .map(|(i, &c)| (class_name(a, c), PALETTE[i % PALETTE.len()]))
            .collect();
        svg::legend(&mut body, &entries);
        let columns: Vec<Bar> = (0..t.periods.len())
            .map(|p| Bar {
                name: t.periods[p].clone(),
                parts: class_order
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| {
                        let count = a.by_period.get(&(p, c, 0)).copied().unwrap_or(0);
                        let mut part = part(a, c, 0, &colors, Some((p, count)));
                        part.color = PALETTE[i % PALETTE.len()];
                        part
                    })
                    .collect(),
            })
            .collect();
        svg::shares(&mut body, "time", &columns, 900.0);
    }

    body.push_str(if a.has_classes() { "<h2>By class</h2>\n" } else { "<h2>Examples</h2>\n" });
    for &c in &class_order {
        class_card(&mut body, a, c, &label_order, &colors);
    }

    body.push_str("<h2 id=\"table\">All tagged segments</h2>\n");
    let mut filters = Vec::new();
    if a.has_classes() {
        let values = class_order.iter().map(|&c| class_name(a, c)).collect();
        filters.push(Filter { attr: "class", label: "Class", values });
    }
    if a.has_labels() {
        let values = label_order.iter().map(|&l| label_name(a, l)).collect();
        filters.push(Filter { attr: "label", label: "Label", values });
    }
    let rows: Vec<Row> = a
        .rows
        .iter()
        .map(|t| Row {
            filters: vec![("class", class_name(a, t.class)), ("label", label_name(a, t.label))],
            cells: vec![
                format!("<span class=\"id\">{}</span>", Esc(&t.doc_id)),
                Esc(&class_name(a, t.class)).to_string(),
                html::pill(&label_name(a, t.label), colors[t.label]),
                html::percent(t.confidence),
                Esc(t.segment).to_string(),
            ],
        })
        .collect();
    html::table(
        &mut body,
        &["Document", "Class", "Label", "Confidence", "Segment"],
        &filters,
        &rows,
        a.tags,
        "tags",
    );
    html::page(&format!("{} – analysis report", a.model), &body)
}

/// One class: its labels as bars, their share over time, and the most confident segments.
fn class_card(out: &mut String, a: &Analysis, c: usize, label_order: &[usize], colors: &[&'static str]) {
    let name = class_name(a, c);
    let _ = write!(
        out,
        "<section class=\"card\" data-class-card=\"{}\"><div class=\"card-head\"><h3>{}</h3><span class=\"count\">{}</span></div>\n<div class=\"split\"><div>",
        Esc(&name),
        Esc(&name),
        plural(a.class_total(c), "tag")
    );
    if a.has_labels() {
        out.push_str("<h4>Labels</h4>");
        let rows: Vec<Bar> = label_order
            .iter()
            .map(|&l| Bar { name: label_name(a, l), parts: vec![part(a, c, l, colors, None)] })
            .collect();
        svg::bars(out, "labels", &rows, 380.0, 80.0);
        let dated = |p: usize| (0..a.labels.len()).any(|l| a.by_period.contains_key(&(p, c, l)));
        if let Some(t) = &a.timeline {
            let _ = write!(out, "<h4>Share over time</h4><p class=\"note\">{}</p>", time_note(a));
            if !(0..t.periods.len()).any(dated) {
                out.push_str("<p class=\"note\">None of this class's tags is in a dated document.</p>");
                return class_examples(out, a, c, label_order, colors);
            }
            let columns: Vec<Bar> = (0..t.periods.len())
                .map(|p| Bar {
                    name: t.periods[p].clone(),
                    parts: label_order
                        .iter()
                        .map(|&l| {
                            let count = a.by_period.get(&(p, c, l)).copied().unwrap_or(0);
                            part(a, c, l, colors, Some((p, count)))
                        })
                        .collect(),
                })
                .collect();
            svg::shares(out, "time", &columns, 380.0);
        }
    }
    class_examples(out, a, c, label_order, colors);
}

/// The right column of a class's card: the most confident segments of each label.
fn class_examples(out: &mut String, a: &Analysis, c: usize, label_order: &[usize], colors: &[&'static str]) {
    out.push_str("</div><div><h4>Most confident segments</h4>");
    for &l in label_order {
        let Some(examples) = a.examples.get(&(c, l)) else { continue };
        if a.has_labels() {
            let _ = write!(out, "<div class=\"flags\">{}</div>", html::pill(&label_name(a, l), colors[l]));
        }
        out.push_str("<ul class=\"examples\">");
        for t in examples {
            example(out, a, t, colors[t.label]);
        }
        out.push_str("</ul>");
    }
    out.push_str("</div></div></section>\n");
}

/// A segment in its document: the text around it dimmed, the segment marked in its
/// label's colour, and in it the words the sentiment lexicon scores the label's way.
fn example(out: &mut String, a: &Analysis, t: &Tagged, color: &str) {
    let (before, after) = context(t);
    let _ = write!(
        out,
        "<li><span class=\"conf\">{}</span><div class=\"ctx\">{}<mark style=\"background:{}\">",
        html::percent(t.confidence),
        Esc(&before),
        tint(color)
    );
    let polarity = match a.labels[t.label] {
        Some("POS") => Some(1),
        Some("NEG") => Some(-1),
        Some("CON") => Some(0),
        _ => None,
    };
    match polarity {
        Some(p) => cue_words(out, t.segment, p),
        None => {
            let _ = write!(out, "{}", Esc(t.segment));
        }
    }
    let _ = write!(
        out,
        "</mark>{} <span class=\"id\">· document {}</span></div></li>",
        Esc(&after),
        Esc(&t.doc_id)
    );
}

/// `segment` with the words VADER scores positive (`polarity` 1), negative (-1) or either
/// (0) in bold.
fn cue_words(out: &mut String, segment: &str, polarity: i32) {
    let lexicon = Lexicon::vader();
    let mut last = 0;
    let mut words = Vec::new();
    let mut start = None;
    for (i, ch) in segment.char_indices().chain([(segment.len(), ' ')]) {
        let inside = ch.is_alphanumeric() || (ch == '\'' && start.is_some());
        match (inside, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    for (s, e) in words {
        let score = lexicon.shares(&segment[s..e]).compound;
        let hit = match polarity {
            1 => score > NEUTRAL_BAND,
            -1 => score < -NEUTRAL_BAND,
            _ => score.abs() > NEUTRAL_BAND,
        };
        if hit {
            let _ = write!(out, "{}<b>{}</b>", Esc(&segment[last..s]), Esc(&segment[s..e]));
            last = e;
        }
    }
    let _ = write!(out, "{}", Esc(&segment[last..]));
}

/// Up to [`CONTEXT`] characters of the document before and after the segment, cut at a
/// space, with an ellipsis where cut; nothing when the span does not locate the segment.
fn context(t: &Tagged) -> (String, String) {
    let Some([s, e]) = t.span else { return (String::new(), String::new()) };
    let chars: Vec<char> = t.doc_text.chars().collect();
    if s > e || e > chars.len() || chars[s..e].iter().copied().ne(t.segment.chars()) {
        return (String::new(), String::new());
    }
    let mut from = s.saturating_sub(CONTEXT);
    if from > 0 {
        from = (from..s).find(|&i| chars[i] == ' ').map_or(s, |i| i + 1);
    }
    let mut to = (e + CONTEXT).min(chars.len());
    if to < chars.len() {
        to = (e..to).rev().find(|&i| chars[i] == ' ').unwrap_or(e);
    }
    let mut before: String = chars[from..s].iter().collect();
    let mut after: String = chars[e..to].iter().collect();
    if from > 0 {
        before.insert(0, '…');
    }
    if to < chars.len() {
        after.push('…');
    }
    (before, after)
}

/// A bar part for class `c` and label `l`: its tags, or with `period` `(p, count)` its tags
/// in period `p`.
fn part(a: &Analysis, c: usize, l: usize, colors: &[&'static str], period: Option<(usize, usize)>) -> Part {
    let mut attrs = Vec::new();
    if let Some(class) = a.classes[c] {
        attrs.push(("class", class.to_string()));
    }
    if let Some(label) = a.labels[l] {
        attrs.push(("label", label.to_string()));
    }
    let what = match (a.classes[c], a.labels[l]) {
        (Some(c), Some(l)) => format!("{c} · {l}"),
        (Some(c), None) => c.to_string(),
        (None, Some(l)) => l.to_string(),
        (None, None) => String::new(),
    };
    match period {
        None => Part {
            attrs,
            count: a.count(c, l),
            color: colors[l],
            title: format!("{what}: {}", a.count(c, l)),
        },
        Some((p, count)) => {
            let t = a.timeline.as_ref().expect("a period implies a timeline");
            let total: usize = if a.has_labels() {
                (0..a.labels.len()).map(|l| a.by_period.get(&(p, c, l)).copied().unwrap_or(0)).sum()
            } else {
                (0..a.classes.len()).map(|c| a.by_period.get(&(p, c, 0)).copied().unwrap_or(0)).sum()
            };
            attrs.push(("period", t.periods[p].clone()));
            attrs.push(("total", total.to_string()));
            let share = if total == 0 { 0.0 } else { 100.0 * count as f64 / total as f64 };
            let title = format!("{} · {what}: {count} of {total} ({share:.0}%)", t.periods[p]);
            Part { attrs, count, color: colors[l], title }
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn time_note(a: &Analysis) -> String {
    let t = a.timeline.as_ref().expect("called with a timeline");
    format!(
        "By {} of meta.{}; {} of {} documents carry a date.",
        t.granularity.as_str(),
        t.key,
        t.dated(),
        a.documents
    )
}

fn class_name(a: &Analysis, c: usize) -> String {
    a.classes[c].map_or_else(|| "all segments".to_string(), str::to_string)
}

fn label_name(a: &Analysis, l: usize) -> String {
    a.labels[l].map_or_else(|| "tagged".to_string(), str::to_string)
}

/// Each label's colour, by label index.
fn label_colors(a: &Analysis) -> Vec<&'static str> {
    let mut other = 0;
    a.label_order()
        .into_iter()
        .map(|l| {
            let color = match a.labels[l] {
                Some("POS") => POS,
                Some("NEG") => NEG,
                Some("NEU") => NEU,
                Some("CON") => CON,
                _ => {
                    other += 1;
                    PALETTE[(other - 1) % PALETTE.len()]
                }
            };
            (l, color)
        })
        .fold(vec![PALETTE[0]; a.labels.len()], |mut v, (l, color)| {
            v[l] = color;
            v
        })
}

/// A light background of `hex` (`#rrggbb`).
fn tint(hex: &str) -> String {
    let c = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("88"), 16).unwrap_or(0x88);
    format!("rgba({},{},{},0.18)", c(1), c(3), c(5))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rects(html: &str, chart: &str) -> Vec<String> {
        let start = html.find(&format!("data-chart=\"{chart}\"")).unwrap();
        let end = start + html[start..].find("</svg>").unwrap();
        html[start..end]
            .split("<rect class=\"bar\"")
            .skip(1)
            .map(|r| r[..r.find('>').unwrap()].to_string())
            .collect()
    }

    #[test]
    fn charts_carry_the_json_counts() {
        let v = json!({"model": "m", "type": "ABSA", "documents": [
            {"text": "Good food. Bad staff.", "meta": {"date": "2025-01-02"}, "segments": [
                {"text": "Good food.", "span": [0, 10], "tags": [{"class": "food", "label": "POS", "confidence": 0.9}]},
                {"text": "Bad staff.", "span": [11, 21], "tags": [{"class": "staff", "label": "NEG", "confidence": 0.7}]}]},
            {"text": "Good food.", "meta": {"date": "2025-01-05"}, "segments": [
                {"text": "Good food.", "span": [0, 10], "tags": [{"class": "food", "label": "POS", "confidence": 0.8}]}]}]});
        let a = Analysis::from_value(&v).unwrap();
        let html = page(&a);
        let overview = rects(&html, "overview");
        assert_eq!(overview.len(), 2);
        assert!(overview[0].contains("data-class=\"food\" data-label=\"POS\" data-count=\"2\""));
        assert!(overview[1].contains("data-class=\"staff\" data-label=\"NEG\" data-count=\"1\""));
        let time = rects(&html, "time");
        assert!(time.iter().any(|r| r.contains(
            "data-class=\"food\" data-label=\"POS\" data-period=\"2025-01-02\" data-total=\"1\" data-count=\"1\""
        )));
        // The example shows the sentiment word in bold.
        assert!(html.contains("<b>Good</b> food."));
    }

    #[test]
    fn document_text_cannot_inject_html() {
        let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";
        let v = json!({"model": evil, "type": "ABSA", "documents": [
            {"id": evil, "text": evil, "meta": {"date": "2025-01-01"}, "segments": [
                {"text": evil, "span": [0, evil.chars().count()], "tags": [{"class": evil, "label": evil, "confidence": 1.0}]}]}]});
        let html = page(&Analysis::from_value(&v).unwrap());
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img"));
        assert!(!html.contains("onerror=alert(2)>"));
        assert_eq!(html.matches("<script>").count(), 1, "only the page's own script");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn context_surrounds_the_segment() {
        let text = "First sentence here. The pasta was great! Last one.";
        let t = Tagged {
            doc_id: "1".into(),
            doc_text: text,
            segment: "The pasta was great!",
            span: Some([21, 41]),
            class: 0,
            label: 0,
            confidence: None,
        };
        assert_eq!(context(&t), ("First sentence here. ".into(), " Last one.".into()));
        let wrong = Tagged { span: Some([0, 5]), ..t };
        assert_eq!(context(&wrong), (String::new(), String::new()));
    }

    #[test]
    fn tints_are_light() {
        assert_eq!(tint("#2f9e63"), "rgba(47,158,99,0.18)");
    }
}
