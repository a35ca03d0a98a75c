//! True positives, false positives and false negatives of one unit.

use std::ops::Add;

use crate::schema::Scores;

/// Counts for one class, label or pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Predicted and true.
    pub tp: u64,
    /// Predicted, not true.
    pub fp: u64,
    /// True, not predicted.
    pub fn_: u64,
}

impl Counts {
    /// Precision, recall, F1 and support.
    pub fn scores(&self) -> Scores {
        Scores::from_counts(self.tp, self.fp, self.fn_)
    }
}

impl Add for Counts {
    type Output = Counts;

    fn add(self, o: Counts) -> Counts {
        Counts { tp: self.tp + o.tp, fp: self.fp + o.fp, fn_: self.fn_ + o.fn_ }
    }
}
