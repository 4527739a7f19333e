//! Vose's alias method: O(n) construction, O(1) per draw.
//!
//! Every column `i` holds a threshold and an alias: a draw picks a column
//! uniformly and keeps `i` if a second uniform falls under the threshold, else
//! takes the alias. Construction pairs each under-full column with an over-full
//! one; the two work lists are linked lists threaded through the alias array
//! itself (an entry's alias is written exactly when it leaves the "small" list),
//! so no memory beyond the table is needed.

use rand_core::Rng;

use super::inverse_cdf::validate_weights;
use crate::error::SampleError;

const NONE: u32 = u32::MAX;

/// A Vose alias table over at most `N` weights, stored inline (8 bytes per entry).
#[derive(Clone, Debug)]
pub struct AliasTable<const N: usize> {
    /// Probability of keeping the drawn column, in units of the column (`<= 1`).
    keep: [f32; N],
    alias: [u32; N],
    len: usize,
}

impl<const N: usize> AliasTable<N> {
    /// Builds the table for `weights` (any non-negative scale; they are normalised).
    ///
    /// Errors: empty, more than `N` entries, a negative/NaN/infinite weight, or a
    /// zero total.
    pub fn new(weights: &[f32]) -> Result<Self, SampleError> {
        validate_weights(weights)?;
        if weights.len() > N {
            return Err(SampleError::CapacityExceeded {
                len: weights.len(),
                capacity: N,
            });
        }
        let total: f64 = weights.iter().map(|w| *w as f64).sum();
        if total <= 0.0 {
            return Err(SampleError::ZeroTotalWeight);
        }
        let n = weights.len();
        let mut table = Self {
            keep: [0.0; N],
            alias: [NONE; N],
            len: n,
        };
        let scale = n as f64 / total;
        let (mut small, mut large) = (NONE, NONE);
        // Push in reverse so both lists pop in ascending index order.
        for (i, w) in weights.iter().enumerate().rev() {
            let mass = (*w as f64 * scale) as f32;
            let (keep, link) = (table.keep.get_mut(i), table.alias.get_mut(i));
            if let (Some(keep), Some(link)) = (keep, link) {
                *keep = mass;
                let list = if mass < 1.0 { &mut small } else { &mut large };
                *link = *list;
                *list = i as u32;
            }
        }
        while small != NONE && large != NONE {
            let s = small;
            small = table.link(s);
            table.set_alias(s, large);
            // The large column gives away what s lacks: 1 - keep[s].
            let rest = table.keep_of(large) - (1.0 - table.keep_of(s));
            table.set_keep(large, rest);
            if rest < 1.0 {
                let l = large;
                large = table.link(l);
                table.set_alias(l, small);
                small = l;
            }
        }
        // Whatever is left is full up to rounding: it keeps itself.
        for mut list in [small, large] {
            while list != NONE {
                let next = table.link(list);
                table.set_keep(list, 1.0);
                table.set_alias(list, list);
                list = next;
            }
        }
        Ok(table)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a table has at least one entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Draws an index with probability proportional to its weight.
    ///
    /// Consumes exactly one `next_u64`: the high 32 bits pick the column
    /// (multiply-shift, no modulo bias beyond 2^-32), the low 24 bits the coin.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        let bits = rng.next_u64();
        let column = (((bits >> 32) * self.len as u64) >> 32) as u32;
        let coin = (bits as u32 >> 8) as f32 * (1.0 / (1u32 << 24) as f32);
        if coin < self.keep_of(column) {
            column
        } else {
            self.link(column)
        }
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
    fn set_alias(&mut self, i: u32, v: u32) {
        if let Some(a) = self.alias.get_mut(i as usize) {
            *a = v;
        }
    }
}
