//! top-p (nucleus): keep the smallest most-likely prefix whose mass is `>= p`
//! of the survivors' mass; the token that crosses `p` is kept.
//!
//! It is the shared prefix selection of `select.rs` with each token's mass its
//! fixed-point weight `round(exp((l - max) / T) * 2^30)`: integer sums are
//! exact and independent of order, so the target `ceil(p * total)` and every
//! path below cut at exactly the same token, and a mass of exactly `p` is
//! decided exactly.
//!
//! - Survivors in scratch (after min-p or top-k): one exp per candidate, the
//!   masses kept beside the candidates in the (now free) logits buffer, then a
//!   quickselect that only does integer work, O(m) expected.
//! - Survivors in the buffer: one vectorised pass sums every mass (no write);
//!   a provable bound then rules out the tail in logit space ([`prefilter`]),
//!   and the tokens above it are gathered and selected as above with the whole
//!   set's total. Only when even those do not fit does the radix select over
//!   the buffer run (4 passes, masses a strip at a time).

use super::select::{self, Masses, Order, Rule, StreamMass};
use super::{Survivors, gather};
use crate::kernels::{Candidate, FIXED_ONE, Kernels, Weighting};

/// Cuts `set` to its nucleus of mass `p` (in (0, 1)) under the weighting `w`.
pub(crate) fn top_p(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &mut [f32],
    set: Survivors,
    p: f32,
    w: Weighting,
) -> Survivors {
    match set {
        Survivors::Scratch(len) => {
            let cands = scratch.get_mut(..len).unwrap_or_default();
            let masses = xs.get_mut(..len).unwrap_or_default();
            let mut total = 0u64;
            for (c, m) in cands.iter().zip(masses.iter_mut()) {
                let q = w.fixed(c.logit);
                total += q as u64;
                *m = f32::from_bits(q);
            }
            select_in_scratch(cands, masses, Rule::Fraction { p, total })
        }
        Survivors::AtLeast(t) => {
            let total = k.exp_fixed_sum(xs, t, w);
            let rule = Rule::Fraction { p, total };
            // Only tokens at or above the bound can be in the nucleus: if those
            // fit, select among them (with the whole set's total).
            let bound = prefilter(p, w, total, xs.len()).map_or(t, |b| super::larger(b, t));
            if let Survivors::Scratch(len) =
                gather(k, scratch, xs, Survivors::AtLeast(bound), scratch.len())
            {
                let cands = scratch.get_mut(..len).unwrap_or_default();
                let masses = xs.get_mut(..len).unwrap_or_default();
                for (c, m) in cands.iter().zip(masses.iter_mut()) {
                    *m = f32::from_bits(w.fixed(c.logit));
                }
                return select_in_scratch(cands, masses, rule);
            }
            Survivors::AtLeast(select::prefix_streaming(
                k,
                xs,
                t,
                StreamMass::Fixed(w),
                rule,
            ))
        }
    }
}

fn select_in_scratch(cands: &mut [Candidate], masses: &mut [f32], rule: Rule) -> Survivors {
    let len = select::prefix_in_scratch(cands, Masses::Beside(masses), Order::Rank, rule);
    Survivors::Scratch(len)
}

/// A logit threshold that every nucleus token passes, from the survivors'
/// total mass `total` and their number (at most `n`); `None` when weights are
/// uniform or the bound rules nothing out.
///
/// The nucleus's last token `x` leaves more than `total - ceil(p * total) >=
/// (1 - p) * total - 1` of mass at or after it in the order, spread over at
/// most `n` tokens. Their masses exceed `q_x` at most by exp's rounding (a
/// relative 2^-22) plus one step, so `q_x > A / (1 + 2^-22)` with
/// `A = ((1 - p) * total - 1 - n) / n`, and x's weight is at least
/// `(q_x - 1/2) / 2^30`. With `A > 1.5` that is more than twice
/// `(A - 1/2) / 2^31`, the bound used: the factor 2 (ln 2 in logit space)
/// absorbs the rounding of exp, of `(l - max) / T` and of the f64 here. In
/// logit space the bound is `l >= max + T ln(bound)`, rounded down.
pub(crate) fn prefilter(p: f32, w: Weighting, total: u64, n: usize) -> Option<f32> {
    if w.inv_t == 0.0 {
        return None;
    }
    let n = n as f64;
    let a = ((1.0 - p as f64) * total as f64 - 1.0 - n) / n;
    if a <= 1.5 {
        return None;
    }
    let bound = (a - 0.5) / (2.0 * FIXED_ONE as f64);
    let threshold = w.max as f64 + libm::log(bound) / w.inv_t as f64;
    let rounded = threshold as f32;
    Some(if rounded as f64 > threshold {
        rounded.next_down()
    } else {
        rounded
    })
}
