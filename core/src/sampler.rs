//! `Sampler<CAP>`: runs the stages in order over a borrowed logits buffer.
//!
//! Passes over the logits in the common case (default order, survivors fit):
//! 1. the max/NaN scan (validation; nothing is written before it succeeds);
//! 2. the gather of every logit at or above the running threshold (min-p's, or
//!    all finite ones) into the scratch, in ascending id.
//!
//! After that everything happens in the scratch: min-p, top-k and top-p cut it
//! with the shared selection (`filter/select.rs`), and the draw finds the
//! token whose interval, in ascending id, holds the call's target mass. exp is
//! evaluated only for candidates, and every mass is an exact integer.
//!
//! When the survivors exceed `CAP`, the set stays "every logit `>= t`" over the
//! buffer: top-k becomes one scan with a rising threshold (`2k <= CAP`), top-p
//! first tries a provable prefilter that fits, and otherwise both run as radix
//! selections over the buffer; a dense final set is drawn by one pass that
//! writes the fixed-point masses over the buffer and a prefix walk. Results are
//! identical on every path: the capacity trades memory for speed, never
//! correctness.

use rand_core::Rng;

use crate::config::{SamplerConfig, Stage};
use crate::draw::inverse_cdf::{draw_from_candidates, draw_from_fixed};
use crate::error::SampleError;
use crate::filter::{Survivors, gather, min_p, top_k, top_p};
use crate::kernels::{Backend, Candidate, Kernels, Weighting};
use crate::logits;

/// A sampler with room for `CAP` candidates (8 bytes each) in its scratch.
///
/// `sample` is exact for every `CAP`, including 0: survivors that do not fit
/// are handled by streaming passes over the logits buffer. Stack use of a call
/// is bounded and independent of the vocabulary: measured on a Cortex-M4F,
/// 792 B when the survivors fit and 3.9 KiB on the streaming path (a 2 KiB
/// radix histogram of `u64` masses and a 1 KiB strip of them); 0.7-4.1 KiB on
/// the Cortex-M0, M33 and RV32IMAC.
#[derive(Clone, Debug)]
pub struct Sampler<const CAP: usize> {
    config: SamplerConfig,
    order: [Stage; 4],
    kernels: Kernels,
    scratch: [Candidate; CAP],
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
        let r = rng.next_u64();
        if self.config.temperature == 0.0 {
            return Ok(logits::first_max(k, logits, max));
        }
        Ok(match self.filter(logits, max) {
            (Survivors::Scratch(len), w, ready) => {
                debug_assert!(
                    len <= CAP && len <= logits.len(),
                    "survivors beyond the capacity"
                );
                debug_assert!(len > 0, "a draw from an empty set");
                let cands = self.scratch.get_mut(..len).unwrap_or_default();
                if logits.len() <= 16 * len {
                    // Many survivors for the vocabulary: scattering their masses
                    // over the buffer and walking it (vectorised) beats an
                    // id-order selection.
                    let total = scatter_masses(cands, logits, ready, w);
                    draw_from_fixed(k, logits, total, r)
                } else {
                    let masses = logits.get_mut(..len).unwrap_or_default();
                    draw_from_candidates(cands, masses, ready, w, r)
                }
            }
            (Survivors::AtLeast(t), w, _) => {
                let total = k.exp_fixed(logits, t, w);
                draw_from_fixed(k, logits, total, r)
            }
        })
    }

    /// Replaces `logits` by the distribution `sample` draws from: the survivors'
    /// renormalised probabilities, 0 for every other token. On error the buffer
    /// is untouched. Consumes no randomness.
    ///
    /// Each value is the survivor's fixed-point mass over the total (see the
    /// crate docs, "Exactness"), rounded to `f32`: the draw itself uses the
    /// exact integers.
    pub fn distribution_in_place(&mut self, logits: &mut [f32]) -> Result<(), SampleError> {
        let k = self.kernels;
        let max = logits::scan(k, logits)?;
        if self.config.temperature == 0.0 {
            let winner = logits::first_max(k, logits, max);
            logits::one_hot(logits, winner);
            return Ok(());
        }
        match self.filter(logits, max) {
            (Survivors::Scratch(len), w, _) => {
                debug_assert!(
                    len > 0 && len <= CAP,
                    "survivors beyond the capacity, or none"
                );
                let survivors = self.scratch.get(..len).unwrap_or_default();
                let total: u64 = survivors.iter().map(|c| w.fixed(c.logit) as u64).sum();
                let factor = probability_factor(total);
                logits.fill(0.0);
                for c in survivors {
                    if let Some(x) = logits.get_mut(c.id as usize) {
                        // The same conversion as the kernels' `scale_fixed`.
                        *x = w.fixed(c.logit) as i32 as f32 * factor;
                    }
                }
            }
            (Survivors::AtLeast(t), w, _) => {
                let total = k.exp_fixed(logits, t, w);
                k.scale_fixed(logits, probability_factor(total));
            }
        }
        Ok(())
    }

    /// Runs the filter stages; returns the survivors (in the scratch if they
    /// fit), the weighting the draw uses, and whether the survivors' masses
    /// under it already sit beside them in `xs` (top-p ran last, after
    /// temperature).
    fn filter(&mut self, xs: &mut [f32], max: f32) -> (Survivors, Weighting, bool) {
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
        // The weighting of the masses beside the scratch candidates, while valid.
        let mut beside = None;
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
                    Some(threshold) => {
                        beside = None;
                        min_p::keep_at_least(&mut self.scratch, set, threshold)
                    }
                    None => set,
                },
                Stage::TopK if cfg.top_k > 0 => {
                    beside = None;
                    top_k::top_k(self.kernels, &mut self.scratch, xs, set, cfg.top_k)
                }
                Stage::TopP if cfg.top_p < 1.0 => {
                    let cut = top_p::top_p(self.kernels, &mut self.scratch, xs, set, cfg.top_p, w);
                    beside = matches!(cut, Survivors::Scratch(_)).then_some(w);
                    cut
                }
                Stage::TopK | Stage::TopP => set,
            };
        }
        // Gather for the draw only a set much smaller than the vocabulary: a
        // dense one is drawn faster by the vectorised pass over the buffer
        // (both give the same token).
        let ready = matches!(set, Survivors::Scratch(_)) && beside == Some(tempered);
        (
            gather(self.kernels, &mut self.scratch, xs, set, xs.len() / 8),
            tempered,
            ready,
        )
    }
}

/// Writes each candidate's fixed-point mass (the bits beside it in `xs` if
/// `ready`, else computed under `w`) at its id in `xs`, 0 elsewhere; returns
/// their total.
fn scatter_masses(cands: &mut [Candidate], xs: &mut [f32], ready: bool, w: Weighting) -> u64 {
    // Park the masses in the candidates first: `xs` is about to be cleared.
    for (i, c) in cands.iter_mut().enumerate() {
        let q = match xs.get(i) {
            Some(m) if ready => m.to_bits(),
            _ => w.fixed(c.logit),
        };
        c.logit = f32::from_bits(q);
    }
    xs.fill(0.0);
    let mut total = 0u64;
    for c in cands.iter() {
        if let Some(x) = xs.get_mut(c.id as usize) {
            *x = c.logit;
            total += c.logit.to_bits() as u64;
        }
    }
    total
}

/// `1 / total` as the factor that turns fixed-point masses into probabilities
/// (`total >= 2^30`: the max token survives with mass 2^30).
fn probability_factor(total: u64) -> f32 {
    (1.0 / total as f64) as f32
}
