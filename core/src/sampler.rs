//! `Sampler<CAP, HISTORY>`: runs the stages in order over a borrowed logits buffer.
//!
//! Passes over the logits in the common case (default order, survivors fit):
//! 1. the max/NaN scan (validation: whenever it fails the buffer is as it
//!    was; with constraints it leaves the tokens the context stages will
//!    rewrite out, holding `-inf` while it runs and their logits after);
//! 2. the context stages (bias, mask, penalties, DRY: point rewrites, plus
//!    the mask's one pass); the maximum after them comes from the first scan
//!    (which left the tokens they rewrite out, or, for `sample`, ran after
//!    them) and their new logits, with no second scan (but for a bias of
//!    more entries than `CAP`, when a rewrite lowered the max holder);
//! 3. the gather of every logit at or above the running threshold (min-p's, or
//!    all finite ones) into the scratch, in ascending id.
//!
//! After that everything happens in the scratch: min-p, top-k and top-p cut it
//! with the shared selection (`filter/select.rs`), and the draw finds the
//! token whose interval, in ascending id, holds the call's target mass. exp is
//! evaluated only for candidates, and every mass is an exact integer.
//!
//! The shape stages read the whole set: top-n-sigma's deviation and the
//! entropy of typical-p and dynamic temperature are sums in a fixed order
//! (`filter/survivors.rs`: a kernel over the buffer, the same sums in id
//! order over the scratch); typical-p gathers a band that provably holds its
//! set, XTC and mirostat v2 the tokens above a logit floor. Typical-p and XTC
//! may remove the maximum, so the filters track it, and at temperature 0
//! (fixed, or a dynamic temperature of 0) the token is the first survivor
//! holding it. Mirostat, when on, replaces the stages (`draw/mirostat.rs`).
//!
//! When the survivors exceed `CAP`, the set stays "every logit `>= t`" over the
//! buffer: top-k becomes one scan with a rising threshold (`2k <= CAP`), top-p
//! first tries a provable prefilter that fits, and otherwise both run as radix
//! selections over the buffer; a dense final set is drawn by one pass that
//! writes the fixed-point masses over the buffer and a prefix walk. Results are
//! identical on every path: the capacity trades memory for speed, never
//! correctness.

use rand_core::Rng;

use crate::config::{Mirostat, Order, SamplerConfig, Stage};
use crate::context::MaxTracker;
#[cfg(feature = "context")]
use crate::context::constraints::{
    Checked, Constraints, MAX_FINITE_BIAS, as_the_kernel_reports, rewritten,
};
use crate::context::dry::{self, Breakers};
use crate::context::history::History;
#[cfg(feature = "context")]
use crate::context::logprob::{self, Model, Sampled, TokenLogprob};
use crate::context::penalties;
use crate::context::window::{MAX_WINDOW, Tally, Window};
use crate::draw::inverse_cdf::{draw_from_candidates, draw_from_fixed, target};
use crate::draw::mirostat;
use crate::error::SampleError;
use crate::filter::{
    Survivors, gather, min_p, survivors, temperature, top_k, top_n_sigma, top_p, typical, xtc,
};
use crate::kernels::generic::CHUNK;
use crate::kernels::{Backend, Candidate, Kernels, Weighting, probability_factor};
use crate::logits;

/// A sampler with room for `CAP` candidates (8 bytes each) in its scratch and
/// the last `HISTORY` accepted tokens (4 bytes each).
///
/// `sample` is exact for every `CAP`, including 0: survivors that do not fit
/// are handled by streaming passes over the logits buffer. Stack use of a call
/// is bounded and independent of the vocabulary: measured on a Cortex-M4F
/// with `HISTORY` 8 and a repetition penalty, 1.2 KiB when the survivors fit
/// and 4.0 KiB on the streaming path (a 2 KiB radix histogram of `u64`
/// masses and a 1 KiB strip of them), 1.8 KiB for `sample_with`; 1.0-4.2 KiB
/// on the Cortex-M0, M33 and RV32IMAC (mirostat v1 adds 512 B). The context
/// stages take up to `32 * HISTORY` bytes (the window's tally, DRY's copy of
/// it and its index), `sample_with` another `12 * HISTORY + 512`. On a
/// microcontroller, place the sampler with
/// [`init`](Self::init) or from [`DEFAULT`](Self::DEFAULT): `new`'s return
/// value may pass through stack temporaries of the sampler's size.
#[derive(Clone, Debug)]
pub struct Sampler<const CAP: usize, const HISTORY: usize = 64> {
    config: SamplerConfig,
    order: Order,
    kernels: Kernels,
    history: History<HISTORY>,
    breakers: Breakers,
    /// Mirostat's cut, in bits (`2 tau` after `new`, `set_config` and `reset`).
    mu: f32,
    /// top-k's warm start over the buffer (see `top_k::warm_scan`): the last
    /// such call's distance from the max to the k-th logit, NaN for none
    /// (after `new` and `reset`). Moved by every top-k stage that scans the
    /// buffer (`2k <= CAP`); it moves where a scan starts, never what the
    /// sampler returns.
    top_k_gap: f32,
    scratch: [Candidate; CAP],
}

/// What the filter stages leave.
enum Filtered {
    /// Draw from these survivors under this weighting; `true` if their
    /// masses under it already sit beside them in the buffer.
    Draw(Survivors, Weighting, bool),
    /// The temperature (fixed or dynamic) is 0: the first survivor holding
    /// this maximum is the token.
    Greedy(Survivors, f32),
}

/// The token of a call, its logit (as the filters saw it), its mass and the
/// total mass of the distribution it was drawn from (`1, 1` when greedy).
#[derive(Clone, Copy)]
struct Chosen {
    token: u32,
    // Read by `sample_with` only.
    #[cfg_attr(not(feature = "context"), allow(dead_code))]
    logit: f32,
    mass: u64,
    total: u64,
}

/// The logits of the history tokens the context stages may rewrite, as
/// they were before: `sample` restores them if the scan that follows the
/// rewrites fails, the constrained calls' validation puts them back after
/// its scan (which leaves them out) and adds them to its maximum, and
/// `sample_with` reports the model's logprob of a rewritten token from them.
struct Touched<const H: usize> {
    tally: Tally<H>,
    values: [f32; H],
}

impl<const H: usize> Touched<H> {
    const NONE: Self = Self {
        tally: Tally::EMPTY,
        values: [0.0; H],
    };

    /// Replaces the contents by the distinct tokens of `window` and their
    /// logits in `xs` (in place: see `Tally::fill`). Each logit is read as
    /// its token is first seen: on a large vocabulary these are cache misses,
    /// which then overlap the rest of the tally instead of following it.
    fn capture(&mut self, window: Window, xs: &[f32]) {
        let values = &mut self.values;
        self.tally.fill(&window, |i, t| {
            if let Some(v) = values.get_mut(i) {
                *v = xs.get(t as usize).copied().unwrap_or(0.0);
            }
        });
    }

    /// The tokens and their captured logits.
    #[cfg(feature = "context")]
    fn parts(&self) -> (&[u32], &[f32]) {
        let ids = self.tally.ids();
        (ids, self.values.get(..ids.len()).unwrap_or_default())
    }

    fn pairs(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.tally
            .iter()
            .map(|(t, _)| t)
            .zip(self.values.iter().copied())
    }

    /// Writes the captured logits back.
    fn restore(&self, xs: &mut [f32]) {
        for (t, v) in self.pairs() {
            if let Some(x) = xs.get_mut(t as usize) {
                *x = v;
            }
        }
    }

    /// The captured logit of `token`, if captured.
    #[cfg(feature = "context")]
    fn original(&self, token: u32) -> Option<f32> {
        let i = self.tally.position(token)?;
        self.values.get(i).copied()
    }
}

impl<const CAP: usize, const HISTORY: usize> Sampler<CAP, HISTORY> {
    /// The default configuration ([`SamplerConfig::DEFAULT`]) and order on
    /// the scalar backend, with an empty history and no DRY breakers: a
    /// `const`, so a sampler can live in a `static` or be written in place
    /// (then `set_config` and `set_backend(Backend::detect())`).
    pub const DEFAULT: Self = Self {
        config: SamplerConfig::DEFAULT,
        order: Order::DEFAULT,
        kernels: Kernels::SCALAR,
        history: History::EMPTY,
        breakers: Breakers::NONE,
        mu: 0.0,
        top_k_gap: f32::NAN,
        scratch: [Candidate { id: 0, logit: 0.0 }; CAP],
    };

    /// Validates `config` (including its windows against `HISTORY`) and
    /// picks the fastest backend ([`Backend::detect`]).
    pub fn new(config: SamplerConfig) -> Result<Self, SampleError> {
        Self::check_config(&config, &Order::DEFAULT)?;
        let kernels = Backend::detect().kernels()?;
        // Built in the return value, so the optimiser can construct it in the
        // caller's place (no sampler-sized temporary).
        Ok(Self {
            config,
            order: Order::DEFAULT,
            kernels,
            history: History::EMPTY,
            breakers: Breakers::NONE,
            mu: initial_mu(&config),
            top_k_gap: f32::NAN,
            scratch: [Candidate::default(); CAP],
        })
    }

    /// [`new`](Self::new), written into `slot` and returned there: a sampler
    /// is `8 * CAP` bytes and more, and a value returned by `new` may be
    /// built in a temporary on the stack first (on a Cortex-M4F the C API's
    /// init took 28 KiB of stack that way); this writes the constant
    /// [`DEFAULT`](Self::DEFAULT) in place, then the configuration. Nothing
    /// is written on error.
    pub fn init(
        slot: &mut core::mem::MaybeUninit<Self>,
        config: SamplerConfig,
    ) -> Result<&mut Self, SampleError> {
        Self::check_config(&config, &Order::DEFAULT)?;
        let kernels = Backend::detect().kernels()?;
        let sampler = slot.write(Self::DEFAULT);
        sampler.config = config;
        sampler.mu = initial_mu(&config);
        sampler.kernels = kernels;
        Ok(sampler)
    }

    /// Runs on `backend` instead; `BackendUnavailable` if this CPU cannot.
    /// Every backend returns the same token for the same input and seed.
    pub fn with_backend(mut self, backend: Backend) -> Result<Self, SampleError> {
        self.set_backend(backend)?;
        Ok(self)
    }

    /// Applies the stages in `order`: each at most once, every stage the
    /// configuration turns on present ([`SampleError::StageNotInOrder`]
    /// otherwise: nothing is skipped silently), penalties and DRY before
    /// every other stage. The draw always comes last. Filters placed before
    /// [`Stage::Temperature`] see temperature 1, as in llama.cpp's chains.
    pub fn with_order(mut self, order: &[Stage]) -> Result<Self, SampleError> {
        self.set_order(order)?;
        Ok(self)
    }

    /// DRY's sequence breakers, as token-id sequences (head first): a
    /// repetition never extends across one, and a one-token breaker is never
    /// penalised. At most [`dry::MAX_DRY_BREAKERS`] breakers of 1 to
    /// [`dry::MAX_DRY_BREAKER_LEN`] tokens, [`dry::MAX_DRY_BREAKER_TOKENS`]
    /// in all. Replaces any earlier breakers. In a build without the
    /// `context` feature (no DRY) they are not read, like DRY's other
    /// parameters ([`SamplerConfig::validate`]).
    pub fn with_dry_breakers(mut self, breakers: &[&[u32]]) -> Result<Self, SampleError> {
        self.set_dry_breakers(breakers)?;
        Ok(self)
    }

    /// [`with_backend`](Self::with_backend) in place (the `with_` forms move
    /// the whole sampler, `8 * CAP` bytes and more, which a microcontroller's
    /// stack may not hold). On error the sampler is unchanged.
    pub fn set_backend(&mut self, backend: Backend) -> Result<(), SampleError> {
        self.kernels = backend.kernels()?;
        Ok(())
    }

    /// [`with_order`](Self::with_order) in place; on error the sampler is unchanged.
    pub fn set_order(&mut self, order: &[Stage]) -> Result<(), SampleError> {
        self.order = Order::new(order, &self.config)?;
        Ok(())
    }

    /// [`with_dry_breakers`](Self::with_dry_breakers) in place; on error the
    /// sampler is unchanged.
    pub fn set_dry_breakers(&mut self, breakers: &[&[u32]]) -> Result<(), SampleError> {
        if crate::config::CONTEXT {
            self.breakers = Breakers::new(breakers)?;
        }
        Ok(())
    }

    /// Replaces the configuration, checked as by [`new`](Self::new) and
    /// against the current order (a stage it turns on must be in the order).
    /// The history, breakers and backend stay; mirostat's `mu` restarts at
    /// `2 tau`. On error the sampler is unchanged.
    pub fn set_config(&mut self, config: SamplerConfig) -> Result<(), SampleError> {
        Self::check_config(&config, &self.order)?;
        self.config = config;
        self.mu = initial_mu(&config);
        Ok(())
    }

    /// `config`'s ranges, its windows against `HISTORY` (and
    /// [`MAX_WINDOW`]), and `order` against it.
    fn check_config(config: &SamplerConfig, order: &Order) -> Result<(), SampleError> {
        config.validate()?;
        // The windows' tallies index their tokens with `u16`s.
        let history = HISTORY.min(MAX_WINDOW);
        for window in [config.penalty_last_n, config.dry_penalty_last_n] {
            if window > history {
                return Err(SampleError::WindowExceedsHistory { window, history });
            }
        }
        Order::new(order.as_slice(), config).map(|_| ())
    }

    /// The configuration.
    pub fn config(&self) -> SamplerConfig {
        self.config
    }

    /// The stage order.
    pub fn order(&self) -> &[Stage] {
        self.order.as_slice()
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.kernels.backend()
    }

    /// The last `HISTORY` accepted tokens (`iter()` walks them oldest first).
    pub fn history(&self) -> &History<HISTORY> {
        &self.history
    }

    /// Records a token chosen elsewhere (a prompt token, a forced token):
    /// it counts for the penalties and DRY from the next call on. `sample`
    /// and `sample_with` record the token they return themselves.
    pub fn accept(&mut self, token: u32) {
        self.history.write(token);
    }

    /// Clears the history and restarts mirostat's `mu` at `2 tau` (a new
    /// conversation). The configuration, order, backend and breakers stay.
    pub fn reset(&mut self) {
        self.history.clear();
        self.mu = initial_mu(&self.config);
        self.top_k_gap = f32::NAN;
    }

    /// Mirostat's current cut `mu`, in bits (0 when mirostat is off).
    pub fn mirostat_mu(&self) -> f32 {
        self.mu
    }

    /// Draws one token id from `logits`, which is used in place as scratch:
    /// on success its contents are unspecified, on error it is untouched.
    /// Records the token in the history.
    ///
    /// Consumes exactly one `rng.next_u64()` per successful call (greedy
    /// included), or two when `xtc_probability > 0` (and mirostat is off):
    /// XTC's coin first, then the draw's; none on error, so a seeded
    /// generator reproduces a run. XTC fires when the coin's top 24 bits,
    /// as an integer, are below `xtc_probability * 2^24`.
    pub fn sample<R: Rng + ?Sized>(
        &mut self,
        logits: &mut [f32],
        rng: &mut R,
    ) -> Result<u32, SampleError> {
        let max = self.scan_rewritten(logits)?;
        let coin = self.config.xtc_coin().then(|| rng.next_u64());
        let r = rng.next_u64();
        let token = self.choose(logits, max, None, coin, r, false).token;
        self.history.write(token);
        Ok(token)
    }

    /// [`sample`](Self::sample) under per-request `constraints` (applied
    /// before every other stage), reporting log-probabilities: the drawn
    /// token's under the model and under the distribution drawn from, and in
    /// `top` (may be empty) the `top.len()` most likely tokens of the model
    /// distribution, descending, ties to the lowest id (slots past the
    /// vocabulary get `u32::MAX` and `-inf`).
    ///
    /// The same token as `sample` for the same input, state and seed when
    /// the constraints are empty. Costs one extra exp pass over the logits
    /// (the model's normaliser) and, for a non-empty `top`, one selection
    /// pass. Errors leave the buffer, `top`, the history and the generator
    /// untouched.
    #[cfg(feature = "context")]
    pub fn sample_with<R: Rng + ?Sized>(
        &mut self,
        logits: &mut [f32],
        rng: &mut R,
        constraints: &Constraints,
        top: &mut [TokenLogprob],
    ) -> Result<Sampled, SampleError> {
        let k = self.kernels;
        let mut touched = Touched::NONE;
        let checked = self.validate(logits, constraints, &mut touched)?;
        let model = Model::new(k, logits, checked.max);
        logprob::fill_top(k, logits, model, top);
        let coin = self.config.xtc_coin().then(|| rng.next_u64());
        let r = rng.next_u64();
        let mut bias = [0.0; MAX_FINITE_BIAS];
        let (max, gathered) = self.rewrite(logits, constraints, checked, &mut bias, &touched);
        let chosen = self.choose(logits, max, gathered, coin, r, true);
        let ln = |x: u64| libm::logf(x as f32);
        let sampling_logprob = ln(chosen.mass) - ln(chosen.total);
        // Among certain tokens the filters rewrote `+inf` to 0 (see
        // `logits::keep_certain_only`): the drawn one's logit was `+inf`.
        let drawn = if max == f32::INFINITY {
            max
        } else {
            chosen.logit
        };
        let token = chosen.token;
        let original = constraints
            .original(token, &bias)
            .or_else(|| touched.original(token))
            .unwrap_or(drawn);
        self.history.write(token);
        Ok(Sampled {
            token,
            logprob: model.logprob(original),
            sampling_logprob,
        })
    }

    /// [`sample_with`](Self::sample_with) without the log-probabilities:
    /// the constraints (bias, mask) and the draw, at the cost of `sample`
    /// plus the mask's pass (no pass over the vocabulary for the model's
    /// normaliser). The same token as `sample_with`.
    #[cfg(feature = "context")]
    pub fn sample_constrained<R: Rng + ?Sized>(
        &mut self,
        logits: &mut [f32],
        rng: &mut R,
        constraints: &Constraints,
    ) -> Result<u32, SampleError> {
        let mut touched = Touched::NONE;
        let checked = self.validate(logits, constraints, &mut touched)?;
        let mut bias = [0.0; MAX_FINITE_BIAS];
        let coin = self.config.xtc_coin().then(|| rng.next_u64());
        let r = rng.next_u64();
        let (max, gathered) = self.rewrite(logits, constraints, checked, &mut bias, &touched);
        let token = self.choose(logits, max, gathered, coin, r, false).token;
        self.history.write(token);
        Ok(token)
    }

    /// Replaces `logits` by the distribution `sample` draws from: the survivors'
    /// renormalised probabilities, 0 for every other token. On error the buffer
    /// is untouched. Consumes no randomness and records nothing (mirostat's
    /// `mu` does not move). XTC is shown as it acts when its coin fires.
    ///
    /// Each value is the survivor's fixed-point mass over the total (see the
    /// crate docs, "Exactness"), rounded to `f32`: the draw itself uses the
    /// exact integers.
    pub fn distribution_in_place(&mut self, logits: &mut [f32]) -> Result<(), SampleError> {
        let max = self.scan_rewritten(logits)?;
        self.write_distribution(logits, max, None);
        Ok(())
    }

    /// [`distribution_in_place`](Self::distribution_in_place) under
    /// `constraints`: the distribution `sample_with` draws from.
    #[cfg(feature = "context")]
    pub fn distribution_in_place_with(
        &mut self,
        logits: &mut [f32],
        constraints: &Constraints,
    ) -> Result<(), SampleError> {
        let (max, gathered) = if *constraints == Constraints::default() {
            (self.scan_rewritten(logits)?, None)
        } else {
            let mut touched = Touched::NONE;
            let checked = self.validate(logits, constraints, &mut touched)?;
            let mut bias = [0.0; MAX_FINITE_BIAS];
            self.rewrite(logits, constraints, checked, &mut bias, &touched)
        };
        self.write_distribution(logits, max, gathered);
        Ok(())
    }

    /// The filters over the checked and rewritten `logits` (largest `max`,
    /// the candidates `gathered` in the scratch if any), then their
    /// distribution written over `logits`.
    fn write_distribution(&mut self, logits: &mut [f32], max: f32, gathered: Option<usize>) {
        let k = self.kernels;
        let (set, w) = match self.filter_or_greedy(logits, max, gathered, true) {
            Filtered::Greedy(set, max) => {
                let winner = survivors::first_max(k, &self.scratch, logits, set, max);
                logits::one_hot(logits, winner);
                return;
            }
            Filtered::Draw(set, w, _) => (set, w),
        };
        match set {
            Survivors::Scratch(len) => {
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
            Survivors::AtLeast(t) => {
                let total = k.exp_fixed(logits, t, w);
                k.scale_fixed(logits, probability_factor(total));
            }
        }
    }

    /// Every check of a call, leaving the buffer as it was: the logits
    /// (length, NaN, not all `-inf`) and the constraints (see
    /// `Constraints::scan_and_check`; it may gather a mask's tokens into the
    /// scratch, which holds no state between calls). `touched` receives the
    /// context window's tokens and their logits, and the scan leaves them
    /// and the bias's tokens out (their logits kept in the scratch while it
    /// runs), so that `rewrite` needs no second scan when it lowers one.
    #[cfg(feature = "context")]
    fn validate(
        &mut self,
        xs: &mut [f32],
        c: &Constraints,
        touched: &mut Touched<HISTORY>,
    ) -> Result<Checked, SampleError> {
        let (pen, dry) = self.windows();
        if pen.max(dry) > 0 {
            touched.capture(self.window(pen.max(dry)), xs);
        }
        c.scan_and_check(self.kernels, xs, &mut self.scratch, touched.parts())
    }

    /// The windows of the penalties and of DRY, 0 for a stage that is off
    /// (mirostat, when on, replaces them as in llama.cpp).
    fn windows(&self) -> (usize, usize) {
        let cfg = &self.config;
        if cfg.mirostat_on() {
            return (0, 0);
        }
        let pen = if cfg.penalties_on() {
            cfg.penalty_last_n
        } else {
            0
        };
        let dry = if cfg.dry_on() {
            cfg.dry_penalty_last_n
        } else {
            0
        };
        (pen, dry)
    }

    /// The last `n` accepted tokens.
    fn window(&self, n: usize) -> Window<'_> {
        let (older, newer) = self.history.as_slices();
        Window::last(older, newer, n)
    }

    /// Runs the penalties and DRY, in the configured order, over `xs`.
    /// `touched` holds the tally of the longer window (reused when that is
    /// the penalties').
    fn apply_context(&self, xs: &mut [f32], touched: &Touched<HISTORY>, tracker: &mut MaxTracker) {
        let (pen, dry) = self.windows();
        for &stage in self.order.as_slice() {
            match stage {
                Stage::Penalties if pen >= dry => {
                    penalties::apply(&self.config, &touched.tally, xs, tracker);
                }
                Stage::Penalties if pen > 0 => {
                    let mut tally: Tally<HISTORY> = Tally::EMPTY;
                    tally.fill(&self.window(pen), |_, _| {});
                    penalties::apply(&self.config, &tally, xs, tracker);
                }
                Stage::Dry if dry > 0 => {
                    let w = self.window(dry);
                    dry::apply::<HISTORY>(&self.config, &self.breakers, &w, xs, tracker);
                }
                _ => {}
            }
        }
    }

    /// Without constraints: the context stages' rewrites, then the max/NaN
    /// scan over the result, so the max needs no second pass. The rewrites
    /// touch at most `HISTORY` tokens; their old logits are kept and written
    /// back if the scan fails, so an error still leaves the buffer as it was.
    fn scan_rewritten(&self, xs: &mut [f32]) -> Result<f32, SampleError> {
        let k = self.kernels;
        let (pen, dry) = self.windows();
        if pen.max(dry) == 0 {
            return logits::scan(k, xs);
        }
        let mut touched: Touched<HISTORY> = Touched::NONE;
        touched.capture(self.window(pen.max(dry)), xs);
        if touched.pairs().any(|(_, v)| v.is_nan()) {
            // The scan reports the first NaN (nothing was written).
            return logits::scan(k, xs);
        }
        self.apply_context(xs, &touched, &mut MaxTracker::new(f32::NEG_INFINITY));
        logits::scan(k, xs).inspect_err(|_| touched.restore(xs))
    }

    /// With constraints (checked by `validate`): writes them and the context
    /// stages into `xs`; returns the largest logit afterwards (the
    /// validation's maximum without the rewritten tokens and their new
    /// logits; when validation could not leave them out, a bias of more
    /// entries than the scratch holds, it scans again if a rewrite lowered a
    /// token holding the max), and, when
    /// validation gathered the mask's tokens into the scratch (they fit),
    /// how many remain there: the mask is then not written over the buffer,
    /// which is not read as logits again. `bias` receives the finite bias's
    /// original logits, which `sample_with` needs (with `touched`, filled by
    /// `validate`) to report the model's logprob of a rewritten token.
    #[cfg(feature = "context")]
    fn rewrite(
        &mut self,
        xs: &mut [f32],
        c: &Constraints,
        checked: Checked,
        bias: &mut [f32; MAX_FINITE_BIAS],
        touched: &Touched<HISTORY>,
    ) -> (f32, Option<usize>) {
        let rest = checked.rest;
        let write_mask = checked.gathered.is_none();
        let mut tracker = c.apply(xs, checked.max_allowed, rest, bias, write_mask);
        // With the window's tokens left out of `rest`, their new logits are
        // read below instead (one call site: one copy of the stages' code).
        let mut untracked = MaxTracker::new(f32::NEG_INFINITY);
        let followed = if rest.is_some() {
            &mut untracked
        } else {
            &mut tracker
        };
        self.apply_context(xs, touched, followed);
        if let Some(len) = checked.gathered {
            return self.refresh_gathered(xs, len, checked.max_allowed, c, touched);
        }
        let max = match (tracker.known(), rest) {
            (Some(max), Some(_)) => {
                let larger = crate::filter::larger;
                let max = rewritten(touched.parts().0, c.logit_bias)
                    .fold(max, |m, t| xs.get(t as usize).map_or(m, |&x| larger(m, x)));
                as_the_kernel_reports(max)
            }
            (Some(max), None) => max,
            (None, _) => self.kernels.max_nan(xs).max,
        };
        debug_assert!(
            max == self.kernels.max_nan(xs).max,
            "the tracked maximum is the buffer's"
        );
        (max, None)
    }

    /// The gathered candidates after the rewrites: the bias's tokens and the
    /// history's (the only ones rewritten) take their new logits, banned ones
    /// leave; returns the largest logit and how many remain.
    #[cfg(feature = "context")]
    fn refresh_gathered(
        &mut self,
        xs: &[f32],
        len: usize,
        max_allowed: f32,
        c: &Constraints,
        touched: &Touched<HISTORY>,
    ) -> (f32, Option<usize>) {
        let cands = self.scratch.get_mut(..len).unwrap_or_default();
        let rewritten = c
            .logit_bias
            .iter()
            .map(|b| b.0)
            .chain(touched.pairs().map(|p| p.0));
        let mut any = false;
        for token in rewritten {
            if let Ok(i) = cands.binary_search_by_key(&token, |c| c.id)
                && let (Some(cand), Some(&x)) = (cands.get_mut(i), xs.get(token as usize))
            {
                cand.logit = x;
                any = true;
            }
        }
        if !any {
            // Nothing gathered was rewritten: the gather kept no `-inf` and
            // found the largest (a pass over thousands of a sparse mask's
            // candidates, 2 us at 2 % of 128 256, saved).
            return (max_allowed, Some(len));
        }
        let kept = crate::filter::retain(cands, |c| (c.logit > f32::NEG_INFINITY).then_some(c));
        let max = cands
            .get(..kept)
            .unwrap_or_default()
            .iter()
            .fold(f32::NEG_INFINITY, |m, c| crate::filter::larger(m, c.logit));
        debug_assert!(kept > 0, "the checks left an allowed token");
        (max, Some(kept))
    }

    /// The token of a sampling call for the call's coin (XTC's, if drawn)
    /// and 64-bit uniform `r`; `keep` asks for its logit and masses (else
    /// only the token is certain to be right). Moves mirostat's `mu`.
    fn choose(
        &mut self,
        xs: &mut [f32],
        max: f32,
        gathered: Option<usize>,
        coin: Option<u64>,
        r: u64,
        keep: bool,
    ) -> Chosen {
        let cfg = self.config;
        // `coin >> 40` is uniform on [0, 2^24); `p * 2^24` is exact.
        let fires = coin.is_none_or(|c| ((c >> 40) as f32) < cfg.xtc_probability * 16_777_216.0);
        let chosen = match self.filter_or_greedy(xs, max, gathered, fires) {
            Filtered::Greedy(set, max) => Chosen {
                token: survivors::first_max(self.kernels, &self.scratch, xs, set, max),
                logit: max,
                mass: 1,
                total: 1,
            },
            Filtered::Draw(set, w, ready) => {
                if keep || cfg.mirostat_on() {
                    self.draw_keeping(xs, set, w, ready, r)
                } else {
                    let token = self.draw(xs, set, w, ready, r);
                    Chosen {
                        token,
                        logit: w.max,
                        mass: 1,
                        total: 1,
                    }
                }
            }
        };
        if let Some((tau, eta)) = cfg.mirostat.params().filter(|_| cfg.mirostat_on()) {
            self.mu = mirostat::update(self.mu, tau, eta, chosen.mass, chosen.total);
        }
        chosen
    }

    /// [`filter`](Self::filter), or the greedy token's set at once when the
    /// temperature is 0 and no stage before it can remove the maximum.
    fn filter_or_greedy(
        &mut self,
        xs: &mut [f32],
        max: f32,
        gathered: Option<usize>,
        xtc_fires: bool,
    ) -> Filtered {
        let cfg = &self.config;
        let keeps_max = cfg.mirostat_on()
            || !(cfg.dynatemp_on() || cfg.is_on(Stage::Typical) || cfg.is_on(Stage::Xtc));
        if cfg.temperature == 0.0 && keeps_max {
            let set = match gathered {
                Some(len) => Survivors::Scratch(len),
                None => Survivors::AtLeast(f32::NEG_INFINITY),
            };
            return Filtered::Greedy(set, max);
        }
        self.filter(xs, max, gathered, xtc_fires)
    }

    /// The draw of `sample` from the filters' survivors: the token for the
    /// call's 64-bit uniform `r`.
    fn draw(
        &mut self,
        logits: &mut [f32],
        set: Survivors,
        w: Weighting,
        ready: bool,
        r: u64,
    ) -> u32 {
        let k = self.kernels;
        match set {
            Survivors::Scratch(len) => {
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
                    let total = scatter_masses(k, cands, logits, ready, w);
                    draw_from_fixed(k, logits, total, r)
                } else {
                    let masses = logits.get_mut(..len).unwrap_or_default();
                    draw_from_candidates(k, cands, masses, ready, w, r).0
                }
            }
            Survivors::AtLeast(t) => {
                let total = k.exp_fixed(logits, t, w);
                draw_from_fixed(k, logits, total, r)
            }
        }
    }

    /// The same draw (the same token), keeping the drawn token's logit
    /// readable, with its mass and the total mass.
    fn draw_keeping(
        &mut self,
        logits: &mut [f32],
        set: Survivors,
        w: Weighting,
        ready: bool,
        r: u64,
    ) -> Chosen {
        let k = self.kernels;
        match set {
            Survivors::Scratch(len) => {
                let cands = self.scratch.get_mut(..len).unwrap_or_default();
                let masses = logits.get_mut(..len).unwrap_or_default();
                let (token, total) = draw_from_candidates(k, cands, masses, ready, w, r);
                let logit = cands
                    .iter()
                    .find(|c| c.id == token)
                    .map_or(w.max, |c| c.logit);
                Chosen {
                    token,
                    logit,
                    mass: w.fixed(logit) as u64,
                    total,
                }
            }
            Survivors::AtLeast(t) => {
                // Read-only: the total, then chunk totals up to the crossing
                // chunk, then its elements (the same integer prefix as
                // `draw_from_fixed`).
                let total = k.exp_fixed_sum(logits, t, w);
                let goal = target(r, total);
                let mut cum = 0u64;
                let mut base = 0usize;
                for chunk in logits.chunks(CHUNK) {
                    let s = k.exp_fixed_sum(chunk, t, w);
                    if cum + s > goal {
                        for (i, &x) in chunk.iter().enumerate() {
                            if x >= t {
                                let q = w.fixed(x) as u64;
                                cum += q;
                                if cum > goal {
                                    return Chosen {
                                        token: (base + i) as u32,
                                        logit: x,
                                        mass: q,
                                        total,
                                    };
                                }
                            }
                        }
                        debug_assert!(false, "the chunk's total crosses the target");
                    }
                    cum += s;
                    base += chunk.len();
                }
                debug_assert!(false, "the target lies below the total");
                Chosen {
                    token: 0,
                    logit: w.max,
                    mass: 1,
                    total: total.max(1),
                }
            }
        }
    }

    /// Runs the filter stages (or mirostat's cut); returns the survivors (in
    /// the scratch if they fit) with the weighting the draw uses, and
    /// whether their masses under it already sit beside them in `xs` (top-p
    /// was the last stage to touch the scratch, under that same weighting);
    /// or the greedy set at temperature 0 (fixed or dynamic).
    fn filter(
        &mut self,
        xs: &mut [f32],
        max: f32,
        gathered: Option<usize>,
        xtc_fires: bool,
    ) -> Filtered {
        let cfg = self.config;
        let k = self.kernels;
        let certain = max == f32::INFINITY;
        // "Every finite logit" (or every certain token, now 0), in the buffer
        // or gathered in the scratch.
        let mut set = match gathered {
            Some(len) => Survivors::Scratch(if certain {
                keep_certain_candidates(self.scratch.get_mut(..len).unwrap_or_default())
            } else {
                len
            }),
            None => {
                if certain {
                    logits::keep_certain_only(xs);
                }
                Survivors::AtLeast(if certain { 0.0 } else { -f32::MAX })
            }
        };
        let mut max = if certain { 0.0 } else { max };
        // Weights at temperature `t`: among certain tokens, or at
        // temperature +inf, all candidates are equally likely.
        let weighting = |max: f32, t: f32| {
            if certain || t == f32::INFINITY {
                Weighting::UNIFORM
            } else {
                Weighting {
                    max,
                    inv_t: 1.0 / t,
                }
            }
        };
        if cfg.mirostat_on() {
            // As in llama.cpp: the constraints (applied), the plain
            // temperature, then mirostat's cut.
            if cfg.temperature == 0.0 {
                return Filtered::Greedy(set, max);
            }
            let w = weighting(max, cfg.temperature);
            let scratch = &mut self.scratch;
            let set = match cfg.mirostat {
                Mirostat::V1 { m, .. } => mirostat::v1(k, scratch, xs, set, w, m, self.mu),
                Mirostat::V2 { .. } => mirostat::v2(k, scratch, xs, set, w, max, self.mu),
                Mirostat::Off => set,
            };
            return Filtered::Draw(gather(k, scratch, xs, set, xs.len() / 8), w, false);
        }
        // Filters before the temperature stage see temperature 1.
        let mut temperature = 1.0f32;
        // The weighting of the masses beside the scratch candidates, while valid.
        let mut beside = None;
        for &stage in self.order.as_slice() {
            let w = weighting(max, temperature);
            let scratch = &mut self.scratch;
            set = match stage {
                Stage::Temperature => {
                    temperature = if cfg.dynatemp_on() {
                        // Its entropy visits the scratch in id order (sorting
                        // it): masses beside no longer line up.
                        beside = None;
                        temperature::dynamic(k, scratch, xs, set, &cfg, w)
                    } else {
                        cfg.temperature
                    };
                    if temperature == 0.0 {
                        return Filtered::Greedy(set, max);
                    }
                    set
                }
                Stage::MinP => {
                    let uniform = w == Weighting::UNIFORM;
                    match min_p::threshold(max, temperature, cfg.min_p, uniform) {
                        Some(threshold) => {
                            beside = None;
                            min_p::keep_with_min(k, scratch, xs, set, threshold, cfg.min_keep)
                        }
                        None => set,
                    }
                }
                Stage::TopK if cfg.top_k > 0 => {
                    beside = None;
                    let warm = Some((max, &mut self.top_k_gap));
                    top_k::top_k(k, scratch, xs, set, cfg.top_k, warm)
                }
                Stage::TopP if cfg.top_p < 1.0 => {
                    let cut = top_p::top_p(k, scratch, xs, set, cfg.top_p, cfg.min_keep, w);
                    beside = matches!(cut, Survivors::Scratch(_)).then_some(w);
                    cut
                }
                // Under uniform weights (temperature +inf before it, or
                // certain tokens) every survivor is equally likely: kept, as
                // min-p keeps them.
                Stage::TopNSigma if cfg.is_on(stage) && w != Weighting::UNIFORM => {
                    // Its sums visit the scratch in id order (sorting it),
                    // whatever they decide: masses beside no longer line up.
                    beside = None;
                    match top_n_sigma::threshold(k, scratch, xs, set, max, cfg.top_n_sigma) {
                        Some(threshold) => min_p::keep_at_least(scratch, set, threshold),
                        None => set,
                    }
                }
                Stage::Typical if cfg.is_on(stage) => {
                    beside = None;
                    let cut = typical::typical(k, scratch, xs, set, cfg.typical_p, cfg.min_keep, w);
                    max = survivors::max(k, scratch, xs, cut);
                    cut
                }
                Stage::Xtc if cfg.is_on(stage) && xtc_fires => {
                    beside = None;
                    let (p, min_keep) = (cfg.xtc_threshold, cfg.min_keep);
                    let cut = xtc::xtc(k, scratch, xs, set, p, min_keep, w);
                    max = survivors::max(k, scratch, xs, cut);
                    cut
                }
                // Context stages ran before (`rewrite`); off filters keep all.
                _ => set,
            };
        }
        let tempered = weighting(max, temperature);
        // Gather for the draw only a set much smaller than the vocabulary: a
        // dense one is drawn faster by the vectorised pass over the buffer
        // (both give the same token).
        let ready = matches!(set, Survivors::Scratch(_)) && beside == Some(tempered);
        let set = gather(k, &mut self.scratch, xs, set, xs.len() / 8);
        Filtered::Draw(set, tempered, ready)
    }
}

/// Mirostat's starting `mu`, `2 tau` (0 when it is off), within the bound
/// its updates keep.
fn initial_mu(config: &SamplerConfig) -> f32 {
    let on = config.mirostat.params().filter(|_| config.mirostat_on());
    let mu = on.map_or(0.0, |(tau, _)| 2.0 * tau);
    mirostat::bounded(mu)
}

/// Keeps the candidates whose logit is `+inf`, as logit 0 (the scratch's
/// `logits::keep_certain_only`); returns how many.
fn keep_certain_candidates(cands: &mut [Candidate]) -> usize {
    crate::filter::retain(cands, |c| {
        (c.logit == f32::INFINITY).then_some(Candidate {
            id: c.id,
            logit: 0.0,
        })
    })
}

/// Writes each candidate's fixed-point mass (the bits beside it in `xs` if
/// `ready`, else computed under `w`) at its id in `xs`, 0 elsewhere; returns
/// their total.
fn scatter_masses(
    k: Kernels,
    cands: &mut [Candidate],
    xs: &mut [f32],
    ready: bool,
    w: Weighting,
) -> u64 {
    if !ready && !k.is_scalar() {
        // The logits by id over a buffer of `-inf`, then the kernels' exp
        // pass (vectorised; blocks without a survivor are skipped).
        xs.fill(f32::NEG_INFINITY);
        for c in cands.iter() {
            if let Some(x) = xs.get_mut(c.id as usize) {
                *x = c.logit;
            }
        }
        return k.exp_fixed(xs, -f32::MAX, w);
    }
    // Park the masses in the candidates first: `xs` is about to be cleared.
    for (i, c) in cands.iter_mut().enumerate() {
        let q = match xs.get(i) {
            Some(m) if ready => m.to_bits(),
            _ => w.fixed_inlined(c.logit),
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
