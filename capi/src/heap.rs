//! `ls_sampler_new` / `ls_sampler_free`: a sampler on the system allocator,
//! for desktop programs (cargo feature `alloc`, in the default build; absent
//! from the no_std library, where calling them is a link error).

use std::alloc::{Layout, alloc, dealloc};

use crate::args;
use crate::config::LsConfig;
use crate::sampler::{LsSampler, init};
use crate::status::{LsError, LsStatus};

/// Allocates and initialises a sampler for `*cfg`, storing it in `*out`; free
/// it with `ls_sampler_free`. Only in builds with the `alloc` feature (the
/// default desktop build). The errors are `ls_sampler_init`'s for `cfg` and
/// `out`, and `LS_OUT_OF_MEMORY`; nothing is allocated on error.
///
/// # Safety
/// `cfg` points to an `ls_config`; `out` to writable memory for a pointer;
/// `err` is NULL or points to writable memory for an `ls_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sampler_new(
    cfg: *const LsConfig,
    out: *mut *mut LsSampler,
    err: *mut LsError,
) -> LsStatus {
    // SAFETY: the caller's promise about `err`.
    let err = match unsafe { args::optional_out(err, 3) } {
        Ok(err) => err,
        Err(e) => return e.status,
    };
    // SAFETY: the caller's promises about `cfg` and `out`.
    args::finish(unsafe { new(cfg, out) }, err)
}

/// The body of [`ls_sampler_new`].
///
/// # Safety
/// As [`ls_sampler_new`].
unsafe fn new(cfg: *const LsConfig, out: *mut *mut LsSampler) -> Result<(), LsError> {
    // Check the pointers before allocating, so that their errors name the
    // arguments of this call rather than of `init`.
    if cfg.is_null() || out.is_null() {
        let argument = if cfg.is_null() { 1 } else { 2 };
        return Err(LsError::argument(LsStatus::LS_NULL_POINTER, argument));
    }
    if !cfg.is_aligned() || !out.is_aligned() {
        let argument = if cfg.is_aligned() { 2 } else { 1 };
        return Err(LsError::argument(LsStatus::LS_BAD_ALIGNMENT, argument));
    }
    let layout = Layout::new::<LsSampler>();
    // SAFETY: `layout` has a non-zero size (the sampler holds its scratch).
    let mem = unsafe { alloc(layout) };
    if mem.is_null() {
        return Err(LsError::status(LsStatus::LS_OUT_OF_MEMORY));
    }
    // SAFETY: `mem` is a fresh allocation of the sampler's size and
    // alignment; `cfg` and `out` are the caller's (checked above).
    let result = unsafe { init(mem.cast(), layout.size(), cfg, out) };
    if result.is_err() {
        // SAFETY: allocated above with `layout`, and not handed out.
        unsafe { dealloc(mem, layout) };
    }
    result
}

/// Frees a sampler made by `ls_sampler_new`. NULL is ignored.
///
/// # Safety
/// `sampler` is NULL or a pointer `ls_sampler_new` returned and not yet
/// freed (never one from `ls_sampler_init`). It is invalid afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sampler_free(sampler: *mut LsSampler) {
    if !sampler.is_null() {
        // SAFETY: allocated by `ls_sampler_new` with this layout (the
        // caller's promise); `LsSampler` holds nothing to drop.
        unsafe { dealloc(sampler.cast(), Layout::new::<LsSampler>()) };
    }
}
