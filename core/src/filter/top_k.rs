//! top-k: keep the `k` highest logits, ties at the k-th value to the lowest ids.
//!
//! It is the shared prefix selection of `select.rs` with a mass of 1 per token:
//! the smallest prefix of the order whose count reaches `k`. In scratch that is
//! a quickselect, O(m) expected. Over a buffer larger than the capacity with
//! `2k <= CAP`, one scan (`Sampler::top_k_by_scan`) gathers tokens above a
//! rising threshold and re-selects the best k whenever the scratch fills;
//! otherwise a 4-pass radix select over the logits' bit patterns, O(n) per
//! pass, no exp.

use super::select::{Mass, Rule};

/// The mass and the rule that make the shared selection a top-k.
pub(crate) fn selection(k: usize) -> (Mass, Rule) {
    (Mass::Count, Rule::Reach(k as u128))
}
