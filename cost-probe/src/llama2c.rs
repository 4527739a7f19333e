//! The peer: a line-by-line port of the sampling in Karpathy's llama2.c
//! (`run.c`: `softmax`, `sample_mult`, `sample_topp`, `random_f32`), as a
//! typical small-footprint C inference loop samples. f32 throughout, `expf`
//! from libm, `qsort` replaced by core's `sort_unstable_by` with run.c's
//! comparator. run.c's `sample` first divides every logit by the temperature;
//! at temperature 1 that pass is left out here. It may panic (it indexes
//! freely): it is the baseline, not ours.

use logit_sampler::Pcg32;
use logit_sampler::rand_core::Rng;

/// run.c's `ProbIndex`: a probability and its token id.
#[derive(Clone, Copy, Default)]
pub struct ProbIndex {
    prob: f32,
    index: u32,
}

/// run.c's `random_f32`: 24 random bits scaled into `[0, 1)`.
pub fn coin(rng: &mut Pcg32) -> f32 {
    (rng.next_u32() >> 8) as f32 / 16_777_216.0
}

/// run.c's `softmax`, in place: max, `expf(x - max)` summed in f32, divide.
pub fn softmax(x: &mut [f32]) {
    let mut max_val = x[0];
    for &v in &x[1..] {
        if v > max_val {
            max_val = v;
        }
    }
    let mut sum = 0.0f32;
    for v in x.iter_mut() {
        *v = libm::expf(*v - max_val);
        sum += *v;
    }
    for v in x.iter_mut() {
        *v /= sum;
    }
}

/// run.c's `sample_mult`: walk the CDF until it passes the coin.
pub fn sample_mult(probabilities: &[f32], coin: f32) -> u32 {
    let mut cdf = 0.0f32;
    for (i, &p) in probabilities.iter().enumerate() {
        cdf += p;
        if coin < cdf {
            return i as u32;
        }
    }
    probabilities.len() as u32 - 1
}

/// run.c's `sample_topp` on probabilities (after `softmax`): keep the tokens
/// with `p >= (1 - topp) / (n - 1)`, sort them by descending probability, cut
/// where the cumulative mass first exceeds `topp`, draw `coin * mass`.
pub fn sample_topp(
    probabilities: &[f32],
    topp: f32,
    probindex: &mut [ProbIndex],
    coin: f32,
) -> u32 {
    let n = probabilities.len();
    let cutoff = (1.0 - topp) / (n - 1) as f32;
    let mut n0 = 0;
    for (i, &p) in probabilities.iter().enumerate() {
        if p >= cutoff {
            probindex[n0] = ProbIndex {
                prob: p,
                index: i as u32,
            };
            n0 += 1;
        }
    }
    let kept = &mut probindex[..n0];
    kept.sort_unstable_by(|a, b| {
        b.prob
            .partial_cmp(&a.prob)
            .unwrap_or(core::cmp::Ordering::Equal)
    });
    let mut cumulative_prob = 0.0f32;
    let mut last_idx = n0 - 1;
    for (i, pi) in kept.iter().enumerate() {
        cumulative_prob += pi.prob;
        if cumulative_prob > topp {
            last_idx = i;
            break;
        }
    }
    let r = coin * cumulative_prob;
    let mut cdf = 0.0f32;
    for pi in &kept[..=last_idx] {
        cdf += pi.prob;
        if r < cdf {
            return pi.index;
        }
    }
    kept[last_idx].index
}

/// run.c's `sample` at temperature 1 with top-p `topp`: softmax, coin, `sample_topp`.
#[inline(never)]
pub fn top_p(logits: &mut [f32], topp: f32, probindex: &mut [ProbIndex], rng: &mut Pcg32) -> u32 {
    softmax(logits);
    sample_topp(logits, topp, probindex, coin(rng))
}

/// run.c's `sample` at temperature 1 without top-p: softmax, coin, `sample_mult`.
#[inline(never)]
pub fn full(logits: &mut [f32], rng: &mut Pcg32) -> u32 {
    softmax(logits);
    sample_mult(logits, coin(rng))
}
