//! Single-image formats (JPEG, PNG, WEBP) decoded with bounded memory.
//!
//! The header's size is checked against the page limits before a pixel is decoded, so a
//! 100-byte PNG claiming 100000x100000 pixels fails at once instead of asking for 30 GB; the
//! decoder's own allocation limit backs that up for formats whose header can lie. A photo's
//! EXIF orientation is applied, so that a receipt shot sideways is read upright.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, RgbImage};

use crate::Limits;
use crate::{Error, ErrorKind, Result};

/// Decodes one image to RGB after checking its declared size.
pub(crate) fn decode(bytes: &[u8], format: ImageFormat, limits: &Limits) -> Result<RgbImage> {
    let name = format_name(format);
    let reader = || ImageReader::with_format(Cursor::new(bytes), format);
    let (width, height) = reader().into_dimensions().map_err(|e| image_error(name, e))?;
    limits.check_pixels(width, height)?;
    let mut reader = reader();
    reader.limits(limits.image_limits());
    let mut decoder = reader.into_decoder().map_err(|e| image_error(name, e))?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| image_error(name, e))?;
    image.apply_orientation(orientation);
    Ok(image.to_rgb8())
}

fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Png => "png",
        ImageFormat::WebP => "webp",
        ImageFormat::Tiff => "tiff",
        _ => "image",
    }
}

/// The image crate's error as ours: limits stay limits, broken data is malformed.
pub(crate) fn image_error(format: &str, e: ImageError) -> Error {
    let kind = match &e {
        ImageError::Limits(_) => ErrorKind::LimitExceeded,
        ImageError::Unsupported(_) => ErrorKind::Unsupported,
        ImageError::IoError(_) | ImageError::Decoding(_) | ImageError::Parameter(_) => ErrorKind::Malformed,
        _ => ErrorKind::Malformed,
    };
    let message = format!("{format} could not be decoded: {}", e.to_string().to_lowercase());
    Error::new(kind, message).with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb};

    fn png(image: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    #[test]
    fn a_png_decodes_to_its_pixels() {
        let mut img = RgbImage::from_pixel(7, 5, Rgb([255, 255, 255]));
        img.put_pixel(3, 2, Rgb([10, 20, 30]));
        let decoded = decode(&png(&img), ImageFormat::Png, &Limits::default()).unwrap();
        assert_eq!(decoded, img);
    }

    #[test]
    fn a_large_image_fails_on_its_header_before_decoding() {
        let img = RgbImage::new(100, 80);
        let limits = Limits { max_page_pixels: 100 * 79, ..Limits::default() };
        let err = decode(&png(&img), ImageFormat::Png, &limits).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
        assert!(err.message().contains("8000"), "{err}");
    }

    #[test]
    fn truncated_and_garbage_images_are_malformed() {
        let bytes = png(&RgbImage::new(50, 50));
        for data in [&bytes[..bytes.len() / 2], &b"\x89PNG\r\n\x1a\nnonsense"[..]] {
            let err = decode(data, ImageFormat::Png, &Limits::default()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Malformed, "{err}");
        }
    }
}
