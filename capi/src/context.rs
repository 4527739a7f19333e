//! The context stages from C: the sampler's token history (`ls_accept`,
//! `ls_reset`, `ls_sampler_history`), DRY's sequence breakers, and
//! `ls_sample_with` / `ls_distribution_in_place_with` with their per-call
//! constraints (logit bias, allowed-token mask) and log-probabilities.
//!
//! Two C types share the core's layout, so that their arrays pass to the
//! core as they are, with no copy and no bound: `ls_logit_bias` is the
//! core's `(u32, f32)` bias entry and `ls_token_logprob` its `TokenLogprob`.
//! Neither core type is `#[repr(C)]`, so the layouts are compared at compile
//! time below: a compiler that laid them out differently fails the build.

use core::mem::{MaybeUninit, align_of, offset_of, size_of};

use logit_sampler::{
    Constraints, MAX_DRY_BREAKER_LEN, MAX_DRY_BREAKER_TOKENS, MAX_DRY_BREAKERS, MAX_FINITE_BIAS,
    SampleError, Sampled, TokenLogprob,
};

use crate::args;
use crate::rng::LsRng;
use crate::sampler::{CoreSampler, LsSampler, read_into};
use crate::status::{LsError, LsStatus};

/// Most finite entries in one call's logit bias (any number of `-INFINITY`
/// bans): a call keeps each one's original logit on its stack, to report the
/// model's log-probability of a biased token. More is `LS_CAPACITY_EXCEEDED`.
pub const LS_MAX_FINITE_BIAS: usize = 128;
/// Most DRY sequence breakers a sampler holds.
pub const LS_MAX_DRY_BREAKERS: usize = 16;
/// Most tokens in one DRY sequence breaker.
pub const LS_MAX_DRY_BREAKER_LEN: usize = 20;
/// Most tokens in all of a sampler's DRY sequence breakers together.
pub const LS_MAX_DRY_BREAKER_TOKENS: usize = 64;

const _: () = assert!(
    LS_MAX_FINITE_BIAS == MAX_FINITE_BIAS
        && LS_MAX_DRY_BREAKERS == MAX_DRY_BREAKERS
        && LS_MAX_DRY_BREAKER_LEN == MAX_DRY_BREAKER_LEN
        && LS_MAX_DRY_BREAKER_TOKENS == MAX_DRY_BREAKER_TOKENS,
    "the C limits are the core's"
);

/// One entry of a logit bias: `bias` is added to token `token`'s logit
/// (saturating at `±FLT_MAX`, so a finite bias never makes a token certain or
/// impossible); `-INFINITY` bans the token. NaN and `+INFINITY` are errors.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LsLogitBias {
    /// The token id.
    pub token: u32,
    /// Added to its logit; `-INFINITY` bans it.
    pub bias: f32,
}

const _: () = assert!(
    size_of::<LsLogitBias>() == size_of::<(u32, f32)>()
        && align_of::<LsLogitBias>() == align_of::<(u32, f32)>()
        && offset_of!(LsLogitBias, token) == offset_of!((u32, f32), 0)
        && offset_of!(LsLogitBias, bias) == offset_of!((u32, f32), 1),
    "ls_logit_bias must have the layout of the core's (u32, f32)"
);

/// Per-call constraints of `ls_sample_with` and
/// `ls_distribution_in_place_with`, applied before every stage of the order.
/// A zeroed struct (or a NULL `ls_constraints *`) constrains nothing.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct LsConstraints {
    /// `logit_bias_len` entries, applied in order (a token may appear more
    /// than once); NULL if `logit_bias_len` is 0. At most
    /// `LS_MAX_FINITE_BIAS` of them finite.
    pub logit_bias: *const LsLogitBias,
    /// The number of entries in `logit_bias`.
    pub logit_bias_len: usize,
    /// The allowed tokens, as the bitmask XGrammar and llguidance produce: bit
    /// `i % 32` of word `i / 32` set means token `i` may be drawn. At least
    /// `(len + 31) / 32` words for `len` logits; bits past the logits are
    /// ignored. NULL (with `allowed_words` 0): every token is allowed.
    pub allowed: *const u32,
    /// The number of words in `allowed`.
    pub allowed_words: usize,
}

/// A token and its log-probability under the model.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LsTokenLogprob {
    /// The token id (`UINT32_MAX` in a slot past the vocabulary).
    pub token: u32,
    /// The natural log of its probability (`-INFINITY` if impossible).
    pub logprob: f32,
}

const _: () = assert!(
    size_of::<LsTokenLogprob>() == size_of::<TokenLogprob>()
        && align_of::<LsTokenLogprob>() == align_of::<TokenLogprob>()
        && offset_of!(LsTokenLogprob, token) == offset_of!(TokenLogprob, token)
        && offset_of!(LsTokenLogprob, logprob) == offset_of!(TokenLogprob, logprob),
    "ls_token_logprob must have the layout of the core's TokenLogprob"
);

/// What `ls_sample_with` draws and reports.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LsSampled {
    /// The token drawn.
    pub token: u32,
    /// The natural log of its probability under the model: the log-softmax of
    /// the logits as passed (temperature 1, no bias, mask or penalty), as
    /// OpenAI-compatible servers report it.
    pub logprob: f32,
    /// The natural log of its probability in the distribution actually drawn
    /// from (after every stage; 0 for a greedy draw).
    pub sampling_logprob: f32,
}

impl From<Sampled> for LsSampled {
    fn from(s: Sampled) -> Self {
        Self {
            token: s.token,
            logprob: s.logprob,
            sampling_logprob: s.sampling_logprob,
        }
    }
}

/// The constraints at `p` (the `argument`-th argument; NULL constrains
/// nothing), their arrays checked like arguments: an error in one names
/// `argument`.
///
/// # Safety
/// `p` is NULL or points to an `ls_constraints` whose non-NULL arrays hold
/// the entries their lengths say; nothing mutates them during `'a`.
unsafe fn core_constraints<'a>(
    p: *const LsConstraints,
    argument: u32,
) -> Result<Constraints<'a>, LsError> {
    if p.is_null() {
        return Ok(Constraints::default());
    }
    // SAFETY: the caller's promise about `p`.
    let c = unsafe { args::get(p, argument)? };
    // SAFETY: the caller's promise about the bias array.
    let bias = unsafe { args::optional_array(c.logit_bias, c.logit_bias_len, argument)? };
    let allowed = if c.allowed.is_null() && c.allowed_words == 0 {
        None
    } else {
        // SAFETY: the caller's promise about the mask.
        Some(unsafe { args::optional_array(c.allowed, c.allowed_words, argument)? })
    };
    // SAFETY: `LsLogitBias` has the layout of `(u32, f32)` (asserted at
    // compile time above), every bit pattern is valid in both, and the
    // slice borrows the same memory for the same lifetime.
    let logit_bias =
        unsafe { core::slice::from_raw_parts(bias.as_ptr().cast::<(u32, f32)>(), bias.len()) };
    Ok(Constraints {
        logit_bias,
        allowed,
    })
}

/// The caller's `top` slots as the core's type.
fn core_top(top: &mut [MaybeUninit<LsTokenLogprob>]) -> &mut [TokenLogprob] {
    // SAFETY: `LsTokenLogprob` has the layout of `TokenLogprob` (asserted at
    // compile time above) and every bit pattern of either is a valid value.
    // The slots may hold whatever the C caller left there; the core writes
    // each one before it reads it (and none on error), so no stale content is
    // ever observed. Same memory, same lifetime, unaliased (`&mut`).
    unsafe { core::slice::from_raw_parts_mut(top.as_mut_ptr().cast::<TokenLogprob>(), top.len()) }
}

/// Records `token` in the sampler's history as if it had been sampled: a
/// prompt token, or a token chosen elsewhere (forced, from a draft model).
/// The penalties and DRY count it from the next call on. `ls_sample` and
/// `ls_sample_with` record the token they return themselves. Any `uint32_t`
/// is accepted (tokens beyond a call's logits are ignored by that call).
///
/// Errors: `LS_NULL_POINTER`, `LS_BAD_ALIGNMENT` (`sampler`).
///
/// # Safety
/// As `ls_sample`, for `sampler`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_accept(sampler: *mut LsSampler, token: u32) -> LsStatus {
    // SAFETY: the caller's promise about `sampler`.
    match unsafe { args::get_mut(sampler, 1) } {
        Ok(s) => {
            s.sampler.accept(token);
            s.finish(Ok(()))
        }
        Err(e) => e.status,
    }
}

/// Clears the sampler's history (a new conversation) and restarts mirostat's
/// `mu` at `2 * mirostat_tau`. The configuration, order, backend and DRY
/// sequence breakers stay.
///
/// Errors: `LS_NULL_POINTER`, `LS_BAD_ALIGNMENT` (`sampler`).
///
/// # Safety
/// As `ls_sample`, for `sampler`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_reset(sampler: *mut LsSampler) -> LsStatus {
    // SAFETY: the caller's promise about `sampler`.
    match unsafe { args::get_mut(sampler, 1) } {
        Ok(s) => {
            s.sampler.reset();
            s.finish(Ok(()))
        }
        Err(e) => e.status,
    }
}

/// Writes the number of tokens in the sampler's history (at most
/// `LS_HISTORY`) to `*out`.
///
/// # Safety
/// `sampler` as in `ls_sample` (read only); `out` points to writable memory
/// for a `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sampler_history_len(
    sampler: *const LsSampler,
    out: *mut usize,
) -> LsStatus {
    // SAFETY: the caller's promises about `sampler` and `out`.
    unsafe { read_into(sampler, out, |s| s.sampler.history().len()) }
}

/// Writes mirostat's current cut `mu`, in bits, to `*out`: `2 * mirostat_tau`
/// after `ls_sampler_init` and `ls_reset`, then moved by each draw
/// (`mu -= mirostat_eta * (surprise - mirostat_tau)`, the surprise in bits);
/// 0 when mirostat is off. `ls_distribution_in_place` does not move it.
///
/// Errors: `LS_NULL_POINTER`, `LS_BAD_ALIGNMENT` (`sampler`, `out`).
///
/// # Safety
/// `sampler` as in `ls_sample` (read only); `out` points to writable memory
/// for a `float`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sampler_mirostat_mu(
    sampler: *const LsSampler,
    out: *mut f32,
) -> LsStatus {
    // SAFETY: the caller's promises about `sampler` and `out`.
    unsafe { read_into(sampler, out, |s| s.sampler.mirostat_mu()) }
}

/// Copies the newest `min(cap, history length)` tokens of the sampler's
/// history to `out[0 ..)`, oldest first, and their number to `*len_out`.
/// With `cap >= LS_HISTORY` that is the whole history; a smaller `cap` gives
/// the last `cap` tokens. `out` may be NULL if `cap` is 0.
///
/// Errors (nothing written): `LS_NULL_POINTER`, `LS_BAD_ALIGNMENT`
/// (`sampler`, `out`, `len_out`), `LS_TOO_LONG` (`cap`).
///
/// # Safety
/// `sampler` as in `ls_sample` (read only); `out` points to `cap` writable
/// `uint32_t`s; `len_out` to writable memory for a `size_t`. None of them
/// overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sampler_history(
    sampler: *const LsSampler,
    out: *mut u32,
    cap: usize,
    len_out: *mut usize,
) -> LsStatus {
    let result = (|| {
        // SAFETY: the caller's promises about each pointer.
        let (sampler, out, len_out) = unsafe {
            (
                args::get(sampler, 1)?,
                args::optional_out_array(out, cap, 2)?,
                args::out(len_out, 4)?,
            )
        };
        let history = sampler.sampler.history();
        let n = history.len().min(out.len());
        let newest = history.iter().skip(history.len() - n);
        for (slot, token) in out.iter_mut().zip(newest) {
            slot.write(token);
        }
        len_out.write(n);
        Ok(())
    })();
    result.err().map_or(LsStatus::LS_OK, |e: LsError| e.status)
}

/// Sets DRY's sequence breakers, replacing any earlier ones: `count`
/// token sequences, breaker `i` being the `lens[i]` tokens that follow the
/// earlier breakers in `tokens` (so `tokens` holds `lens[0] + ... +
/// lens[count - 1]` tokens, head first). A repetition never extends across
/// a breaker, and a one-token breaker is never penalised. `count` 0 clears
/// them (`tokens` and `lens` may then be NULL).
///
/// llama.cpp's default breakers are the strings "\n", ":", "\"" and "*":
/// tokenise them with your model's vocabulary.
///
/// Errors (the sampler unchanged): `LS_NULL_POINTER`, `LS_BAD_ALIGNMENT`,
/// `LS_TOO_LONG`, `LS_CAPACITY_EXCEEDED` (more than `LS_MAX_DRY_BREAKERS`
/// breakers or `LS_MAX_DRY_BREAKER_TOKENS` tokens), `LS_INVALID_DRY_BREAKER`
/// (an empty breaker or one longer than `LS_MAX_DRY_BREAKER_LEN`:
/// `ls_error.index`, `ls_error.len`). The detail is in
/// `ls_sampler_last_error`.
///
/// # Safety
/// `sampler` as in `ls_sample`; `lens` points to `count` `size_t`s and
/// `tokens` to as many `uint32_t`s as they add up to (either may be NULL
/// when its length is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sampler_set_dry_breakers(
    sampler: *mut LsSampler,
    tokens: *const u32,
    lens: *const usize,
    count: usize,
) -> LsStatus {
    // SAFETY: the caller's promise about `sampler`.
    let sampler = match unsafe { args::get_mut(sampler, 1) } {
        Ok(s) => s,
        Err(e) => return e.status,
    };
    // SAFETY: the caller's promises about `tokens` and `lens`.
    let result = unsafe { set_dry_breakers(&mut sampler.sampler, tokens, lens, count) };
    sampler.finish(result)
}

/// The body of [`ls_sampler_set_dry_breakers`] once the sampler is a reference.
///
/// # Safety
/// As [`ls_sampler_set_dry_breakers`] for the arrays.
unsafe fn set_dry_breakers(
    sampler: &mut CoreSampler,
    tokens: *const u32,
    lens: *const usize,
    count: usize,
) -> Result<(), LsError> {
    // The breakers pass to the core as a slice of slices, made here on the
    // stack: the core's own first check bounds its length.
    if count > MAX_DRY_BREAKERS {
        return Err(SampleError::CapacityExceeded {
            len: count,
            capacity: MAX_DRY_BREAKERS,
        }
        .into());
    }
    // SAFETY: the caller's promise about `lens`.
    let lens = unsafe { args::optional_array(lens, count, 3)? };
    // A sum beyond the address space saturates and is refused as too long.
    let total = lens
        .iter()
        .fold(0usize, |sum, &len| sum.saturating_add(len));
    // SAFETY: the caller's promise about `tokens`.
    let tokens = unsafe { args::optional_array(tokens, total, 2)? };
    let mut breakers: [&[u32]; MAX_DRY_BREAKERS] = [&[]; MAX_DRY_BREAKERS];
    let mut rest = tokens;
    for (breaker, &len) in breakers.iter_mut().zip(lens) {
        // Always splits: the lengths add up to `tokens.len()`.
        let (head, tail) = rest.split_at_checked(len).unwrap_or((rest, &[]));
        *breaker = head;
        rest = tail;
    }
    let breakers = breakers.get(..count).unwrap_or_default();
    // In place (no copy of the sampler); unchanged on error.
    sampler.set_dry_breakers(breakers)?;
    Ok(())
}

/// `ls_sample` under per-call `constraints` (NULL: none), reporting
/// log-probabilities: writes to `*out` the token, its log-probability under
/// the model and under the distribution drawn from, and fills
/// `top[0 .. top_len)` with the `top_len` most likely tokens of the model
/// distribution, descending, ties to the lowest id (slots past the
/// vocabulary get `UINT32_MAX` and `-INFINITY`). `top` may be NULL if
/// `top_len` is 0. Records the token in the history and consumes the words
/// of `rng` `ls_sample` does (one, or two with XTC on).
///
/// With no constraints the token is `ls_sample`'s for the same logits,
/// history and generator state. The constraints come before every stage of
/// the order: the mask writes `-INFINITY` over the tokens it disallows, then
/// each bias entry is added in order (`-INFINITY` bans).
///
/// `logits` is used in place as scratch. On error the logits, `top`, `*out`,
/// `*rng` and the history are untouched and no randomness is consumed.
///
/// Errors: `ls_sample`'s, and for the constraints (`ls_error.argument` 5 for
/// a pointer or length in them) `LS_TOKEN_OUT_OF_RANGE`,
/// `LS_INVALID_LOGIT_BIAS`, `LS_CAPACITY_EXCEEDED` (more than
/// `LS_MAX_FINITE_BIAS` finite entries), `LS_MASK_TOO_SHORT`,
/// `LS_NO_TOKEN_ALLOWED`. The detail is in `ls_sampler_last_error`.
///
/// # Safety
/// As `ls_sample` for `sampler`, `logits`, `rng`; `constraints` is NULL or
/// points to an `ls_constraints` whose arrays hold what their lengths say;
/// `top` points to `top_len` writable `ls_token_logprob`s (their contents are
/// never read); `out` to writable memory for an `ls_sampled`. None of them
/// overlap.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ls_sample_with(
    sampler: *mut LsSampler,
    logits: *mut f32,
    len: usize,
    rng: *mut LsRng,
    constraints: *const LsConstraints,
    top: *mut LsTokenLogprob,
    top_len: usize,
    out: *mut LsSampled,
) -> LsStatus {
    // SAFETY: the caller's promise about `sampler`.
    let sampler = match unsafe { args::get_mut(sampler, 1) } {
        Ok(s) => s,
        Err(e) => return e.status,
    };
    // SAFETY: the caller's promises about the other arguments.
    let result = unsafe {
        sample_with(
            &mut sampler.sampler,
            logits,
            len,
            rng,
            constraints,
            top,
            top_len,
            out,
        )
    };
    sampler.finish(result)
}

/// The body of [`ls_sample_with`] once the sampler is a reference.
///
/// # Safety
/// As [`ls_sample_with`] for the other arguments.
#[allow(clippy::too_many_arguments)]
unsafe fn sample_with(
    sampler: &mut CoreSampler,
    logits: *mut f32,
    len: usize,
    rng: *mut LsRng,
    constraints: *const LsConstraints,
    top: *mut LsTokenLogprob,
    top_len: usize,
    out: *mut LsSampled,
) -> Result<(), LsError> {
    // SAFETY: the caller's promises about each pointer.
    let (logits, rng, constraints, top, out) = unsafe {
        (
            args::floats_mut(logits, len, 2)?,
            args::get_mut(rng, 4)?,
            core_constraints(constraints, 5)?,
            args::optional_out_array(top, top_len, 6)?,
            args::out(out, 8)?,
        )
    };
    // SAFETY: the callback, if any, is callable (the caller's promise).
    let mut source = unsafe { rng.source() };
    let sampled = sampler.sample_with(logits, &mut source, &constraints, core_top(top))?;
    out.write(sampled.into());
    Ok(())
}

/// `ls_sample_with` without the log-probabilities: the same token under
/// `constraints` (NULL: none), written to `*token_out`, at the cost of
/// `ls_sample` plus the mask (no pass over the vocabulary for the model's
/// normaliser). Records the token and consumes the words of `rng` `ls_sample`
/// does (one, or two with XTC on).
/// On error the logits, `*token_out`, `*rng` and the history are untouched;
/// the errors are `ls_sample_with`'s (`ls_error.argument` 5 for a pointer or
/// length in the constraints).
///
/// # Safety
/// As `ls_sample_with` for `sampler`, `logits`, `rng` and `constraints`;
/// `token_out` points to writable memory for a `uint32_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_sample_constrained(
    sampler: *mut LsSampler,
    logits: *mut f32,
    len: usize,
    rng: *mut LsRng,
    constraints: *const LsConstraints,
    token_out: *mut u32,
) -> LsStatus {
    // SAFETY: the caller's promise about `sampler`.
    let sampler = match unsafe { args::get_mut(sampler, 1) } {
        Ok(s) => s,
        Err(e) => return e.status,
    };
    let result = (|| {
        // SAFETY: the caller's promises about each pointer.
        let (logits, rng, constraints, out) = unsafe {
            (
                args::floats_mut(logits, len, 2)?,
                args::get_mut(rng, 4)?,
                core_constraints(constraints, 5)?,
                args::out(token_out, 6)?,
            )
        };
        // SAFETY: the callback, if any, is callable (the caller's promise).
        let mut source = unsafe { rng.source() };
        out.write(
            sampler
                .sampler
                .sample_constrained(logits, &mut source, &constraints)?,
        );
        Ok(())
    })();
    sampler.finish(result)
}

/// Replaces `logits[0 .. len)` by the distribution `ls_sample_with` draws
/// from under `constraints` (NULL: none) and the current history: each
/// survivor's renormalised probability, 0 for every other token. Consumes no
/// randomness and records nothing. On error the buffer is untouched; the
/// errors are `ls_sample_with`'s (`ls_error.argument` 4 for a pointer or
/// length in the constraints).
///
/// # Safety
/// As `ls_sample_with`, for `sampler`, `logits` and `constraints`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_distribution_in_place_with(
    sampler: *mut LsSampler,
    logits: *mut f32,
    len: usize,
    constraints: *const LsConstraints,
) -> LsStatus {
    // SAFETY: the caller's promise about `sampler`.
    let sampler = match unsafe { args::get_mut(sampler, 1) } {
        Ok(s) => s,
        Err(e) => return e.status,
    };
    let result = (|| {
        // SAFETY: the caller's promises about `logits` and `constraints`.
        let (xs, c) = unsafe {
            (
                args::floats_mut(logits, len, 2)?,
                core_constraints(constraints, 4)?,
            )
        };
        sampler.sampler.distribution_in_place_with(xs, &c)?;
        Ok(())
    })();
    sampler.finish(result)
}
