//! XTC, "exclude top choices" (the text-generation-webui sampler): when its
//! coin fires, remove every token with `p >= threshold` except the least
//! likely of them, if at least two qualify and at least `min_keep` remain.
//!
//! `p >= threshold` is decided on the weights, `w >= threshold * total`, with
//! `total` the exact sum of the fixed-point masses (so `p` is the token's
//! probability in the distribution drawn from, up to exp's and the masses'
//! roundings). Not on the masses themselves: a mass is `round(w * 2^30)`, 0
//! below `p ~ 2^-31`, and a threshold below that must still see those tokens
//! (logits 0 and -46 both qualify under a threshold of `1e-30`, as `e^-46`
//! is about `1e-20`; by mass only the first would). Only tokens whose
//! logit clears a bound can qualify (`top_p::logit_floor`), so exp runs for
//! few of them. The least likely qualifying token is the one of lowest logit,
//! ties to the higher id (the later in the filters' order). At most
//! `1 / threshold` tokens qualify.

use super::top_p::logit_floor;
use super::{Survivors, survivors};
use crate::kernels::{Candidate, FIXED_ONE, Kernels, Weighting};

/// The qualifying tokens: how many, and the least likely one (id, logit).
struct Qualifying {
    count: usize,
    least: Option<(u32, f32)>,
}

/// Applies XTC (its coin fired) to `set` under the weighting `w`.
// Out of line, so that its sums and arrays never enlarge the stack frame of
// the common chain (firmware-example/check.sh measures the stack per call).
#[inline(never)]
pub(crate) fn xtc(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &mut [f32],
    set: Survivors,
    threshold: f32,
    min_keep: usize,
    w: Weighting,
) -> Survivors {
    let total = survivors::total_mass(k, scratch, xs, set, w);
    // `threshold * total / 2^30` in weight units (the max has weight 1); its
    // roundings are relative, as exp's are.
    let bound = threshold * (total as f32) / FIXED_ONE;
    // A weight of at least `bound` needs a logit above the floor of half of
    // it (which absorbs exp's rounding); below the normal range (where exp's
    // error is absolute) every finite logit is looked at.
    let floor = if bound / 2.0 >= f32::MIN_POSITIVE {
        logit_floor(w, bound / 2.0).unwrap_or(f32::NEG_INFINITY)
    } else {
        f32::NEG_INFINITY
    };
    let qualifies = |x: f32| x >= floor && w.weight(x) >= bound;
    let min_keep_allows = |q: &Qualifying, xs: &[f32]| {
        q.count >= 2 && (min_keep == 0 || survivors::count(xs, set) - (q.count - 1) >= min_keep)
    };
    // Over the buffer, the few tokens at or above the floor are gathered into
    // the (then free) scratch when they fit, in id order.
    if let Survivors::AtLeast(t) = set {
        let g = k.gather_at_least(xs, super::larger(t, floor), 0, scratch);
        if g.next == xs.len() {
            let cands = scratch.get(..g.count).unwrap_or_default();
            let q = qualifying(cands.iter().map(|c| (c.id, c.logit)), qualifies);
            if let Some((kept, _)) = q.least
                && min_keep_allows(&q, xs)
            {
                for c in cands.iter().filter(|c| c.id != kept && qualifies(c.logit)) {
                    if let Some(x) = xs.get_mut(c.id as usize) {
                        *x = f32::NEG_INFINITY;
                    }
                }
            }
            return set;
        }
    }
    let mut q = Qualifying {
        count: 0,
        least: None,
    };
    survivors::for_each(scratch, xs, set, |id, x| q.visit(id, x, qualifies));
    let Some((kept, _)) = q.least else {
        return set;
    };
    if !min_keep_allows(&q, xs) {
        return set;
    }
    survivors::retain(scratch, xs, set, |id, x| id == kept || !qualifies(x))
}

impl Qualifying {
    /// Counts `(id, x)` if it qualifies and keeps the least likely so far;
    /// ids must come in ascending order.
    fn visit(&mut self, id: u32, x: f32, qualifies: impl Fn(f32) -> bool) {
        if qualifies(x) {
            self.count += 1;
            // Ascending ids: `<=` on a tie moves to the higher id.
            if self.least.is_none_or(|(_, l)| x <= l) {
                self.least = Some((id, x));
            }
        }
    }
}

/// The qualifying tokens among `(id, logit)` pairs in ascending id.
fn qualifying(
    pairs: impl Iterator<Item = (u32, f32)>,
    qualifies: impl Fn(f32) -> bool + Copy,
) -> Qualifying {
    let mut q = Qualifying {
        count: 0,
        least: None,
    };
    for (id, x) in pairs {
        q.visit(id, x, qualifies);
    }
    q
}
