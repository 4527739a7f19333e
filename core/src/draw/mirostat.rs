//! Mirostat (Basu et al. 2021, as in llama.cpp): a cut that adapts after
//! every draw so the surprise `-log2 p` of the drawn tokens tracks `tau`.
//!
//! - v1 estimates the Zipf exponent `s` of the distribution from its `m`
//!   largest logits (`b_i = (l_i - l_(i+1)) / T`, the log-ratio of
//!   neighbouring probabilities, regressed on `t_i = ln((i + 2) / (i + 1))`)
//!   and keeps the top `k = (e 2^mu / (1 - N^-e))^(1 / s)` tokens, `e = s - 1`,
//!   `N` the vocabulary size;
//! - v2 keeps the tokens with `-log2 p <= mu`, i.e. mass `q >= Q 2^-mu`
//!   (the most likely one if none).
//!
//! Then the draw from the kept tokens, renormalised, and
//! `mu <- mu - eta * (log2(Q_kept / q_drawn) - tau)`, kept within +-1024
//! bits. Everything is computed from exact masses or from logits, in `f32`
//! as in llama.cpp, the same operations on every path, so every path agrees.
//! Where llama.cpp's float code gives NaN (one candidate, or `m = 1`: no
//! pairs to regress on), v1 keeps one token, which is what llama.cpp ends up
//! doing through an undefined `int(NaN)`.

use crate::config::Mirostat;
use crate::filter::{Survivors, survivors, top_k};
use crate::kernels::{Candidate, FIXED_ONE, Kernels, Weighting};

/// v1's cut: the top `k` of `set` for the Zipf estimate at `mu`.
#[allow(clippy::too_many_arguments)]
// Out of line, so that its sums and arrays never enlarge the stack frame of
// the common chain (firmware-example/check.sh measures the stack per call).
#[inline(never)]
pub(crate) fn v1(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &mut [f32],
    set: Survivors,
    w: Weighting,
    m: usize,
    mu: f32,
) -> Survivors {
    let (top, len) = match set {
        // Over the buffer, top-k's one-pass gather finds them (reading the
        // buffer only: `set` stays valid for the cut below).
        Survivors::AtLeast(_) if m.saturating_mul(2) <= scratch.len() => {
            let found = top_k::top_k(k, scratch, xs, set, m, None);
            descending(scratch, found)
        }
        _ => largest(scratch, xs, set, m),
    };
    let top = top.get(..len).unwrap_or_default();
    // Least squares through the origin of b_i on t_i, in f32 as llama.cpp.
    // At `inv_t = 0` (T = +inf, or a draw among `+inf` logits) every b_i is
    // 0, as llama.cpp's logits divided by +inf, even where `a - b`
    // overflows (`inf * 0` would be NaN).
    let (mut tb, mut tt) = (0.0f32, 0.0f32);
    for (i, pair) in top.windows(2).enumerate() {
        if let [a, b] = *pair {
            let t = libm::logf((i + 2) as f32 / (i + 1) as f32);
            let gap = if w.inv_t == 0.0 {
                0.0
            } else {
                (a - b) * w.inv_t
            };
            tb += t * gap;
            tt += t * t;
        }
    }
    let s = tb / tt;
    let e = s - 1.0;
    // k = (e 2^mu / (1 - N^-e))^(1/s) in log space, so that no step
    // overflows f32: the ratio is |e| 2^mu / |1 - N^-e| whatever the sign of
    // e, 1 - N^-e is -expm1(-e ln N), and its limit at e = 0 is 2^mu / ln N.
    let ln_n = libm::logf(xs.len() as f32);
    let ln_ratio = if e == 0.0 {
        mu * core::f32::consts::LN_2 - libm::logf(ln_n)
    } else {
        libm::logf(libm::fabsf(e)) + mu * core::f32::consts::LN_2
            - libm::logf(libm::fabsf(libm::expm1f(-e * ln_n)))
    };
    let ln_k = ln_ratio / s;
    // NaN (no pairs) and anything below 1 keep one token; `as` saturates.
    let keep = if ln_k >= 0.0 {
        libm::expf(ln_k) as usize
    } else {
        1
    };
    top_k::top_k(k, scratch, xs, set, keep, None)
}

/// The `m` largest survivor logits, descending (a min-heap of them while
/// scanning, so `O(n log m)`), and how many there are.
fn largest(
    scratch: &mut [Candidate],
    xs: &[f32],
    set: Survivors,
    m: usize,
) -> ([f32; Mirostat::MAX_M], usize) {
    let mut heap = [f32::NEG_INFINITY; Mirostat::MAX_M];
    let cap = m.min(Mirostat::MAX_M);
    let mut len = 0usize;
    survivors::for_each(scratch, xs, set, |_, x| {
        if len < cap {
            // Sift up.
            let mut i = len;
            len += 1;
            while i > 0 {
                let parent = (i - 1) / 2;
                match (heap.get(parent).copied(), heap.get_mut(i)) {
                    (Some(p), Some(slot)) if p > x => *slot = p,
                    _ => break,
                }
                i = parent;
            }
            if let Some(slot) = heap.get_mut(i) {
                *slot = x;
            }
        } else if cap > 0 && heap.first().is_some_and(|&min| x > min) {
            sift_down(heap.get_mut(..len).unwrap_or_default(), 0, x);
        }
    });
    // Heapsort: pop the minimum to the back, so the array ends descending.
    for end in (1..len).rev() {
        let last = heap.get(end).copied().unwrap_or(0.0);
        let min = heap.first().copied().unwrap_or(0.0);
        if let Some(slot) = heap.get_mut(end) {
            *slot = min;
        }
        sift_down(heap.get_mut(..end).unwrap_or_default(), 0, last);
    }
    (heap, len)
}

/// The logits of `found` (at most `MAX_M` candidates in the scratch),
/// descending.
fn descending(scratch: &[Candidate], found: Survivors) -> ([f32; Mirostat::MAX_M], usize) {
    let mut top = [f32::NEG_INFINITY; Mirostat::MAX_M];
    let len = match found {
        Survivors::Scratch(len) => len.min(Mirostat::MAX_M),
        Survivors::AtLeast(_) => 0,
    };
    debug_assert!(
        matches!(found, Survivors::Scratch(_)),
        "top-m fits the scratch"
    );
    for (slot, c) in top.iter_mut().zip(scratch.iter().take(len)) {
        *slot = c.logit;
    }
    // Insertion sort: at most 128 values.
    for i in 1..len {
        let mut j = i;
        while j > 0 {
            match (top.get(j - 1).copied(), top.get(j).copied()) {
                (Some(a), Some(b)) if a < b => {
                    if let Some(x) = top.get_mut(j - 1) {
                        *x = b;
                    }
                    if let Some(x) = top.get_mut(j) {
                        *x = a;
                    }
                }
                _ => break,
            }
            j -= 1;
        }
    }
    (top, len)
}

/// Places `x` at `root` of the min-heap `h` and sifts it down.
fn sift_down(h: &mut [f32], mut root: usize, x: f32) {
    loop {
        let mut child = 2 * root + 1;
        let Some(&c) = h.get(child) else { break };
        let mut smallest = c;
        if let Some(&r) = h.get(child + 1)
            && r < c
        {
            child += 1;
            smallest = r;
        }
        if smallest >= x {
            break;
        }
        if let Some(slot) = h.get_mut(root) {
            *slot = smallest;
        }
        root = child;
    }
    if let Some(slot) = h.get_mut(root) {
        *slot = x;
    }
}

/// v2's cut: the tokens of mass `q >= ceil(Q 2^-mu)`, or the first maximum
/// alone if none (the maximum has the largest mass, 2^30).
#[inline(never)]
pub(crate) fn v2(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &mut [f32],
    set: Survivors,
    w: Weighting,
    max: f32,
    mu: f32,
) -> Survivors {
    let total = survivors::total_mass(k, scratch, xs, set, w);
    // ceil(Q 2^-mu) without an f64 routine: the product, its integer part
    // (saturating), plus one if a fraction remains.
    let product = total as f64 * libm::exp2f(-mu) as f64;
    let whole = product as u64;
    let need = whole.saturating_add(((whole as f64) < product) as u64);
    if need > 1 << 30 {
        let first = survivors::first_max(k, scratch, xs, set, max);
        return survivors::retain(scratch, xs, set, |id, _| id == first);
    }
    // Only logits at or above the floor can reach `need`: raise the set's
    // threshold there (most of a vocabulary lies below), gather what is left
    // when it fits, then keep the masses that reach `need`.
    let set = match floor(w, need) {
        Some(f) => crate::filter::min_p::keep_at_least(scratch, set, f),
        None => set,
    };
    let set = crate::filter::gather(k, scratch, xs, set, scratch.len());
    survivors::retain(scratch, xs, set, |_, x| w.fixed(x) as u64 >= need)
}

/// A logit below which no mass reaches `need` (`>= 2`: a mass of `need`
/// needs a weight above `need / 2^31`), `None` when there is none.
fn floor(w: Weighting, need: u64) -> Option<f32> {
    if need < 2 {
        return None;
    }
    crate::filter::top_p::logit_floor(w, need as f32 / (2.0 * FIXED_ONE))
}

/// `mu` after drawing a token of mass `mass` out of `total`.
pub(crate) fn update(mu: f32, tau: f32, eta: f32, mass: u64, total: u64) -> f32 {
    let surprise = libm::log2f(total as f32 / mass.max(1) as f32);
    bounded(mu - eta * (surprise - tau))
}

/// `mu` kept finite (a huge `eta` or `tau` would send it to infinity for
/// good): beyond +-1024 bits every cut is already all or one token.
pub(crate) fn bounded(mu: f32) -> f32 {
    mu.clamp(-MU_LIMIT, MU_LIMIT)
}

/// The bound on `|mu|`, in bits.
const MU_LIMIT: f32 = 1024.0;

/// The two ways v1 finds its top `m` against a sort: the heap (`largest`)
/// and the sort of top-k's unordered selection (`descending`). Small enough
/// for Miri.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::Candidate;
    use std::vec::Vec;

    fn logits(n: u32, salt: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let h = (i ^ salt).wrapping_mul(0x9e37_79b9) >> 25;
                if i % 11 == 3 {
                    f32::NEG_INFINITY
                } else {
                    h as f32 * 0.25 - 9.0
                }
            })
            .collect()
    }

    fn top_sorted(xs: &[f32], m: usize) -> Vec<f32> {
        let mut v: Vec<f32> = xs
            .iter()
            .copied()
            .filter(|x| *x > f32::NEG_INFINITY)
            .collect();
        v.sort_by(|a, b| b.total_cmp(a));
        v.truncate(m.min(Mirostat::MAX_M));
        v
    }

    #[test]
    fn largest_is_the_top_m_descending() {
        for (n, salt) in [(1u32, 0u32), (7, 1), (40, 2), (300, 3), (1000, 4)] {
            if cfg!(miri) && n > 300 {
                continue;
            }
            let xs = logits(n, salt);
            for m in [1usize, 2, 3, 5, 31, 100, 128, 500] {
                let (heap, len) = largest(&mut [], &xs, Survivors::AtLeast(-f32::MAX), m);
                assert_eq!(heap[..len].to_vec(), top_sorted(&xs, m), "n {n}, m {m}");
            }
        }
    }

    #[test]
    fn descending_sorts_any_order() {
        for (n, salt) in [(1u32, 5u32), (9, 6), (128, 7)] {
            let xs: Vec<f32> = logits(n, salt)
                .into_iter()
                .filter(|x| x.is_finite())
                .collect();
            let scratch: Vec<Candidate> = xs
                .iter()
                .enumerate()
                .map(|(i, &logit)| Candidate {
                    id: i as u32,
                    logit,
                })
                .collect();
            let (top, len) = descending(&scratch, Survivors::Scratch(scratch.len()));
            assert_eq!(top[..len].to_vec(), top_sorted(&xs, xs.len()), "n {n}");
        }
    }
}
