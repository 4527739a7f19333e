//! DRY ("don't repeat yourself"), llama.cpp's port of koboldcpp's algorithm (by pi6am).
//!
//! Over the last `dry_penalty_last_n` accepted tokens (the window, `N` of them):
//!
//! 1. Sequence breakers cap the repetition length: the most recent complete
//!    occurrence of a breaker (a head token followed by its tail) leaves
//!    `rep_limit` tokens after it; no repetition may be longer. If fewer than
//!    `dry_allowed_length`, nothing is penalised.
//! 2. For every earlier position `j`, the length of the longest common suffix
//!    of `window[..=j]` and the whole window (capped at `rep_limit`): a
//!    Z-algorithm run backwards, linear in `N`, visiting only the positions
//!    where the newest token recurs (every other length is 0), found by a
//!    branch-free comparison 64 tokens at a time.
//! 3. Where that length `L >= dry_allowed_length`, the token that followed
//!    position `j` would extend the repetition: it gets the largest such `L`.
//! 4. Each such token, unless it is a one-token breaker, loses
//!    `dry_multiplier * dry_base^(L - dry_allowed_length)`, the exponent capped
//!    at `floor(88.7228391 / ln(base))` (for `base > 1.000001`), as llama.cpp.
//!
//! Differences from llama.cpp: a finite logit saturates at `-f32::MAX`
//! rather than reaching `-inf`, `+inf`/`-inf` logits are left alone (no
//! `inf - inf`), and `base^x` is [`powi`] (binary exponentiation) rather
//! than `powf`. Step 3's "largest L per token" goes through the penalties'
//! [`Tally`] (a small open-addressing index on the stack): O(N), no heap.

use super::window::{Tally, Window};
use super::{MaxTracker, saturate};
use crate::config::SamplerConfig;
use crate::error::SampleError;

/// Most sequence breakers a sampler holds.
pub const MAX_DRY_BREAKERS: usize = 16;
/// Most tokens in one breaker.
pub const MAX_DRY_BREAKER_LEN: usize = 20;
/// Most tokens in all breakers together.
pub const MAX_DRY_BREAKER_TOKENS: usize = 64;

/// DRY's sequence breakers, stored flat: breaker `i` is
/// `tokens[starts[i]..starts[i + 1]]` (its head, then its tail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Breakers {
    tokens: [u32; MAX_DRY_BREAKER_TOKENS],
    ends: [u8; MAX_DRY_BREAKERS],
    count: u8,
}

impl Breakers {
    pub(crate) const NONE: Breakers = Breakers {
        tokens: [0; MAX_DRY_BREAKER_TOKENS],
        ends: [0; MAX_DRY_BREAKERS],
        count: 0,
    };

    /// Validates and copies `breakers`.
    pub(crate) fn new(breakers: &[&[u32]]) -> Result<Self, SampleError> {
        if breakers.len() > MAX_DRY_BREAKERS {
            return Err(SampleError::CapacityExceeded {
                len: breakers.len(),
                capacity: MAX_DRY_BREAKERS,
            });
        }
        let total: usize = breakers.iter().map(|b| b.len()).sum();
        if total > MAX_DRY_BREAKER_TOKENS {
            return Err(SampleError::CapacityExceeded {
                len: total,
                capacity: MAX_DRY_BREAKER_TOKENS,
            });
        }
        let mut out = Self::NONE;
        let mut end = 0usize;
        for (index, b) in breakers.iter().enumerate() {
            if b.is_empty() || b.len() > MAX_DRY_BREAKER_LEN {
                return Err(SampleError::InvalidDryBreaker {
                    index,
                    len: b.len(),
                });
            }
            for &t in b.iter() {
                if let Some(slot) = out.tokens.get_mut(end) {
                    *slot = t;
                }
                end += 1;
            }
            if let Some(e) = out.ends.get_mut(index) {
                *e = end as u8;
            }
        }
        // At most MAX_DRY_BREAKERS (16): checked above.
        out.count = breakers.len() as u8;
        Ok(out)
    }

    /// Each breaker as a slice (head first).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u32]> {
        let ends = self.ends.get(..self.count as usize).unwrap_or_default();
        ends.iter().enumerate().map(|(i, &e)| {
            let start = match i.checked_sub(1) {
                Some(p) => self.ends.get(p).copied().unwrap_or(0),
                None => 0,
            };
            self.tokens
                .get(start as usize..e as usize)
                .unwrap_or_default()
        })
    }

    fn is_single_token_breaker(&self, token: u32) -> bool {
        self.iter().any(|b| b == [token])
    }

    /// Step 1: the longest repetition the most recent breaker allows
    /// (`rat.len()` if no breaker occurs). `rat[i]` is the token `i` places
    /// before the newest.
    fn rep_limit(&self, rat: &[u32]) -> usize {
        let n = rat.len();
        if self.count == 0 {
            return n;
        }
        let at = |i: usize| rat.get(i).copied();
        for i in 0..n {
            let head = at(i);
            let mut longest = None;
            for b in self.iter() {
                let tail = b.get(1..).unwrap_or_default();
                if b.first().copied() != head || tail.len() > i {
                    continue;
                }
                if longest.is_some_and(|l| tail.len() <= l) {
                    continue;
                }
                if tail
                    .iter()
                    .enumerate()
                    .all(|(k, &t)| at(i - k - 1) == Some(t))
                {
                    longest = Some(tail.len());
                }
            }
            if let Some(l) = longest {
                return i - l;
            }
        }
        n
    }
}

/// Applies DRY for window `w` to `xs`.
pub(crate) fn apply<const H: usize>(
    cfg: &SamplerConfig,
    breakers: &Breakers,
    w: &Window,
    xs: &mut [f32],
    tracker: &mut MaxTracker,
) {
    let n = w.len().min(H);
    let allowed = cfg.dry_allowed_length;
    if n <= allowed {
        return;
    }
    // The window newest first, copied once: the scans below index it
    // directly rather than through the history ring's two halves.
    let mut reversed = [0u32; H];
    let n = w.newest_first(reversed.get_mut(..n).unwrap_or_default());
    let rat = reversed.get(..n).unwrap_or_default();
    let limit = breakers.rep_limit(rat);
    if limit < allowed {
        return;
    }
    // Step 3: the largest length of each token that follows a qualifying
    // position. Position `j = n - 1 - k` (oldest first) is `rat[k]`, the
    // token after it `rat[k - 1]`, for `k` in `1..n`. With `allowed == 0`
    // every position qualifies, length 0 included; otherwise only those where
    // the newest token recurs can.
    let every = (1..if allowed == 0 { n } else { 0 }).map(|k| (k, 0));
    let mut longest: Tally<H> = Tally::EMPTY;
    longest.fill_max(
        every
            .chain(Repeats::<H>::new(rat, limit))
            .filter_map(|(k, len)| {
                let next = *rat.get(k - 1)?;
                (len >= allowed).then_some((next, len as u32))
            }),
    );
    let max_exponent = if cfg.dry_base > 1.000_001 {
        (88.722_84f32 / libm::logf(cfg.dry_base)) as usize
    } else {
        0
    };
    for (token, len) in longest.iter() {
        if breakers.is_single_token_breaker(token) {
            continue;
        }
        let Some(x) = xs.get_mut(token as usize) else {
            continue;
        };
        let mut exponent = len as usize - allowed;
        if max_exponent > 0 && exponent > max_exponent {
            exponent = max_exponent;
        }
        let new = penalised(cfg, *x, exponent);
        tracker.rewrite(*x, new);
        *x = new;
    }
}

/// `l - multiplier * base^exponent`; infinite logits unchanged, finite ones saturating.
pub(crate) fn penalised(cfg: &SamplerConfig, l: f32, exponent: usize) -> f32 {
    if !l.is_finite() {
        return l;
    }
    let penalty = cfg.dry_multiplier * powi(cfg.dry_base, exponent);
    saturate(l - penalty)
}

/// `base^e` by binary exponentiation in `f32` (squarings of `base`, multiplied
/// in from the lowest bit up): the same bits on every target, and no libm
/// `powf` (whose table lookups carry bounds checks into the no-panic core).
/// Within `2 log2(e) + 1` roundings of the exact power (llama.cpp's
/// `std::pow` is within one; DRY's exponents are small, and overflow gives
/// `+inf` like `powf`).
pub(crate) fn powi(base: f32, mut e: usize) -> f32 {
    let (mut result, mut square) = (1.0f32, base);
    while e > 0 {
        if e & 1 == 1 {
            result *= square;
        }
        e >>= 1;
        if e > 0 {
            square *= square;
        }
    }
    result
}

/// Step 2 as an iterator: `(k, L)` for each `k` in `1..rev.len()` where the
/// newest token `rev[0]` recurs, ascending, `L` the longest common suffix of
/// the window up to position `j = n - 1 - k` and the whole window, capped at
/// `limit` (every other position's is 0), by the Z-algorithm over the
/// reversed window `rev` (`rev[i]` = `w[n - 1 - i]`; llama.cpp's loop).
///
/// The positions are found 64 at a time as a bit mask (a branch-free
/// comparison the compiler vectorises), and only they are visited: any other
/// `k` has `rev[k] != rev[0]`, so its count is 0 whichever Z-branch it would
/// take (inside the Z-box `rev[k] == rev[k - lt]`, whose count is then 0
/// too), and it would not move the box.
struct Repeats<'a, const H: usize> {
    rev: &'a [u32],
    limit: usize,
    /// `counts[n - 1 - k]`: the (capped) length at `k`, once visited.
    counts: [u32; H],
    /// The Z-box `[lt, rt]`: `rev[lt..=rt]` equals `rev[..=rt - lt]`.
    lt: usize,
    rt: usize,
    /// The next 64-token word to compare, and the current word's positions
    /// still to visit.
    word: usize,
    bits: u64,
}

impl<'a, const H: usize> Repeats<'a, H> {
    fn new(rev: &'a [u32], limit: usize) -> Self {
        debug_assert!(rev.len() <= H, "a window within the history");
        Self {
            rev,
            limit,
            counts: [0; H],
            lt: 0,
            rt: 0,
            word: 0,
            bits: 0,
        }
    }

    fn rat(&self, i: usize) -> u32 {
        self.rev.get(i).copied().unwrap_or(0)
    }

    fn length_at(&self, k: usize) -> usize {
        let j = self.rev.len().wrapping_sub(1 + k);
        self.counts.get(j).copied().unwrap_or(0) as usize
    }

    /// The Z-algorithm's step at `k`: its length, recorded and capped.
    fn step(&mut self, k: usize) -> usize {
        let n = self.rev.len();
        let len = if k > self.rt {
            let mut len = 0;
            while len + k < n && self.rat(len) == self.rat(len + k) {
                len += 1;
            }
            if len > 0 {
                (self.lt, self.rt) = (k, k + len - 1);
            }
            len
        } else {
            let p = k - self.lt;
            let right = self.rt - k + 1;
            if self.length_at(p) < right {
                self.length_at(p)
            } else {
                let mut i = self.rt + 1;
                while i < n && self.rat(i) == self.rat(i - k) {
                    i += 1;
                }
                (self.lt, self.rt) = (k, i - 1);
                i - k
            }
        };
        let len = len.min(self.limit);
        let j = n.wrapping_sub(1 + k);
        if let Some(slot) = self.counts.get_mut(j) {
            *slot = len as u32;
        }
        len
    }
}

impl<const H: usize> Iterator for Repeats<'_, H> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        while self.bits == 0 {
            let start = self.word * 64;
            let chunk = self.rev.get(start..self.rev.len().min(start + 64))?;
            if chunk.is_empty() {
                return None;
            }
            let newest = self.rat(0);
            self.bits = match <&[u32; 64]>::try_from(chunk) {
                // A whole word's length is known: the compiler vectorises it.
                Ok(word) => mask(word, newest),
                Err(_) => mask(chunk, newest),
            };
            if self.word == 0 {
                // Position 0 is the suffix itself.
                self.bits &= !1;
            }
            self.word += 1;
        }
        let k = (self.word - 1) * 64 + self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some((k, self.step(k)))
    }
}

/// Bit `i` set iff `chunk[i] == token` (`chunk` at most 64 long).
#[inline(always)]
fn mask(chunk: &[u32], token: u32) -> u64 {
    chunk
        .iter()
        .enumerate()
        .fold(0, |bits, (i, &t)| bits | (u64::from(t == token) << i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Newest first.
    fn reversed(tokens: &[u32]) -> Vec<u32> {
        tokens.iter().rev().copied().collect()
    }

    /// Step 2's lengths, oldest position first (0 where none is reported).
    fn counts(tokens: &[u32], limit: usize) -> Vec<u32> {
        let n = tokens.len();
        let mut out = std::vec![0; n];
        for (k, len) in Repeats::<160>::new(&reversed(tokens), limit) {
            out[n - 1 - k] = len as u32;
        }
        out
    }

    /// The definition, by brute force.
    fn brute(tokens: &[u32], limit: usize) -> Vec<u32> {
        let n = tokens.len();
        (0..n)
            .map(|j| {
                if j == n - 1 {
                    return 0;
                }
                let mut l = 0;
                while l <= j && tokens[j - l] == tokens[n - 1 - l] {
                    l += 1;
                }
                l.min(limit) as u32
            })
            .collect()
    }

    #[test]
    fn repeats_match_the_source_example_and_brute_force() {
        // llama.cpp's comment: a b c c b c y a b c -> 0 0 3 1 0 2 0 0 0 0.
        assert_eq!(
            counts(&[0, 1, 2, 2, 1, 2, 9, 0, 1, 2], 99),
            [0, 0, 3, 1, 0, 2, 0, 0, 0, 0]
        );
        let mut state = 7u32;
        // Past 64 the recurrences are found a second and third mask word on
        // (under Miri, the word boundaries only: the brute force is O(n^2)).
        let long: &[usize] = if cfg!(miri) {
            &[64, 65, 129]
        } else {
            &[63, 64, 65, 66, 127, 128, 129, 150]
        };
        for n in (1..30).chain(long.iter().copied()) {
            for alphabet in [1u32, 2, 3] {
                let tokens: Vec<u32> = (0..n)
                    .map(|_| {
                        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                        (state >> 16) % alphabet
                    })
                    .collect();
                for limit in [0, 2, 5, 99] {
                    assert_eq!(
                        counts(&tokens, limit),
                        brute(&tokens, limit),
                        "{tokens:?} {limit}"
                    );
                }
            }
        }
    }

    #[test]
    fn powi_is_the_power() {
        assert_eq!(powi(1.75, 0), 1.0);
        assert_eq!(powi(1.75, 1), 1.75);
        assert_eq!(powi(2.0, 10), 1024.0);
        assert_eq!(powi(2.0, 128), f32::INFINITY);
        // Against the exact power of the f32 base: at most 2 log2(e) + 1
        // roundings of 2^-24 each.
        for e in 1..200usize {
            let exact = (1.1f32 as f64).powi(e as i32);
            let got = powi(1.1, e) as f64;
            let bound = (2.0 * (e as f64).log2() + 1.0) * 2f64.powi(-24);
            assert!(
                (got / exact - 1.0).abs() <= bound,
                "1.1^{e}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn breakers_validate_and_limit() {
        assert!(Breakers::new(&[&[]]).is_err());
        assert!(Breakers::new(&[&[1; 21]]).is_err());
        assert!(Breakers::new(&[&[1; 20], &[2; 20], &[3; 20], &[4; 5]]).is_err());
        assert!(Breakers::new(&[&[1u32][..]; 17]).is_err());
        let b = Breakers::new(&[&[7], &[3, 4]]).unwrap();
        assert_eq!(b.iter().collect::<Vec<_>>(), [&[7][..], &[3, 4][..]]);
        assert!(b.is_single_token_breaker(7) && !b.is_single_token_breaker(3));
        // 0 1 3 4 0 1: the breaker "3 4" ends 2 tokens before the end.
        let h = [0, 1, 3, 4, 0, 1];
        assert_eq!(b.rep_limit(&reversed(&h)), 2);
        // "3" alone is no breaker here, "7" is but does not occur.
        assert_eq!(Breakers::new(&[&[7]]).unwrap().rep_limit(&reversed(&h)), 6);
        // A breaker at the very end leaves no room.
        assert_eq!(Breakers::new(&[&[1]]).unwrap().rep_limit(&reversed(&h)), 0);
        // A tail that would reach past the newest token does not count.
        assert_eq!(
            Breakers::new(&[&[1, 5]]).unwrap().rep_limit(&reversed(&h)),
            6
        );
    }
}
