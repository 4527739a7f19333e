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

/// The mass and the rule that make the shared selection a top-p over a set
/// whose weights under `w` sum to `total`.
pub(crate) fn selection(p: f32, w: Weighting, total: f64) -> (Mass, Rule) {
    (Mass::Weight(w), Rule::Fraction { p, total })
}

/// A logit threshold that every nucleus token passes, from the survivors' total
/// weight `total` (>= 1) and their number (at most `n`); `None` when weights
/// are uniform and nothing can be ruled out.
///
/// The last token `x` of the nucleus leaves more than `(1 - p) * total` of mass
/// at or below it, spread over at most `n` tokens of weight `<= w_x`, so
/// `w_x > (1 - p) * total / n`. Halving that bound absorbs every rounding error;
/// in logit space it is `l >= max + T ln(bound)`, rounded down.
pub(crate) fn prefilter(p: f32, w: Weighting, total: f64, n: usize) -> Option<f32> {
    if w.inv_t == 0.0 {
        return None;
    }
    let bound = (1.0 - p as f64) * total / (2.0 * n as f64);
    let threshold = w.max as f64 + libm::log(bound) / w.inv_t as f64;
    let rounded = threshold as f32;
    Some(if rounded as f64 > threshold {
        rounded.next_down()
    } else {
        rounded
    })
}
