//! A history window, and its distinct tokens, sorted, with their counts.
//!
//! Penalties need "how often was token t seen"; DRY needs "the longest
//! repetition each token would extend". Without a heap, both use a sorted
//! copy of the window on the stack (at most `HISTORY` ids): a heapsort,
//! O(n log n) for a window of n, no panic path, then binary searches.

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

    /// Token `j`, counting from the oldest (0) to the newest (`len - 1`).
    pub(crate) fn get(&self, j: usize) -> u32 {
        let i = self.start + j;
        let t = match i.checked_sub(self.older.len()) {
            None => self.older.get(i),
            Some(k) => self.newer.get(k),
        };
        debug_assert!(j < self.len && t.is_some(), "window index out of range");
        t.copied().unwrap_or(0)
    }

    /// The tokens, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a u32> + 'a {
        self.older.iter().chain(self.newer).skip(self.start)
    }
}

/// A sorted, deduplicated copy of a window.
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
    /// `H` if longer) with their counts. In place: a tally is `8 H` bytes,
    /// which a by-value return would copy on a microcontroller's stack.
    pub(crate) fn fill<'a>(&mut self, window: impl Iterator<Item = &'a u32>) {
        let mut n = 0;
        for (slot, &t) in self.ids.iter_mut().zip(window) {
            *slot = t;
            n += 1;
        }
        let sorted = self.ids.get_mut(..n).unwrap_or_default();
        heapsort_by_key(sorted, |t| t);
        let mut len = 0;
        for i in 0..n {
            let t = sorted.get(i).copied().unwrap_or(0);
            if len > 0 && sorted.get(len - 1) == Some(&t) {
                if let Some(c) = self.counts.get_mut(len - 1) {
                    *c += 1;
                }
            } else {
                if let Some(slot) = sorted.get_mut(len) {
                    *slot = t;
                }
                if let Some(c) = self.counts.get_mut(len) {
                    *c = 1;
                }
                len += 1;
            }
        }
        self.len = len;
    }

    /// `(token, count)` in ascending token order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let ids = self.ids.get(..self.len).unwrap_or_default();
        ids.iter().copied().zip(self.counts.iter().copied())
    }

    /// The position of `token`, if the window holds it.
    pub(crate) fn position(&self, token: u32) -> Option<usize> {
        self.ids
            .get(..self.len)
            .unwrap_or_default()
            .binary_search(&token)
            .ok()
    }
}

/// Sorts `xs` by `key`, ascending, in place: heapsort (no recursion, no
/// panic path, unlike core's sorts, whose total-order checks can panic).
pub(crate) fn heapsort_by_key<K: Ord>(xs: &mut [u32], key: impl Fn(u32) -> K) {
    let n = xs.len();
    for start in (0..n / 2).rev() {
        sift(xs, start, n, &key);
    }
    for end in (1..n).rev() {
        swap(xs, 0, end);
        sift(xs, 0, end, &key);
    }
}

/// `xs.swap(a, b)` without its bounds check's panic path (both are in
/// bounds at every call; out of bounds would swap nothing).
fn swap(xs: &mut [u32], a: usize, b: usize) {
    if let (Some(&x), Some(&y)) = (xs.get(a), xs.get(b)) {
        if let Some(s) = xs.get_mut(a) {
            *s = y;
        }
        if let Some(s) = xs.get_mut(b) {
            *s = x;
        }
    }
}

fn sift<K: Ord>(xs: &mut [u32], mut root: usize, end: usize, key: &impl Fn(u32) -> K) {
    let at = |xs: &[u32], i: usize| key(xs.get(i).copied().unwrap_or(0));
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            break;
        }
        if child + 1 < end && at(xs, child + 1) > at(xs, child) {
            child += 1;
        }
        if at(xs, child) <= at(xs, root) {
            break;
        }
        swap(xs, root, child);
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn heapsort_sorts_by_key() {
        let mut state = 12345u32;
        for n in [0usize, 1, 2, 3, 7, 64, 200] {
            let mut xs: Vec<u32> = (0..n)
                .map(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    state % 17
                })
                .collect();
            let mut want = xs.clone();
            want.sort_by_key(|&x| (x % 5, x));
            heapsort_by_key(&mut xs, |x| (x % 5, x));
            assert_eq!(xs, want, "n = {n}");
        }
    }

    #[test]
    fn tally_counts_distinct_tokens() {
        let window = [5u32, 3, 5, 9, 3, 5, 0];
        let mut t: Tally<8> = Tally::EMPTY;
        t.fill(window.iter());
        let got: Vec<(u32, u32)> = t.iter().collect();
        assert_eq!(got, [(0, 1), (3, 2), (5, 3), (9, 1)]);
        assert_eq!(t.position(5), Some(2));
        assert_eq!(t.position(4), None);
        let w = Window::last(&[1, 2], &[3, 4, 5], 4);
        assert_eq!(w.iter().copied().collect::<Vec<_>>(), [2, 3, 4, 5]);
        assert_eq!((w.len(), w.get(0), w.get(1), w.get(3)), (4, 2, 3, 5));
        assert_eq!(Window::last(&[1, 2], &[], 9).len(), 2);
        // A window longer than the tally's capacity keeps the first H.
        let mut t: Tally<2> = Tally::EMPTY;
        t.fill(window.iter());
        assert_eq!(t.iter().collect::<Vec<_>>(), [(3, 1), (5, 1)]);
    }
}
