//! Line recognition: crops scaled to the recogniser's height of 48 pixels, padded to one of
//! a dozen widths, run one line at a time on opinio's workers, and CTC-decoded with each
//! character's frame.
//!
//! Also the orientation classifier, which shares the preprocessing: a line it finds
//! upside down (180°) with confidence is turned before it is read.

use image::imageops::{self, FilterType};
use image::RgbImage;

use super::crop::Crop;
use super::ctc::{self, Decoded};
use super::net::{Batch, Net};
use super::project::Projection;
use crate::limits::Deadline;
use crate::{Error, ErrorKind, Result};

/// The recogniser's and classifier's input height.
pub(crate) const HEIGHT: usize = 48;
/// Batch widths are rounded up to the next of these (each about 1.25 times the last), so
/// that a dozen recogniser plans serve every line (each width has its own plan, see `net`)
/// for at most a quarter of padding. Eight widths (each about 1.4 times the last) held
/// fewer plans (572 MB peak instead of 629 MB over 20 receipts) but padded more: 1.62x
/// RapidOCR's time instead of 1.52x.
pub(crate) const WIDTHS: [usize; 12] = [320, 384, 480, 608, 768, 960, 1216, 1536, 1920, 2400, 2816, 3200];
/// Crops are scaled to at most this width: a line longer than 66 heights is squeezed. A
/// batch is at least 320 wide (PaddleOCR's minimum), the first of [`WIDTHS`].
const MAX_WIDTH: usize = 3200;
/// Frames past a line's end that are still decoded.
const TRAILING_FRAMES: usize = 4;
/// Lines per recogniser run. One: tract runs a batch of six lines slower than six runs of
/// one (a 320-wide line: 53 ms a line in sixes, 36 ms alone, measured with the biases
/// folded), because with a batch axis it plans each 1x1 convolution as a transpose, a
/// product and a transpose back; alone, the product reads the image as it lies. One line a
/// run also pads each line only to its own width's step, not to its batch's widest.
const LINES_PER_RUN: usize = 1;
/// Lines per classifier run (PaddleOCR's default; the classifier is small and its input
/// narrow, so batching costs little there).
const CLS_BATCH: usize = 6;
/// The classifier's input width.
const CLS_WIDTH: usize = 192;
/// The classifier turns a line only when this sure it is upside down (PaddleOCR's 0.9).
const CLS_SURE: f32 = 0.9;

/// Width of `image` scaled to height 48, at most `cap`.
fn scaled_width(image: &RgbImage, cap: usize) -> usize {
    let ratio = image.width() as f32 / image.height().max(1) as f32;
    ((HEIGHT as f32 * ratio).ceil() as usize).clamp(1, cap)
}

/// Crops scaled to height 48 and normalised to `[-1, 1]` (BGR), each left-aligned in a
/// batch of `slots` images `width` wide, zero-padded; slots past the crops stay all zeros.
fn batch(images: &[&RgbImage], slots: usize, width: usize, cap: usize) -> (Batch, Vec<usize>) {
    let plane = HEIGHT * width;
    let slots = slots.max(images.len());
    let mut data = vec![0f32; slots * 3 * plane];
    let mut widths = Vec::with_capacity(images.len());
    for (n, image) in images.iter().enumerate() {
        let w = scaled_width(image, cap).min(width);
        widths.push(w);
        let scaled = imageops::resize(*image, w as u32, HEIGHT as u32, FilterType::Triangle);
        let base = n * 3 * plane;
        for (x, y, pixel) in scaled.enumerate_pixels() {
            let at = y as usize * width + x as usize;
            for (c, &value) in [pixel[2], pixel[1], pixel[0]].iter().enumerate() {
                data[base + c * plane + at] = f32::from(value) / 127.5 - 1.0;
            }
        }
    }
    (Batch { batch: slots, height: HEIGHT, width, data }, widths)
}

/// Reads every crop; the result is in the crops' order.
/// `deadline` is checked before each batch: a page of thousands of noise "lines" stops at
/// the time limit instead of holding its thread.
pub(crate) fn recognize(
    net: &Net,
    project: &Projection,
    alphabet: &[String],
    crops: &[Crop],
    deadline: &Deadline,
) -> Result<Vec<Decoded>> {
    // Crops sorted by aspect ratio, then cut into batches of neighbours.
    let mut order: Vec<usize> = (0..crops.len()).collect();
    let ratio = |i: usize| crops[i].image.width() as f32 / crops[i].image.height().max(1) as f32;
    order.sort_by(|&a, &b| ratio(a).total_cmp(&ratio(b)));
    let batches: Vec<&[usize]> = order.chunks(LINES_PER_RUN).collect();
    let read = crate::parallel::try_map_each(&batches, |members| {
        deadline.check("ocr time of a page")?;
        read_batch(net, project, alphabet, crops, members)
    })?;
    let mut out: Vec<Option<Decoded>> = vec![None; crops.len()];
    for (members, lines) in batches.iter().zip(read) {
        for (&i, line) in members.iter().zip(lines) {
            out[i] = Some(line);
        }
    }
    out.into_iter()
        .map(|line| line.ok_or_else(|| Error::new(ErrorKind::Internal, "a text line was not read")))
        .collect()
}

fn read_batch(
    net: &Net,
    project: &Projection,
    alphabet: &[String],
    crops: &[Crop],
    members: &[usize],
) -> Result<Vec<Decoded>> {
    let images: Vec<&RgbImage> = members.iter().map(|&i| &crops[i].image).collect();
    let widest = images.iter().map(|image| scaled_width(image, MAX_WIDTH)).max().unwrap_or(1);
    let width = WIDTHS.iter().copied().find(|&w| w >= widest).unwrap_or(MAX_WIDTH);
    // Always a full batch: tract runs the recogniser slower with a symbolic batch size, and
    // a plan per batch size would multiply the plans (see `net`).
    let (input, widths) = batch(&images, LINES_PER_RUN, width, MAX_WIDTH);
    let out = net.run(input)?;
    let (frames, features) = match out.shape[..] {
        [n, t, f] if n == LINES_PER_RUN && f == project.features() => (t, f),
        _ => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "text recogniser gave features {:?}, expected [{LINES_PER_RUN}, frames, {}]",
                    out.shape,
                    project.features()
                ),
            ))
        }
    };
    // Only the frames over a line (and a few past its end, which its last character may
    // reach) go through the last layer, not a batch's padding.
    let content: Vec<usize> = widths.iter().map(|&w| (w * frames).div_ceil(width)).collect();
    let spans: Vec<usize> = content.iter().map(|&c| (c + TRAILING_FRAMES).min(frames)).collect();
    let mut rows = Vec::with_capacity(spans.iter().sum::<usize>() * features);
    for (line, &span) in out.values().chunks_exact(frames * features).zip(&spans) {
        rows.extend_from_slice(&line[..span * features]);
    }
    drop(out);
    let best = project.most_likely(rows)?;
    let mut lines = Vec::with_capacity(members.len());
    let mut at = 0;
    for (&content, &span) in content.iter().zip(&spans) {
        lines.push(ctc::decode(&best[at..at + span], alphabet, content));
        at += span;
    }
    Ok(lines)
}

/// Turns the crops the classifier finds upside down.
pub(crate) fn orient(net: &Net, crops: Vec<Crop>) -> Result<Vec<Crop>> {
    let chunks: Vec<&[Crop]> = crops.chunks(CLS_BATCH).collect();
    let flips = crate::parallel::try_map(&chunks, |chunk| {
        // Always a full batch (the classifier plans for a known batch size; see `net`).
        let images: Vec<&RgbImage> = chunk.iter().map(|c| &c.image).collect();
        let (input, _) = batch(&images, CLS_BATCH, CLS_WIDTH, CLS_WIDTH);
        let out = net.run(input)?;
        if out.shape != [CLS_BATCH, 2] {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("orientation classifier gave {:?}, expected [{CLS_BATCH}, 2]", out.shape),
            ));
        }
        Ok(out
            .values()
            .chunks_exact(2)
            .take(chunk.len())
            .map(|p| p[1] > p[0] && p[1] >= CLS_SURE)
            .collect::<Vec<bool>>())
    })?;
    Ok(crops
        .into_iter()
        .zip(flips.into_iter().flatten())
        .map(|(c, flip)| if flip { c.turned_half() } else { c })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_are_scaled_to_48_high_and_padded() {
        let wide = RgbImage::from_pixel(200, 20, image::Rgb([255, 255, 255]));
        let narrow = RgbImage::from_pixel(10, 20, image::Rgb([0, 0, 0]));
        let (b, widths) = batch(&[&wide, &narrow], 2, 480, MAX_WIDTH);
        assert_eq!((b.batch, b.height, b.width), (2, 48, 480));
        assert_eq!(widths, vec![480, 24]);
        // White is 1, black -1, padding 0.
        assert_eq!(b.data[0], 1.0);
        let second = 3 * 48 * 480;
        assert_eq!(b.data[second], -1.0);
        assert_eq!(b.data[second + 30], 0.0);
        assert_eq!(scaled_width(&RgbImage::new(10_000, 10), MAX_WIDTH), MAX_WIDTH);
    }
}
