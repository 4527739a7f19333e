//! Sampler parameters, the stage order, and their validation.
//!
//! Validation happens once, in [`SamplerConfig::validate`] and the order
//! check (both called by `Sampler::new` and `with_order`), so that sampling
//! itself only has to reject bad logits and constraints.

use crate::error::SampleError;

/// Whether this build has the context stages (penalties, DRY; crate feature
/// `context`, on by default).
pub(crate) const CONTEXT: bool = cfg!(feature = "context");
/// Whether this build has the shape stages (top-n-sigma, typical-p, XTC,
/// dynamic temperature, mirostat; crate feature `shapes`, on by default).
pub(crate) const SHAPES: bool = cfg!(feature = "shapes");

/// Parameters of the sampling pipeline.
///
/// Each filter sees the survivors of the stages before it, renormalised.
/// Build one with `..SamplerConfig::default()` so that new fields keep their
/// "off" values:
///
/// ```
/// # use logit_sampler::SamplerConfig;
/// let config = SamplerConfig { temperature: 0.8, top_k: 40, ..SamplerConfig::default() };
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SamplerConfig {
    /// Logits are divided by this. `0` is greedy (argmax; with a dynamic
    /// range, the centre of the range instead), `+inf` a uniform draw over
    /// the survivors. Must be `0`, `+inf` or in
    /// `[f32::MIN_POSITIVE, SamplerConfig::MAX_TEMPERATURE]`.
    pub temperature: f32,
    /// Keep token `i` iff `p_i >= min_p * p_max`; in `[0, 1]`, `0` disables.
    pub min_p: f32,
    /// Keep the `top_k` most likely tokens (ties to the lowest ids); `0` disables.
    pub top_k: usize,
    /// Keep the smallest most-likely set whose mass reaches `top_p` (the crossing
    /// token is kept); in `(0, 1]`, `1` disables.
    pub top_p: f32,
    /// For a token seen in the penalty window: `l * r` if `l <= 0`, else
    /// `l / r`. Finite and `> 0`; `1` is off.
    pub repeat_penalty: f32,
    /// Subtracted `count` times from a token seen `count` times in the window.
    /// Finite; `0` is off.
    pub frequency_penalty: f32,
    /// Subtracted once from every token seen in the window. Finite; `0` is off.
    pub presence_penalty: f32,
    /// The penalty window: the last `penalty_last_n` accepted tokens. At most
    /// the sampler's `HISTORY`; `0` turns the penalties off.
    pub penalty_last_n: usize,
    /// DRY ("don't repeat yourself"): a token that would extend a repetition of
    /// length `L >= dry_allowed_length` loses
    /// `dry_multiplier * dry_base^(L - dry_allowed_length)`. Finite, `>= 0`;
    /// `0` is off.
    pub dry_multiplier: f32,
    /// DRY's growth per extra repeated token. Finite and `>= 1`.
    pub dry_base: f32,
    /// The longest repetition DRY lets pass unpenalised.
    pub dry_allowed_length: usize,
    /// DRY's window: the last `dry_penalty_last_n` accepted tokens. At most
    /// the sampler's `HISTORY`; `0` turns DRY off.
    pub dry_penalty_last_n: usize,
    /// Locally typical sampling: keep the tokens whose surprise `-ln p` is
    /// closest to the entropy of the survivors (ties to the lowest id), the
    /// smallest such set whose mass exceeds `typical_p`. In `[0, 1]`; `1` is off.
    pub typical_p: f32,
    /// top-n-sigma: keep the logits `>= max - top_n_sigma * sigma`, `sigma`
    /// the population standard deviation of the survivors' logits. Finite
    /// and `>= 0`; `0` is off (llama.cpp's "-1 = off" is `0` here).
    pub top_n_sigma: f32,
    /// XTC ("exclude top choices"): with this probability per call, remove
    /// every token with `p >= xtc_threshold` except the least likely of
    /// them. In `[0, 1]`; `0` is off.
    pub xtc_probability: f32,
    /// XTC's probability threshold, in `[0, 1]` (above 0.5 it never acts:
    /// two tokens cannot both reach it).
    pub xtc_threshold: f32,
    /// Dynamic temperature: the temperature stage uses
    /// `T = Tmin + (Tmax - Tmin) * (H / ln n)^dynatemp_exponent`,
    /// `Tmin = max(0, temperature - range)`, `Tmax = temperature + range`,
    /// `H` the survivors' entropy and `n` their number. Finite and `>= 0`;
    /// `0` is off.
    pub dynatemp_range: f32,
    /// The exponent of dynamic temperature; finite and `>= 0`.
    pub dynatemp_exponent: f32,
    /// min-p, top-p and typical-p keep at least this many tokens, and XTC
    /// acts only if it leaves at least this many (llama.cpp's `min_keep`).
    pub min_keep: usize,
    /// Mirostat, when on, replaces every other stage (as in llama.cpp): the
    /// constraints, then the plain temperature (no dynamic range), then
    /// mirostat's own cut and draw. The other stages' fields are kept but
    /// not applied, and the order need not list them. Its `mu` is sampler
    /// state (`Sampler::mirostat_mu`).
    pub mirostat: Mirostat,
}

/// Mirostat (Basu et al. 2021), which steers the surprise of each drawn token
/// towards `tau` bits by adapting its cut `mu` (starting at `2 tau`) after
/// every draw: `mu <- mu - eta * (surprise - tau)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mirostat {
    /// Off.
    Off,
    /// Version 1: estimates the Zipf exponent from the `m` most likely
    /// tokens, and from it the `k` of a top-k cut.
    V1 {
        /// Target surprise in bits; finite and `>= 0`.
        tau: f32,
        /// Learning rate; finite and `>= 0`.
        eta: f32,
        /// Tokens used for the Zipf estimate, `1..=MAX_MIROSTAT_M` (llama.cpp: 100).
        m: usize,
    },
    /// Version 2: keeps the tokens whose surprise `-log2 p` is at most `mu`.
    V2 {
        /// Target surprise in bits; finite and `>= 0`.
        tau: f32,
        /// Learning rate; finite and `>= 0`.
        eta: f32,
    },
}

impl Mirostat {
    /// The largest `m` of [`Mirostat::V1`] (its estimate keeps the top `m`
    /// logits in a stack array).
    pub const MAX_M: usize = 128;

    /// `(tau, eta)` when on.
    pub(crate) fn params(self) -> Option<(f32, f32)> {
        match self {
            Mirostat::Off => None,
            Mirostat::V1 { tau, eta, .. } | Mirostat::V2 { tau, eta } => Some((tau, eta)),
        }
    }
}

impl Default for SamplerConfig {
    /// [`SamplerConfig::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl SamplerConfig {
    /// Temperature 1 and every other stage off: a draw from the model's
    /// distribution. (DRY's base and allowed length hold llama.cpp's
    /// defaults, 1.75 and 2, for when a multiplier turns it on.) The same as
    /// `default()`, usable in a `const`.
    pub const DEFAULT: SamplerConfig = SamplerConfig {
        temperature: 1.0,
        min_p: 0.0,
        top_k: 0,
        top_p: 1.0,
        repeat_penalty: 1.0,
        frequency_penalty: 0.0,
        presence_penalty: 0.0,
        penalty_last_n: 0,
        dry_multiplier: 0.0,
        dry_base: 1.75,
        dry_allowed_length: 2,
        dry_penalty_last_n: 0,
        typical_p: 1.0,
        top_n_sigma: 0.0,
        xtc_probability: 0.0,
        xtc_threshold: 0.1,
        dynatemp_range: 0.0,
        dynatemp_exponent: 1.0,
        min_keep: 0,
        mirostat: Mirostat::Off,
    };

    /// llama.cpp's defaults (`common_params_sampling`): temperature 0.8,
    /// top-k 40, top-p 0.95, min-p 0.05, a penalty window of 64 with every
    /// penalty off, DRY off (base 1.75, allowed length 2; window 64 here,
    /// where llama.cpp's -1 means the whole context, which no fixed
    /// `HISTORY` holds), XTC off
    /// (threshold 0.1), typical-p, top-n-sigma, dynamic temperature and
    /// mirostat off, `min_keep` 0. With [`Stage::LLAMA_CPP_ORDER`] it is
    /// llama.cpp's default sampler.
    pub const fn llama_cpp() -> Self {
        Self {
            temperature: 0.8,
            top_k: 40,
            top_p: 0.95,
            min_p: 0.05,
            penalty_last_n: 64,
            dry_penalty_last_n: 64,
            ..Self::DEFAULT
        }
    }

    /// Greedy decoding: always the highest logit (ties to the lowest id).
    pub const fn greedy() -> Self {
        Self {
            temperature: 0.0,
            ..Self::DEFAULT
        }
    }

    /// Checks every parameter's range (the windows against a history size
    /// are checked by `Sampler::new`).
    ///
    /// In a build without a stage's crate feature, a value of the
    /// parameter that turns the stage on other than its neutral one (any
    /// penalty, DRY's multiplier, mirostat, dynamic temperature's range,
    /// top-n-sigma, typical-p, XTC's probability) is
    /// [`SampleError::NotBuilt`] (even if also out of range, and whatever
    /// the windows), and the stage's other parameters (DRY's base and
    /// allowed length, XTC's threshold, the dynamic temperature's exponent)
    /// are not read: nothing uses them there. Skipping their range checks
    /// saved 0.9 KiB of a microcontroller's image (size-budget/).
    pub fn validate(&self) -> Result<(), SampleError> {
        validate_temperature(self.temperature)?;
        if !(0.0..=1.0).contains(&self.min_p) {
            return Err(SampleError::InvalidMinP(self.min_p));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(SampleError::InvalidTopP(self.top_p));
        }
        self.check_built()?;
        if CONTEXT {
            self.validate_context()?;
        }
        if SHAPES {
            self.validate_shapes()?;
        }
        Ok(())
    }

    /// The context stages' ranges.
    fn validate_context(&self) -> Result<(), SampleError> {
        let r = self.repeat_penalty;
        if !(r.is_finite() && r > 0.0) {
            return Err(SampleError::InvalidRepeatPenalty(r));
        }
        if !self.frequency_penalty.is_finite() {
            return Err(SampleError::InvalidFrequencyPenalty(self.frequency_penalty));
        }
        if !self.presence_penalty.is_finite() {
            return Err(SampleError::InvalidPresencePenalty(self.presence_penalty));
        }
        let m = self.dry_multiplier;
        if !(m.is_finite() && m >= 0.0) {
            return Err(SampleError::InvalidDryMultiplier(m));
        }
        let b = self.dry_base;
        if !(b.is_finite() && b >= 1.0) {
            return Err(SampleError::InvalidDryBase(b));
        }
        Ok(())
    }

    /// The shape stages' ranges.
    fn validate_shapes(&self) -> Result<(), SampleError> {
        let unit = |x: f32| (0.0..=1.0).contains(&x);
        let non_negative = |x: f32| x.is_finite() && x >= 0.0;
        if !unit(self.typical_p) {
            return Err(SampleError::InvalidTypicalP(self.typical_p));
        }
        if !non_negative(self.top_n_sigma) {
            return Err(SampleError::InvalidTopNSigma(self.top_n_sigma));
        }
        if !unit(self.xtc_probability) {
            return Err(SampleError::InvalidXtcProbability(self.xtc_probability));
        }
        if !unit(self.xtc_threshold) {
            return Err(SampleError::InvalidXtcThreshold(self.xtc_threshold));
        }
        let range = self.dynatemp_range;
        // The range needs a finite temperature, and `Tmax` must be valid too.
        if !(non_negative(range)
            && (range == 0.0
                || (self.temperature.is_finite()
                    && validate_temperature(self.temperature + range).is_ok())))
        {
            return Err(SampleError::InvalidDynatempRange(range));
        }
        if !non_negative(self.dynatemp_exponent) {
            return Err(SampleError::InvalidDynatempExponent(self.dynatemp_exponent));
        }
        if let Some((tau, eta)) = self.mirostat.params() {
            let m = match self.mirostat {
                Mirostat::V1 { m, .. } => m,
                _ => 1,
            };
            if !(non_negative(tau) && non_negative(eta) && (1..=Mirostat::MAX_M).contains(&m)) {
                return Err(SampleError::InvalidMirostat(self.mirostat));
            }
        }
        Ok(())
    }

    /// Refuses a stage the configuration turns on but this build leaves out
    /// (its crate feature is off): nothing is skipped silently. Any value
    /// but the neutral one counts (NaN included).
    fn check_built(&self) -> Result<(), SampleError> {
        let not_built = |stage, feature| Err(SampleError::NotBuilt { stage, feature });
        if !CONTEXT {
            if self.repeat_penalty != 1.0
                || self.frequency_penalty != 0.0
                || self.presence_penalty != 0.0
            {
                return not_built("penalties", "context");
            }
            if self.dry_multiplier != 0.0 {
                return not_built("DRY", "context");
            }
        }
        if !SHAPES {
            if self.mirostat != Mirostat::Off {
                return not_built("mirostat", "shapes");
            }
            if self.dynatemp_range != 0.0 {
                return not_built("dynamic temperature", "shapes");
            }
            if self.top_n_sigma != 0.0 {
                return not_built("top-n-sigma", "shapes");
            }
            if self.typical_p != 1.0 {
                return not_built("typical-p", "shapes");
            }
            if self.xtc_probability != 0.0 {
                return not_built("XTC", "shapes");
            }
        }
        Ok(())
    }

    /// Whether the penalties stage changes anything (constant `false` in a
    /// build without it, so the optimiser drops its code; `validate` refuses
    /// a configuration that turns it on there).
    pub(crate) fn penalties_on(&self) -> bool {
        CONTEXT
            && self.penalty_last_n > 0
            && (self.repeat_penalty != 1.0
                || self.frequency_penalty != 0.0
                || self.presence_penalty != 0.0)
    }

    /// Whether DRY changes anything.
    pub(crate) fn dry_on(&self) -> bool {
        CONTEXT && self.dry_penalty_last_n > 0 && self.dry_multiplier > 0.0
    }

    /// Whether mirostat replaces the other stages (constant `false` in a
    /// build without the shape stages, as for `penalties_on`).
    pub(crate) fn mirostat_on(&self) -> bool {
        SHAPES && self.mirostat != Mirostat::Off
    }

    /// Whether the temperature is dynamic (as `mirostat_on`).
    pub(crate) fn dynatemp_on(&self) -> bool {
        SHAPES && self.dynatemp_range > 0.0
    }

    /// Whether `stage` changes anything under this configuration (a stage
    /// that does must be in the order).
    pub(crate) fn is_on(&self, stage: Stage) -> bool {
        if self.mirostat_on() {
            // Mirostat replaces every other stage: only the plain
            // temperature runs before its cut.
            return stage == Stage::Temperature && self.temperature != 1.0;
        }
        match stage {
            Stage::Penalties => self.penalties_on(),
            Stage::Dry => self.dry_on(),
            Stage::Temperature => self.temperature != 1.0 || self.dynatemp_on(),
            Stage::MinP => self.min_p > 0.0,
            Stage::TopK => self.top_k > 0,
            Stage::TopP => self.top_p < 1.0,
            Stage::TopNSigma => SHAPES && self.top_n_sigma > 0.0,
            Stage::Typical => SHAPES && self.typical_p < 1.0,
            Stage::Xtc => SHAPES && self.xtc_probability > 0.0,
        }
    }

    /// Whether a call draws XTC's coin (one more `next_u64`, before the draw).
    pub(crate) fn xtc_coin(&self) -> bool {
        SHAPES && self.xtc_probability > 0.0 && !self.mirostat_on()
    }

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
    /// Repetition, frequency and presence penalties over the penalty window.
    Penalties,
    /// DRY, the repeated-sequence penalty.
    Dry,
    /// Divide logits by the temperature. Filters placed before it see `T = 1`.
    Temperature,
    /// The min-p filter.
    MinP,
    /// The top-k filter.
    TopK,
    /// The top-p (nucleus) filter.
    TopP,
    /// The top-n-sigma filter.
    TopNSigma,
    /// The locally typical filter.
    Typical,
    /// XTC, "exclude top choices".
    Xtc,
}

impl Stage {
    /// Number of stages.
    pub const COUNT: usize = 9;

    /// Penalties, DRY, top-n-sigma, temperature, min-p, top-k, top-p,
    /// typical, XTC: llama.cpp's context stages first, top-n-sigma on the raw
    /// logits (as its paper has it; it does not depend on the temperature),
    /// then the order of DESIGN.md and most peers, then the two filters that
    /// may remove the most likely tokens.
    pub const DEFAULT_ORDER: [Stage; Stage::COUNT] = [
        Stage::Penalties,
        Stage::Dry,
        Stage::TopNSigma,
        Stage::Temperature,
        Stage::MinP,
        Stage::TopK,
        Stage::TopP,
        Stage::Typical,
        Stage::Xtc,
    ];

    /// llama.cpp's default order (`common_params_sampling::samplers`):
    /// penalties, DRY, top-n-sigma, top-k, typical, top-p, min-p, XTC,
    /// temperature. Filters before the temperature see temperature 1.
    pub const LLAMA_CPP_ORDER: [Stage; Stage::COUNT] = [
        Stage::Penalties,
        Stage::Dry,
        Stage::TopNSigma,
        Stage::TopK,
        Stage::Typical,
        Stage::TopP,
        Stage::MinP,
        Stage::Xtc,
        Stage::Temperature,
    ];

    fn index(self) -> usize {
        match self {
            Stage::Penalties => 0,
            Stage::Dry => 1,
            Stage::Temperature => 2,
            Stage::MinP => 3,
            Stage::TopK => 4,
            Stage::TopP => 5,
            Stage::TopNSigma => 6,
            Stage::Typical => 7,
            Stage::Xtc => 8,
        }
    }

    /// Whether the stage rewrites logits from the token history (it must come
    /// before every other kind of stage).
    pub(crate) fn is_context(self) -> bool {
        matches!(self, Stage::Penalties | Stage::Dry)
    }
}

/// A validated stage order, stored without a heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Order {
    stages: [Stage; Stage::COUNT],
    len: usize,
}

impl Order {
    /// [`Stage::DEFAULT_ORDER`], which accepts every configuration.
    pub(crate) const DEFAULT: Order = Order {
        stages: Stage::DEFAULT_ORDER,
        len: Stage::COUNT,
    };

    /// Accepts `order` iff it names each stage at most once, every stage that
    /// `config` turns on is in it, and the context stages (penalties, DRY)
    /// come before all others.
    pub(crate) fn new(order: &[Stage], config: &SamplerConfig) -> Result<Order, SampleError> {
        let mut stages = Stage::DEFAULT_ORDER;
        let mut seen = 0u16;
        let mut after_context = false;
        for (i, &stage) in order.iter().enumerate() {
            let bit = 1u16 << stage.index();
            if seen & bit != 0 || (stage.is_context() && after_context) {
                return Err(SampleError::InvalidStageOrder);
            }
            seen |= bit;
            after_context |= !stage.is_context();
            if let Some(slot) = stages.get_mut(i) {
                *slot = stage;
            }
        }
        for stage in Stage::DEFAULT_ORDER {
            if seen & (1 << stage.index()) == 0 && config.is_on(stage) {
                return Err(SampleError::StageNotInOrder(stage));
            }
        }
        Ok(Order {
            stages,
            len: order.len(),
        })
    }

    pub(crate) fn as_slice(&self) -> &[Stage] {
        self.stages.get(..self.len).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every stage behind a crate feature, turned on with nothing else: in a
    /// build with the feature it is accepted, in one without it refused by
    /// name (this suite runs in both: `./test.sh` also runs it with
    /// `--no-default-features`).
    #[test]
    fn a_stage_this_build_leaves_out_is_refused_not_skipped() {
        let on = |f: fn(&mut SamplerConfig)| {
            let mut c = SamplerConfig::DEFAULT;
            f(&mut c);
            c
        };
        let cases = [
            (
                on(|c| (c.repeat_penalty, c.penalty_last_n) = (1.1, 8)),
                "penalties",
                CONTEXT,
            ),
            (
                on(|c| (c.frequency_penalty, c.penalty_last_n) = (0.1, 1)),
                "penalties",
                CONTEXT,
            ),
            (
                on(|c| (c.presence_penalty, c.penalty_last_n) = (-0.1, 1)),
                "penalties",
                CONTEXT,
            ),
            (
                on(|c| (c.dry_multiplier, c.dry_penalty_last_n) = (0.8, 1)),
                "DRY",
                CONTEXT,
            ),
            (
                on(|c| c.mirostat = Mirostat::V2 { tau: 5.0, eta: 0.1 }),
                "mirostat",
                SHAPES,
            ),
            (
                on(|c| c.dynatemp_range = 0.5),
                "dynamic temperature",
                SHAPES,
            ),
            (on(|c| c.top_n_sigma = 1.0), "top-n-sigma", SHAPES),
            (on(|c| c.typical_p = 0.9), "typical-p", SHAPES),
            (on(|c| c.xtc_probability = 0.5), "XTC", SHAPES),
        ];
        for (config, stage, built) in cases {
            let feature = if stage == "penalties" || stage == "DRY" {
                "context"
            } else {
                "shapes"
            };
            let expected = if built {
                Ok(())
            } else {
                Err(SampleError::NotBuilt { stage, feature })
            };
            assert_eq!(config.validate(), expected, "{stage}");
        }
    }

    /// In a build without a stage's feature: any value of the parameter
    /// that turns the stage on but its neutral one is `NotBuilt`, also an
    /// out-of-range one and also with a window of 0; the stage's other
    /// parameters are not read. In a build with it, the ranges as usual.
    #[test]
    fn a_left_out_stage_refuses_its_switch_and_ignores_its_other_parameters() {
        // Compared by their `Debug` text, so a NaN payload matches a NaN.
        let check = |f: fn(&mut SamplerConfig), want: Result<(), SampleError>| {
            let mut c = SamplerConfig::DEFAULT;
            f(&mut c);
            assert_eq!(std::format!("{:?}", c.validate()), std::format!("{want:?}"));
        };
        // A stage's switch: `invalid` where its feature is built (`None`:
        // accepted, the stage being off without a window), else NotBuilt.
        let switch = |built: bool, invalid: Option<SampleError>, stage, feature| {
            if built {
                invalid.map_or(Ok(()), Err)
            } else {
                Err(SampleError::NotBuilt { stage, feature })
            }
        };
        let penalties = |invalid| switch(CONTEXT, invalid, "penalties", "context");
        let dry = |invalid| switch(CONTEXT, invalid, "DRY", "context");
        // The stage's other parameters: read only where it is built.
        let other = |built: bool, invalid: SampleError| if built { Err(invalid) } else { Ok(()) };
        // Switches: out of range, NaN, or in range with no window.
        check(
            |c| c.repeat_penalty = f32::NAN,
            penalties(Some(SampleError::InvalidRepeatPenalty(f32::NAN))),
        );
        check(
            |c| c.repeat_penalty = -1.0,
            penalties(Some(SampleError::InvalidRepeatPenalty(-1.0))),
        );
        check(|c| c.frequency_penalty = 0.5, penalties(None));
        check(|c| c.dry_multiplier = 0.8, dry(None));
        check(
            |c| c.dry_multiplier = -0.5,
            dry(Some(SampleError::InvalidDryMultiplier(-0.5))),
        );
        check(
            |c| c.typical_p = 2.0,
            switch(
                SHAPES,
                Some(SampleError::InvalidTypicalP(2.0)),
                "typical-p",
                "shapes",
            ),
        );
        check(
            |c| c.top_n_sigma = f32::NAN,
            switch(
                SHAPES,
                Some(SampleError::InvalidTopNSigma(f32::NAN)),
                "top-n-sigma",
                "shapes",
            ),
        );
        const BAD_MIROSTAT: Mirostat = Mirostat::V2 {
            tau: -1.0,
            eta: 0.1,
        };
        check(
            |c| c.mirostat = BAD_MIROSTAT,
            switch(
                SHAPES,
                Some(SampleError::InvalidMirostat(BAD_MIROSTAT)),
                "mirostat",
                "shapes",
            ),
        );
        check(
            |c| c.dynatemp_range = -0.5,
            switch(
                SHAPES,
                Some(SampleError::InvalidDynatempRange(-0.5)),
                "dynamic temperature",
                "shapes",
            ),
        );
        // -0.0 is the neutral value too.
        check(
            |c| (c.dry_multiplier, c.xtc_probability, c.dynatemp_range) = (-0.0, -0.0, -0.0),
            Ok(()),
        );
        check(
            |c| c.dry_base = 0.5,
            other(CONTEXT, SampleError::InvalidDryBase(0.5)),
        );
        check(
            |c| c.xtc_threshold = 5.0,
            other(SHAPES, SampleError::InvalidXtcThreshold(5.0)),
        );
        check(
            |c| c.dynatemp_exponent = -1.0,
            other(SHAPES, SampleError::InvalidDynatempExponent(-1.0)),
        );
    }

    /// DRY's breakers are DRY's parameters too: checked where DRY is built,
    /// not read where it is not.
    #[test]
    fn breakers_are_read_only_where_dry_is_built() {
        let s = crate::Sampler::<4, 8>::new(SamplerConfig::DEFAULT).unwrap();
        let empty: &[u32] = &[];
        assert_eq!(
            s.with_dry_breakers(&[empty]).map(|_| ()),
            if CONTEXT {
                Err(SampleError::InvalidDryBreaker { index: 0, len: 0 })
            } else {
                Ok(())
            }
        );
    }

    /// A window with every penalty neutral, or DRY's window with multiplier
    /// 0, turns nothing on: llama.cpp's defaults are valid in every build.
    #[test]
    fn windows_with_nothing_on_are_valid_in_every_build() {
        assert_eq!(SamplerConfig::llama_cpp().validate(), Ok(()));
        let neutral = SamplerConfig {
            penalty_last_n: 64,
            dry_penalty_last_n: 64,
            dry_base: 2.0,
            xtc_threshold: 0.3,
            dynatemp_exponent: 2.0,
            ..SamplerConfig::DEFAULT
        };
        assert_eq!(neutral.validate(), Ok(()));
        assert!(!neutral.penalties_on() && !neutral.dry_on());
    }
}
