//! The one selection algorithm behind top-k and top-p.
//!
//! Given survivors and a mass per token, find the smallest prefix of the order
//! (logit descending, id ascending) whose mass reaches a target. top-k uses mass
//! 1 and target k; top-p uses the token's weight and target `p * total`, with
//! `total` the survivors' weight sum in the kernels' chunk layout.
//!
//! Masses are `u128` fixed point (weight * 2^90, truncated), so every sum is
//! exact and the cut does not depend on the order in which tokens are visited.
//!
//! - In scratch ([`prefix_in_scratch`]): quickselect with mass bookkeeping.
//!   Each partition step sums the mass above the pivot and descends into one
//!   side only: O(m) expected, with a heapsort fallback after 64 rounds so the
//!   worst case stays O(m log m).
//! - Over the buffer ([`prefix_streaming`]): radix select on the logits' order-
//!   preserving bit patterns, 8 bits per pass, 4 passes, a 256-bucket mass
//!   histogram on the stack (4 KiB), weights computed by the kernels a strip at
//!   a time; then one pass keeps the needed number of ties at the cut value
//!   (lowest ids first) and overwrites the rest by `-inf`.

use crate::kernels::{Candidate, Kernels, Weighting};

/// What one token weighs in the selection.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mass {
    /// Every token weighs 1 (top-k).
    Count,
    /// A token weighs its weight under this weighting (top-p).
    Weight(Weighting),
}

impl Mass {
    fn of(self, logit: f32) -> u128 {
        match self {
            Mass::Count => 1,
            Mass::Weight(w) => fixed_point(w.weight(logit)),
        }
    }
}

/// How the target is derived from the survivors' total mass.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rule {
    /// Reach this absolute mass (top-k: a count).
    Reach(u128),
    /// Reach `p` of `total`, the survivors' weight sum in the kernels' chunk
    /// layout (top-p). Both paths compute `total` the same way, bit for bit.
    Fraction {
        /// The top-p parameter, in (0, 1).
        p: f32,
        /// Weight sum of the whole survivor set.
        total: f64,
    },
}

impl Rule {
    /// The target, or `None` when the whole set (of mass `mass`) is the answer.
    fn target(self, mass: u128) -> Option<u128> {
        let target = match self {
            Rule::Reach(n) => n,
            // In fixed point (2^90); at least 1 so the selection is never empty.
            Rule::Fraction { p, total } => ((total * p as f64 * FIXED_ONE) as u128).max(1),
        };
        (target < mass).then_some(target)
    }
}

/// 2^90, the fixed-point unit of a weight.
const FIXED_ONE: f64 = (1u128 << 90) as f64;

/// `floor(w * 2^90)` for a weight `w` in `[0, 1]`, exactly.
pub(crate) fn fixed_point(w: f32) -> u128 {
    let bits = w.to_bits();
    let biased = (bits >> 23) & 0xff;
    let fraction = bits & 0x7f_ffff;
    // w = m * 2^(e - 150), so w * 2^90 = m * 2^(e - 60).
    let (m, e) = if biased == 0 {
        (fraction, 1)
    } else {
        (fraction | 0x80_0000, biased)
    };
    let shift = e as i32 - 60;
    if shift >= 0 {
        (m as u128).checked_shl(shift as u32).unwrap_or(0)
    } else {
        (m as u128).checked_shr(shift.unsigned_abs()).unwrap_or(0)
    }
}

/// A `u32` that orders like the logit (`-0.0` and `+0.0` map to the same key).
pub(crate) fn order_key(logit: f32) -> u32 {
    let bits = (logit + 0.0).to_bits();
    if bits >> 31 == 1 {
        !bits
    } else {
        bits | 0x8000_0000
    }
}

fn from_order_key(key: u32) -> f32 {
    f32::from_bits(if key >> 31 == 1 {
        key & 0x7fff_ffff
    } else {
        !key
    })
}

/// Position in the total order: larger means earlier (higher logit, then lower id).
fn rank(c: &Candidate) -> u64 {
    ((order_key(c.logit) as u64) << 32) | (u32::MAX - c.id) as u64
}

/// Reorders `cands` so that the selected prefix comes first and returns its length.
pub(crate) fn prefix_in_scratch(cands: &mut [Candidate], mass: Mass, rule: Rule) -> usize {
    let total: u128 = cands.iter().map(|c| mass.of(c.logit)).sum();
    let Some(mut need) = rule.target(total) else {
        return cands.len();
    };
    let (mut lo, mut hi) = (0usize, cands.len());
    for _round in 0..64 {
        let Some(part) = cands.get_mut(lo..hi) else {
            break;
        };
        if part.len() <= 16 {
            break;
        }
        let pivot_at = partition_around_median(part);
        let Some((upper, rest)) = part.split_at_checked(pivot_at) else {
            break;
        };
        let upper_mass: u128 = upper.iter().map(|c| mass.of(c.logit)).sum();
        let pivot_mass = rest.first().map_or(0, |c| mass.of(c.logit));
        if upper_mass >= need {
            hi = lo + pivot_at;
        } else if upper_mass + pivot_mass >= need {
            return lo + pivot_at + 1;
        } else {
            need -= upper_mass + pivot_mass;
            lo += pivot_at + 1;
        }
    }
    // Small (or stubborn) remainder: sort it and walk.
    let Some(part) = cands.get_mut(lo..hi) else {
        return hi;
    };
    heapsort(part, |a, b| rank(a) > rank(b));
    let mut acc = 0u128;
    for (i, c) in part.iter().enumerate() {
        acc += mass.of(c.logit);
        if acc >= need {
            return lo + i + 1;
        }
    }
    hi
}

/// Lomuto partition around the median of first, middle and last: afterwards the
/// elements ranked above the pivot come first, then the pivot (returned index).
fn partition_around_median(part: &mut [Candidate]) -> usize {
    let Some(last) = part.len().checked_sub(1) else {
        return 0;
    };
    let mid = last / 2;
    let r = |p: &[Candidate], i: usize| p.get(i).map_or(0, rank);
    // Move the median of three to `last`.
    let (a, b, c) = (r(part, 0), r(part, mid), r(part, last));
    let median = if (a <= b) == (b <= c) {
        mid
    } else if (b <= a) == (a <= c) {
        0
    } else {
        last
    };
    swap(part, median, last);
    let pivot = r(part, last);
    let mut store = 0;
    for i in 0..last {
        if r(part, i) > pivot {
            swap(part, i, store);
            store += 1;
        }
    }
    swap(part, store, last);
    store
}

/// `v.swap(i, j)` with the bounds check in sight of the optimiser, so no panic
/// path is left (out-of-range indices, which the callers never pass, do nothing).
fn swap<T>(v: &mut [T], i: usize, j: usize) {
    if i < v.len() && j < v.len() {
        v.swap(i, j);
    }
}

/// In-place heapsort; `before(a, b)` says `a` belongs before `b`. No panic path
/// (core's sort keeps one for inconsistent orderings), O(m log m).
pub(crate) fn heapsort<T>(v: &mut [T], before: impl Fn(&T, &T) -> bool) {
    let n = v.len();
    // Max-heap with respect to "comes later", so popping puts the latest last.
    let later = |v: &[T], i: usize, j: usize| match (v.get(i), v.get(j)) {
        (Some(a), Some(b)) => before(b, a),
        _ => false,
    };
    let sift = |v: &mut [T], mut root: usize, end: usize| loop {
        let mut child = 2 * root + 1;
        if child >= end {
            break;
        }
        if child + 1 < end && later(v, child + 1, child) {
            child += 1;
        }
        if !later(v, child, root) {
            break;
        }
        swap(v, root, child);
        root = child;
    };
    for start in (0..n / 2).rev() {
        sift(v, start, n);
    }
    for end in (1..n).rev() {
        swap(v, 0, end);
        sift(v, 0, end);
    }
}

/// Floats whose weights are computed per kernel call in the streaming passes.
const STRIP: usize = 256;

/// Calls `f(logit, mass)` for every `x >= t` of `xs` whose order key, shifted
/// right by `shift`, equals `prefix` (all of them when `prefix` is `None`).
/// Weights come from the kernels a strip at a time (bit-identical to
/// `Weighting::weight`), so the scalar loop only does integer work.
fn for_each_mass(
    k: Kernels,
    xs: &[f32],
    t: f32,
    mass: Mass,
    filter: Option<(u32, u32)>,
    mut f: impl FnMut(u32, u128),
) {
    let selected = |x: f32| {
        x >= t
            && filter.is_none_or(|(shift, prefix)| order_key(x).checked_shr(shift) == Some(prefix))
    };
    let mut weights = [0.0f32; STRIP];
    for strip in xs.chunks(STRIP) {
        // Later levels select few tokens: skip the exp for strips without one.
        if filter.is_some() && !strip.iter().any(|&x| selected(x)) {
            continue;
        }
        let ws = weights.get_mut(..strip.len()).unwrap_or_default();
        if let Mass::Weight(w) = mass {
            ws.copy_from_slice(strip);
            k.exp_weights(ws, t, w);
        }
        for (&x, &weight) in strip.iter().zip(ws.iter()) {
            if selected(x) {
                let m = match mass {
                    Mass::Count => 1,
                    Mass::Weight(_) => fixed_point(weight),
                };
                f(order_key(x), m);
            }
        }
    }
}

/// The same selection over the survivors `{x >= t}` of the whole buffer.
/// Returns the new threshold; excluded ties at it are overwritten by `-inf`.
pub(crate) fn prefix_streaming(k: Kernels, xs: &mut [f32], t: f32, mass: Mass, rule: Rule) -> f32 {
    let mut hist = [0u128; 256];
    let mut prefix = 0u32;
    let mut need = 0u128;
    for level in 0..4u32 {
        let shift = 24 - 8 * level;
        hist.fill(0);
        let filter = (level > 0).then_some((shift + 8, prefix));
        for_each_mass(k, xs, t, mass, filter, |key, m| {
            if let Some(h) = hist.get_mut(((key >> shift) & 0xff) as usize) {
                *h += m;
            }
        });
        if level == 0 {
            let total = hist.iter().sum();
            match rule.target(total) {
                Some(target) => need = target,
                None => return t,
            }
        }
        let mut chosen = 0u32;
        for (bucket, &m) in hist.iter().enumerate().rev() {
            if m >= need {
                chosen = bucket as u32;
                break;
            }
            need -= m;
        }
        prefix = (prefix << 8) | chosen;
    }
    let cut = from_order_key(prefix);
    // All tokens at the cut weigh the same: keep the first `keep` of them by id.
    let keep = need.div_ceil(mass.of(cut).max(1));
    let mut seen = 0u128;
    for x in xs.iter_mut() {
        if *x == cut {
            seen += 1;
            if seen > keep {
                *x = f32::NEG_INFINITY;
            }
        }
    }
    cut
}
