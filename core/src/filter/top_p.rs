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
//!   quickselect that only does integer work, O(m) expected (up to 64
//!   candidates on AVX2 and AVX-512: ranks from all-pairs comparisons, then a
//!   walk in rank order; see `select::prefix_by_rank`).
//! - Survivors in the buffer: one vectorised pass sums every mass (no write);
//!   a provable bound then rules out the tail in logit space ([`prefilter`]),
//!   and the tokens above it are gathered and selected as above with the whole
//!   set's total. Only when even those do not fit does the radix select over
//!   the buffer run (4 passes, masses a strip at a time).

use super::select::{self, Masses, Rule, StreamMass};
use super::{Survivors, gather};
use crate::kernels::{Backend, Candidate, FIXED_ONE, Kernels, Weighting};

/// Vocabulary size up to which the scalar backend gathers the whole set (when
/// it fits) and computes each mass once, instead of a pass that sums every
/// mass and a second exp for the gathered ones. Measured by `cost-probe/`:
/// with an FPU (Cortex-M4F) a win at 64-1024 and a loss at 4096, where the
/// summing pass lets the prefilter gather only the head; on soft-float cores
/// (Cortex-M0, RV32IMAC), where each exp is some 25 library calls, computing it
/// once always wins (flat logits at 4096 on the M0: 28.9 M instructions, 1.98x
/// llama2.c's, down to 15.0 M, 1.02x).
const SMALL_VOCAB: usize = 1024;

/// A core whose floats are library calls: there the whole-set gather always wins.
const SOFT_FLOAT: bool = cfg!(any(
    all(target_arch = "arm", not(target_abi = "eabihf")),
    all(target_arch = "riscv32", not(target_feature = "f"))
));

/// Cuts `set` to its nucleus of mass `p` (in (0, 1)) under the weighting
/// `w`, or to its `min_keep` most likely tokens if that is more.
pub(crate) fn top_p(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &mut [f32],
    set: Survivors,
    p: f32,
    min_keep: usize,
    w: Weighting,
) -> Survivors {
    // The bounds below rule out tokens by mass alone: with `min_keep` the
    // prefix may need more tokens than they let through.
    let prefilters = min_keep <= 1;
    // On the scalar backend a vector pass over the buffer costs what one exp
    // per candidate costs: for a small vocabulary whose set fits, gather it
    // and compute each mass once. Otherwise one vector pass sums the buffer,
    // and only the tokens the bound below lets through are gathered (the
    // better trade when the nucleus is a small part of a large vocabulary).
    //
    // After a cut (min-p, top-n-sigma before it) the set is usually a small
    // part of the vocabulary on every backend: one read pass gathers it,
    // where the summing pass computes an exp per token (min-p then top-p at
    // 128 256 on AVX-512: 44.5 us before this, 4.5x the default chain). If it
    // does not fit, the gather stops at the capacity (on flat logits, after
    // writing CAP candidates) and the pass below runs as before.
    let cut = matches!(set, Survivors::AtLeast(t) if t > -f32::MAX);
    let small = k.backend() == Backend::Scalar && (SOFT_FLOAT || xs.len() <= SMALL_VOCAB);
    let set = if cut || small {
        gather(k, scratch, xs, set, scratch.len())
    } else {
        set
    };
    match set {
        Survivors::Scratch(len) => {
            debug_assert!(len <= scratch.len(), "survivors beyond the capacity");
            debug_assert!(len <= xs.len(), "more survivors than logits");
            let cands = scratch.get_mut(..len).unwrap_or_default();
            let masses = xs.get_mut(..len).unwrap_or_default();
            let total = select::fill_masses(k, cands, masses, w);
            // Masses below the bound cannot be in the nucleus: drop them first.
            let kept = match mass_bound(p, total, len).filter(|_| prefilters) {
                Some(bound) => keep_masses_at_least(cands, masses, bound),
                None => len,
            };
            let cands = scratch.get_mut(..kept).unwrap_or_default();
            let masses = xs.get_mut(..kept).unwrap_or_default();
            select_in_scratch(
                k,
                cands,
                masses,
                Rule::fraction(p, total).at_least(min_keep),
            )
        }
        Survivors::AtLeast(t) => {
            let total = k.exp_fixed_sum(xs, t, w);
            let rule = Rule::fraction(p, total).at_least(min_keep);
            // Only tokens at or above the bound can be in the nucleus: if those
            // fit, select among them (with the whole set's total).
            let bound = prefilter(p, w, total, xs.len())
                .filter(|_| prefilters)
                .map_or(t, |b| super::larger(b, t));
            if let Survivors::Scratch(len) =
                gather(k, scratch, xs, Survivors::AtLeast(bound), scratch.len())
            {
                let cands = scratch.get_mut(..len).unwrap_or_default();
                let masses = xs.get_mut(..len).unwrap_or_default();
                select::fill_masses(k, cands, masses, w);
                return select_in_scratch(k, cands, masses, rule);
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

/// Compacts the candidates (and their masses beside) to those with mass at
/// least `bound`, in order; returns how many remain.
fn keep_masses_at_least(cands: &mut [Candidate], masses: &mut [f32], bound: u64) -> usize {
    let len = cands.len().min(masses.len());
    // Masses fit in 31 bits: a bound beyond u32 drops everything.
    let bound = u32::try_from(bound).unwrap_or(u32::MAX);
    // Often nothing is dropped: a read-only scan finds the first to move.
    let mut kept = 0;
    while kept < len && masses.get(kept).is_some_and(|m| m.to_bits() >= bound) {
        kept += 1;
    }
    for i in kept + 1..len {
        if let (Some(&c), Some(&m)) = (cands.get(i), masses.get(i))
            && m.to_bits() >= bound
        {
            if let (Some(c_slot), Some(m_slot)) = (cands.get_mut(kept), masses.get_mut(kept)) {
                *c_slot = c;
                *m_slot = m;
            }
            kept += 1;
        }
    }
    kept
}

/// The nucleus bound of [`prefilter`] in mass space, for `m` survivors whose
/// masses are known exactly: the last nucleus token has
/// `q_x > A / (1 + 2^-22)`, `A = ((1 - p) * total - 1 - m) / m`, so every
/// nucleus mass is at least `A / 2` (a factor 2 for exp's rounding and the f32
/// here); `None` when that rules nothing out.
fn mass_bound(p: f32, total: u64, m: usize) -> Option<u64> {
    let m = m as f32;
    let a = ((1.0 - p) * total as f32 - 1.0 - m) / m;
    (a > 2.0).then(|| (a / 2.0) as u64)
}

fn select_in_scratch(
    k: Kernels,
    cands: &mut [Candidate],
    masses: &mut [f32],
    rule: Rule,
) -> Survivors {
    Survivors::Scratch(select::prefix_by_rank(
        k,
        cands,
        Masses::Beside(masses),
        rule,
    ))
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
    // f32 throughout (an FPU without doubles computes this in hardware); each
    // rounding is a relative 2^-24, far inside the factor 2 of the bound.
    let n = n as f32;
    let a = ((1.0 - p) * total as f32 - 1.0 - n) / n;
    // (NaN-safe: a NaN `a` fails the comparison and gives `None`.)
    if a.partial_cmp(&1.5) != Some(core::cmp::Ordering::Greater) {
        return None;
    }
    logit_floor(w, (a - 0.5) / (2.0 * FIXED_ONE))
}

/// `max + ln(weight) / inv_t`, stepped below its own roundings: a logit
/// below it has a weight under `w` below `weight` (> 0), so a caller that
/// needs weights of at least twice `weight` (which absorbs exp's rounding
/// and that of `(l - max) * inv_t`) may skip every logit below it. `None`
/// for uniform weights.
pub(crate) fn logit_floor(w: Weighting, weight: f32) -> Option<f32> {
    if w.inv_t == 0.0 {
        return None;
    }
    let offset = libm::logf(weight) / w.inv_t;
    let threshold = w.max + offset;
    // The two roundings above are each at most half an ulp of the larger
    // magnitude: step below them so the threshold errs on the inclusive side.
    let slack = (abs(w.max) + abs(offset)) * f32::EPSILON;
    Some((threshold - slack).next_down())
}

fn abs(x: f32) -> f32 {
    f32::from_bits(x.to_bits() & 0x7fff_ffff)
}

/// The prefilter bounds against the nucleus by definition (sort, walk to
/// `ceil(p * total)`): no nucleus token lies below either bound. Small
/// enough for Miri.
#[cfg(test)]
mod tests {
    use super::{mass_bound, prefilter, select::ceil_mul};
    use crate::kernels::Weighting;

    #[test]
    fn no_nucleus_token_is_below_the_bounds() {
        for n in [2usize, 7, 60, 300] {
            for (salt, inv_t) in [(0u32, 1.0f32), (1, 1.0), (2, 0.5), (3, 2.5)] {
                // A peaked head and a long tail, with ties; salt 0: one token
                // above a flat tail, where the nucleus's last mass is close to
                // the bounds (the tail's average).
                let logits: std::vec::Vec<f32> = (0..n as u32)
                    .map(|i| {
                        if salt == 0 {
                            return if i == 0 { 2.0 } else { 0.0 };
                        }
                        let h = (i ^ salt).wrapping_mul(0x9e37_79b9) >> 26;
                        if i % 17 == 0 {
                            4.0 - (h % 3) as f32
                        } else {
                            -(h as f32) * 0.25
                        }
                    })
                    .collect();
                let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let w = Weighting { max, inv_t };
                let masses: std::vec::Vec<u64> =
                    logits.iter().map(|&l| w.fixed(l) as u64).collect();
                let total: u64 = masses.iter().sum();
                let mut order: std::vec::Vec<usize> = (0..n).collect();
                order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
                for p in [0.05f32, 0.1, 0.5, 0.9, 0.99, 0.999] {
                    let need = ceil_mul(p, total).max(1);
                    let mut acc = 0;
                    let nucleus: std::vec::Vec<usize> = order
                        .iter()
                        .copied()
                        .take_while(|&i| {
                            let before = acc;
                            acc += masses[i];
                            before < need
                        })
                        .collect();
                    if let Some(t) = prefilter(p, w, total, n) {
                        for &i in &nucleus {
                            assert!(logits[i] >= t, "n {n} p {p}: token {i} below {t}");
                        }
                    }
                    if let Some(bound) = mass_bound(p, total, n) {
                        for &i in &nucleus {
                            assert!(masses[i] >= bound, "n {n} p {p}: mass of {i} below {bound}");
                        }
                    }
                }
            }
        }
    }
}
