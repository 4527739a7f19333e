//! `ls_config` and `ls_stage`: the sampler's parameters as plain C types.

use logit_sampler::{Mirostat, SampleError, SamplerConfig, Stage};

use crate::args;
use crate::status::{LsError, LsStatus};

/// One stage of the pipeline, as `ls_config.order` lists them. The logit
/// bias and the allowed-token mask of `ls_sample_with` always come first, the
/// draw always last. A value arriving from C is a plain `uint32_t`: an
/// unknown one makes the order invalid (`LS_INVALID_STAGE_ORDER`).
///
/// The values are stable: the four filters keep the numbers they had before
/// the context stages (penalties, DRY: 4, 5) were added, and the shape stages
/// (top-n-sigma, typical, XTC) came after them (6 to 8).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LsStage {
    /// Divide the logits by the temperature. Filters placed before it see
    /// temperature 1 (as in llama.cpp's sampler chains).
    Temperature = 0,
    /// Keep token i iff `p_i >= min_p * p_max`.
    MinP = 1,
    /// Keep the `top_k` most likely tokens (ties at the k-th go to the lowest ids).
    TopK = 2,
    /// Keep the smallest most-likely set whose mass reaches `top_p` (the
    /// crossing token kept).
    TopP = 3,
    /// The repetition, frequency and presence penalties over the last
    /// `penalty_last_n` accepted tokens (a context stage).
    Penalties = 4,
    /// DRY, the penalty on extending a repeated sequence, over the last
    /// `dry_penalty_last_n` accepted tokens (a context stage).
    Dry = 5,
    /// Keep the logits `>= max - top_n_sigma * sigma`.
    TopNSigma = 6,
    /// Locally typical sampling (`typical_p`).
    Typical = 7,
    /// XTC, "exclude top choices" (`xtc_probability`, `xtc_threshold`).
    Xtc = 8,
}

/// `ls_stage` as a C caller may pass it: any `uint32_t`.
/// cbindgen:no-export
pub type LsStageRaw = u32;

/// The capacity of `ls_config.order`: the number of `ls_stage` values.
pub const LS_STAGE_COUNT: usize = 9;

const _: () = assert!(
    LS_STAGE_COUNT == Stage::COUNT,
    "one ls_stage per core stage"
);

/// The sampler's parameters. Start from `ls_config_default` (or
/// `ls_config_greedy`, `ls_config_llama_cpp`) and change the fields you need:
/// a zeroed struct is not a valid config (top-p 0, repetition penalty 0).
///
/// Each filter sees the survivors of the stages before it, renormalised
/// (top-p after top-k measures p within the top k).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LsConfig {
    /// The logits are divided by this. 0 is greedy (the highest logit, ties to
    /// the lowest id), `INFINITY` a uniform draw over the survivors; otherwise
    /// it must be a normal positive float (`>= FLT_MIN`) at most 2^64.
    pub temperature: f32,
    /// Keep token i iff `p_i >= min_p * p_max`; in `[0, 1]`, 0 disables.
    pub min_p: f32,
    /// Keep the `top_k` most likely tokens; 0 disables.
    pub top_k: usize,
    /// Keep the smallest most-likely set with mass `>= top_p`; in `(0, 1]`,
    /// 1 disables.
    pub top_p: f32,
    /// For a token seen in the penalty window, its logit `l` becomes `l * r`
    /// if `l <= 0`, else `l / r` (llama.cpp's formula). Finite and `> 0`;
    /// 1 is off.
    pub repeat_penalty: f32,
    /// Subtracted `count` times from a token seen `count` times in the
    /// penalty window. Finite; 0 is off.
    pub frequency_penalty: f32,
    /// Subtracted once from every token seen in the penalty window. Finite;
    /// 0 is off.
    pub presence_penalty: f32,
    /// The penalty window: the last `penalty_last_n` accepted tokens, at most
    /// `LS_HISTORY`. 0 turns the three penalties off.
    pub penalty_last_n: usize,
    /// DRY: a token that would extend a repetition of length
    /// `L >= dry_allowed_length` loses
    /// `dry_multiplier * dry_base^(L - dry_allowed_length)`. Finite and
    /// `>= 0`; 0 is off.
    pub dry_multiplier: f32,
    /// DRY's growth per extra repeated token. Finite and `>= 1`.
    pub dry_base: f32,
    /// The longest repetition DRY lets pass unpenalised.
    pub dry_allowed_length: usize,
    /// DRY's window: the last `dry_penalty_last_n` accepted tokens, at most
    /// `LS_HISTORY`. 0 turns DRY off.
    pub dry_penalty_last_n: usize,
    /// Locally typical sampling: keep the tokens whose surprise is closest to
    /// the survivors' entropy, the smallest such set whose mass exceeds
    /// `typical_p`. In `[0, 1]`; 1 is off.
    pub typical_p: f32,
    /// Keep the logits `>= max - top_n_sigma * sigma` (sigma: the population
    /// standard deviation of the survivors' logits). Finite and `>= 0`; 0 is
    /// off (llama.cpp's -1).
    pub top_n_sigma: f32,
    /// XTC: with this probability per call (its own `next_u64` from the
    /// generator, before the draw's), remove every token with
    /// `p >= xtc_threshold` except the least likely of them. In `[0, 1]`;
    /// 0 is off.
    pub xtc_probability: f32,
    /// XTC's threshold, in `[0, 1]`.
    pub xtc_threshold: f32,
    /// Dynamic temperature: `T = Tmin + (Tmax - Tmin) (H / ln n)^exponent`
    /// with `Tmin = max(0, temperature - range)`, `Tmax = temperature +
    /// range`. Finite and `>= 0`; 0 is off.
    pub dynatemp_range: f32,
    /// Dynamic temperature's exponent; finite and `>= 0` (default 1).
    pub dynatemp_exponent: f32,
    /// min-p, top-p and typical-p keep at least this many tokens; XTC acts
    /// only if it leaves this many.
    pub min_keep: usize,
    /// Mirostat 1's number of tokens for its Zipf estimate, 1 to 128
    /// (llama.cpp: 100). (Before `mirostat` so that the struct has no
    /// padding on 64-bit targets.)
    pub mirostat_m: usize,
    /// Mirostat: 0 off, 1 version 1, 2 version 2. When on it replaces every
    /// other stage (the constraints, the plain temperature, then mirostat's
    /// cut and draw), as in llama.cpp.
    pub mirostat: u32,
    /// Mirostat's target surprise in bits; finite and `>= 0`.
    pub mirostat_tau: f32,
    /// Mirostat's learning rate; finite and `>= 0`.
    pub mirostat_eta: f32,
    /// The stages to run, in order: `order[0 .. order_len)`. Each `ls_stage`
    /// at most once; the context stages (`LS_STAGE_PENALTIES`,
    /// `LS_STAGE_DRY`) before all others; and every stage the fields above
    /// turn on must be listed (`LS_STAGE_NOT_IN_ORDER` otherwise: nothing is
    /// skipped silently). Entries from `order_len` on are ignored;
    /// `ls_sampler_config` writes `LS_STAGE_COUNT` there.
    /// Default: `PENALTIES, DRY, TOP_N_SIGMA, TEMPERATURE, MIN_P, TOP_K,
    /// TOP_P, TYPICAL, XTC`.
    pub order: [LsStageRaw; LS_STAGE_COUNT],
    /// The number of stages in `order`, at most `LS_STAGE_COUNT`.
    pub order_len: usize,
}

// No padding: every byte of an `ls_config` is a field's, so C code may
// compare or hash configs bytewise (17 four-byte scalars, the order, and
// seven `size_t`s).
const _: () = assert!(
    size_of::<LsConfig>()
        == 17 * size_of::<f32>()
            + size_of::<[LsStageRaw; LS_STAGE_COUNT]>()
            + 7 * size_of::<usize>(),
    "ls_config has no padding"
);

impl LsStage {
    /// The C value of a core stage.
    pub(crate) const fn from_core(s: Stage) -> Self {
        match s {
            Stage::Temperature => LsStage::Temperature,
            Stage::MinP => LsStage::MinP,
            Stage::TopK => LsStage::TopK,
            Stage::TopP => LsStage::TopP,
            Stage::Penalties => LsStage::Penalties,
            Stage::Dry => LsStage::Dry,
            Stage::TopNSigma => LsStage::TopNSigma,
            Stage::Typical => LsStage::Typical,
            Stage::Xtc => LsStage::Xtc,
        }
    }
}

/// The core stage a C value names, if any.
fn core_stage(raw: LsStageRaw) -> Option<Stage> {
    Stage::DEFAULT_ORDER
        .into_iter()
        .find(|s| LsStage::from_core(*s) as LsStageRaw == raw)
}

impl LsConfig {
    /// The C form of a core configuration and order.
    pub(crate) fn from_core(config: SamplerConfig, order: &[Stage]) -> Self {
        let mut stages = [LS_STAGE_COUNT as LsStageRaw; LS_STAGE_COUNT];
        for (slot, &stage) in stages.iter_mut().zip(order) {
            *slot = LsStage::from_core(stage) as LsStageRaw;
        }
        Self {
            temperature: config.temperature,
            min_p: config.min_p,
            top_k: config.top_k,
            top_p: config.top_p,
            repeat_penalty: config.repeat_penalty,
            frequency_penalty: config.frequency_penalty,
            presence_penalty: config.presence_penalty,
            penalty_last_n: config.penalty_last_n,
            dry_multiplier: config.dry_multiplier,
            dry_base: config.dry_base,
            dry_allowed_length: config.dry_allowed_length,
            dry_penalty_last_n: config.dry_penalty_last_n,
            typical_p: config.typical_p,
            top_n_sigma: config.top_n_sigma,
            xtc_probability: config.xtc_probability,
            xtc_threshold: config.xtc_threshold,
            dynatemp_range: config.dynatemp_range,
            dynatemp_exponent: config.dynatemp_exponent,
            min_keep: config.min_keep,
            mirostat: match config.mirostat {
                Mirostat::Off => 0,
                Mirostat::V1 { .. } => 1,
                Mirostat::V2 { .. } => 2,
            },
            mirostat_tau: match config.mirostat {
                Mirostat::V1 { tau, .. } | Mirostat::V2 { tau, .. } => tau,
                Mirostat::Off => 5.0,
            },
            mirostat_eta: match config.mirostat {
                Mirostat::V1 { eta, .. } | Mirostat::V2 { eta, .. } => eta,
                Mirostat::Off => 0.1,
            },
            mirostat_m: match config.mirostat {
                Mirostat::V1 { m, .. } => m,
                _ => 100,
            },
            order: stages,
            order_len: order.len().min(LS_STAGE_COUNT),
        }
    }

    /// The core configuration (not yet validated); `LS_INVALID_MIROSTAT`
    /// (`ls_error.index` the value) for a mirostat version other than 0-2.
    pub(crate) fn sampler_config(&self) -> Result<SamplerConfig, LsError> {
        let (tau, eta) = (self.mirostat_tau, self.mirostat_eta);
        let mirostat = match self.mirostat {
            0 => Mirostat::Off,
            1 => Mirostat::V1 {
                tau,
                eta,
                m: self.mirostat_m,
            },
            2 => Mirostat::V2 { tau, eta },
            v => {
                return Err(LsError {
                    index: v as usize,
                    ..LsError::status(LsStatus::LS_INVALID_MIROSTAT)
                });
            }
        };
        Ok(SamplerConfig {
            temperature: self.temperature,
            min_p: self.min_p,
            top_k: self.top_k,
            top_p: self.top_p,
            repeat_penalty: self.repeat_penalty,
            frequency_penalty: self.frequency_penalty,
            presence_penalty: self.presence_penalty,
            penalty_last_n: self.penalty_last_n,
            dry_multiplier: self.dry_multiplier,
            dry_base: self.dry_base,
            dry_allowed_length: self.dry_allowed_length,
            dry_penalty_last_n: self.dry_penalty_last_n,
            typical_p: self.typical_p,
            top_n_sigma: self.top_n_sigma,
            xtc_probability: self.xtc_probability,
            xtc_threshold: self.xtc_threshold,
            dynatemp_range: self.dynatemp_range,
            dynatemp_exponent: self.dynatemp_exponent,
            min_keep: self.min_keep,
            mirostat,
        })
    }

    /// The core stage order, in `buf`; `InvalidStageOrder` if `order_len`
    /// exceeds the array (some stage would repeat) or a value is not a stage
    /// (repeats and the rest are the core's to reject).
    pub(crate) fn stage_order<'a>(
        &self,
        buf: &'a mut [Stage; LS_STAGE_COUNT],
    ) -> Result<&'a [Stage], SampleError> {
        let listed = self
            .order
            .get(..self.order_len)
            .ok_or(SampleError::InvalidStageOrder)?;
        for (slot, &raw) in buf.iter_mut().zip(listed) {
            *slot = core_stage(raw).ok_or(SampleError::InvalidStageOrder)?;
        }
        Ok(buf.get(..listed.len()).unwrap_or_default())
    }
}

/// Writes the default configuration to `*out`: temperature 1 and every
/// other stage off (a draw from the model's distribution), all nine stages in
/// the default order (`PENALTIES, DRY, TOP_N_SIGMA, TEMPERATURE, MIN_P,
/// TOP_K, TOP_P, TYPICAL, XTC`), DRY's base and allowed length at llama.cpp's
/// 1.75 and 2, XTC's threshold 0.1, dynamic temperature's exponent 1 and
/// mirostat's tau 5, eta 0.1 and m 100, for when their switches turn them on.
///
/// Returns `LS_NULL_POINTER` or `LS_BAD_ALIGNMENT` for a bad `out`.
///
/// # Safety
/// `out`, if non-NULL and aligned, points to writable memory for an `ls_config`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_config_default(out: *mut LsConfig) -> LsStatus {
    // SAFETY: the caller's promise about `out`.
    write_config(
        unsafe { args::out(out, 1) },
        SamplerConfig::DEFAULT,
        &Stage::DEFAULT_ORDER,
    )
}

/// Writes the greedy configuration to `*out`: temperature 0 (always the
/// highest logit, ties to the lowest id), everything else as
/// `ls_config_default`.
///
/// # Safety
/// As `ls_config_default`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_config_greedy(out: *mut LsConfig) -> LsStatus {
    // SAFETY: the caller's promise about `out`.
    write_config(
        unsafe { args::out(out, 1) },
        SamplerConfig::greedy(),
        &Stage::DEFAULT_ORDER,
    )
}

/// Writes llama.cpp's default sampler (`common_params_sampling`) to `*out`:
/// temperature 0.8, top-k 40, top-p 0.95, min-p 0.05; a penalty window of 64
/// with the penalties off; DRY off (base 1.75, allowed length 2, window 64);
/// XTC off (threshold 0.1), typical-p, top-n-sigma, dynamic temperature and
/// mirostat off (tau 5, eta 0.1, m 100); and llama.cpp's order, `PENALTIES,
/// DRY, TOP_N_SIGMA, TOP_K, TYPICAL, TOP_P, MIN_P, XTC, TEMPERATURE` (the
/// filters before the temperature). DRY's default sequence breakers are
/// strings in llama.cpp, tokens here (`ls_sampler_set_dry_breakers`).
///
/// # Safety
/// As `ls_config_default`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_config_llama_cpp(out: *mut LsConfig) -> LsStatus {
    // SAFETY: the caller's promise about `out`.
    write_config(
        unsafe { args::out(out, 1) },
        SamplerConfig::llama_cpp(),
        &Stage::LLAMA_CPP_ORDER,
    )
}

fn write_config(
    out: Result<&mut core::mem::MaybeUninit<LsConfig>, crate::status::LsError>,
    config: SamplerConfig,
    order: &[Stage],
) -> LsStatus {
    match out {
        Ok(out) => {
            out.write(LsConfig::from_core(config, order));
            LsStatus::LS_OK
        }
        Err(e) => e.status,
    }
}
