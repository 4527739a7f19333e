//! Inverse-CDF draws over weights, walked in ascending token id.
//!
//! The cumulative mass is formed the same way on every path: the kernels'
//! chunk layout (1024-id chunks, 16 `f64` lanes each, a fixed tree per chunk,
//! chunk sums added in order) locates the crossing chunk, then a sequential
//! `f64` walk inside it finds the token. A draw over the whole buffer (two
//! kernel passes: the sum, then the chunk walk) and a draw over gathered
//! candidates (which rebuilds the same chunk sums, absent ids counting 0) see
//! identical sums, so the token for a given uniform depends neither on the
//! backend nor on the sampler's capacity.

use crate::error::SampleError;
use crate::kernels::{Backend, Candidate, ChunkSum, Kernels, Weighting};

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
/// sum the kernels report for `ws` (`exp_weights` or `chunk_prefix`) and be > 0.
pub(crate) fn draw_from_weights(k: Kernels, ws: &[f32], total: f64, u: f64) -> u32 {
    let target = u * total;
    let scan = k.chunk_prefix(ws, target);
    let start = scan.chunk * ChunkSum::CHUNK;
    let found = ws
        .get(start..ws.len().min(start + ChunkSum::CHUNK))
        .and_then(|chunk| {
            let ids = (start as u32..).zip(chunk.iter().copied());
            walk(ids, scan.before, target)
        });
    // Only rounding can leave the target uncrossed: take the last possible token.
    found.unwrap_or_else(|| ws.iter().rposition(|w| *w > 0.0).unwrap_or(0) as u32)
}

/// The same draw over candidates sorted by ascending id (the sampler's scratch).
/// Overwrites each candidate's logit by its weight under `w`.
pub(crate) fn draw_from_candidates(cands: &mut [Candidate], w: Weighting, u: f64) -> u32 {
    for c in cands.iter_mut() {
        c.logit = w.weight(c.logit);
    }
    let target = u * chunked_total(cands, |c| c.logit);
    let mut before = 0.0f64;
    let found = for_each_chunk(cands, |chunk| {
        let after = before + chunk_sum(chunk, |c| c.logit);
        if after > target {
            return Some(walk(chunk.iter().map(|c| (c.id, c.logit)), before, target));
        }
        before = after;
        None
    });
    match found.flatten() {
        Some(id) => id,
        None => cands
            .iter()
            .rev()
            .find(|c| c.logit > 0.0)
            .map_or(0, |c| c.id),
    }
}

/// Sum of `weight` over candidates sorted by id, in the kernels' chunk layout:
/// bit-identical to `Kernels::exp_sum` over a buffer holding these weights.
pub(crate) fn chunked_total(cands: &[Candidate], weight: impl Fn(&Candidate) -> f32) -> f64 {
    let mut total = 0.0f64;
    for_each_chunk(cands, |chunk| {
        total += chunk_sum(chunk, &weight);
        None::<()>
    });
    total
}

fn chunk_sum(chunk: &[Candidate], weight: impl Fn(&Candidate) -> f32) -> f64 {
    let mut lanes = ChunkSum::new();
    for c in chunk {
        lanes.add(c.id, weight(c));
    }
    lanes.sum()
}

/// Calls `f` on each run of candidates sharing a 1024-id chunk; stops at the
/// first `Some`.
fn for_each_chunk<R>(
    cands: &[Candidate],
    mut f: impl FnMut(&[Candidate]) -> Option<R>,
) -> Option<R> {
    let mut rest = cands;
    while let Some(first) = rest.first() {
        let chunk = first.id as usize / ChunkSum::CHUNK;
        let len = rest
            .iter()
            .take_while(|c| c.id as usize / ChunkSum::CHUNK == chunk)
            .count();
        let (here, later) = rest.split_at(len.min(rest.len()));
        if let Some(r) = f(here) {
            return Some(r);
        }
        rest = later;
    }
    None
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
