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
// Out of line, so that its sums and arrays never enlarge the stack frame of
// the common chain (firmware-example/check.sh measures the stack per call).
#[inline(never)]
pub(crate) fn typical(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &mut [f32],
    set: Survivors,
    p: f32,
    min_keep: usize,
    w: Weighting,
) -> Survivors {
    let entropy = survivors::entropy(k, scratch, xs, set, w);
    if entropy.count <= 1 {
        return set;
    }
    let d = Distance {
        max: w.max,
        inv_t: w.inv_t,
        center: entropy.center,
    };
    let rule = Rule::exceed(p, entropy.total).at_least(min_keep);
    let set = match set {
        Survivors::AtLeast(t) => match band(k, scratch, xs, t, d, rule, w) {
            Some(len) => Survivors::Scratch(len),
            None => gather(k, scratch, xs, set, scratch.len()),
        },
        Survivors::Scratch(_) => set,
    };
    match set {
        Survivors::Scratch(len) => {
            let cands = scratch.get_mut(..len).unwrap_or_default();
            let masses = xs.get_mut(..len).unwrap_or_default();
            select::fill_masses(k, cands, masses, w);
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

/// The typical set lies in a band `|s - s̄| <= width` as soon as the band
/// holds the rule's mass and count: every token outside it comes later in
/// the order. The band's lower side is a logit threshold, so one gather
/// collects it (with the few tokens above it); the width starts at
/// `4 max(|s̄|, 1)`, halves while the gather overflows the scratch and
/// doubles while the band falls short. Returns how many tokens were
/// gathered into the scratch (the buffer is then free), or `None` when a
/// band that suffices does not fit.
fn band(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &[f32],
    t: f32,
    d: Distance,
    rule: Rule,
    w: Weighting,
) -> Option<usize> {
    let (need, count) = rule.needs();
    let distance = |x: f32| {
        let v = (x - d.max) * d.inv_t - d.center;
        f32::from_bits(v.to_bits() & 0x7fff_ffff)
    };
    // Start wide (one gather usually suffices); narrow while the gather
    // overflows, widen while the band is short of the rule.
    let base = f32::from_bits(d.center.to_bits() & 0x7fff_ffff).max(1.0);
    let mut width = 4.0 * base;
    let mut may_narrow = true;
    for _ in 0..12 {
        // Below `lo` the scaled logit is under `center - 1.01 width - 1/1024`
        // less a relative 2^-20 of its size: a margin beyond the roundings of
        // the key (`s` and the distance: relative 2^-24 each), so those
        // tokens are farther than `width`.
        let lo = if w.inv_t == 0.0 {
            t
        } else {
            let edge = d.center - 1.01 * width;
            let margin = 1.0 / 1024.0 + libm::fabsf(edge) * (1.0 / 1_048_576.0);
            let offset = (edge - margin) / w.inv_t;
            let lo = w.max + offset;
            lo - (lo.abs() + offset.abs()) * f32::EPSILON
        };
        let g = k.gather_at_least(xs, super::larger(t, lo), 0, scratch);
        if g.next < xs.len() {
            if may_narrow && width > base {
                width *= 0.5;
                continue;
            }
            return None;
        }
        may_narrow = false;
        let cands = scratch.get(..g.count).unwrap_or_default();
        let (mut mass, mut n) = (0u64, 0u64);
        for c in cands.iter().filter(|c| distance(c.logit) <= width) {
            mass += w.fixed(c.logit) as u64;
            n += 1;
        }
        if mass >= need && n >= count {
            return Some(g.count);
        }
        width *= 2.0;
    }
    None
}
