//! File ingest: every format, column choice, previews (the seed's sample exactly), and
//! hostile input built at test time.

use std::io::Write;
use std::path::{Path, PathBuf};

use opinio::ingest::{self, Column, Format, IngestOptions, Record};
use opinio::schema::{DocId, Document};
use opinio::{Error, ErrorKind, Limits};
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest").join(name)
}

fn opts(column: Option<Column>, header_first: bool) -> IngestOptions {
    IngestOptions { column, header_first, ..IngestOptions::default() }
}

fn read(path: &Path, o: &IngestOptions) -> Vec<Record> {
    ingest::open(path, o).unwrap().map(|r| r.unwrap()).collect()
}

fn texts(records: &[Record]) -> Vec<&str> {
    records.iter().map(|r| r.text.as_str()).collect()
}

fn ids(records: &[Record]) -> Vec<Option<DocId>> {
    records.iter().map(|r| r.id.clone()).collect()
}

fn lines(records: &[Record]) -> Vec<u64> {
    records.iter().map(|r| r.line).collect()
}

fn meta(r: &Record) -> Value {
    Value::Object(r.meta.clone())
}

fn int(n: i64) -> Option<DocId> {
    Some(DocId::Int(n))
}

fn string(s: &str) -> Option<DocId> {
    Some(DocId::Str(s.to_string()))
}

const CLEAN: &str = "The room was clean, the staff friendly.";
const COLD: &str = "Breakfast was cold.\nCoffee too.";

/// Asserts an error's kind and that its message names the file and the line.
fn assert_error(e: &Error, kind: ErrorKind, file: &str, line: u64) {
    assert_eq!(e.kind(), kind, "{e}");
    assert_eq!(e.line(), Some(line), "{e}");
    let shown = e.to_string();
    assert!(shown.contains(file), "message should name {file}: {shown}");
    assert!(shown.contains(&format!(":{line}:")), "message should name line {line}: {shown}");
}

// ---------------------------------------------------------------------------------------------
// Formats

#[test]
fn format_from_extension() {
    assert_eq!(Format::from_path(Path::new("x.CSV")).unwrap(), Format::Csv);
    assert_eq!(Format::from_path(Path::new("x.txt")).unwrap(), Format::Txt);
    assert_eq!(Format::from_path(Path::new("x.json")).unwrap(), Format::Json);
    assert_eq!(Format::from_path(Path::new("x.jsonl")).unwrap(), Format::Jsonl);
    assert_eq!(Format::from_path(Path::new("x.Xlsx")).unwrap(), Format::Xlsx);
    let e = ingest::open(Path::new("reviews.docx"), &IngestOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.to_string().contains("reviews.docx") && e.to_string().contains(".docx"), "{e}");
}

#[test]
fn csv_with_header() {
    let recs = read(&fixture("reviews.csv"), &opts(None, true));
    assert_eq!(texts(&recs), [CLEAN, COLD, "Great location"]);
    assert_eq!(ids(&recs), [int(1), int(2), string("r-3")]);
    assert_eq!(lines(&recs), [2, 3, 5]);
    assert_eq!(meta(&recs[0]), json!({"rating": "5", "source": "web"}));
    assert_eq!(meta(&recs[2]), json!({"rating": null, "source": "web"}));
    let r = ingest::open(&fixture("reviews.csv"), &opts(None, true)).unwrap();
    assert_eq!(r.header().unwrap(), ["id", "text", "rating", "source"]);
}

#[test]
fn csv_column_by_name_and_index() {
    let by_name = read(&fixture("reviews.csv"), &opts(Some(Column::Name("Source".into())), true));
    assert_eq!(texts(&by_name), ["web", "app", "web"]);
    assert_eq!(meta(&by_name[1]), json!({"text": COLD, "rating": "2"}));
    assert_eq!(ids(&by_name), [int(1), int(2), string("r-3")]);
    let by_index = read(&fixture("reviews.csv"), &opts(Some(Column::Index(2)), true));
    assert_eq!(texts(&by_index), ["5", "2", ""]);
}

#[test]
fn csv_without_header() {
    let recs = read(&fixture("reviews.csv"), &opts(Some(Column::Index(1)), false));
    assert_eq!(texts(&recs), ["text", CLEAN, COLD, "Great location"]);
    assert_eq!(ids(&recs), [None, None, None, None]);
    assert_eq!(lines(&recs), [1, 2, 3, 5]);
    assert_eq!(meta(&recs[1]), json!({"0": "1", "2": "5", "3": "web"}));
    // Default: column 0.
    let recs = read(&fixture("reviews.csv"), &opts(None, false));
    assert_eq!(texts(&recs), ["id", "1", "2", "r-3"]);
}

#[test]
fn csv_column_errors() {
    let path = fixture("reviews.csv");
    let e = ingest::open(&path, &opts(Some(Column::Name("review".into())), true)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let msg = e.to_string();
    assert!(msg.contains("\"review\"") && msg.contains("\"source\"") && msg.contains("reviews.csv"), "{msg}");
    let e = ingest::open(&path, &opts(Some(Column::Index(4)), true)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("column 4") && e.to_string().contains("3 \"source\""), "{e}");
    let e = ingest::open(&path, &opts(Some(Column::Name("text".into())), false)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("header_first"), "{e}");
    let e = ingest::open(&path, &opts(Some(Column::Index(9)), false)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("column 9"), "{e}");
}

#[test]
fn csv_semicolons_bom_and_short_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("semi.csv");
    std::fs::write(&path, "\u{feff}ID;Text;lang\r\n7;\"a; b\";en\r\n8\r\n").unwrap();
    let mut recs = ingest::open(&path, &opts(None, true)).unwrap();
    let first = recs.next().unwrap().unwrap();
    assert_eq!((first.id.clone(), first.text.as_str()), (int(7), "a; b"));
    assert_eq!(meta(&first), json!({"lang": "en"}));
    let e = recs.next().unwrap().unwrap_err();
    assert_error(&e, ErrorKind::Malformed, "semi.csv", 3);
    assert!(e.to_string().contains("column 1 (\"Text\")"), "{e}");
    assert!(recs.next().is_none());
}

#[test]
fn txt_one_document_per_line() {
    let recs = read(&fixture("reviews.txt"), &opts(Some(Column::Index(3)), true));
    assert_eq!(texts(&recs), [CLEAN, "Breakfast was cold.", "  Great location  "]);
    assert_eq!(lines(&recs), [1, 4, 5]);
    assert!(recs.iter().all(|r| r.id.is_none() && r.meta.is_empty()));
}

#[test]
fn jsonl_records() {
    let recs = read(&fixture("reviews.jsonl"), &IngestOptions::default());
    assert_eq!(texts(&recs), [CLEAN, COLD, "Great location", "Quiet at night"]);
    assert_eq!(ids(&recs), [int(1), int(2), string("r-3"), None]);
    assert_eq!(lines(&recs), [1, 2, 4, 5]);
    assert_eq!(meta(&recs[0]), json!({"rating": 5, "source": "web"}));
    assert_eq!(meta(&recs[2]), json!({"rating": null, "source": "web"}));
    let by_name = read(&fixture("reviews.jsonl"), &opts(Some(Column::Name("source".into())), false));
    assert_eq!(texts(&by_name[..3]), ["web", "app", "web"]);
    assert_eq!(meta(&by_name[0]), json!({"text": CLEAN, "rating": 5}));
    // Index: the object's i-th property ("id" is 0).
    let by_index = read(&fixture("reviews.jsonl"), &opts(Some(Column::Index(3)), false));
    assert_eq!(texts(&by_index[..3]), ["web", "app", "web"]);
}

#[test]
fn json_array_and_documents_object() {
    let recs = read(&fixture("reviews.json"), &IngestOptions::default());
    assert_eq!(texts(&recs), [CLEAN, COLD, "Great location", "Quiet at night"]);
    assert_eq!(ids(&recs), [int(1), int(2), string("r-3"), None]);
    assert_eq!(lines(&recs), [2, 3, 4, 5]);
    assert_eq!(meta(&recs[1]), json!({"rating": 2, "source": "app"}));
    let recs = read(&fixture("request.json"), &IngestOptions::default());
    assert_eq!(texts(&recs), [CLEAN, "Great location"]);
    assert_eq!(ids(&recs), [int(18000), string("r-3")]);
}

#[test]
fn json_text_must_be_a_string() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, "[{\"text\": \"ok\"},\n {\"text\": 3},\n {\"body\": \"x\"},\n \"fine\"]").unwrap();
    let got: Vec<_> = ingest::open(&path, &IngestOptions::default()).unwrap().collect();
    assert_eq!(got.len(), 4);
    assert_error(got[1].as_ref().unwrap_err(), ErrorKind::Malformed, "bad.json", 2);
    assert!(got[1].as_ref().unwrap_err().to_string().contains("\"text\""));
    let e = got[2].as_ref().unwrap_err();
    assert_error(e, ErrorKind::Malformed, "bad.json", 3);
    assert!(e.to_string().contains("\"text\"") && e.to_string().contains("\"body\""), "{e}");
    assert_eq!(got[3].as_ref().unwrap().text, "fine");
}

#[test]
fn xlsx_first_sheet() {
    let recs = read(&fixture("reviews.xlsx"), &opts(None, true));
    assert_eq!(texts(&recs), [CLEAN, COLD, "Great location"]);
    assert_eq!(ids(&recs), [int(1), int(2), string("r-3")]);
    assert_eq!(lines(&recs), [2, 3, 5]);
    assert_eq!(meta(&recs[0]), json!({"rating": "5", "stayed": "2024-05-01", "source": "web"}));
    assert_eq!(meta(&recs[1]), json!({"rating": "2.5", "stayed": "2024-05-02T14:30:00", "source": "app"}));
    assert_eq!(meta(&recs[2]), json!({"rating": null, "stayed": null, "source": "true"}));
    let by_name = read(&fixture("reviews.xlsx"), &opts(Some(Column::Name("SOURCE".into())), true));
    assert_eq!(texts(&by_name), ["web", "app", "true"]);
    let no_header = read(&fixture("reviews.xlsx"), &opts(Some(Column::Index(1)), false));
    assert_eq!(texts(&no_header), ["text", CLEAN, COLD, "Great location"]);
    assert_eq!(meta(&no_header[1])["0"], json!("1"));
    let e =
        ingest::open(&fixture("reviews.xlsx"), &opts(Some(Column::Name("nope".into())), true)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("\"stayed\""), "{e}");
}

#[test]
fn from_reader_and_documents() {
    let data = std::fs::read(fixture("reviews.jsonl")).unwrap();
    let recs: Vec<Record> =
        ingest::from_reader(std::io::Cursor::new(data), Format::Jsonl, "-", &IngestOptions::default())
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
    assert_eq!(recs.len(), 4);
    let doc = Document::from(recs[0].clone());
    assert_eq!(
        serde_json::to_value(&doc).unwrap(),
        json!({"id": 1, "text": CLEAN, "meta": {"rating": 5, "source": "web"}})
    );
    let doc = Document::from(recs[3].clone());
    assert_eq!(serde_json::to_value(&doc).unwrap(), json!({"text": "Quiet at night"}));
    let xlsx = std::fs::read(fixture("reviews.xlsx")).unwrap();
    let recs: Vec<Record> =
        ingest::from_reader(std::io::Cursor::new(xlsx), Format::Xlsx, "upload", &opts(None, true))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
    assert_eq!(texts(&recs), [CLEAN, COLD, "Great location"]);
    // Errors name the stand-in name.
    let broken = b"{\"text\": \"a\"}\n{nope\n".to_vec();
    let got: Vec<_> =
        ingest::from_reader(std::io::Cursor::new(broken), Format::Jsonl, "-", &IngestOptions::default())
            .unwrap()
            .collect();
    assert_error(got[1].as_ref().unwrap_err(), ErrorKind::Malformed, "-", 2);
}

// ---------------------------------------------------------------------------------------------
// Previews

fn cells(rows: &[&[Option<&str>]]) -> Vec<Vec<Option<String>>> {
    rows.iter().map(|r| r.iter().map(|c| c.map(str::to_string)).collect()).collect()
}

#[test]
fn seed_preview_exactly() {
    let p = ingest::preview(&fixture("seed_preview.csv"), 3, &Limits::default()).unwrap();
    let got = serde_json::to_value(&p).unwrap();
    let id = got["id"].as_str().unwrap().to_string();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 5);
    assert_eq!(
        got,
        json!({
            "id": id,
            "preview": [
                ["another_column", "document", "review_source"],
                [null, "the hotel is good", "a"],
                ["test", "the hotel is bad", "b"],
                ["null", "the hotel is ok", "a"]
            ]
        })
    );
    // The same content gets the same id; another file another one.
    let again = ingest::preview(&fixture("seed_preview.csv"), 1, &Limits::default()).unwrap();
    assert_eq!(again.id, id);
    assert_eq!(again.preview.len(), 2);
    assert_ne!(ingest::preview(&fixture("reviews.csv"), 3, &Limits::default()).unwrap().id, id);
}

#[test]
fn preview_of_each_format() {
    let l = Limits::default();
    let p = ingest::preview(&fixture("reviews.csv"), 5, &l).unwrap();
    assert_eq!(
        p.preview,
        cells(&[
            &[Some("id"), Some("text"), Some("rating"), Some("source")],
            &[Some("1"), Some(CLEAN), Some("5"), Some("web")],
            &[Some("2"), Some(COLD), Some("2"), Some("app")],
            &[Some("r-3"), Some("Great location"), None, Some("web")],
        ])
    );
    let p = ingest::preview(&fixture("reviews.xlsx"), 2, &l).unwrap();
    assert_eq!(
        p.preview,
        cells(&[
            &[Some("id"), Some("text"), Some("rating"), Some("stayed"), Some("source")],
            &[Some("1"), Some(CLEAN), Some("5"), Some("2024-05-01"), Some("web")],
            &[Some("2"), Some(COLD), Some("2.5"), Some("2024-05-02T14:30:00"), Some("app")],
        ])
    );
    let p = ingest::preview(&fixture("reviews.xlsx"), 5, &l).unwrap();
    assert_eq!(p.preview[3], cells(&[&[Some("r-3"), Some("Great location"), None, None, Some("true")]])[0]);
    let expected_json = cells(&[
        &[Some("id"), Some("text"), Some("rating"), Some("source")],
        &[Some("1"), Some(CLEAN), Some("5"), Some("web")],
        &[Some("2"), Some(COLD), Some("2"), Some("app")],
        &[Some("r-3"), Some("Great location"), None, Some("web")],
        &[None, Some("Quiet at night"), None, None],
    ]);
    assert_eq!(ingest::preview(&fixture("reviews.jsonl"), 5, &l).unwrap().preview, expected_json);
    assert_eq!(ingest::preview(&fixture("reviews.json"), 5, &l).unwrap().preview, expected_json);
    assert_eq!(
        ingest::preview(&fixture("reviews.json"), 1, &l).unwrap().preview,
        expected_json[..2].to_vec()
    );
    let p = ingest::preview(&fixture("reviews.txt"), 2, &l).unwrap();
    assert_eq!(p.preview, cells(&[&[Some("text")], &[Some(CLEAN)], &[Some("Breakfast was cold.")]]));
}

// ---------------------------------------------------------------------------------------------
// Hostile input

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn invalid_utf8_is_reported_per_record() {
    let dir = tempfile::tempdir().unwrap();
    for (name, data) in [
        ("bad.txt", &b"good one\nbad \xff\xfe here\nlast\n"[..]),
        ("bad.jsonl", &b"\"good one\"\n\"bad \xff\xfe here\"\n\"last\"\n"[..]),
        ("bad.csv", &b"good one\nbad \xff\xfe here\nlast\n"[..]),
        ("bad.json", &b"[\"good one\",\n\"bad \xff\xfe here\",\n\"last\"]"[..]),
    ] {
        let path = write(dir.path(), name, data);
        let got: Vec<_> = ingest::open(&path, &IngestOptions::default()).unwrap().collect();
        assert_eq!(got.len(), 3, "{name}: {got:?}");
        assert_eq!(got[0].as_ref().unwrap().text, "good one", "{name}");
        assert_error(got[1].as_ref().unwrap_err(), ErrorKind::InvalidUtf8, name, 2);
        assert_eq!(got[2].as_ref().unwrap().text, "last", "{name}");
    }
}

/// A file whose second line is `len` bytes long, streamed to disk.
fn with_long_line(dir: &Path, name: &str, first: &str, long_prefix: &str, len: usize, last: &str) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(f, "{first}").unwrap();
    f.write_all(long_prefix.as_bytes()).unwrap();
    let chunk = vec![b'a'; 1 << 20];
    let mut left = len - long_prefix.len() - 1;
    while left > 0 {
        let n = left.min(chunk.len());
        f.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    f.write_all(b"\"\n").unwrap();
    writeln!(f, "{last}").unwrap();
    f.flush().unwrap();
    path
}

#[test]
fn fifty_megabyte_line_is_refused_and_the_next_line_read() {
    const LEN: usize = 50 << 20;
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        with_long_line(dir.path(), "long.txt", "first", "\"", LEN, "after"),
        with_long_line(dir.path(), "long.jsonl", "\"first\"", "{\"text\": \"", LEN, "\"after\""),
        with_long_line(dir.path(), "long.csv", "first", "\"", LEN, "after"),
    ];
    for path in &cases {
        let name = path.file_name().unwrap().to_str().unwrap();
        let got: Vec<_> = ingest::open(path, &IngestOptions::default()).unwrap().collect();
        assert_eq!(got.len(), 3, "{name}");
        assert_eq!(got[0].as_ref().unwrap().text, "first", "{name}");
        let e = got[1].as_ref().unwrap_err();
        assert_error(e, ErrorKind::LimitExceeded, name, 2);
        assert!(e.to_string().contains(&format!("{LEN} bytes")), "{name}: {e}");
        let after = got[2].as_ref().unwrap();
        assert_eq!((after.text.as_str(), after.line), ("after", 3), "{name}");
    }
    // A JSON array element of the same size.
    let path = dir.path().join("long.json");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    f.write_all(b"[\"first\",\n\"").unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..50 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\",\n\"after\"]\n").unwrap();
    drop(f);
    let got: Vec<_> = ingest::open(&path, &IngestOptions::default()).unwrap().collect();
    assert_eq!(got.len(), 3);
    assert_error(got[1].as_ref().unwrap_err(), ErrorKind::LimitExceeded, "long.json", 2);
    assert_eq!(got[2].as_ref().unwrap().text, "after");
}

#[test]
fn deep_nesting_is_refused_without_overflowing() {
    let dir = tempfile::tempdir().unwrap();
    let deep = "[".repeat(100_000);
    let path = write(dir.path(), "deep.json", deep.as_bytes());
    let got: Vec<_> = ingest::open(&path, &IngestOptions::default()).unwrap().collect();
    assert_eq!(got.len(), 1);
    assert_error(got[0].as_ref().unwrap_err(), ErrorKind::LimitExceeded, "deep.json", 1);
    assert!(got[0].as_ref().unwrap_err().to_string().contains("nesting"));

    let closed = format!("[\"ok\", {}{}, \"after\"]", "[".repeat(100_000), "]".repeat(100_000));
    let path = write(dir.path(), "closed.json", closed.as_bytes());
    let got: Vec<_> = ingest::open(&path, &IngestOptions::default()).unwrap().collect();
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].as_ref().unwrap_err().kind(), ErrorKind::LimitExceeded);
    assert_eq!(got[2].as_ref().unwrap().text, "after");

    let jsonl = format!("\"ok\"\n{}\n{{\"text\": {}1{}}}\n\"after\"\n", deep, "[".repeat(70), "]".repeat(70));
    let path = write(dir.path(), "deep.jsonl", jsonl.as_bytes());
    let got: Vec<_> = ingest::open(&path, &IngestOptions::default()).unwrap().collect();
    assert_eq!(got.len(), 4);
    assert_error(got[1].as_ref().unwrap_err(), ErrorKind::LimitExceeded, "deep.jsonl", 2);
    // 71 levels is over the default 64, though serde_json alone would accept it.
    assert_error(got[2].as_ref().unwrap_err(), ErrorKind::LimitExceeded, "deep.jsonl", 3);
    assert_eq!(got[3].as_ref().unwrap().text, "after");
}

#[test]
fn jsonl_broken_record_is_reported_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data =
        "{\"id\": 1, \"text\": \"one\"}\n{\"id\": 2, \"text\": \"two\"\n\n{\"id\": 3, \"text\": \"three\"}\n";
    let path = write(dir.path(), "broken.jsonl", data.as_bytes());
    let got: Vec<_> = ingest::open(&path, &IngestOptions::default()).unwrap().collect();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].as_ref().unwrap().id, int(1));
    assert_error(got[1].as_ref().unwrap_err(), ErrorKind::Malformed, "broken.jsonl", 2);
    let third = got[2].as_ref().unwrap();
    assert_eq!((third.id.clone(), third.text.as_str(), third.line), (int(3), "three", 4));
    // The preview reports it too.
    let e = ingest::preview(&path, 5, &Limits::default()).unwrap_err();
    assert_error(&e, ErrorKind::Malformed, "broken.jsonl", 2);
}

#[test]
fn random_bytes_named_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    let mut noise = Vec::with_capacity(4096);
    let mut x: u32 = 0x1234_5678;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise.push(x as u8);
    }
    let path = write(dir.path(), "noise.xlsx", &noise);
    let e = ingest::open(&path, &IngestOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed, "{e}");
    assert!(e.to_string().contains("noise.xlsx") && e.to_string().contains("not an xlsx workbook"), "{e}");
    let e = ingest::preview(&path, 3, &Limits::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed, "{e}");
    // A zip that is not a workbook.
    let path = dir.path().join("plain.xlsx");
    zip_with(&path, &[("hello.txt", b"hi".as_slice())]);
    let e = ingest::open(&path, &IngestOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed, "{e}");
    assert!(e.to_string().contains("plain.xlsx"), "{e}");
}

fn zip_with(path: &Path, members: &[(&str, &[u8])]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
}

/// Rewrites a zip's sizes for `member` (local header and central directory).
fn patch_sizes(bytes: &mut [u8], member: &str, uncompressed: u32) {
    let name = member.as_bytes();
    let mut patched = 0;
    for i in 0..bytes.len().saturating_sub(46) {
        let sig = u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
        let (size_at, name_len_at, name_at) = match sig {
            0x0403_4b50 => (22, 26, 30),
            0x0201_4b50 => (24, 28, 46),
            _ => continue,
        };
        let len =
            u16::from_le_bytes(bytes[i + name_len_at..i + name_len_at + 2].try_into().unwrap()) as usize;
        if bytes.get(i + name_at..i + name_at + len) == Some(name) {
            bytes[i + size_at..i + size_at + 4].copy_from_slice(&uncompressed.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "local header and central directory entry");
}

#[test]
fn zip_bombs_named_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    let members = workbook_members();
    let as_refs = |extra: &[(&'static str, &'static [u8])]| {
        let mut v: Vec<(&str, &[u8])> = members.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
        v.extend_from_slice(extra);
        v
    };

    // The rebuilt workbook still reads.
    let path = dir.path().join("rebuilt.xlsx");
    zip_with(&path, &as_refs(&[]));
    assert_eq!(read(&path, &opts(None, true)).len(), 3);

    // 8 MiB of zeros compresses about 1000 to 1: over the default ratio limit.
    let zeros: &'static [u8] = Box::leak(vec![0u8; 8 << 20].into_boxed_slice());
    let path = dir.path().join("ratio.xlsx");
    zip_with(&path, &as_refs(&[("xl/media/zeros.bin", zeros)]));
    let e = ingest::open(&path, &opts(None, true)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
    assert!(e.to_string().contains("ratio.xlsx") && e.to_string().contains("xl/media/zeros.bin"), "{e}");
    let e = ingest::preview(&path, 3, &Limits::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");

    // A member declaring 4 GB: over the total uncompressed size limit.
    let path = dir.path().join("declared.xlsx");
    zip_with(&path, &as_refs(&[("xl/media/big.bin", b"tiny".as_slice())]));
    let mut bytes = std::fs::read(&path).unwrap();
    patch_sizes(&mut bytes, "xl/media/big.bin", 0xFFFF_FFF0);
    std::fs::write(&path, &bytes).unwrap();
    let e = ingest::open(&path, &opts(None, true)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
    assert!(e.to_string().contains("xl/media/big.bin") && e.to_string().contains("uncompressed size"), "{e}");

    // A member holding more than it declares.
    let path = dir.path().join("liar.xlsx");
    let ones: &'static [u8] = Box::leak(vec![1u8; 64 << 10].into_boxed_slice());
    zip_with(&path, &as_refs(&[("xl/media/liar.bin", ones)]));
    let mut bytes = std::fs::read(&path).unwrap();
    patch_sizes(&mut bytes, "xl/media/liar.bin", 100);
    std::fs::write(&path, &bytes).unwrap();
    let e = ingest::open(&path, &opts(None, true)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed, "{e}");
    assert!(e.to_string().contains("xl/media/liar.bin"), "{e}");

    // A lowered total limit refuses even the plain workbook.
    let mut limits = Limits::default();
    limits.max_uncompressed_bytes = 1000;
    let o = IngestOptions { limits, header_first: true, ..IngestOptions::default() };
    let e = ingest::open(&fixture("reviews.xlsx"), &o).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
}

/// The fixture workbook's members, by name.
fn workbook_members() -> Vec<(String, Vec<u8>)> {
    let workbook = std::fs::read(fixture("reviews.xlsx")).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(workbook)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut data).unwrap();
            (f.name().unwrap().to_string(), data)
        })
        .collect()
}

#[test]
fn xlsx_many_rows_and_a_long_one() {
    let mut sheet = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>\
         <row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>id</t></is></c>\
         <c r=\"C1\" t=\"inlineStr\"><is><t>text</t></is></c></row>",
    );
    for i in 2..=1001 {
        let text = if i == 500 { "x".repeat(2000) } else { format!("doc {i}") };
        sheet.push_str(&format!(
            "<row r=\"{i}\"><c r=\"A{i}\"><v>{i}</v></c><c r=\"C{i}\" t=\"inlineStr\"><is><t>{text}</t></is></c></row>"
        ));
    }
    sheet.push_str("</sheetData></worksheet>");
    let members: Vec<(String, Vec<u8>)> = workbook_members()
        .into_iter()
        .map(|(n, d)| if n == "xl/worksheets/sheet1.xml" { (n, sheet.clone().into_bytes()) } else { (n, d) })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.xlsx");
    let refs: Vec<(&str, &[u8])> = members.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
    zip_with(&path, &refs);
    let mut limits = Limits::default();
    limits.max_record_bytes = 1000;
    let o = IngestOptions { limits, header_first: true, ..IngestOptions::default() };
    let got: Vec<_> = ingest::open(&path, &o).unwrap().collect();
    assert_eq!(got.len(), 1000);
    assert_error(got[498].as_ref().unwrap_err(), ErrorKind::LimitExceeded, "many.xlsx", 500);
    for (k, item) in got.iter().enumerate().filter(|(k, _)| *k != 498) {
        let r = item.as_ref().unwrap();
        let i = k as i64 + 2;
        assert_eq!((r.id.clone(), r.text.clone(), r.line), (int(i), format!("doc {i}"), i as u64));
        // Column B is empty in every row: null in meta, keyed by its index.
        assert_eq!(meta(r), json!({"1": null}));
    }
    let p = ingest::preview(&path, 2, &Limits::default()).unwrap();
    assert_eq!(
        p.preview,
        cells(&[
            &[Some("id"), None, Some("text")],
            &[Some("2"), None, Some("doc 2")],
            &[Some("3"), None, Some("doc 3")]
        ])
    );
}

#[test]
fn records_stop_early_without_hanging() {
    // Dropping an XLSX iterator half way must not block (its reader thread ends).
    let mut r = ingest::open(&fixture("reviews.xlsx"), &opts(None, true)).unwrap();
    assert!(r.next().unwrap().is_ok());
    drop(r);
}
