//! Sampler parameters, the stage order, and their validation.
//!
//! Validation happens once, in [`SamplerConfig::validate`] (called by
//! `Sampler::new`), so that sampling itself only has to reject bad logits.

use crate::error::SampleError;

/// Parameters of the sampling pipeline.
///
/// Each filter sees the survivors of the stages before it, renormalised.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SamplerConfig {
    /// Logits are divided by this. `0` is greedy (argmax), `+inf` a uniform draw
    /// over the survivors. Must be `0`, `+inf` or in
    /// `[f32::MIN_POSITIVE, SamplerConfig::MAX_TEMPERATURE]`.
    pub temperature: f32,
    /// Keep token `i` iff `p_i >= min_p * p_max`; in `[0, 1]`, `0` disables.
    pub min_p: f32,
    /// Keep the `top_k` most likely tokens (ties to the lowest ids); `0` disables.
    pub top_k: usize,
    /// Keep the smallest most-likely set whose mass reaches `top_p` (the crossing
    /// token is kept); in `(0, 1]`, `1` disables.
    pub top_p: f32,
}

impl Default for SamplerConfig {
    /// Temperature 1 and every filter off: a draw from the model's distribution.
    fn default() -> Self {
        Self {
            temperature: 1.0,
            min_p: 0.0,
            top_k: 0,
            top_p: 1.0,
        }
    }
}

impl SamplerConfig {
    /// Greedy decoding: always the highest logit (ties to the lowest id).
    pub const fn greedy() -> Self {
        Self {
            temperature: 0.0,
            min_p: 0.0,
            top_k: 0,
            top_p: 1.0,
        }
    }

    /// Checks every parameter's range.
    pub fn validate(&self) -> Result<(), SampleError> {
        validate_temperature(self.temperature)?;
        if !(0.0..=1.0).contains(&self.min_p) {
            return Err(SampleError::InvalidMinP(self.min_p));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(SampleError::InvalidTopP(self.top_p));
        }
        Ok(())
    }
}

impl SamplerConfig {
    /// The largest finite temperature, 2^64. Scaled logits are formed as
    /// `(l - l_max) / T` in `f32`, where `l - l_max` overflows to `-inf` once
    /// two logits are more than `f32::MAX` apart; up to 2^64 (indeed up to
    /// about 2^121) such a token's exact weight `exp((l - l_max) / T)` is below
    /// `exp(-2^64)`, i.e. 0, so the overflow changes nothing, and min-p's
    /// threshold `l_max + T ln m` stays finite. Beyond, a finite `T` would
    /// be computed wrongly for such logits (found by fuzzing); for any logits
    /// a model produces it is indistinguishable from `+inf`, which is allowed.
    pub const MAX_TEMPERATURE: f32 = 18_446_744_073_709_551_616.0;
}

/// `0`, `+inf`, or a normal value up to [`SamplerConfig::MAX_TEMPERATURE`].
/// Subnormal temperatures are refused because `1 / T` overflows and the scaled
/// logits could not be formed exactly; larger finite ones, see there.
pub(crate) fn validate_temperature(t: f32) -> Result<(), SampleError> {
    if t == 0.0
        || t == f32::INFINITY
        || (f32::MIN_POSITIVE..=SamplerConfig::MAX_TEMPERATURE).contains(&t)
    {
        Ok(())
    } else {
        Err(SampleError::InvalidTemperature(t))
    }
}

/// One step of the pipeline. The draw always comes last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Divide logits by the temperature. Filters placed before it see `T = 1`.
    Temperature,
    /// The min-p filter.
    MinP,
    /// The top-k filter.
    TopK,
    /// The top-p (nucleus) filter.
    TopP,
}

impl Stage {
    /// Temperature, min-p, top-k, top-p: the order of DESIGN.md and of most peers.
    pub const DEFAULT_ORDER: [Stage; 4] =
        [Stage::Temperature, Stage::MinP, Stage::TopK, Stage::TopP];

    fn index(self) -> usize {
        match self {
            Stage::Temperature => 0,
            Stage::MinP => 1,
            Stage::TopK => 2,
            Stage::TopP => 3,
        }
    }

    /// Accepts `order` iff it names every stage exactly once.
    pub(crate) fn validate_order(order: &[Stage; 4]) -> Result<(), SampleError> {
        let mut seen = 0u8;
        for stage in order {
            seen |= 1 << stage.index();
        }
        if seen == 0b1111 {
            Ok(())
        } else {
            Err(SampleError::InvalidStageOrder)
        }
    }
}
