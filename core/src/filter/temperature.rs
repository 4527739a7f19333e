//! Dynamic temperature (the "entropy" variant of llama.cpp's `temp_ext`):
//! `T = Tmin + (Tmax - Tmin) * (H / ln n)^exponent`, `Tmin = max(0, T0 - range)`,
//! `Tmax = T0 + range`, `H` the entropy of the survivors (at temperature 1)
//! and `n` their number: a confident distribution is sampled colder.
//!
//! `H` comes from `survivors::entropy` (exact masses, sums in the chunk
//! layout), the rest in `f32` as in llama.cpp, the same operations on every
//! path, so every path picks the same `T`. With one
//! survivor the temperature changes nothing but greediness, and `T0` is kept
//! (llama.cpp returns early there, leaving its logits unscaled).

use super::{Survivors, survivors};
use crate::config::SamplerConfig;
use crate::kernels::{Candidate, Kernels, Weighting};

/// The temperature of the stage for the current survivors; `0` is greedy.
// Out of line, so that its sums and arrays never enlarge the stack frame of
// the common chain (firmware-example/check.sh measures the stack per call).
#[inline(never)]
pub(crate) fn dynamic(
    k: Kernels,
    scratch: &mut [Candidate],
    xs: &[f32],
    set: Survivors,
    cfg: &SamplerConfig,
    w: Weighting,
) -> f32 {
    let entropy = survivors::entropy(k, scratch, xs, set, w);
    if entropy.count <= 1 {
        return cfg.temperature;
    }
    let (t0, range) = (cfg.temperature, cfg.dynatemp_range);
    let (lo, hi) = (super::larger(t0 - range, 0.0), t0 + range);
    let normalised = (entropy.nats / libm::logf(entropy.count as f32)).clamp(0.0, 1.0);
    let t = lo + (hi - lo) * libm::powf(normalised, cfg.dynatemp_exponent);
    // Below the smallest normal temperature `1 / T` overflows: that is greedy.
    if t < f32::MIN_POSITIVE { 0.0 } else { t }
}
