//! # logit-sampler
//!
//! Turns a vector of LLM logits into one token id: temperature, min-p, top-k,
//! top-p and the draw, in place, with no heap, no panic path and SIMD kernels
//! (SSE2, AVX2+FMA, AVX-512F, NEON) that return the same bits as the scalar path.
//!
//! ```
//! use logit_sampler::{Pcg32, SampleError, Sampler, SamplerConfig};
//! use logit_sampler::rand_core::SeedableRng;
//!
//! # fn main() -> Result<(), SampleError> {
//! let mut logits = [3.5f32, 3.1, 2.9, 2.0, -0.5]; // moon, stars, sky, station, launchpad
//! let config = SamplerConfig { temperature: 0.8, min_p: 0.1, top_k: 3, top_p: 0.7 };
//! let mut sampler: Sampler<256> = Sampler::new(config)?;
//! let mut rng = Pcg32::seed_from_u64(42);
//! let token = sampler.sample(&mut logits, &mut rng)?;
//! assert!(token <= 1); // top-p 0.7 keeps only moon and stars
//! # Ok(()) }
//! ```
//!
//! ## Semantics
//!
//! - Default order: temperature, min-p, top-k, top-p, draw ([`Sampler::with_order`]
//!   picks another). Each filter sees the previous survivors, renormalised.
//! - Temperature `0` is greedy (ties to the lowest id), `+inf` uniform over the
//!   survivors; negative, NaN and subnormal temperatures are errors.
//! - min-p keeps `p_i >= m * p_max` (computed in logit space, no exp).
//! - top-k keeps exactly `min(k, n)` tokens; ties at the k-th logit go to the lowest ids.
//! - top-p keeps the smallest most-likely set with mass `>= p`, crossing token included.
//! - `+inf` logits are certain (uniform among them); `-inf` logits are impossible.
//! - Bad input returns a [`SampleError`] and leaves the buffer untouched.
//!
//! ## Exactness, reproducibility, accuracy
//!
//! Survivors never depend on the capacity `CAP`: beyond it the sampler streams
//! over the logits. Masses for top-p are summed as exact fixed-point integers
//! and draws walk the survivors in ascending id with a fixed summation layout,
//! so the same logits, config and seed give the same token on every backend
//! and every capacity.
//!
//! The exp behind every weight is a Cody-Waite range reduction plus a degree-7
//! polynomial, evaluated with the same operations (no FMA) on every backend.
//! Over the sampler's inputs `s` in `[-104, 0]` its error is below 1 ulp
//! (0.982 ulp at worst, measured over every f32 in the range; the test suite
//! re-checks a 1-in-61 sweep), with correct gradual underflow below
//! `exp(-87.3)`, exactly 1 at 0 and 0 at `-inf`. Probabilities are within a
//! relative `(|s| + S + 16) * 2^-22` of the exact f64 value, `s` being the
//! token's `(l - l_max) / T` and `S` the probability-weighted mean of `|s|`.
//!
//! ## Crate features
//!
//! - `std` (off by default): runtime CPU detection in [`Backend::detect`] and
//!   `std::error::Error` for [`SampleError`]. Without it the backend is chosen
//!   at compile time from the enabled `target_feature`s.

#![no_std]
#![deny(
    missing_docs,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]

#[cfg(any(feature = "std", test))]
extern crate std;

mod config;
mod draw;
mod error;
mod filter;
pub mod kernels;
mod logits;
mod sampler;
mod softmax;

pub use config::{SamplerConfig, Stage};
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
#[doc = include_str!("../../README.md")]
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
