//! top-n-sigma (Tang et al. 2024): keep the logits `>= max - n * sigma`,
//! `sigma` the population standard deviation of the survivors' logits.
//!
//! A threshold in logit space like min-p's, so no exp; it does not depend on
//! the temperature (dividing every logit by `T` divides `max`, `sigma` and
//! the threshold alike). The statistics are sums over the survivors in the
//! chunk layout (`survivors.rs`): one pass, the same bits on every path.
//! `-inf` logits are not survivors, so they never enter `sigma`.

use super::{Survivors, survivors};
use crate::kernels::{Candidate, Kernels};

/// The threshold `max - n * sigma`, or `None` when it keeps everything (one
/// survivor, or a spread beyond `f32::MAX`).
///
/// `sigma^2 = E[d^2] - E[d]^2` over `d = l - max` (in `f32`, summed in
/// `f64`): shifting by the max keeps the terms small, and one pass gives both sums.
// Out of line, so that its sums and arrays never enlarge the stack frame of
// the common chain (firmware-example/check.sh measures the stack per call).
#[inline(never)]
pub(crate) fn threshold(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &[f32],
    set: Survivors,
    max: f32,
    n: f32,
) -> Option<f32> {
    let sums = survivors::deviation_sums(k, scratch, xs, set, max);
    if sums.count <= 1 {
        return None;
    }
    let count = sums.count as f64;
    let mean = sums.first / count;
    let variance = sums.second / count - mean * mean;
    if !variance.is_finite() {
        // A spread beyond f32::MAX: `l - max` overflows, sigma is infinite
        // (as in llama.cpp's float sums) and everything stays.
        return None;
    }
    let sigma = libm::sqrt(variance.max(0.0)) as f32;
    // Equal logits give sigma 0 and keep all: they are all the max.
    // Deviations whose squares underflow f32 (below about 2^-75) also give
    // 0, and then only the max stays.
    Some(max - n * sigma)
}
