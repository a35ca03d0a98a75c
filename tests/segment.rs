//! Segmentation: fixture cases per language, the span invariant, and the golden rules.

use std::path::{Path, PathBuf};

use opinio::segment::Segmenter;
use opinio::Language;

/// A fixture case: input text and expected sentences.
struct Case {
    line: usize,
    text: String,
    expected: Vec<String>,
}

/// Reads `tests/fixtures/segment/<code>.txt`: cases split by `===`, input and expected
/// output by `---`, `#` comment lines, `\n` in an input or an expected sentence for a line
/// break.
fn cases(code: &str) -> Vec<Case> {
    let path = fixtures().join(format!("{code}.txt"));
    let raw = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    let mut line = 1;
    for block in raw.split("\n===\n") {
        let start = line;
        line += block.lines().count() + 1;
        let body: Vec<&str> = block.lines().filter(|l| !l.starts_with('#')).collect();
        let body = body.join("\n");
        let (input, expected) =
            body.split_once("\n---\n").unwrap_or_else(|| panic!("{code}.txt:{start}: no ---"));
        out.push(Case {
            line: start,
            text: input.replace("\\n", "\n"),
            expected: expected.lines().map(|l| l.replace("\\n", "\n")).collect(),
        });
    }
    out
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/segment")
}

/// Checks the span invariant on one text: spans in code points match the segment text,
/// segments are trimmed, ordered, non-overlapping, and only white space lies between them.
fn assert_invariant(segmenter: &Segmenter, text: &str) {
    let chars: Vec<char> = text.chars().collect();
    let mut covered = 0;
    for seg in segmenter.segments(text) {
        let [start, end] = seg.span;
        assert!(start >= covered && start < end && end <= chars.len(), "bad span {:?} in {text:?}", seg.span);
        let spanned: String = chars[start..end].iter().collect();
        assert_eq!(spanned, seg.text, "span does not match text in {text:?}");
        assert_eq!(seg.text.trim(), seg.text);
        assert!(chars[covered..start].iter().all(|c| c.is_whitespace()), "text lost before {:?}", seg.text);
        covered = end;
    }
    assert!(chars[covered..].iter().all(|c| c.is_whitespace()), "text lost at the end of {text:?}");
}

fn run_fixtures(language: Language) {
    let segmenter = Segmenter::new(language);
    let mut failures = Vec::new();
    for case in cases(language.code()) {
        assert_invariant(&segmenter, &case.text);
        let got: Vec<String> = segmenter.segments(&case.text).into_iter().map(|s| s.text).collect();
        if got != case.expected {
            failures.push(format!(
                "{}.txt:{}\n  got      {got:?}\n  expected {:?}",
                language, case.line, case.expected
            ));
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn english_cases() {
    run_fixtures(Language::En);
}

#[test]
fn german_cases() {
    run_fixtures(Language::De);
}

#[test]
fn arabic_cases() {
    run_fixtures(Language::Ar);
}

#[test]
fn invariant_holds_on_hostile_text() {
    let texts = [
        "",
        "   ",
        "....!!!???",
        "\"unclosed quote. Next sentence. (and a paren. More.",
        "a.b.c.d.e. f. g. H. I. J.",
        "\u{202A}.\u{202C} \u{200F}؟ ، : ...",
        "😀😀. 👍🏽! ‼ ⁉ 。",
        "1. 2. 3. 4. a) b) c) i. ii. • • ⁃",
        "line\r\nline\rline\u{2028}line\n\n\nend.",
        "Mr. Mrs. Dr. e.g. i.e. U.S. a.m. p.m. No. 5. p. 4.",
        "„Zitat“ «guillemets» »umgekehrt« ‚einfach‘ ‘single’ “double”",
    ];
    for language in Language::ALL {
        let segmenter = Segmenter::new(language);
        for text in texts {
            assert_invariant(&segmenter, text);
        }
    }
    assert_invariant(&Segmenter::detecting(), "Das ist gut. This is good. هذا جيد.");
}

#[test]
fn long_text_without_terminals_is_one_segment() {
    let text = "word ".repeat(200_000);
    let segments = Segmenter::new(Language::En).segments(&text);
    assert_eq!(segments.len(), 1);
    assert_eq!(segments[0].span, [0, text.trim_end().chars().count()]);
}

#[test]
fn language_detection_picks_the_rules() {
    // `3. Oktober` is an ordinal only under German rules.
    let text = "Wir kamen am 3. Oktober an und das Zimmer war sehr schön.";
    assert_eq!(Segmenter::detecting().segments(text).len(), 1);
    assert_eq!(Segmenter::new(Language::En).segments(text).len(), 2);
}

/// The development half of pragmatic_segmenter's English Golden Rules, read from the
/// shared data folder when it sits beside the checkout (it does in CI; a fresh clone
/// elsewhere skips this check, the fixtures above cover the same rules).
#[test]
fn golden_rules_development_half() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/golden_rules/golden_rules_en_dev_half.json");
    let Ok(raw) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: {} not found", path.display());
        return;
    };
    let cases: Vec<serde_json::Value> = serde_json::from_str(&raw).unwrap();
    let segmenter = Segmenter::new(Language::En);
    let mut failed = Vec::new();
    for case in &cases {
        let text = case["text"].as_str().unwrap();
        let expected: Vec<&str> =
            case["expected"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_invariant(&segmenter, text);
        let got: Vec<String> = segmenter.segments(text).into_iter().map(|s| s.text).collect();
        if got != expected {
            failed.push(format!("{}: got {got:?}", case["id"]));
        }
    }
    // pragmatic_segmenter passes 98%; the bar is all but one of these 26.
    assert!(failed.len() <= 1, "golden rules failed:\n{}", failed.join("\n"));
}

/// Inputs the fuzzer (fuzz/, target `segment`) found to break a rule, kept as regressions:
/// each must segment under every language's rules with the span invariant intact.
#[test]
fn fuzzer_findings_stay_fixed() {
    let found = [
        // A no-break space (two bytes) before a token checked for a URL: the token's start
        // was taken one byte after the space, inside it.
        "\u{a0}.p.m.\u{0}mrstmDr\n",
    ];
    for text in found {
        for language in [Language::En, Language::De, Language::Ar] {
            assert_invariant(&Segmenter::new(language), text);
        }
    }
}
