//! Vose's alias method: O(n) construction, O(1) per draw.
//!
//! Every column `i` holds a threshold and an alias: a draw picks a column
//! uniformly and keeps `i` if a second uniform falls under the threshold, else
//! takes the alias. Construction pairs each under-full column with an over-full
//! one; the two work lists are linked lists threaded through the alias array
//! itself (an entry's alias is written exactly when it leaves the "small" list),
//! so no memory beyond the table is needed.
//!
//! The construction is exact: each weight becomes an integer mass `q_i`
//! (`MassScale`, as `sample_inverse_cdf` uses: the largest in `[2^29, 2^30)`),
//! column `i` starts with height `n q_i` and every column holds `Q = Σ q`,
//! all in `u64`. Integer pairing never drifts (a float construction's rounding
//! decides which columns end "full"), so each column's share is exactly
//! `q / Q`; the only rounding is each threshold's conversion to the `f32` the
//! draw compares with its 24-bit coin (`h as f32 / Q as f32`, within 1.5 ulp). Only two heights ever change: that of the
//! over-full column being drawn down and that of a column it leaves
//! under-full; every other column's height is recomputed from its weight, so
//! the table needs no scratch space. A weight below half a mass unit (at
//! most `max * 2^-30`) has mass 0 and is never drawn.
//!
//! The table is built in place ([`AliasTable::rebuild`]), so a large one can
//! live in a `static` (an empty table is all zeros: it goes to `.bss`, costing
//! no flash) or on the heap, and be rebuilt for each new distribution with no
//! stack temporary of the table's size. [`AliasTable::new`] is `empty` plus
//! `rebuild`. Entries beyond the current length are always zero, so a table
//! rebuilt with fewer weights is, bit for bit, the table `new` would build.

use rand_core::Rng;

use super::inverse_cdf::validate_weights;
use crate::error::SampleError;
use crate::kernels::{Kernels, MassScale};

/// The end of the construction's work lists (never a column: `len <= u32::MAX`).
const NONE: u32 = u32::MAX;

/// A Vose alias table over at most `CAP` weights, stored inline (8 bytes per entry).
///
/// ```
/// use std::sync::Mutex;
/// use logit_sampler::{AliasTable, Pcg32, SampleError};
/// use logit_sampler::rand_core::SeedableRng;
///
/// // Const-constructed and all zeros: in `.bss`, never on the stack.
/// static TABLE: Mutex<AliasTable<4096>> = Mutex::new(AliasTable::empty());
///
/// # fn main() -> Result<(), SampleError> {
/// let mut table = TABLE.lock().unwrap();
/// let mut rng = Pcg32::seed_from_u64(1);
/// assert_eq!(table.try_sample(&mut rng), Err(SampleError::Empty));
/// table.rebuild(&[1.0, 0.0, 3.0])?;
/// assert_ne!(table.sample(&mut rng), 1); // weight 0: never drawn
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AliasTable<const CAP: usize> {
    /// Probability of keeping the drawn column, in units of the column (`<= 1`).
    /// Zero beyond `len`.
    keep: [f32; CAP],
    /// The column's alias (during construction: the next entry of its work
    /// list). Zero beyond `len`.
    alias: [u32; CAP],
    len: usize,
}

impl<const CAP: usize> Default for AliasTable<CAP> {
    /// The empty table ([`AliasTable::empty`]).
    fn default() -> Self {
        Self::empty()
    }
}

impl<const CAP: usize> AliasTable<CAP> {
    /// A table with no entries, to be filled by [`rebuild`](Self::rebuild).
    /// Drawing from it is an error ([`try_sample`](Self::try_sample)).
    ///
    /// All its bytes are zero, so a `static` holding one lives in `.bss`.
    pub const fn empty() -> Self {
        Self {
            keep: [0.0; CAP],
            alias: [0; CAP],
            len: 0,
        }
    }

    /// Builds the table for `weights` (any non-negative scale; they are
    /// normalised): [`empty`](Self::empty) then [`rebuild`](Self::rebuild).
    ///
    /// Errors: as [`rebuild`](Self::rebuild).
    pub fn new(weights: &[f32]) -> Result<Self, SampleError> {
        let mut table = Self::empty();
        table.rebuild(weights)?;
        Ok(table)
    }

    /// Rebuilds the table in place for `weights` (any non-negative scale; they
    /// are normalised), forgetting the previous distribution entirely: the
    /// result is bit for bit the table [`new`](Self::new) builds. O(n) time in
    /// the new length plus the old one, no stack beyond a few words.
    ///
    /// Errors: empty, more than `CAP` entries, a negative/NaN/infinite weight (with
    /// its index), or a zero total. Every check runs before anything is
    /// written: on error the table is exactly as it was, and draws from it
    /// are unchanged.
    pub fn rebuild(&mut self, weights: &[f32]) -> Result<(), SampleError> {
        let max = validate_weights(Kernels::SCALAR, weights)?;
        if weights.len() > CAP {
            return Err(SampleError::CapacityExceeded {
                len: weights.len(),
                capacity: CAP,
            });
        }
        if max == 0.0 {
            return Err(SampleError::ZeroTotalWeight);
        }
        // Valid: from here on nothing fails. Clear what the old table held beyond
        // the new length (entries below it are all overwritten by the first pass).
        let n = weights.len();
        if let Some(tail) = self.keep.get_mut(n..self.len) {
            tail.fill(0.0);
        }
        if let Some(tail) = self.alias.get_mut(n..self.len) {
            tail.fill(0);
        }
        self.len = n;
        let scale = MassScale::for_max(max);
        // A column's starting height, `n q_i`, and the capacity of each, `Q`
        // (below 2^62: fewer than 2^32 masses below 2^30). Q >= 2^29: the
        // largest weight's mass.
        let height =
            |i: u32| n as u64 * weights.get(i as usize).map_or(0, |w| scale.mass(*w)) as u64;
        let full: u64 = weights.iter().map(|w| scale.mass(*w) as u64).sum();
        let (mut small, mut large) = (NONE, NONE);
        // Push in reverse so both lists pop in ascending index order.
        for i in (0..n as u32).rev() {
            let list = if height(i) < full {
                &mut small
            } else {
                &mut large
            };
            self.set_alias(i, *list);
            *list = i;
        }
        // `under`: a column the last step left under-full, with its height;
        // `over`: the over-full column being drawn down, with its height.
        let (mut under, mut over) = (None, None);
        loop {
            let next_small = under
                .take()
                .or_else(|| self.pop(&mut small).map(|s| (s, height(s))));
            let Some((s, hs)) = next_small else { break };
            let next_large = over
                .take()
                .or_else(|| self.pop(&mut large).map(|l| (l, height(l))));
            let (l, hl) = match next_large {
                Some(column) => column,
                None => {
                    // Only under-full columns left: impossible, as the heights
                    // sum to `full` per column. Kept whole should it happen.
                    debug_assert!(false, "an under-full column with no over-full one");
                    under = Some((s, hs));
                    break;
                }
            };
            // s keeps `hs` of its `full` and takes the rest from l.
            self.set_keep(s, hs as f32 / full as f32);
            self.set_alias(s, l);
            // hl >= full > full - hs: no underflow.
            let rest = hl - (full - hs);
            if rest < full {
                under = Some((l, rest));
            } else {
                over = Some((l, rest));
            }
        }
        // Whatever is left is exactly full: it keeps itself.
        for (column, _) in under.into_iter().chain(over) {
            self.set_keep(column, 1.0);
            self.set_alias(column, column);
        }
        for mut list in [small, large] {
            while let Some(column) = self.pop(&mut list) {
                self.set_keep(column, 1.0);
                self.set_alias(column, column);
            }
        }
        Ok(())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a table that holds no distribution ([`empty`](Self::empty)).
    /// A table built by [`new`](Self::new) or [`rebuild`](Self::rebuild) has at
    /// least one entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Draws an index with probability proportional to its weight.
    ///
    /// Consumes exactly one `next_u64`: the high 32 bits pick the column
    /// (multiply-shift, no modulo bias beyond 2^-32), the low 24 bits the coin.
    /// On an empty table it consumes nothing and returns `u32::MAX`, which is
    /// never an index; [`try_sample`](Self::try_sample) says so with an error.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        self.try_sample(rng).unwrap_or(NONE)
    }

    /// [`sample`](Self::sample), or [`SampleError::Empty`] (consuming no
    /// randomness) if the table is empty.
    pub fn try_sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<u32, SampleError> {
        if self.len == 0 {
            return Err(SampleError::Empty);
        }
        let bits = rng.next_u64();
        let column = (((bits >> 32) * self.len as u64) >> 32) as u32;
        let coin = (bits as u32 >> 8) as f32 * (1.0 / (1u32 << 24) as f32);
        Ok(if coin < self.keep_of(column) {
            column
        } else {
            self.link(column)
        })
    }

    fn keep_of(&self, i: u32) -> f32 {
        self.keep.get(i as usize).copied().unwrap_or(0.0)
    }
    fn set_keep(&mut self, i: u32, v: f32) {
        if let Some(k) = self.keep.get_mut(i as usize) {
            *k = v;
        }
    }
    fn link(&self, i: u32) -> u32 {
        self.alias.get(i as usize).copied().unwrap_or(NONE)
    }
    /// The head of a work list (threaded through `alias`), which then
    /// starts at the next entry; `None` when the list is empty.
    fn pop(&self, list: &mut u32) -> Option<u32> {
        let head = *list;
        (head != NONE).then(|| {
            *list = self.link(head);
            head
        })
    }
    fn set_alias(&mut self, i: u32, v: u32) {
        if let Some(a) = self.alias.get_mut(i as usize) {
            *a = v;
        }
    }
}

/// The construction's list threading: every column ends with an alias inside
/// the table and a keep in [0, 1], and the probability each index gets back,
/// `(keep_i + sum over columns aliasing to i of (1 - keep_j)) / n`, is its
/// weight's share (up to f32 rounding). Small enough for Miri.
#[cfg(test)]
mod tests {
    use super::AliasTable;

    fn check(weights: &[f32]) {
        let table: AliasTable<64> = AliasTable::new(weights).unwrap();
        let n = weights.len();
        let total: f64 = weights.iter().map(|w| *w as f64).sum();
        let mut got = std::vec![0.0f64; n];
        for i in 0..n {
            let (keep, alias) = (table.keep[i], table.alias[i] as usize);
            assert!(
                (0.0..=1.0).contains(&keep),
                "{weights:?}: keep[{i}] = {keep}"
            );
            got[i] += keep as f64;
            if keep < 1.0 {
                assert!(alias < n, "{weights:?}: alias[{i}] = {alias}");
                got[alias] += 1.0 - keep as f64;
            }
        }
        for i in 0..n {
            let want = weights[i] as f64 / total;
            assert!(
                (got[i] / n as f64 - want).abs() < 1e-6,
                "{weights:?}: index {i}"
            );
        }
        // Entries beyond the length are zero (what `rebuild` keeps).
        assert!(table.keep[n..].iter().all(|k| *k == 0.0));
        assert!(table.alias[n..].iter().all(|a| *a == 0));
    }

    /// Small tables worked by hand in integers (masses `q`, column capacity
    /// `Q = Σ q`, starting heights `n q`): the exact thresholds and aliases,
    /// including an over-full column left under-full and drawn on again.
    #[test]
    fn exact_pairing_worked_by_hand() {
        let cases: [(&[f32], &[f32], &[u32]); 4] = [
            // q = 2^28 [1, 3], Q = 2^30, heights [Q/2, 3Q/2].
            (&[1.0, 3.0], &[0.5, 1.0], &[1, 1]),
            // q = 2^28 [1, 1, 2], heights [3Q/4, 3Q/4, 3Q/2]: both small
            // columns draw on the large one, which ends exactly full.
            (&[1.0, 1.0, 2.0], &[0.75, 0.75, 1.0], &[2, 2, 2]),
            // Heights [3Q, 0, 0, Q]: the zeros alias to 0; 3 is full from the start.
            (&[3.0, 0.0, 0.0, 1.0], &[1.0, 0.0, 0.0, 1.0], &[0, 0, 0, 3]),
            // Heights [3Q/2, Q/2, Q/2, 3Q/2]: 1 and 2 draw 0 down to Q/2,
            // which then draws on 3.
            (&[3.0, 1.0, 1.0, 3.0], &[0.5, 0.5, 0.5, 1.0], &[3, 0, 0, 3]),
        ];
        for (weights, keep, alias) in cases {
            let table: AliasTable<8> = AliasTable::new(weights).unwrap();
            let n = weights.len();
            assert_eq!(&table.keep[..n], keep, "{weights:?}");
            assert_eq!(&table.alias[..n], alias, "{weights:?}");
        }
        // A weight below half a unit (here 2^-30) has mass 0: never kept, never aliased to.
        let table: AliasTable<8> = AliasTable::new(&[1.0, 1e-10]).unwrap();
        assert_eq!((table.keep[1], table.alias[1]), (0.0, 0));
        assert_eq!(table.keep[0], 1.0);
    }

    #[test]
    fn lists_thread_every_column() {
        check(&[1.0]);
        check(&[1.0, 3.0]);
        check(&[0.0, 1.0, 0.0, 3.0]);
        check(&[1.0, 1.0, 2.0]);
        check(&[5.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        let ramp: std::vec::Vec<f32> = (0..50).map(|i| ((i * 37) % 11) as f32).collect();
        check(&ramp);
        check(&[1e-30, 1.0, 1e30]);
    }
}
