//! `ls_sampler`: the core's `Sampler<LS_SAMPLER_CAPACITY, LS_HISTORY>` in
//! memory the caller provides, with the detail of its last call's error.

use core::ffi::c_void;
use core::mem::{MaybeUninit, align_of, size_of};
use core::ptr;

use logit_sampler::{Sampler, Stage};

use crate::args;
use crate::backend::{LsBackend, LsBackendRaw, core_backend};
use crate::config::{LS_STAGE_COUNT, LsConfig};
use crate::rng::LsRng;
use crate::status::{LsError, LsStatus};

/// The sampler's scratch capacity, in candidates (8 bytes each). It trades
/// memory for speed, never correctness: survivors beyond it are handled by
/// streaming passes over the logits, and the token is the same at every
/// capacity. 1024 (8 KiB) holds what the usual settings keep of a model's
/// logits (top-k 40, top-p 0.95 or min-p 0.05 keep tens to hundreds of tokens).
pub const LS_SAMPLER_CAPACITY: usize = 1024;

/// The sampler's token history: the last `LS_HISTORY` accepted tokens (4
/// bytes each), which the penalties and DRY read. Their windows
/// (`penalty_last_n`, `dry_penalty_last_n`) are at most this.
pub const LS_HISTORY: usize = 256;

/// The size of `ls_sampler_storage` in `uint64_t` words: room for the
/// scratch (one word per candidate), the history (two tokens per word) and
/// the rest of the sampler (configuration, DRY's sequence breakers), on
/// every target.
pub const LS_SAMPLER_STORAGE_WORDS: usize = LS_SAMPLER_CAPACITY + LS_HISTORY / 2 + 96;

/// The core sampler behind an `ls_sampler`.
/// cbindgen:ignore
pub(crate) type CoreSampler = Sampler<LS_SAMPLER_CAPACITY, LS_HISTORY>;

/// A sampler: configuration, stage order, backend, the history of accepted
/// tokens (`LS_HISTORY`), DRY's sequence breakers, scratch for
/// `LS_SAMPLER_CAPACITY` candidates, and the detail of its last call's error.
/// Opaque; lives in memory the caller provides (`ls_sampler_init`). It holds
/// no pointers, so it needs no cleanup: reuse or discard the memory freely.
///
/// One sampler must not be used by two threads at once; different samplers
/// are independent.
pub struct LsSampler {
    pub(crate) sampler: CoreSampler,
    last_error: LsError,
}

/// Memory for one sampler with the size and alignment it needs on every
/// target, for a `static` or a stack variable without `_Alignas`:
///
/// ```c
/// static ls_sampler_storage memory;
/// ls_sampler *s;
/// ls_status st = ls_sampler_init(&memory, sizeof memory, &cfg, &s);
/// ```
#[repr(C)]
pub struct LsSamplerStorage {
    /// Not to be read: the sampler's bytes.
    pub words: [u64; LS_SAMPLER_STORAGE_WORDS],
}

const _: () = assert!(
    size_of::<LsSampler>() <= size_of::<LsSamplerStorage>()
        && align_of::<LsSampler>() <= align_of::<LsSamplerStorage>(),
    "ls_sampler_storage must hold an ls_sampler on every target"
);

/// The bytes of memory `ls_sampler_init` needs (at most
/// `sizeof(ls_sampler_storage)`).
#[unsafe(no_mangle)]
pub extern "C" fn ls_sampler_size() -> usize {
    size_of::<LsSampler>()
}

/// The alignment, in bytes, of the memory `ls_sampler_init` needs (at most
/// `_Alignof(ls_sampler_storage)`; `malloc`'s alignment suffices).
#[unsafe(no_mangle)]
pub extern "C" fn ls_sampler_align() -> usize {
    align_of::<LsSampler>()
}

impl LsSampler {
    /// Checks `config` and its order as `Sampler::init` and `set_order` do,
    /// config before order, on a sampler without scratch.
    fn validate(config: &LsConfig) -> Result<(), LsError> {
        let mut order = [Stage::Temperature; LS_STAGE_COUNT];
        let mut probe: Sampler<0, LS_HISTORY> = Sampler::DEFAULT;
        probe.set_config(config.sampler_config()?)?;
        Ok(probe.set_order(config.stage_order(&mut order)?)?)
    }

    /// Records `result` as the last call's outcome and returns its status.
    pub(crate) fn finish(&mut self, result: Result<(), LsError>) -> LsStatus {
        self.last_error = result.err().unwrap_or(LsError::OK);
        self.last_error.status
    }
}

/// Validates `mem` and `cfg` and writes a new sampler into `mem`.
///
/// # Safety
/// The contract of [`ls_sampler_init`].
pub(crate) unsafe fn init(
    mem: *mut c_void,
    len: usize,
    cfg: *const LsConfig,
    out: *mut *mut LsSampler,
) -> Result<(), LsError> {
    let mem = mem.cast::<LsSampler>();
    if mem.is_null() {
        return Err(LsError::argument(LsStatus::LS_NULL_POINTER, 1));
    }
    if !mem.is_aligned() {
        return Err(LsError::argument(LsStatus::LS_BAD_ALIGNMENT, 1));
    }
    if len < size_of::<LsSampler>() {
        return Err(LsError {
            argument: 2,
            len,
            capacity: size_of::<LsSampler>(),
            ..LsError::status(LsStatus::LS_BUFFER_TOO_SMALL)
        });
    }
    // SAFETY: the caller's promise about `cfg`.
    let cfg = unsafe { args::get(cfg, 3)? };
    // SAFETY: the caller's promise about `out`.
    let out = unsafe { args::out(out, 4)? };
    LsSampler::validate(cfg)?;
    // In place: `Sampler::init` writes the core's constant sampler straight
    // into `mem` (a sampler built by value took 28 KiB of stack on a
    // Cortex-M4F, three temporaries).
    // SAFETY: `mem` is non-NULL, aligned and at least `size_of::<LsSampler>()`
    // bytes (checked), writable and not overlapping `cfg` or `out` (the
    // caller's promise); a `MaybeUninit` place may hold anything, and the
    // field projection stays inside it.
    let slot =
        unsafe { &mut *ptr::addr_of_mut!((*mem).sampler).cast::<MaybeUninit<CoreSampler>>() };
    let sampler = Sampler::init(slot, cfg.sampler_config()?)?;
    let mut order = [Stage::Temperature; LS_STAGE_COUNT];
    // Cannot fail: `validate` ran the same checks.
    sampler.set_order(cfg.stage_order(&mut order)?)?;
    // SAFETY: as above, for the other field.
    unsafe { ptr::addr_of_mut!((*mem).last_error).write(LsError::OK) };
    out.write(mem);
    Ok(())
}

/// Makes a sampler for `*cfg` in the caller's memory `mem` (`len` bytes, at
/// least `ls_sampler_size()`, aligned to `ls_sampler_align()`; an
/// `ls_sampler_storage` is both) and stores its address in `*out`. The backend
/// is `ls_backend_detect()`'s. No allocation; nothing to free.
///
/// The history starts empty, with no DRY sequence breakers; mirostat's `mu`
/// at `2 * mirostat_tau`.
///
/// Errors (nothing is written on error): `LS_NULL_POINTER` (`mem`, `cfg`,
/// `out`), `LS_BAD_ALIGNMENT`, `LS_BUFFER_TOO_SMALL`, and the config's
/// `LS_INVALID_TEMPERATURE`, `LS_INVALID_MIN_P`, `LS_INVALID_TOP_P`,
/// `LS_INVALID_REPEAT_PENALTY`, `LS_INVALID_FREQUENCY_PENALTY`,
/// `LS_INVALID_PRESENCE_PENALTY`, `LS_INVALID_DRY_MULTIPLIER`,
/// `LS_INVALID_DRY_BASE`, `LS_WINDOW_EXCEEDS_HISTORY`,
/// `LS_INVALID_TYPICAL_P`, `LS_INVALID_TOP_N_SIGMA`,
/// `LS_INVALID_XTC_PROBABILITY`, `LS_INVALID_XTC_THRESHOLD`,
/// `LS_INVALID_DYNATEMP_RANGE`, `LS_INVALID_DYNATEMP_EXPONENT`,
/// `LS_INVALID_MIROSTAT`, `LS_INVALID_STAGE_ORDER`, `LS_STAGE_NOT_IN_ORDER`.
/// `ls_sampler_init_ex`
/// also reports the detail (which argument, which value).
///
/// Calling it again on the same memory makes a fresh sampler (this is how to
/// change the configuration): its history, breakers and backend start anew.
/// A failed call leaves the sampler that was there as it was.
///
/// # Safety
/// `mem` points to `len` writable bytes; `cfg` to an `ls_config`; `out` to
/// writable memory for a pointer. None of them overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sampler_init(
    mem: *mut c_void,
    len: usize,
    cfg: *const LsConfig,
    out: *mut *mut LsSampler,
) -> LsStatus {
    // SAFETY: the caller's promises, passed on; no error detail is asked for.
    unsafe { ls_sampler_init_ex(mem, len, cfg, out, core::ptr::null_mut()) }
}

/// `ls_sampler_init`, with the error's detail written to `*err` unless `err`
/// is NULL.
///
/// Makes a sampler for `*cfg` in the caller's memory `mem` (`len` bytes, at
/// least `ls_sampler_size()`, aligned to `ls_sampler_align()`; an
/// `ls_sampler_storage` is both) and stores its address in `*out`. The backend
/// is `ls_backend_detect()`'s. No allocation; nothing to free.
///
/// The history starts empty, with no DRY sequence breakers; mirostat's `mu`
/// at `2 * mirostat_tau`.
///
/// Errors (nothing is written on error): `LS_NULL_POINTER` (`mem`, `cfg`,
/// `out`), `LS_BAD_ALIGNMENT`, `LS_BUFFER_TOO_SMALL`, and the config's
/// errors (see `ls_sampler_init`). The detail goes to `*err` unless `err` is
/// NULL.
///
/// Calling it again on the same memory makes a fresh sampler (this is how to
/// change the configuration): its history, breakers and backend start anew.
/// A failed call leaves the sampler that was there as it was.
///
/// # Safety
/// `mem` points to `len` writable bytes; `cfg` to an `ls_config`; `out` to
/// writable memory for a pointer; `err` is NULL or points to writable memory
/// for an `ls_error`. None of them overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sampler_init_ex(
    mem: *mut c_void,
    len: usize,
    cfg: *const LsConfig,
    out: *mut *mut LsSampler,
    err: *mut LsError,
) -> LsStatus {
    // SAFETY: the caller's promise about `err`.
    let err = match unsafe { args::optional_out(err, 5) } {
        Ok(err) => err,
        Err(e) => return e.status,
    };
    // SAFETY: the caller's promises, passed on.
    args::finish(unsafe { init(mem, len, cfg, out) }, err)
}

/// Draws one token id from `logits[0 .. len)` into `*token_out`, consuming
/// exactly one 64-bit word from `rng` on success (two when
/// `xtc_probability > 0` and mirostat is off: XTC's coin first, then the
/// draw's), and records the token in the sampler's history (for the
/// penalties and DRY; mirostat moves its `mu`). The result is the
/// token the Rust API's `Sampler::sample` returns for the same logits,
/// configuration, history and generator state, on every backend.
///
/// `logits` is used in place as scratch: on success its contents are
/// unspecified; on error it, `*token_out`, `*rng` and the history are
/// untouched and no randomness is consumed.
///
/// Errors: `LS_NULL_POINTER`, `LS_BAD_ALIGNMENT` (any pointer), `LS_EMPTY`,
/// `LS_TOO_LONG`, `LS_NAN_LOGIT`, `LS_NO_CANDIDATES`. The detail is kept in
/// the sampler (`ls_sampler_last_error`), except for a bad `sampler` itself.
///
/// # Safety
/// `sampler` comes from `ls_sampler_init` (or `ls_sampler_new`) and is not in
/// use by another thread; `logits` points to `len` floats; `rng` to an
/// initialised `ls_rng` (its callback, if any, callable); `token_out` to
/// writable memory for a `uint32_t`. None of them overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sample(
    sampler: *mut LsSampler,
    logits: *mut f32,
    len: usize,
    rng: *mut LsRng,
    token_out: *mut u32,
) -> LsStatus {
    // SAFETY: the caller's promise about `sampler`.
    let sampler = match unsafe { args::get_mut(sampler, 1) } {
        Ok(s) => s,
        Err(e) => return e.status,
    };
    // SAFETY: the caller's promises about the other arguments.
    let result = unsafe { sample(&mut sampler.sampler, logits, len, rng, token_out) };
    sampler.finish(result)
}

/// The body of [`ls_sample`] once the sampler is a reference.
///
/// # Safety
/// As [`ls_sample`] for the other arguments.
unsafe fn sample(
    sampler: &mut CoreSampler,
    logits: *mut f32,
    len: usize,
    rng: *mut LsRng,
    token_out: *mut u32,
) -> Result<(), LsError> {
    // SAFETY: the caller's promises about each pointer.
    let (logits, rng, token_out) = unsafe {
        (
            args::floats_mut(logits, len, 2)?,
            args::get_mut(rng, 4)?,
            args::out(token_out, 5)?,
        )
    };
    // SAFETY: the callback, if any, is callable (the caller's promise).
    let mut source = unsafe { rng.source() };
    token_out.write(sampler.sample(logits, &mut source)?);
    Ok(())
}

/// Replaces `logits[0 .. len)` by the distribution `ls_sample` draws from
/// (with the current history): each survivor's renormalised probability, 0
/// for every other token. Consumes no randomness and records nothing. On
/// error the buffer is untouched; the errors are `ls_sample`'s.
///
/// # Safety
/// As `ls_sample`, for `sampler` and `logits`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_distribution_in_place(
    sampler: *mut LsSampler,
    logits: *mut f32,
    len: usize,
) -> LsStatus {
    // SAFETY: the caller's promise about `sampler`.
    let sampler = match unsafe { args::get_mut(sampler, 1) } {
        Ok(s) => s,
        Err(e) => return e.status,
    };
    // SAFETY: the caller's promise about `logits`.
    let result = unsafe { args::floats_mut(logits, len, 2) }
        .and_then(|xs| Ok(sampler.sampler.distribution_in_place(xs)?));
    sampler.finish(result)
}

/// Runs the sampler on `backend` from now on. `LS_BACKEND_UNAVAILABLE` (and
/// no change) if this CPU cannot run it or it is not an `ls_backend` value.
/// Every backend gives the same tokens; only the speed differs.
///
/// # Safety
/// As `ls_sample`, for `sampler`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sampler_set_backend(
    sampler: *mut LsSampler,
    backend: LsBackendRaw,
) -> LsStatus {
    // SAFETY: the caller's promise about `sampler`.
    let sampler = match unsafe { args::get_mut(sampler, 1) } {
        Ok(s) => s,
        Err(e) => return e.status,
    };
    let result = match core_backend(backend) {
        // In place (no copy of the sampler); unchanged on error.
        Some(b) => sampler.sampler.set_backend(b).map_err(LsError::from),
        None => Err(LsError::backend_unavailable(backend)),
    };
    sampler.finish(result)
}

/// Writes the backend the sampler runs on to `*out`.
///
/// # Safety
/// `sampler` as in `ls_sample` (read only); `out` points to writable memory
/// for an `ls_backend`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sampler_backend(
    sampler: *const LsSampler,
    out: *mut LsBackend,
) -> LsStatus {
    // SAFETY: the caller's promises about `sampler` and `out`.
    unsafe { read_into(sampler, out, |s| LsBackend::from_core(s.sampler.backend())) }
}

/// Writes the sampler's configuration (with its stage order) to `*out`:
/// `ls_sampler_init` with it makes the same sampler (with an empty history
/// and no breakers).
///
/// # Safety
/// `sampler` as in `ls_sample` (read only); `out` points to writable memory
/// for an `ls_config`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sampler_config(
    sampler: *const LsSampler,
    out: *mut LsConfig,
) -> LsStatus {
    // SAFETY: the caller's promises about `sampler` and `out`.
    unsafe {
        read_into(sampler, out, |s| {
            LsConfig::from_core(s.sampler.config(), s.sampler.order())
        })
    }
}

/// Writes the detail of the sampler's last call that changes or uses it
/// (`ls_sample`, `ls_sample_with`, `ls_distribution_in_place`,
/// `ls_distribution_in_place_with`, `ls_sampler_set_backend`,
/// `ls_sampler_set_dry_breakers`, `ls_accept`, `ls_reset`) to `*out`
/// (`status` `LS_OK` if it succeeded, or if there was none yet). The
/// read-only accessors (`ls_sampler_config`, `ls_sampler_history`, ...)
/// return their status only.
///
/// # Safety
/// `sampler` as in `ls_sample` (read only); `out` points to writable memory
/// for an `ls_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sampler_last_error(
    sampler: *const LsSampler,
    out: *mut LsError,
) -> LsStatus {
    // SAFETY: the caller's promises about `sampler` and `out`.
    unsafe { read_into(sampler, out, |s| s.last_error) }
}

/// Writes `f(sampler)` to `*out`: the body of the read-only accessors.
///
/// # Safety
/// As the accessors: `sampler` as in `ls_sample`, read only; `out` points to
/// writable memory for a `T`.
pub(crate) unsafe fn read_into<T>(
    sampler: *const LsSampler,
    out: *mut T,
    f: impl FnOnce(&LsSampler) -> T,
) -> LsStatus {
    // SAFETY: the caller's promise about `sampler`.
    let sampler = match unsafe { args::get(sampler, 1) } {
        Ok(s) => s,
        Err(e) => return e.status,
    };
    // SAFETY: the caller's promise about `out`.
    match unsafe { args::out(out, 2) } {
        Ok(out) => {
            out.write(f(sampler));
            LsStatus::LS_OK
        }
        Err(e) => e.status,
    }
}
