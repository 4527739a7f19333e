//! Per-request constraints: a logit bias and an allowed-token bitmask.
//!
//! The mask is the format XGrammar and llguidance produce: bit `i % 32` of
//! word `i / 32` set means token `i` may be drawn. It is applied in runs of
//! whole words: a run of all-zero words is one `fill(-inf)` (a vectorised
//! store), a run of all-one words is skipped (and read for the max by the
//! SIMD max kernel), and only mixed words go bit by bit. A grammar's mask is
//! mostly made of such runs.
//!
//! Validation leaves the buffer as it found it (its scan holds the tokens
//! the rewrites will set at `-inf` while it runs and puts their logits
//! back): token ranges, bias values, the mask's length, and whether any
//! token is left with a logit above `-inf`. Only then [`Constraints::apply`]
//! writes: `-inf` for disallowed tokens, then each
//! bias in slice order (`-inf` bans; a finite bias is added, saturating at
//! `±f32::MAX` so it never makes a token certain or impossible).

use super::{MaxTracker, saturate};
use crate::error::SampleError;
use crate::kernels::{Candidate, Kernels};

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
            // Sixteen words per test while the run lasts (one OR of XORs, no
            // branch per word: a word at a time was 1.2 us of a dense mask's
            // 4 000 words, paid twice), then word by word to its end.
            let same = |c: &[u32]| c.iter().fold(0, |diff, &x| diff | (x ^ word)) == 0;
            while end + 16 <= full && mask.get(end..end + 16).is_some_and(same) {
                end += 16;
            }
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

/// The lowest `len` bits set (`len <= 32`).
fn low_bits(len: usize) -> u32 {
    1u32.checked_shl(len as u32).map_or(u32::MAX, |b| b - 1)
}

/// The tokens a constrained call rewrites besides the mask, which its
/// validation scan leaves out: the context window's, then the bias's (in
/// slice order, repeats included).
pub(crate) fn rewritten<'a>(
    window: &'a [u32],
    bias: &'a [(u32, f32)],
) -> impl Iterator<Item = u32> + 'a {
    window.iter().copied().chain(bias.iter().map(|e| e.0))
}

/// A largest logit as the max kernel reports it: `-0.0` as `+0.0`.
pub(crate) fn as_the_kernel_reports(max: f32) -> f32 {
    if max == 0.0 { 0.0 } else { max }
}

/// What the checks found.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Checked {
    /// The largest logit.
    pub(crate) max: f32,
    /// The largest allowed logit.
    pub(crate) max_allowed: f32,
    /// The largest allowed logit among the tokens no rewrite sets (the
    /// window's and the bias's left out), when the scan left those out: the
    /// maximum after the rewrites is then this or one of their new logits,
    /// with no second scan.
    pub(crate) rest: Option<f32>,
    /// With a mask whose allowed tokens above `-inf` fit the scratch: how
    /// many were gathered there.
    pub(crate) gathered: Option<usize>,
}

/// The tokens `mask` allows with a logit above `-inf`, in ascending id, into
/// `out`, and the largest allowed logit; `None` as soon as they do not fit
/// (so a dense mask costs a few words' worth of bits here).
fn gather_allowed(mask: &[u32], xs: &[f32], out: &mut [Candidate]) -> Option<(usize, f32)> {
    let (mut len, mut max) = (0usize, f32::NEG_INFINITY);
    let n = xs.len();
    // A count over the first words first, stopping once past the capacity:
    // a dense mask is told apart in a few words (an all-ones word counts 32
    // without a popcount) before any copy; a sparse one pays for twice the
    // capacity's words at most, and the copy below still stops if it overflows.
    let mut allowed = 0usize;
    let probe = n.div_ceil(32).min(out.len() / 16 + 2);
    for &word in mask.iter().take(probe) {
        allowed += match word {
            0 => 0,
            u32::MAX => 32,
            w => w.count_ones() as usize,
        };
        if allowed > out.len() + 32 {
            return None;
        }
    }
    let words = mask.get(..n.div_ceil(32)).unwrap_or_default();
    // Eight words (256 tokens) per test: most of a grammar's mask is zero
    // words, and a test and branch per word cost more than the copying.
    for (c, chunk) in words.chunks(8).enumerate() {
        if chunk.iter().fold(0, |any, &word| any | word) == 0 {
            continue;
        }
        for (k, &word) in chunk.iter().enumerate() {
            let w = c * 8 + k;
            let valid = if (w + 1) * 32 <= n {
                u32::MAX
            } else {
                low_bits(n % 32)
            };
            let mut push = |i: usize| -> Option<()> {
                let x = xs.get(i).copied().unwrap_or(f32::NEG_INFINITY);
                if x > f32::NEG_INFINITY {
                    *out.get_mut(len)? = Candidate {
                        id: i as u32,
                        logit: x,
                    };
                    len += 1;
                    max = crate::filter::larger(max, x);
                }
                Some(())
            };
            if word == u32::MAX && valid == u32::MAX {
                // A whole word allowed (a dense mask's usual word): no bit search.
                for i in w * 32..w * 32 + 32 {
                    push(i)?;
                }
                continue;
            }
            let mut rest = word & valid;
            while rest != 0 {
                push(w * 32 + rest.trailing_zeros() as usize)?;
                rest &= rest - 1;
            }
        }
    }
    Some((len, max))
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
    /// Every check of a call, leaving the caller's buffer as it was: the
    /// logits (empty, too long, NaN, all `-inf`: `logits::scan`'s errors,
    /// first), then the constraints.
    ///
    /// With a mask, its allowed tokens are first gathered into `scratch` by
    /// the mask's set bits (in ascending id, `-inf` ones left out): if they
    /// all fit, that is the candidate set, and the buffer needs only the
    /// plain scan and no `-inf` written over the other tokens. If they do
    /// not fit, one pass over the mask's runs does the scan and the allowed
    /// maximum together, and the mask is written later.
    ///
    /// Without the gathered set, the scan leaves out the tokens the rewrites
    /// will set: `window` (the history window's tokens and their logits,
    /// read before anything was written) and the bias's tokens (their logits
    /// saved in `scratch`, free then). They hold `-inf` during the scan and
    /// their logits again after it (so an error still leaves the buffer as it
    /// was); their own logits then join the maximum and the NaN check. A penalty or a
    /// ban on the token holding the maximum, the common case for the
    /// penalties (the likely tokens recur in the history), then costs no
    /// second scan ([`Checked::rest`]; at vocab 128 256 on AVX-512,
    /// `sample_constrained` with penalties went 14.6 -> 10.6 us, `sample`
    /// 10.5; banning the largest logit without penalties, 17.8 -> 10.1-10.6
    /// us, `sample` 9.8-10.3).
    pub(crate) fn scan_and_check(
        &self,
        k: Kernels,
        xs: &mut [f32],
        scratch: &mut [Candidate],
        window: (&[u32], &[f32]),
    ) -> Result<Checked, SampleError> {
        let n = xs.len();
        let mask = self.allowed.filter(|m| m.len() >= n.div_ceil(32));
        let gathered = match mask {
            Some(mask) if n > 0 && u32::try_from(n).is_ok() => gather_allowed(mask, xs, scratch),
            _ => None,
        };
        let checked = match gathered {
            Some((len, max_allowed)) => Checked {
                max: crate::logits::scan(k, xs)?,
                max_allowed,
                rest: None,
                gathered: Some(len),
            },
            None => self.scan_leaving_out(k, xs, mask, window, scratch)?,
        };
        let max_allowed = checked.max_allowed;
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
        Ok(checked)
    }

    /// The scan of [`Self::scan_and_check`] without a gathered set: length,
    /// NaN and "all `-inf`", the maximum and the allowed maximum, with the
    /// window's and the bias's tokens left out of the kernel's pass and added
    /// from their logits (`rest` the allowed maximum without them). The
    /// bias's logits are kept in `scratch` meanwhile (not on the stack: 512
    /// more bytes for `sample_with` on a microcontroller); a bias of more
    /// entries than it holds leaves nothing out.
    fn scan_leaving_out(
        &self,
        k: Kernels,
        xs: &mut [f32],
        mask: Option<&[u32]>,
        window: (&[u32], &[f32]),
        saved: &mut [Candidate],
    ) -> Result<Checked, SampleError> {
        let n = xs.len();
        if n == 0 {
            return Err(SampleError::Empty);
        }
        if u32::try_from(n).is_err() {
            return Err(SampleError::TooLong { len: n });
        }
        let leave_out = self.logit_bias.len() <= saved.len();
        let ((ids, logits), bias) = if leave_out {
            (window, self.logit_bias)
        } else {
            ((&[][..], &[][..]), &[][..])
        };
        // The bias's logits first: a token may also be in the window, or
        // biased twice, and every saved logit must be the caller's.
        for (slot, &(t, _)) in saved.iter_mut().zip(bias) {
            let logit = xs.get(t as usize).copied().unwrap_or(0.0);
            *slot = Candidate { id: t, logit };
        }
        for t in rewritten(ids, bias) {
            if let Some(x) = xs.get_mut(t as usize) {
                *x = f32::NEG_INFINITY;
            }
        }
        let scan = match mask {
            Some(mask) => masked_scan(k, xs, mask),
            None => {
                let s = k.max_nan(xs);
                MaskedScan {
                    max: s.max,
                    max_allowed: s.max,
                    nan: s.nan,
                }
            }
        };
        let left_out = || {
            ids.iter()
                .copied()
                .zip(logits.iter().copied())
                .chain(saved.iter().take(bias.len()).map(|c| (c.id, c.logit)))
        };
        for (t, v) in left_out() {
            if let Some(x) = xs.get_mut(t as usize) {
                *x = v;
            }
        }
        let larger = crate::filter::larger;
        let (mut max, mut max_allowed, mut nan) = (scan.max, scan.max_allowed, scan.nan);
        for (t, v) in left_out() {
            let t = t as usize;
            if t >= n {
                continue;
            }
            if v.is_nan() {
                nan = Some(nan.map_or(t, |i| i.min(t)));
            } else {
                max = larger(max, v);
                if allowed(mask, t) {
                    max_allowed = larger(max_allowed, v);
                }
            }
        }
        if let Some(index) = nan {
            return Err(SampleError::NanLogit { index });
        }
        if max == f32::NEG_INFINITY {
            return Err(SampleError::NoCandidates);
        }
        Ok(Checked {
            max: as_the_kernel_reports(max),
            max_allowed: as_the_kernel_reports(max_allowed),
            rest: leave_out.then_some(scan.max_allowed),
            gathered: None,
        })
    }

    /// Writes the constraints into `xs` (after [`Self::scan_and_check`]
    /// passed and returned `max_allowed`); the mask only if `write_mask`
    /// (not when its tokens were gathered).
    /// `originals[j]` receives the logit the `j`-th finite bias entry found
    /// before it added to it.
    ///
    /// The returned tracker follows `rest` when the scan left the bias's
    /// tokens out (no entry moves it: the caller takes the left-out tokens'
    /// new logits from the buffer), else `max_allowed` through every entry.
    pub(crate) fn apply(
        &self,
        xs: &mut [f32],
        max_allowed: f32,
        rest: Option<f32>,
        originals: &mut [f32; MAX_FINITE_BIAS],
        write_mask: bool,
    ) -> MaxTracker {
        if let Some(mask) = self.allowed.filter(|_| write_mask) {
            let n = xs.len();
            for_each_run(mask, n, |run| match run {
                Run::Allowed(_) => {}
                Run::Banned(range) => {
                    if let Some(s) = xs.get_mut(range) {
                        s.fill(f32::NEG_INFINITY);
                    }
                }
                Run::Mixed { start, bits, len } => {
                    // A select per float rather than a branch: vectorisable.
                    if let Some(word) = xs.get_mut(start..start + len) {
                        for (j, x) in word.iter_mut().enumerate() {
                            *x = if bits >> j & 1 == 0 {
                                f32::NEG_INFINITY
                            } else {
                                *x
                            };
                        }
                    }
                }
            });
        }
        let mut tracker = MaxTracker::new(rest.unwrap_or(max_allowed));
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
                if rest.is_none() {
                    tracker.rewrite(*x, new);
                }
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
/// maximum counts as allowed or not as a whole); so does each mixed word,
/// whose allowed floats are then visited by their set bits.
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
                // The word's floats through the kernel (NaN, max), then
                // its allowed ones by their set bits.
                let Some(word) = xs.get(start..start + len) else {
                    return;
                };
                let scan = k.max_nan(word);
                if let Some(i) = scan.nan {
                    out.nan = Some(start + i);
                    return;
                }
                out.max = larger(out.max, scan.max);
                let mut rest = bits & low_bits(len);
                while rest != 0 {
                    let j = rest.trailing_zeros() as usize;
                    if let Some(&x) = word.get(j) {
                        out.max_allowed = larger(out.max_allowed, x);
                    }
                    rest &= rest - 1;
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

    /// Against a word-by-word split, with runs of every length around the
    /// sixteen-word test (1, 15, 16, 17, 32, 33 words), ending at the last
    /// whole word or before a partial one, and broken by a mixed word or the
    /// other kind inside a chunk: a run that stops short or overruns by a
    /// chunk fails.
    #[test]
    fn runs_match_a_word_by_word_split() {
        let kinds = [0u32, u32::MAX, 0x00ff_0f0f];
        for lens in [[1usize, 15, 16], [17, 32, 33], [16, 1, 17], [33, 16, 15]] {
            for (a, b) in [(0, 1), (1, 0), (0, 2), (1, 2), (2, 0)] {
                let mut mask = Vec::new();
                for (i, &len) in lens.iter().enumerate() {
                    let kind = kinds[if i % 2 == 0 { a } else { b }];
                    mask.extend(std::iter::repeat_n(kind, len));
                }
                for n in [mask.len() * 32, mask.len() * 32 - 5] {
                    let mut want = Vec::new();
                    let full = n / 32;
                    let mut w = 0;
                    while w < full {
                        let word = mask[w];
                        if word == 0 || word == u32::MAX {
                            let mut end = w;
                            while end < full && mask[end] == word {
                                end += 1;
                            }
                            let kind = if word == 0 { 'B' } else { 'A' };
                            want.push((kind, w * 32, end * 32));
                            w = end;
                        } else {
                            want.push(('M', w * 32, w * 32 + 32));
                            w += 1;
                        }
                    }
                    if n % 32 != 0 {
                        want.push(('M', full * 32, n));
                    }
                    assert_eq!(runs(&mask, n), want, "{lens:?} {a} {b} n {n}");
                }
            }
        }
    }

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

    /// Against a brute-force walk of the bits: a first chunk of eight zero
    /// words (skipped whole), allowed tokens only in the second chunk's last
    /// word (a test of fewer words would skip them), a `-inf` one left out,
    /// a short last chunk whose last word also has bits past the vocabulary,
    /// and an output one short (None).
    #[test]
    fn gather_allowed_skips_zero_chunks_and_nothing_else() {
        let n = 2 * 256 + 5;
        let xs: Vec<f32> = (0..n)
            .map(|i| {
                if i % 7 == 3 {
                    f32::NEG_INFINITY
                } else {
                    (i % 11) as f32
                }
            })
            .collect();
        let mut mask = [0u32; 17];
        for t in [480usize, 481, 483, 486, 490, 511, 512, 516] {
            mask[t / 32] |= 1 << (t % 32);
        }
        mask[16] |= !0 << 5; // bits past the vocabulary (517 tokens)
        let want: Vec<Candidate> = (0..n)
            .filter(|&t| mask[t / 32] >> (t % 32) & 1 == 1 && xs[t] > f32::NEG_INFINITY)
            .map(|t| Candidate {
                id: t as u32,
                logit: xs[t],
            })
            .collect();
        assert_eq!(want.len(), 7, "486 is -inf, the rest kept");
        let max = want
            .iter()
            .map(|c| c.logit)
            .fold(f32::NEG_INFINITY, f32::max);
        let mut out = [Candidate::default(); 32];
        let got = gather_allowed(&mask, &xs, &mut out);
        assert_eq!(got, Some((want.len(), max)));
        assert_eq!(&out[..want.len()], &want[..]);
        // One slot short: no partial answer.
        let mut short = [Candidate::default(); 32];
        let room = want.len() - 1;
        assert_eq!(gather_allowed(&mask, &xs, &mut short[..room]), None);
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
