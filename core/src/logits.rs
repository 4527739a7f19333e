//! Validation of a logits slice, shared by the entry points that take logits.
//!
//! It reads the slice once (the max/NaN scan) and writes nothing, which is how
//! every error leaves the caller's buffer untouched. (The constrained calls'
//! scan outside a gathered mask is `Constraints::scan_and_check`'s own: it
//! writes `-inf` over the tokens the rewrites will set and puts them back.)

use crate::error::SampleError;
use crate::kernels::Kernels;

/// Checks length, NaN and "all `-inf`", and returns the largest logit.
pub(crate) fn scan(k: Kernels, xs: &[f32]) -> Result<f32, SampleError> {
    if xs.is_empty() {
        return Err(SampleError::Empty);
    }
    if u32::try_from(xs.len()).is_err() {
        return Err(SampleError::TooLong { len: xs.len() });
    }
    let scan = k.max_nan(xs);
    if let Some(index) = scan.nan {
        return Err(SampleError::NanLogit { index });
    }
    if scan.max == f32::NEG_INFINITY {
        return Err(SampleError::NoCandidates);
    }
    Ok(scan.max)
}

/// When some logit is `+inf`, those tokens are certain and every other token is
/// impossible: rewrite the buffer to `0` for the `+inf` entries and `-inf` for the
/// rest, so the ordinary pipeline then draws uniformly among them.
pub(crate) fn keep_certain_only(xs: &mut [f32]) {
    for x in xs {
        *x = if *x == f32::INFINITY {
            0.0
        } else {
            f32::NEG_INFINITY
        };
    }
}

/// The first index holding `max` (a value the scan returned, so it exists):
/// argmax with ties to the lowest id.
pub(crate) fn first_max(k: Kernels, xs: &[f32], max: f32) -> u32 {
    let found = k.position_of(xs, max);
    debug_assert!(found.is_some(), "the max is in the buffer");
    found.unwrap_or(0) as u32
}

/// Probability 1 at `winner`, 0 elsewhere (the distribution of a greedy draw).
pub(crate) fn one_hot(xs: &mut [f32], winner: u32) {
    for (i, x) in xs.iter_mut().enumerate() {
        *x = if i == winner as usize { 1.0 } else { 0.0 };
    }
}
