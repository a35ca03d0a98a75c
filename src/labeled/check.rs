//! The one place labeled tags are checked, merged and compared.
//!
//! Both record shapes (flat rows, labeled documents) feed a [`Builder`]; it normalises each
//! tag for the model type, merges rows of one text, and finds duplicates and contradictions,
//! recording an issue for each (see the parent module's table).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use super::{names, text_key, IssueKind, LabelIssue, LabeledOptions, LabeledSegment, LabeledSet};
use crate::schema::{sentiment, ModelType, Tag};

/// How an entry came in: rows add tags to a text; a document segment is a whole annotation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Rows,
    Segment,
}

struct Entry {
    segment: LabeledSegment,
    origin: Origin,
    contradicted: bool,
}

/// Collects labeled segments and the issues found.
pub(super) struct Builder<'a> {
    opts: &'a LabeledOptions,
    path: &'a Path,
    entries: Vec<Entry>,
    by_text: HashMap<String, usize>,
    issues: Vec<LabelIssue>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(opts: &'a LabeledOptions, path: &'a Path) -> Self {
        Builder { opts, path, entries: Vec::new(), by_text: HashMap::new(), issues: Vec::new() }
    }

    pub(super) fn model_type(&self) -> ModelType {
        self.opts.model_type
    }

    /// Records an issue at `line`.
    pub(super) fn issue(&mut self, kind: IssueKind, line: Option<u64>, message: String) {
        self.issues.push(LabelIssue { kind, path: self.path.to_path_buf(), line, message });
    }

    /// Adds the tags of one flat row to its text's segment.
    pub(super) fn add_row(&mut self, record: usize, line: u64, text: &str, tags: Vec<Tag>) {
        let Some(text) = self.non_empty(text, line) else { return };
        let tags = self.valid_tags(tags, line);
        if tags.is_empty() {
            return;
        }
        let i = match self.by_text.get(text) {
            Some(&i) => i,
            None => self.push(text, record, line, Vec::new(), Origin::Rows),
        };
        for tag in tags {
            let entry = &self.entries[i];
            if entry.segment.tags.contains(&tag) {
                let msg = format!("{} for {:?} is given again", show(&tag), short(text));
                self.issue(IssueKind::Duplicate, Some(line), msg);
                continue;
            }
            let clash = entry.segment.tags.iter().find(|t| self.clashes(t, &tag)).cloned();
            if let Some(old) = clash {
                let msg = format!(
                    "{:?} is {} here and {} on line {}",
                    short(text),
                    show(&tag),
                    show(&old),
                    entry.segment.line
                );
                self.issue(IssueKind::Contradiction, Some(line), msg);
                self.entries[i].contradicted = true;
                continue;
            }
            self.entries[i].segment.tags.push(tag);
        }
    }

    /// Adds one segment of a labeled document, a complete annotation of its text.
    pub(super) fn add_segment(&mut self, record: usize, line: u64, text: &str, tags: Vec<Tag>) {
        let Some(text) = self.non_empty(text, line) else { return };
        let given = tags.len();
        let mut tags = self.valid_tags(tags, line);
        if given > 0 && tags.is_empty() {
            return; // every tag was invalid: not a negative example
        }
        let mut kept: Vec<Tag> = Vec::with_capacity(tags.len());
        for tag in tags.drain(..) {
            if kept.contains(&tag) {
                let msg = format!("{} appears twice on segment {:?}", show(&tag), short(text));
                self.issue(IssueKind::Duplicate, Some(line), msg);
            } else if let Some(old) = kept.iter().find(|t| self.clashes(t, &tag)) {
                let msg = format!("segment {:?} is both {} and {}", short(text), show(old), show(&tag));
                self.issue(IssueKind::Contradiction, Some(line), msg);
                return;
            } else {
                kept.push(tag);
            }
        }
        if self.opts.model_type == ModelType::Label && kept.is_empty() {
            let msg = format!("segment {:?} has no label, a LABEL model needs one", short(text));
            self.issue(IssueKind::EmptyLabel, Some(line), msg);
            return;
        }
        let Some(&i) = self.by_text.get(text) else {
            self.push(text, record, line, kept, Origin::Segment);
            return;
        };
        let entry = &self.entries[i];
        let same = entry.origin == Origin::Segment && as_set(&entry.segment.tags) == as_set(&kept);
        let first = entry.segment.line;
        if same {
            let msg = format!("segment {:?} is annotated the same way on line {first}", short(text));
            self.issue(IssueKind::Duplicate, Some(line), msg);
        } else {
            let msg = format!(
                "{:?} is [{}] here and [{}] on line {first}",
                short(text),
                show_all(&kept),
                show_all(&entry.segment.tags)
            );
            self.issue(IssueKind::Contradiction, Some(line), msg);
            self.entries[i].contradicted = true;
        }
    }

    /// The set: contradicted texts left out, names collected.
    pub(super) fn finish(self) -> LabeledSet {
        let segments: Vec<LabeledSegment> =
            self.entries.into_iter().filter(|e| !e.contradicted).map(|e| e.segment).collect();
        let all_tags = || segments.iter().flat_map(|s| &s.tags);
        let classes = match &self.opts.classes {
            Some(c) => c.clone(),
            None => names(all_tags().map(|t| &t.class)),
        };
        let labels = match (self.opts.model_type, &self.opts.labels) {
            (ModelType::Absa, _) => sentiment::ALL.iter().map(|s| s.to_string()).collect(),
            (_, Some(l)) => l.clone(),
            (_, None) => names(all_tags().map(|t| &t.label)),
        };
        LabeledSet { model_type: self.opts.model_type, segments, classes, labels, issues: self.issues }
    }

    fn push(&mut self, text: &str, record: usize, line: u64, tags: Vec<Tag>, origin: Origin) -> usize {
        let segment = LabeledSegment { text: text.to_string(), tags, line, record };
        self.entries.push(Entry { segment, origin, contradicted: false });
        self.by_text.insert(text.to_string(), self.entries.len() - 1);
        self.entries.len() - 1
    }

    fn non_empty<'t>(&mut self, text: &'t str, line: u64) -> Option<&'t str> {
        let text = text_key(text);
        if text.is_empty() {
            self.issue(IssueKind::EmptyText, Some(line), "the text is empty".into());
            return None;
        }
        Some(text)
    }

    /// Two different tags that cannot both hold for one text: the same class (or, for LABEL,
    /// any two) with different labels.
    fn clashes(&self, a: &Tag, b: &Tag) -> bool {
        self.opts.model_type.has_labels() && a.class == b.class && a.label != b.label
    }

    /// The tags normalised and checked; each bad one becomes an issue and is left out.
    fn valid_tags(&mut self, tags: Vec<Tag>, line: u64) -> Vec<Tag> {
        let mut out = Vec::with_capacity(tags.len());
        for tag in tags {
            match self.normalise(tag) {
                Ok(tag) => out.push(tag),
                Err((kind, msg)) => self.issue(kind, Some(line), msg),
            }
        }
        out
    }

    /// Trims names, maps ABSA sentiment spellings (`positive`, `pos`, ...) to the wire names,
    /// drops the confidence, and checks the tag against the type and the allowed names.
    fn normalise(&self, tag: Tag) -> Result<Tag, (IssueKind, String)> {
        let clean = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let mt = self.opts.model_type;
        let mut tag = Tag { class: clean(tag.class), label: clean(tag.label), confidence: None };
        if mt == ModelType::Absa {
            tag.label = tag.label.map(|l| absa_label(&l).map_or(l, str::to_string));
        }
        if (mt.has_classes() && tag.class.is_none()) || (mt.has_labels() && tag.label.is_none()) {
            return Err((IssueKind::EmptyLabel, format!("{} lacks what a {} tag needs", show(&tag), mt.as_str())));
        }
        mt.check_tag(&tag).map_err(|e| (IssueKind::InvalidTag, e.message().to_string()))?;
        let unknown = |given: &Option<Vec<String>>, name: &Option<String>| match (given, name) {
            (Some(list), Some(n)) if !list.contains(n) => Some(format!("{n:?} is not one of {list:?}")),
            _ => None,
        };
        let label_list = if mt == ModelType::Absa { &None } else { &self.opts.labels };
        match unknown(&self.opts.classes, &tag.class).or_else(|| unknown(label_list, &tag.label)) {
            Some(msg) => Err((IssueKind::InvalidTag, msg)),
            None => Ok(tag),
        }
    }
}

/// The ABSA wire label for a common spelling, any case: `POS`/`positive`, `NEG`/`negative`,
/// `NEU`/`neutral`, `CON`/`conflict`.
fn absa_label(label: &str) -> Option<&'static str> {
    let l = label.to_ascii_lowercase();
    match l.as_str() {
        "pos" | "positive" => Some(sentiment::POS),
        "neg" | "negative" => Some(sentiment::NEG),
        "neu" | "neutral" => Some(sentiment::NEU),
        "con" | "conflict" => Some(sentiment::CON),
        _ => None,
    }
}

fn as_set(tags: &[Tag]) -> BTreeSet<(Option<&str>, Option<&str>)> {
    tags.iter().map(|t| (t.class.as_deref(), t.label.as_deref())).collect()
}

/// `food/POS`, `food` or `POS`, for messages.
fn show(tag: &Tag) -> String {
    match (&tag.class, &tag.label) {
        (Some(c), Some(l)) => format!("{c}/{l}"),
        (Some(c), None) => c.clone(),
        (None, Some(l)) => l.clone(),
        (None, None) => "an empty tag".into(),
    }
}

fn show_all(tags: &[Tag]) -> String {
    tags.iter().map(show).collect::<Vec<_>>().join(", ")
}

/// The first 60 characters of a text, for messages.
fn short(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}
