//! Inverse-CDF draws, walked in ascending token id.
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
//! scale: there the cumulative is `f64`, in the kernels' chunk layout (1024-id
//! chunks, 16 lanes, a fixed tree), which makes it backend-independent too,
//! followed by a sequential walk inside the crossing chunk.

use crate::error::SampleError;
use crate::filter::select::{self, Masses, Order, Rule};
use crate::kernels::generic::CHUNK;
use crate::kernels::{Backend, Candidate, Kernels, Weighting};

/// The smallest `i` with `u < (p_0 + ... + p_i) / total`: `probs` need not sum
/// exactly to 1 (they are renormalised), and a zero entry is never chosen.
///
/// Errors: empty or too long input, a negative, NaN or infinite entry, an
/// all-zero input, or `u` outside `[0, 1)`.
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
    validate_weights(probs)?;
    if !(0.0..1.0).contains(&u) {
        return Err(SampleError::InvalidUniform(u));
    }
    let total = k.chunk_prefix(probs, f64::INFINITY).before;
    if total <= 0.0 {
        return Err(SampleError::ZeroTotalWeight);
    }
    Ok(draw_from_weights(k, probs, total, u as f64))
}

/// Rejects an empty or too long slice and any negative, NaN or infinite weight.
pub(crate) fn validate_weights(ws: &[f32]) -> Result<(), SampleError> {
    if ws.is_empty() {
        return Err(SampleError::Empty);
    }
    if u32::try_from(ws.len()).is_err() {
        return Err(SampleError::TooLong { len: ws.len() });
    }
    // A branch-free fold the compiler vectorises; the position only on error.
    let valid = |w: &f32| *w >= 0.0 && *w < f32::INFINITY;
    if ws.iter().fold(true, |ok, w| ok & valid(w)) {
        return Ok(());
    }
    let index = ws.iter().position(|w| !valid(w)).unwrap_or(0);
    Err(SampleError::InvalidWeight { index })
}

/// The token whose cumulative interval holds `u * total`. `total` must be the
/// sum `chunk_prefix` reports for `ws` and be > 0.
pub(crate) fn draw_from_weights(k: Kernels, ws: &[f32], total: f64, u: f64) -> u32 {
    let target = u * total;
    let scan = k.chunk_prefix(ws, target);
    let start = scan.chunk * CHUNK;
    let found = ws
        .get(start..ws.len().min(start + CHUNK))
        .and_then(|chunk| {
            let ids = (start as u32..).zip(chunk.iter().copied());
            walk(ids, scan.before, target)
        });
    // `u < 1` puts the target below the total that the same chunk sums reach,
    // so a chunk with a positive weight crosses it. Were that ever wrong, the
    // last possible token, never a zero one.
    debug_assert!(found.is_some(), "the target lies below the total");
    found.unwrap_or_else(|| ws.iter().rposition(|w| *w > 0.0).unwrap_or(0) as u32)
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

/// Sequential walk inside the crossing chunk: the first positive weight that
/// takes the running `f64` sum past `target`; if rounding between the lane sums
/// and this walk leaves it short, the chunk's last positive weight.
fn walk(items: impl Iterator<Item = (u32, f32)>, before: f64, target: f64) -> Option<u32> {
    let mut cum = before;
    let mut last = None;
    for (id, w) in items {
        if w > 0.0 {
            cum += w as f64;
            last = Some(id);
            if cum > target {
                return last;
            }
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::target;

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
