//! Page sources end to end: born-digital PDFs read from their text layer, scans (PDF, PNG,
//! JPEG, multi-page TIFF) read by the default OCR engine (PP-OCRv5 in-process; Tesseract too
//! with the feature `tesseract`), hostile files refused, annotated pages drawn.
//!
//! Every document is made here (`extract_support`): a synthetic invoice written as a PDF with
//! the standard Helvetica font, rendered by hayro where a scan is needed.

mod extract_support;

use extract_support::{
    invoice_lines, invoice_pdf, pdf_with_contents, pdf_with_flate_contents, pdf_with_images, png, render, text_content,
    Line, A4,
};
use image::RgbImage;
use opinio::extract::pages::{read_bytes, read_bytes_with, Format};
use opinio::extract::{annotate, BBox, Mark, Page, PageOrigin, ReadOptions, Word};
use opinio::{ErrorKind, Limits};

fn texts(page: &Page) -> Vec<&str> {
    page.words.iter().map(|w| w.text.as_str()).collect()
}

fn word<'a>(page: &'a Page, text: &str) -> &'a Word {
    page.words.iter().find(|w| w.text == text).unwrap_or_else(|| panic!("{text:?} not in {:?}", texts(page)))
}

/// Whether OCR found `wanted`, ignoring case and punctuation around it.
fn ocr_found(page: &Page, wanted: &str) -> bool {
    let clean = |s: &str| s.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    page.words.iter().any(|w| clean(&w.text) == clean(wanted))
}

fn assert_ocr_found(page: &Page, wanted: &[&str]) {
    let missing: Vec<&&str> = wanted.iter().filter(|w| !ocr_found(page, w)).collect();
    assert!(missing.is_empty(), "ocr missed {missing:?}; read {:?}", texts(page));
}

const OCR_KEYS: &[&str] = &["ACME", "INVOICE", "INV-2024-0042", "14.03.2024", "1,234.56", "Total", "EUR"];

// ---- born-digital PDFs ----

#[test]
fn a_born_digital_pdf_gives_its_words_at_their_positions() {
    let pages = read_bytes("invoice.pdf", &invoice_pdf()).unwrap();
    assert_eq!(pages.len(), 1);
    let page = &pages[0];
    assert_eq!(page.origin, PageOrigin::TextLayer);
    assert_eq!((page.width, page.height), A4);
    assert!(page.raster.is_none());
    let t = texts(page);
    for w in ["ACME", "Supplies", "GmbH", "INV-2024-0042", "14.03.2024", "1,234.56", "EUR", "(4", "pieces)"] {
        assert!(t.contains(&w), "{w:?} missing from {t:?}");
    }
    // "Total due" starts at x = 60 on a baseline at y = 490 (from the bottom), 12 points.
    let total = word(page, "Total");
    let baseline = 842.0 - 490.0;
    assert!((total.bbox.x0 - 60.0).abs() < 0.5, "{:?}", total.bbox);
    assert!(total.bbox.y0 < baseline - 7.0 && total.bbox.y0 > baseline - 12.0, "{:?}", total.bbox);
    assert!(total.bbox.y1 > baseline && total.bbox.y1 < baseline + 4.0, "{:?}", total.bbox);
    // Helvetica's "Total" is 27.4 points wide at 12 points (widths 611+556+278+556+222).
    assert!((total.bbox.width() - 26.7).abs() < 1.5, "{:?}", total.bbox);
    assert_eq!(total.confidence, 1.0);
    // Reading order: the due amount follows "due" on its line, and lines go top to bottom.
    let pos = |w: &str| t.iter().position(|x| *x == w).unwrap();
    assert!(pos("ACME") < pos("INVOICE") && pos("Total") < pos("due") && pos("due") < pos("1,234.56"));
    assert!(pos("1,234.56") < pos("IBAN"));
}

#[test]
fn quote_operators_kerning_gaps_and_several_pages_are_read() {
    // `'` moves to the next line and shows; `"` also sets word and character spacing; a TJ
    // array moves the pen by -3000/1000 em between two words that have no space.
    let first = "BT /F1 10 Tf 12 TL 72 700 Td (first line) Tj (second line) ' 2 0 (third line) \" ET\n\
                 BT /F1 10 Tf 72 600 Td [(Amount)-3000(42.00)] TJ ET\n";
    let second = text_content(&[Line { x: 100.0, y: 100.0, size: 20.0, text: "Page two" }]);
    let pdf = pdf_with_contents(&[first.to_string(), second], (612.0, 792.0), "", "");
    let pages = read_bytes("q.pdf", &pdf).unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(texts(&pages[0]), ["first", "line", "second", "line", "third", "line", "Amount", "42.00"]);
    let second_line = &pages[0].words[2];
    assert!((second_line.bbox.y1 - (792.0 - 688.0)).abs() < 3.0, "' moved down one leading: {:?}", second_line.bbox);
    assert_eq!(texts(&pages[1]), ["Page", "two"]);
    assert_eq!(pages[1].index, 1);
}

#[test]
fn a_rotated_page_reports_positions_as_displayed() {
    let content = text_content(&[Line { x: 72.0, y: 720.0, size: 12.0, text: "Rotated" }]);
    let pdf = pdf_with_contents(&[content], (612.0, 792.0), "/Rotate 90", "");
    let pages = read_bytes("r.pdf", &pdf).unwrap();
    let page = &pages[0];
    assert_eq!((page.width, page.height), (792.0, 612.0), "a quarter turn swaps the sides");
    // Turned clockwise, user space (x, y) shows at (y, x): the word runs down the page.
    let w = word(page, "Rotated");
    assert!(w.bbox.height() > 2.0 * w.bbox.width(), "{:?}", w.bbox);
    assert!((w.bbox.y0 - 72.0).abs() < 0.5, "{:?}", w.bbox);
    assert!(w.bbox.x0 < 720.0 && w.bbox.x1 > 720.0, "{:?}", w.bbox);
}

#[test]
fn born_digital_pages_can_be_rendered_for_annotation() {
    let mut options = ReadOptions::default();
    options.text_page_dpi = Some(72.0);
    let pages = read_bytes_with("invoice.pdf", &invoice_pdf(), &options).unwrap();
    let raster = pages[0].raster.as_ref().expect("rendered");
    assert_eq!(raster.dimensions(), (595, 842));
    assert!((pages[0].raster_scale - 1.0).abs() < 0.01);
    assert_eq!(pages[0].origin, PageOrigin::TextLayer);
}

// ---- hostile PDFs ----

#[test]
fn truncated_pdfs_fail_cleanly_or_read_what_is_there() {
    let pdf = invoice_pdf();
    // Cut before the page tree: nothing to read.
    let err = read_bytes("cut.pdf", &pdf[..60]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed, "{err}");
    assert!(err.message().contains("pdf"), "{err}");
    // Every other cut: an error or pages, never a panic.
    for cut in (0..pdf.len()).step_by(97) {
        match read_bytes("cut.pdf", &pdf[..cut]) {
            Ok(pages) => assert!(pages.iter().all(|p| p.origin == PageOrigin::TextLayer || p.raster.is_some())),
            Err(e) => assert!(matches!(e.kind(), ErrorKind::Malformed | ErrorKind::Unsupported), "{e}"),
        }
    }
}

#[test]
fn an_encrypted_pdf_asks_for_its_password_to_be_removed() {
    let content = text_content(&[Line { x: 72.0, y: 720.0, size: 12.0, text: "secret" }]);
    let o = "<".to_string() + &"4f".repeat(32) + ">";
    let u = "<".to_string() + &"a5".repeat(32) + ">";
    let trailer = format!(
        "/Encrypt << /Filter /Standard /V 1 /R 2 /Length 40 /O {o} /U {u} /P -4 >> /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]"
    );
    let pdf = pdf_with_contents(&[content], A4, "", &trailer);
    let err = read_bytes("locked.pdf", &pdf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    assert!(err.message().contains("encrypted"), "{err}");
}

#[test]
fn random_bytes_behind_a_pdf_header_are_malformed() {
    let mut state = 0x2545F4914F6CDD1Du64;
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..20_000).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    }));
    let err = read_bytes("noise.pdf", &bytes).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed, "{err}");
}

#[test]
fn a_zero_size_page_is_refused() {
    let content = text_content(&[Line { x: 0.0, y: 0.0, size: 12.0, text: "nothing" }]);
    let err = read_bytes("zero.pdf", &pdf_with_contents(&[content], (0.0, 0.0), "", "")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed, "{err}");
    assert!(err.message().contains("zero size"), "{err}");
}

#[test]
fn page_count_is_bounded() {
    let contents: Vec<String> = (0..4).map(|_| text_content(&[Line { x: 9.0, y: 9.0, size: 9.0, text: "p" }])).collect();
    let mut options = ReadOptions::default();
    options.limits.max_pages = 3;
    let err = read_bytes_with("many.pdf", &pdf_with_contents(&contents, A4, "", ""), &options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
}

// ---- images ----

/// A PNG whose header claims `width` x `height` pixels, followed by a tiny IDAT.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let real = png(&RgbImage::new(1, 1));
    let mut bytes = real.clone();
    // IHDR data starts at byte 16: width, height (big-endian); its CRC follows at 29.
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn a_decompression_bomb_png_is_refused_before_decoding() {
    let bomb = png_claiming(100_000, 100_000);
    assert!(bomb.len() < 100);
    let err = read_bytes("bomb.png", &bomb).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.message().contains("100000x100000"), "{err}");
}

#[test]
fn zero_size_and_broken_images_are_refused() {
    let err = read_bytes("empty.png", &png_claiming(0, 10)).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Malformed), "{err}");
    let jpeg = extract_support::jpeg(&RgbImage::new(64, 64));
    let err = read_bytes("cut.jpg", &jpeg[..jpeg.len() / 3]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed, "{err}");
    assert_eq!(Format::detect(&jpeg), Some(Format::Jpeg));
}

#[test]
fn a_rendered_invoice_png_is_read_end_to_end() {
    let scan = render(&invoice_pdf(), 0, 300.0);
    let pages = read_bytes("invoice.png", &png(&scan)).unwrap();
    let page = &pages[0];
    assert_eq!(page.origin, PageOrigin::Ocr);
    assert_eq!((page.width, page.height), (scan.width() as f32, scan.height() as f32));
    assert_ocr_found(page, OCR_KEYS);
    // Boxes are in pixels: "Total" at x = 60 pt = 250 px, baseline 352 pt = 1467 px.
    let total = page.words.iter().find(|w| w.text == "Total").expect("Total read");
    assert!((total.bbox.x0 - 250.0).abs() < 15.0, "{:?}", total.bbox);
    assert!(total.bbox.y0 < 1467.0 && total.bbox.y1 > 1440.0, "{:?}", total.bbox);
    assert!(total.confidence > 0.8 && total.confidence <= 1.0);
    assert!(page.raster.is_some());
}

/// The opt-in engine reads the same scan, with its word boxes in pixels too.
#[cfg(feature = "tesseract")]
#[test]
fn the_tesseract_engine_reads_the_invoice_when_built_in() {
    let scan = render(&invoice_pdf(), 0, 300.0);
    let mut options = ReadOptions::default();
    options.engine = opinio::extract::OcrEngine::Tesseract;
    let page = read_bytes_with("invoice.png", &png(&scan), &options).unwrap().remove(0);
    assert_ocr_found(&page, OCR_KEYS);
    let total = word(&page, "Total");
    assert!((total.bbox.x0 - 250.0).abs() < 15.0, "{:?}", total.bbox);
}

/// A language whose Tesseract data is missing is a clear error naming the file to install.
#[cfg(feature = "tesseract")]
#[test]
fn the_tesseract_engine_names_missing_language_data() {
    let empty = tempfile::tempdir().unwrap();
    let mut options = ReadOptions::with_languages(&[opinio::Language::De]);
    options.engine = opinio::extract::OcrEngine::Tesseract;
    options.tessdata = Some(empty.path().to_path_buf());
    let err = read_bytes_with("invoice.png", &png(&render(&invoice_pdf(), 0, 50.0)), &options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.message().contains("deu.traineddata"), "{err}");
}

/// Without the feature, asking for Tesseract is a clear error naming it.
#[cfg(not(feature = "tesseract"))]
#[test]
fn the_tesseract_engine_without_the_feature_is_a_clear_error() {
    let scan = render(&invoice_pdf(), 0, 50.0);
    let mut options = ReadOptions::default();
    options.engine = opinio::extract::OcrEngine::Tesseract;
    let err = read_bytes_with("invoice.png", &png(&scan), &options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.message().contains("feature `tesseract`"), "{err}");
}

#[test]
fn a_skewed_jpeg_scan_is_straightened_and_read() {
    let scan = render(&invoice_pdf(), 0, 300.0);
    let skewed = imageproc::geometric_transformations::rotate_about_center(
        &scan,
        3.0f32.to_radians(),
        imageproc::geometric_transformations::Interpolation::Bilinear,
        image::Rgb([255, 255, 255]),
    );
    let pages = read_bytes("skewed.jpg", &extract_support::jpeg(&skewed)).unwrap();
    assert_ocr_found(&pages[0], OCR_KEYS);
    // Straightened: the words of the total line share one band again.
    let total = word(&pages[0], "Total");
    let amount = pages[0].words.iter().find(|w| w.text.contains("1,234.56")).expect("amount");
    assert!((total.bbox.y0 - amount.bbox.y0).abs() < 12.0, "{:?} vs {:?}", total.bbox, amount.bbox);
}

#[test]
fn upside_down_and_sideways_scans_are_turned_upright() {
    let scan = render(&invoice_pdf(), 0, 300.0);
    let upside_down = image::imageops::rotate180(&scan);
    let pages = read_bytes("upside-down.png", &png(&upside_down)).unwrap();
    assert_ocr_found(&pages[0], OCR_KEYS);
    assert_eq!((pages[0].width, pages[0].height), (scan.width() as f32, scan.height() as f32));
    // Boxes on the upright page: "Total" at x = 60 pt = 250 px, as in the upright scan.
    assert!((word(&pages[0], "Total").bbox.x0 - 250.0).abs() < 15.0, "{:?}", word(&pages[0], "Total").bbox);
    // Lying on its side: read turned, so the page is as tall as the upright scan.
    let sideways = image::imageops::rotate270(&scan);
    let pages = read_bytes("sideways.png", &png(&sideways)).unwrap();
    assert_ocr_found(&pages[0], OCR_KEYS);
    assert_eq!((pages[0].width, pages[0].height), (scan.width() as f32, scan.height() as f32));
    assert!((word(&pages[0], "Total").bbox.x0 - 250.0).abs() < 15.0, "{:?}", word(&pages[0], "Total").bbox);
    let raster = pages[0].raster.as_ref().expect("raster kept");
    assert_eq!(raster.dimensions(), scan.dimensions(), "the annotated raster is the upright one");
}

#[test]
fn a_scanned_pdf_without_text_is_rendered_and_ocred() {
    let gray = image::imageops::grayscale(&render(&invoice_pdf(), 0, 200.0));
    let pdf = pdf_with_images(&[gray], A4);
    let pages = read_bytes("scan.pdf", &pdf).unwrap();
    let page = &pages[0];
    assert_eq!(page.origin, PageOrigin::Ocr);
    assert_eq!((page.width, page.height), A4, "pdf pages stay in points");
    assert_ocr_found(page, OCR_KEYS);
    let total = page.words.iter().find(|w| w.text == "Total").expect("Total");
    assert!((total.bbox.x0 - 60.0).abs() < 4.0, "points, not pixels: {:?}", total.bbox);
    assert!((page.raster_scale - 300.0 / 72.0).abs() < 0.05);
}

#[test]
fn every_page_of_a_multi_page_tiff_is_read() {
    let texts_per_page = ["Alpha invoice", "Bravo receipt", "Charlie delivery"];
    let mut bytes = Vec::new();
    {
        let mut tiff = tiff::encoder::TiffEncoder::new(std::io::Cursor::new(&mut bytes)).unwrap();
        for text in texts_per_page {
            let pdf = pdf_with_contents(&[text_content(&[Line { x: 72.0, y: 700.0, size: 28.0, text }])], A4, "", "");
            let gray = image::imageops::grayscale(&render(&pdf, 0, 150.0));
            tiff.write_image::<tiff::encoder::colortype::Gray8>(gray.width(), gray.height(), gray.as_raw()).unwrap();
        }
    }
    let pages = read_bytes("fax.tiff", &bytes).unwrap();
    assert_eq!(pages.len(), 3);
    for (i, (page, text)) in pages.iter().zip(texts_per_page).enumerate() {
        assert_eq!(page.index, i);
        assert_ocr_found(page, &text.split(' ').collect::<Vec<_>>());
    }
}

// ---- annotated pages ----

#[test]
fn annotated_pages_decode_as_png_of_the_page_size() {
    let scan = render(&invoice_pdf(), 0, 100.0);
    let mut pages = read_bytes("invoice.png", &png(&scan)).unwrap();
    let page = pages.remove(0);
    let total = page.words.iter().find(|w| w.text.contains("1,234.56")).expect("amount").bbox;
    let out = annotate(&page, &[Mark { bbox: total, label: "amount".into() }]).unwrap();
    let decoded = image::load_from_memory_with_format(&out, image::ImageFormat::Png).unwrap();
    assert_eq!((decoded.width(), decoded.height()), scan.dimensions());
    // Words-only page: drawn white, scaled up from points.
    let text_page = read_bytes("invoice.pdf", &invoice_pdf()).unwrap().remove(0);
    let out = annotate(&text_page, &[Mark { bbox: BBox::new(60.0, 60.0, 200.0, 80.0), label: "issuer".into() }]).unwrap();
    let decoded = image::load_from_memory_with_format(&out, image::ImageFormat::Png).unwrap();
    let ratio = decoded.width() as f32 / decoded.height() as f32;
    assert!((ratio - 595.0 / 842.0).abs() < 0.01 && decoded.height() >= 842);
}

#[test]
fn the_invoice_words_are_where_the_generator_put_them() {
    // Every line the generator drew comes back, word for word, in reading order.
    let page = read_bytes("invoice.pdf", &invoice_pdf()).unwrap().remove(0);
    let mut lines = invoice_lines();
    lines.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let expected: Vec<&str> = lines.iter().flat_map(|l| l.text.split(' ')).collect();
    assert_eq!(texts(&page), expected);
}

#[test]
fn annotated_folders_take_scans_and_what_was_read_round_trips_as_words_json() {
    let dir = tempfile::tempdir().unwrap();
    let scan = render(&invoice_pdf(), 0, 300.0);
    std::fs::write(dir.path().join("invoice.png"), png(&scan)).unwrap();
    std::fs::write(dir.path().join("invoice.answers.json"), r#"{"amount": "1,234.56"}"#).unwrap();
    let docs = opinio::extract::learn::read_annotated(dir.path(), &ReadOptions::default()).unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].name, "invoice");
    assert_eq!(docs[0].answers["amount"], "1,234.56");
    let page = &docs[0].pages[0];
    assert_eq!(page.origin, PageOrigin::Ocr);
    assert_ocr_found(page, OCR_KEYS);

    // What `opinio read` prints reads back as the same words.
    let json = opinio::extract::pages::words_json(&docs[0].pages);
    let back = read_bytes("again.words.json", json.to_string().as_bytes()).unwrap();
    assert_eq!((back[0].width, back[0].height), (page.width, page.height));
    assert_eq!(texts(&back[0]), texts(page));
    for (a, b) in back[0].words.iter().zip(&page.words) {
        assert!((a.bbox.x0 - b.bbox.x0).abs() <= 0.01 && (a.bbox.y1 - b.bbox.y1).abs() <= 0.01);
        assert!((a.confidence - b.confidence).abs() <= 0.001);
    }

    // One answers file cannot go with two documents of the same name.
    std::fs::write(dir.path().join("invoice.words.json"), json.to_string()).unwrap();
    let err = opinio::extract::learn::read_annotated(dir.path(), &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("invoice.png") && err.to_string().contains("invoice.words.json"), "{err}");
}

/// `limit` breached: the error is `LimitExceeded` and says how to raise it.
fn assert_limit(result: opinio::Result<Vec<Page>>, limit: &str) {
    let err = result.err().unwrap_or_else(|| panic!("{limit} was not enforced"));
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.to_string().contains(&format!("--limit {limit}=N")), "{err}");
}

#[test]
fn flate_bombs_and_oversized_documents_are_refused_naming_the_limit() {
    // A real page whose compressed content stream inflates to 8 MB (the text, then blanks).
    let mut content = text_content(&invoice_lines());
    content.push_str(&" ".repeat(8 << 20));
    let pdf = pdf_with_flate_contents(&[content], A4);
    assert!(pdf.len() < 64 << 10, "the stream compresses to {} bytes", pdf.len());
    let page = &read_bytes("bomb.pdf", &pdf).unwrap()[0];
    assert!(texts(page).contains(&"INVOICE"), "{:?}", texts(page));

    let mut options = ReadOptions::default();
    options.limits.max_pdf_stream_bytes = 4 << 20;
    assert_limit(read_bytes_with("bomb.pdf", &pdf, &options), "max_pdf_stream_bytes");

    let mut options = ReadOptions::default();
    options.limits.max_document_bytes = 1000;
    assert_limit(read_bytes_with("bomb.pdf", &pdf, &options), "max_document_bytes");

    let mut options = ReadOptions::default();
    options.limits.max_pdf_glyphs_per_page = 10;
    assert_limit(read_bytes_with("bomb.pdf", &pdf, &options), "max_pdf_glyphs_per_page");

    let mut limits = Limits::default();
    limits.max_pages = 1;
    let two = pdf_with_contents(&[text_content(&invoice_lines()), text_content(&invoice_lines())], A4, "", "");
    let mut options = ReadOptions::default();
    options.limits = limits;
    assert_limit(read_bytes_with("two.pdf", &two, &options), "max_pages");
}

#[test]
fn ocr_stops_at_its_time_limit() {
    let scan = pdf_with_images(&[image::DynamicImage::ImageRgb8(render(&invoice_pdf(), 0, 150.0)).to_luma8()], A4);
    let mut options = ReadOptions::default();
    options.limits.max_ocr_seconds_per_page = 0;
    assert_limit(read_bytes_with("scan.pdf", &scan, &options), "max_ocr_seconds_per_page");
}

#[test]
fn long_scanned_pdfs_are_read_a_few_pages_at_a_time_in_order() {
    // Six scanned pages on two threads: read four, then two. The text is on the first and
    // the last page; the others are blank.
    let invoice = image::DynamicImage::ImageRgb8(render(&invoice_pdf(), 0, 100.0)).to_luma8();
    let blank = image::GrayImage::from_pixel(invoice.width(), invoice.height(), image::Luma([255]));
    let scans = [&invoice, &blank, &blank, &blank, &blank, &invoice].map(|i| i.clone());
    let pdf = pdf_with_images(&scans, A4);
    let mut options = ReadOptions::default();
    options.ocr_dpi = 150.0;
    options.keep_rasters = false;
    let pages = opinio::parallel::Pool::new(2).unwrap().install(|| read_bytes_with("six.pdf", &pdf, &options)).unwrap();
    assert_eq!(pages.iter().map(|p| p.index).collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5]);
    let read: Vec<bool> = pages.iter().map(|p| ocr_found(p, "INVOICE")).collect();
    assert_eq!(read, [true, false, false, false, false, true]);
    assert!(pages.iter().all(|p| p.origin == PageOrigin::Ocr && p.raster.is_none()));
    options.keep_rasters = true;
    assert!(read_bytes_with("six.pdf", &pdf, &options).unwrap().iter().all(|p| p.raster.is_some()));
}
