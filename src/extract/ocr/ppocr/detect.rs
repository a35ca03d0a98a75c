//! Text detection: the page scaled, normalised and run through the DB detector, which gives
//! each pixel the probability that it lies inside a text line.
//!
//! The page is scaled so that its longer side is at most `max_side` pixels (PaddleOCR's
//! default for documents, 960), each side rounded to a multiple of 32 as the network's
//! strides need. Small pages are not enlarged. On SROIE receipts this reads as much as
//! RapidOCR's default (shorter side at least 736) in 60% of the time (models/pp-ocrv5).
//! Measured here too: scaling to the pixels of a 960 x 960 square instead (2.5 times more
//! for a till receipt) found 124 of the 160 answers of the 40 SROIE receipts instead of 125,
//! in more time.
//!
//! The network then sees the scaled page padded with the mean colour (zero after
//! normalisation) to a multiple of 128 pixels each way, and the map is cut back: tract
//! plans the detector per input size (see `net`), and a coarser grid of sizes means fewer
//! plans held for a batch of pages of slightly different shapes.

use image::imageops::{self, FilterType};
use image::RgbImage;

use super::net::{Batch, Net};
use crate::{Error, ErrorKind, Result};

/// ImageNet's channel means and deviations in the network's B, G, R order.
const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];
/// The network's input is padded to a multiple of this many pixels each way.
const PAD_STEP: usize = 128;

/// The detector's output: a probability map over the scaled page.
pub(crate) struct ProbabilityMap {
    pub width: usize,
    pub height: usize,
    /// Row-major, `width * height` values in `[0, 1]`.
    pub values: Vec<f32>,
    /// Page pixels per map pixel, horizontally and vertically.
    pub scale: (f32, f32),
}

impl ProbabilityMap {
    pub fn at(&self, x: usize, y: usize) -> f32 {
        self.values[y * self.width + x]
    }
}

/// The size the detector sees a `width` x `height` page at.
pub(crate) fn scaled_size(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let longer = width.max(height) as f32;
    let ratio = if longer > max_side as f32 { max_side as f32 / longer } else { 1.0 };
    let round = |side: u32| (((side as f32 * ratio) / 32.0).round() as u32 * 32).max(32);
    (round(width), round(height))
}

/// Runs the detector on `page`.
pub(crate) fn detect(net: &Net, page: &RgbImage, max_side: u32) -> Result<ProbabilityMap> {
    let (w, h) = scaled_size(page.width(), page.height(), max_side.max(32));
    let scaled = imageops::resize(page, w, h, FilterType::Triangle);
    let (width, height) = (w as usize, h as usize);
    let (padded_w, padded_h) = (width.next_multiple_of(PAD_STEP), height.next_multiple_of(PAD_STEP));
    let plane = padded_w * padded_h;
    let mut data = vec![0f32; 3 * plane];
    for (x, y, pixel) in scaled.enumerate_pixels() {
        let at = y as usize * padded_w + x as usize;
        // The network was trained on OpenCV's BGR channel order.
        for (c, &value) in [pixel[2], pixel[1], pixel[0]].iter().enumerate() {
            data[c * plane + at] = (f32::from(value) / 255.0 - MEAN[c]) / STD[c];
        }
    }
    let out = net.run(Batch { batch: 1, height: padded_h, width: padded_w, data })?;
    if out.shape != [1, 1, padded_h, padded_w] {
        return Err(Error::new(
            ErrorKind::Internal,
            format!(
                "text detector gave {:?} for a {padded_w}x{padded_h} page, expected [1, 1, {padded_h}, {padded_w}]",
                out.shape
            ),
        ));
    }
    let values =
        out.values().chunks_exact(padded_w).take(height).flat_map(|row| &row[..width]).copied().collect();
    let scale = (page.width() as f32 / w as f32, page.height() as f32 / h as f32);
    Ok(ProbabilityMap { width, height, values, scale })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_shrink_to_the_longer_side_in_multiples_of_32() {
        assert_eq!(scaled_size(2480, 3508, 960), (672, 960));
        assert_eq!(scaled_size(3508, 2480, 960), (960, 672));
        // Small pages keep their size, rounded to the stride.
        assert_eq!(scaled_size(500, 300, 960), (512, 288));
        assert_eq!(scaled_size(10, 10, 960), (32, 32));
    }
}
