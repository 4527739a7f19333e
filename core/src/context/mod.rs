//! The context stages: what changes a logit before any filter sees it.
//!
//! - [`constraints`]: the per-request logit bias and allowed-token mask;
//! - [`penalties`]: repetition, frequency and presence penalties over the
//!   token history;
//! - [`dry`]: DRY, the penalty on extending a repeated sequence;
//! - [`history`]: the ring of accepted tokens both look at;
//! - [`logprob`]: the model's log-probabilities that `sample_with` reports.
//!
//! All of them rewrite a few logits in place (the mask writes `-inf` over
//! disallowed ones) with `f32` arithmetic that is the same on every backend,
//! after the validation (which leaves the buffer as it found it), so an
//! error still leaves the buffer as it was. They cost O(window) or O(bias), never O(vocabulary), except the
//! mask's one pass. Because they can lower the largest logit, the
//! validation's scan leaves the tokens they will rewrite out, and the
//! maximum after them is the rest's or one of their new logits; only a bias
//! longer than the sampler's capacity falls back to [`MaxTracker`], which follows the
//! maximum through the rewrites and has the buffer scanned again when a
//! rewrite lowered a token holding it.

#[cfg(feature = "context")]
pub(crate) mod constraints;
pub(crate) mod dry;
pub(crate) mod history;
#[cfg(feature = "context")]
pub(crate) mod logprob;
pub(crate) mod penalties;
pub(crate) mod window;

/// The largest logit through a series of point rewrites.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MaxTracker {
    max: f32,
    /// A token holding `max` was lowered: `max` may no longer be attained.
    lowered: bool,
}

impl MaxTracker {
    pub(crate) fn new(max: f32) -> Self {
        Self {
            max,
            lowered: false,
        }
    }

    /// Records that a logit went from `old` to `new`.
    pub(crate) fn rewrite(&mut self, old: f32, new: f32) {
        if new > self.max {
            self.max = new;
        } else if old == self.max && new < old {
            self.lowered = true;
        }
    }

    /// The maximum if known without a scan.
    #[cfg(feature = "context")]
    pub(crate) fn known(self) -> Option<f32> {
        (!self.lowered).then_some(self.max)
    }
}

/// `x` saturated to the finite range: a finite logit stays finite under the
/// penalties and a finite bias (an overflow would otherwise make a token
/// certain, or impossible, and a later `inf - inf` a NaN).
pub(crate) fn saturate(x: f32) -> f32 {
    x.clamp(-f32::MAX, f32::MAX)
}
