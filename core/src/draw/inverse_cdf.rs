//! Inverse-CDF draws, walked in ascending token id, on integer masses.
//!
//! The sampler's draw works on fixed-point masses (`round(w * 2^30)`, see
//! `kernels`): the target is `floor(r * total / 2^64)` for the call's 64-bit
//! uniform `r`, and the token is the first, in ascending id, whose running
//! integer sum exceeds it. Integer sums are exact, so the draw over the whole
//! buffer (two kernel passes: masses and total, then the prefix walk) and the
//! draw over gathered candidates pick the same token for the same `r`, on every
//! backend and at every capacity, with no summation layout to keep in step.
//!
//! [`sample_inverse_cdf`] draws from probabilities the caller gives, of any
//! scale, the same way: each becomes the mass `round(p * 2^(29 - E))` for the
//! largest one's exponent `E` (`MassScale`: the largest mass lies in
//! `[2^29, 2^30)`), the target is `floor(u * total)` computed exactly, and
//! the walk is the kernels' mass prefix (a vector sum per 256 floats, then
//! the crossing step's elements). No `f64` anywhere, which a microcontroller
//! would run in software.

use crate::error::SampleError;
use crate::filter::select::{self, Masses, Order, Rule};
use crate::kernels::{Backend, Candidate, Kernels, MassScale, Weighting};

/// The smallest `i` with `u < (q_0 + ... + q_i) / Q`, where `q_i` is the
/// fixed-point mass of `probs[i]`, `round(p_i * 2^(29 - E))` for the exponent
/// `E` of the largest entry (`2^E <= max < 2^(E + 1)`), and `Q` their sum.
/// `probs` need not sum to 1 (any scale: the masses renormalise them). An
/// entry whose mass is 0 (a zero, or one below half a unit, `2^(E - 30)`,
/// which is at most `max * 2^-30`) is never chosen.
///
/// Errors: empty or too long input, a negative, NaN or infinite entry, `u`
/// outside `[0, 1)`, an all-zero input.
pub fn sample_inverse_cdf(probs: &[f32], u: f32) -> Result<u32, SampleError> {
    sample_inverse_cdf_with(Backend::detect(), probs, u)
}

/// [`sample_inverse_cdf`] on a chosen backend (every backend gives the same token).
pub fn sample_inverse_cdf_with(
    backend: Backend,
    probs: &[f32],
    u: f32,
) -> Result<u32, SampleError> {
    let k = backend.kernels()?;
    let max = validate_weights(k, probs)?;
    if !(0.0..1.0).contains(&u) {
        return Err(SampleError::InvalidUniform(u));
    }
    if max == 0.0 {
        return Err(SampleError::ZeroTotalWeight);
    }
    let scale = MassScale::for_max(max);
    // `u64::MAX` is never exceeded: the walk returns the total.
    let total = k.mass_prefix(probs, scale, u64::MAX).err().unwrap_or(0);
    if total == 0 {
        // Only where the FPU flushes subnormals to zero (a mode Rust never
        // sets) and every weight is subnormal: nothing to draw from.
        return Err(SampleError::ZeroTotalWeight);
    }
    // The largest entry's mass is at least 2^29, and `u < 1` puts the target
    // below the total, so the walk crosses it at an entry of positive mass.
    let found = k.mass_prefix(probs, scale, uniform_target(u, total)).ok();
    debug_assert!(found.is_some(), "the target lies below the total");
    Ok(found.unwrap_or_else(|| probs.iter().rposition(|p| scale.mass(*p) > 0).unwrap_or(0)) as u32)
}

/// Rejects an empty or too long slice and any negative, NaN or infinite
/// weight; returns the largest weight (by `k`'s max scan).
pub(crate) fn validate_weights(k: Kernels, ws: &[f32]) -> Result<f32, SampleError> {
    if ws.is_empty() {
        return Err(SampleError::Empty);
    }
    if u32::try_from(ws.len()).is_err() {
        return Err(SampleError::TooLong { len: ws.len() });
    }
    // The kernels' max scan finds a NaN or an infinity; a branch-free integer
    // fold (vectorised) a negative weight: a sign bit on anything but -0.0,
    // whose bits are 0x8000_0000. The position only on error.
    let scan = k.max_nan(ws);
    let negative = ws
        .iter()
        .fold(false, |any, w| any | (w.to_bits() > 0x8000_0000));
    if scan.nan.is_none() && scan.max < f32::INFINITY && !negative {
        // The largest weight (+0.0 for all zeros, -0.0 included).
        return Ok(scan.max);
    }
    let valid = |w: &f32| *w >= 0.0 && *w < f32::INFINITY;
    let index = ws.iter().position(|w| !valid(w)).unwrap_or(0);
    Err(SampleError::InvalidWeight { index })
}

/// `floor(u * total)`, exactly, for `u` in `[0, 1)`. With `u = m 2^(e - 150)`
/// (24-bit significand `m`; a subnormal counts as `e = 1` without the leading
/// bit), `u * total = (m 2^40 * total / 2^64) / 2^(126 - e)`: the high word of
/// a 64x64-bit product, then a shift; floors of floors by powers of two are
/// the floor.
fn uniform_target(u: f32, total: u64) -> u64 {
    // -0.0 (which `[0, 1)` admits) is 0: without its sign bit.
    let bits = u.to_bits() & 0x7fff_ffff;
    let field = bits >> 23; // at most 126 for u < 1
    let fraction = (bits & 0x007f_ffff) as u64;
    let (m, e) = if field == 0 {
        (fraction, 1)
    } else {
        (fraction | 0x0080_0000, field)
    };
    target(m << 40, total)
        .checked_shr(126u32.saturating_sub(e))
        .unwrap_or(0)
}

/// The target mass `floor(r * total / 2^64)` that a 64-bit uniform `r` picks
/// in `[0, total)`: the drawn token is the one whose cumulative interval
/// (in ascending id) holds it. Four 32x32-bit products, so no `u128` routine
/// on a 32-bit core.
pub(crate) fn target(r: u64, total: u64) -> u64 {
    const LOW: u64 = 0xffff_ffff;
    let (r1, r0, t1, t0) = (r >> 32, r & LOW, total >> 32, total & LOW);
    let (p00, p01, p10, p11) = (r0 * t0, r0 * t1, r1 * t0, r1 * t1);
    let middle = (p00 >> 32) + (p01 & LOW) + (p10 & LOW);
    p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32)
}

/// The sampler's draw over the buffer: `qs` holds fixed-point masses as
/// `Kernels::exp_fixed` wrote them, `total` their sum (> 0), `r` the call's
/// 64-bit uniform.
pub(crate) fn draw_from_fixed(k: Kernels, qs: &[f32], total: u64, r: u64) -> u32 {
    let found = k.fixed_prefix(qs, target(r, total));
    debug_assert!(found.is_some(), "the target lies below the total");
    found.unwrap_or(0) as u32
}

/// The same draw over candidates in any order (the sampler's scratch), with
/// their fixed-point masses under `w` beside them in `masses` (the logits
/// buffer, free once the survivors are in the scratch): already there if
/// `ready` (top-p leaves them), computed here otherwise. Finds the token whose
/// interval, in ascending id, holds the target: candidates already in id
/// order are walked; otherwise the shared prefix selection finds the smallest
/// id-prefix reaching the target, O(m) expected.
pub(crate) fn draw_from_candidates(
    k: Kernels,
    cands: &mut [Candidate],
    masses: &mut [f32],
    ready: bool,
    w: Weighting,
    r: u64,
) -> (u32, u64) {
    debug_assert!(masses.len() >= cands.len(), "a mass beside every candidate");
    debug_assert!(!cands.is_empty(), "a draw from an empty set");
    let total = if ready {
        let given = masses.get(..cands.len()).unwrap_or_default();
        given.iter().map(|m| m.to_bits() as u64).sum()
    } else {
        select::fill_masses(k, cands, masses, w)
    };
    debug_assert!(total > 0, "the max token survives with mass 2^30");
    let target = target(r, total);
    if cands.is_sorted_by_key(|c| c.id) {
        let mut cum = 0u64;
        for (c, m) in cands.iter().zip(masses.iter()) {
            cum += m.to_bits() as u64;
            if cum > target {
                return (c.id, total);
            }
        }
        debug_assert!(false, "the target lies below the total");
        return (0, total);
    }
    let len = select::prefix_in_scratch(
        cands,
        Masses::Beside(masses),
        Order::Id,
        Rule::reach(target + 1),
    );
    // The prefix holds the lowest ids reaching the target: its highest id crosses it.
    let token = cands
        .get(..len)
        .unwrap_or_default()
        .iter()
        .map(|c| c.id)
        .max()
        .unwrap_or(0);
    (token, total)
}

#[cfg(test)]
mod tests {
    use super::{target, uniform_target};

    /// `floor(u * total)` against exact 128-bit arithmetic, for uniforms at
    /// every exponent (subnormals, zero, the largest below 1) and totals
    /// from 1 to near 2^64.
    #[test]
    fn uniform_target_is_the_exact_floor() {
        let mut us = std::vec![
            0.0f32,
            -0.0,
            f32::from_bits(1),
            1e-40,
            0.5,
            0.25,
            1.0f32.next_down()
        ];
        for field in 0..127u32 {
            for fraction in [0, 1, 0x40_0000, 0x7f_ffff, 0x2a_aaab] {
                us.push(f32::from_bits(field << 23 | fraction));
            }
        }
        let totals = [
            1u64,
            2,
            3,
            1 << 29,
            (1 << 30) + 7,
            0x9e37_79b9_7f4a,
            u64::MAX / 3,
            u64::MAX,
        ];
        for &u in &us {
            // u = m 2^(e - 150) exactly; -0.0 is 0.
            let bits = u.abs().to_bits();
            let (m, e) = match bits >> 23 {
                0 => ((bits & 0x7f_ffff) as u128, 1),
                f => (((bits & 0x7f_ffff) | 0x80_0000) as u128, f),
            };
            for &total in &totals {
                // floor(m 2^(e - 150) total) with m * total < 2^88.
                let product = m * total as u128;
                let want = product.checked_shr(150 - e).unwrap_or(0);
                assert_eq!(
                    uniform_target(u, total) as u128,
                    want,
                    "u {u:e}, total {total}"
                );
                assert!(
                    want < total as u128,
                    "u < 1 keeps the target below the total"
                );
            }
        }
    }

    #[test]
    fn target_is_the_high_word_of_the_128_bit_product() {
        // Every half of either operand at 0, 1, its top and a mixed value, so
        // each partial product and each carry into the high word is exercised.
        let halves = [
            0u64,
            1,
            2,
            0x8000_0000,
            0xffff_fffe,
            0xffff_ffff,
            0x9e37_79b9,
        ];
        let mut words = std::vec::Vec::new();
        for hi in halves {
            for lo in halves {
                words.push(hi << 32 | lo);
            }
        }
        for &r in &words {
            for &total in &words {
                let want = ((r as u128 * total as u128) >> 64) as u64;
                assert_eq!(target(r, total), want, "r {r:#x}, total {total:#x}");
            }
        }
    }
}
