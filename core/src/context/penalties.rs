//! Repetition, frequency and presence penalties, with llama.cpp's formulas.
//!
//! For each distinct token `t` seen `c > 0` times in the last
//! `penalty_last_n` accepted tokens (and inside the vocabulary):
//!
//! ```text
//! l <- l * r   if l <= 0,   l / r   otherwise      (r = repeat_penalty)
//! l <- l - (c * frequency_penalty + presence_penalty)
//! ```
//!
//! in `f32`, in this order, as `llama_sampler_penalties_apply` does. The one
//! difference: a finite logit saturates at `±f32::MAX` instead of
//! overflowing, so a penalty never makes a token impossible or certain and
//! never produces a NaN (`inf - inf`). Infinite logits stay as they are.
//! Cost: O(n) for a window of n (the tally's hash index), nothing per vocabulary entry.

use super::window::Tally;
use super::{MaxTracker, saturate};
use crate::config::SamplerConfig;

/// The penalised value of logit `l` for a token seen `count` times.
pub(crate) fn penalised(cfg: &SamplerConfig, l: f32, count: u32) -> f32 {
    if !l.is_finite() {
        return l;
    }
    let r = cfg.repeat_penalty;
    let scaled = saturate(if l <= 0.0 { l * r } else { l / r });
    let amount = saturate(count as f32 * cfg.frequency_penalty + cfg.presence_penalty);
    saturate(scaled - amount)
}

/// Applies the penalties for the tokens in `tally` (the penalty window) to `xs`.
pub(crate) fn apply<const H: usize>(
    cfg: &SamplerConfig,
    tally: &Tally<H>,
    xs: &mut [f32],
    tracker: &mut MaxTracker,
) {
    for (token, count) in tally.iter() {
        if let Some(x) = xs.get_mut(token as usize) {
            let new = penalised(cfg, *x, count);
            tracker.rewrite(*x, new);
            *x = new;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(r: f32, f: f32, p: f32) -> SamplerConfig {
        SamplerConfig {
            repeat_penalty: r,
            frequency_penalty: f,
            presence_penalty: p,
            penalty_last_n: 8,
            ..SamplerConfig::default()
        }
    }

    #[test]
    fn divides_positive_multiplies_non_positive() {
        let c = cfg(2.0, 0.0, 0.0);
        assert_eq!(penalised(&c, 3.0, 1), 1.5);
        assert_eq!(penalised(&c, -3.0, 1), -6.0);
        // Zero counts as non-positive (l * r): stays 0.
        assert_eq!(penalised(&c, 0.0, 5), 0.0);
    }

    #[test]
    fn frequency_scales_with_count_presence_does_not() {
        let c = cfg(1.0, 0.5, 0.25);
        assert_eq!(penalised(&c, 1.0, 1), 0.25);
        assert_eq!(penalised(&c, 1.0, 3), -0.75);
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        let c = cfg(1e-30, 0.0, 0.0);
        assert_eq!(penalised(&c, 1e30, 1), f32::MAX);
        let c = cfg(1e30, f32::MAX, f32::MAX);
        assert_eq!(penalised(&c, -1e30, 2), -f32::MAX);
        // Infinite logits are left alone (no inf - inf).
        assert_eq!(penalised(&c, f32::INFINITY, 2), f32::INFINITY);
        assert_eq!(penalised(&c, f32::NEG_INFINITY, 2), f32::NEG_INFINITY);
    }
}
