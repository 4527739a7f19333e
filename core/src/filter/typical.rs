//! Locally typical sampling (Meister et al. 2022): keep the tokens whose
//! surprise `-ln p` is closest to the entropy `H` of the survivors, the
//! smallest such set (in order of that distance, ties to the lowest id)
//! whose mass exceeds `p`.
//!
//! With `p_i = q_i / Q` (fixed-point masses) the distance `|-ln p_i - H|` is
//! `|s_i - s̄|`, `s_i` the scaled logit and `s̄` the mass-weighted mean of
//! the scaled logits (`survivors::entropy`): no logarithm per token. The cut
//! is the shared prefix selection (`select.rs`) in that order with the exact
//! integer masses, so every path cuts at the same token: in the scratch when
//! the survivors fit, else a radix select over the buffer that overwrites the
//! excluded tokens by `-inf`. The set may lose its most likely token.

use super::select::{self, Distance, Masses, Order, Rule, StreamMass};
use super::{Survivors, gather, survivors};
use crate::kernels::{Candidate, Kernels, Weighting};

/// Cuts `set` to its typical set of mass `p` (in [0, 1)), at least
/// `min_keep` tokens, under the weighting `w`.
pub(crate) fn typical(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &mut [f32],
    set: Survivors,
    p: f32,
    min_keep: usize,
    w: Weighting,
) -> Survivors {
    let entropy = survivors::entropy(scratch, xs, set, w);
    if entropy.count <= 1 {
        return set;
    }
    let d = Distance {
        max: w.max,
        inv_t: w.inv_t,
        center: entropy.center,
    };
    let rule = Rule::exceed(p, entropy.total).at_least(min_keep);
    match gather(k, scratch, xs, set, scratch.len()) {
        Survivors::Scratch(len) => {
            let cands = scratch.get_mut(..len).unwrap_or_default();
            let masses = xs.get_mut(..len).unwrap_or_default();
            select::fill_masses(cands, masses, w);
            let kept =
                select::prefix_in_scratch(cands, Masses::Beside(masses), Order::Distance(d), rule);
            Survivors::Scratch(kept)
        }
        Survivors::AtLeast(t) => {
            select::distance_streaming(k, xs, t, StreamMass::Fixed(w), rule, d);
            Survivors::AtLeast(t)
        }
    }
}
