//! The page around a report: escaping, the stylesheet, the table filter script, and small
//! building blocks (summary cards, the filterable table).
//!
//! Every piece of text that comes from the input (document text, ids, class and field
//! names, values read from a page) goes through [`Esc`], in element content and in
//! attribute values alike, so no input can open a tag, close an attribute or start a
//! script. The page's own script reads no input: it only shows and hides table rows by the
//! values of their `data-*` attributes. A Content-Security-Policy forbids every fetch, so
//! the page can reach no network even if something slipped through.

use std::fmt::{self, Write};

/// Text escaped for HTML element content and quoted attribute values.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

/// The whole page: `title`, then `body` (already HTML), with the stylesheet and script.
pub fn page(title: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + STYLE.len() + SCRIPT.len() + 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<meta name=\"generator\" content=\"opinio {}\">", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(out, "<title>{}</title>", Esc(title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");
    out.push_str(body);
    let _ = writeln!(
        out,
        "<footer>Made by opinio {} · one self-contained file: no network, no external assets</footer>\n\
         </main>\n<script>{SCRIPT}</script>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    out
}

/// The report's header: a kicker (what kind of report), the title and a subtitle.
pub fn header(out: &mut String, kicker: &str, title: &str, subtitle: &str) {
    let _ = write!(
        out,
        "<header><div class=\"kicker\">{}</div><h1>{}</h1><p class=\"sub\">{}</p></header>\n",
        Esc(kicker),
        Esc(title),
        Esc(subtitle)
    );
}

/// A row of summary numbers, each `(label, value)`, with a `data-stat` name for tests.
pub fn stats(out: &mut String, items: &[(&str, &str, String)]) {
    out.push_str("<section class=\"stats\">");
    for (name, label, value) in items {
        let _ = write!(
            out,
            "<div class=\"stat\" data-stat=\"{}\"><div class=\"num\">{}</div><div class=\"lbl\">{}</div></div>",
            Esc(name),
            Esc(value),
            Esc(label)
        );
    }
    out.push_str("</section>\n");
}

/// A coloured pill with a label's or status's name.
pub fn pill(name: &str, color: &str) -> String {
    format!("<span class=\"pill\" style=\"background:{color}\">{}</span>", Esc(name))
}

/// One row of the filterable table: the values its filters match (`data-*`) and its cells
/// (already HTML).
pub struct Row {
    pub filters: Vec<(&'static str, String)>,
    pub cells: Vec<String>,
}

/// A filter above the table: a select over the distinct values of one `data-*` attribute.
pub struct Filter {
    pub attr: &'static str,
    pub label: &'static str,
    pub values: Vec<String>,
}

/// The filterable table: a search box (over the row's text), one select per filter, the
/// rows, and a note when `total` is more than the rows shown.
pub fn table(out: &mut String, columns: &[&str], filters: &[Filter], rows: &[Row], total: usize, what: &str) {
    out.push_str("<div class=\"filters\"><input type=\"search\" data-filter=\"q\" placeholder=\"Search text…\" aria-label=\"Search\">");
    for f in filters {
        let _ = write!(
            out,
            "<label>{}<select data-filter=\"{}\"><option value=\"\">all</option>",
            Esc(f.label),
            Esc(f.attr)
        );
        for v in &f.values {
            let _ = write!(out, "<option value=\"{0}\">{0}</option>", Esc(v));
        }
        out.push_str("</select></label>");
    }
    let _ = write!(out, "<span class=\"shown\" data-total=\"{}\"></span></div>\n", rows.len());
    out.push_str("<div class=\"scroll\"><table class=\"rows\"><thead><tr>");
    for c in columns {
        let _ = write!(out, "<th>{}</th>", Esc(c));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in rows {
        out.push_str("<tr");
        for (attr, value) in &row.filters {
            let _ = write!(out, " data-{attr}=\"{}\"", Esc(value));
        }
        out.push('>');
        for cell in &row.cells {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    if total > rows.len() {
        let _ = write!(
            out,
            "<p class=\"note\">The table lists the first {} of {total} {what}; the charts count all of them.</p>\n",
            rows.len()
        );
    }
}

/// A confidence in `[0, 1]` as a percentage, or a dash.
pub fn percent(confidence: Option<f64>) -> String {
    confidence.map_or_else(|| "–".to_string(), |c| format!("{:.0}%", c * 100.0))
}

const STYLE: &str = r#"
:root{--ink:#1d2430;--muted:#5f6b7a;--line:#e3e7ee;--bg:#f5f7fa;--card:#fff;--accent:#3559c7}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","Noto Sans","DejaVu Sans",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 28px 40px}
header{margin-bottom:18px}
.kicker{text-transform:uppercase;letter-spacing:.08em;font-size:11px;font-weight:600;color:var(--accent)}
h1{font-size:26px;margin:2px 0 2px;font-weight:650}
h2{font-size:17px;margin:30px 0 10px;font-weight:620}
h3{font-size:15px;margin:0;font-weight:620}
h4{font-size:12px;margin:14px 0 6px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em;font-weight:600}
.sub,.note{color:var(--muted);margin:0}
.note{font-size:12.5px;margin-top:8px}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.stat,.card{background:var(--card);border:1px solid var(--line);border-radius:10px}
.stat{padding:12px 16px}
.stat .num{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
.stat .lbl{color:var(--muted);font-size:12.5px}
.card{padding:16px 18px;margin-bottom:14px}
.card-head{display:flex;align-items:baseline;gap:10px;margin-bottom:4px}
.card-head .count{color:var(--muted);font-size:13px}
.split{display:grid;grid-template-columns:minmax(280px,380px) 1fr;gap:22px}
@media (max-width:800px){.split{grid-template-columns:1fr}}
svg{display:block;max-width:100%;height:auto}
svg text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",Arial,sans-serif;fill:var(--ink)}
svg text.dim{fill:var(--muted);font-size:11px}
svg text.in{fill:#fff;font-size:11px;font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12.5px;color:var(--muted);margin:4px 0 8px}
.legend i{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:5px;vertical-align:-1px}
.pill{display:inline-block;color:#fff;border-radius:999px;padding:0 8px;font-size:11.5px;font-weight:600;line-height:19px;white-space:nowrap}
.examples{list-style:none;margin:0;padding:0}
.examples li{padding:6px 0;border-top:1px solid var(--line);display:flex;gap:10px;align-items:flex-start}
.examples li:first-child{border-top:0}
.examples .conf{font-variant-numeric:tabular-nums;color:var(--muted);font-size:12px;min-width:34px;text-align:right;padding-top:1px}
.examples .ctx{color:var(--muted);flex:1}
mark{color:var(--ink);border-radius:3px;padding:1px 2px}
mark b{font-weight:650;text-decoration:underline;text-decoration-thickness:2px;text-underline-offset:2px}
.id{color:var(--muted);font-size:12px;white-space:nowrap}
.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin:6px 0 10px}
.filters input,.filters select{font:inherit;border:1px solid var(--line);border-radius:7px;padding:5px 9px;background:#fff}
.filters input{min-width:240px}
.filters label{display:flex;gap:6px;align-items:center;color:var(--muted)}
.shown{color:var(--muted);font-size:12.5px;margin-left:auto}
.scroll{max-height:560px;overflow:auto;border:1px solid var(--line);border-radius:10px;background:#fff}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{position:sticky;top:0;background:#fafbfc;font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
td.num{font-variant-numeric:tabular-nums;text-align:right;white-space:nowrap}
.pages{display:flex;flex-wrap:wrap;gap:14px;margin-top:8px}
.pages figure{margin:0;width:260px;max-width:100%}
.pages img,.pages svg{width:100%;border:1px solid var(--line);border-radius:6px;background:#fff}
.pages figcaption{font-size:12px;color:var(--muted)}
.flags{display:flex;flex-wrap:wrap;gap:6px;margin:2px 0 6px}
footer{margin-top:34px;color:var(--muted);font-size:12px;text-align:center}
"#;

/// Filters the table rows by the search box and the selects; counts what is shown. It marks
/// `body[data-ready]` when done, so a headless browser can tell that the script ran.
const SCRIPT: &str = r#"
(function(){
  var inputs=[].slice.call(document.querySelectorAll('[data-filter]'));
  var rows=[].slice.call(document.querySelectorAll('table.rows tbody tr'));
  var shown=document.querySelector('.shown');
  function apply(){
    var q='',sel=[];
    inputs.forEach(function(el){
      var k=el.getAttribute('data-filter');
      if(k==='q'){q=el.value.trim().toLowerCase();}else if(el.value){sel.push([k,el.value]);}
    });
    var n=0;
    rows.forEach(function(tr){
      var ok=sel.every(function(s){return tr.getAttribute('data-'+s[0])===s[1];});
      if(ok&&q){ok=tr.textContent.toLowerCase().indexOf(q)>=0;}
      tr.hidden=!ok; if(ok){n++;}
    });
    if(shown){shown.textContent=n+' of '+rows.length+' rows';shown.setAttribute('data-shown',n);}
  }
  inputs.forEach(function(el){el.addEventListener('input',apply);el.addEventListener('change',apply);});
  apply();
  document.body.setAttribute('data-ready','1');
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_special_character() {
        let s = Esc(r#"<script>alert("x")</script> & 'y'"#).to_string();
        assert_eq!(s, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;");
        assert_eq!(Esc("plain ünïcode 😍").to_string(), "plain ünïcode 😍");
    }

    #[test]
    fn page_forbids_the_network_and_escapes_its_title() {
        let html = page("<b>t</b>", "<p>body</p>");
        assert!(html.contains("default-src 'none'"));
        assert!(html.contains("<title>&lt;b&gt;t&lt;/b&gt;</title>"));
        assert!(!html.contains("http://") && !html.contains("https://"));
    }
}
