//! top-n-sigma (Tang et al. 2024): keep the logits `>= max - n * sigma`,
//! `sigma` the population standard deviation of the survivors' logits.
//!
//! A threshold in logit space like min-p's, so no exp; it does not depend on
//! the temperature (dividing every logit by `T` divides `max`, `sigma` and
//! the threshold alike). The statistics are sums over the survivors in the
//! chunk layout (`survivors.rs`): one pass, the same bits on every path.
//! `-inf` logits are not survivors, so they never enter `sigma`.

use super::{Survivors, survivors};
use crate::kernels::Candidate;

/// The threshold `max - n * sigma`, or `None` when it keeps everything (one
/// survivor, or equal logits).
///
/// `sigma^2 = E[d^2] - E[d]^2` over `d = l - max` (in `f32`, summed in
/// `f64`): shifting by the max keeps the terms small, and one pass gives both sums.
pub(crate) fn threshold(
    scratch: &mut [Candidate],
    xs: &[f32],
    set: Survivors,
    max: f32,
    n: f32,
) -> Option<f32> {
    let (mut count, mut sum, mut squares) =
        (0usize, survivors::LaneSum::new(), survivors::LaneSum::new());
    survivors::for_each(scratch, xs, set, |id, x| {
        let d = x - max;
        count += 1;
        sum.add(id, d);
        squares.add(id, d * d);
    });
    if count <= 1 {
        return None;
    }
    let count = count as f64;
    let mean = sum.total() / count;
    let variance = squares.total() / count - mean * mean;
    let sigma = libm::sqrt(variance.max(0.0)) as f32;
    (sigma > 0.0).then_some(max - n * sigma)
}
