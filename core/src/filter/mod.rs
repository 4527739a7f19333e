//! The filters: min-p, top-k and top-p.
//!
//! Every filter keeps a prefix of the same total order — logit descending, then
//! token id ascending — so the survivors of any chain are such a prefix too.
//! The sampler represents them either as candidates gathered into its scratch
//! (when they fit) or, beyond the capacity, as "every logit `>= t`" over the
//! caller's buffer, with excluded ties at `t` overwritten by `-inf`. Both
//! representations give the same survivors; see `select.rs`.

pub(crate) mod min_p;
pub(crate) mod select;
pub(crate) mod top_k;
pub(crate) mod top_p;
