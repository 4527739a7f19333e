//! The free functions: softmax, argmax and the inverse-CDF draw, each on the
//! detected backend or on a chosen one (`_with`). Each takes an optional
//! `ls_error *err` (NULL is fine) for the offending index or value.

use logit_sampler::{Backend, argmax_with, sample_inverse_cdf_with, softmax_in_place_with};

use crate::args;
use crate::backend::{LsBackendRaw, core_backend, raw_backend};
use crate::status::{LsError, LsStatus};

/// The backend a C value names, or `LS_BACKEND_UNAVAILABLE` (availability on
/// this CPU is the core's to check).
fn backend(raw: LsBackendRaw) -> Result<Backend, LsError> {
    core_backend(raw).ok_or(LsError::backend_unavailable(raw))
}

/// Turns `logits[0 .. len)` into probabilities `softmax(logits / temperature)`
/// in place, on the detected backend (`ls_softmax_in_place_with` takes one).
///
/// Temperature 0 gives a one-hot vector at the argmax (lowest id on ties),
/// `INFINITY` a uniform distribution over the finite logits. If some logits
/// are `+INFINITY` the result is uniform over those; `-INFINITY` logits get 0.
///
/// Errors (the buffer untouched): `LS_NULL_POINTER`, `LS_BAD_ALIGNMENT`,
/// `LS_EMPTY`, `LS_TOO_LONG`, `LS_NAN_LOGIT`, `LS_NO_CANDIDATES`,
/// `LS_INVALID_TEMPERATURE`.
///
/// # Safety
/// `logits` points to `len` floats; `err` is NULL or points to writable
/// memory for an `ls_error`, not overlapping `logits`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_softmax_in_place(
    logits: *mut f32,
    len: usize,
    temperature: f32,
    err: *mut LsError,
) -> LsStatus {
    // SAFETY: the caller's promises, passed on.
    unsafe {
        softmax(
            raw_backend(Backend::detect()),
            logits,
            len,
            temperature,
            err,
            1,
        )
    }
}

/// `ls_softmax_in_place` on `backend` (every backend gives the same bits);
/// also `LS_BACKEND_UNAVAILABLE`.
///
/// # Safety
/// As `ls_softmax_in_place`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_softmax_in_place_with(
    backend: LsBackendRaw,
    logits: *mut f32,
    len: usize,
    temperature: f32,
    err: *mut LsError,
) -> LsStatus {
    // SAFETY: the caller's promises, passed on.
    unsafe { softmax(backend, logits, len, temperature, err, 2) }
}

/// The softmax functions; `first` is the position of `logits` in the call.
///
/// # Safety
/// As `ls_softmax_in_place`.
unsafe fn softmax(
    raw: LsBackendRaw,
    logits: *mut f32,
    len: usize,
    temperature: f32,
    err: *mut LsError,
    first: u32,
) -> LsStatus {
    // SAFETY: the caller's promise about `err`.
    let err = match unsafe { args::optional_out(err, first + 3) } {
        Ok(err) => err,
        Err(e) => return e.status,
    };
    // SAFETY: the caller's promise about `logits`.
    let result = unsafe { args::floats_mut(logits, len, first) }.and_then(|xs| {
        softmax_in_place_with(backend(raw)?, xs, temperature)?;
        Ok(())
    });
    args::finish(result, err)
}

/// Writes the index of the largest of `logits[0 .. len)` to `*token_out`
/// (ties to the lowest index), on the detected backend.
///
/// Errors (`*token_out` untouched): `LS_NULL_POINTER`, `LS_BAD_ALIGNMENT`,
/// `LS_EMPTY`, `LS_TOO_LONG`, `LS_NAN_LOGIT`, `LS_NO_CANDIDATES`.
///
/// # Safety
/// `logits` points to `len` floats; `token_out` to writable memory for a
/// `uint32_t`; `err` is NULL or points to writable memory for an `ls_error`.
/// None of them overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_argmax(
    logits: *const f32,
    len: usize,
    token_out: *mut u32,
    err: *mut LsError,
) -> LsStatus {
    // SAFETY: the caller's promises, passed on.
    unsafe {
        argmax(
            raw_backend(Backend::detect()),
            logits,
            len,
            token_out,
            err,
            1,
        )
    }
}

/// `ls_argmax` on `backend`; also `LS_BACKEND_UNAVAILABLE`.
///
/// # Safety
/// As `ls_argmax`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_argmax_with(
    backend: LsBackendRaw,
    logits: *const f32,
    len: usize,
    token_out: *mut u32,
    err: *mut LsError,
) -> LsStatus {
    // SAFETY: the caller's promises, passed on.
    unsafe { argmax(backend, logits, len, token_out, err, 2) }
}

/// The argmax functions; `first` is the position of `logits` in the call.
///
/// # Safety
/// As `ls_argmax`.
unsafe fn argmax(
    raw: LsBackendRaw,
    logits: *const f32,
    len: usize,
    token_out: *mut u32,
    err: *mut LsError,
    first: u32,
) -> LsStatus {
    // SAFETY: the caller's promise about `err`.
    let err = match unsafe { args::optional_out(err, first + 3) } {
        Ok(err) => err,
        Err(e) => return e.status,
    };
    let result = (|| {
        // SAFETY: the caller's promises about `logits` and `token_out`.
        let (xs, out) = unsafe {
            (
                args::floats(logits, len, first)?,
                args::out(token_out, first + 2)?,
            )
        };
        out.write(argmax_with(backend(raw)?, xs)?);
        Ok(())
    })();
    args::finish(result, err)
}

/// Draws from the probabilities `probs[0 .. len)` with the uniform variate
/// `u` in `[0, 1)`: writes to `*token_out` the smallest i with
/// `u < (q[0] + ... + q[i]) / Q`, where `q[i]` is the integer mass
/// `round(probs[i] * 2^(29 - E))` (`E` the exponent of the largest entry,
/// whose mass lies in `[2^29, 2^30)`) and `Q` their sum, computed exactly.
/// The probabilities need not sum to 1 (they are renormalised); an entry of
/// mass 0 (a zero, or one below half a unit, at most `max * 2^-30`) is never
/// chosen. On the detected backend; every backend gives the same token.
///
/// Errors (`*token_out` untouched): `LS_NULL_POINTER`, `LS_BAD_ALIGNMENT`,
/// `LS_EMPTY`, `LS_TOO_LONG`, `LS_INVALID_WEIGHT` (negative, NaN or infinite
/// entry), `LS_ZERO_TOTAL_WEIGHT`, `LS_INVALID_UNIFORM`.
///
/// # Safety
/// As `ls_argmax`, with `probs` for `logits`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sample_inverse_cdf(
    probs: *const f32,
    len: usize,
    u: f32,
    token_out: *mut u32,
    err: *mut LsError,
) -> LsStatus {
    // SAFETY: the caller's promises, passed on.
    unsafe {
        inverse_cdf(
            raw_backend(Backend::detect()),
            probs,
            len,
            u,
            token_out,
            err,
            1,
        )
    }
}

/// `ls_sample_inverse_cdf` on `backend`; also `LS_BACKEND_UNAVAILABLE`.
///
/// # Safety
/// As `ls_sample_inverse_cdf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sample_inverse_cdf_with(
    backend: LsBackendRaw,
    probs: *const f32,
    len: usize,
    u: f32,
    token_out: *mut u32,
    err: *mut LsError,
) -> LsStatus {
    // SAFETY: the caller's promises, passed on.
    unsafe { inverse_cdf(backend, probs, len, u, token_out, err, 2) }
}

/// The inverse-CDF functions; `first` is the position of `probs` in the call.
///
/// # Safety
/// As `ls_sample_inverse_cdf`.
unsafe fn inverse_cdf(
    raw: LsBackendRaw,
    probs: *const f32,
    len: usize,
    u: f32,
    token_out: *mut u32,
    err: *mut LsError,
    first: u32,
) -> LsStatus {
    // SAFETY: the caller's promise about `err`.
    let err = match unsafe { args::optional_out(err, first + 4) } {
        Ok(err) => err,
        Err(e) => return e.status,
    };
    let result = (|| {
        // SAFETY: the caller's promises about `probs` and `token_out`.
        let (ps, out) = unsafe {
            (
                args::floats(probs, len, first)?,
                args::out(token_out, first + 3)?,
            )
        };
        out.write(sample_inverse_cdf_with(backend(raw)?, ps, u)?);
        Ok(())
    })();
    args::finish(result, err)
}
