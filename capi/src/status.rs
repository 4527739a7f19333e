//! `ls_status` (one value per `SampleError` variant, plus the boundary's own
//! errors), the `ls_error` detail record, and their strings.

use core::ffi::c_char;

use logit_sampler::{Mirostat, SampleError};

use crate::backend::{LsBackendRaw, raw_backend};
use crate::config::{LsStage, LsStageRaw};

/// The result of every call that can fail. `LS_OK` is 0, so `if (status)`
/// reads "if it failed".
///
/// Values 1 to 63 are the core's errors (one per cause); values from 64 on are
/// the C boundary's own. Values never change meaning; new ones may be added,
/// so treat an unknown value as a failure (`ls_status_str` names it
/// "unknown status"). `ls_error` carries the offending index or value.
///
/// On every error the caller's buffers, `*token_out`, the generator and the
/// sampler's configuration are exactly as they were.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
/// cbindgen:prefix-with-name=false
/// cbindgen:rename-all=None
pub enum LsStatus {
    /// Success.
    LS_OK = 0,
    /// The logits (or probabilities) array is empty (`len == 0`).
    LS_EMPTY = 1,
    /// `len` exceeds the `uint32_t` token-id range (`ls_error.len` is `len`);
    /// also an array of `ls_sample_with` or `ls_sampler_set_dry_breakers`
    /// with more entries than a `uint32_t` counts (`ls_error.argument` says
    /// which argument, or the `ls_constraints` holding it).
    LS_TOO_LONG = 2,
    /// A logit is NaN (`ls_error.index` is the first one).
    LS_NAN_LOGIT = 3,
    /// Every logit is `-INFINITY`: no token is possible.
    LS_NO_CANDIDATES = 4,
    /// Temperature must be 0 (greedy), `+INFINITY` (uniform) or a normal
    /// positive float (`>= FLT_MIN`); `ls_error.value` is the one given.
    LS_INVALID_TEMPERATURE = 5,
    /// min-p must lie in `[0, 1]` (`ls_error.value`).
    LS_INVALID_MIN_P = 6,
    /// top-p must lie in `(0, 1]` (`ls_error.value`).
    LS_INVALID_TOP_P = 7,
    /// `ls_config.order` names a stage twice, puts a context stage
    /// (penalties, DRY) after another kind of stage, holds a value that is
    /// not an `ls_stage`, or `order_len` exceeds `LS_STAGE_COUNT`.
    LS_INVALID_STAGE_ORDER = 8,
    /// A probability is negative, NaN or infinite (`ls_error.index` is the first).
    LS_INVALID_WEIGHT = 9,
    /// The probabilities sum to zero: nothing can be drawn.
    LS_ZERO_TOTAL_WEIGHT = 10,
    /// The uniform variate is outside `[0, 1)` or NaN (`ls_error.value`).
    LS_INVALID_UNIFORM = 11,
    /// More entries than a fixed-capacity table holds (`ls_error.len`
    /// entries given, `ls_error.capacity` the most it takes): more than
    /// `LS_MAX_FINITE_BIAS` finite entries in a logit bias, more than
    /// `LS_MAX_DRY_BREAKERS` DRY sequence breakers or more than
    /// `LS_MAX_DRY_BREAKER_TOKENS` tokens in them.
    LS_CAPACITY_EXCEEDED = 12,
    /// The backend cannot run on this CPU, was not compiled for this target,
    /// or is not an `ls_backend` value (`ls_error.backend` is the one asked for).
    LS_BACKEND_UNAVAILABLE = 13,
    /// The configuration turns a stage on but `ls_config.order` leaves it out
    /// (`ls_error.stage` is the stage).
    LS_STAGE_NOT_IN_ORDER = 14,
    /// The repetition penalty must be finite and `> 0` (`ls_error.value`).
    LS_INVALID_REPEAT_PENALTY = 15,
    /// The frequency penalty must be finite (`ls_error.value`).
    LS_INVALID_FREQUENCY_PENALTY = 16,
    /// The presence penalty must be finite (`ls_error.value`).
    LS_INVALID_PRESENCE_PENALTY = 17,
    /// DRY's multiplier must be finite and `>= 0` (`ls_error.value`).
    LS_INVALID_DRY_MULTIPLIER = 18,
    /// DRY's base must be finite and `>= 1` (`ls_error.value`).
    LS_INVALID_DRY_BASE = 19,
    /// `penalty_last_n` or `dry_penalty_last_n` exceeds the sampler's history
    /// (`ls_error.len` is the window, `ls_error.capacity` is `LS_HISTORY`).
    LS_WINDOW_EXCEEDS_HISTORY = 20,
    /// A DRY sequence breaker is empty or longer than
    /// `LS_MAX_DRY_BREAKER_LEN` tokens (`ls_error.index` is the breaker,
    /// `ls_error.len` its length).
    LS_INVALID_DRY_BREAKER = 21,
    /// A logit bias names a token the logits do not have (`ls_error.token`;
    /// `ls_error.len` is the number of logits).
    LS_TOKEN_OUT_OF_RANGE = 22,
    /// A logit bias is NaN or `+INFINITY` (`-INFINITY` bans the token; finite
    /// values add). `ls_error.index` is the entry, `ls_error.value` its bias.
    LS_INVALID_LOGIT_BIAS = 23,
    /// The allowed-token mask has fewer than `(len + 31) / 32` words
    /// (`ls_error.len` words given, `ls_error.capacity` words needed).
    LS_MASK_TOO_SHORT = 24,
    /// The allowed-token mask and the `-INFINITY` biases leave no token with a
    /// logit above `-INFINITY`.
    LS_NO_TOKEN_ALLOWED = 25,
    /// typical-p must lie in `[0, 1]` (`ls_error.value`).
    LS_INVALID_TYPICAL_P = 26,
    /// top-n-sigma must be finite and `>= 0` (`ls_error.value`).
    LS_INVALID_TOP_N_SIGMA = 27,
    /// XTC's probability must lie in `[0, 1]` (`ls_error.value`).
    LS_INVALID_XTC_PROBABILITY = 28,
    /// XTC's threshold must lie in `[0, 1]` (`ls_error.value`).
    LS_INVALID_XTC_THRESHOLD = 29,
    /// Dynamic temperature's range must be finite and `>= 0`, and when
    /// positive the temperature finite and `temperature + range` a valid
    /// temperature (`ls_error.value` is the range).
    LS_INVALID_DYNATEMP_RANGE = 30,
    /// Dynamic temperature's exponent must be finite and `>= 0` (`ls_error.value`).
    LS_INVALID_DYNATEMP_EXPONENT = 31,
    /// Mirostat: the version is not 0, 1 or 2 (`ls_error.index` is the
    /// value), or tau or eta is not finite and `>= 0` (`ls_error.value` is
    /// the first bad one), or version 1's m is not in 1..=128 (`ls_error.len`).
    LS_INVALID_MIROSTAT = 32,
    /// A required pointer argument is NULL (`ls_error.argument` says which).
    LS_NULL_POINTER = 64,
    /// A pointer argument is not aligned for its type (`ls_error.argument`).
    LS_BAD_ALIGNMENT = 65,
    /// The memory given to `ls_sampler_init` is smaller than
    /// `ls_sampler_size()` (`ls_error.len` bytes given, `ls_error.capacity`
    /// bytes needed).
    LS_BUFFER_TOO_SMALL = 66,
    /// `ls_sampler_new`: the system allocator returned NULL.
    LS_OUT_OF_MEMORY = 67,
    /// A core error this version of the C API has no value for (a newer core).
    LS_UNKNOWN_ERROR = 127,
}

/// The detail of an error: which argument, index or value. Fields that do not
/// apply to `status` are 0.
///
/// Free functions fill an `ls_error` the caller passes (optional: NULL is
/// fine); a sampler keeps the detail of its last call
/// (`ls_sampler_last_error`). Nothing is global, so this is thread-safe.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LsError {
    /// The status the call returned.
    pub status: LsStatus,
    /// `LS_NULL_POINTER`, `LS_BAD_ALIGNMENT`, `LS_BUFFER_TOO_SMALL`: the
    /// 1-based position of the offending argument in the call.
    pub argument: u32,
    /// `LS_NAN_LOGIT`, `LS_INVALID_WEIGHT`: the index of the first bad entry.
    /// `LS_INVALID_DRY_BREAKER`: the breaker's index.
    /// `LS_INVALID_LOGIT_BIAS`: the entry's index in the bias array.
    /// `LS_INVALID_MIROSTAT`: the version (`ls_config.mirostat`).
    pub index: usize,
    /// `LS_TOO_LONG`, `LS_CAPACITY_EXCEEDED`: the length passed.
    /// `LS_BUFFER_TOO_SMALL`: the bytes given.
    /// `LS_WINDOW_EXCEEDS_HISTORY`: the window.
    /// `LS_INVALID_DRY_BREAKER`: the breaker's length.
    /// `LS_TOKEN_OUT_OF_RANGE`: the number of logits.
    /// `LS_MASK_TOO_SHORT`: the mask's words.
    /// `LS_INVALID_MIROSTAT`: version 1's `m` (0 for version 2).
    pub len: usize,
    /// `LS_CAPACITY_EXCEEDED`: the table's capacity.
    /// `LS_BUFFER_TOO_SMALL`: the bytes needed (`ls_sampler_size()`).
    /// `LS_WINDOW_EXCEEDS_HISTORY`: the history (`LS_HISTORY`).
    /// `LS_MASK_TOO_SHORT`: the words needed.
    pub capacity: usize,
    /// `LS_INVALID_TEMPERATURE`, `LS_INVALID_MIN_P`, `LS_INVALID_TOP_P`,
    /// `LS_INVALID_UNIFORM`, `LS_INVALID_REPEAT_PENALTY`,
    /// `LS_INVALID_FREQUENCY_PENALTY`, `LS_INVALID_PRESENCE_PENALTY`,
    /// `LS_INVALID_DRY_MULTIPLIER`, `LS_INVALID_DRY_BASE`,
    /// `LS_INVALID_TYPICAL_P`, `LS_INVALID_TOP_N_SIGMA`,
    /// `LS_INVALID_XTC_PROBABILITY`, `LS_INVALID_XTC_THRESHOLD`,
    /// `LS_INVALID_DYNATEMP_RANGE`, `LS_INVALID_DYNATEMP_EXPONENT`: the value
    /// given. `LS_INVALID_MIROSTAT`: tau if it is bad, else eta.
    /// `LS_INVALID_LOGIT_BIAS`: the bias.
    pub value: f32,
    /// `LS_BACKEND_UNAVAILABLE`: the backend asked for (as given, so possibly
    /// not an `ls_backend` value).
    pub backend: LsBackendRaw,
    /// `LS_STAGE_NOT_IN_ORDER`: the stage left out.
    pub stage: LsStageRaw,
    /// `LS_TOKEN_OUT_OF_RANGE`: the token.
    pub token: u32,
}

impl LsError {
    /// No error.
    pub(crate) const OK: LsError = LsError::status(LsStatus::LS_OK);

    /// `status` with no detail.
    pub(crate) const fn status(status: LsStatus) -> Self {
        Self {
            status,
            argument: 0,
            index: 0,
            len: 0,
            capacity: 0,
            value: 0.0,
            backend: 0,
            stage: 0,
            token: 0,
        }
    }

    /// A pointer error about the `argument`-th argument (1-based).
    pub(crate) const fn argument(status: LsStatus, argument: u32) -> Self {
        Self {
            argument,
            ..Self::status(status)
        }
    }

    /// `LS_BACKEND_UNAVAILABLE` for the value the caller asked for.
    pub(crate) const fn backend_unavailable(backend: LsBackendRaw) -> Self {
        Self {
            backend,
            ..Self::status(LsStatus::LS_BACKEND_UNAVAILABLE)
        }
    }

    /// `LS_TOO_LONG` for a length the C side checked before making a slice.
    pub(crate) const fn too_long(len: usize) -> Self {
        Self {
            len,
            ..Self::status(LsStatus::LS_TOO_LONG)
        }
    }

    /// `LS_CAPACITY_EXCEEDED`: `len` entries for a table of `capacity`.
    pub(crate) const fn capacity_exceeded(len: usize, capacity: usize) -> Self {
        Self {
            len,
            capacity,
            ..Self::status(LsStatus::LS_CAPACITY_EXCEEDED)
        }
    }
}

impl From<SampleError> for LsError {
    fn from(e: SampleError) -> Self {
        use LsStatus::*;
        let with_value = |status, value| Self {
            value,
            ..Self::status(status)
        };
        match e {
            SampleError::Empty => Self::status(LS_EMPTY),
            SampleError::TooLong { len } => Self::too_long(len),
            SampleError::NanLogit { index } => Self {
                index,
                ..Self::status(LS_NAN_LOGIT)
            },
            SampleError::NoCandidates => Self::status(LS_NO_CANDIDATES),
            SampleError::InvalidTemperature(t) => with_value(LS_INVALID_TEMPERATURE, t),
            SampleError::InvalidMinP(m) => with_value(LS_INVALID_MIN_P, m),
            SampleError::InvalidTopP(p) => with_value(LS_INVALID_TOP_P, p),
            SampleError::InvalidStageOrder => Self::status(LS_INVALID_STAGE_ORDER),
            SampleError::InvalidWeight { index } => Self {
                index,
                ..Self::status(LS_INVALID_WEIGHT)
            },
            SampleError::ZeroTotalWeight => Self::status(LS_ZERO_TOTAL_WEIGHT),
            SampleError::InvalidUniform(u) => with_value(LS_INVALID_UNIFORM, u),
            SampleError::CapacityExceeded { len, capacity } => {
                Self::capacity_exceeded(len, capacity)
            }
            SampleError::BackendUnavailable(b) => Self::backend_unavailable(raw_backend(b)),
            SampleError::StageNotInOrder(stage) => Self {
                stage: LsStage::from_core(stage) as LsStageRaw,
                ..Self::status(LS_STAGE_NOT_IN_ORDER)
            },
            SampleError::InvalidRepeatPenalty(r) => with_value(LS_INVALID_REPEAT_PENALTY, r),
            SampleError::InvalidFrequencyPenalty(f) => with_value(LS_INVALID_FREQUENCY_PENALTY, f),
            SampleError::InvalidPresencePenalty(p) => with_value(LS_INVALID_PRESENCE_PENALTY, p),
            SampleError::InvalidDryMultiplier(m) => with_value(LS_INVALID_DRY_MULTIPLIER, m),
            SampleError::InvalidDryBase(b) => with_value(LS_INVALID_DRY_BASE, b),
            SampleError::WindowExceedsHistory { window, history } => Self {
                len: window,
                capacity: history,
                ..Self::status(LS_WINDOW_EXCEEDS_HISTORY)
            },
            SampleError::InvalidDryBreaker { index, len } => Self {
                index,
                len,
                ..Self::status(LS_INVALID_DRY_BREAKER)
            },
            SampleError::TokenOutOfRange { token, vocab } => Self {
                token,
                len: vocab,
                ..Self::status(LS_TOKEN_OUT_OF_RANGE)
            },
            SampleError::InvalidLogitBias { index, bias } => Self {
                index,
                value: bias,
                ..Self::status(LS_INVALID_LOGIT_BIAS)
            },
            SampleError::MaskTooShort { words, needed } => Self {
                len: words,
                capacity: needed,
                ..Self::status(LS_MASK_TOO_SHORT)
            },
            SampleError::NoTokenAllowed => Self::status(LS_NO_TOKEN_ALLOWED),
            SampleError::InvalidTypicalP(p) => with_value(LS_INVALID_TYPICAL_P, p),
            SampleError::InvalidTopNSigma(n) => with_value(LS_INVALID_TOP_N_SIGMA, n),
            SampleError::InvalidXtcProbability(p) => with_value(LS_INVALID_XTC_PROBABILITY, p),
            SampleError::InvalidXtcThreshold(t) => with_value(LS_INVALID_XTC_THRESHOLD, t),
            SampleError::InvalidDynatempRange(r) => with_value(LS_INVALID_DYNATEMP_RANGE, r),
            SampleError::InvalidDynatempExponent(e) => with_value(LS_INVALID_DYNATEMP_EXPONENT, e),
            SampleError::InvalidMirostat(m) => {
                let (version, tau, eta, len) = match m {
                    Mirostat::V1 { tau, eta, m } => (1, tau, eta, m),
                    Mirostat::V2 { tau, eta } => (2, tau, eta, 0),
                    Mirostat::Off => (0, 0.0, 0.0, 0),
                };
                let ok = |x: f32| x.is_finite() && x >= 0.0;
                Self {
                    index: version,
                    value: if ok(tau) { eta } else { tau },
                    len,
                    ..Self::status(LS_INVALID_MIROSTAT)
                }
            }
            // The C library builds every stage (Cargo.toml enables the core's
            // `context` and `shapes` features): the core never returns it here.
            SampleError::NotBuilt { .. } => Self::status(LS_UNKNOWN_ERROR),
            // `SampleError` is non_exhaustive, so this arm is required. A
            // variant added to the core needs its own value above (and in
            // `every_sample_error` of src/tests.rs, which checks each maps to
            // a distinct status).
            _ => Self::status(LS_UNKNOWN_ERROR),
        }
    }
}

/// A static, NUL-terminated English description of `status` (never NULL;
/// "unknown status" for a value this version does not define). Do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn ls_status_str(status: LsStatusRaw) -> *const c_char {
    status_text(status).as_ptr()
}

/// The text behind [`ls_status_str`].
pub(crate) fn status_text(status: LsStatusRaw) -> &'static core::ffi::CStr {
    use LsStatus::*;
    const ALL: [LsStatus; 38] = [
        LS_OK,
        LS_EMPTY,
        LS_TOO_LONG,
        LS_NAN_LOGIT,
        LS_NO_CANDIDATES,
        LS_INVALID_TEMPERATURE,
        LS_INVALID_MIN_P,
        LS_INVALID_TOP_P,
        LS_INVALID_STAGE_ORDER,
        LS_INVALID_WEIGHT,
        LS_ZERO_TOTAL_WEIGHT,
        LS_INVALID_UNIFORM,
        LS_CAPACITY_EXCEEDED,
        LS_BACKEND_UNAVAILABLE,
        LS_STAGE_NOT_IN_ORDER,
        LS_INVALID_REPEAT_PENALTY,
        LS_INVALID_FREQUENCY_PENALTY,
        LS_INVALID_PRESENCE_PENALTY,
        LS_INVALID_DRY_MULTIPLIER,
        LS_INVALID_DRY_BASE,
        LS_WINDOW_EXCEEDS_HISTORY,
        LS_INVALID_DRY_BREAKER,
        LS_TOKEN_OUT_OF_RANGE,
        LS_INVALID_LOGIT_BIAS,
        LS_MASK_TOO_SHORT,
        LS_NO_TOKEN_ALLOWED,
        LS_INVALID_TYPICAL_P,
        LS_INVALID_TOP_N_SIGMA,
        LS_INVALID_XTC_PROBABILITY,
        LS_INVALID_XTC_THRESHOLD,
        LS_INVALID_DYNATEMP_RANGE,
        LS_INVALID_DYNATEMP_EXPONENT,
        LS_INVALID_MIROSTAT,
        LS_NULL_POINTER,
        LS_BAD_ALIGNMENT,
        LS_BUFFER_TOO_SMALL,
        LS_OUT_OF_MEMORY,
        LS_UNKNOWN_ERROR,
    ];
    let Some(known) = ALL.into_iter().find(|s| *s as u32 == status) else {
        return c"unknown status";
    };
    match known {
        LS_OK => c"success",
        LS_EMPTY => c"the logits array is empty",
        LS_TOO_LONG => c"the array has more entries than a uint32_t can count",
        LS_NAN_LOGIT => c"a logit is NaN",
        LS_NO_CANDIDATES => c"every logit is -inf: no token is possible",
        LS_INVALID_TEMPERATURE => {
            c"temperature must be 0 (greedy), +inf (uniform) or a normal positive float up to 2^64"
        }
        LS_INVALID_MIN_P => c"min-p must lie in [0, 1]",
        LS_INVALID_TOP_P => c"top-p must lie in (0, 1]",
        LS_INVALID_STAGE_ORDER => {
            c"the stage order must name each stage at most once, penalties and DRY first"
        }
        LS_INVALID_WEIGHT => c"a probability is negative, NaN or infinite",
        LS_ZERO_TOTAL_WEIGHT => c"the probabilities sum to zero",
        LS_INVALID_UNIFORM => c"the uniform variate is outside [0, 1)",
        LS_CAPACITY_EXCEEDED => c"more entries than the table's capacity",
        LS_BACKEND_UNAVAILABLE => c"the backend cannot run on this CPU",
        LS_STAGE_NOT_IN_ORDER => c"a stage the configuration turns on is missing from the order",
        LS_INVALID_REPEAT_PENALTY => c"the repetition penalty must be finite and > 0",
        LS_INVALID_FREQUENCY_PENALTY => c"the frequency penalty must be finite",
        LS_INVALID_PRESENCE_PENALTY => c"the presence penalty must be finite",
        LS_INVALID_DRY_MULTIPLIER => c"the DRY multiplier must be finite and >= 0",
        LS_INVALID_DRY_BASE => c"the DRY base must be finite and >= 1",
        LS_WINDOW_EXCEEDS_HISTORY => {
            c"a penalty or DRY window is longer than the sampler's history"
        }
        LS_INVALID_DRY_BREAKER => c"a DRY sequence breaker is empty or too long",
        LS_TOKEN_OUT_OF_RANGE => c"a logit bias names a token beyond the logits",
        LS_INVALID_LOGIT_BIAS => c"a logit bias is NaN or +inf",
        LS_MASK_TOO_SHORT => c"the allowed-token mask has fewer words than the logits need",
        LS_NO_TOKEN_ALLOWED => c"the mask and the bans leave no token possible",
        LS_INVALID_TYPICAL_P => c"typical-p must lie in [0, 1]",
        LS_INVALID_TOP_N_SIGMA => c"top-n-sigma must be finite and >= 0",
        LS_INVALID_XTC_PROBABILITY => c"the XTC probability must lie in [0, 1]",
        LS_INVALID_XTC_THRESHOLD => c"the XTC threshold must lie in [0, 1]",
        LS_INVALID_DYNATEMP_RANGE => {
            c"the dynamic temperature range must be finite and >= 0, with a finite temperature"
        }
        LS_INVALID_DYNATEMP_EXPONENT => c"the dynamic temperature exponent must be finite and >= 0",
        LS_INVALID_MIROSTAT => {
            c"mirostat must be 0, 1 or 2 with tau and eta finite and >= 0 and m in 1..=128"
        }
        LS_NULL_POINTER => c"a required pointer argument is NULL",
        LS_BAD_ALIGNMENT => c"a pointer argument is misaligned for its type",
        LS_BUFFER_TOO_SMALL => c"the memory is smaller than ls_sampler_size()",
        LS_OUT_OF_MEMORY => c"the system allocator returned NULL",
        LS_UNKNOWN_ERROR => c"an error this version of the C API does not name",
    }
}

/// `ls_status` as a C caller may pass it: any `uint32_t`.
/// cbindgen:no-export
pub type LsStatusRaw = u32;

/// The library's version, e.g. "0.1.0" (static, NUL-terminated).
#[unsafe(no_mangle)]
pub extern "C" fn ls_version() -> *const c_char {
    const VERSION: &core::ffi::CStr = match core::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };
    VERSION.as_ptr()
}
