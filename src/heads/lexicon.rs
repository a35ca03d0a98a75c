//! A sentiment lexicon as a second expert for zero-shot ABSA: VADER (Hutto & Gilbert, 2014).
//!
//! Sentence embeddings of a general encoder place "the food was delicious" and "the food was
//! disgusting" close together: they are about the same thing. Before any labelled data
//! exists, the sentiment of a segment is better read from its words. VADER's lexicon gives
//! each word a valence; its published rules adjust it for degree adverbs ("very good"),
//! negation ("not good"), a contrastive "but", capitals and exclamation marks. The result
//! is VADER's own output, the shares of positive, negative and neutral in the text, which
//! [`super::PrototypeHead`] multiplies with its prototype probabilities (a product of
//! experts). The data and its licence are in `src/heads/data/vader/`.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Valence change of a capitalised word amid mixed-case text.
const CAPS_INCREASE: f32 = 0.733;
/// Valence multiplier in the scope of a negation.
const NEGATION_SCALAR: f32 = -0.74;
/// Weights of the words before and after a contrastive "but".
const BUT_BEFORE: f32 = 0.5;
const BUT_AFTER: f32 = 1.5;
/// Booster decay for the second and third word back.
const DECAY: [f32; 3] = [1.0, 0.95, 0.9];
/// Emphasis per `!` (at most four) and for two or more `?`.
const EXCLAIM: f32 = 0.292;
const QUESTIONS_PER: f32 = 0.18;
const QUESTIONS_CAP: f32 = 0.96;

/// Normalises a valence sum into VADER's compound score: `s / sqrt(s² + 15)`.
const COMPOUND_ALPHA: f32 = 15.0;
/// |compound| below this is neutral, VADER's published threshold.
pub const NEUTRAL_BAND: f32 = 0.05;

/// VADER's shares of a text: positive, negative and neutral, summing to 1, and its
/// compound polarity in `[-1, 1]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shares {
    /// Overall polarity, `[-1, 1]`.
    pub compound: f32,
    /// Positive share.
    pub pos: f32,
    /// Negative share.
    pub neg: f32,
    /// Neutral share.
    pub neu: f32,
}

/// The English VADER lexicon with its negations and boosters.
#[derive(Debug)]
pub struct Lexicon {
    valence: HashMap<String, f32>,
    negations: HashSet<String>,
    boosters: HashMap<String, f32>,
}

impl Lexicon {
    /// The shipped English lexicon, parsed once per process.
    pub fn vader() -> &'static Lexicon {
        static VADER: OnceLock<Lexicon> = OnceLock::new();
        VADER.get_or_init(|| {
            let pairs = |file: &'static str| {
                file.lines()
                    .filter(|l| !l.starts_with('#'))
                    .filter_map(|l| l.split_once('\t'))
                    .filter_map(|(w, v)| v.trim().parse::<f32>().ok().map(|v| (w.to_string(), v)))
                    .collect::<HashMap<_, _>>()
            };
            Lexicon {
                valence: pairs(include_str!("data/vader/lexicon.tsv")),
                negations: include_str!("data/vader/negations.txt")
                    .lines()
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_owned)
                    .collect(),
                boosters: pairs(include_str!("data/vader/boosters.tsv")),
            }
        })
    }

    /// Number of scored words and emoticons.
    pub fn len(&self) -> usize {
        self.valence.len()
    }

    /// Whether the lexicon is empty.
    pub fn is_empty(&self) -> bool {
        self.valence.is_empty()
    }

    /// VADER's positive, negative and neutral shares of `text`.
    pub fn shares(&self, text: &str) -> Shares {
        let words: Vec<&str> = text.split_whitespace().map(strip_edges).filter(|w| !w.is_empty()).collect();
        let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
        let caps_differ = words.iter().any(|w| is_shouting(w)) && words.iter().any(|w| !is_shouting(w));
        let mut valences: Vec<f32> = Vec::with_capacity(words.len());
        for (i, word) in lower.iter().enumerate() {
            if self.boosters.contains_key(word) {
                valences.push(0.0);
                continue;
            }
            let Some(&base) = self.valence.get(word) else {
                valences.push(0.0);
                continue;
            };
            let mut v = base;
            if caps_differ && is_shouting(words[i]) {
                v += CAPS_INCREASE.copysign(v);
            }
            for back in 1..=3.min(i) {
                let prev = &lower[i - back];
                if let Some(&boost) = self.boosters.get(prev) {
                    let mut scalar = if v < 0.0 { -boost } else { boost };
                    if caps_differ && is_shouting(words[i - back]) {
                        scalar += CAPS_INCREASE.copysign(scalar);
                    }
                    v += scalar * DECAY[back - 1];
                }
            }
            if (1..=3.min(i)).any(|back| self.is_negation(&lower[i - back])) {
                v *= NEGATION_SCALAR;
            }
            valences.push(v);
        }
        if let Some(but) = lower.iter().position(|w| w == "but") {
            for (i, v) in valences.iter_mut().enumerate() {
                *v *= if i < but {
                    BUT_BEFORE
                } else if i > but {
                    BUT_AFTER
                } else {
                    1.0
                };
            }
        }
        let emphasis = punctuation_emphasis(text);
        let sum: f32 = valences.iter().sum();
        let emphasised = if sum > 0.0 {
            sum + emphasis
        } else if sum < 0.0 {
            sum - emphasis
        } else {
            sum
        };
        let compound = emphasised / (emphasised * emphasised + COMPOUND_ALPHA).sqrt();
        let (mut pos, mut neg, mut neu) = (0f32, 0f32, 0f32);
        for &v in &valences {
            if v > 0.0 {
                pos += v + 1.0;
            } else if v < 0.0 {
                neg += v - 1.0;
            } else {
                neu += 1.0;
            }
        }
        if pos > neg.abs() {
            pos += emphasis;
        } else if pos < neg.abs() {
            neg -= emphasis;
        }
        let total = pos + neg.abs() + neu;
        if total <= 0.0 {
            return Shares { compound, pos: 0.0, neg: 0.0, neu: 1.0 };
        }
        Shares { compound, pos: pos / total, neg: neg.abs() / total, neu: neu / total }
    }

    fn is_negation(&self, word: &str) -> bool {
        self.negations.contains(word) || word.ends_with("n't")
    }
}

/// `!` and `?` emphasis, as VADER adds it to the dominant side.
fn punctuation_emphasis(text: &str) -> f32 {
    let exclaims = text.matches('!').count().min(4) as f32 * EXCLAIM;
    let questions = text.matches('?').count();
    let asks = if questions > 1 { (questions as f32 * QUESTIONS_PER).min(QUESTIONS_CAP) } else { 0.0 };
    exclaims + asks
}

/// A word without the punctuation around it; emoticons (all punctuation) are kept whole.
fn strip_edges(word: &str) -> &str {
    let stripped = word.trim_matches(|c: char| c.is_ascii_punctuation());
    if stripped.chars().count() <= 2 && !stripped.chars().any(char::is_alphabetic) {
        word
    } else {
        stripped
    }
}

/// A word written in capitals (`GREAT`), at least two letters.
fn is_shouting(word: &str) -> bool {
    word.chars().filter(|c| c.is_alphabetic()).count() >= 2 && !word.chars().any(char::is_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polarity_negation_boosters_and_but() {
        let lex = Lexicon::vader();
        assert!(lex.len() > 7000);
        let good = lex.shares("The food was good.");
        assert!(good.pos > good.neg && good.neg == 0.0 && good.compound > NEUTRAL_BAND);
        let not_good = lex.shares("The food was not good.");
        assert!(not_good.neg > not_good.pos && not_good.compound < -NEUTRAL_BAND);
        let very_good = lex.shares("The food was very good.");
        assert!(very_good.compound > good.compound);
        let shout = lex.shares("The food was GOOD!!!");
        assert!(shout.compound > good.compound);
        let but = lex.shares("The food was great but the service was terrible.");
        assert!(but.neg > but.pos, "{but:?}");
        let plain = lex.shares("We arrived at noon.");
        assert_eq!((plain.compound, plain.pos, plain.neg, plain.neu), (0.0, 0.0, 0.0, 1.0));
        let sum = but.pos + but.neg + but.neu;
        assert!((sum - 1.0).abs() < 1e-5);
    }

    #[test]
    fn emoticons_survive_punctuation_stripping() {
        assert_eq!(strip_edges(":)"), ":)");
        assert_eq!(strip_edges("good!"), "good");
        assert!(Lexicon::vader().shares("Loved it :)").pos > 0.0);
    }
}
