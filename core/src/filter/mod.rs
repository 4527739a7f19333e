//! The filters: min-p, top-k, top-p, top-n-sigma, typical-p, XTC (and the
//! dynamic temperature, which reads the survivors like a filter).
//!
//! min-p, top-k, top-p and top-n-sigma keep a prefix of the same total order
//! (logit descending, then token id ascending); typical-p and XTC may remove
//! the most likely tokens. The sampler represents the survivors either as
//! candidates gathered into its scratch (when they fit) or, beyond the
//! capacity, as "every logit `>= t`" over the caller's buffer, where excluded
//! tokens at or above `t` (ties at a cut, typical-p's and XTC's removals) are
//! overwritten by `-inf`. Both representations give the same survivors; see
//! `select.rs` and `survivors.rs`.
//!
//! Once the survivors are in the scratch the logits buffer is never read again
//! as logits, so the filters may use it as scratch space (top-p keeps its
//! fixed-point masses there, beside the candidates).

pub(crate) mod min_p;
pub(crate) mod select;
pub(crate) mod survivors;
pub(crate) mod temperature;
pub(crate) mod top_k;
pub(crate) mod top_n_sigma;
pub(crate) mod top_p;
pub(crate) mod typical;
pub(crate) mod xtc;

use crate::kernels::{Candidate, Kernels};

/// The current survivors.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Survivors {
    /// Every logit `>= t` in the buffer (excluded ties were set to `-inf`).
    AtLeast(f32),
    /// The first `len` entries of the scratch, in no particular order.
    Scratch(usize),
}

/// Moves the survivors into `scratch` if there are at most `limit` of them
/// (and they fit); otherwise leaves them in the buffer.
pub(crate) fn gather(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &[f32],
    set: Survivors,
    limit: usize,
) -> Survivors {
    match set {
        Survivors::AtLeast(t) => {
            let window = scratch
                .get_mut(..limit.min(scratch.len()))
                .unwrap_or_default();
            let g = k.gather_at_least(xs, t, 0, window);
            if g.next == xs.len() {
                Survivors::Scratch(g.count)
            } else {
                set
            }
        }
        Survivors::Scratch(_) => set,
    }
}

/// Compacts `cands` in place, order kept: each candidate `f` maps to
/// `Some` stays (as mapped), the others leave; returns how many stay. The
/// one compaction behind min-p in the scratch, the certain-token filter and
/// the refresh of a gathered mask.
pub(crate) fn retain(
    cands: &mut [Candidate],
    mut f: impl FnMut(Candidate) -> Option<Candidate>,
) -> usize {
    let mut kept = 0;
    for i in 0..cands.len() {
        if let Some(c) = cands.get(i).copied().and_then(&mut f)
            && let Some(slot) = cands.get_mut(kept)
        {
            *slot = c;
            kept += 1;
        }
    }
    kept
}

/// The larger of two non-NaN floats, without a libm call (`fmaxf` on FPUs
/// without `vmaxnm`, such as the Cortex-M4F's).
pub(crate) fn larger(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}
