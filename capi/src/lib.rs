//! # logit-sampler's C API
//!
//! `liblogit_sampler.a` / `liblogit_sampler.so` and `include/logit_sampler.h`
//! (generated from this crate by cbindgen; `check.sh` fails when the checked-in
//! header is stale). The header's comments are this crate's doc comments, so
//! they are written for a C programmer.
//!
//! What the boundary keeps of the core's promises:
//! - **No heap**: the caller gives the sampler's memory ([`ls_sampler_init`]);
//!   [`ls_sampler_new`] / [`ls_sampler_free`] exist only with feature `alloc`.
//! - **No panic**: the core has no panic path and neither has this crate
//!   (`check.sh` links the thumbv7em staticlib with a panic handler that cannot
//!   link). `unsafe` is only where C pointers become references, each block
//!   with its reason.
//! - **Errors, not UB**: every pointer is checked for NULL and alignment, every
//!   length and enum value for range; on error the caller's buffers and the
//!   generator are untouched.
//! - **The same token as the Rust API**: the same logits, config and seed give
//!   the token `Sampler::sample` gives with `Pcg32::seed_from_u64(seed)`.
//!
//! ## Cargo features
//! - `std` (default): links std (its panic handler; CPU detection through std).
//! - `alloc` (default, needs `std`): [`ls_sampler_new`] and [`ls_sampler_free`].
//! - Neither (`--no-default-features`): a `no_std` staticlib for bare-metal
//!   targets (panic strategy `abort`), with a panic handler that spins (it is
//!   unreachable: see `panic-never`).
//! - `panic-never`: the panic handler instead calls an undefined symbol, for
//!   the link-time proof.

#![cfg_attr(not(any(feature = "std", test)), no_std)]
#![deny(
    missing_docs,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks,
    clippy::missing_safety_doc
)]

// The modules in the order of the header (cbindgen follows them).
mod status;

mod config;

mod sampler;

mod context;

#[cfg(feature = "alloc")]
mod heap;

mod rng;

mod functions;

mod backend;

/// cbindgen:ignore
#[cfg(feature = "teeth")]
mod teeth;

mod args;

pub use backend::{LsBackend, ls_backend_available, ls_backend_detect, ls_backend_name};
pub use config::{
    LS_STAGE_COUNT, LsConfig, LsStage, ls_config_default, ls_config_greedy, ls_config_llama_cpp,
};
pub use context::{
    LS_MAX_DRY_BREAKER_LEN, LS_MAX_DRY_BREAKER_TOKENS, LS_MAX_DRY_BREAKERS, LS_MAX_FINITE_BIAS,
    LsConstraints, LsLogitBias, LsSampled, LsTokenLogprob, ls_accept,
    ls_distribution_in_place_with, ls_reset, ls_sample_constrained, ls_sample_with,
    ls_sampler_history, ls_sampler_history_len, ls_sampler_mirostat_mu,
    ls_sampler_set_dry_breakers,
};
pub use functions::{
    ls_argmax, ls_argmax_with, ls_sample_inverse_cdf, ls_sample_inverse_cdf_with,
    ls_softmax_in_place, ls_softmax_in_place_with,
};
#[cfg(feature = "alloc")]
pub use heap::{ls_sampler_free, ls_sampler_new};
pub use rng::{LsNextU64, LsRng, ls_rng_callback, ls_rng_next_u64, ls_rng_pcg32, ls_rng_seed};
pub use sampler::{
    LS_HISTORY, LS_SAMPLER_CAPACITY, LS_SAMPLER_STORAGE_WORDS, LsSampler, LsSamplerStorage,
    ls_distribution_in_place, ls_sample, ls_sampler_align, ls_sampler_backend, ls_sampler_config,
    ls_sampler_init, ls_sampler_init_ex, ls_sampler_last_error, ls_sampler_set_backend,
    ls_sampler_size,
};
pub use status::{LsError, LsStatus, ls_status_str, ls_version};

#[cfg(all(not(feature = "std"), feature = "panic-never"))]
use panic_never as _;

/// Unreachable (`check.sh` proves it with feature `panic-never`): no entry
/// point of the library has a panic path. Spinning, rather than an undefined
/// instruction, keeps the handler free of target-specific code.
#[cfg(all(not(feature = "std"), not(feature = "panic-never"), not(test)))]
#[panic_handler]
fn unreachable_panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests;
