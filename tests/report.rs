//! `opinio report`: the HTML report of an analysis or an extraction, checked against the
//! JSON it was made from, as written and, in a headless Chromium, after the page's script
//! ran (the Chromium tests need `chromium`; without it they are ignored with the command
//! that installs it, see build.rs; with `OPINIO_REQUIRE_ALL=1` (.ci/run) they run).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report").join(name)
}

fn opinio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opinio")).args(args).output().expect("run opinio")
}

/// Runs `opinio report INPUT -o OUT` and returns the HTML written.
fn report(input: &Path, out: &Path) -> String {
    let run = opinio(&["report", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(run.status.success(), "opinio report failed: {}", String::from_utf8_lossy(&run.stderr));
    let said: Value = serde_json::from_slice(&run.stdout).expect("stdout is json");
    assert_eq!(said["out"], out.to_str().unwrap());
    std::fs::read_to_string(out).unwrap()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The attributes of every `<TAG ...>` start tag in `html` (entities decoded).
fn tags(html: &str, tag: &str) -> Vec<BTreeMap<String, String>> {
    let open = format!("<{tag} ");
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        let mut attrs = BTreeMap::new();
        let mut s = rest.trim_start();
        while let Some(eq) = s.find('=') {
            if s.starts_with('>') || s.starts_with("/>") {
                break;
            }
            let name = s[..eq].trim().to_string();
            let quote = s[eq + 1..].chars().next().unwrap();
            assert!(quote == '"', "unquoted attribute {name} in <{tag}>");
            let value_start = eq + 2;
            let end = value_start + s[value_start..].find('"').unwrap();
            attrs.insert(name, unescape(&s[value_start..end]));
            s = s[end + 1..].trim_start();
        }
        found.push(attrs);
    }
    found
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// `(chart, class, label, period) -> count` of every bar in `html` that has a count.
fn chart_counts(html: &str) -> BTreeMap<(String, String, String, String), Vec<usize>> {
    let mut counts: BTreeMap<_, Vec<usize>> = BTreeMap::new();
    let mut chart = String::new();
    // Bars follow the <svg data-chart> they belong to: walk start tags in order.
    for piece in html.split('<').skip(1) {
        if piece.starts_with("svg ") {
            let attrs = &tags(&format!("<{piece}"), "svg")[0];
            chart = attrs.get("data-chart").cloned().unwrap_or_default();
        } else if piece.starts_with("rect ") {
            let attrs = &tags(&format!("<{piece}"), "rect")[0];
            let Some(count) = attrs.get("data-count") else { continue };
            let get = |k: &str| attrs.get(k).cloned().unwrap_or_default();
            let key = (chart.clone(), get("data-class"), get("data-label"), get("data-period"));
            counts.entry(key).or_default().push(count.parse().unwrap());
        }
    }
    counts
}

/// What the analysis charts must show: tags per (class, label), and per month of `meta.date`.
fn analysis_counts(
    v: &Value,
) -> (BTreeMap<(String, String), usize>, BTreeMap<(String, String, String), usize>) {
    let mut totals = BTreeMap::new();
    let mut monthly = BTreeMap::new();
    for doc in v["documents"].as_array().unwrap() {
        let month = doc["meta"]["date"].as_str().map(|d| d[..7].to_string());
        for seg in doc["segments"].as_array().unwrap() {
            for tag in seg["tags"].as_array().unwrap() {
                let class = tag["class"].as_str().unwrap().to_string();
                let label = tag["label"].as_str().unwrap().to_string();
                *totals.entry((class.clone(), label.clone())).or_default() += 1;
                if let Some(m) = &month {
                    *monthly.entry((class, label, m.clone())).or_default() += 1;
                }
            }
        }
    }
    (totals, monthly)
}

/// Checks every chart of an analysis report against the JSON's counts.
fn check_analysis_charts(html: &str, v: &Value) {
    let (totals, monthly) = analysis_counts(v);
    let bars = chart_counts(html);
    let get = |chart: &str, c: &str, l: &str, p: &str| {
        bars.get(&(chart.into(), c.into(), l.into(), p.into())).cloned().unwrap_or_default()
    };
    let classes: Vec<&String> = totals.keys().map(|(c, _)| c).collect();
    let labels: Vec<&String> = totals.keys().map(|(_, l)| l).collect();
    for class in &classes {
        for label in &labels {
            let want = totals.get(&(class.to_string(), label.to_string())).copied().unwrap_or(0);
            // The overview draws the non-zero parts; each class card draws every label.
            let overview = get("overview", class, label, "");
            assert_eq!(overview, if want > 0 { vec![want] } else { vec![] }, "overview {class}/{label}");
            assert_eq!(get("labels", class, label, ""), [want], "labels {class}/{label}");
        }
    }
    let overview_bars: usize = bars.iter().filter(|(k, _)| k.0 == "overview").map(|(_, v)| v.len()).sum();
    assert_eq!(overview_bars, totals.len(), "one overview bar per class and label");
    for ((class, label, month), want) in &monthly {
        assert_eq!(get("time", class, label, month), [*want], "time {class}/{label}/{month}");
    }
    let time_total: usize = bars.iter().filter(|(k, _)| k.0 == "time").flat_map(|(_, v)| v).sum();
    assert_eq!(time_total, monthly.values().sum::<usize>(), "the time charts count the dated tags");
}

#[test]
fn analysis_report_charts_equal_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let html = report(&fixture("analysis.json"), &out);
    check_analysis_charts(&html, &json(&fixture("analysis.json")));
    // The document's markup is shown as text, never as markup.
    assert!(!html.contains("<script>document.body"));
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("&lt;script&gt;document.body.setAttribute("));
    assert!(!html.contains("http://") && !html.contains("https://"), "no network");
}

#[test]
fn extraction_report_counts_equal_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let html = report(&fixture("extraction.json"), &dir.path().join("x.html"));
    check_extraction_chart(&html, &json(&fixture("extraction.json")));
    assert!(html.contains("src=\"data:image/png;base64,iVBOR"), "the annotated page is inline");
    assert!(!html.contains("<img src=x"));
}

/// What the extraction chart must show: documents per field and status.
fn check_extraction_chart(html: &str, v: &Value) {
    let mut want: BTreeMap<(String, &str), usize> = BTreeMap::new();
    for doc in v["documents"].as_array().unwrap() {
        for c in doc["hitl"]["result"][0]["confidences"].as_array().unwrap() {
            let label = c["label"].as_str().unwrap();
            let m = doc["matches"].as_array().unwrap().iter().find(|m| m["label"] == label);
            let status = match m {
                None => "missing",
                Some(m) if m["threshold_met"] == true && m["conversion_passed"] == true => "found",
                Some(_) => "needs review",
            };
            *want.entry((label.to_string(), status)).or_default() += 1;
        }
    }
    let mut seen = 0;
    for attrs in tags(html, "rect") {
        let (Some(field), Some(status), Some(count)) =
            (attrs.get("data-field"), attrs.get("data-status"), attrs.get("data-count"))
        else {
            continue;
        };
        let expected = want.get(&(field.clone(), status.as_str())).copied().unwrap_or(0);
        assert_eq!(count.parse::<usize>().unwrap(), expected, "{field}/{status}");
        seen += 1;
    }
    let fields = want.keys().map(|(f, _)| f).collect::<std::collections::BTreeSet<_>>().len();
    assert_eq!(seen, fields * 3, "a bar per field and status");
}

#[test]
fn analyze_output_goes_straight_into_a_report() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let analyze = opinio(&[
        "analyze",
        "--model",
        repo.join("models/restaurants").to_str().unwrap(),
        "--split",
        "--meta",
        repo.join("samples/reviews.jsonl").to_str().unwrap(),
    ]);
    assert!(analyze.status.success(), "{}", String::from_utf8_lossy(&analyze.stderr));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("samples.html");
    let mut child = Command::new(env!("CARGO_BIN_EXE_opinio"))
        .args(["report", "-", "-o", out.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&analyze.stdout).unwrap();
    let run = child.wait_with_output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let said: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!((said["kind"].as_str(), said["documents"].as_u64()), (Some("analysis"), Some(8)));
    let v: Value = serde_json::from_slice(&analyze.stdout).unwrap();
    let html = std::fs::read_to_string(&out).unwrap();
    let (totals, _) = analysis_counts(&v);
    let bars = chart_counts(&html);
    for ((class, label), want) in &totals {
        let key = ("overview".to_string(), class.clone(), label.clone(), String::new());
        assert_eq!(bars.get(&key), Some(&vec![*want]), "{class}/{label}");
    }
}

#[test]
fn bad_input_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.html");
    let not_json = dir.path().join("not.json");
    std::fs::write(&not_json, "{\"documents\": [").unwrap();
    let classes = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/restaurant_classes.json");
    let bad_tag = dir.path().join("bad.json");
    std::fs::write(
        &bad_tag,
        r#"{"documents": [{"text": "a", "segments": [{"text": "a", "tags": [{"class": 1}]}]}]}"#,
    )
    .unwrap();
    for (input, says) in [
        (not_json.as_path(), "not json"),
        (classes.as_path(), "neither a response"),
        (bad_tag.as_path(), "document 1, segment 1: has a tag whose class is not a string"),
        (Path::new("/no/such/file.json"), "cannot read report input"),
    ] {
        let run = opinio(&["report", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{input:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(says), "{input:?}: {stderr}");
        assert!(!out.exists(), "nothing written on error");
    }
}

/// Runs Chromium headless on `url` with `args`, killed after a minute; returns its stdout.
fn chromium(args: &[&str], url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let exe = if Path::new("/usr/bin/chromium").is_file() { "/usr/bin/chromium" } else { "chromium" };
    // coreutils' timeout ends a Chromium that hangs (exit 124); `output` reads its pipes while
    // it runs, so a large DOM dump cannot fill a pipe and stall it.
    let out = Command::new("timeout")
        .arg("60")
        .arg(exe)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1200,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run chromium ({e}); the report tests need it: apt-get install chromium (.ci/run installs it)")
        });
    assert_ne!(out.status.code(), Some(124), "chromium did not finish within 60 s");
    assert_ne!(
        out.status.code(),
        Some(127),
        "chromium is not installed: apt-get install chromium (.ci/run installs it)"
    );
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

#[test]
#[cfg_attr(not(opinio_has_chromium), ignore = "needs a headless Chromium: apt-get install chromium")]
fn analysis_report_renders_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    report(&fixture("analysis.json"), &page);
    let v = json(&fixture("analysis.json"));

    // The DOM after the script ran: it marked the body ready, counted the table's rows, and
    // the document's own markup did nothing.
    let dom = chromium(&["--dump-dom"], &file_url(&page));
    let body = &tags(&dom, "body")[0];
    assert_eq!(body.get("data-ready").map(String::as_str), Some("1"), "the page's script ran");
    assert!(!body.contains_key("data-pwned"), "markup in a document ran: {body:?}");
    let tag_count: usize = analysis_counts(&v).0.values().sum();
    let shown =
        tags(&dom, "span").into_iter().find(|a| a.get("class").is_some_and(|c| c == "shown")).unwrap();
    assert_eq!(shown.get("data-shown"), Some(&tag_count.to_string()), "every tag is a table row");
    check_analysis_charts(&dom, &v);

    // The screenshot: drawn, not blank, with the POS and NEG colours of the charts.
    let png = dir.path().join("report.png");
    chromium(&[&format!("--screenshot={}", png.display())], &file_url(&page));
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000, "screenshot is tiny");
    let image = image::open(&png).unwrap().to_rgb8();
    assert_eq!(image.dimensions(), (1200, 1600));
    let near = |rgb: [u8; 3]| {
        image.pixels().filter(|p| p.0.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 6)).count()
    };
    let first = image.get_pixel(0, 0);
    assert!(image.pixels().any(|p| p != first), "the screenshot is one colour");
    assert!(near([0x2f, 0x9e, 0x63]) > 500, "no POS bars in the screenshot");
    assert!(near([0xd6, 0x45, 0x50]) > 500, "no NEG bars in the screenshot");
}

#[test]
#[cfg_attr(not(opinio_has_chromium), ignore = "needs a headless Chromium: apt-get install chromium")]
fn extraction_report_renders_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("x.html");
    report(&fixture("extraction.json"), &page);
    let dom = chromium(&["--dump-dom"], &file_url(&page));
    let body = &tags(&dom, "body")[0];
    assert_eq!(body.get("data-ready").map(String::as_str), Some("1"), "the page's script ran");
    check_extraction_chart(&dom, &json(&fixture("extraction.json")));
    let images: Vec<_> = tags(&dom, "img");
    assert_eq!(images.len(), 1, "only the annotated page is an image: {images:?}");
}
