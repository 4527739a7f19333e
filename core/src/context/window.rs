//! A history window, and its distinct tokens with their counts.
//!
//! Penalties need "how often was token t seen", DRY "the longest repetition
//! each token would extend": both are a [`Tally`] (the distinct tokens, with
//! a count or a largest value), built in O(n) with a small hash index on the
//! stack. Neither uses a heap.

/// The longest penalty or DRY window a sampler takes (`penalty_last_n`,
/// `dry_penalty_last_n`), whatever its `HISTORY`: the windows' tallies index
/// their tokens with `u16`s. A longer window is `WindowExceedsHistory`.
pub const MAX_WINDOW: usize = u16::MAX as usize;

/// The last `len` tokens of a history, oldest first, as the two slices the
/// ring holds them in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window<'a> {
    older: &'a [u32],
    newer: &'a [u32],
    start: usize,
    len: usize,
}

impl<'a> Window<'a> {
    /// The last `n` (at most all) of the tokens `older ++ newer`.
    pub(crate) fn last(older: &'a [u32], newer: &'a [u32], n: usize) -> Self {
        let total = older.len() + newer.len();
        let len = n.min(total);
        Self {
            older,
            newer,
            start: total - len,
            len,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The newest `out.len()` (at most all) tokens, newest first, written
    /// into `out`; returns how many.
    pub(crate) fn newest_first(&self, out: &mut [u32]) -> usize {
        // Two plain reversed copies: a chained, zipped iterator here was a
        // tenth of DRY's time.
        let (older, newer) = self.parts();
        let mut n = 0;
        for part in [newer, older] {
            let room = out.get_mut(n..).unwrap_or_default();
            let take = room.len().min(part.len());
            let src = part.get(part.len() - take..).unwrap_or_default();
            for (slot, &t) in room.iter_mut().zip(src.iter().rev()) {
                *slot = t;
            }
            n += take;
        }
        n
    }

    /// The tokens, oldest first, as the ring's two slices (older, newer).
    pub(crate) fn parts(&self) -> (&'a [u32], &'a [u32]) {
        match self.start.checked_sub(self.older.len()) {
            None => (self.older.get(self.start..).unwrap_or_default(), self.newer),
            Some(skip) => (&[], self.newer.get(skip..).unwrap_or_default()),
        }
    }
}

/// The distinct tokens of a window, in order of first occurrence, each with
/// a value: its count ([`fill`](Self::fill)) or the largest value paired with
/// it ([`fill_max`](Self::fill_max)).
pub(crate) struct Tally<const H: usize> {
    ids: [u32; H],
    counts: [u32; H],
    len: usize,
}

impl<const H: usize> Tally<H> {
    /// No tokens.
    pub(crate) const EMPTY: Self = Self {
        ids: [0; H],
        counts: [0; H],
        len: 0,
    };

    /// Replaces the contents by the distinct tokens of `window` (its first
    /// `H` if longer) with their counts, calling `first(i, t)` as token `t`
    /// first appears (at position `i` of [`iter`](Self::iter)'s order). In
    /// place: a tally is `8 H` bytes, which a by-value return would copy on a
    /// microcontroller's stack.
    ///
    /// The window is read as the ring's two slices, not through a chained,
    /// skipping iterator (with the capture of each first-seen logit in
    /// `first`, the penalties' own cost at vocab 512 went 0.18 -> 0.14 us).
    pub(crate) fn fill(&mut self, window: &Window, mut first: impl FnMut(usize, u32)) {
        let mut index = [[0u16; 2]; H];
        self.len = 0;
        let (older, newer) = window.parts();
        let mut room = H.min(MAX_WINDOW);
        for part in [older, newer] {
            let part = part.get(..room.min(part.len())).unwrap_or_default();
            room -= part.len();
            for &t in part {
                if let Some(i) = self.add(&mut index, t, 1, |a, b| a + b) {
                    first(i, t);
                }
            }
        }
    }

    /// Replaces the contents by the distinct tokens of `pairs` (the first
    /// `H.min(MAX_WINDOW)` of them if there are more: later tokens' pairs are
    /// dropped), each with the largest value paired with it anywhere in
    /// `pairs`.
    pub(crate) fn fill_max(&mut self, pairs: impl Iterator<Item = (u32, u32)>) {
        let mut index = [[0u16; 2]; H];
        self.len = 0;
        for (t, v) in pairs {
            self.add(&mut index, t, v, u32::max);
        }
    }

    /// Adds the pair `(t, v)`: a new token is appended (its position is
    /// returned), a known one's value becomes `combine(value, v)`.
    ///
    /// O(1) expected: each token is looked up in an open-addressing `index`
    /// of `2 H` slots on the stack (`4 H` bytes; at most half full, so a
    /// lookup probes about one slot). A sort (the first way, for the
    /// penalties and for DRY) cost a mispredicted branch per comparison:
    /// about 1 µs a call for 64 tokens.
    ///
    /// Slot `s` is `index[s / 2][s % 2]` (an array of `2 * H` is not
    /// expressible for a generic `H`); 0 is empty, `i + 1` points at
    /// `ids[i]`. Positions fit a `u16`: no entry is added past
    /// `H.min(MAX_WINDOW)` (a window never holds more distinct tokens:
    /// `Sampler::new` refuses windows longer than `MAX_WINDOW`). (Probing
    /// the pairs as one flat run of slots took 321 fewer instructions a call
    /// but was no faster, 0.01-0.03 us slower at vocab 512.)
    #[inline(always)]
    fn add(
        &mut self,
        index: &mut [[u16; 2]; H],
        t: u32,
        v: u32,
        combine: impl Fn(u32, u32) -> u32,
    ) -> Option<usize> {
        let slots = 2 * H;
        // Fibonacci hashing, reduced to the slot range by a multiply.
        let mut s = ((t.wrapping_mul(0x9E37_79B9) as u64 * slots as u64) >> 32) as usize;
        // At most `H` slots are taken: a free one comes within `slots` probes.
        for _ in 0..slots {
            let slot = index.get_mut(s / 2).and_then(|p| p.get_mut(s % 2))?;
            if *slot == 0 {
                let len = self.len;
                if len >= H.min(MAX_WINDOW) {
                    // Full (the index counts entries in `u16`): a new token is
                    // dropped, the kept ones still combine.
                    return None;
                }
                if let (Some(id), Some(c)) = (self.ids.get_mut(len), self.counts.get_mut(len)) {
                    *id = t;
                    *c = v;
                }
                self.len += 1;
                *slot = self.len as u16;
                return Some(len);
            }
            let i = *slot as usize - 1;
            if self.ids.get(i) == Some(&t) {
                if let Some(c) = self.counts.get_mut(i) {
                    *c = combine(*c, v);
                }
                return None;
            }
            s = if s + 1 == slots { 0 } else { s + 1 };
        }
        None
    }

    /// The distinct tokens, in order of first occurrence in the window.
    #[cfg(feature = "context")]
    pub(crate) fn ids(&self) -> &[u32] {
        self.ids.get(..self.len).unwrap_or_default()
    }

    /// `(token, count)` in order of first occurrence in the window.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let ids = self.ids.get(..self.len).unwrap_or_default();
        ids.iter().copied().zip(self.counts.iter().copied())
    }

    /// The position of `token` in [`iter`](Self::iter)'s order, if the
    /// window holds it (a linear search: one lookup per call).
    #[cfg(any(feature = "context", test))]
    pub(crate) fn position(&self, token: u32) -> Option<usize> {
        self.ids
            .get(..self.len)
            .unwrap_or_default()
            .iter()
            .position(|&t| t == token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn tally_counts_distinct_tokens() {
        let window = [5u32, 3, 5, 9, 3, 5, 0];
        let mut t: Tally<8> = Tally::EMPTY;
        t.fill(&Window::last(&window[..2], &window[2..], 9), |_, _| {});
        let got: Vec<(u32, u32)> = t.iter().collect();
        assert_eq!(got, [(5, 3), (3, 2), (9, 1), (0, 1)]);
        assert_eq!(t.position(9), Some(2));
        assert_eq!(t.position(4), None);
        let w = Window::last(&[1, 2], &[3, 4, 5], 4);
        assert_eq!(w.parts(), (&[2][..], &[3, 4, 5][..]));
        assert_eq!(
            Window::last(&[1, 2], &[3, 4, 5], 2).parts(),
            (&[][..], &[4, 5][..])
        );
        assert_eq!(w.len(), 4);
        let mut out = [0u32; 6];
        assert_eq!((w.newest_first(&mut out), out), (4, [5, 4, 3, 2, 0, 0]));
        assert_eq!(
            (w.newest_first(&mut out[..3]), out),
            (3, [5, 4, 3, 2, 0, 0])
        );
        let w = Window::last(&[1, 2], &[3, 4, 5], 2);
        assert_eq!((w.newest_first(&mut out), out), (2, [5, 4, 3, 2, 0, 0]));
        let w = Window::last(&[1, 2], &[3], 3);
        out = [0; 6];
        assert_eq!((w.newest_first(&mut out), out), (3, [3, 2, 1, 0, 0, 0]));
        assert_eq!(Window::last(&[1, 2], &[], 9).len(), 2);
        // A window longer than the tally's capacity keeps the first H.
        let mut t: Tally<2> = Tally::EMPTY;
        t.fill(&Window::last(&[], &window, 7), |_, _| {});
        assert_eq!(t.iter().collect::<Vec<_>>(), [(5, 1), (3, 1)]);
        // ... cut across the ring's two slices: the older slice alone holds
        // more than H tokens (only its first two count), or fewer (the cut
        // continues into the newer one).
        t.fill(&Window::last(&[7, 5, 5, 5], &[9, 9], 5), |_, _| {});
        assert_eq!(t.iter().collect::<Vec<_>>(), [(5, 2)]);
        t.fill(&Window::last(&[7, 5], &[9, 9, 4], 4), |_, _| {});
        assert_eq!(t.iter().collect::<Vec<_>>(), [(5, 1), (9, 1)]);
        // More distinct tokens than entries: a third token is dropped, a
        // later pair of a kept one still counts (DRY pairs a token more than
        // once).
        t.fill_max([(5, 1), (6, 1), (7, 9), (5, 3), (6, 0)].into_iter());
        assert_eq!(t.iter().collect::<Vec<_>>(), [(5, 3), (6, 1)]);
    }

    /// Against a brute-force count, in order of first occurrence: windows
    /// from all-equal to all-distinct (every slot of the index probed), ids
    /// up to `u32::MAX`, and a capacity of 1.
    #[test]
    fn tally_matches_a_brute_force_count() {
        let mut state = 99u32;
        for (n, distinct) in [
            (64usize, 1u32),
            (64, 7),
            (64, 64),
            (63, 1 << 20),
            (1, 3),
            (0, 1),
        ] {
            let window: Vec<u32> = (0..n)
                .map(|i| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    if i % 9 == 4 {
                        u32::MAX - state % distinct
                    } else {
                        state % distinct
                    }
                })
                .collect();
            let mut want: Vec<(u32, u32)> = Vec::new();
            for &t in &window {
                match want.iter_mut().find(|(u, _)| *u == t) {
                    Some((_, c)) => *c += 1,
                    None => want.push((t, 1)),
                }
            }
            // The ring split anywhere; `first` sees each token as it first
            // appears, at its position.
            for split in [0, n / 3, n] {
                let (older, newer) = window.split_at(split);
                let mut t: Tally<64> = Tally::EMPTY;
                let mut firsts = Vec::new();
                t.fill(&Window::last(older, newer, n), |i, u| firsts.push((i, u)));
                assert_eq!(
                    t.iter().collect::<Vec<_>>(),
                    want,
                    "n {n}, {distinct} distinct, split {split}"
                );
                let want_firsts: Vec<(usize, u32)> =
                    want.iter().enumerate().map(|(i, &(u, _))| (i, u)).collect();
                assert_eq!(firsts, want_firsts);
            }
            // The largest value per token (DRY's use), values not in order.
            let pairs: Vec<(u32, u32)> = window
                .iter()
                .enumerate()
                .map(|(i, &t)| (t, (i as u32 * 37) % 11))
                .collect();
            let mut want_max: Vec<(u32, u32)> = Vec::new();
            for &(t, v) in &pairs {
                match want_max.iter_mut().find(|(u, _)| *u == t) {
                    Some((_, m)) => *m = (*m).max(v),
                    None => want_max.push((t, v)),
                }
            }
            let mut t: Tally<64> = Tally::EMPTY;
            t.fill_max(pairs.iter().copied());
            assert_eq!(t.iter().collect::<Vec<_>>(), want_max, "n {n}, max");
            for (i, &(u, _)) in want.iter().enumerate() {
                assert_eq!(t.position(u), Some(i));
            }
            let mut one: Tally<1> = Tally::EMPTY;
            one.fill(&Window::last(&[], &window, n), |_, _| {});
            assert_eq!(
                one.iter().collect::<Vec<_>>(),
                want.iter()
                    .take(1)
                    .map(|&(u, _)| (u, 1))
                    .collect::<Vec<_>>()
            );
        }
    }
}
