//! `ls_config` and `ls_stage`: the sampler's parameters as plain C types.

use logit_sampler::{SampleError, SamplerConfig, Stage};

use crate::args;
use crate::status::LsStatus;

/// One filter stage of the pipeline; `ls_config.order` lists all four. The
/// draw always comes last. A value arriving from C is a plain `uint32_t`: an
/// unknown one makes the order invalid (`LS_INVALID_STAGE_ORDER`).
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
}

/// `ls_stage` as a C caller may pass it: any `uint32_t`.
/// cbindgen:no-export
pub type LsStageRaw = u32;

/// The number of entries in `ls_config.order`.
pub const LS_STAGE_COUNT: usize = 4;

/// The sampler's parameters. Start from `ls_config_default` (or
/// `ls_config_greedy`) and change the fields you need: a zeroed struct is
/// not a valid config (its order names one stage four times).
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
    /// The order of the filter stages: each `ls_stage` exactly once.
    /// Default: `LS_STAGE_TEMPERATURE, LS_STAGE_MIN_P, LS_STAGE_TOP_K, LS_STAGE_TOP_P`.
    pub order: [LsStageRaw; LS_STAGE_COUNT],
}

impl LsStage {
    /// The C value of a core stage.
    pub(crate) const fn from_core(s: Stage) -> Self {
        match s {
            Stage::Temperature => LsStage::Temperature,
            Stage::MinP => LsStage::MinP,
            Stage::TopK => LsStage::TopK,
            Stage::TopP => LsStage::TopP,
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
    pub(crate) fn from_core(config: SamplerConfig, order: [Stage; 4]) -> Self {
        Self {
            temperature: config.temperature,
            min_p: config.min_p,
            top_k: config.top_k,
            top_p: config.top_p,
            order: order.map(|s| LsStage::from_core(s) as LsStageRaw),
        }
    }

    /// The core configuration (not yet validated).
    pub(crate) fn sampler_config(&self) -> SamplerConfig {
        SamplerConfig {
            temperature: self.temperature,
            min_p: self.min_p,
            top_k: self.top_k,
            top_p: self.top_p,
        }
    }

    /// The core stage order; `InvalidStageOrder` if a value is not a stage
    /// (repeats are the core's to reject).
    pub(crate) fn stage_order(&self) -> Result<[Stage; 4], SampleError> {
        let [a, b, c, d] = self.order.map(core_stage);
        match (a, b, c, d) {
            (Some(a), Some(b), Some(c), Some(d)) => Ok([a, b, c, d]),
            _ => Err(SampleError::InvalidStageOrder),
        }
    }
}

/// Writes the default configuration to `*out`: temperature 1 and every
/// filter off (a draw from the model's distribution), default stage order.
///
/// Returns `LS_NULL_POINTER` or `LS_BAD_ALIGNMENT` for a bad `out`.
///
/// # Safety
/// `out`, if non-NULL and aligned, points to writable memory for an `ls_config`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_config_default(out: *mut LsConfig) -> LsStatus {
    // SAFETY: the caller's promise about `out`.
    write_config(unsafe { args::out(out, 1) }, SamplerConfig::default())
}

/// Writes the greedy configuration to `*out`: temperature 0 (always the
/// highest logit, ties to the lowest id), filters off, default stage order.
///
/// # Safety
/// As `ls_config_default`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_config_greedy(out: *mut LsConfig) -> LsStatus {
    // SAFETY: the caller's promise about `out`.
    write_config(unsafe { args::out(out, 1) }, SamplerConfig::greedy())
}

fn write_config(
    out: Result<&mut core::mem::MaybeUninit<LsConfig>, crate::status::LsError>,
    config: SamplerConfig,
) -> LsStatus {
    match out {
        Ok(out) => {
            out.write(LsConfig::from_core(config, Stage::DEFAULT_ORDER));
            LsStatus::LS_OK
        }
        Err(e) => e.status,
    }
}
