//! A deterministic, seeded train/held-out split.
//!
//! Segments of one source record (document) stay on the same side, so that sentences of a
//! review seen in training do not inflate held-out scores. The shuffle is a Fisher-Yates
//! over record indices driven by SplitMix64, so a seed gives the same split on every platform
//! and every version of every dependency.

use std::collections::{BTreeSet, HashSet};

use super::LabeledSet;
use crate::rng::SplitMix64;
use crate::{Error, Result};

/// Two sides of a split.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// The training side.
    pub train: LabeledSet,
    /// The held-out side.
    pub held_out: LabeledSet,
}

/// Splits `set` so that about `held_out` (a fraction in `(0, 1)`) of its records go to the
/// held-out side, chosen by `seed`. Both sides keep the set's classes and labels; issues stay
/// with the training side. Fails when a side would be empty.
pub fn split(set: &LabeledSet, held_out: f64, seed: u64) -> Result<Split> {
    if !(held_out > 0.0 && held_out < 1.0) {
        return Err(Error::invalid_argument(format!("held-out fraction is {held_out}, expected one in (0, 1)")));
    }
    let records: BTreeSet<usize> = set.segments.iter().map(|s| s.record).collect();
    let mut order: Vec<usize> = records.into_iter().collect();
    let n = order.len();
    let take = ((n as f64) * held_out).round() as usize;
    if take == 0 || take == n {
        return Err(Error::invalid_argument(format!(
            "{n} records cannot be split {:.0}% held out with both sides non-empty",
            held_out * 100.0
        )));
    }
    SplitMix64::new(seed).shuffle(&mut order);
    let held: HashSet<usize> = order[..take].iter().copied().collect();
    let side = |keep: bool| LabeledSet {
        model_type: set.model_type,
        segments: set.segments.iter().filter(|s| held.contains(&s.record) == keep).cloned().collect(),
        classes: set.classes.clone(),
        labels: set.labels.clone(),
        issues: if keep { Vec::new() } else { set.issues.clone() },
    };
    Ok(Split { train: side(false), held_out: side(true) })
}
