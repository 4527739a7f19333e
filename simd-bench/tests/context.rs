//! The context-stage rows measure what they say: the history is the chain's
//! own draws with the max holder and a repetition DRY acts on, the masks have
//! the stated density, the timed state is restored before every call, and
//! the peers on the `penalties` rows draw from the penalised chain (the
//! llm-samplers fast form exactly as its documented one).

use logit_sampler::{Sampler, SamplerConfig};
use simd_bench::context::{
    self, DRAWN, HISTORY, PEER_PENALTIES, PENALTIES, PENALTIES_DRY, REPEAT_FROM,
};
use simd_bench::{CAP, DEFAULT_CHAIN, Input, params, peers, time_pair};

const DRAWS: usize = 300;

/// Our sampler's distribution for `cfg` on `logits` after `history`.
fn support(logits: &[f32], cfg: SamplerConfig, history: &[u32]) -> Vec<f32> {
    let mut s: Box<Sampler<CAP>> = Box::new(Sampler::new(cfg).unwrap());
    for &t in history {
        s.accept(t);
    }
    let mut dist = logits.to_vec();
    s.distribution_in_place(&mut dist).unwrap();
    dist
}

fn argmax(xs: &[f32]) -> u32 {
    (0..xs.len())
        .max_by(|&a, &b| xs[a].total_cmp(&xs[b]).then(b.cmp(&a)))
        .unwrap() as u32
}

#[test]
fn history_is_the_chains_own_draws_with_a_repetition() {
    for n in [512, 32_000, 128_256] {
        let input = Input::new("model", n);
        let h = context::history(&input.logits);
        assert_eq!(h.len(), HISTORY);
        assert!(h.contains(&argmax(&input.logits)), "{n}: no max holder");
        let tail = HISTORY - DRAWN;
        assert_eq!(h[DRAWN..], h[REPEAT_FROM..REPEAT_FROM + tail], "{n}");
        // Every token is one the chain can draw.
        let dist = support(&input.logits, DEFAULT_CHAIN, &[]);
        assert!(h.iter().all(|&t| dist[t as usize] > 0.0), "{n}");
        // The penalties and DRY each change the distribution (DRY alone: after
        // the penalties, the tokens it lowers are below min-p's cut already).
        let plain = support(&input.logits, DEFAULT_CHAIN, &h);
        let pen = support(&input.logits, PENALTIES, &h);
        let dry_only = SamplerConfig {
            penalty_last_n: 0,
            ..PENALTIES_DRY
        };
        let dry = support(&input.logits, dry_only, &h);
        assert_ne!(plain, pen, "{n}");
        assert_ne!(plain, dry, "{n}: DRY does nothing");
    }
}

#[test]
fn masks_have_the_stated_density() {
    for n in [512, 32_000, 128_256, 262_144] {
        // 2%, overshot by at most the last run (8 tokens).
        let sparse = context::allowed_count(&context::sparse_mask(n), n);
        assert!(
            (n / 50..n / 50 + 8).contains(&sparse),
            "{n}: sparse {sparse}"
        );
        let dense = context::allowed_count(&context::dense_mask(n), n) as f64 / n as f64;
        assert!((0.8..0.97).contains(&dense), "{n}: dense {dense}");
    }
}

#[test]
fn every_case_restores_its_state_and_times_against_its_baseline() {
    let input = Input::new("model", 512);
    let backends = logit_sampler::Backend::available();
    let mut cases = context::cases(&input, backends);
    assert!(!cases.is_empty());
    assert!(context::cases(&Input::new("flat", 512), backends).is_empty());
    for c in &mut cases {
        let base = c.baseline.as_ref().expect("a baseline");
        // Both sides are timed the same way (one call at a time after a
        // restore, or in batches).
        assert_eq!(c.setup.is_some(), base.setup.is_some(), "{}", c.stage);
        if c.stage.starts_with("penalties") && c.imp.starts_with("peer") {
            assert!(c.setup.is_none(), "peers never grow their history");
        } else if c.stage.starts_with("penalties") {
            assert!(c.setup.is_some(), "{} {}", c.stage, c.imp);
        }
        let (a, b) = time_pair(c, &input.logits, std::time::Duration::ZERO, 3);
        assert!(a > 0.0 && b > 0.0 && c.baseline.is_some());
    }
}

#[test]
fn restoring_the_history_repeats_the_call() {
    let input = Input::new("model", 32_000);
    let h = context::history(&input.logits);
    let mut s: Box<Sampler<CAP>> = Box::new(Sampler::new(PENALTIES_DRY).unwrap());
    let mut tokens = Vec::new();
    for _ in 0..3 {
        s.reset();
        for &t in &h {
            s.accept(t);
        }
        let mut xs = input.logits.clone();
        let mut rng =
            <logit_sampler::Pcg32 as logit_sampler::rand_core::SeedableRng>::seed_from_u64(1);
        tokens.push(s.sample(&mut xs, &mut rng).unwrap());
        assert_eq!(s.history().len(), HISTORY);
    }
    assert!(tokens.windows(2).all(|w| w[0] == w[1]), "{tokens:?}");
}

#[test]
fn penalty_peers_draw_from_the_penalised_chain() {
    let input = Input::new("model", 32_000);
    let h = context::history(&input.logits);
    let dist = support(&input.logits, PENALTIES, &h);
    let p = params(DEFAULT_CHAIN);
    let mut fast = peers::LlmSamplersChain::with_penalties(p, PEER_PENALTIES, &h);
    let mut documented =
        peers::LlmSamplersChain::with_penalties(p, PEER_PENALTIES, &h).with_prefilter(1000);
    let mut llama = peers::LlamaCppStyle::new(p, Some((PEER_PENALTIES, &h)));
    let mut distinct = std::collections::BTreeSet::new();
    for _ in 0..DRAWS {
        let token = fast.sample(&input.logits);
        assert!(dist[token as usize] > 0.0, "llm-samplers: {token}");
        assert_eq!(token, documented.sample(&input.logits));
        let token = llama.sample(&input.logits);
        assert!(dist[token as usize] > 0.0, "llama.cpp-style: {token}");
        distinct.insert(token);
    }
    assert!(distinct.len() > 1, "{distinct:?}");
    // The penalties move the draws: the unpenalised chain's favourite is rarer.
    let mut plain = peers::LlamaCppStyle::new(p, None);
    let top = argmax(&input.logits);
    let count = |f: &mut dyn FnMut() -> u32| (0..DRAWS).filter(|_| f() == top).count();
    let with = count(&mut || llama.sample(&input.logits));
    let without = count(&mut || plain.sample(&input.logits));
    assert!(with < without, "{with} vs {without}");
}
