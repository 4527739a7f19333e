//! Log-probabilities for `sample_with`: the model's, and the draw's.
//!
//! The model distribution is the log-softmax of the logits as passed (T = 1,
//! before bias, mask and penalties): `ln p_i = (l_i - l_max) - ln Z` with
//! `Z = sum_j exp(l_j - l_max)`. `Z` comes from one read-only pass of the
//! fixed-point masses the draw uses (`round(exp(s) 2^30)`, summed exactly):
//! each rounding is at most `2^-31` of the max's weight 1, so `ln Z` is
//! within `n 2^-31 / Z` plus exp's relative error (below `2^-22 (|s| + 16)`)
//! — about 1e-6 for a peaked distribution, at most 6e-5 at vocab 128 256 —
//! and every token's logprob stays finite however unlikely it is.
//!
//! The top slice is the `top.len()` largest logits (ties to the lowest id),
//! found by one read-only pass: the SIMD gather collects the logits above a
//! rising threshold (the worst one kept so far) into a small buffer, and a
//! min-heap held in the caller's slice keeps the best.

use crate::kernels::{Candidate, Kernels, Weighting};

/// A token and its log-probability under the model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TokenLogprob {
    /// Token id.
    pub token: u32,
    /// Natural log of its probability (`-inf` if impossible).
    pub logprob: f32,
}

impl Default for TokenLogprob {
    /// Token 0 with probability 0: what a slot holds before it is filled.
    fn default() -> Self {
        Self {
            token: 0,
            logprob: f32::NEG_INFINITY,
        }
    }
}

/// What [`Sampler::sample_with`](crate::Sampler::sample_with) returns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sampled {
    /// The token drawn.
    pub token: u32,
    /// Natural log of its probability under the model: the log-softmax of
    /// the logits as passed (T = 1, no bias, mask or penalty), as
    /// OpenAI-compatible servers report it.
    pub logprob: f32,
    /// Natural log of its probability in the distribution actually drawn
    /// from (after every stage; `0` for a greedy draw).
    pub sampling_logprob: f32,
}

/// The model distribution's normaliser.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Model {
    max: f32,
    /// `ln Z`, or, when some logits are `+inf`, `ln` of their count.
    log_total: f32,
}

impl Model {
    /// Reads `xs` (scanned: no NaN, `max` its largest element).
    pub(crate) fn new(k: Kernels, xs: &[f32], max: f32) -> Self {
        if max == f32::INFINITY {
            let certain = xs.iter().filter(|&&x| x == f32::INFINITY).count();
            return Self {
                max,
                log_total: libm::logf(certain as f32),
            };
        }
        let w = Weighting { max, inv_t: 1.0 };
        let total = k.exp_fixed_sum(xs, -f32::MAX, w);
        // total >= 2^30: the max's own mass.
        Self {
            max,
            log_total: libm::logf(total as f32) - 30.0 * core::f32::consts::LN_2,
        }
    }

    /// `ln p` of a token whose logit (as passed) is `l`.
    pub(crate) fn logprob(self, l: f32) -> f32 {
        if self.max == f32::INFINITY {
            return if l == f32::INFINITY {
                -self.log_total
            } else {
                f32::NEG_INFINITY
            };
        }
        if l == f32::NEG_INFINITY {
            return l;
        }
        (l - self.max) - self.log_total
    }
}

/// Whether `(a_logit, a_id)` ranks strictly before `(b_logit, b_id)`: higher
/// logit, then lower id.
fn before(a: Candidate, b: Candidate) -> bool {
    a.logit > b.logit || (a.logit == b.logit && a.id < b.id)
}

/// Fills `top` with the `top.len()` best tokens of `xs` (ties to the lowest
/// id), descending, as model logprobs; slots past the vocabulary get
/// `TokenLogprob { token: u32::MAX, logprob: -inf }`.
pub(crate) fn fill_top(k: Kernels, xs: &[f32], model: Model, top: &mut [TokenLogprob]) {
    let want = top.len().min(xs.len());
    let Some((heap, rest)) = top.split_at_mut_checked(want) else {
        return;
    };
    for slot in rest {
        *slot = TokenLogprob {
            token: u32::MAX,
            logprob: f32::NEG_INFINITY,
        };
    }
    if want == 0 {
        return;
    }
    // The heap keeps candidates as (id, logit) in the slots, worst on top.
    let get = |heap: &[TokenLogprob], i: usize| {
        heap.get(i).map_or(Candidate::default(), |t| Candidate {
            id: t.token,
            logit: t.logprob,
        })
    };
    let put = |heap: &mut [TokenLogprob], i: usize, c: Candidate| {
        if let Some(slot) = heap.get_mut(i) {
            *slot = TokenLogprob {
                token: c.id,
                logprob: c.logit,
            };
        }
    };
    // Sift the worst to the root of heap[..end].
    let sift = |heap: &mut [TokenLogprob], mut root: usize, end: usize| loop {
        let mut child = 2 * root + 1;
        if child >= end {
            break;
        }
        if child + 1 < end && before(get(heap, child), get(heap, child + 1)) {
            child += 1;
        }
        if !before(get(heap, root), get(heap, child)) {
            break;
        }
        let (a, b) = (get(heap, root), get(heap, child));
        put(heap, root, b);
        put(heap, child, a);
        root = child;
    };
    let mut len = 0usize;
    let mut threshold = f32::NEG_INFINITY;
    let mut buf = [Candidate::default(); 64];
    let mut pos = 0usize;
    while pos < xs.len() {
        let rest = xs.get(pos..).unwrap_or_default();
        let g = k.gather_at_least(rest, threshold, pos as u32, &mut buf);
        for &c in buf.get(..g.count).unwrap_or_default() {
            if len < want {
                // Push: append, then sift up.
                put(heap, len, c);
                let mut i = len;
                while i > 0 {
                    let parent = (i - 1) / 2;
                    if !before(get(heap, parent), get(heap, i)) {
                        break;
                    }
                    let (a, b) = (get(heap, parent), get(heap, i));
                    put(heap, parent, b);
                    put(heap, i, a);
                    i = parent;
                }
                len += 1;
            } else if before(c, get(heap, 0)) {
                put(heap, 0, c);
                sift(heap, 0, want);
            }
            if len == want {
                // Later ids equal to the worst kept lose the tie.
                threshold = get(heap, 0).logit.next_up();
            }
        }
        pos += g.next;
        if g.next == 0 && g.count == 0 {
            break;
        }
    }
    // Heapsort: repeatedly move the worst to the end.
    for end in (1..want).rev() {
        let (a, b) = (get(heap, 0), get(heap, end));
        put(heap, 0, b);
        put(heap, end, a);
        sift(heap, 0, end);
    }
    for slot in heap.iter_mut() {
        slot.logprob = model.logprob(slot.logprob);
    }
}
