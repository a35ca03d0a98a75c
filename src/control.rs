//! What a long-running job's progress callback answers: go on, or stop.
//!
//! Batch analysis ([`crate::analysis::batch`]), training ([`crate::train`]) and the C ABI's
//! callbacks all report progress and may be cancelled the same way, so the answer lives
//! here, below all of them, rather than in any one of them.

/// What a progress callback wants next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop at the next safe point (after the current chunk or training step); the job then
    /// returns an [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled) error and nothing
    /// it had not finished.
    Cancel,
}
