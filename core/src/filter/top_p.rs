//! top-p (nucleus): keep the smallest most-likely prefix whose mass is `>= p`
//! of the survivors' mass; the token that crosses `p` is kept.
//!
//! It is the shared prefix selection of `select.rs` with each token's mass its
//! weight `exp((l - max) / T)`, converted to a fixed-point integer so that sums
//! are exact and independent of order: the scratch path (a quickselect that only
//! partitions what the nucleus needs, O(m) expected) and the streaming path (a
//! radix select with mass histograms) then cut at exactly the same token.

use super::select::{Mass, Rule};
use crate::kernels::Weighting;

/// The mass and the rule that make the shared selection a top-p.
pub(crate) fn selection(p: f32, w: Weighting) -> (Mass, Rule) {
    (Mass::Weight(w), Rule::Fraction(p))
}
