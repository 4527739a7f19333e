//! # logit-sampler
//!
//! Turns a vector of LLM logits into one token id: repetition, frequency and
//! presence penalties and DRY over the token history, a logit bias and an
//! allowed-token mask, temperature (fixed or dynamic), min-p, top-k, top-p,
//! top-n-sigma, typical-p, XTC, mirostat v1 and v2, the draw and
//! log-probabilities (every sampler of llama.cpp's common chain, with
//! [`SamplerConfig::llama_cpp`] and [`Stage::LLAMA_CPP_ORDER`] its defaults),
//! in place, with no heap, no panic path and SIMD kernels (SSE2, AVX2+FMA,
//! AVX-512F, NEON) that return the same bits as the scalar path.
//!
//! ```
//! use logit_sampler::{Pcg32, SampleError, Sampler, SamplerConfig};
//! use logit_sampler::rand_core::SeedableRng;
//!
//! # fn main() -> Result<(), SampleError> {
//! let mut logits = [3.5f32, 3.1, 2.9, 2.0, -0.5]; // moon, stars, sky, station, launchpad
//! let config = SamplerConfig {
//!     temperature: 0.8, min_p: 0.1, top_k: 3, top_p: 0.7,
//!     ..SamplerConfig::default()
//! };
//! let mut sampler: Sampler<256> = Sampler::new(config)?;
//! let mut rng = Pcg32::seed_from_u64(42);
//! let token = sampler.sample(&mut logits, &mut rng)?;
//! assert!(token <= 1); // top-p 0.7 keeps only moon and stars
//! # Ok(()) }
//! ```
//!
//! ## Semantics
//!
//! - Default order: penalties, DRY, top-n-sigma, temperature, min-p, top-k,
//!   top-p, typical, XTC, draw ([`Sampler::with_order`] picks another). Each filter sees the previous
//!   survivors, renormalised. [`Sampler::sample_with`] applies a call's
//!   [`Constraints`] (logit bias, allowed-token mask) before every stage and
//!   reports log-probabilities ([`Sampled`], [`TokenLogprob`]).
//! - Penalties and DRY follow llama.cpp's formulas over the last accepted
//!   tokens (kept in the sampler: [`Sampler::accept`], [`Sampler::reset`]);
//!   a finite logit saturates at `±f32::MAX` rather than overflowing.
//! - Temperature `0` is greedy (ties to the lowest id), `+inf` uniform over the
//!   survivors; negative, NaN and subnormal temperatures are errors.
//! - min-p keeps `p_i >= m * p_max` (computed in logit space, no exp).
//! - top-k keeps exactly `min(k, n)` tokens; ties at the k-th logit go to the lowest ids.
//! - top-p keeps the smallest most-likely set with mass `>= p`, crossing token included.
//! - top-n-sigma keeps `l >= max - n σ` (σ of the survivors' logits, no exp);
//!   typical-p the set of surprise closest to the entropy whose mass exceeds
//!   `p` (ties to the lowest id); XTC, when its coin fires (one more
//!   `next_u64`), removes every token with `p >= threshold` but the least
//!   likely; dynamic temperature maps the entropy to `T`; `min_keep` as in
//!   llama.cpp. Their sums and cuts are exact or computed in a fixed order,
//!   so they too give the same token on every backend and capacity.
//! - Mirostat ([`Mirostat`]) replaces the other stages, adapting its cut `μ`
//!   (sampler state) after every draw.
//! - `+inf` logits are certain (uniform among them); `-inf` logits are impossible.
//! - Bad input returns a [`SampleError`] and leaves the buffer untouched.
//!
//! ## Exactness, reproducibility, accuracy
//!
//! Survivors never depend on the capacity `CAP`: beyond it the sampler streams
//! over the logits. Every mass the sampler adds up is an integer: a token's
//! weight `w = exp((l - l_max) / T)` (at most 1) becomes the fixed-point
//! `q = round(w * 2^30)`, and `q`s are summed exactly in `u64`. So top-p's
//! cut (`ceil(p * total)`, computed exactly) and the draw (the token whose
//! interval, in ascending id, holds `floor(r * total / 2^64)` for the call's
//! 64-bit uniform `r`) do not depend on summation order: the same logits,
//! config and seed give the same token on every backend and every capacity.
//! Integers are also what a microcontroller adds cheaply (a `u64` add is two
//! instructions on a 32-bit core; an `f64` add on an FPU without doubles is a
//! software routine).
//!
//! The exp behind every weight is a Cody-Waite range reduction plus a degree-7
//! polynomial, evaluated with the same operations (no FMA) on every backend.
//! Over the sampler's inputs `s` in `[-104, 0]` its error is below 1 ulp
//! (0.982 ulp at worst, measured over every f32 in the range, which the test
//! suite re-checks on every backend), with correct gradual underflow below
//! `exp(-87.3)`, exactly 1 at 0 and 0 at `-inf`.
//!
//! The probability a draw uses for a survivor is `q / total`. It is within
//! `p (|s| + S + 16) 2^-22 + (1 + m p) 2^-30 / W` of the exact
//! `p = w / W`, where `s` is the token's `(l - l_max) / T`, `S` the
//! probability-weighted mean of `|s|`, `m` the number of survivors and
//! `W >= 1` their exact weight sum: exp's relative error, plus half a unit of
//! 2^-30 (of the max's weight) per mass. Tokens with `w < 2^-31` (more than
//! 21.5 nats below the max, after temperature) get mass 0 and are never drawn.
//! For sampling this costs nothing measurable: the total variation between the
//! distribution drawn from and the exact one is at most about
//! `(|s| + S + 16) 2^-22 + m 2^-30 / W` — below `3e-6 + m 1e-9` — far below what
//! any number of draws a model makes could detect, and unbiased (masses are
//! rounded to nearest, not truncated). [`softmax_in_place`], whose output is
//! the probabilities themselves, keeps f32 weights and divides by an integer
//! total of them (exact from 2^-21 on, the tail below to 2^-51, rounded once
//! to 2^-30): relative `(|s| + S + 16) 2^-22 + (2^-31 + n 2^-52) / W` for `n`
//! logits. [`sample_inverse_cdf`] and [`AliasTable`] turn the caller's
//! weights into masses as the sampler does, scaled so that the largest lies
//! in `[2^29, 2^30)` (a weight below half a unit, at most `max * 2^-30`, is
//! never drawn): the inverse CDF is exact in integers, the alias table's
//! pairing too, its `f32` thresholds within 1.5 ulp. No `f64` is left outside
//! the shape stages' statistics.

//! ## Crate features
//!
//! - `std` (on by default): links `std` and detects the CPU's SIMD tier
//!   through it. Turn it off (`default-features = false`) for `no_std`; the
//!   crate then needs neither `std` nor `alloc`, and [`Backend::detect`] still
//!   asks the CPU at run time (on x86_64 by `cpuid` and `xgetbv`; aarch64
//!   always has NEON). [`SampleError`] implements `core::error::Error` either way.
//! - `context` (on by default): the repetition, frequency and presence
//!   penalties and DRY, and `sample_with`'s logit bias, allowed-token mask and
//!   log-probabilities ([`Sampler::sample_with`], `Constraints`, `Sampled`).
//! - `shapes` (on by default): top-n-sigma, typical-p, XTC, dynamic
//!   temperature and mirostat.
//!
//! Without the last two the core has temperature, min-p, top-k, top-p and the
//! draws, in about a third of the code on a microcontroller (15.8 KiB instead
//! of 44.8 KiB for every entry point on a Cortex-M4F). A configuration that
//! turns on a stage the build leaves out (any value but the neutral one of
//! the parameter that turns it on) is refused by [`Sampler::new`]
//! ([`SampleError::NotBuilt`]), never skipped; the stage's other parameters
//! are not read there ([`SamplerConfig::validate`]). no_std users who want
//! every stage: `default-features = false, features = ["context", "shapes"]`.

#![no_std]
#![deny(
    missing_docs,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]

#[cfg(any(feature = "std", test))]
extern crate std;

mod config;
mod context;
mod draw;
mod error;
mod filter;
// Public for this workspace's test suite and benchmarks only: hidden and
// outside semver (see the module doc).
#[doc(hidden)]
pub mod kernels;
mod logits;
mod sampler;
mod softmax;

pub use config::{Mirostat, SamplerConfig, Stage};
#[cfg(feature = "context")]
pub use context::constraints::{Constraints, MAX_FINITE_BIAS};
pub use context::dry::{MAX_DRY_BREAKER_LEN, MAX_DRY_BREAKER_TOKENS, MAX_DRY_BREAKERS};
pub use context::history::History;
#[cfg(feature = "context")]
pub use context::logprob::{Sampled, TokenLogprob};
pub use context::window::MAX_WINDOW;
pub use draw::alias::AliasTable;
pub use draw::gaussian::{fill_gaussian, gaussian};
pub use draw::inverse_cdf::{sample_inverse_cdf, sample_inverse_cdf_with};
pub use error::SampleError;
pub use kernels::Backend;
pub use rand_core;
pub use rand_pcg::Pcg32;
pub use sampler::Sampler;
pub use softmax::{softmax_in_place, softmax_in_place_with};

/// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Index of the largest logit, ties to the lowest index.
///
/// Errors: empty or too long input, a NaN (with its index), or all `-inf`.
pub fn argmax(logits: &[f32]) -> Result<u32, SampleError> {
    argmax_with(Backend::detect(), logits)
}

/// [`argmax`] on a chosen backend.
pub fn argmax_with(backend: Backend, logits: &[f32]) -> Result<u32, SampleError> {
    let k = backend.kernels()?;
    let max = logits::scan(k, logits)?;
    Ok(logits::first_max(k, logits, max))
}
