//! CTC decoding that keeps where each character was read, and words cut from a line.
//!
//! The recogniser gives, for every frame (a column 8 pixels wide of the 48-pixel-high line),
//! a probability for each character and for "blank". The text is the most likely class per
//! frame with repeats collapsed and blanks dropped. Each character keeps the frame it was
//! read at, so that a line splits into words at its spaces and each word gets its own
//! extent along the line: the field stage needs words with boxes, not lines.

/// A line as decoded: its characters (an alphabet entry may be more than one `char`, a flag
/// emoji say), the frame each was read at, and its probability.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Decoded {
    pub chars: Vec<(String, usize, f32)>,
    /// Frames the line's content spans (the crop without its padding).
    pub frames: usize,
}

/// Greedy CTC decoding of one line: `best` holds each frame's most likely class and its
/// probability, class 0 being the blank and class `i` the alphabet's `i - 1`th character.
/// `content_frames` of the frames cover the crop; the rest are padding.
pub(crate) fn decode(best: &[(usize, f32)], alphabet: &[String], content_frames: usize) -> Decoded {
    let mut chars = Vec::new();
    let mut previous = 0;
    for (frame, &(class, p)) in best.iter().enumerate() {
        if class != 0 && class != previous {
            if let Some(c) = alphabet.get(class - 1) {
                chars.push((c.clone(), frame, p));
            }
        }
        previous = class;
    }
    Decoded { chars, frames: content_frames.clamp(1, best.len().max(1)) }
}

/// A word of a line: its text, its extent along the line as fractions `[start, end]` of the
/// line's content width, and its confidence (the mean probability of its characters).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LineWord {
    pub text: String,
    pub start: f32,
    pub end: f32,
    pub confidence: f32,
}

/// Splits a decoded line into words at its whitespace.
///
/// A character is read near the middle of its ink, so a word's extent runs from half a
/// character before its first character's frame to half a character after its last one,
/// the character width being the line's mean frame distance between neighbouring
/// characters.
pub(crate) fn words(line: &Decoded) -> Vec<LineWord> {
    let frames = line.frames as f32;
    let pitch = char_pitch(line);
    let mut out = Vec::new();
    let mut current: Vec<&(String, usize, f32)> = Vec::new();
    let mut flush = |current: &mut Vec<&(String, usize, f32)>| {
        if current.is_empty() {
            return;
        }
        let first = current[0].1 as f32 + 0.5;
        let last = current[current.len() - 1].1 as f32 + 0.5;
        let start = ((first - pitch / 2.0) / frames).clamp(0.0, 1.0);
        let end = ((last + pitch / 2.0) / frames).clamp(0.0, 1.0);
        let confidence = current.iter().map(|c| c.2).sum::<f32>() / current.len() as f32;
        out.push(LineWord { text: current.iter().map(|c| c.0.as_str()).collect(), start, end, confidence });
        current.clear();
    };
    for c in &line.chars {
        if is_space(&c.0) {
            flush(&mut current);
        } else {
            current.push(c);
        }
    }
    flush(&mut current);
    out
}

fn is_space(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

/// Frames per character: the median distance between neighbouring characters of a word (at
/// least one frame), or 2 frames (16 pixels at height 48, a typical width) when no word
/// has two characters.
fn char_pitch(line: &Decoded) -> f32 {
    let mut gaps: Vec<usize> = line
        .chars
        .windows(2)
        .filter(|w| !is_space(&w[0].0) && !is_space(&w[1].0))
        .map(|w| w[1].1 - w[0].1)
        .collect();
    if gaps.is_empty() {
        return 2.0;
    }
    gaps.sort_unstable();
    (gaps[gaps.len() / 2] as f32).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alphabet() -> Vec<String> {
        ["a", "b", "c", "1", " "].iter().map(|s| s.to_string()).collect()
    }

    fn frames(classes: &[usize]) -> Vec<(usize, f32)> {
        classes.iter().map(|&c| (c, if c == 0 { 0.99 } else { 0.8 })).collect()
    }

    #[test]
    fn repeats_collapse_blanks_separate_and_frames_are_kept() {
        // "a a b _ b c" -> "abbc": a repeat only counts again after a blank.
        let line = decode(&frames(&[1, 1, 0, 2, 0, 2, 3, 0]), &alphabet(), 8);
        let text: String = line.chars.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(text, "abbc");
        assert_eq!(line.chars.iter().map(|c| c.1).collect::<Vec<_>>(), vec![0, 3, 5, 6]);
        // Classes past the alphabet are dropped, not a panic.
        assert!(decode(&frames(&[9, 0, 1]), &alphabet(), 3).chars.len() == 1);
    }

    #[test]
    fn lines_split_into_words_with_their_own_extent() {
        // "ab" at frames 2 and 4, a space at 7, "c1" at 10 and 12, on 20 content frames of 25.
        let mut best = vec![(0, 0.99); 25];
        for (frame, class, p) in [(2, 1, 0.9), (4, 2, 0.7), (7, 5, 0.95), (10, 3, 0.6), (12, 4, 0.8)] {
            best[frame] = (class, p);
        }
        let line = decode(&best, &alphabet(), 20);
        let words = words(&line);
        assert_eq!(words.len(), 2);
        assert_eq!(words[0].text, "ab");
        assert_eq!(words[1].text, "c1");
        // Pitch 2 frames: "ab" from 2.5 - 1 to 4.5 + 1 frames, of 20.
        assert!((words[0].start - 1.5 / 20.0).abs() < 1e-6 && (words[0].end - 5.5 / 20.0).abs() < 1e-6);
        assert!(words[1].start > words[0].end);
        assert!((words[0].confidence - 0.8).abs() < 1e-6);
        assert!((words[1].confidence - 0.7).abs() < 1e-6);
    }

    #[test]
    fn an_empty_reading_has_no_words() {
        let line = decode(&frames(&[0, 0, 0]), &alphabet(), 3);
        assert!(line.chars.is_empty());
        assert!(words(&line).is_empty());
    }
}
