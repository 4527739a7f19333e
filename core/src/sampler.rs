//! `Sampler<CAP>`: runs the stages in order over a borrowed logits buffer.
//!
//! Passes over the logits in the common case (default order, survivors fit):
//! 1. the max/NaN scan (validation; nothing is written before it succeeds);
//! 2. the gather of every logit at or above the running threshold (min-p's, or
//!    all finite ones) into the scratch, in ascending id.
//!
//! After that everything happens in the scratch: min-p, top-k and top-p cut it
//! with the shared selection, the survivors are put in id order (heapsort,
//! only if a selection permuted them) and the draw walks them. exp is
//! evaluated only for candidates.
//!
//! When the survivors exceed `CAP`, the set stays "every logit `>= t`" over the
//! buffer: top-k becomes one scan with a rising threshold (`2k <= CAP`), top-p
//! first tries a provable prefilter that fits, and otherwise both run as radix
//! selections over the buffer; a dense final set is drawn by one exp pass over
//! the buffer and a walk of its chunk sums. Results are identical on every
//! path: the capacity trades memory for speed, never correctness.

use rand_core::Rng;

use crate::config::{SamplerConfig, Stage};
use crate::draw::inverse_cdf::{chunked_total, draw_from_candidates, draw_from_weights};
use crate::draw::unit_f64;
use crate::error::SampleError;
use crate::filter::select::{self, Mass, Rule};
use crate::filter::{min_p, top_k, top_p};
use crate::kernels::{Backend, Candidate, Kernels, Weighting};
use crate::logits;

/// A sampler with room for `CAP` candidates (8 bytes each) in its scratch.
///
/// `sample` is exact for every `CAP`, including 0: survivors that do not fit
/// are handled by streaming passes over the logits buffer. Stack use of a call
/// is bounded and independent of the vocabulary: measured on a Cortex-M4F,
/// about 1.1 KiB when the survivors fit and 6.5 KiB on the streaming path
/// (a 4 KiB radix histogram and a 1 KiB strip of weights).
#[derive(Clone, Debug)]
pub struct Sampler<const CAP: usize> {
    config: SamplerConfig,
    order: [Stage; 4],
    kernels: Kernels,
    scratch: [Candidate; CAP],
}

/// The current survivors.
#[derive(Clone, Copy, Debug)]
enum Survivors {
    /// Every logit `>= t` in the buffer (excluded ties were set to `-inf`).
    AtLeast(f32),
    /// The first `len` entries of the scratch, in no particular order.
    Scratch(usize),
}

impl<const CAP: usize> Sampler<CAP> {
    /// Validates `config` and picks the fastest backend ([`Backend::detect`]).
    pub fn new(config: SamplerConfig) -> Result<Self, SampleError> {
        config.validate()?;
        Ok(Self {
            config,
            order: Stage::DEFAULT_ORDER,
            kernels: Backend::detect().kernels()?,
            scratch: [Candidate::default(); CAP],
        })
    }

    /// Runs on `backend` instead; `BackendUnavailable` if this CPU cannot.
    /// Every backend returns the same token for the same input and seed.
    pub fn with_backend(mut self, backend: Backend) -> Result<Self, SampleError> {
        self.kernels = backend.kernels()?;
        Ok(self)
    }

    /// Applies the stages in `order` (each named once; the draw always comes
    /// last). Filters placed before [`Stage::Temperature`] see temperature 1,
    /// as in llama.cpp's sampler chains.
    pub fn with_order(mut self, order: [Stage; 4]) -> Result<Self, SampleError> {
        Stage::validate_order(&order)?;
        self.order = order;
        Ok(self)
    }

    /// The configuration.
    pub fn config(&self) -> SamplerConfig {
        self.config
    }

    /// The stage order.
    pub fn order(&self) -> [Stage; 4] {
        self.order
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.kernels.backend()
    }

    /// Draws one token id from `logits`, which is used in place as scratch:
    /// on success its contents are unspecified, on error it is untouched.
    ///
    /// Consumes exactly one `rng.next_u64()` per successful call (greedy
    /// included), none on error, so a seeded generator reproduces a run.
    pub fn sample<R: Rng + ?Sized>(
        &mut self,
        logits: &mut [f32],
        rng: &mut R,
    ) -> Result<u32, SampleError> {
        let k = self.kernels;
        let max = logits::scan(k, logits)?;
        let u = unit_f64(rng.next_u64());
        if self.config.temperature == 0.0 {
            return Ok(logits::first_max(k, logits, max));
        }
        Ok(match self.filter(logits, max) {
            (Survivors::Scratch(len), w) => {
                let survivors = self.scratch.get_mut(..len).unwrap_or_default();
                sort_by_id(survivors);
                draw_from_candidates(survivors, w, u)
            }
            (Survivors::AtLeast(t), w) => {
                let total = k.exp_weights(logits, t, w);
                draw_from_weights(k, logits, total, u)
            }
        })
    }

    /// Replaces `logits` by the distribution `sample` draws from: the survivors'
    /// renormalised probabilities, 0 for every other token. On error the buffer
    /// is untouched. Consumes no randomness.
    pub fn distribution_in_place(&mut self, logits: &mut [f32]) -> Result<(), SampleError> {
        let k = self.kernels;
        let max = logits::scan(k, logits)?;
        if self.config.temperature == 0.0 {
            let winner = logits::first_max(k, logits, max);
            logits::one_hot(logits, winner);
            return Ok(());
        }
        let total = match self.filter(logits, max) {
            (Survivors::Scratch(len), w) => {
                logits.fill(0.0);
                for c in self.scratch.get(..len).unwrap_or_default() {
                    if let Some(x) = logits.get_mut(c.id as usize) {
                        *x = w.weight(c.logit);
                    }
                }
                k.chunk_prefix(logits, f64::INFINITY).before
            }
            (Survivors::AtLeast(t), w) => k.exp_weights(logits, t, w),
        };
        // total >= 1: the max token survives with weight exactly 1.
        k.scale(logits, (1.0 / total) as f32);
        Ok(())
    }

    /// Runs the filter stages; returns the survivors (in the scratch if they fit)
    /// and the weighting the draw uses.
    fn filter(&mut self, xs: &mut [f32], max: f32) -> (Survivors, Weighting) {
        let cfg = self.config;
        let certain = max == f32::INFINITY;
        if certain {
            logits::keep_certain_only(xs);
        }
        // Weights before and after the temperature stage. Among certain tokens,
        // or at temperature +inf, all candidates are equally likely.
        let tempered = if certain || cfg.temperature == f32::INFINITY {
            Weighting::UNIFORM
        } else {
            Weighting {
                max,
                inv_t: 1.0 / cfg.temperature,
            }
        };
        let untempered = if certain {
            Weighting::UNIFORM
        } else {
            Weighting { max, inv_t: 1.0 }
        };
        let max = if certain { 0.0 } else { max };
        // "Every finite logit" (or every certain token, now 0).
        let mut set = Survivors::AtLeast(if certain { 0.0 } else { -f32::MAX });
        let mut after_temperature = false;
        for stage in self.order {
            let (w, t) = if after_temperature {
                (tempered, cfg.temperature)
            } else {
                (untempered, 1.0)
            };
            set = match stage {
                Stage::Temperature => {
                    after_temperature = true;
                    set
                }
                Stage::MinP => match min_p::threshold(max, t, cfg.min_p, w == Weighting::UNIFORM) {
                    Some(threshold) => self.keep_at_least(set, threshold),
                    None => set,
                },
                Stage::TopK if cfg.top_k > 0 => self.top_k(xs, set, cfg.top_k),
                Stage::TopP if cfg.top_p < 1.0 => self.top_p(xs, set, cfg.top_p, w),
                Stage::TopK | Stage::TopP => set,
            };
        }
        // Gather for the draw only a set much smaller than the vocabulary: a
        // dense one is drawn faster by the vectorised pass over the buffer
        // (both give the same token).
        (self.gather(xs, set, xs.len() / 8), tempered)
    }

    /// Moves the survivors into the scratch if there are at most `limit` (and
    /// they fit).
    fn gather(&mut self, xs: &[f32], set: Survivors, limit: usize) -> Survivors {
        match set {
            Survivors::AtLeast(t) => {
                let window = self.scratch.get_mut(..limit.min(CAP)).unwrap_or_default();
                let g = self.kernels.gather_at_least(xs, t, 0, window);
                if g.next == xs.len() {
                    Survivors::Scratch(g.count)
                } else {
                    set
                }
            }
            Survivors::Scratch(_) => set,
        }
    }

    fn keep_at_least(&mut self, set: Survivors, threshold: f32) -> Survivors {
        match set {
            Survivors::AtLeast(t) => Survivors::AtLeast(t.max(threshold)),
            Survivors::Scratch(len) => {
                let mut kept = 0;
                for i in 0..len.min(CAP) {
                    if let Some(&c) = self.scratch.get(i)
                        && c.logit >= threshold
                    {
                        if let Some(slot) = self.scratch.get_mut(kept) {
                            *slot = c;
                        }
                        kept += 1;
                    }
                }
                Survivors::Scratch(kept)
            }
        }
    }

    fn top_k(&mut self, xs: &mut [f32], set: Survivors, k: usize) -> Survivors {
        let (mass, rule) = top_k::selection(k);
        match self.gather(xs, set, CAP) {
            Survivors::Scratch(len) => self.select_in_scratch(len, mass, rule),
            Survivors::AtLeast(t) if k.saturating_mul(2) <= CAP => self.top_k_by_scan(xs, t, k),
            Survivors::AtLeast(t) => {
                Survivors::AtLeast(select::prefix_streaming(self.kernels, xs, t, mass, rule))
            }
        }
    }

    /// top-k over a buffer too large for the scratch, in one pass: gather the
    /// tokens `>= t` into a window of the scratch; whenever it fills, keep the
    /// best k and raise the threshold above the k-th (a later token equal to it
    /// loses the tie to the lower id already kept). Needs `2k <= CAP` so every
    /// refill makes progress.
    fn top_k_by_scan(&mut self, xs: &[f32], t: f32, k: usize) -> Survivors {
        // A window of 4k (at least 256) rather than all of CAP: the first fill
        // takes every token, so a small window raises the threshold sooner.
        let window = k.saturating_mul(4).max(256).min(CAP);
        let (mut len, mut pos, mut threshold) = (0usize, 0usize, t);
        while pos < xs.len() {
            let out = self.scratch.get_mut(len..window).unwrap_or_default();
            let rest = xs.get(pos..).unwrap_or_default();
            let g = self
                .kernels
                .gather_at_least(rest, threshold, pos as u32, out);
            len += g.count;
            pos += g.next;
            if pos < xs.len() {
                let cands = self.scratch.get_mut(..len).unwrap_or_default();
                len = select::prefix_in_scratch(cands, Mass::Count, Rule::Reach(k as u128));
                let kept = self.scratch.get(..len).unwrap_or_default();
                let kth = kept.iter().map(|c| c.logit).fold(f32::INFINITY, f32::min);
                threshold = threshold.max(kth.next_up());
            }
        }
        self.select_in_scratch(len, Mass::Count, Rule::Reach(k as u128))
    }

    fn top_p(&mut self, xs: &mut [f32], set: Survivors, p: f32, w: Weighting) -> Survivors {
        match self.gather(xs, set, CAP) {
            Survivors::Scratch(len) => {
                // The weight total in the chunk layout needs the candidates in id order.
                let cands = self.scratch.get_mut(..len).unwrap_or_default();
                sort_by_id(cands);
                let total = chunked_total(cands, |c| w.weight(c.logit));
                let (mass, rule) = top_p::selection(p, w, total);
                self.select_in_scratch(len, mass, rule)
            }
            Survivors::AtLeast(t) => {
                let total = self.kernels.exp_sum(xs, t, w);
                let (mass, rule) = top_p::selection(p, w, total);
                // Only tokens above the prefilter bound can be in the nucleus:
                // if those fit, select among them with the whole set's total.
                if let Some(bound) = top_p::prefilter(p, w, total, xs.len())
                    && bound > t
                    && let Survivors::Scratch(len) = self.gather(xs, Survivors::AtLeast(bound), CAP)
                {
                    return self.select_in_scratch(len, mass, rule);
                }
                Survivors::AtLeast(select::prefix_streaming(self.kernels, xs, t, mass, rule))
            }
        }
    }

    fn select_in_scratch(&mut self, len: usize, mass: Mass, rule: Rule) -> Survivors {
        let cands = self.scratch.get_mut(..len).unwrap_or_default();
        Survivors::Scratch(select::prefix_in_scratch(cands, mass, rule))
    }
}

/// Candidates in ascending id, as the draw and the chunk sums need them. A
/// gather leaves them sorted (and min-p keeps the order), so check first.
fn sort_by_id(cands: &mut [Candidate]) {
    if !cands.is_sorted_by_key(|c| c.id) {
        select::heapsort(cands, |a, b| a.id < b.id);
    }
}
