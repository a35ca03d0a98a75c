//! Line crops: each text box cut out of the page and straightened by a perspective warp of
//! its four corners, so the recogniser always sees a horizontal line; a crop much taller
//! than wide is a vertical line and is turned a quarter (as PaddleOCR does). The crop keeps
//! the map back to the page, so that a position along the line becomes a page position.

use image::{Rgb, RgbImage};

use super::boxes::Point;

/// A crop this many times taller than wide is read turned by 90°.
const TALL: f32 = 1.5;

/// A line cut out of the page, and where it came from.
pub(crate) struct Crop {
    pub image: RgbImage,
    /// The page corners the crop's top-left, top-right, bottom-right and bottom-left corners
    /// came from (after any turn).
    pub corners: [Point; 4],
}

impl Crop {
    /// The page position of the point `u` of the way along the crop and `v` of the way down
    /// (both in `[0, 1]`), interpolated between its corners.
    pub fn page_point(&self, u: f32, v: f32) -> Point {
        let [tl, tr, br, bl] = self.corners;
        let top = (tl.0 + (tr.0 - tl.0) * u, tl.1 + (tr.1 - tl.1) * u);
        let bottom = (bl.0 + (br.0 - bl.0) * u, bl.1 + (br.1 - bl.1) * u);
        (top.0 + (bottom.0 - top.0) * v, top.1 + (bottom.1 - top.1) * v)
    }

    /// The crop turned by 180°, for a line the orientation classifier found upside down.
    pub fn turned_half(self) -> Crop {
        let [tl, tr, br, bl] = self.corners;
        Crop { image: image::imageops::rotate180(&self.image), corners: [br, bl, tl, tr] }
    }
}

/// Cuts the quadrilateral `corners` (top-left, top-right, bottom-right, bottom-left) out of
/// `page` as an upright crop.
pub(crate) fn crop(page: &RgbImage, corners: [Point; 4]) -> Crop {
    let dist = |a: Point, b: Point| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let [tl, tr, br, bl] = corners;
    let width = dist(tl, tr).max(dist(bl, br)).round().max(1.0);
    let height = dist(tl, bl).max(dist(tr, br)).round().max(1.0);
    let (w, h) = (width as u32, height as u32);
    let target = [(0.0, 0.0), (width, 0.0), (width, height), (0.0, height)];
    let image = match homography(target, corners) {
        Some(m) => warp(page, &m, w, h),
        // A degenerate box (three corners in a line): its bounding box instead.
        None => axis_aligned(page, corners, w, h),
    };
    let crop = Crop { image, corners };
    if height >= TALL * width {
        // Turned counter-clockwise, as numpy's rot90: the crop's right side becomes its top.
        Crop { image: image::imageops::rotate270(&crop.image), corners: [tr, br, bl, tl] }
    } else {
        crop
    }
}

/// The 3x3 projective map (row-major, last entry 1) taking each `from` point to its `to`
/// point, or `None` when the points are degenerate.
pub(crate) fn homography(from: [Point; 4], to: [Point; 4]) -> Option<[f64; 9]> {
    // Eight equations in the eight unknowns h0..h7, solved by Gaussian elimination.
    let mut a = [[0f64; 9]; 8];
    for i in 0..4 {
        let (x, y) = (f64::from(from[i].0), f64::from(from[i].1));
        let (u, v) = (f64::from(to[i].0), f64::from(to[i].1));
        a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for col in 0..8 {
        let pivot = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-9 {
            return None;
        }
        a.swap(col, pivot);
        for row in 0..8 {
            if row != col {
                let f = a[row][col] / a[col][col];
                for k in col..9 {
                    a[row][k] -= f * a[col][k];
                }
            }
        }
    }
    let h: Vec<f64> = (0..8).map(|i| a[i][8] / a[i][i]).collect();
    Some([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0])
}

/// Fills a `w` x `h` image by sampling `page` bilinearly where `m` maps each pixel centre
/// (edges replicated, as OpenCV's `BORDER_REPLICATE`).
fn warp(page: &RgbImage, m: &[f64; 9], w: u32, h: u32) -> RgbImage {
    let (pw, ph) = (page.width() as f64, page.height() as f64);
    RgbImage::from_fn(w, h, |x, y| {
        let (x, y) = (f64::from(x), f64::from(y));
        let d = m[6] * x + m[7] * y + m[8];
        let sx = ((m[0] * x + m[1] * y + m[2]) / d).clamp(0.0, pw - 1.0);
        let sy = ((m[3] * x + m[4] * y + m[5]) / d).clamp(0.0, ph - 1.0);
        bilinear(page, sx, sy)
    })
}

fn bilinear(page: &RgbImage, x: f64, y: f64) -> Rgb<u8> {
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(page.width() - 1), (y0 + 1).min(page.height() - 1));
    let (fx, fy) = (x - f64::from(x0), y - f64::from(y0));
    let (a, b, c, d) =
        (page.get_pixel(x0, y0), page.get_pixel(x1, y0), page.get_pixel(x0, y1), page.get_pixel(x1, y1));
    Rgb(std::array::from_fn(|k| {
        let top = f64::from(a[k]) * (1.0 - fx) + f64::from(b[k]) * fx;
        let bottom = f64::from(c[k]) * (1.0 - fx) + f64::from(d[k]) * fx;
        (top * (1.0 - fy) + bottom * fy).round() as u8
    }))
}

fn axis_aligned(page: &RgbImage, corners: [Point; 4], w: u32, h: u32) -> RgbImage {
    let x0 = corners.iter().map(|p| p.0).fold(f32::MAX, f32::min).max(0.0) as u32;
    let y0 = corners.iter().map(|p| p.1).fold(f32::MAX, f32::min).max(0.0) as u32;
    let x0 = x0.min(page.width() - 1);
    let y0 = y0.min(page.height() - 1);
    let (w, h) = (w.min(page.width() - x0).max(1), h.min(page.height() - y0).max(1));
    image::imageops::crop_imm(page, x0, y0, w, h).to_image()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_box_comes_out_upright() {
        // A page with a dark bar along a line rising 10°; the crop of a box around it is a
        // dark horizontal band on white.
        let angle = 10f32.to_radians();
        let (c, s) = (angle.cos(), angle.sin());
        let page = RgbImage::from_fn(200, 120, |x, y| {
            let (dx, dy) = (x as f32 - 100.0, y as f32 - 60.0);
            let along = dx * c - dy * s;
            let across = dx * s + dy * c;
            if along.abs() < 60.0 && across.abs() < 6.0 {
                Rgb([0, 0, 0])
            } else {
                Rgb([255, 255, 255])
            }
        });
        let corner = |a: f32, b: f32| (100.0 + a * c + b * s, 60.0 - a * s + b * c);
        let corners = [corner(-70.0, -12.0), corner(70.0, -12.0), corner(70.0, 12.0), corner(-70.0, 12.0)];
        let crop = crop(&page, corners);
        assert_eq!(crop.image.dimensions(), (140, 24));
        let dark = |x: u32, y: u32| crop.image.get_pixel(x, y)[0] < 128;
        assert!(dark(70, 12) && dark(15, 12) && dark(125, 12));
        assert!(!dark(70, 2) && !dark(70, 21) && !dark(3, 12));
        let (x, y) = crop.page_point(0.5, 0.5);
        assert!((x - 100.0).abs() < 1e-3 && (y - 60.0).abs() < 1e-3);
    }

    #[test]
    fn tall_crops_are_turned_and_keep_their_page_corners() {
        let page = RgbImage::from_pixel(50, 100, Rgb([255, 255, 255]));
        let corners = [(10.0, 10.0), (20.0, 10.0), (20.0, 90.0), (10.0, 90.0)];
        let crop = crop(&page, corners);
        assert_eq!(crop.image.dimensions(), (80, 10));
        // Turned counter-clockwise, the box's right side is the crop's top, read downwards.
        assert_eq!(crop.page_point(0.0, 0.0), (20.0, 10.0));
        assert_eq!(crop.page_point(1.0, 0.0), (20.0, 90.0));
        let half = crop.turned_half();
        assert_eq!(half.page_point(0.0, 0.0), (10.0, 90.0));
    }

    #[test]
    fn homographies_map_corners() {
        let from = [(0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (0.0, 5.0)];
        let to = [(3.0, 1.0), (13.0, 2.0), (12.0, 8.0), (2.0, 7.0)];
        let m = homography(from, to).unwrap();
        for (f, t) in from.iter().zip(&to) {
            let (x, y) = (f64::from(f.0), f64::from(f.1));
            let d = m[6] * x + m[7] * y + m[8];
            assert!(((m[0] * x + m[1] * y + m[2]) / d - f64::from(t.0)).abs() < 1e-6);
            assert!(((m[3] * x + m[4] * y + m[5]) / d - f64::from(t.1)).abs() < 1e-6);
        }
        assert!(homography(from, [(0.0, 0.0); 4]).is_none());
    }
}
