//! `ls_config` and `ls_stage`: the sampler's parameters as plain C types.

use logit_sampler::{SampleError, SamplerConfig, Stage};

use crate::args;
use crate::sampler::LS_HISTORY;
use crate::status::LsStatus;

/// One stage of the pipeline, as `ls_config.order` lists them. The logit
/// bias and the allowed-token mask of `ls_sample_with` always come first, the
/// draw always last. A value arriving from C is a plain `uint32_t`: an
/// unknown one makes the order invalid (`LS_INVALID_STAGE_ORDER`).
///
/// The values are stable: the four filters keep the numbers they had before
/// the context stages (penalties, DRY) were added.
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
}

/// `ls_stage` as a C caller may pass it: any `uint32_t`.
/// cbindgen:no-export
pub type LsStageRaw = u32;

/// The capacity of `ls_config.order`: the number of `ls_stage` values.
pub const LS_STAGE_COUNT: usize = 6;

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
    /// The stages to run, in order: `order[0 .. order_len)`. Each `ls_stage`
    /// at most once; the context stages (`LS_STAGE_PENALTIES`,
    /// `LS_STAGE_DRY`) before all others; and every stage the fields above
    /// turn on must be listed (`LS_STAGE_NOT_IN_ORDER` otherwise: nothing is
    /// skipped silently). Entries from `order_len` on are ignored;
    /// `ls_sampler_config` writes `LS_STAGE_COUNT` there.
    /// Default: `PENALTIES, DRY, TEMPERATURE, MIN_P, TOP_K, TOP_P`.
    pub order: [LsStageRaw; LS_STAGE_COUNT],
    /// The number of stages in `order`, at most `LS_STAGE_COUNT`.
    pub order_len: usize,
}

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
        }
    }
}

/// The core stage a C value names, if any.
fn core_stage(raw: LsStageRaw) -> Option<Stage> {
    Stage::DEFAULT_ORDER
        .into_iter()
        .find(|s| LsStage::from_core(*s) as LsStageRaw == raw)
}

/// llama.cpp's default sampler order (`common_params_sampling::samplers`:
/// penalties, DRY, top-n-sigma, top-k, typical-p, top-p, min-p, XTC,
/// temperature) restricted to the stages this library has.
const LLAMA_CPP_ORDER: [Stage; Stage::COUNT] = [
    Stage::Penalties,
    Stage::Dry,
    Stage::TopK,
    Stage::TopP,
    Stage::MinP,
    Stage::Temperature,
];

/// llama.cpp's defaults (`common_params_sampling`) in the fields this library
/// has. DRY's window, llama.cpp's -1 (the whole context), is the whole history.
const LLAMA_CPP: SamplerConfig = SamplerConfig {
    temperature: 0.8,
    min_p: 0.05,
    top_k: 40,
    top_p: 0.95,
    penalty_last_n: 64,
    dry_penalty_last_n: LS_HISTORY,
    ..SamplerConfig::DEFAULT
};

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
            order: stages,
            order_len: order.len().min(LS_STAGE_COUNT),
        }
    }

    /// The core configuration (not yet validated).
    pub(crate) fn sampler_config(&self) -> SamplerConfig {
        SamplerConfig {
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
        }
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
/// other stage off (a draw from the model's distribution), all six stages in
/// the default order (`PENALTIES, DRY, TEMPERATURE, MIN_P, TOP_K, TOP_P`),
/// and DRY's base and allowed length at llama.cpp's 1.75 and 2, for when a
/// multiplier and a window turn it on.
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

/// Writes llama.cpp's default sampling parameters (`common_params_sampling`)
/// to `*out`, for the stages this library has: temperature 0.8, top-k 40,
/// top-p 0.95, min-p 0.05; a penalty window of 64 with the penalties off
/// (repeat 1, frequency 0, presence 0); DRY off (multiplier 0; base 1.75,
/// allowed length 2, window `LS_HISTORY` for llama.cpp's -1, "the whole
/// context"); and llama.cpp's order, `PENALTIES, DRY, TOP_K, TOP_P, MIN_P,
/// TEMPERATURE` (the filters before the temperature). A preset for
/// convenience: DRY's default sequence breakers are strings in llama.cpp,
/// tokens here (`ls_sampler_set_dry_breakers`).
///
/// # Safety
/// As `ls_config_default`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_config_llama_cpp(out: *mut LsConfig) -> LsStatus {
    // SAFETY: the caller's promise about `out`.
    write_config(unsafe { args::out(out, 1) }, LLAMA_CPP, &LLAMA_CPP_ORDER)
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
