//! min-p: keep token `i` iff `p_i >= m * p_max`.
//!
//! In logit space that is `l_i >= l_max + T ln m`: a threshold computed once,
//! with no exp and no pass of its own (it becomes the gather threshold or is
//! folded into the running threshold). The max token always passes.

use super::Survivors;
use crate::kernels::{Candidate, Kernels};

/// The logit threshold, or `None` when the filter keeps everything (`m == 0`,
/// or all candidates are equally likely, as at temperature `+inf`).
pub(crate) fn threshold(max: f32, temperature: f32, m: f32, uniform: bool) -> Option<f32> {
    if m == 0.0 || uniform {
        return None;
    }
    // ln m <= 0; an overflow to -inf correctly keeps everything finite.
    Some(max + temperature * libm::logf(m))
}

/// Keeps the survivors at or above `threshold`, or the `min_keep` most
/// likely if fewer pass (llama.cpp's `min_keep`: the two are prefixes of the
/// same order, so the longer one).
pub(crate) fn keep_with_min(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &mut [f32],
    set: Survivors,
    threshold: f32,
    min_keep: usize,
) -> Survivors {
    if min_keep > 1 {
        let passing = match set {
            Survivors::AtLeast(t) => {
                let t = super::larger(t, threshold);
                xs.iter().filter(|&&x| x >= t).take(min_keep).count()
            }
            Survivors::Scratch(len) => scratch
                .get(..len)
                .unwrap_or_default()
                .iter()
                .filter(|c| c.logit >= threshold)
                .take(min_keep)
                .count(),
        };
        if passing < min_keep {
            return super::top_k::top_k(k, scratch, xs, set, min_keep, None);
        }
    }
    keep_at_least(scratch, set, threshold)
}

/// Keeps the survivors at or above `threshold`: over the buffer by raising the
/// threshold, in the scratch by compacting it (order preserved).
pub(crate) fn keep_at_least(
    scratch: &mut [Candidate],
    set: Survivors,
    threshold: f32,
) -> Survivors {
    match set {
        Survivors::AtLeast(t) => Survivors::AtLeast(super::larger(t, threshold)),
        Survivors::Scratch(len) => {
            let cands = scratch.get_mut(..len).unwrap_or_default();
            Survivors::Scratch(super::retain(cands, |c| {
                (c.logit >= threshold).then_some(c)
            }))
        }
    }
}
