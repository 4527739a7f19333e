//! top-k: keep the `k` highest logits, ties at the k-th value to the lowest ids.
//!
//! It is the shared prefix selection of `select.rs` with a mass of 1 per token:
//! the smallest prefix of the order whose count reaches `k`.
//!
//! - Survivors in scratch: a quickselect, O(m) expected, no exp.
//! - Survivors beyond the capacity with `2k <= CAP`: one scan gathers the
//!   tokens above a rising threshold into a window of the scratch and keeps
//!   the best k whenever it fills (a later token equal to the k-th loses the
//!   tie to the lower id already kept).
//! - Otherwise a 4-pass radix select over the logits' bit patterns, O(n) per
//!   pass, no exp.

use super::select::{self, Masses, Order, Rule, StreamMass};
use super::{Survivors, gather};
use crate::kernels::{Candidate, Kernels};

/// Cuts `set` to its `top_k` best tokens.
pub(crate) fn top_k(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &mut [f32],
    set: Survivors,
    top_k: usize,
) -> Survivors {
    let rule = Rule::reach(top_k as u64);
    match gather(k, scratch, xs, set, scratch.len()) {
        Survivors::Scratch(len) => {
            debug_assert!(len <= scratch.len(), "survivors beyond the capacity");
            let cands = scratch.get_mut(..len).unwrap_or_default();
            Survivors::Scratch(select::prefix_in_scratch(
                cands,
                Masses::Count,
                Order::Rank,
                rule,
            ))
        }
        Survivors::AtLeast(t) if top_k.saturating_mul(2) <= scratch.len() => {
            by_scan(k, scratch, xs, t, top_k)
        }
        Survivors::AtLeast(t) => {
            Survivors::AtLeast(select::prefix_streaming(k, xs, t, StreamMass::Count, rule))
        }
    }
}

/// top-k over a buffer too large for the scratch, in one pass. Needs
/// `2k <= scratch.len()` so every refill makes progress.
fn by_scan(k: Kernels, scratch: &mut [Candidate], xs: &[f32], t: f32, top_k: usize) -> Survivors {
    let rule = Rule::reach(top_k as u64);
    // A window of 4k (at least 256) rather than the whole scratch: the first
    // fill takes every token, so a small window raises the threshold sooner.
    let window = top_k.saturating_mul(4).max(256).min(scratch.len());
    let (mut len, mut pos, mut threshold) = (0usize, 0usize, t);
    while pos < xs.len() {
        let out = scratch.get_mut(len..window).unwrap_or_default();
        let rest = xs.get(pos..).unwrap_or_default();
        let g = k.gather_at_least(rest, threshold, pos as u32, out);
        len += g.count;
        pos += g.next;
        debug_assert!(len <= window && pos <= xs.len(), "the gather overran");
        debug_assert!(
            pos == xs.len() || g.next > 0 || g.count > 0,
            "a refill made no progress"
        );
        if pos < xs.len() {
            let cands = scratch.get_mut(..len).unwrap_or_default();
            len = select::prefix_in_scratch(cands, Masses::Count, Order::Rank, rule);
            let kept = scratch.get(..len).unwrap_or_default();
            let kth = kept
                .iter()
                .map(|c| c.logit)
                .fold(f32::INFINITY, |a, b| if b < a { b } else { a });
            threshold = super::larger(threshold, kth.next_up());
        }
    }
    let cands = scratch.get_mut(..len).unwrap_or_default();
    Survivors::Scratch(select::prefix_in_scratch(
        cands,
        Masses::Count,
        Order::Rank,
        rule,
    ))
}
