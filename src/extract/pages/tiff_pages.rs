//! Every page of a TIFF file (fax and scanner output is often multi-page; the image crate
//! reads only the first).
//!
//! Each page's declared size is checked against the page limits before it is decoded, the
//! decoder's buffers are capped by the same limit, and the number of pages is bounded, so a
//! file of a million tiny directories or one giant page fails early.

use std::io::Cursor;

use image::{GrayImage, RgbImage};
use tiff::decoder::{Decoder, DecodingResult, Limits as TiffLimits};
use tiff::{ColorType, TiffError};

use crate::Limits;
use crate::{Error, ErrorKind, Result};

/// Decodes every page, in file order.
pub(crate) fn decode_all(bytes: &[u8], limits: &Limits) -> Result<Vec<RgbImage>> {
    let mut decoder = Decoder::new(Cursor::new(bytes)).map_err(tiff_error)?;
    let mut tiff_limits = TiffLimits::default();
    tiff_limits.decoding_buffer_size = usize::try_from(limits.max_page_pixels.saturating_mul(8)).unwrap_or(usize::MAX);
    decoder = decoder.with_limits(tiff_limits);
    let mut pages = Vec::new();
    loop {
        if pages.len() >= limits.max_pages {
            return Err(crate::limits::exceeded("max_pages", "tiff page count", format!("over {}", limits.max_pages), limits.max_pages));
        }
        let (width, height) = decoder.dimensions().map_err(tiff_error)?;
        limits.check_pixels(width, height).map_err(|e| page_context(e, pages.len()))?;
        let color = decoder.colortype().map_err(tiff_error)?;
        let data = decoder.read_image().map_err(tiff_error)?;
        pages.push(to_rgb(width, height, color, data).map_err(|e| page_context(e, pages.len()))?);
        if !decoder.more_images() {
            return Ok(pages);
        }
        decoder.next_image().map_err(tiff_error)?;
    }
}

fn page_context(e: Error, index: usize) -> Error {
    Error::new(e.kind(), format!("tiff page {}: {}", index + 1, e.message()))
}

/// The decoded samples as RGB; 16-bit samples keep their high byte, 1-bit pages are
/// unpacked (rows start on a byte boundary).
fn to_rgb(width: u32, height: u32, color: ColorType, data: DecodingResult) -> Result<RgbImage> {
    let n = width as usize * height as usize;
    let short = || Error::malformed(format!("tiff page data is shorter than its {width}x{height} pixels"));
    let samples: Vec<u8> = match data {
        DecodingResult::U8(v) => v,
        DecodingResult::U16(v) => v.into_iter().map(|s| (s >> 8) as u8).collect(),
        _ => return Err(unsupported(color)),
    };
    let gray = |pixels: Vec<u8>| {
        GrayImage::from_raw(width, height, pixels).map(|g| image::DynamicImage::ImageLuma8(g).to_rgb8()).ok_or_else(short)
    };
    match color {
        ColorType::Gray(1) => {
            let row = (width as usize).div_ceil(8);
            if samples.len() < row * height as usize {
                return Err(short());
            }
            let mut pixels = Vec::with_capacity(n);
            for y in 0..height as usize {
                for x in 0..width as usize {
                    let bit = samples[y * row + x / 8] >> (7 - x % 8) & 1;
                    pixels.push(if bit == 1 { 255 } else { 0 });
                }
            }
            gray(pixels)
        }
        ColorType::Gray(8 | 16) => gray(samples.get(..n).ok_or_else(short)?.to_vec()),
        ColorType::GrayA(8 | 16) => gray(samples.chunks_exact(2).take(n).map(|p| p[0]).collect()),
        ColorType::RGB(8 | 16) => RgbImage::from_raw(width, height, samples.get(..3 * n).ok_or_else(short)?.to_vec()).ok_or_else(short),
        ColorType::RGBA(8 | 16) => {
            let rgb = samples.chunks_exact(4).take(n).flat_map(|p| [p[0], p[1], p[2]]).collect();
            RgbImage::from_raw(width, height, rgb).ok_or_else(short)
        }
        _ => Err(unsupported(color)),
    }
}

fn unsupported(color: ColorType) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("tiff pages of colour type {color:?} are not supported; convert to 8-bit grey or rgb"),
    )
}

fn tiff_error(e: TiffError) -> Error {
    let kind = match &e {
        TiffError::LimitsExceeded => ErrorKind::LimitExceeded,
        TiffError::UnsupportedError(_) => ErrorKind::Unsupported,
        _ => ErrorKind::Malformed,
    };
    Error::new(kind, format!("tiff could not be decoded: {}", e.to_string().to_lowercase())).with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bit_pages_unpack_with_byte_aligned_rows() {
        // 10 pixels wide: two bytes a row, the second one only half used.
        let data = vec![0b1000_0000, 0b0100_0000, 0b0000_0001, 0b0000_0000];
        let img = to_rgb(10, 2, ColorType::Gray(1), DecodingResult::U8(data)).unwrap();
        assert_eq!(img.get_pixel(0, 0).0, [255; 3]);
        assert_eq!(img.get_pixel(1, 0).0, [0; 3]);
        assert_eq!(img.get_pixel(9, 0).0, [255; 3]);
        assert_eq!(img.get_pixel(7, 1).0, [255; 3]);
    }

    #[test]
    fn short_data_and_odd_colours_are_errors() {
        let err = to_rgb(10, 10, ColorType::RGB(8), DecodingResult::U8(vec![0; 20])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Malformed);
        let err = to_rgb(1, 1, ColorType::CMYK(8), DecodingResult::U8(vec![0; 4])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert!(Decoder::new(Cursor::new(b"II*\0garbage")).is_err() || decode_all(b"II*\0garbage", &Limits::default()).is_err());
    }
}
