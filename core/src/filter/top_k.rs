//! top-k: keep the `k` highest logits, ties at the k-th value to the lowest ids.
//!
//! It is the shared prefix selection of `select.rs` with a mass of 1 per token:
//! the smallest prefix of the order whose count reaches `k`.
//!
//! - Survivors in scratch: a quickselect, O(m) expected, no exp (up to 64
//!   on AVX2 and AVX-512: ranks from all-pairs comparisons, no data branches).
//! - Survivors in the buffer with `2k <= CAP` (beyond the capacity or not):
//!   one scan gathers the tokens above a rising threshold into a window of
//!   the scratch and keeps the best k whenever it fills (a later token equal
//!   to the k-th loses the tie to the lower id already kept). The sampler's
//!   calls start it at the max minus 1.5x the previous call's distance from
//!   the max to its k-th ([`warm_scan`]).
//! - Otherwise the whole set is gathered if it fits, else a 4-pass radix
//!   select over the logits' bit patterns, O(n) per pass, no exp.

use super::select::{self, Masses, Rule, StreamMass};
use super::{Survivors, gather};
use crate::kernels::{Candidate, Kernels};

/// Cuts `set` to its `top_k` best tokens. `warm` (the largest logit and the
/// sampler's [`warm_scan`] gap) lets a scan over the buffer start near the
/// k-th; without it the scan starts from the set's threshold.
pub(crate) fn top_k(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &mut [f32],
    set: Survivors,
    top_k: usize,
    warm: Option<(f32, &mut f32)>,
) -> Survivors {
    let rule = Rule::reach(top_k as u64);
    let scan = top_k.saturating_mul(2) <= scratch.len();
    let mut cold = f32::NAN;
    let (max, gap) = match warm {
        Some((max, gap)) => (max, gap),
        None => (f32::NAN, &mut cold),
    };
    // The scan comes first whenever it can run, also when the whole set
    // would fit: it gathers little more than the k best (given a warm start)
    // where the set may be every token (at vocab 4 096, 8.9 -> 1.2 us on
    // AVX-512), and over a buffer longer than the scratch, gathering the
    // whole set would fill the scratch (4 096 candidates written one by
    // one) before failing.
    let set = if scan {
        set
    } else {
        gather(k, scratch, xs, set, scratch.len())
    };
    match set {
        Survivors::Scratch(len) => {
            debug_assert!(len <= scratch.len(), "survivors beyond the capacity");
            let cands = scratch.get_mut(..len).unwrap_or_default();
            Survivors::Scratch(select::prefix_by_rank(k, cands, Masses::Count, rule))
        }
        Survivors::AtLeast(t) if scan => warm_scan(k, scratch, xs, t, top_k, max, gap),
        Survivors::AtLeast(t) => {
            Survivors::AtLeast(select::prefix_streaming(k, xs, t, StreamMass::Count, rule))
        }
    }
}

/// [`by_scan`] started from a guess: the previous call's distance from the
/// largest logit `max` to the k-th kept one is in `gap` (NaN: none yet), and
/// the scan starts at `max - 1.5 gap`. The logits of consecutive calls of a
/// generation have a similar spread, so that is close below this call's k-th:
/// the scan then gathers little more than the k best, where from `t` it
/// takes every token until its first selection and selects again at every
/// refill while its threshold climbs (top-k 40 of a model's 128 256 logits:
/// 16.1 -> 10.6 us on AVX-512, most of it the max scan and this pass). The
/// guess decides only where the scan starts, never what it keeps: if fewer
/// than k tokens lie at or above it, the scan runs again from `t` (a call
/// whose spread is more than 1.5x the previous one's costs about two
/// scans). Records this call's gap (NaN `max`: none, a cold scan).
fn warm_scan(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &[f32],
    t: f32,
    top_k: usize,
    max: f32,
    gap: &mut f32,
) -> Survivors {
    let guess = max - 1.5 * *gap;
    // (A NaN max or gap makes the guess NaN: no warm start.)
    let mut from = if guess > t { guess } else { t };
    let (mut len, mut kth) = (0, f32::NAN);
    // At most two scans, from one call site (one copy of the scan's code on
    // a microcontroller).
    for _ in 0..2 {
        (len, kth) = by_scan(k, scratch, xs, from, top_k);
        if len >= top_k || from == t {
            break;
        }
        from = t;
    }
    *gap = if len >= top_k { max - kth } else { f32::NAN };
    Survivors::Scratch(len)
}

/// top-k over the buffer in one pass, however many tokens the set holds;
/// returns how many it kept (in the scratch, at most k) and the smallest of
/// their logits. Needs `2k <= scratch.len()` so every refill makes progress.
fn by_scan(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &[f32],
    t: f32,
    top_k: usize,
) -> (usize, f32) {
    let rule = Rule::reach(top_k as u64);
    // A window of 4k (at least 256) rather than the whole scratch: the first
    // fill takes every token, so a small window raises the threshold sooner.
    let window = top_k.saturating_mul(4).max(256).min(scratch.len());
    let (mut len, mut pos, mut threshold) = (0usize, 0usize, t);
    loop {
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
        let cands = scratch.get_mut(..len).unwrap_or_default();
        len = select::prefix_by_rank(k, cands, Masses::Count, rule);
        let kept = scratch.get(..len).unwrap_or_default();
        let kth = kept
            .iter()
            .map(|c| c.logit)
            .fold(f32::INFINITY, |a, b| if b < a { b } else { a });
        if pos >= xs.len() {
            return (len, kth);
        }
        threshold = super::larger(threshold, kth.next_up());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::Backend;
    use std::vec::Vec;

    /// The definition: the `k` first of the tokens `>= t` in the order
    /// (logit descending, id ascending), as sorted ids.
    fn brute(xs: &[f32], t: f32, k: usize) -> Vec<u32> {
        let mut ids: Vec<u32> = (0..xs.len() as u32)
            .filter(|&i| xs[i as usize] >= t)
            .collect();
        ids.sort_by(|&a, &b| xs[b as usize].total_cmp(&xs[a as usize]).then(a.cmp(&b)));
        ids.truncate(k);
        ids.sort();
        ids
    }

    /// Whatever gap it is given (none, too tight, exactly at the k-th,
    /// loose, infinite), the warm start keeps the k best of the set, ties at
    /// the k-th to the lowest ids, and records the k-th's distance from the
    /// max (NaN when the set holds fewer than k). A guess without the
    /// fallback fails this.
    #[test]
    fn warm_start_keeps_exactly_the_k_best_for_any_gap() {
        let n = 300;
        // Logits on a 0.25 grid (many ties), a few excluded (-inf).
        let xs: Vec<f32> = (0..n as u32)
            .map(|i| {
                let h = i.wrapping_mul(0x9e37_79b9) >> 25;
                if i % 41 == 7 {
                    f32::NEG_INFINITY
                } else {
                    (h as f32) * 0.25 - 8.0
                }
            })
            .collect();
        let max = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for &b in Backend::available() {
            let k = b.kernels().unwrap();
            for t in [-f32::MAX, 0.0, 23.0] {
                for top_k in [1usize, 5, 17, 32] {
                    let want = brute(&xs, t, top_k);
                    let kth = want
                        .iter()
                        .map(|&i| xs[i as usize])
                        .fold(f32::INFINITY, f32::min);
                    let exact = (max - kth) / 1.5;
                    for gap in [
                        f32::NAN,
                        0.0,
                        0.1,
                        exact,
                        exact.next_up(),
                        exact * 1.01,
                        1e3,
                        f32::INFINITY,
                    ] {
                        let mut scratch = [Candidate::default(); 64];
                        let mut g = gap;
                        let got = warm_scan(k, &mut scratch, &xs, t, top_k, max, &mut g);
                        let Survivors::Scratch(len) = got else {
                            panic!("a scan ends in the scratch")
                        };
                        let mut ids: Vec<u32> = scratch[..len].iter().map(|c| c.id).collect();
                        ids.sort();
                        assert_eq!(ids, want, "{b:?} t {t} k {top_k} gap {gap}");
                        if want.len() == top_k {
                            assert_eq!(g, max - kth, "{b:?} t {t} k {top_k} gap {gap}");
                        } else {
                            assert!(g.is_nan(), "fewer than k: no gap");
                        }
                    }
                }
            }
        }
    }
}
