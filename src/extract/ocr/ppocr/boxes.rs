//! DB post-processing: from the detector's probability map to one four-cornered box per
//! text line, in page pixels.
//!
//! As PaddleOCR's `DBPostProcess`: binarise the map, take each connected region, fit its
//! minimum-area rectangle, keep it when the map's mean probability inside is high enough,
//! then grow it by the "unclip" offset (the detector is trained on lines shrunk by that
//! much, so growing restores the ink's extent). Regions are 8-connected, like the outer
//! contours OpenCV traces there; the rectangle is fitted to the region's convex hull by
//! rotating calipers.

use super::detect::ProbabilityMap;

/// Thresholds of the post-processing (PaddleOCR's and RapidOCR's defaults).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct DbOptions {
    /// A map pixel is text above this probability.
    pub threshold: f32,
    /// A region is kept when the mean probability inside its rectangle reaches this.
    pub box_threshold: f32,
    /// The offset grown around a rectangle, as a multiple of area / perimeter.
    pub unclip_ratio: f32,
    /// Rectangles with a shorter side under this many map pixels are noise.
    pub min_size: f32,
    /// At most this many regions per page, the largest first.
    pub max_boxes: usize,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions { threshold: 0.3, box_threshold: 0.5, unclip_ratio: 1.6, min_size: 3.0, max_boxes: 1000 }
    }
}

/// A point, x right, y down.
pub(crate) type Point = (f32, f32);

/// A text line's box: corners top-left, top-right, bottom-right, bottom-left, in page
/// pixels, and the detector's mean probability inside it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TextBox {
    pub corners: [Point; 4],
    pub score: f32,
}

/// The text boxes of a page whose probability map is `map`, in reading order (top to
/// bottom, then left to right), clipped to the `page_width` x `page_height` page.
pub(crate) fn text_boxes(
    map: &ProbabilityMap,
    options: &DbOptions,
    page_width: f32,
    page_height: f32,
) -> Vec<TextBox> {
    let mut regions = regions(map, options.threshold);
    regions.sort_by(|a, b| b.pixels.cmp(&a.pixels));
    regions.truncate(options.max_boxes);
    let mut boxes = Vec::new();
    for region in regions {
        let hull = convex_hull(region.extremes);
        let Some(rect) = min_area_rect(&hull) else { continue };
        if rect.width.min(rect.height) < options.min_size {
            continue;
        }
        let score = mean_inside(map, &rect.corners());
        if score < options.box_threshold {
            continue;
        }
        let grown = rect.unclip(options.unclip_ratio);
        if grown.width.min(grown.height) < options.min_size + 2.0 {
            continue;
        }
        let corners = order_corners(grown.corners()).map(|(x, y)| {
            ((x * map.scale.0).clamp(0.0, page_width), (y * map.scale.1).clamp(0.0, page_height))
        });
        boxes.push(TextBox { corners, score });
    }
    reading_order(&mut boxes);
    boxes
}

/// One connected region of text pixels: for each of its rows, the leftmost and rightmost
/// pixel centres (all its convex hull needs), and its pixel count.
struct Region {
    extremes: Vec<Point>,
    pixels: usize,
}

/// The 8-connected regions of map pixels above `threshold`.
fn regions(map: &ProbabilityMap, threshold: f32) -> Vec<Region> {
    let (w, h) = (map.width, map.height);
    let mut seen: Vec<bool> = map.values.iter().map(|&p| p <= threshold).collect();
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        // Row y -> (min x, max x), as a list of rows touched.
        let mut rows: std::collections::BTreeMap<usize, (usize, usize)> = Default::default();
        let mut pixels = 0;
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            pixels += 1;
            let span = rows.entry(y).or_insert((x, x));
            span.0 = span.0.min(x);
            span.1 = span.1.max(x);
            for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    let j = ny * w + nx;
                    if !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        let mut extremes = Vec::with_capacity(rows.len() * 2);
        for (&y, &(x0, x1)) in &rows {
            extremes.push((x0 as f32, y as f32));
            if x1 != x0 {
                extremes.push((x1 as f32, y as f32));
            }
        }
        out.push(Region { extremes, pixels });
    }
    out
}

/// The convex hull, counter-clockwise in screen coordinates (Andrew's monotone chain).
fn convex_hull(mut points: Vec<Point>) -> Vec<Point> {
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    points.dedup();
    if points.len() < 3 {
        return points;
    }
    let cross = |o: Point, a: Point, b: Point| (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0);
    let mut hull: Vec<Point> = Vec::with_capacity(points.len() * 2);
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &Point>> =
            if pass == 0 { Box::new(points.iter()) } else { Box::new(points.iter().rev()) };
        for &p in iter {
            while hull.len() >= start + 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

/// A rotated rectangle: its centre, the unit vector along its `width` side, and its sides.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rect {
    pub center: Point,
    pub axis: Point,
    pub width: f32,
    pub height: f32,
}

impl Rect {
    /// Its four corners, in no particular order of position.
    pub fn corners(&self) -> [Point; 4] {
        let (cx, cy) = self.center;
        let (ux, uy) = self.axis;
        let (vx, vy) = (-uy, ux);
        let (a, b) = (self.width / 2.0, self.height / 2.0);
        [
            (cx - ux * a - vx * b, cy - uy * a - vy * b),
            (cx + ux * a - vx * b, cy + uy * a - vy * b),
            (cx + ux * a + vx * b, cy + uy * a + vy * b),
            (cx - ux * a + vx * b, cy - uy * a + vy * b),
        ]
    }

    /// The rectangle grown on every side by `ratio` x area / perimeter (the DB paper's
    /// unclip offset; for a rectangle, the offset polygon's bounding rectangle is exact).
    pub fn unclip(&self, ratio: f32) -> Rect {
        let perimeter = 2.0 * (self.width + self.height);
        let d = if perimeter > 0.0 { self.width * self.height * ratio / perimeter } else { 0.0 };
        Rect { width: self.width + 2.0 * d, height: self.height + 2.0 * d, ..*self }
    }
}

/// The smallest-area rectangle holding a convex polygon: one of its sides lies along an
/// edge of the polygon, so each edge direction is tried (rotating calipers, done plainly).
pub(crate) fn min_area_rect(hull: &[Point]) -> Option<Rect> {
    match hull.len() {
        0 => return None,
        1 => return Some(Rect { center: hull[0], axis: (1.0, 0.0), width: 0.0, height: 0.0 }),
        _ => {}
    }
    let mut best: Option<(f32, Rect)> = None;
    for i in 0..hull.len() {
        let (a, b) = (hull[i], hull[(i + 1) % hull.len()]);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt();
        if len == 0.0 {
            continue;
        }
        let (ux, uy) = (dx / len, dy / len);
        let (mut u0, mut u1, mut v0, mut v1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for &(x, y) in hull {
            let u = x * ux + y * uy;
            let v = -x * uy + y * ux;
            (u0, u1, v0, v1) = (u0.min(u), u1.max(u), v0.min(v), v1.max(v));
        }
        let area = (u1 - u0) * (v1 - v0);
        if best.as_ref().is_none_or(|(a, _)| area < *a) {
            let (cu, cv) = ((u0 + u1) / 2.0, (v0 + v1) / 2.0);
            let center = (cu * ux - cv * uy, cu * uy + cv * ux);
            best = Some((area, Rect { center, axis: (ux, uy), width: u1 - u0, height: v1 - v0 }));
        }
    }
    best.map(|(_, r)| r)
}

/// The map's mean probability over the pixels whose centres lie in the convex quadrilateral.
fn mean_inside(map: &ProbabilityMap, quad: &[Point; 4]) -> f32 {
    let x0 = quad.iter().map(|p| p.0).fold(f32::MAX, f32::min).floor().max(0.0) as usize;
    let x1 = (quad.iter().map(|p| p.0).fold(f32::MIN, f32::max).ceil() as usize).min(map.width - 1);
    let y0 = quad.iter().map(|p| p.1).fold(f32::MAX, f32::min).floor().max(0.0) as usize;
    let y1 = (quad.iter().map(|p| p.1).fold(f32::MIN, f32::max).ceil() as usize).min(map.height - 1);
    let (mut sum, mut count) = (0f32, 0usize);
    for y in y0..=y1 {
        for x in x0..=x1 {
            if inside(quad, (x as f32, y as f32)) {
                sum += map.at(x, y);
                count += 1;
            }
        }
    }
    if count == 0 {
        0.0
    } else {
        sum / count as f32
    }
}

/// Whether `p` lies in (or on) the convex quadrilateral, whichever way round it winds.
fn inside(quad: &[Point; 4], p: Point) -> bool {
    let mut sign = 0f32;
    for i in 0..4 {
        let (a, b) = (quad[i], quad[(i + 1) % 4]);
        let cross = (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
        if cross.abs() <= 1e-3 {
            continue;
        }
        if sign == 0.0 {
            sign = cross.signum();
        } else if cross.signum() != sign {
            return false;
        }
    }
    true
}

/// Corners as top-left, top-right, bottom-right, bottom-left (PaddleOCR's rule: the two
/// leftmost points are the left side, the upper of each pair is the top).
pub(crate) fn order_corners(mut points: [Point; 4]) -> [Point; 4] {
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (left, right) = (&points[..2], &points[2..]);
    let (tl, bl) = if left[0].1 <= left[1].1 { (left[0], left[1]) } else { (left[1], left[0]) };
    let (tr, br) = if right[0].1 <= right[1].1 { (right[0], right[1]) } else { (right[1], right[0]) };
    [tl, tr, br, bl]
}

/// Top to bottom by the top-left corner, then left to right among boxes whose tops are
/// within half a line of each other.
fn reading_order(boxes: &mut [TextBox]) {
    boxes.sort_by(|a, b| {
        a.corners[0].1.total_cmp(&b.corners[0].1).then(a.corners[0].0.total_cmp(&b.corners[0].0))
    });
    for i in 1..boxes.len() {
        let mut j = i;
        while j > 0 {
            let (a, b) = (&boxes[j - 1], &boxes[j]);
            let tolerance = 0.5 * (b.corners[3].1 - b.corners[0].1).abs().max(1.0);
            if (b.corners[0].1 - a.corners[0].1).abs() < tolerance && b.corners[0].0 < a.corners[0].0 {
                boxes.swap(j - 1, j);
                j -= 1;
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_with(width: usize, height: usize, fill: &[(usize, usize, usize, usize)]) -> ProbabilityMap {
        let mut values = vec![0.0; width * height];
        for &(x0, y0, x1, y1) in fill {
            for y in y0..y1 {
                for x in x0..x1 {
                    values[y * width + x] = 0.9;
                }
            }
        }
        ProbabilityMap { width, height, values, scale: (2.0, 2.0) }
    }

    #[test]
    fn each_region_becomes_a_grown_box_in_page_pixels_in_reading_order() {
        // Two lines: a long one low on the page and a short one above it, plus a speck.
        let map = map_with(100, 60, &[(10, 40, 90, 48), (60, 10, 80, 18), (5, 5, 6, 6)]);
        let boxes = text_boxes(&map, &DbOptions::default(), 200.0, 120.0);
        assert_eq!(boxes.len(), 2, "{boxes:?}");
        let upper = &boxes[0];
        // Region pixel centres 60..=79 x 10..=17: 19 x 7, offset d = 19*7*1.6/52 = 4.09.
        let d = 19.0 * 7.0 * 1.6 / 52.0;
        let [tl, tr, br, bl] = upper.corners;
        assert!((tl.0 - 2.0 * (60.0 - d)).abs() < 0.01 && (tl.1 - 2.0 * (10.0 - d)).abs() < 0.01, "{tl:?}");
        assert!((br.0 - 2.0 * (79.0 + d)).abs() < 0.01 && (br.1 - 2.0 * (17.0 + d)).abs() < 0.01, "{br:?}");
        assert!(tr.0 > tl.0 && bl.1 > tl.1);
        assert!((upper.score - 0.9).abs() < 1e-5);
        assert!(boxes[1].corners[0].1 > upper.corners[0].1);
    }

    #[test]
    fn faint_regions_are_dropped() {
        let mut map = map_with(50, 20, &[(5, 5, 45, 15)]);
        map.values.iter_mut().for_each(|v| *v *= 0.5); // 0.45 inside: text, but unsure
        assert!(text_boxes(&map, &DbOptions::default(), 100.0, 40.0).is_empty());
    }

    #[test]
    fn a_slanted_line_gets_a_slanted_rectangle() {
        // A parallelogram band rising 1 pixel every 4: its rectangle follows the slant.
        let mut values = vec![0.0; 120 * 60];
        for x in 10..110 {
            let y0 = 40 - x / 4;
            for y in y0..y0 + 6 {
                values[y * 120 + x] = 0.95;
            }
        }
        let map = ProbabilityMap { width: 120, height: 60, values, scale: (1.0, 1.0) };
        let boxes = text_boxes(&map, &DbOptions::default(), 120.0, 60.0);
        assert_eq!(boxes.len(), 1);
        let [tl, tr, _, bl] = boxes[0].corners;
        let slope = (tr.1 - tl.1) / (tr.0 - tl.0);
        assert!((slope + 0.25).abs() < 0.03, "slope {slope}");
        assert!(bl.1 > tl.1);
    }

    #[test]
    fn rectangles_fit_hulls_and_corners_are_ordered() {
        let square = [(0.0, 0.0), (4.0, 0.0), (4.0, 2.0), (0.0, 2.0)];
        let rect = min_area_rect(&convex_hull(square.to_vec())).unwrap();
        assert!((rect.width * rect.height - 8.0).abs() < 1e-4);
        assert_eq!(order_corners([(4.0, 2.0), (0.0, 0.0), (0.0, 2.0), (4.0, 0.0)]), square);
        assert!(min_area_rect(&[]).is_none());
        let grown = Rect { center: (0.0, 0.0), axis: (1.0, 0.0), width: 10.0, height: 2.0 }.unclip(1.5);
        assert!((grown.height - (2.0 + 2.0 * 20.0 * 1.5 / 24.0)).abs() < 1e-5);
    }
}
