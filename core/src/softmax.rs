//! In-place temperature softmax.
//!
//! Three passes over the buffer: the max/NaN scan, the exp pass (writes
//! `w = exp((x - max) / T)` and sums the weights in integers), and the
//! scaling pass (`w / total`). Subtracting the max first keeps every exp
//! argument `<= 0`, so nothing overflows for logits up to `±f32::MAX` and any
//! temperature.
//!
//! The normaliser is an integer, in units of 2^-30: each weight from 2^-21
//! on exactly (its mass `round(w * 2^30)`, as the sampler sums it, plus the
//! rounding residual in units of 2^-51), each smaller one to the nearest
//! 2^-51 (most of a model's vocabulary lies more than 21.5 nats below the
//! max, where a mass alone is 0), the whole rounded once. Integer sums are
//! exact in any order: every backend gets the same normaliser with no
//! summation layout and no `f64` (software routines on a microcontroller).
//! It is within `2^-31 + n 2^-52` of the weights' sum `W >= 1` (the max
//! weighs 1) for `n` logits: about `1e-10` relative on the benchmark's
//! model-like logits at vocab 128 256 and 262 144.

use crate::config::validate_temperature;
use crate::error::SampleError;
use crate::kernels::{Backend, FIXED_ONE, Weighting, probability_factor};
use crate::logits;

/// Turns `logits` into probabilities `softmax(logits / temperature)`, in place.
///
/// `temperature == 0` gives a one-hot vector at the argmax (lowest id on ties);
/// `+inf` a uniform distribution over the finite logits. If some logits are
/// `+inf`, the result is uniform over those. `-inf` logits get probability 0.
/// On error the buffer is unchanged.
pub fn softmax_in_place(logits: &mut [f32], temperature: f32) -> Result<(), SampleError> {
    softmax_in_place_with(Backend::detect(), logits, temperature)
}

/// [`softmax_in_place`] on a chosen backend (every backend gives the same bits).
pub fn softmax_in_place_with(
    backend: Backend,
    logits: &mut [f32],
    temperature: f32,
) -> Result<(), SampleError> {
    let k = backend.kernels()?;
    validate_temperature(temperature)?;
    let max = logits::scan(k, logits)?;
    if temperature == 0.0 {
        let winner = logits::first_max(k, logits, max);
        logits::one_hot(logits, winner);
        return Ok(());
    }
    let mut weighting = Weighting {
        max,
        inv_t: 1.0 / temperature,
    };
    if max == f32::INFINITY {
        logits::keep_certain_only(logits);
        weighting = Weighting::UNIFORM;
    } else if temperature == f32::INFINITY {
        weighting = Weighting::UNIFORM;
    }
    // Every finite logit (or every certain token) gets a weight; -inf gets 0.
    let total = k.exp_weights(logits, -f32::MAX, weighting);
    // total >= 2^30: the max itself has weight exactly 1.
    k.scale(logits, probability_factor(total) * FIXED_ONE);
    Ok(())
}
