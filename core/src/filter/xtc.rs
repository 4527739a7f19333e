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
    let mut q = Qualifying {
        count: 0,
        least: None,
    };
    survivors::for_each(scratch, xs, set, |id, x| {
        if qualifies(x) {
            q.count += 1;
            let m = w.fixed(x);
            // Visited in ascending id: `<=` on a tie moves to the higher id.
            let later = q
                .least
                .is_none_or(|(_, l, lm)| m < lm || (m == lm && x <= l));
            if later {
                q.least = Some((id, x, m));
            }
        }
    });
    let Some((kept, _, _)) = q.least else {
        return set;
    };
    if q.count < 2 || (min_keep > 0 && survivors::count(xs, set) - (q.count - 1) < min_keep) {
        return set;
    }
    survivors::retain(scratch, xs, set, |id, x| id == kept || !qualifies(x))
}
