//! Inverse-CDF draws over weights, walked in ascending token id.
//!
//! The cumulative mass is formed the same way on every path: 16-id blocks, each
//! summed by the kernels' fixed tree, block sums accumulated in `f64`, then a
//! sequential `f64` walk inside the crossing block. A draw over the whole buffer
//! (two kernel passes: the sum, then the block walk) and a draw over gathered
//! candidates (which rebuilds the same blocks with zeros for absent ids) thus
//! see identical sums, so the token for a given uniform depends neither on the
//! backend nor on the sampler's capacity.

use crate::error::SampleError;
use crate::kernels::{Backend, Candidate, Kernels, Weighting, block_sum, generic::BLOCK};

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
    let total = k.block_prefix(probs, f64::INFINITY).before;
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
    match ws.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
        Some(index) => Err(SampleError::InvalidWeight { index }),
        None => Ok(()),
    }
}

/// The token whose cumulative interval holds `u * total`. `total` must be the
/// sum the kernels report for `ws` (`exp_weights` or `block_prefix`) and be > 0.
pub(crate) fn draw_from_weights(k: Kernels, ws: &[f32], total: f64, u: f64) -> u32 {
    let target = u * total;
    let scan = k.block_prefix(ws, target);
    let start = scan.block * BLOCK;
    let found = ws
        .get(start..ws.len().min(start + BLOCK))
        .and_then(|block| walk_block(block.iter().copied(), scan.before, target));
    match found {
        Some(slot) => (start + slot) as u32,
        // Only rounding can leave the target uncrossed: take the last possible token.
        None => ws.iter().rposition(|w| *w > 0.0).unwrap_or(0) as u32,
    }
}

/// The same draw over candidates sorted by ascending id (the sampler's scratch).
/// Overwrites each candidate's logit by its weight under `w`.
pub(crate) fn draw_from_candidates(cands: &mut [Candidate], w: Weighting, u: f64) -> u32 {
    for c in cands.iter_mut() {
        c.logit = w.weight(c.logit);
    }
    let mut total = 0.0f64;
    for_each_block(cands, |_, block| {
        total += block_sum(block) as f64;
        None::<()>
    });
    let target = u * total;
    let mut before = 0.0f64;
    let found = for_each_block(cands, |first_id, block| {
        let after = before + block_sum(block) as f64;
        if after > target {
            let slot = walk_block(block.iter().copied(), before, target)?;
            return Some(first_id + slot as u32);
        }
        before = after;
        None
    });
    found.unwrap_or_else(|| {
        cands
            .iter()
            .rev()
            .find(|c| c.logit > 0.0)
            .map_or(0, |c| c.id)
    })
}

/// Calls `f(first id of block, block weights)` for each 16-id block holding a
/// candidate, with zeros where an id is absent; stops at the first `Some`.
fn for_each_block<R>(
    cands: &[Candidate],
    mut f: impl FnMut(u32, [f32; BLOCK]) -> Option<R>,
) -> Option<R> {
    let mut rest = cands;
    while let Some(first) = rest.first() {
        let block_id = first.id / BLOCK as u32;
        let mut block = [0.0f32; BLOCK];
        let in_block = rest
            .iter()
            .take_while(|c| c.id / BLOCK as u32 == block_id)
            .count();
        let (here, later) = rest.split_at(in_block.min(rest.len()));
        for c in here {
            if let Some(slot) = block.get_mut(c.id as usize % BLOCK) {
                *slot = c.logit;
            }
        }
        if let Some(r) = f(block_id * BLOCK as u32, block) {
            return Some(r);
        }
        rest = later;
    }
    None
}

/// Sequential walk inside the crossing block: the first positive weight that
/// takes the running `f64` sum past `target`; if rounding between the tree sum
/// and this walk leaves it short, the block's last positive weight.
fn walk_block(block: impl Iterator<Item = f32>, before: f64, target: f64) -> Option<usize> {
    let mut cum = before;
    let mut last = None;
    for (slot, w) in block.enumerate() {
        if w > 0.0 {
            cum += w as f64;
            last = Some(slot);
            if cum > target {
                return last;
            }
        }
    }
    last
}
