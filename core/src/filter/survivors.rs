//! Whole-set operations on the survivors, for the stages that are not a
//! threshold on the logits: statistics (top-n-sigma's deviation, the entropy
//! of typical-p and dynamic temperature), removal by a predicate (typical-p,
//! XTC, mirostat v2), the maximum and the count.
//!
//! Each works on either representation of the set (see `filter/mod.rs`):
//! candidates in the scratch or "every logit `>= t`" in the buffer. Sums of
//! floats depend on the order of the additions, so they visit survivors in
//! ascending id whatever the representation (the scratch is sorted by id
//! first) and add them in the kernels' chunk layout ([`LaneSum`]): the same
//! bits on every path, hence the same cut for every capacity and backend.

use super::Survivors;
use super::select::sort_by_id;
use crate::kernels::generic::{BLOCK, CHUNK};
use crate::kernels::{Candidate, Kernels, SetSums, Weighting, lane_tree};

/// An `f64` sum in the kernels' chunk layout (`kernels/generic.rs`): value
/// `i` goes to lane `i % 16` of chunk `i / 1024`, a chunk's lanes are folded
/// by the fixed tree, chunk sums are added in order. Ids must come in
/// ascending order; absent ids add nothing (as `+0.0` would).
pub(crate) struct LaneSum {
    lanes: [f64; BLOCK],
    chunk: u32,
    total: f64,
}

impl LaneSum {
    pub(crate) const fn new() -> Self {
        Self {
            lanes: [0.0; BLOCK],
            chunk: 0,
            total: 0.0,
        }
    }

    pub(crate) fn add(&mut self, id: u32, v: f32) {
        let chunk = id / CHUNK as u32;
        if chunk != self.chunk {
            self.total += lane_tree(self.lanes);
            self.lanes = [0.0; BLOCK];
            self.chunk = chunk;
        }
        if let Some(lane) = self.lanes.get_mut(id as usize % BLOCK) {
            *lane += v as f64;
        }
    }

    pub(crate) fn total(&self) -> f64 {
        self.total + lane_tree(self.lanes)
    }
}

/// Calls `f(id, logit)` for every survivor, in ascending id (sorting the
/// scratch by id first).
pub(crate) fn for_each(
    scratch: &mut [Candidate],
    xs: &[f32],
    set: Survivors,
    mut f: impl FnMut(u32, f32),
) {
    match set {
        Survivors::AtLeast(t) => {
            for (i, &x) in xs.iter().enumerate() {
                if x >= t {
                    f(i as u32, x);
                }
            }
        }
        Survivors::Scratch(len) => {
            let cands = scratch.get_mut(..len).unwrap_or_default();
            sort_by_id(cands);
            for c in cands.iter() {
                f(c.id, c.logit);
            }
        }
    }
}

/// Removes the survivors for which `keep(id, logit)` is false: compacts the
/// scratch, or overwrites them by `-inf` in the buffer.
pub(crate) fn retain(
    scratch: &mut [Candidate],
    xs: &mut [f32],
    set: Survivors,
    mut keep: impl FnMut(u32, f32) -> bool,
) -> Survivors {
    match set {
        Survivors::AtLeast(t) => {
            for (i, x) in xs.iter_mut().enumerate() {
                if *x >= t && !keep(i as u32, *x) {
                    *x = f32::NEG_INFINITY;
                }
            }
            set
        }
        Survivors::Scratch(len) => {
            let cands = scratch.get_mut(..len).unwrap_or_default();
            Survivors::Scratch(super::retain(cands, |c| keep(c.id, c.logit).then_some(c)))
        }
    }
}

/// The largest survivor logit (`-inf` for an empty set).
pub(crate) fn max(k: Kernels, scratch: &[Candidate], xs: &[f32], set: Survivors) -> f32 {
    match set {
        // Every logit below `t` is below every survivor.
        Survivors::AtLeast(_) => k.max_nan(xs).max,
        Survivors::Scratch(len) => scratch
            .get(..len)
            .unwrap_or_default()
            .iter()
            .fold(f32::NEG_INFINITY, |m, c| super::larger(m, c.logit)),
    }
}

/// The first survivor (lowest id) holding `max`, the survivors' maximum:
/// the greedy token.
pub(crate) fn first_max(
    k: Kernels,
    scratch: &[Candidate],
    xs: &[f32],
    set: Survivors,
    max: f32,
) -> u32 {
    let found = match set {
        // Logits below `t` are below `max`; excluded ones are `-inf`.
        Survivors::AtLeast(_) => k.position_of(xs, max).map(|i| i as u32),
        Survivors::Scratch(len) => scratch
            .get(..len)
            .unwrap_or_default()
            .iter()
            .filter(|c| c.logit == max)
            .map(|c| c.id)
            .min(),
    };
    debug_assert!(found.is_some(), "the max is a survivor");
    found.unwrap_or(0)
}

/// The number of survivors.
pub(crate) fn count(xs: &[f32], set: Survivors) -> usize {
    match set {
        Survivors::AtLeast(t) => xs.iter().filter(|&&x| x >= t).count(),
        Survivors::Scratch(len) => len,
    }
}

/// The survivors' total fixed-point mass under `w`.
pub(crate) fn total_mass(
    k: Kernels,
    scratch: &[Candidate],
    xs: &[f32],
    set: Survivors,
    w: Weighting,
) -> u64 {
    match set {
        Survivors::AtLeast(t) => k.exp_fixed_sum(xs, t, w),
        Survivors::Scratch(len) => scratch
            .get(..len)
            .unwrap_or_default()
            .iter()
            .map(|c| w.fixed(c.logit) as u64)
            .sum(),
    }
}

/// [`Kernels::deviation_sums`] over the survivors: for the buffer the
/// kernel, for the scratch the same sums in id order ([`LaneSum`]).
pub(crate) fn deviation_sums(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &[f32],
    set: Survivors,
    c: f32,
) -> SetSums {
    if let Survivors::AtLeast(t) = set {
        return k.deviation_sums(xs, t, c);
    }
    let (mut count, mut first, mut second) = (0u64, LaneSum::new(), LaneSum::new());
    for_each(scratch, xs, set, |id, x| {
        let d = x - c;
        count += 1;
        first.add(id, d);
        second.add(id, d * d);
    });
    SetSums {
        count,
        mass: 0,
        first: first.total(),
        second: second.total(),
    }
}

/// [`Kernels::entropy_sums`] over the survivors, likewise.
pub(crate) fn entropy_sums(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &[f32],
    set: Survivors,
    w: Weighting,
) -> SetSums {
    if let Survivors::AtLeast(t) = set {
        return k.entropy_sums(xs, t, w);
    }
    let (mut count, mut mass, mut first) = (0u64, 0u64, LaneSum::new());
    for_each(scratch, xs, set, |id, x| {
        let q = w.fixed(x);
        count += 1;
        mass += q as u64;
        // Mass 0 adds nothing (and its `s` may be `-inf`: `l - max` overflows
        // for logits more than `f32::MAX` apart). The conversion is the
        // kernels' `fixed_to_float`.
        if q > 0 {
            first.add(id, q as i32 as f32 * ((x - w.max) * w.inv_t));
        }
    });
    SetSums {
        count,
        mass,
        first: first.total(),
        second: 0.0,
    }
}

/// The entropy of the survivors' distribution under a weighting.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entropy {
    /// Number of survivors.
    pub(crate) count: usize,
    /// Their total fixed-point mass `Q`.
    pub(crate) total: u64,
    /// The mass-weighted mean `s̄ = Σ q s / Q` of their scaled logits
    /// `s = (l - max) * inv_t` (at most 0).
    pub(crate) center: f32,
    /// `H = -Σ p ln p` in nats, `p = q / Q`, clamped to `[0, ln count]`.
    pub(crate) nats: f32,
}

/// With `p_i = q_i / Q` and `q_i = 2^30 e^(s_i)` (to exp's rounding),
/// `-ln p_i = ln(Q / 2^30) - s_i`, so `H = ln(Q / 2^30) - s̄` and a token's
/// distance from the entropy, typical-p's key, is `|s_i - s̄|`. Tokens of
/// mass 0 add nothing, as `p ln p -> 0`.
pub(crate) fn entropy(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &[f32],
    set: Survivors,
    w: Weighting,
) -> Entropy {
    let sums = entropy_sums(k, scratch, xs, set, w);
    let (count, total) = (sums.count as usize, sums.mass);
    let center = if total == 0 {
        0.0
    } else {
        (sums.first / total as f64) as f32
    };
    // f32 throughout (llama.cpp computes it in float): an FPU without
    // doubles does it in hardware, and no f64 routine is linked for it.
    let ln_count = libm::logf(count.max(1) as f32);
    let nats = libm::logf(total.max(1) as f32 / crate::kernels::FIXED_ONE) - center;
    Entropy {
        count,
        total,
        center,
        // (Not `clamp`, which keeps a panic path for bounds it cannot order.)
        nats: nats.max(0.0).min(ln_count),
    }
}

/// The scratch's sums in id order equal the kernels' over the buffer, bit
/// for bit, on every backend: across chunk boundaries, with holes (`-inf`
/// and logits below the threshold), and with the scratch in any order.
/// Small enough for Miri (scalar there).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::Backend;

    fn logits(n: usize) -> std::vec::Vec<f32> {
        (0..n as u32)
            .map(|i| {
                let h = i.wrapping_mul(0x9e37_79b9) >> 20;
                if i % 13 == 5 {
                    f32::NEG_INFINITY
                } else {
                    (h as f32) / 256.0 - 9.0
                }
            })
            .collect()
    }

    /// The candidates of `xs` at or above `t`, in id order.
    fn at_least(xs: &[f32], t: f32) -> std::vec::Vec<Candidate> {
        xs.iter()
            .enumerate()
            .filter(|(_, x)| **x >= t)
            .map(|(i, &x)| Candidate {
                id: i as u32,
                logit: x,
            })
            .collect()
    }

    #[test]
    fn scratch_sums_replicate_the_kernels() {
        let n = if cfg!(miri) { 1100 } else { 3000 };
        let xs = logits(n);
        let t = -6.5;
        let w = Weighting {
            max: 7.0,
            inv_t: 1.3,
        };
        // The survivors, gathered in a scrambled order.
        let mut cands = at_least(&xs, t);
        let len = cands.len();
        cands.reverse();
        cands.rotate_left(len / 3);
        let k = Kernels::SCALAR;
        let dev = deviation_sums(k, &mut cands, &xs, Survivors::Scratch(len), 7.0);
        let ent = entropy_sums(k, &mut cands, &xs, Survivors::Scratch(len), w);
        assert_eq!(dev.count as usize, len);
        for b in Backend::available() {
            let k = b.kernels().unwrap();
            let got = deviation_sums(k, &mut [], &xs, Survivors::AtLeast(t), 7.0);
            assert_eq!(got.count, dev.count, "{b:?}");
            assert_eq!(got.first.to_bits(), dev.first.to_bits(), "{b:?}");
            assert_eq!(got.second.to_bits(), dev.second.to_bits(), "{b:?}");
            let got = entropy_sums(k, &mut [], &xs, Survivors::AtLeast(t), w);
            assert_eq!((got.count, got.mass), (ent.count, ent.mass), "{b:?}");
            assert_eq!(got.first.to_bits(), ent.first.to_bits(), "{b:?}");
        }
        // The sums themselves, against a plain f64 loop.
        let plain: f64 = xs
            .iter()
            .filter(|x| **x >= t)
            .map(|&x| (x - 7.0) as f64)
            .sum();
        assert!(
            (dev.first - plain).abs() <= 1e-9 * plain.abs(),
            "{} {plain}",
            dev.first
        );
        let mass: u64 = xs
            .iter()
            .filter(|x| **x >= t)
            .map(|&x| w.fixed(x) as u64)
            .sum();
        assert_eq!(ent.mass, mass);
    }

    /// In one lane, 1 + 1 + 2^53 is 2^53 + 2 but 2^53 + 1 + 1 is 2^53 (each
    /// 1 is a tie that rounds to even): the scratch, here in rank order as
    /// top-k leaves it, must be added in id order, as the kernels add the
    /// buffer.
    #[test]
    fn scratch_sums_add_each_lane_in_id_order() {
        // (Exact conversions: Miri perturbs `powi`, which need not be exact.)
        let big = (1u64 << 53) as f32;
        let mut xs = [f32::NEG_INFINITY; 48];
        (xs[0], xs[16], xs[32]) = (1.0, 1.0, big);
        let mut cands = [32u32, 0, 16].map(|id| Candidate {
            id,
            logit: xs[id as usize],
        });
        let dev = deviation_sums(Kernels::SCALAR, &mut cands, &xs, Survivors::Scratch(3), 0.0);
        assert_eq!(dev.first, (1u64 << 53) as f64 + 2.0);
        for b in Backend::available() {
            let k = b.kernels().unwrap();
            let got = deviation_sums(k, &mut [], &xs, Survivors::AtLeast(0.5), 0.0);
            assert_eq!(got.count, 3, "{b:?}");
            assert_eq!(got.first.to_bits(), dev.first.to_bits(), "{b:?}");
            assert_eq!(got.second.to_bits(), dev.second.to_bits(), "{b:?}");
        }
    }

    /// Survivors whose deviations span 2^40 down to 2^-20: their f64 sum
    /// rounds, so it depends on the grouping (lanes, chunks, the tree) that
    /// the scratch must reproduce; a logit `f32::MAX` below the max (its
    /// scaled logit `-inf`, its mass 0) must add nothing to the entropy sum.
    #[test]
    fn scratch_sums_round_like_the_kernels() {
        let n = if cfg!(miri) { 1100 } else { 2500 };
        let c = 7.0f32;
        let xs: std::vec::Vec<f32> = (0..n as u32)
            .map(|i| {
                let h = i.wrapping_mul(0x9e37_79b9) >> 22;
                match i % 5 {
                    0 => 1.0e12 + (h as f32) * 65_536.0,
                    1 => c - (h as f32) * 1.0e-6,
                    2 => f32::NEG_INFINITY,
                    _ => (h as f32) * 0.37 - 100.0,
                }
            })
            .collect();
        let t = -f32::MAX;
        let mut cands = at_least(&xs, t);
        let len = cands.len();
        cands.rotate_left(len / 2);
        let dev = deviation_sums(Kernels::SCALAR, &mut cands, &xs, Survivors::Scratch(len), c);
        // The same terms summed in plain id order round differently: the
        // grouping is what this test pins.
        let plain: f64 = xs
            .iter()
            .filter(|x| **x >= t)
            .map(|&x| (x - c) as f64)
            .sum();
        assert_ne!(
            plain.to_bits(),
            dev.first.to_bits(),
            "the sum does not round"
        );
        // Entropy: a survivor at -f32::MAX beside a max at f32::MAX.
        let mut ys = xs.clone();
        ys[3] = f32::MAX;
        ys[8] = -f32::MAX;
        let w = Weighting {
            max: f32::MAX,
            inv_t: 1.0,
        };
        let mut ent_cands: std::vec::Vec<Candidate> = [3u32, 8]
            .map(|id| Candidate {
                id,
                logit: ys[id as usize],
            })
            .to_vec();
        let ent = entropy_sums(
            Kernels::SCALAR,
            &mut ent_cands,
            &ys,
            Survivors::Scratch(2),
            w,
        );
        assert_eq!((ent.count, ent.mass), (2, 1 << 30));
        assert_eq!(ent.first, 0.0);
        for b in Backend::available() {
            let k = b.kernels().unwrap();
            let got = deviation_sums(k, &mut [], &xs, Survivors::AtLeast(t), c);
            assert_eq!(got.count, dev.count, "{b:?}");
            assert_eq!(got.first.to_bits(), dev.first.to_bits(), "{b:?}");
            assert_eq!(got.second.to_bits(), dev.second.to_bits(), "{b:?}");
        }
    }
}
