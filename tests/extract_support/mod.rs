//! Documents made by the tests themselves: minimal valid PDFs (text in the standard
//! Helvetica font, or one greyscale image per page) and their renders, so that the page
//! tests need no fixture from elsewhere. Shared by `tests/extract_pages.rs` and
//! `benches/extract.rs`.
#![allow(dead_code)]

use image::{GrayImage, RgbImage};

/// One line of text: position of its baseline start in PDF user space (points, origin
/// bottom-left), font size, text (ASCII; `(`, `)` and `\` are escaped here).
pub struct Line<'a> {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub text: &'a str,
}

pub const A4: (f32, f32) = (595.0, 842.0);

/// A synthetic invoice: the words the OCR tests look for.
pub fn invoice_lines() -> Vec<Line<'static>> {
    vec![
        Line { x: 60.0, y: 770.0, size: 26.0, text: "ACME Supplies GmbH" },
        Line { x: 60.0, y: 740.0, size: 11.0, text: "Hauptstrasse 12, 10115 Berlin" },
        Line { x: 360.0, y: 680.0, size: 14.0, text: "INVOICE" },
        Line { x: 360.0, y: 660.0, size: 11.0, text: "Invoice number: INV-2024-0042" },
        Line { x: 360.0, y: 644.0, size: 11.0, text: "Date: 14.03.2024" },
        Line { x: 60.0, y: 560.0, size: 11.0, text: "Description" },
        Line { x: 420.0, y: 560.0, size: 11.0, text: "Amount" },
        Line { x: 60.0, y: 540.0, size: 11.0, text: "Office chairs (4 pieces)" },
        Line { x: 420.0, y: 540.0, size: 11.0, text: "1,180.00 EUR" },
        Line { x: 60.0, y: 524.0, size: 11.0, text: "Delivery" },
        Line { x: 420.0, y: 524.0, size: 11.0, text: "54.56 EUR" },
        Line { x: 60.0, y: 490.0, size: 12.0, text: "Total due" },
        Line { x: 420.0, y: 490.0, size: 12.0, text: "1,234.56 EUR" },
        Line { x: 60.0, y: 120.0, size: 9.0, text: "IBAN DE89 3704 0044 0532 0130 00" },
    ]
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('(', "\\(").replace(')', "\\)")
}

/// The content stream drawing `lines` with `Tj`.
pub fn text_content(lines: &[Line]) -> String {
    lines
        .iter()
        .map(|l| format!("BT /F1 {} Tf {} {} Td ({}) Tj ET\n", l.size, l.x, l.y, escape(l.text)))
        .collect()
}

/// A PDF whose pages each draw one content stream with Helvetica as `/F1`; `extra_page_dict`
/// is added to every page dictionary (e.g. `/Rotate 90`), `extra_trailer` to the trailer.
pub fn pdf_with_contents(
    contents: &[String],
    size: (f32, f32),
    extra_page_dict: &str,
    extra_trailer: &str,
) -> Vec<u8> {
    pdf_of_pages(contents, size, extra_page_dict, extra_trailer, false)
}

/// [`pdf_with_contents`] with each page's content stream compressed (`/FlateDecode`), as
/// most PDFs store them.
pub fn pdf_with_flate_contents(contents: &[String], size: (f32, f32)) -> Vec<u8> {
    pdf_of_pages(contents, size, "", "", true)
}

fn pdf_of_pages(
    contents: &[String],
    size: (f32, f32),
    extra_page_dict: &str,
    extra_trailer: &str,
    flate: bool,
) -> Vec<u8> {
    let n = contents.len();
    // Objects: 1 catalog, 2 pages, 3 font, then (page, content) pairs.
    let mut objects: Vec<Vec<u8>> = Vec::new();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes());
    objects
        .push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec());
    for (i, content) in contents.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R {extra_page_dict} >>",
                size.0,
                size.1,
                5 + 2 * i
            )
            .into_bytes(),
        );
        let (data, filter) = match flate {
            true => {
                use std::io::Write;
                let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
                z.write_all(content.as_bytes()).unwrap();
                (z.finish().unwrap(), " /Filter /FlateDecode")
            }
            false => (content.as_bytes().to_vec(), ""),
        };
        let mut stream = format!("<< /Length {}{filter} >>\nstream\n", data.len()).into_bytes();
        stream.extend_from_slice(&data);
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    assemble(objects, extra_trailer)
}

/// A PDF of one page per image, each image (8-bit grey, uncompressed) filling its page:
/// a scan without a text layer.
pub fn pdf_with_images(images: &[GrayImage], size: (f32, f32)) -> Vec<u8> {
    let n = images.len();
    let mut objects: Vec<Vec<u8>> = Vec::new();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 3 + 3 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes());
    for (i, img) in images.iter().enumerate() {
        let (page, content, xobject) = (3 + 3 * i, 4 + 3 * i, 5 + 3 * i);
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /XObject << /Im0 {xobject} 0 R >> >> /Contents {content} 0 R >>",
                size.0, size.1
            )
            .into_bytes(),
        );
        let _ = page;
        let draw = format!("q {} 0 0 {} 0 0 cm /Im0 Do Q", size.0, size.1);
        objects.push(format!("<< /Length {} >>\nstream\n{draw}\nendstream", draw.len()).into_bytes());
        let mut stream = format!(
            "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length {} >>\nstream\n",
            img.width(),
            img.height(),
            img.as_raw().len()
        )
        .into_bytes();
        stream.extend_from_slice(img.as_raw());
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    assemble(objects, "")
}

/// Numbers the objects from 1, writes them with a cross-reference table and a trailer.
fn assemble(objects: Vec<Vec<u8>>, extra_trailer: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {extra_trailer} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The synthetic invoice as a one-page born-digital PDF.
pub fn invoice_pdf() -> Vec<u8> {
    pdf_with_contents(&[text_content(&invoice_lines())], A4, "", "")
}

/// Renders page `index` of a PDF at `dpi` on white, with hayro (as a scanner would see it).
pub fn render(pdf: &[u8], index: usize, dpi: f32) -> RgbImage {
    use hayro::hayro_interpret::hayro_syntax::Pdf;
    use hayro::hayro_interpret::InterpreterSettings;
    let pdf = Pdf::new(std::sync::Arc::new(pdf.to_vec())).expect("test pdf loads");
    let page = &pdf.pages()[index];
    let scale = dpi / 72.0;
    let settings = hayro::PixmapSettings {
        x_scale: scale,
        y_scale: scale,
        bg_color: hayro::vello_cpu::color::palette::css::WHITE,
    };
    let pixmap = hayro::render(
        page,
        &hayro::RenderCache::new(),
        &InterpreterSettings::default(),
        &hayro::RenderSettings::default(),
        &settings,
    );
    let rgb = pixmap.data_as_u8_slice().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    RgbImage::from_raw(u32::from(pixmap.width()), u32::from(pixmap.height()), rgb).expect("render size")
}

pub fn png(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).expect("png encodes");
    out
}

pub fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(image)
        .expect("jpeg encodes");
    out
}

/// A till receipt 80 mm wide as a phone photographs it: rendered at 200 dpi, turned by 1.5°,
/// on a grey background with uneven light and sensor noise, saved as a JPEG of quality 70.
pub fn photographed_receipt() -> Vec<u8> {
    let lines = [
        Line { x: 20.0, y: 560.0, size: 12.0, text: "KEDAI RUNCIT MAJU SDN BHD" },
        Line { x: 38.0, y: 542.0, size: 8.0, text: "NO 12, JALAN MERANTI 3, 43000 KAJANG" },
        Line { x: 20.0, y: 510.0, size: 9.0, text: "INVOICE NO: CS-10293" },
        Line { x: 20.0, y: 496.0, size: 9.0, text: "DATE: 14/03/2018 10:42" },
        Line { x: 20.0, y: 470.0, size: 9.0, text: "MILO 1KG" },
        Line { x: 180.0, y: 470.0, size: 9.0, text: "17.90" },
        Line { x: 20.0, y: 456.0, size: 9.0, text: "ROTI GARDENIA" },
        Line { x: 180.0, y: 456.0, size: 9.0, text: "3.20" },
        Line { x: 20.0, y: 442.0, size: 9.0, text: "TELUR GRED A 10S" },
        Line { x: 180.0, y: 442.0, size: 9.0, text: "4.40" },
        Line { x: 20.0, y: 420.0, size: 9.0, text: "TOTAL QTY: 3" },
        Line { x: 20.0, y: 400.0, size: 12.0, text: "TOTAL" },
        Line { x: 170.0, y: 400.0, size: 12.0, text: "25.50" },
        Line { x: 20.0, y: 384.0, size: 9.0, text: "CASH" },
        Line { x: 180.0, y: 384.0, size: 9.0, text: "50.00" },
        Line { x: 20.0, y: 370.0, size: 9.0, text: "CHANGE" },
        Line { x: 180.0, y: 370.0, size: 9.0, text: "24.50" },
        Line { x: 40.0, y: 340.0, size: 8.0, text: "THANK YOU, PLEASE COME AGAIN" },
    ];
    let pdf = pdf_with_contents(&[text_content(&lines)], (227.0, 600.0), "", "");
    let paper = render(&pdf, 0, 200.0);
    let tilted = imageproc::geometric_transformations::rotate_about_center(
        &paper,
        1.5f32.to_radians(),
        imageproc::geometric_transformations::Interpolation::Bilinear,
        image::Rgb([90, 90, 95]),
    );
    // Light falling off to the right, and noise from a fixed-seed generator.
    let mut rng = opinio::rng::SplitMix64::new(7);
    let photo = image::RgbImage::from_fn(tilted.width(), tilted.height(), |x, y| {
        let noise = rng.below(25) as f32 - 12.0;
        let light = 1.0 - 0.25 * x as f32 / tilted.width() as f32;
        image::Rgb(tilted.get_pixel(x, y).0.map(|v| (f32::from(v) * light + noise).clamp(0.0, 255.0) as u8))
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 70).encode_image(&photo).unwrap();
    out
}
