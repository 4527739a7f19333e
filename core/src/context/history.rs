//! The sampler's token history: a fixed ring of the last `H` accepted tokens.
//!
//! Why not `heapless::HistoryBuf`, the obvious container: its `write` and
//! `as_slices` index the ring with its cursor (`buffer[write_at]`,
//! `&buffer[write_at..]`), bounds checks LLVM cannot remove because nothing
//! tells it the cursor stays below `H`, so they linked `core::panicking`
//! into every sampling call and broke the crate's no-panic guarantee (the
//! panic-never link of `capi/check.sh` caught it). Here every access goes
//! through `get`, and the cursor is reduced modulo `H` where it is stored.

/// The last `H` tokens a sampler accepted, oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct History<const H: usize> {
    ring: [u32; H],
    /// Where the next token goes (always `< H`, or 0 when `H == 0`).
    next: usize,
    /// Tokens held (at most `H`).
    len: usize,
}

impl<const H: usize> History<H> {
    /// No tokens.
    pub const EMPTY: Self = Self {
        ring: [0; H],
        next: 0,
        len: 0,
    };

    /// Appends `token`, dropping the oldest when full (with `H == 0`, keeps nothing).
    pub(crate) fn write(&mut self, token: u32) {
        if let Some(slot) = self.ring.get_mut(self.next) {
            *slot = token;
            self.next = if self.next + 1 == H { 0 } else { self.next + 1 };
            self.len = if self.len < H { self.len + 1 } else { H };
        }
    }

    /// Forgets every token.
    pub(crate) fn clear(&mut self) {
        self.next = 0;
        self.len = 0;
    }

    /// Number of tokens held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no token is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The tokens as two slices, oldest first: `older` then `newer`.
    pub fn as_slices(&self) -> (&[u32], &[u32]) {
        if self.len < H {
            // Not wrapped yet: the tokens are ring[..len] (next == len).
            (self.ring.get(..self.len).unwrap_or_default(), &[])
        } else {
            let (newer, older) = self.ring.split_at_checked(self.next).unwrap_or((&[], &[]));
            (older, newer)
        }
    }

    /// The tokens, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = u32> + '_ {
        let (older, newer) = self.as_slices();
        older.iter().chain(newer).copied()
    }

    /// The most recent token.
    pub fn recent(&self) -> Option<u32> {
        self.iter().next_back()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn keeps_the_last_h_oldest_first() {
        let mut h: History<3> = History::EMPTY;
        assert!(h.is_empty() && h.recent().is_none());
        let mut all = Vec::new();
        for t in 10..20 {
            h.write(t);
            all.push(t);
            let want: Vec<u32> = all.iter().rev().take(3).rev().copied().collect();
            assert_eq!(h.iter().collect::<Vec<_>>(), want);
            assert_eq!((h.len(), h.recent()), (want.len(), Some(t)));
        }
        h.clear();
        assert_eq!(h.iter().count(), 0);
        h.write(7);
        assert_eq!(h.as_slices(), (&[7u32][..], &[][..]));
        let mut none: History<0> = History::EMPTY;
        none.write(1);
        assert!(none.is_empty());
    }
}
