//! The context stages (issue 9), each measured against the same call without
//! it, both sides timed interleaved in the same process ([`crate::time_pair`]):
//!
//! - `penalties+dry`: the default chain plus the penalties (repeat 1.1,
//!   frequency 0.1, presence 0.2, window 64) and DRY (multiplier 0.8, base
//!   1.75, allowed length 2, window 64, no sequence breakers) vs the default
//!   chain alone;
//! - `penalties`: the same without DRY (the job the peers can do: llm-samplers'
//!   repetition and frequency/presence samplers, and a llama.cpp-style loop);
//! - `dry`: DRY alone (the same DRY, no penalties) vs the default chain alone;
//! - `bias`: `sample_constrained` under a logit bias of 8 tokens spread over
//!   the vocabulary, moved by -2 or +2 or banned, vs `sample`; `bias-max`:
//!   the same plus the largest logit banned (which the validation's scan
//!   leaves out, as every biased token, so no second max scan follows);
//! - `mask-sparse` / `mask-dense`: `sample_constrained` under an
//!   allowed-token mask vs `sample` (the chain with a mask vs without);
//! - `logprobs`: `sample_with` (no constraints, top 5) vs `sample`;
//! - [`NOISE`]: `sample` vs the same `sample` (another sampler, other
//!   buffers): the method's own error on a ratio of identical calls, 0.98-
//!   1.03x in quiet and busy runs alike. It does not flag a busy VM (the
//!   other core loaded): then the context rows read up to about 10 % higher
//!   than in a quiet run (`bias` 1.11x, `misaligned` 1.08x in one such run,
//!   though their extra work is tiny), branchy work slowing more than the
//!   scans. Measured whatever `--stage` selects.
//!
//! The history ([`history`]) is generated, not chosen: the default chain's
//! own draws on the same logits with a fixed seed, then a repetition. The
//! sampler's history is a ring of [`HISTORY`] tokens and every `sample`
//! writes one, so the penalty cases re-accept the history (`reset` + 64
//! `accept`) before every timed call, outside the timing (their `setup`);
//! their baseline gets the same treatment.

use std::cell::RefCell;
use std::rc::Rc;

use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{Backend, Constraints, Pcg32, Sampler, SamplerConfig, TokenLogprob};

use crate::peers::{self, Penalties};
use crate::{CAP, Case, DEFAULT_CHAIN, Input, Who, case, paired, params};
use sampler_tests::splitmix;

/// The sampler's history ring (`Sampler<CAP>`'s default `HISTORY`), and the
/// length of the generated history: both windows cover all of it.
pub const HISTORY: usize = 64;

/// The default chain plus repeat 1.1, frequency 0.1, presence 0.2 over the
/// last 64 tokens.
pub const PENALTIES: SamplerConfig = SamplerConfig {
    repeat_penalty: 1.1,
    frequency_penalty: 0.1,
    presence_penalty: 0.2,
    penalty_last_n: HISTORY,
    ..DEFAULT_CHAIN
};

/// [`PENALTIES`] plus DRY: multiplier 0.8, base 1.75, allowed length 2, over
/// the last 64 tokens.
pub const PENALTIES_DRY: SamplerConfig = SamplerConfig {
    dry_multiplier: 0.8,
    dry_base: 1.75,
    dry_allowed_length: 2,
    dry_penalty_last_n: HISTORY,
    ..PENALTIES
};

/// The default chain plus the DRY of [`PENALTIES_DRY`], without penalties.
pub const DRY: SamplerConfig = SamplerConfig {
    dry_multiplier: PENALTIES_DRY.dry_multiplier,
    dry_base: PENALTIES_DRY.dry_base,
    dry_allowed_length: PENALTIES_DRY.dry_allowed_length,
    dry_penalty_last_n: PENALTIES_DRY.dry_penalty_last_n,
    ..DEFAULT_CHAIN
};

/// The `bias` row's logit bias for a vocabulary of `n`: 8 tokens at ids
/// `n i / 8 + 1`, moved by -2 or +2 in turn, the last banned (as an engine
/// bans an end-of-text token); with `ban_max`, the first holder of the
/// largest of `logits` banned too (the `bias-max` row).
pub fn bias(logits: &[f32], ban_max: bool) -> Vec<(u32, f32)> {
    let n = logits.len() as u64;
    let mut bias: Vec<(u32, f32)> = (0..8u64)
        .map(|i| {
            let t = ((n * i / 8 + 1) % n.max(1)) as u32;
            let b = match i {
                7 => f32::NEG_INFINITY,
                _ if i % 2 == 0 => -2.0,
                _ => 2.0,
            };
            (t, b)
        })
        .collect();
    if ban_max {
        let argmax = (0..logits.len())
            .max_by(|&a, &b| logits[a].total_cmp(&logits[b]).then(b.cmp(&a)))
            .unwrap_or(0);
        bias.push((argmax as u32, f32::NEG_INFINITY));
    }
    bias
}

/// The penalties of [`PENALTIES`] as the peers take them.
pub const PEER_PENALTIES: Penalties = Penalties {
    repeat: PENALTIES.repeat_penalty,
    frequency: PENALTIES.frequency_penalty,
    presence: PENALTIES.presence_penalty,
    last_n: PENALTIES.penalty_last_n,
};

/// Tokens of the history the default chain draws; the rest repeat
/// `REPEAT_FROM..REPEAT_FROM + (HISTORY - DRAWN)`.
pub const DRAWN: usize = 56;
/// Where the repeated stretch starts.
pub const REPEAT_FROM: usize = 24;

/// The history the penalty cases run with: 56 tokens drawn by the default
/// chain itself from `logits` (fresh copies, Pcg32 seed 9, scalar backend:
/// every backend draws the same), so it holds the likely tokens and the max
/// holder; then the 8 tokens at 24..32 again, so the window ends with an
/// 8-token repetition for DRY (besides the short ones the draws make).
pub fn history(logits: &[f32]) -> Vec<u32> {
    let mut s = sampler(DEFAULT_CHAIN, Backend::Scalar);
    let mut rng = Pcg32::seed_from_u64(9);
    let mut h: Vec<u32> = (0..DRAWN)
        .map(|_| {
            let mut xs = logits.to_vec();
            s.sample(&mut xs, &mut rng).expect("valid logits")
        })
        .collect();
    h.extend_from_within(REPEAT_FROM..REPEAT_FROM + HISTORY - DRAWN);
    h
}

/// Sets (`allowed`) or clears the bits of `range`; returns how many changed.
fn set_bits(mask: &mut [u32], range: std::ops::Range<usize>, allowed: bool) -> usize {
    let mut changed = 0;
    for t in range {
        let (word, bit) = (&mut mask[t / 32], 1 << (t % 32));
        changed += usize::from((*word & bit != 0) != allowed);
        if allowed {
            *word |= bit;
        } else {
            *word &= !bit;
        }
    }
    changed
}

/// Allowed tokens among the first `n` of `mask`.
pub fn allowed_count(mask: &[u32], n: usize) -> usize {
    (0..n)
        .filter(|&t| mask[t / 32] >> (t % 32) & 1 == 1)
        .count()
}

/// A grammar-like mask: runs of 1 to 8 allowed tokens at seeded random
/// positions until 2% of the vocabulary (at least 1 token) is allowed.
/// Positions ignore the logits: the max holder is allowed only by chance.
pub fn sparse_mask(n: usize) -> Vec<u32> {
    let mut next = splitmix(0x5eed_0001 ^ n as u64);
    let mut mask = vec![0u32; n.div_ceil(32)];
    let goal = (n / 50).max(1);
    let mut allowed = 0;
    while allowed < goal {
        let start = (next() % n as u64) as usize;
        let len = 1 + (next() % 8) as usize;
        allowed += set_bits(&mut mask, start..(start + len).min(n), true);
    }
    mask
}

/// A dense mask: everything allowed but 6 disallowed runs of seeded random
/// positions and lengths (each up to 1/30 of the vocabulary, about 10% in
/// all), not aligned to the mask's words.
pub fn dense_mask(n: usize) -> Vec<u32> {
    let mut next = splitmix(0x5eed_0002 ^ n as u64);
    let mut mask = vec![u32::MAX; n.div_ceil(32)];
    for _ in 0..6 {
        let start = (next() % n as u64) as usize;
        let len = 1 + (next() % (n as u64 / 30).max(1)) as usize;
        set_bits(&mut mask, start..(start + len).min(n), false);
    }
    mask
}

fn sampler(cfg: SamplerConfig, b: Backend) -> Box<Sampler<CAP>> {
    Box::new(
        Sampler::new(cfg)
            .and_then(|s| s.with_backend(b))
            .expect("valid config and backend"),
    )
}

/// `sample` with `cfg` on `b`, the history re-accepted before every call
/// (outside the timing).
fn with_history(stage: &str, cfg: SamplerConfig, b: Backend, hist: &[u32]) -> Case {
    let s = Rc::new(RefCell::new(sampler(cfg, b)));
    let restore = Rc::clone(&s);
    let hist = hist.to_vec();
    let mut rng = Pcg32::seed_from_u64(1);
    let mut c = case(stage, b.name(), Who::Ours(b), move |xs| {
        std::hint::black_box(s.borrow_mut().sample(xs, &mut rng).expect("valid logits"));
    });
    c.setup = Some(Box::new(move || {
        let mut s = restore.borrow_mut();
        s.reset();
        for &t in &hist {
            s.accept(t);
        }
    }));
    c
}

/// `sample_with` with the default chain on `b` under `mask` (none: no
/// constraints), `top` slots of logprobs.
fn constrained(stage: &str, b: Backend, mask: Option<Vec<u32>>, top: usize) -> Case {
    let mut s = sampler(DEFAULT_CHAIN, b);
    let mut rng = Pcg32::seed_from_u64(1);
    let mut slots = vec![TokenLogprob::default(); top];
    case(stage, b.name(), Who::Ours(b), move |xs| {
        let c = Constraints {
            logit_bias: &[],
            allowed: mask.as_deref(),
        };
        std::hint::black_box(
            s.sample_with(xs, &mut rng, &c, &mut slots)
                .expect("valid logits and constraints"),
        );
    })
}

/// `sample_constrained` (no logprobs) with the default chain on `b` under `bias`.
fn biased(stage: &str, b: Backend, bias: Vec<(u32, f32)>) -> Case {
    let mut s = sampler(DEFAULT_CHAIN, b);
    let mut rng = Pcg32::seed_from_u64(1);
    case(stage, b.name(), Who::Ours(b), move |xs| {
        let c = Constraints {
            logit_bias: &bias,
            allowed: None,
        };
        std::hint::black_box(
            s.sample_constrained(xs, &mut rng, &c)
                .expect("valid logits and constraints"),
        );
    })
}

/// `sample_constrained` (no logprobs) with the default chain on `b` under `mask`.
fn masked(stage: &str, b: Backend, mask: Vec<u32>) -> Case {
    let mut s = sampler(DEFAULT_CHAIN, b);
    let mut rng = Pcg32::seed_from_u64(1);
    case(stage, b.name(), Who::Ours(b), move |xs| {
        let c = Constraints {
            logit_bias: &[],
            allowed: Some(&mask),
        };
        std::hint::black_box(
            s.sample_constrained(xs, &mut rng, &c)
                .expect("valid logits and constraints"),
        );
    })
}

/// The noise check's row: the default chain against itself.
pub const NOISE: &str = "noise check";

/// What each baseline is, as the report names it.
pub const BASE_CHAIN: &str = "default chain alone";
pub const BASE_SAMPLE: &str = "sample (no logprobs)";
pub const BASE_LLM_SAMPLERS: &str = "its default chain (top-40 Logits)";
pub const BASE_LLAMA_CPP: &str = "the same loop without penalties";
pub const BASE_ALIGNED: &str = "sample, logits 64-byte aligned";
pub const BASE_SAME: &str = "the same sample call";

/// The context-stage cases for `input` (the model-like input only).
pub fn cases(input: &Input, backends: &[Backend]) -> Vec<Case> {
    let mut v = Vec::new();
    if input.name != "model" {
        return v;
    }
    let n = input.logits.len();
    let hist = history(&input.logits);
    for (stage, cfg) in [("penalties+dry", PENALTIES_DRY), ("penalties", PENALTIES)] {
        for &b in backends {
            v.push(paired(
                with_history(stage, cfg, b, &hist),
                with_history(BASE_CHAIN, DEFAULT_CHAIN, b, &hist),
            ));
        }
        if stage == "penalties" {
            let mut fast = peers::LlmSamplersChain::with_penalties(
                params(DEFAULT_CHAIN),
                PEER_PENALTIES,
                &hist,
            );
            let mut base = peers::LlmSamplersChain::new(params(DEFAULT_CHAIN));
            v.push(paired(
                case(stage, "peer: llm-samplers", Who::Peer, move |xs| {
                    std::hint::black_box(fast.sample(xs));
                }),
                case(
                    BASE_LLM_SAMPLERS,
                    "peer: llm-samplers",
                    Who::Peer,
                    move |xs| {
                        std::hint::black_box(base.sample(xs));
                    },
                ),
            ));
            let mut loop_ =
                peers::LlamaCppStyle::new(params(DEFAULT_CHAIN), Some((PEER_PENALTIES, &hist)));
            let mut base = peers::LlamaCppStyle::new(params(DEFAULT_CHAIN), None);
            v.push(paired(
                case(stage, "peer: llama.cpp-style loop", Who::Peer, move |xs| {
                    std::hint::black_box(loop_.sample(xs));
                }),
                case(
                    BASE_LLAMA_CPP,
                    "peer: llama.cpp-style loop",
                    Who::Peer,
                    move |xs| {
                        std::hint::black_box(base.sample(xs));
                    },
                ),
            ));
        }
    }
    for &b in backends {
        v.push(paired(
            with_history("dry", DRY, b, &hist),
            with_history(BASE_CHAIN, DEFAULT_CHAIN, b, &hist),
        ));
    }
    for (stage, ban_max) in [("bias", false), ("bias-max", true)] {
        let entries = bias(&input.logits, ban_max);
        for &b in backends {
            v.push(paired(
                biased(stage, b, entries.clone()),
                chain_at(BASE_SAMPLE, b, 0),
            ));
        }
    }
    for (stage, mask) in [
        ("mask-sparse", sparse_mask(n)),
        ("mask-dense", dense_mask(n)),
    ] {
        for &b in backends {
            v.push(paired(
                masked(stage, b, mask.clone()),
                chain_at(BASE_SAMPLE, b, 0),
            ));
        }
    }
    for &b in backends {
        v.push(paired(
            constrained("logprobs", b, None, 5),
            chain_at(BASE_SAMPLE, b, 0),
        ));
    }
    for &b in backends {
        v.push(paired(
            chain_at("misaligned", b, 4),
            chain_at(BASE_ALIGNED, b, 0),
        ));
    }
    for &b in backends {
        v.push(paired(chain_at(NOISE, b, 0), chain_at(BASE_SAME, b, 0)));
    }
    v
}

/// `sample` with the default chain on `b`, its logits `misalign` floats past
/// a 64-byte boundary.
fn chain_at(stage: &str, b: Backend, misalign: usize) -> Case {
    let mut s = sampler(DEFAULT_CHAIN, b);
    let mut rng = Pcg32::seed_from_u64(1);
    let mut c = case(stage, b.name(), Who::Ours(b), move |xs| {
        std::hint::black_box(s.sample(xs, &mut rng).expect("valid logits"));
    });
    c.misalign = misalign;
    c
}

/// How the context rows are built, for the report.
pub fn describe(vocab: usize) -> String {
    let input = Input::new("model", vocab);
    let hist = history(&input.logits);
    let distinct: std::collections::BTreeSet<u32> = hist.iter().copied().collect();
    let argmax = (0..vocab)
        .max_by(|&a, &b| input.logits[a].total_cmp(&input.logits[b]).then(b.cmp(&a)))
        .unwrap_or(0) as u32;
    let max_count = hist.iter().filter(|&&t| t == argmax).count();
    let sparse = sparse_mask(vocab);
    let dense = dense_mask(vocab);
    let pct = |m: &[u32]| 100.0 * allowed_count(m, vocab) as f64 / vocab as f64;
    let mixed = |m: &[u32]| {
        m[..vocab / 32]
            .iter()
            .filter(|&&w| w != 0 && w != u32::MAX)
            .count()
    };
    let head_allowed = |m: &[u32]| {
        let mut order: Vec<usize> = (0..vocab).collect();
        order.sort_by(|&a, &b| input.logits[b].total_cmp(&input.logits[a]));
        order[..40]
            .iter()
            .filter(|&&t| m[t / 32] >> (t % 32) & 1 == 1)
            .count()
    };
    format!(
        "Context-stage rows (`penalties+dry`, `penalties`, `dry`, `bias`, `bias-max`, `mask-sparse`, `mask-dense`, `logprobs`, `misaligned`, `noise check`; model-like input, default chain T 0.8, min-p 0.05, top-k 40, top-p 0.95, `Sampler<4096>` with its default `HISTORY` = 64). \
Each is timed interleaved with its baseline in the same run (alternating batches, ABBA order); the ratio table gives median / median. \
`penalties`: repeat 1.1, frequency 0.1, presence 0.2, window 64; `penalties+dry` adds DRY (multiplier 0.8, base 1.75, allowed length 2, window 64, no breakers); `dry` is that DRY alone; baseline: the default chain alone. \
`bias`: `sample_constrained` under a logit bias of 8 tokens at ids n i / 8 + 1, moved by -2 and +2 in turn, the last banned, vs `sample`; `bias-max` bans the largest logit too (the validation's scan leaves the biased tokens out, so lowering the max costs no second scan). \
History: {DRAWN} tokens drawn by the default chain itself from the same logits (Pcg32 seed 9), then tokens {REPEAT_FROM}..{} again, so the window ends in an 8-token repetition; at vocab {vocab} it holds {} distinct tokens, the max holder {max_count} times. \
The history is a ring of 64 tokens and `sample` writes each drawn token into it, so before every timed call (both sides) it is restored outside the timing (`reset` + 64 `accept`), and these rows are timed one call at a time. \
Masks (`sample_constrained`, the chain under a mask without logprobs, vs `sample`): sparse = runs of 1-8 allowed tokens at seeded positions until 2% are allowed ({:.1}% at vocab {vocab}; {} of the 40 largest logits allowed; {} of the {} mask words mixed), dense = 6 disallowed runs of seeded positions and lengths ({:.1}% allowed; {} of the 40 largest allowed; {} words mixed). \
`misaligned`: `sample` with the default chain on logits starting 16 bytes past a 64-byte boundary (where a large `Vec<f32>` from an mmap'd block starts), vs the same on 64-byte-aligned logits (every other row's buffers). \
`noise check`: `sample` with the default chain vs the same call on another sampler and other buffers, measured whatever `--stage` selects: the method's own error on a ratio of identical calls (0.98-1.03x in quiet and busy runs alike; a busy VM shows instead in the context rows, up to about 10 % higher than in a quiet run). \
`logprobs`: `sample_with` without constraints, top 5, vs `sample`. `sample_with` always reports the drawn token's model logprob, so it always makes the model normaliser's exp pass over the vocabulary, even with an empty top slice (the `logprobs` row); `sample_constrained` is the same draw without it. \
Peers on `penalties` (same logits, same history, which they never grow): llm-samplers 0.0.7 `SampleRepetition` + `SampleFreqPresence` in front of its default chain, on `Logits::try_from_iter_top_k(logits, 40 + distinct tokens in the window)` (its fastest exact form: penalties only lower those tokens, so the chain's top 40 after them is among these; its full-vocabulary form scans the window once per token); \
llama.cpp-style loop: plain Rust written like llama.cpp's — copy the logits into a candidate vec of (id, logit, p), look every candidate up in a HashMap<u32, u32> of window counts (built once, as llama.cpp keeps them in `accept`; a multiplicative hasher, like unordered_map's trivial int hash), apply the same formulas, then top-40 by select_nth + sort and the chain over those 40.",
        REPEAT_FROM + HISTORY - DRAWN,
        distinct.len(),
        pct(&sparse),
        head_allowed(&sparse),
        mixed(&sparse),
        vocab / 32,
        pct(&dense),
        head_allowed(&dense),
        mixed(&dense),
    )
}
