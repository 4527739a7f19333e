//! XTC, "exclude top choices" (the text-generation-webui sampler): when its
//! coin fires, remove every token with `p >= threshold` except the least
//! likely of them, if at least two qualify and at least `min_keep` remain.
//!
//! `p >= threshold` is decided on the exact masses: `q >= ceil(threshold * Q)`.
//! Only tokens whose logit clears a bound can qualify (`top_p::logit_floor`),
//! so exp runs for few of them. The least likely qualifying token is the one
//! of smallest mass, ties to the later in the filters' order (lower logit,
//! then higher id). At most `1 / threshold` tokens qualify.

use super::select::ceil_mul;
use super::top_p::logit_floor;
use super::{Survivors, survivors};
use crate::kernels::{Candidate, FIXED_ONE, Kernels, Weighting};

/// The qualifying tokens: how many, and the least likely one (id, logit, mass).
struct Qualifying {
    count: usize,
    least: Option<(u32, f32, u32)>,
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
    let need = if threshold >= 1.0 {
        total
    } else {
        ceil_mul(threshold, total)
    };
    // A mass of at least `need >= 2` needs a weight above `need / 2^31`.
    let floor = if need >= 2 {
        logit_floor(w, need as f32 / (2.0 * FIXED_ONE)).unwrap_or(f32::NEG_INFINITY)
    } else {
        f32::NEG_INFINITY
    };
    let qualifies = |x: f32| x >= floor && w.fixed(x) as u64 >= need;
    let min_keep_allows = |q: &Qualifying, xs: &[f32]| {
        q.count >= 2 && (min_keep == 0 || survivors::count(xs, set) - (q.count - 1) >= min_keep)
    };
    // Over the buffer, the few tokens at or above the floor are gathered into
    // the (then free) scratch when they fit, in id order.
    if let Survivors::AtLeast(t) = set {
        let g = k.gather_at_least(xs, super::larger(t, floor), 0, scratch);
        if g.next == xs.len() {
            let cands = scratch.get(..g.count).unwrap_or_default();
            let q = qualifying(cands.iter().map(|c| (c.id, c.logit)), qualifies, w);
            if let Some((kept, _, _)) = q.least
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
    survivors::for_each(scratch, xs, set, |id, x| q.visit(id, x, qualifies, w));
    let Some((kept, _, _)) = q.least else {
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
    fn visit(&mut self, id: u32, x: f32, qualifies: impl Fn(f32) -> bool, w: Weighting) {
        if qualifies(x) {
            self.count += 1;
            let m = w.fixed(x);
            // Ascending ids: `<=` on a tie moves to the higher id.
            let later = self
                .least
                .is_none_or(|(_, l, lm)| m < lm || (m == lm && x <= l));
            if later {
                self.least = Some((id, x, m));
            }
        }
    }
}

/// The qualifying tokens among `(id, logit)` pairs in ascending id.
fn qualifying(
    pairs: impl Iterator<Item = (u32, f32)>,
    qualifies: impl Fn(f32) -> bool + Copy,
    w: Weighting,
) -> Qualifying {
    let mut q = Qualifying {
        count: 0,
        least: None,
    };
    for (id, x) in pairs {
        q.visit(id, x, qualifies, w);
    }
    q
}
