//! The one selection algorithm behind top-k, top-p, typical-p and the draw
//! over candidates.
//!
//! Given candidates, a total order and an integer mass per candidate, find the
//! smallest prefix of the order whose mass reaches a target (and that holds
//! at least `min_keep` candidates, [`Rule::at_least`]):
//!
//! - top-k: order "logit descending, id ascending", mass 1, target `k`;
//! - top-p: the same order, mass the fixed-point weight `round(w * 2^30)`,
//!   target `ceil(p * total)`;
//! - typical-p: order "distance of the scaled logit from the mass-weighted
//!   mean ascending, id ascending" ([`Distance`]), the same masses, target
//!   `floor(p * total) + 1`;
//! - the draw over candidates in scratch: order "id ascending", the same
//!   masses, target `floor(r * total / 2^64) + 1`; the prefix's last id is the token.
//!
//! Masses are integers summed in `u64`, so every sum is exact and the cut does
//! not depend on the order in which tokens are visited: the scratch and the
//! streaming paths below cut at exactly the same token.
//!
//! - In scratch ([`prefix_in_scratch`]): quickselect with mass bookkeeping.
//!   Each partition step sums the mass above the pivot and descends into one
//!   side only: O(m) expected, with a heapsort fallback after 64 rounds so the
//!   worst case stays O(m log m). Masses are read from beside the candidates
//!   (a parallel array moved in lockstep), from the candidates themselves, or
//!   are all 1; nothing is recomputed per round.
//! - Small sets in the rank order on AVX2 and AVX-512 ([`prefix_by_rank`], at
//!   most [`RANKED`] candidates in the scratch: top-k and top-p): every
//!   candidate's rank from all-pairs comparisons in the kernels, O(m^2 /
//!   lanes) but without a branch on the data, then the cut (top-k's by
//!   count; top-p's by a walk in rank order) and an order-keeping
//!   compaction. A quickselect branches on every comparison, and on a
//!   generation's logits, which change every call, the predictor cannot
//!   learn those branches (on one input timed again and again it does): at
//!   vocab 128 256 with penalties (min-p keeping ~52), top-k and top-p this
//!   way took penalties + DRY from 1.15-1.17x to 1.12-1.14x the chain on
//!   AVX-512 over 64 shuffled inputs (simd-bench's `varied_inputs` example),
//!   1.08-1.09x on the fixed input before and after; and the kept
//!   candidates stay in id order, so the draw walks them without a
//!   selection.
//! - Over the buffer ([`prefix_streaming`], [`distance_streaming`]): radix
//!   select on the order's 32-bit keys (the logits' order-preserving bit
//!   patterns, or typical-p's distance keys), 8 bits per pass, 4 passes, a
//!   256-bucket `u64` mass histogram on the stack (2 KiB), masses computed by
//!   the kernels a strip at a time; then a walk over the ties at the cut key
//!   in id order finds the last token of the prefix (a second select by count
//!   when `min_keep` asks for more). Excluded ties at the cut logit (top-k,
//!   top-p), or every excluded survivor (typical-p), are overwritten by `-inf`.

use crate::kernels::{Candidate, Kernels, RANKED, Weighting};

/// The order a selection cuts a prefix of.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Order {
    /// Logit descending, then id ascending: the order of every filter.
    Rank,
    /// Id ascending: the order of the draw.
    Id,
    /// Distance of the scaled logit from a center ascending, then id
    /// ascending: typical-p's order (see [`Distance`]).
    Distance(Distance),
}

/// Typical-p's key: `|(l - max) * inv_t - center|`, in `f32` (the same
/// operations wherever it is computed, so every path orders alike).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Distance {
    pub(crate) max: f32,
    pub(crate) inv_t: f32,
    pub(crate) center: f32,
}

impl Distance {
    /// An order key: larger for a smaller distance.
    pub(crate) fn key(self, logit: f32) -> u32 {
        let d = (logit - self.max) * self.inv_t - self.center;
        order_key(-f32::from_bits(d.to_bits() & 0x7fff_ffff))
    }
}

/// Where a candidate's mass comes from.
#[derive(Debug)]
pub(crate) enum Masses<'a> {
    /// Every candidate weighs 1 (top-k).
    Count,
    /// `masses[i]` holds candidate `i`'s fixed-point mass as `u32` bits, and is
    /// moved with it (top-p and the draw, in the caller's buffer).
    Beside(&'a mut [f32]),
}

/// The target of a selection: the smallest prefix whose mass reaches `mass`
/// and that holds at least `count` candidates (llama.cpp's `min_keep`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rule {
    mass: u64,
    count: u64,
}

impl Rule {
    /// Reach this absolute mass (top-k: a count; the draw: target + 1); at
    /// least 1, so a selection is never empty.
    pub(crate) fn reach(mass: u64) -> Rule {
        Rule {
            mass: mass.max(1),
            count: 0,
        }
    }

    /// Reach `p` (in (0, 1)) of `total`, the whole set's mass (top-p).
    pub(crate) fn fraction(p: f32, total: u64) -> Rule {
        Rule::reach(ceil_mul(p, total))
    }

    /// Exceed `p` (in [0, 1)) of `total`, i.e. reach `floor(p * total) + 1`
    /// (typical-p).
    pub(crate) fn exceed(p: f32, total: u64) -> Rule {
        Rule::reach(mul_floor(p, total).0 + 1)
    }

    /// The same, holding at least `count` candidates too.
    pub(crate) fn at_least(self, count: usize) -> Rule {
        Rule {
            count: count as u64,
            ..self
        }
    }

    /// The mass to reach and the candidates to hold.
    pub(crate) fn needs(self) -> (u64, u64) {
        (self.mass, self.count)
    }
}

/// `ceil(p * total)`, exactly, in `u64` arithmetic (no `u128` routines on a
/// 32-bit core): `p = m * 2^-s` with a 24-bit `m` and `s >= 24` (as `p < 1`),
/// and `m * total = x * 2^32 + y` with `x = m * (total >> 32) < 2^54` and
/// `y = m * (total & 0xffff_ffff) < 2^56`.
pub(crate) fn ceil_mul(p: f32, total: u64) -> u64 {
    let (whole, inexact) = mul_floor(p, total);
    whole + inexact as u64
}

/// `floor(p * total)` and whether the product has a fractional part, exactly
/// (see [`ceil_mul`]).
fn mul_floor(p: f32, total: u64) -> (u64, bool) {
    let bits = p.to_bits();
    let biased = (bits >> 23) & 0xff;
    let fraction = (bits & 0x7f_ffff) as u64;
    let (m, e) = if biased == 0 {
        (fraction, 1)
    } else {
        (fraction | 0x80_0000, biased)
    };
    let s = 150u32.saturating_sub(e);
    let (x, y) = (m * (total >> 32), m * (total & 0xffff_ffff));
    let low_bits = |v: u64, k: u32| v & (1u64.checked_shl(k).unwrap_or(0).wrapping_sub(1));
    let (whole, inexact) = if s <= 32 {
        // floor = x * 2^(32 - s) + y >> s (below 2^63: x * 2^8 < 2^62).
        let whole = (x << (32 - s)) + (y >> s);
        (whole, low_bits(y, s) != 0)
    } else {
        // floor = (x + y >> 32) >> (s - 32); what is shifted out of either is the rest.
        let z = x + (y >> 32);
        let k = s - 32;
        let whole = z.checked_shr(k).unwrap_or(0);
        let rest = if k >= 64 { z } else { low_bits(z, k) };
        (whole, rest != 0 || low_bits(y, 32) != 0)
    };
    (whole, inexact)
}

/// Writes each candidate's fixed-point mass under `w` beside it (as `u32`
/// bits in `masses`) and returns their exact total. On a SIMD backend the
/// logits are copied beside, then turned into masses by the kernels' exp pass
/// (the same bits as `w.fixed` per candidate, a register at a time); on the
/// scalar backend `w.fixed` per candidate (the kernel's own loop, no copy).
pub(crate) fn fill_masses(
    k: Kernels,
    cands: &[Candidate],
    masses: &mut [f32],
    w: Weighting,
) -> u64 {
    if k.is_scalar() {
        let mut total = 0u64;
        for (c, m) in cands.iter().zip(masses.iter_mut()) {
            let q = w.fixed_inlined(c.logit);
            total += q as u64;
            *m = f32::from_bits(q);
        }
        return total;
    }
    let n = cands.len().min(masses.len());
    let masses = masses.get_mut(..n).unwrap_or_default();
    for (m, c) in masses.iter_mut().zip(cands) {
        *m = c.logit;
    }
    // Survivors are finite (at least `-f32::MAX`), so each gets its mass;
    // the kernel's `-inf` padding stays below the threshold, out of the sum.
    k.exp_fixed(masses, -f32::MAX, w)
}

/// A `u32` that orders like the logit (`-0.0` and `+0.0` map to the same key).
/// Integer work only (no float add to fold `-0.0`: soft-float cores pay a
/// call for one): negative floats have every bit flipped, the others their
/// sign bit set.
pub(crate) fn order_key(logit: f32) -> u32 {
    let bits = match logit.to_bits() {
        0x8000_0000 => 0,
        b => b,
    };
    bits ^ (((bits as i32 >> 31) as u32) | 0x8000_0000)
}

/// The logit of an order key (`+0.0` for either zero).
fn from_order_key(key: u32) -> f32 {
    f32::from_bits(key ^ ((((!key) as i32 >> 31) as u32) | 0x8000_0000))
}

/// How a selection ranks a candidate: larger means earlier (the id breaks ties).
trait Key: Copy {
    fn rank(self, logit: f32) -> u32;
}

/// [`Order::Id`] and [`Order::Rank`] as one key, so that they share one
/// instantiation of the selection (a microcontroller keeps one copy of its
/// code): the rank is the `logit` field's bits under a mask. For
/// [`Order::Rank`] the mask keeps every bit and the field holds the order
/// key's bits while the selection runs, so a key is two integer operations;
/// for [`Order::Id`] it keeps none, every candidate ranks alike, and the id
/// decides.
#[derive(Clone, Copy)]
struct ByBits {
    mask: u32,
}

impl ByBits {
    const ID: ByBits = ByBits { mask: 0 };
    const RANK: ByBits = ByBits { mask: u32::MAX };
}

impl Key for ByBits {
    #[inline(always)]
    fn rank(self, logit: f32) -> u32 {
        logit.to_bits() & self.mask
    }
}

impl Key for Distance {
    #[inline(always)]
    fn rank(self, logit: f32) -> u32 {
        self.key(logit)
    }
}

/// Where candidate `c` comes in `order`: larger means earlier (the id
/// breaks ties, so no two candidates share a position).
#[inline(always)]
fn position<K: Key>(order: K, c: &Candidate) -> u64 {
    ((order.rank(c.logit) as u64) << 32) | (u32::MAX - c.id) as u64
}

/// Candidates, their masses and the order of one selection.
struct Selection<'c, 'm, K: Key> {
    cands: &'c mut [Candidate],
    masses: Masses<'m>,
    order: K,
}

impl<K: Key> Selection<'_, '_, K> {
    /// Position in the order: larger means earlier.
    #[inline(always)]
    fn key(&self, i: usize) -> u64 {
        self.cands.get(i).map_or(0, |c| position(self.order, c))
    }

    #[inline(always)]
    fn mass(&self, i: usize) -> u64 {
        match &self.masses {
            Masses::Count => 1,
            Masses::Beside(m) => m.get(i).map_or(0, |q| q.to_bits() as u64),
        }
    }

    fn mass_of(&self, range: core::ops::Range<usize>) -> u64 {
        match &self.masses {
            Masses::Count => range.len() as u64,
            Masses::Beside(m) => m
                .get(range)
                .unwrap_or_default()
                .iter()
                .map(|q| q.to_bits() as u64)
                .sum(),
        }
    }

    /// Swaps candidates `i` and `j` (and their masses beside). The bounds
    /// checks are in sight of the optimiser, so no panic path is left;
    /// out-of-range indices, which the callers never pass, do nothing in a
    /// release build (a debug build asserts). Inlined in the partition's
    /// loop; the other calls go through [`swap_once`](Self::swap_once).
    #[inline(always)]
    fn swap(&mut self, i: usize, j: usize) {
        debug_assert!(i.max(j) < self.cands.len(), "swap inside the candidates");
        if i < self.cands.len() && j < self.cands.len() {
            self.cands.swap(i, j);
            if let Masses::Beside(m) = &mut self.masses
                && i < m.len()
                && j < m.len()
            {
                m.swap(i, j);
            }
        }
    }

    /// [`swap`](Self::swap) for the swaps outside the partition's loop (its
    /// pivot's two, the heapsort's): out of line on bare-metal targets,
    /// where their inlined copies were 200 bytes of a microcontroller's
    /// image (size-budget/); the loop's own stays inlined (out of line it
    /// cost 6 % of a Cortex-M4F's default chain on flat logits).
    #[cfg_attr(target_os = "none", inline(never))]
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn swap_once(&mut self, i: usize, j: usize) {
        self.swap(i, j);
    }

    /// Hoare partition of `lo..hi` (at least 3 elements) around the median of
    /// its first, middle and last: afterwards the elements ranked above the
    /// pivot come first, then the pivot, whose index is returned. Keys are
    /// unique (they include the id), so each scan stops at a misplaced element.
    fn partition(&mut self, lo: usize, hi: usize) -> usize {
        let last = hi - 1;
        let mid = lo + (last - lo) / 2;
        let (a, b, c) = (self.key(lo), self.key(mid), self.key(last));
        let median = if (a <= b) == (b <= c) {
            mid
        } else if (b <= a) == (a <= c) {
            lo
        } else {
            last
        };
        self.swap_once(median, last);
        let pivot = self.key(last);
        // [lo, i) ranks above the pivot, [j, last) below it.
        let (mut i, mut j) = (lo, last);
        loop {
            while i < j && self.key(i) > pivot {
                i += 1;
            }
            while i < j && self.key(j - 1) < pivot {
                j -= 1;
            }
            if i >= j {
                break;
            }
            self.swap(i, j - 1);
            i += 1;
            j -= 1;
        }
        self.swap_once(i, last);
        i
    }

    /// Sorts `lo..hi` into the order: insertion sort for a few elements,
    /// heapsort beyond (O(m log m), and no panic path, unlike core's sort,
    /// which keeps one for inconsistent orderings).
    fn sort(&mut self, lo: usize, hi: usize) {
        if hi - lo <= 24 {
            let order = self.order;
            let cands = self.cands.get_mut(lo..hi).unwrap_or_default();
            // One call site for both kinds of masses: one copy of its code.
            let masses = match &mut self.masses {
                Masses::Count => &mut [][..],
                Masses::Beside(m) => m.get_mut(lo..hi).unwrap_or_default(),
            };
            insertion_sort(order, cands, masses);
            return;
        }
        let n = hi - lo;
        // A min-heap on the key ("comes later" on top), so popping puts the
        // latest element last.
        for start in (0..n / 2).rev() {
            self.sift(lo, start, n);
        }
        for end in (1..n).rev() {
            self.swap_once(lo, lo + end);
            self.sift(lo, 0, end);
        }
    }

    fn sift(&mut self, lo: usize, mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                break;
            }
            if child + 1 < end && self.key(lo + child + 1) < self.key(lo + child) {
                child += 1;
            }
            if self.key(lo + child) >= self.key(lo + root) {
                break;
            }
            self.swap_once(lo + root, lo + child);
            root = child;
        }
    }

    /// The smallest prefix of `0..len` in the order whose mass reaches
    /// `need` and that holds at least `count` candidates (both reachable),
    /// moved to the front; returns its length.
    #[inline(never)]
    fn prefix(&mut self, mut need: u64, mut count: u64) -> usize {
        let (mut lo, mut hi) = (0usize, self.cands.len());
        for _round in 0..64 {
            // Partitioning down to 8 rather than 16 left less to sort: the
            // chain's three selections on 52 candidates (top-k, top-p, the
            // draw) took 480 ns instead of 580.
            if hi - lo <= 8 {
                break;
            }
            let pivot = self.partition(lo, hi);
            let upper = self.mass_of(lo..pivot);
            let with_pivot = upper + self.mass(pivot);
            let (n_upper, n_with) = ((pivot - lo) as u64, (pivot - lo + 1) as u64);
            if upper >= need && n_upper >= count {
                hi = pivot;
            } else if with_pivot >= need && n_with >= count {
                return pivot + 1;
            } else {
                need = need.saturating_sub(with_pivot);
                count = count.saturating_sub(n_with);
                lo = pivot + 1;
            }
        }
        // Small (or stubborn) remainder: sort it and walk.
        self.sort(lo, hi);
        let (mut acc, mut n) = (0u64, 0u64);
        for i in lo..hi {
            acc += self.mass(i);
            n += 1;
            if acc >= need && n >= count {
                return i + 1;
            }
        }
        debug_assert!(false, "the remainder holds the needed mass");
        hi
    }
}

/// Insertion sort of `cands` into `order` (larger keys first), moving each
/// mass of `masses` (empty, or one per candidate) with its candidate. Each
/// element is held aside while the earlier ones ranked below it shift up,
/// then written once into the hole: a swap per step would store two
/// adjacent candidates with one 16-byte write that the next step's load
/// straddles, stalling store forwarding on x86.
#[inline(always)]
fn insertion_sort<K: Key>(order: K, cands: &mut [Candidate], masses: &mut [f32]) {
    let key = |c: &Candidate| position(order, c);
    for i in 1..cands.len() {
        let Some(&held) = cands.get(i) else { break };
        let held_mass = masses.get(i).copied();
        let k = key(&held);
        let mut j = i;
        // `j - 1` wraps to `usize::MAX` at 0, where `get` ends the loop.
        while let Some(&before) = cands.get(j.wrapping_sub(1)) {
            if key(&before) >= k {
                break;
            }
            if let Some(slot) = cands.get_mut(j) {
                *slot = before;
            }
            if let Some(q) = masses.get(j.wrapping_sub(1)).copied()
                && let Some(slot) = masses.get_mut(j)
            {
                *slot = q;
            }
            j = j.wrapping_sub(1);
        }
        if let Some(slot) = cands.get_mut(j) {
            *slot = held;
        }
        if let (Some(q), Some(slot)) = (held_mass, masses.get_mut(j)) {
            *slot = q;
        }
    }
}

/// Reorders `cands` (and masses beside them) so that the smallest prefix of
/// `order` reaching the rule's target comes first, and returns its length;
/// the whole set when its mass does not exceed the target.
/// Candidates after the prefix are left with unspecified logits.
pub(crate) fn prefix_in_scratch(
    cands: &mut [Candidate],
    masses: Masses<'_>,
    order: Order,
    rule: Rule,
) -> usize {
    let len = cands.len();
    if let Masses::Beside(m) = &masses {
        debug_assert!(m.len() >= len, "a mass beside every candidate");
    }
    let (need, count) = rule.needs();
    let count = count.min(len as u64);
    // top-k with k at least the set's size keeps everything, at no cost. Every
    // other caller asks for at most the set's mass (the draw's target lies
    // below the total; top-p's nucleus lies inside the sets it prefilters),
    // which the selection reaches without a pass to sum it first.
    match &masses {
        Masses::Count if need >= len as u64 => return len,
        Masses::Count => {}
        Masses::Beside(m) => debug_assert!(
            need <= m.iter().take(len).map(|q| q.to_bits() as u64).sum(),
            "a target beyond the set's mass"
        ),
    }
    let bits = match order {
        // Only typical-p orders by distance: a build without the shape
        // stages never gets here with it and compiles this arm out (the
        // optimiser cannot tell that no caller makes the variant).
        Order::Distance(d) if crate::config::SHAPES => {
            return Selection {
                cands,
                masses,
                order: d,
            }
            .prefix(need, count);
        }
        Order::Distance(_) => {
            debug_assert!(
                false,
                "typical-p's order in a build without the shape stages"
            );
            ByBits::ID
        }
        Order::Id => ByBits::ID,
        Order::Rank => ByBits::RANK,
    };
    // One call site for both: one copy of the selection's code.
    let rank = bits.mask != 0;
    if rank {
        for c in cands.iter_mut() {
            c.logit = f32::from_bits(order_key(c.logit));
        }
    }
    let mut set = Selection {
        cands,
        masses,
        order: bits,
    };
    let kept = set.prefix(need, count);
    if rank {
        // Only the prefix survives: the rest keep their keys.
        for c in set.cands.iter_mut().take(kept) {
            c.logit = from_order_key(c.logit.to_bits());
        }
    }
    kept
}

/// [`prefix_in_scratch`] in [`Order::Rank`], for sets of at most [`RANKED`]
/// candidates (none NaN, as every scratch candidate) on AVX2 and AVX-512:
/// each candidate's rank from all-pairs counts in the kernels
/// ([`Kernels::at_least_counts`]), the cut (by count, or by a walk in rank
/// order to the target mass), then a compaction that keeps the kept
/// candidates (and their masses beside) in the order they came in: after a
/// gather, ascending id, so the draw walks them without a selection of its
/// own. Larger sets, backends of fewer than 8 lanes (scalar, where a
/// microcontroller's mispredicted branch costs a few cycles; SSE2, where the
/// pairs cost more than the mispredictions saved: 64 shuffled inputs at
/// vocab 128 256 gained nothing and the fixed one lost 0.2 us; NEON, four
/// lanes too, not measured) and sets where two logits tie (the id then
/// decides, which the counts do not see; logits rounded from bf16 or f16
/// tie often, and then pay for the counts and the quickselect) take the
/// quickselect.
pub(crate) fn prefix_by_rank(
    k: Kernels,
    cands: &mut [Candidate],
    mut masses: Masses<'_>,
    rule: Rule,
) -> usize {
    let n = cands.len();
    if k.is_scalar() || k.lanes() < 8 || n > RANKED {
        return prefix_in_scratch(cands, masses, Order::Rank, rule);
    }
    let (need, count) = rule.needs();
    if matches!(masses, Masses::Count) && need >= n as u64 {
        // top-k with k at least the set's size keeps everything.
        return n;
    }
    let mut logits = [0.0f32; RANKED];
    for (l, c) in logits.iter_mut().zip(cands.iter()) {
        *l = c.logit;
    }
    let mut at_least = [0u32; RANKED];
    k.at_least_counts(&logits, n, &mut at_least);
    let at_least = at_least.get(..n).unwrap_or_default();
    // Without ties the counts are 1..=n, each once (the candidate that ranks
    // `r`-th from the top, from 0, is at least `n - r` of them); every tied
    // pair counts once more.
    let total: u32 = at_least.iter().sum();
    if total as usize != n * (n + 1) / 2 {
        return prefix_in_scratch(cands, masses, Order::Rank, rule);
    }
    let kept = match &masses {
        // By count (top-k): the first `max(need, count)`, at most all.
        Masses::Count => need.max(count).min(n as u64) as usize,
        Masses::Beside(m) => {
            // The candidates in rank order, then the walk to the target.
            let mut by_rank = [0u8; RANKED];
            for (i, &c) in at_least.iter().enumerate() {
                if let Some(slot) = by_rank.get_mut(n.wrapping_sub(c as usize)) {
                    *slot = i as u8;
                }
            }
            let (mut acc, mut kept) = (0u64, n);
            for (r, &i) in by_rank.iter().take(n).enumerate() {
                acc += m.get(i as usize).map_or(0, |q| q.to_bits() as u64);
                if acc >= need && r as u64 + 1 >= count {
                    kept = r + 1;
                    break;
                }
            }
            kept
        }
    }
    .min(n);
    // Branch-free compaction: every candidate is written, the kept ones advance.
    // Rank `n - at_least[i]` is kept if below `kept`.
    let mut w = 0;
    for i in 0..n {
        let keep = at_least.get(i).is_some_and(|&c| c as usize + kept > n);
        if let Some(&c) = cands.get(i)
            && let Some(slot) = cands.get_mut(w)
        {
            *slot = c;
        }
        if let Masses::Beside(m) = &mut masses
            && let Some(&q) = m.get(i)
            && let Some(slot) = m.get_mut(w)
        {
            *slot = q;
        }
        w += keep as usize;
    }
    debug_assert_eq!(w, kept, "the compaction keeps the prefix");
    kept
}

/// Sorts `cands` by id, ascending (for the sums that must visit survivors in
/// the buffer's order).
pub(crate) fn sort_by_id(cands: &mut [Candidate]) {
    let len = cands.len();
    Selection {
        cands,
        masses: Masses::Count,
        order: ByBits::ID,
    }
    .sort(0, len);
}

/// What a token weighs in a selection over the buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) enum StreamMass {
    /// Every token weighs 1 (top-k).
    Count,
    /// A token weighs its fixed-point mass under this weighting (top-p).
    Fixed(Weighting),
}

impl StreamMass {
    fn of(self, logit: f32) -> u64 {
        match self {
            StreamMass::Count => 1,
            StreamMass::Fixed(w) => w.fixed_inlined(logit) as u64,
        }
    }
}

/// Floats whose masses are computed per kernel call in the streaming passes.
const STRIP: usize = 256;

/// Calls `f(key, mass)` for every `x >= t` of `xs` whose key, shifted right
/// by `shift`, equals `prefix` (all of them when `filter` is `None`). Masses
/// come from the kernels a strip at a time (bit-identical to
/// `Weighting::fixed`), so the scalar loop only does integer work.
fn for_each_mass(
    k: Kernels,
    xs: &[f32],
    t: f32,
    mass: StreamMass,
    key: impl Fn(f32) -> u32,
    filter: Option<(u32, u32)>,
    mut f: impl FnMut(u32, u64),
) {
    let selected = |x: f32| {
        x >= t && filter.is_none_or(|(shift, prefix)| key(x).checked_shr(shift) == Some(prefix))
    };
    let mut masses = [0.0f32; STRIP];
    for strip in xs.chunks(STRIP) {
        // Later levels select few tokens: skip the exp for strips without one.
        if filter.is_some() && !strip.iter().any(|&x| selected(x)) {
            continue;
        }
        let qs = masses.get_mut(..strip.len()).unwrap_or_default();
        if let StreamMass::Fixed(w) = mass {
            qs.copy_from_slice(strip);
            k.exp_fixed(qs, t, w);
        }
        for (&x, &q) in strip.iter().zip(qs.iter()) {
            if selected(x) {
                let m = match mass {
                    StreamMass::Count => 1,
                    StreamMass::Fixed(_) => q.to_bits() as u64,
                };
                f(key(x), m);
            }
        }
    }
}

/// The last token of a streaming selection's prefix: its key and id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Crossing {
    key: u32,
    id: u32,
}

impl Crossing {
    /// Whether a token with this key and id lies in the prefix ending here.
    pub(crate) fn keeps(self, key: u32, id: u32) -> bool {
        key > self.key || (key == self.key && id <= self.id)
    }

    /// The longer of two prefixes of the same order.
    fn later(self, other: Crossing) -> Crossing {
        if self.keeps(other.key, other.id) {
            self
        } else {
            other
        }
    }
}

/// The smallest prefix (keys descending, ids ascending) of the survivors
/// `{x >= t}` of the whole buffer whose mass reaches `need`, by a radix
/// select on the keys (8 bits per pass, 4 passes, a 256-bucket `u64` mass
/// histogram on the stack), then a walk over the ties at the cut key in id
/// order. `None` when the whole set does not exceed `need` (all stay).
fn crossing(
    k: Kernels,
    xs: &[f32],
    t: f32,
    mass: StreamMass,
    mut need: u64,
    key: impl Fn(f32) -> u32 + Copy,
) -> Option<Crossing> {
    let mut hist = [0u64; 256];
    let mut prefix = 0u32;
    for level in 0..4u32 {
        let shift = 24 - 8 * level;
        hist.fill(0);
        let filter = (level > 0).then_some((shift + 8, prefix));
        for_each_mass(k, xs, t, mass, key, filter, |key, m| {
            if let Some(h) = hist.get_mut(((key >> shift) & 0xff) as usize) {
                *h += m;
            }
        });
        if level == 0 && need >= hist.iter().sum() {
            return None;
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
    // The ties at the cut key, in id order, until the rest of the need is met
    // (ties at a logit weigh the same; at a distance they may not).
    let mut acc = 0u64;
    for (i, &x) in xs.iter().enumerate() {
        if x >= t && key(x) == prefix {
            acc += mass.of(x);
            if acc >= need {
                return Some(Crossing {
                    key: prefix,
                    id: i as u32,
                });
            }
        }
    }
    debug_assert!(false, "the cut key's ties hold the rest of the need");
    None
}

/// The crossing of `rule` (its mass and its count) in the order of `key`.
fn rule_crossing(
    k: Kernels,
    xs: &[f32],
    t: f32,
    mass: StreamMass,
    rule: Rule,
    key: impl Fn(f32) -> u32 + Copy,
) -> Option<Crossing> {
    let (need, count) = rule.needs();
    let by_mass = crossing(k, xs, t, mass, need, key)?;
    if count > 1 {
        // `None`: fewer than `count` survivors, so all stay.
        let by_count = crossing(k, xs, t, StreamMass::Count, count, key)?;
        Some(by_mass.later(by_count))
    } else {
        Some(by_mass)
    }
}

/// The same selection as [`prefix_in_scratch`] (order [`Order::Rank`]) over
/// the survivors `{x >= t}` of the whole buffer. Returns the new threshold;
/// excluded ties at it are overwritten by `-inf`.
pub(crate) fn prefix_streaming(
    k: Kernels,
    xs: &mut [f32],
    t: f32,
    mass: StreamMass,
    rule: Rule,
) -> f32 {
    let Some(cut) = rule_crossing(k, xs, t, mass, rule, order_key) else {
        return t;
    };
    for (i, x) in xs.iter_mut().enumerate() {
        if order_key(*x) == cut.key && !cut.keeps(cut.key, i as u32) {
            *x = f32::NEG_INFINITY;
        }
    }
    from_order_key(cut.key)
}

/// [`prefix_in_scratch`] in a [`Distance`] order over the survivors
/// `{x >= t}` of the whole buffer: every survivor outside the prefix is
/// overwritten by `-inf` (the threshold stays).
pub(crate) fn distance_streaming(
    k: Kernels,
    xs: &mut [f32],
    t: f32,
    mass: StreamMass,
    rule: Rule,
    d: Distance,
) {
    let key = |x: f32| d.key(x);
    let Some(cut) = rule_crossing(k, xs, t, mass, rule, key) else {
        return;
    };
    for (i, x) in xs.iter_mut().enumerate() {
        if *x >= t && !cut.keeps(key(*x), i as u32) {
            *x = f32::NEG_INFINITY;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_mul_is_exact() {
        assert_eq!(ceil_mul(0.5, 10), 5);
        assert_eq!(ceil_mul(0.5, 11), 6);
        assert_eq!(ceil_mul(0.25, 4), 1);
        assert_eq!(ceil_mul(0.75, 1 << 62), 3 << 60);
        // 0.9f32 is slightly below 0.9, 0.1f32 slightly above 0.1.
        assert_eq!(ceil_mul(0.9, 10), 9);
        assert_eq!(ceil_mul(0.1, 10), 2);
        assert_eq!(ceil_mul(f32::from_bits(1), 1 << 62), 1);
        assert_eq!(ceil_mul(0.0, 1 << 62), 0);
        let p = 1.0f32.next_down();
        assert_eq!(ceil_mul(p, 1 << 24), (1 << 24) - 1);
        assert_eq!(ceil_mul(p, (1 << 24) + 1), 1 << 24);
        // Both branches (shift `s` at most 32, and beyond: p below 2^-9)
        // against exact u128 arithmetic, over p across the binades and
        // totals across the u64 range.
        // Powers of two and their odd multiples make exact products in both
        // branches (an inexact flag set by a wrong mask shows there).
        let ps = (0..=126)
            .map(|e| f32::from_bits((e as u32) << 23 | 0x35_5555))
            .chain((1..=126).map(|e| f32::from_bits((e as u32) << 23)))
            .chain((1..=126).map(|e| f32::from_bits((e as u32) << 23 | 0x40_0000)))
            .chain([
                f32::from_bits(1),
                f32::from_bits(0x7f_ffff),
                0.001,
                0.1,
                0.9,
                0.95,
            ]);
        for p in ps.filter(|p| *p < 1.0) {
            let bits = p.to_bits();
            let (m, e) = match bits >> 23 {
                0 => ((bits & 0x7f_ffff) as u128, 1),
                b => ((bits & 0x7f_ffff | 0x80_0000) as u128, b),
            };
            let s = 150 - e; // p = m * 2^-s
            for total in [
                1u64,
                3,
                1 << 30,
                (1 << 41) + 7,
                0x1234_5678_9abc,
                u64::MAX >> 2,
                1 << 40,
                5 << 50,
                1 << 62,
            ] {
                let product = m * total as u128;
                let whole = product.checked_shr(s).unwrap_or(0) as u64;
                let rest = if s >= 128 {
                    product
                } else {
                    product & ((1u128 << s) - 1)
                };
                let exact = whole + (rest != 0) as u64;
                assert_eq!(ceil_mul(p, total), exact, "p {p:e} total {total}");
            }
        }
    }

    #[test]
    fn order_keys_order_like_the_logits() {
        let xs = [
            f32::NEG_INFINITY,
            -f32::MAX,
            -1.5,
            -f32::MIN_POSITIVE,
            -f32::from_bits(1),
            0.0,
            f32::from_bits(1),
            f32::MIN_POSITIVE,
            1.0,
            f32::MAX,
            f32::INFINITY,
        ];
        for pair in xs.windows(2) {
            assert!(order_key(pair[0]) < order_key(pair[1]), "{pair:?}");
        }
        for x in xs {
            assert_eq!(from_order_key(order_key(x)).to_bits(), x.to_bits());
        }
        assert_eq!(order_key(-0.0), order_key(0.0));
        assert_eq!(from_order_key(order_key(-0.0)).to_bits(), 0);
    }

    /// Candidates with many ties (few distinct logits) and `-0.0`/`+0.0`.
    fn candidates(n: usize, salt: u32) -> std::vec::Vec<Candidate> {
        (0..n as u32)
            .map(|i| {
                let h = (i ^ salt).wrapping_mul(0x9e37_79b9) >> 27;
                let logit = match h % 7 {
                    0 => -0.0,
                    1 => 0.0,
                    v => v as f32 - 4.5,
                };
                Candidate {
                    id: (i * 7 + salt) % 1000,
                    logit,
                }
            })
            .collect()
    }

    /// The prefix by definition: sort by the order, walk until the mass is reached.
    fn brute_force(
        cands: &[Candidate],
        masses: &[u64],
        order: Order,
        need: u64,
        count: usize,
    ) -> std::vec::Vec<u32> {
        let mut idx: std::vec::Vec<usize> = (0..cands.len()).collect();
        idx.sort_by(|&a, &b| {
            let (x, y) = (cands[a], cands[b]);
            match order {
                Order::Rank => y.logit.partial_cmp(&x.logit).unwrap().then(x.id.cmp(&y.id)),
                Order::Id => x.id.cmp(&y.id),
                // By the distance itself (not the key), in f64.
                Order::Distance(d) => {
                    let dist = |l: f32| ((l - d.max) * d.inv_t - d.center).abs();
                    dist(x.logit)
                        .partial_cmp(&dist(y.logit))
                        .unwrap()
                        .then(x.id.cmp(&y.id))
                }
            }
        });
        let mut acc = 0;
        let mut out = std::vec::Vec::new();
        for i in idx {
            out.push(cands[i].id);
            acc += masses[i];
            if acc >= need.max(1) && out.len() >= count {
                break;
            }
        }
        out.sort();
        out
    }

    #[test]
    fn prefix_in_scratch_is_the_definition() {
        // Under Miri (slow) a sample of the sizes: insertion only, one
        // partition, several.
        let sizes: std::vec::Vec<usize> = if cfg!(miri) {
            std::vec![1, 2, 16, 17, 40]
        } else {
            (1..40).chain([61, 130]).collect()
        };
        for n in sizes {
            for salt in 0..if cfg!(miri) { 1 } else { 3 } {
                let cands = candidates(n, salt);
                let masses: std::vec::Vec<u64> =
                    (0..n as u64).map(|i| (i * 13 + salt as u64) % 5).collect();
                let total: u64 = masses.iter().sum();
                let distance = Order::Distance(Distance {
                    max: 1.0,
                    inv_t: 0.5,
                    center: -0.75,
                });
                // A build without the shape stages compiles typical-p's order
                // out of `prefix_in_scratch` (no caller there makes it).
                let orders = if crate::config::SHAPES {
                    &[Order::Rank, Order::Id, distance][..]
                } else {
                    &[Order::Rank, Order::Id][..]
                };
                for &order in orders {
                    // (Callers' sets always weigh something: the max token has 2^30.)
                    let needs = [1, total / 3, total / 2 + 1, total.saturating_sub(1), total];
                    let needs = needs.into_iter().filter(|&need| total > 0 && need <= total);
                    // With a count to hold too (min_keep), beyond the mass's prefix.
                    let counts = [0, n / 2 + 1, n];
                    for (need, count) in needs.flat_map(|need| counts.map(|c| (need, c))) {
                        // Masses beside.
                        let mut c = cands.clone();
                        let mut m: std::vec::Vec<f32> =
                            masses.iter().map(|&q| f32::from_bits(q as u32)).collect();
                        let kept = prefix_in_scratch(
                            &mut c,
                            Masses::Beside(&mut m),
                            order,
                            Rule::reach(need).at_least(count),
                        );
                        let mut got: std::vec::Vec<u32> = c[..kept].iter().map(|c| c.id).collect();
                        got.sort();
                        // (At `need == total` the smallest prefix leaves out
                        // trailing zero masses.)
                        let want = brute_force(&cands, &masses, order, need, count);
                        assert_eq!(
                            got, want,
                            "n {n} salt {salt} {order:?} need {need} count {count}"
                        );
                        // Survivors keep their logits (the order keys are undone).
                        for s in &c[..kept] {
                            let orig = cands.iter().find(|o| o.id == s.id).unwrap();
                            assert_eq!(s.logit, orig.logit);
                        }
                        // Masses moved with their candidates.
                        for (s, q) in c[..kept].iter().zip(&m) {
                            let i = cands.iter().position(|o| o.id == s.id).unwrap();
                            assert_eq!(q.to_bits() as u64, masses[i]);
                        }
                    }
                    // Count masses: top-k.
                    let k = (n / 3).max(1) as u64;
                    let mut c = cands.clone();
                    let kept = prefix_in_scratch(&mut c, Masses::Count, order, Rule::reach(k));
                    let mut got: std::vec::Vec<u32> = c[..kept].iter().map(|c| c.id).collect();
                    got.sort();
                    let ones = std::vec![1u64; n];
                    assert_eq!(
                        got,
                        brute_force(&cands, &ones, order, k, 0),
                        "top-{k} of {n}"
                    );
                }
            }
        }
    }

    #[test]
    fn prefix_by_rank_is_the_definition_in_the_order_it_was_given() {
        // Under Miri (slow): a short set, one across registers, the largest,
        // and every seventh rule.
        let sizes: std::vec::Vec<usize> = if cfg!(miri) {
            std::vec![2, 17, RANKED]
        } else {
            (0..=RANKED + 1).chain([100]).collect()
        };
        for b in crate::kernels::Backend::available() {
            let k = b.kernels().unwrap();
            for n in sizes.iter().copied() {
                // Distinct logits (856 i mod the prime 1009), the set in
                // ascending id as a gather leaves it ...
                let distinct: std::vec::Vec<Candidate> = (0..n)
                    .map(|i| Candidate {
                        id: (i * 7) as u32,
                        logit: ((i * 856) % 1009) as f32 * 0.01 - 3.0,
                    })
                    .collect();
                // ... the same in another order (the kept ones keep it) ...
                let mut scrambled = distinct.clone();
                scrambled.rotate_left(n / 2);
                if n > 1 {
                    scrambled.swap(0, n - 1);
                }
                // ... with one tie, across top-k's cut at n / 3 (the id
                // decides: the counts alone would not) ...
                let mut one_tie = distinct.clone();
                if n >= 3 {
                    let mut by_logit: std::vec::Vec<usize> = (0..n).collect();
                    by_logit.sort_by(|&a, &b| distinct[b].logit.total_cmp(&distinct[a].logit));
                    let (a, b) = (by_logit[n / 3 - 1], by_logit[n / 3]);
                    one_tie[b].logit = one_tie[a].logit;
                }
                // ... and many ties (-0.0 beside 0.0 among them): the quickselect's.
                let tied = candidates(n, 1);
                let sets = [
                    (distinct, false),
                    (scrambled, false),
                    (one_tie, n >= 3),
                    (tied, true),
                ];
                // (Under Miri the quickselect's own tests cover the many ties.)
                for (cands, ties) in sets.into_iter().take(if cfg!(miri) { 3 } else { 4 }) {
                    // Some zero masses, never the first.
                    let masses: std::vec::Vec<u64> = (0..n as u64)
                        .map(|i| (i * 13 + 1) % 5 + (i % 2) * 1000)
                        .collect();
                    let total: u64 = masses.iter().sum();
                    // (Callers' sets always weigh something, and ask for at most their mass.)
                    let needs = [1, total / 3, total / 2 + 1, total.saturating_sub(1), total];
                    let needs = needs.into_iter().filter(|&need| need >= 1 && need <= total);
                    // By count: k with and without a `count` (min_keep) beyond it.
                    let count_rules = [1, n / 3, n.saturating_sub(1), n, n + 1]
                        .into_iter()
                        .flat_map(|c| [0, n / 2].map(|count| (c as u64, count, true)));
                    let mass_rules =
                        needs.flat_map(|need| [0, n / 2 + 1, n].map(|count| (need, count, false)));
                    let rules = count_rules.chain(mass_rules);
                    for (need, count, by_count) in rules.step_by(if cfg!(miri) { 7 } else { 1 }) {
                        let (mut c, mut m): (std::vec::Vec<_>, std::vec::Vec<f32>) = (
                            cands.clone(),
                            masses.iter().map(|&q| f32::from_bits(q as u32)).collect(),
                        );
                        let rule = Rule::reach(need).at_least(count);
                        let kept = if by_count {
                            prefix_by_rank(k, &mut c, Masses::Count, rule)
                        } else {
                            prefix_by_rank(k, &mut c, Masses::Beside(&mut m), rule)
                        };
                        let ones = std::vec![1u64; n];
                        let weights = if by_count { &ones } else { &masses };
                        let want = brute_force(&cands, weights, Order::Rank, need, count);
                        let mut got: std::vec::Vec<u32> = c[..kept].iter().map(|c| c.id).collect();
                        let what =
                            || std::format!("{b:?} n {n} ties {ties} need {need} count {count}");
                        // The rank path keeps the order it was given, which
                        // the quickselect does not.
                        if !ties && k.lanes() >= 8 && n <= RANKED {
                            let at = |id: &u32| cands.iter().position(|o| o.id == *id);
                            let positions: std::vec::Vec<_> = got.iter().map(at).collect();
                            assert!(positions.is_sorted(), "{}", what());
                        }
                        got.sort();
                        assert_eq!(got, want, "{}", what());
                        for (s, q) in c[..kept].iter().zip(&m) {
                            let i = cands.iter().position(|o| o.id == s.id).unwrap();
                            // (The quickselect's order keys turn -0.0 into +0.0.)
                            assert_eq!(s.logit, cands[i].logit, "{}", what());
                            if !by_count {
                                assert_eq!(q.to_bits() as u64, masses[i], "{}", what());
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn sorts_by_insertion_and_by_heap() {
        for n in [2, 5, 24, 25, 100] {
            let mut c = candidates(n, 9);
            let mut m: std::vec::Vec<f32> = (0..n as u32).map(f32::from_bits).collect();
            let ids: std::vec::Vec<u32> = c.iter().map(|c| c.id).collect();
            for x in c.iter_mut() {
                x.logit = f32::from_bits(order_key(x.logit));
            }
            let mut set = Selection {
                cands: &mut c,
                masses: Masses::Beside(&mut m),
                order: ByBits::RANK,
            };
            set.sort(0, n);
            for i in 1..n {
                assert!(set.key(i - 1) > set.key(i), "n {n}: not in order at {i}");
            }
            // Each mass (here: the original position) still sits beside its candidate.
            for (cand, q) in c.iter().zip(&m) {
                assert_eq!(ids[q.to_bits() as usize], cand.id);
            }
        }
        // A range inside the set (as the selection's remainder is): sorted,
        // with everything outside it left where it was.
        for (n, lo, hi) in [(12, 3, 9), (40, 5, 35), (100, 30, 90), (100, 1, 100)] {
            let mut c = candidates(n, 4);
            for x in c.iter_mut() {
                x.logit = f32::from_bits(order_key(x.logit));
            }
            let before = c.clone();
            let mut m: std::vec::Vec<f32> = (0..n as u32).map(f32::from_bits).collect();
            let mut set = Selection {
                cands: &mut c,
                masses: Masses::Beside(&mut m),
                order: ByBits::RANK,
            };
            set.sort(lo, hi);
            for i in lo + 1..hi {
                assert!(
                    set.key(i - 1) > set.key(i),
                    "{lo}..{hi}: not in order at {i}"
                );
            }
            for i in (0..lo).chain(hi..n) {
                let bits = |x: &Candidate| (x.id, x.logit.to_bits());
                assert_eq!(bits(&c[i]), bits(&before[i]), "{lo}..{hi} moved {i}");
                assert_eq!(m[i].to_bits(), i as u32, "{lo}..{hi} moved mass {i}");
            }
            for (cand, q) in c.iter().zip(&m) {
                assert_eq!(before[q.to_bits() as usize].id, cand.id);
            }
        }
    }

    /// The kernels' mass pass over copied logits (SIMD backends) writes what
    /// `w.fixed` gives per candidate: at every length around a block's 16,
    /// under a real weighting (masses from 2^30 down to 0) and the uniform
    /// one (every mass 2^30: the block padding must stay out of the sum).
    #[test]
    fn fill_masses_is_w_fixed_on_every_backend() {
        for n in [0usize, 1, 15, 16, 17, 40, 100] {
            let cands: std::vec::Vec<Candidate> = (0..n as u32)
                .map(|i| Candidate {
                    id: 3 * i,
                    logit: 2.0 - (i as f32) * 0.6,
                })
                .collect();
            let weightings = [
                Weighting {
                    max: 2.0,
                    inv_t: 1.0,
                },
                Weighting::UNIFORM,
            ];
            for w in weightings {
                let want: std::vec::Vec<u32> = cands.iter().map(|c| w.fixed(c.logit)).collect();
                let total: u64 = want.iter().map(|&q| q as u64).sum();
                for b in crate::kernels::Backend::available() {
                    let k = b.kernels().unwrap();
                    // One slot more than the candidates: it must stay untouched.
                    let mut masses = std::vec![7.5f32; n + 1];
                    assert_eq!(fill_masses(k, &cands, &mut masses, w), total, "{b:?} n {n}");
                    let got: std::vec::Vec<u32> = masses[..n].iter().map(|m| m.to_bits()).collect();
                    assert_eq!(got, want, "{b:?} n {n}");
                    assert_eq!(masses[n], 7.5, "{b:?} n {n}");
                }
            }
        }
    }

    #[test]
    fn partition_puts_the_higher_ranked_first() {
        for n in [3, 4, 17, 50] {
            let mut c = candidates(n, 5);
            let mut set = Selection {
                cands: &mut c,
                masses: Masses::Count,
                order: ByBits::ID,
            };
            let p = set.partition(0, n);
            let pivot = set.key(p);
            assert!((0..p).all(|i| set.key(i) > pivot), "n {n}");
            assert!((p + 1..n).all(|i| set.key(i) < pivot), "n {n}");
        }
    }

    /// The pivot is the median of the range's first, middle and last keys
    /// (what keeps a sorted or reversed input from costing O(m^2)), its
    /// index is inside the range, the range keeps its candidates and
    /// nothing outside it moves; with masses beside, each mass moves with
    /// its candidate.
    #[test]
    fn partition_pivots_on_the_median_of_three() {
        for n in [3usize, 4, 5, 17, 50] {
            for (lo, hi) in [(0, n), (1, n), (0, n - 1), (n / 3, n)] {
                if hi - lo < 3 {
                    continue;
                }
                let sorted = {
                    let mut c = candidates(n, 3);
                    c.sort_by_key(|c| c.id);
                    c
                };
                let mut reversed = sorted.clone();
                reversed.reverse();
                // Distinct ids in no order (7919 is coprime with 1009).
                let scrambled: std::vec::Vec<Candidate> = (0..n as u32)
                    .map(|i| Candidate {
                        id: (i * 7919 + 13) % 1009,
                        logit: 0.0,
                    })
                    .collect();
                for (what, original) in [
                    ("scrambled", scrambled),
                    ("in order", sorted.clone()),
                    ("reversed", reversed),
                ] {
                    let key = |c: &Candidate| (u32::MAX - c.id) as u64;
                    let mid = lo + (hi - 1 - lo) / 2;
                    let mut three = [&original[lo], &original[mid], &original[hi - 1]].map(key);
                    three.sort();
                    let mut c = original.clone();
                    let mut m: std::vec::Vec<f32> =
                        c.iter().map(|c| f32::from_bits(c.id)).collect();
                    let mut set = Selection {
                        cands: &mut c,
                        masses: Masses::Beside(&mut m),
                        order: ByBits::ID,
                    };
                    let p = set.partition(lo, hi);
                    let at = std::format!("{what}, n {n}, {lo}..{hi}");
                    assert!(lo <= p && p < hi, "{at}: pivot index {p}");
                    let pivot = set.key(p);
                    assert_eq!(pivot, three[1], "{at}: not the median of three");
                    assert!((lo..p).all(|i| set.key(i) > pivot), "{at}");
                    assert!((p + 1..hi).all(|i| set.key(i) < pivot), "{at}");
                    assert_eq!(c[..lo], original[..lo], "{at}: before the range");
                    assert_eq!(c[hi..], original[hi..], "{at}: after the range");
                    let mut ids: std::vec::Vec<u32> = c[lo..hi].iter().map(|c| c.id).collect();
                    let mut want: std::vec::Vec<u32> =
                        original[lo..hi].iter().map(|c| c.id).collect();
                    ids.sort();
                    want.sort();
                    assert_eq!(ids, want, "{at}: the range's candidates");
                    assert!(
                        c.iter().zip(&m).all(|(c, m)| m.to_bits() == c.id),
                        "{at}: a mass left its candidate"
                    );
                }
            }
        }
    }
}
