//! Small-angle deskew of scanned pages by projection profiles.
//!
//! A page fed crookedly through a scanner has text lines at a slight angle. Tesseract copes
//! with a fraction of a degree, but at a few degrees its lines merge and words are lost, and
//! its word boxes stop lining up. The angle is the one at which the dark pixels, projected
//! onto rows sheared by that angle, make the sharpest peaks (text lines) and valleys
//! (leading): the largest sum of squared row counts. It is found coarse to fine on a grid
//! of sampled pixels, so a 300-dpi A4 page costs a few milliseconds; only a page whose
//! angle is large enough to matter is rotated.

use image::{GrayImage, Luma, Rgb, RgbImage};
use imageproc::geometric_transformations::{rotate_about_center, Interpolation};

/// Angles searched, in degrees either side of level; larger skews are rare for a feeder.
const MAX_DEGREES: f32 = 6.0;
/// Below this angle Tesseract reads as well unrotated, and rotation would blur the glyphs.
const MIN_CORRECTED_DEGREES: f32 = 0.4;
/// The sampled grid keeps about this many pixels along the page's longer side.
const GRID_SIDE: u32 = 1000;
/// The profile of the best angle must beat the level one by this factor, else the page has
/// no clear text lines (a photo, an empty page) and is left alone.
const MIN_GAIN: f64 = 1.05;
/// Pixels darker than this are ink.
const INK: u8 = 128;

/// The skew of the text lines in degrees (positive: lines descend to the right, in image
/// coordinates with y downwards), or 0 when the page shows no clear lines.
pub(crate) fn skew_degrees(gray: &GrayImage) -> f32 {
    let (w, h) = gray.dimensions();
    let step = (w.max(h) / GRID_SIDE).max(1);
    let mut ink = Vec::new();
    for y in (0..h).step_by(step as usize) {
        for x in (0..w).step_by(step as usize) {
            if gray.get_pixel(x, y).0[0] < INK {
                ink.push(((x / step) as f32, (y / step) as f32));
            }
        }
    }
    if ink.len() < 100 {
        return 0.0;
    }
    let rows = (h / step + 1) as usize;
    let cols = (w / step + 1) as f32;
    let level = energy(&ink, 0.0, rows, cols);
    let mut best = (0.0f32, level);
    for (span, delta) in [(MAX_DEGREES, 0.5f32), (0.5, 0.1)] {
        let centre = best.0;
        let n = (2.0 * span / delta).round() as i32;
        for i in 0..=n {
            let angle = centre - span + i as f32 * delta;
            let e = energy(&ink, angle, rows, cols);
            if e > best.1 {
                best = (angle, e);
            }
        }
    }
    if best.1 > level * MIN_GAIN {
        best.0
    } else {
        0.0
    }
}

/// The sum of squared counts of ink pixels per row, rows sheared by `degrees`.
fn energy(ink: &[(f32, f32)], degrees: f32, rows: usize, cols: f32) -> f64 {
    let slope = degrees.to_radians().tan();
    // Sheared rows reach above the top and below the bottom by at most `cols * slope`.
    let pad = (cols * slope.abs()).ceil() as usize + 1;
    let mut counts = vec![0u32; rows + 2 * pad];
    for &(x, y) in ink {
        let r = (y - x * slope).round() as isize + pad as isize;
        if let Some(c) = usize::try_from(r).ok().and_then(|r| counts.get_mut(r)) {
            *c += 1;
        }
    }
    counts.iter().map(|&c| f64::from(c) * f64::from(c)).sum()
}

/// The page straightened when its skew matters: the rotated raster and its grey copy, and
/// the angle corrected (0 when nothing was done).
pub(crate) fn straighten(raster: RgbImage, gray: GrayImage) -> (RgbImage, GrayImage, f32) {
    let degrees = skew_degrees(&gray);
    if degrees.abs() < MIN_CORRECTED_DEGREES {
        return (raster, gray, 0.0);
    }
    // imageproc rotates clockwise for positive angles; lines descending to the right need an
    // anticlockwise turn.
    let theta = -degrees.to_radians();
    let raster = rotate_about_center(&raster, theta, Interpolation::Bilinear, Rgb([255, 255, 255]));
    let gray = rotate_about_center(&gray, theta, Interpolation::Bilinear, Luma([255]));
    (raster, gray, degrees)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A white page with dark bars of text-line height, like lines of a letter.
    fn lined_page() -> GrayImage {
        let mut page = GrayImage::from_pixel(1200, 1600, Luma([255]));
        for line in 0..30 {
            let y0 = 100 + line * 45;
            for y in y0..y0 + 14 {
                for x in 150..1050 {
                    // Word gaps, so that the bars look like text rather than rules.
                    if (x / 60) % 5 != 4 {
                        page.put_pixel(x, y, Luma([20]));
                    }
                }
            }
        }
        page
    }

    #[test]
    fn a_level_page_is_left_alone() {
        assert_eq!(skew_degrees(&lined_page()), 0.0);
    }

    #[test]
    fn a_rotated_page_is_measured_and_straightened() {
        let page = lined_page();
        for degrees in [-3.0f32, 2.0] {
            let skewed = rotate_about_center(&page, degrees.to_radians(), Interpolation::Bilinear, Luma([255]));
            let measured = skew_degrees(&skewed);
            assert!((measured.abs() - degrees.abs()).abs() <= 0.2, "rotated {degrees}, measured {measured}");
            let rgb = image::DynamicImage::ImageLuma8(skewed.clone()).to_rgb8();
            let (_, straight, corrected) = straighten(rgb, skewed);
            assert_eq!(corrected, measured);
            assert!(skew_degrees(&straight).abs() <= 0.2, "still skewed after correction");
        }
    }

    #[test]
    fn blank_and_noise_pages_have_no_skew() {
        assert_eq!(skew_degrees(&GrayImage::from_pixel(500, 700, Luma([255]))), 0.0);
        assert_eq!(skew_degrees(&GrayImage::new(3, 3)), 0.0);
    }
}
