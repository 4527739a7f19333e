//! Per-request constraints: a logit bias and an allowed-token bitmask.
//!
//! The mask is the format XGrammar and llguidance produce: bit `i % 32` of
//! word `i / 32` set means token `i` may be drawn. It is applied in runs of
//! whole words: a run of all-zero words is one `fill(-inf)` (a vectorised
//! store), a run of all-one words is skipped (and read for the max by the
//! SIMD max kernel), and only mixed words go bit by bit. A grammar's mask is
//! mostly made of such runs.
//!
//! Validation reads and never writes: token ranges, bias values, the mask's
//! length, and whether any token is left with a logit above `-inf`. Only
//! then [`Constraints::apply`] writes: `-inf` for disallowed tokens, then each
//! bias in slice order (`-inf` bans; a finite bias is added, saturating at
//! `±f32::MAX` so it never makes a token certain or impossible).

use super::{MaxTracker, saturate};
use crate::error::SampleError;
use crate::kernels::Kernels;

/// Per-request constraints for [`Sampler::sample_with`](crate::Sampler::sample_with),
/// applied before every other stage. `Default` constrains nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Constraints<'a> {
    /// `(token, bias)`: the bias is added to the token's logit; `-inf` bans it.
    /// Entries apply in order; a token may appear more than once.
    pub logit_bias: &'a [(u32, f32)],
    /// Allowed tokens: bit `i % 32` of word `i / 32` set means token `i` may
    /// be drawn (XGrammar's and llguidance's format). At least
    /// `(vocab + 31) / 32` words; bits past the vocabulary are ignored.
    pub allowed: Option<&'a [u32]>,
}

/// Most finite bias entries a call takes (any number of `-inf` bans): the
/// call keeps the original logit of each on its stack (4 bytes each) to
/// report the model's log-probability of a biased token.
pub const MAX_FINITE_BIAS: usize = 128;

/// A stretch of the vocabulary by what the mask says about it.
enum Run {
    /// Every token in the range is allowed.
    Allowed(core::ops::Range<usize>),
    /// No token in the range is allowed.
    Banned(core::ops::Range<usize>),
    /// Tokens `start..start + len` (`len <= 32`), allowed where `bits` is set.
    Mixed { start: usize, bits: u32, len: usize },
}

/// Calls `f` on the runs of `mask` over a vocabulary of `n`, in id order.
fn for_each_run(mask: &[u32], n: usize, mut f: impl FnMut(Run)) {
    let full = n / 32;
    let mut w = 0;
    while w < full {
        let word = mask.get(w).copied().unwrap_or(0);
        if word == u32::MAX || word == 0 {
            let mut end = w + 1;
            while end < full && mask.get(end) == Some(&word) {
                end += 1;
            }
            let range = w * 32..end * 32;
            f(if word == 0 {
                Run::Banned(range)
            } else {
                Run::Allowed(range)
            });
            w = end;
        } else {
            f(Run::Mixed {
                start: w * 32,
                bits: word,
                len: 32,
            });
            w += 1;
        }
    }
    if !n.is_multiple_of(32) {
        f(Run::Mixed {
            start: full * 32,
            bits: mask.get(full).copied().unwrap_or(0),
            len: n % 32,
        });
    }
}

/// Whether `token`'s bit is set.
fn allowed(mask: Option<&[u32]>, token: usize) -> bool {
    match mask {
        None => true,
        Some(m) => m
            .get(token / 32)
            .is_some_and(|w| w >> (token % 32) & 1 == 1),
    }
}

impl Constraints<'_> {
    /// Every check of a call, without writing: the logits (empty, too long,
    /// NaN, all `-inf`: `logits::scan`'s errors, first), then the
    /// constraints. Returns the largest logit and the largest allowed one.
    /// With a mask of the right length, one pass does both maxima.
    pub(crate) fn scan_and_check(&self, k: Kernels, xs: &[f32]) -> Result<(f32, f32), SampleError> {
        let n = xs.len();
        let mask = self.allowed.filter(|m| m.len() >= n.div_ceil(32));
        let (max, max_allowed) = match mask {
            Some(mask) if n > 0 && u32::try_from(n).is_ok() => {
                let scan = masked_scan(k, xs, mask);
                if let Some(index) = scan.nan {
                    return Err(SampleError::NanLogit { index });
                }
                if scan.max == f32::NEG_INFINITY {
                    return Err(SampleError::NoCandidates);
                }
                (scan.max, scan.max_allowed)
            }
            _ => {
                let max = crate::logits::scan(k, xs)?;
                (max, max)
            }
        };
        let mut finite = 0;
        for (index, &(token, bias)) in self.logit_bias.iter().enumerate() {
            if token as usize >= n {
                return Err(SampleError::TokenOutOfRange { token, vocab: n });
            }
            if bias.is_nan() || bias == f32::INFINITY {
                return Err(SampleError::InvalidLogitBias { index, bias });
            }
            finite += bias.is_finite() as usize;
        }
        if finite > MAX_FINITE_BIAS {
            return Err(SampleError::CapacityExceeded {
                len: finite,
                capacity: MAX_FINITE_BIAS,
            });
        }
        if let Some(m) = self.allowed
            && mask.is_none()
        {
            return Err(SampleError::MaskTooShort {
                words: m.len(),
                needed: n.div_ceil(32),
            });
        }
        if max_allowed == f32::NEG_INFINITY {
            return Err(SampleError::NoTokenAllowed);
        }
        // A ban can only empty the set if it hits a token holding the max.
        let banned = |t: usize| {
            self.logit_bias
                .iter()
                .any(|&(b, v)| b as usize == t && v == f32::NEG_INFINITY)
        };
        let max_banned = self.logit_bias.iter().any(|&(t, b)| {
            b == f32::NEG_INFINITY
                && xs.get(t as usize) == Some(&max_allowed)
                && allowed(self.allowed, t as usize)
        });
        if max_banned {
            // Look for any allowed, unbanned token above -inf. Every token
            // passed over is banned, so this stops within `bias.len() + 1`
            // candidates (plus the -inf ones it skips).
            let open = xs
                .iter()
                .enumerate()
                .any(|(t, &x)| x > f32::NEG_INFINITY && allowed(self.allowed, t) && !banned(t));
            if !open {
                return Err(SampleError::NoTokenAllowed);
            }
        }
        Ok((max, max_allowed))
    }

    /// Writes the constraints into `xs` (after [`Self::check`] passed and
    /// returned `max_allowed`). `originals[j]` receives the logit the `j`-th
    /// finite bias entry found before it added to it.
    pub(crate) fn apply(
        &self,
        xs: &mut [f32],
        max_allowed: f32,
        originals: &mut [f32; MAX_FINITE_BIAS],
    ) -> MaxTracker {
        if let Some(mask) = self.allowed {
            let n = xs.len();
            for_each_run(mask, n, |run| match run {
                Run::Allowed(_) => {}
                Run::Banned(range) => {
                    if let Some(s) = xs.get_mut(range) {
                        s.fill(f32::NEG_INFINITY);
                    }
                }
                Run::Mixed { start, bits, len } => {
                    for j in 0..len {
                        if bits >> j & 1 == 0
                            && let Some(x) = xs.get_mut(start + j)
                        {
                            *x = f32::NEG_INFINITY;
                        }
                    }
                }
            });
        }
        let mut tracker = MaxTracker::new(max_allowed);
        let mut finite = originals.iter_mut();
        for &(token, bias) in self.logit_bias {
            if let Some(x) = xs.get_mut(token as usize) {
                let new = if bias == f32::NEG_INFINITY {
                    f32::NEG_INFINITY
                } else {
                    if let Some(o) = finite.next() {
                        *o = *x;
                    }
                    if x.is_finite() {
                        saturate(*x + bias)
                    } else {
                        *x
                    }
                };
                tracker.rewrite(*x, new);
                *x = new;
            }
        }
        tracker
    }

    /// The logit token `token` had before the bias, if a finite bias entry
    /// changed it (`originals` as [`Self::apply`] filled it).
    pub(crate) fn original(&self, token: u32, originals: &[f32; MAX_FINITE_BIAS]) -> Option<f32> {
        self.logit_bias
            .iter()
            .filter(|&&(_, b)| b.is_finite())
            .zip(originals.iter())
            .find(|&(&(t, _), _)| t == token)
            .map(|(_, &o)| o)
    }
}

/// The max/NaN scan under a mask, in one read pass: the largest logit, the
/// largest allowed one (`-inf` if none) and the first NaN.
struct MaskedScan {
    max: f32,
    max_allowed: f32,
    nan: Option<usize>,
}

/// Runs of whole words go through the SIMD max/NaN kernel (the run's
/// maximum counts as allowed or not as a whole); mixed words element by element.
fn masked_scan(k: Kernels, xs: &[f32], mask: &[u32]) -> MaskedScan {
    let larger = crate::filter::larger;
    let mut out = MaskedScan {
        max: f32::NEG_INFINITY,
        max_allowed: f32::NEG_INFINITY,
        nan: None,
    };
    for_each_run(mask, xs.len(), |run| {
        if out.nan.is_some() {
            return;
        }
        let allowed = matches!(run, Run::Allowed(_));
        match run {
            Run::Allowed(range) | Run::Banned(range) => {
                let start = range.start;
                let scan = k.max_nan(xs.get(range).unwrap_or_default());
                match scan.nan {
                    Some(i) => out.nan = Some(start + i),
                    None => {
                        out.max = larger(out.max, scan.max);
                        if allowed {
                            out.max_allowed = larger(out.max_allowed, scan.max);
                        }
                    }
                }
            }
            Run::Mixed { start, bits, len } => {
                for j in 0..len {
                    let x = xs.get(start + j).copied().unwrap_or(0.0);
                    if x.is_nan() {
                        out.nan = Some(start + j);
                        return;
                    }
                    out.max = larger(out.max, x);
                    if bits >> j & 1 == 1 {
                        out.max_allowed = larger(out.max_allowed, x);
                    }
                }
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn runs(mask: &[u32], n: usize) -> Vec<(char, usize, usize)> {
        let mut out = Vec::new();
        for_each_run(mask, n, |r| {
            out.push(match r {
                Run::Allowed(r) => ('A', r.start, r.end),
                Run::Banned(r) => ('B', r.start, r.end),
                Run::Mixed { start, len, .. } => ('M', start, start + len),
            })
        });
        out
    }

    #[test]
    fn runs_cover_the_vocabulary_in_order() {
        let mask = [!0, !0, 0, 0, 5, !0, 3];
        assert_eq!(
            runs(&mask, 7 * 32 - 4),
            [
                ('A', 0, 64),
                ('B', 64, 128),
                ('M', 128, 160),
                ('A', 160, 192),
                ('M', 192, 220)
            ]
        );
        // A full last word is a run like the others.
        assert_eq!(runs(&[0, 0], 64), [('B', 0, 64)]);
        assert_eq!(runs(&[1], 1), [('M', 0, 1)]);
    }

    #[test]
    fn masked_scan_finds_both_maxima_and_the_first_nan() {
        let mut xs: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let mut mask = [0u32; 4];
        for t in [3usize, 40, 70] {
            mask[t / 32] |= 1 << (t % 32);
        }
        let scan = |xs: &[f32], m: &[u32]| {
            let s = masked_scan(Kernels::SCALAR, xs, m);
            (s.max, s.max_allowed, s.nan)
        };
        assert_eq!(scan(&xs, &mask), (99.0, 70.0, None));
        mask[3] = !0; // tokens 96..99 (bits past 99 ignored)
        assert_eq!(scan(&xs, &mask), (99.0, 99.0, None));
        assert_eq!(scan(&xs, &[0; 4]), (99.0, f32::NEG_INFINITY, None));
        // The first NaN, in a banned run, an allowed run or a mixed word.
        xs[50] = f32::NAN;
        xs[80] = f32::NAN;
        assert_eq!(scan(&xs, &[0; 4]).2, Some(50));
        assert_eq!(scan(&xs, &[!0; 4]).2, Some(50));
        assert_eq!(scan(&xs, &[0, 1, 0, 0]).2, Some(50));
    }
}
