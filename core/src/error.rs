//! The one error type of the crate.
//!
//! Every fallible entry point validates before it writes, so whenever one of
//! these is returned the caller's buffer is exactly as it was.

use core::fmt;

use crate::config::{Mirostat, Stage};
use crate::kernels::Backend;

/// Why a call could not produce a token (or a distribution).
///
/// One variant per cause, so a caller can react to each without parsing text.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum SampleError {
    /// The logits (or probabilities) slice is empty, or an alias table drawn
    /// from holds no weights.
    Empty,
    /// The slice has more entries than a `u32` token id can name.
    TooLong {
        /// Length of the slice that was passed.
        len: usize,
    },
    /// A logit is NaN; `index` is the first one.
    NanLogit {
        /// Index of the first NaN.
        index: usize,
    },
    /// Every logit is `-inf`: no token is possible.
    NoCandidates,
    /// Temperature must be `0` (greedy), `+inf` (uniform) or a normal positive
    /// `f32` (`>= f32::MIN_POSITIVE`); negative, NaN and subnormal values are refused.
    InvalidTemperature(f32),
    /// min-p must lie in `[0, 1]`.
    InvalidMinP(f32),
    /// top-p must lie in `(0, 1]`.
    InvalidTopP(f32),
    /// The stage order names a stage twice, or puts a context stage
    /// (penalties, DRY) after another kind of stage.
    InvalidStageOrder,
    /// The configuration turns this stage on but the order leaves it out.
    StageNotInOrder(Stage),
    /// The configuration turns on a stage that this build of the crate
    /// leaves out: its crate feature (`context` or `shapes`, both on by
    /// default) is off. Any value but the neutral one of the parameter that
    /// turns the stage on counts, an out-of-range one included
    /// ([`SamplerConfig::validate`](crate::SamplerConfig::validate)).
    NotBuilt {
        /// The stage, e.g. `"DRY"` or `"mirostat"`.
        stage: &'static str,
        /// The crate feature that builds it.
        feature: &'static str,
    },
    /// `repeat_penalty` must be finite and `> 0`.
    InvalidRepeatPenalty(f32),
    /// `frequency_penalty` must be finite.
    InvalidFrequencyPenalty(f32),
    /// `presence_penalty` must be finite.
    InvalidPresencePenalty(f32),
    /// `dry_multiplier` must be finite and `>= 0`.
    InvalidDryMultiplier(f32),
    /// `dry_base` must be finite and `>= 1`.
    InvalidDryBase(f32),
    /// `typical_p` must lie in `[0, 1]`.
    InvalidTypicalP(f32),
    /// `top_n_sigma` must be finite and `>= 0`.
    InvalidTopNSigma(f32),
    /// `xtc_probability` must lie in `[0, 1]`.
    InvalidXtcProbability(f32),
    /// `xtc_threshold` must lie in `[0, 1]`.
    InvalidXtcThreshold(f32),
    /// `dynatemp_range` must be finite and `>= 0`, and when positive the
    /// temperature must be finite and `temperature + range` a valid temperature.
    InvalidDynatempRange(f32),
    /// `dynatemp_exponent` must be finite and `>= 0`.
    InvalidDynatempExponent(f32),
    /// Mirostat's `tau` and `eta` must be finite and `>= 0`, and v1's `m` in
    /// `1..=Mirostat::MAX_M`.
    InvalidMirostat(Mirostat),
    /// A penalty or DRY window is longer than the sampler's history (or
    /// than [`MAX_WINDOW`](crate::MAX_WINDOW) tokens).
    WindowExceedsHistory {
        /// The window asked for (`penalty_last_n` or `dry_penalty_last_n`).
        window: usize,
        /// The sampler's `HISTORY`, at most `MAX_WINDOW`.
        history: usize,
    },
    /// A DRY sequence breaker is empty or longer than
    /// [`MAX_DRY_BREAKER_LEN`](crate::MAX_DRY_BREAKER_LEN) tokens.
    InvalidDryBreaker {
        /// Index of the breaker.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// A logit bias or the allowed-token mask names a token the logits do not have.
    TokenOutOfRange {
        /// The token id.
        token: u32,
        /// The number of logits.
        vocab: usize,
    },
    /// A logit bias is NaN or `+inf` (`-inf` bans the token; finite values add).
    InvalidLogitBias {
        /// Index of the entry in the bias slice.
        index: usize,
        /// Its bias.
        bias: f32,
    },
    /// The allowed-token mask has fewer than `(vocab + 31) / 32` words.
    MaskTooShort {
        /// Words passed.
        words: usize,
        /// Words needed for the vocabulary.
        needed: usize,
    },
    /// The mask and the bans leave no token with a logit above `-inf`.
    NoTokenAllowed,
    /// A probability or weight is negative, NaN or infinite; `index` is the first one.
    InvalidWeight {
        /// Index of the first bad weight.
        index: usize,
    },
    /// The weights sum to zero (or to nothing representable), so nothing can be drawn.
    ZeroTotalWeight,
    /// A uniform variate outside `[0, 1)` (or NaN) was passed to an inverse-CDF draw.
    InvalidUniform(f32),
    /// More entries than a fixed-capacity table holds.
    CapacityExceeded {
        /// Entries passed.
        len: usize,
        /// Entries the table can hold.
        capacity: usize,
    },
    /// The requested backend cannot run on this CPU (or was not compiled for this target).
    BackendUnavailable(Backend),
}

impl fmt::Display for SampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => f.write_str("the input slice (or the alias table drawn from) is empty"),
            Self::TooLong { len } => write!(f, "{len} entries exceed the u32 token-id range"),
            Self::NanLogit { index } => write!(f, "logit {index} is NaN"),
            Self::NoCandidates => f.write_str("every logit is -inf: no token is possible"),
            Self::InvalidTemperature(t) => write!(
                f,
                "temperature {t} is invalid: use 0 (greedy), +inf, or a normal positive value up to 2^64"
            ),
            Self::InvalidMinP(m) => write!(f, "min-p {m} is outside [0, 1]"),
            Self::InvalidTopP(p) => write!(f, "top-p {p} is outside (0, 1]"),
            Self::InvalidStageOrder => f.write_str(
                "the stage order must name each stage at most once, penalties and DRY first",
            ),
            Self::StageNotInOrder(s) => {
                write!(f, "stage {s:?} is configured but missing from the order")
            }
            Self::NotBuilt { stage, feature } => write!(
                f,
                "{stage} is configured but this build leaves it out: enable the crate feature `{feature}`"
            ),
            Self::InvalidRepeatPenalty(r) => {
                write!(f, "repeat penalty {r} is invalid: use a finite value > 0")
            }
            Self::InvalidFrequencyPenalty(v) => write!(f, "frequency penalty {v} is not finite"),
            Self::InvalidPresencePenalty(v) => write!(f, "presence penalty {v} is not finite"),
            Self::InvalidDryMultiplier(m) => {
                write!(f, "DRY multiplier {m} is invalid: use a finite value >= 0")
            }
            Self::InvalidDryBase(b) => {
                write!(f, "DRY base {b} is invalid: use a finite value >= 1")
            }
            Self::InvalidTypicalP(p) => write!(f, "typical-p {p} is outside [0, 1]"),
            Self::InvalidTopNSigma(n) => write!(f, "top-n-sigma {n} is not finite and >= 0"),
            Self::InvalidXtcProbability(p) => write!(f, "XTC probability {p} is outside [0, 1]"),
            Self::InvalidXtcThreshold(t) => write!(f, "XTC threshold {t} is outside [0, 1]"),
            Self::InvalidDynatempRange(r) => write!(
                f,
                "dynamic temperature range {r} is invalid: finite, >= 0, with a finite temperature whose sum with it is a valid temperature"
            ),
            Self::InvalidDynatempExponent(e) => {
                write!(f, "dynamic temperature exponent {e} is not finite and >= 0")
            }
            Self::InvalidMirostat(m) => write!(
                f,
                "mirostat {m:?} is invalid: tau and eta finite and >= 0, m in 1..=128"
            ),
            Self::WindowExceedsHistory { window, history } => write!(
                f,
                "a window of {window} tokens exceeds the sampler's history of {history}"
            ),
            Self::InvalidDryBreaker { index, len } => {
                write!(f, "DRY breaker {index} has {len} tokens: use 1 to 20")
            }
            Self::TokenOutOfRange { token, vocab } => {
                write!(f, "token {token} is outside the vocabulary of {vocab}")
            }
            Self::InvalidLogitBias { index, bias } => write!(
                f,
                "logit bias {index} is {bias}: use a finite value, or -inf to ban"
            ),
            Self::MaskTooShort { words, needed } => write!(
                f,
                "the allowed-token mask has {words} words, the vocabulary needs {needed}"
            ),
            Self::NoTokenAllowed => {
                f.write_str("the mask and the bans leave no token with a finite logit")
            }
            Self::InvalidWeight { index } => {
                write!(f, "weight {index} is negative, NaN or infinite")
            }
            Self::ZeroTotalWeight => f.write_str("the weights sum to zero"),
            Self::InvalidUniform(u) => write!(f, "uniform variate {u} is outside [0, 1)"),
            Self::CapacityExceeded { len, capacity } => {
                write!(f, "{len} entries exceed the capacity of {capacity}")
            }
            Self::BackendUnavailable(b) => write!(f, "backend {b:?} cannot run on this CPU"),
        }
    }
}

/// `core::error::Error` (the same trait as `std::error::Error`), with or without `std`.
impl core::error::Error for SampleError {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    /// One of each variant, with offending values no message prints by
    /// accident (a variant added to the enum fails to compile in `listed`
    /// until it is added here).
    fn every_variant() -> Vec<SampleError> {
        use SampleError::*;
        let all = std::vec![
            Empty,
            TooLong { len: 1 << 33 },
            NanLogit { index: 3 },
            NoCandidates,
            InvalidTemperature(-1.5),
            InvalidMinP(2.5),
            InvalidTopP(-0.5),
            InvalidStageOrder,
            StageNotInOrder(Stage::TopNSigma),
            NotBuilt {
                stage: "DRY",
                feature: "context",
            },
            InvalidRepeatPenalty(-2.5),
            InvalidFrequencyPenalty(f32::NAN),
            InvalidPresencePenalty(f32::INFINITY),
            InvalidDryMultiplier(-3.5),
            InvalidDryBase(0.25),
            InvalidTypicalP(1.75),
            InvalidTopNSigma(-4.5),
            InvalidXtcProbability(5.5),
            InvalidXtcThreshold(-6.5),
            InvalidDynatempRange(-7.5),
            InvalidDynatempExponent(-8.5),
            InvalidMirostat(Mirostat::V2 {
                tau: -9.5,
                eta: 0.1,
            }),
            WindowExceedsHistory {
                window: 129,
                history: 64,
            },
            InvalidDryBreaker { index: 11, len: 21 },
            TokenOutOfRange {
                token: 50257,
                vocab: 50256,
            },
            InvalidLogitBias {
                index: 12,
                bias: f32::INFINITY,
            },
            MaskTooShort {
                words: 13,
                needed: 14,
            },
            NoTokenAllowed,
            InvalidWeight { index: 15 },
            ZeroTotalWeight,
            InvalidUniform(1.25),
            CapacityExceeded {
                len: 17,
                capacity: 16,
            },
            BackendUnavailable(Backend::Neon),
        ];
        assert!(all.iter().all(listed));
        all
    }

    /// Exhaustive: no wildcard arm.
    fn listed(e: &SampleError) -> bool {
        use SampleError::*;
        match e {
            Empty
            | TooLong { .. }
            | NanLogit { .. }
            | NoCandidates
            | InvalidTemperature(_)
            | InvalidMinP(_)
            | InvalidTopP(_)
            | InvalidStageOrder
            | StageNotInOrder(_)
            | NotBuilt { .. }
            | InvalidRepeatPenalty(_)
            | InvalidFrequencyPenalty(_)
            | InvalidPresencePenalty(_)
            | InvalidDryMultiplier(_)
            | InvalidDryBase(_)
            | InvalidTypicalP(_)
            | InvalidTopNSigma(_)
            | InvalidXtcProbability(_)
            | InvalidXtcThreshold(_)
            | InvalidDynatempRange(_)
            | InvalidDynatempExponent(_)
            | InvalidMirostat(_)
            | WindowExceedsHistory { .. }
            | InvalidDryBreaker { .. }
            | TokenOutOfRange { .. }
            | InvalidLogitBias { .. }
            | MaskTooShort { .. }
            | NoTokenAllowed
            | InvalidWeight { .. }
            | ZeroTotalWeight
            | InvalidUniform(_)
            | CapacityExceeded { .. }
            | BackendUnavailable(_) => true,
        }
    }

    /// Every variant has its own message, and the message names the
    /// offending values it carries.
    #[test]
    fn every_error_has_a_distinct_message_naming_its_values() {
        let all = every_variant();
        let msgs: Vec<String> = all.iter().map(|e| e.to_string()).collect();
        let distinct: std::collections::HashSet<&String> = msgs.iter().collect();
        assert_eq!(distinct.len(), all.len(), "{msgs:#?}");
        for (e, m) in all.iter().zip(&msgs) {
            use SampleError::*;
            let values: Vec<String> = match *e {
                TooLong { len } => std::vec![len.to_string()],
                NanLogit { index } | InvalidWeight { index } => std::vec![index.to_string()],
                InvalidTemperature(v)
                | InvalidMinP(v)
                | InvalidTopP(v)
                | InvalidRepeatPenalty(v)
                | InvalidFrequencyPenalty(v)
                | InvalidPresencePenalty(v)
                | InvalidDryMultiplier(v)
                | InvalidDryBase(v)
                | InvalidTypicalP(v)
                | InvalidTopNSigma(v)
                | InvalidXtcProbability(v)
                | InvalidXtcThreshold(v)
                | InvalidDynatempRange(v)
                | InvalidDynatempExponent(v)
                | InvalidUniform(v) => std::vec![v.to_string()],
                StageNotInOrder(s) => std::vec![std::format!("{s:?}")],
                NotBuilt { stage, feature } => std::vec![stage.to_string(), feature.to_string()],
                InvalidMirostat(_) => std::vec!["-9.5".to_string()],
                WindowExceedsHistory { window, history } => {
                    std::vec![window.to_string(), history.to_string()]
                }
                InvalidDryBreaker { index, len } => std::vec![index.to_string(), len.to_string()],
                TokenOutOfRange { token, vocab } => std::vec![token.to_string(), vocab.to_string()],
                InvalidLogitBias { index, bias } => std::vec![index.to_string(), bias.to_string()],
                MaskTooShort { words, needed } => std::vec![words.to_string(), needed.to_string()],
                CapacityExceeded { len, capacity } => {
                    std::vec![len.to_string(), capacity.to_string()]
                }
                BackendUnavailable(b) => std::vec![std::format!("{b:?}")],
                Empty | NoCandidates | InvalidStageOrder | NoTokenAllowed | ZeroTotalWeight => {
                    std::vec![]
                }
            };
            for v in values {
                assert!(m.contains(&v), "{e:?}: {m:?} does not name {v}");
            }
        }
    }
}
