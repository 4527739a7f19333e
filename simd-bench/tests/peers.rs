//! The peers do the job they are measured on: every token they draw is one the
//! chain can draw (our sampler gives it a nonzero probability), and the
//! llm-samplers peer's fast form (`Logits` of the chain's top-k only) draws
//! exactly what its documented form (the top 1000) draws.

use logit_sampler::{Sampler, SamplerConfig};
use simd_bench::{CAP, DEFAULT_CHAIN, FILTERS, Input, params, peers};

const DRAWS: usize = 300;

/// Our sampler's distribution for `cfg` on `logits`.
fn support(logits: &[f32], cfg: SamplerConfig) -> Vec<f32> {
    let mut s: Box<Sampler<CAP>> = Box::new(Sampler::new(cfg).unwrap());
    let mut dist = logits.to_vec();
    s.distribution_in_place(&mut dist).unwrap();
    dist
}

#[test]
fn llm_samplers_draws_from_the_chain_in_its_fast_form() {
    for name in ["model", "flat", "peaked"] {
        let input = Input::new(name, 32_000);
        let dist = support(&input.logits, DEFAULT_CHAIN);
        let mut fast = peers::LlmSamplersChain::new(params(DEFAULT_CHAIN));
        let mut documented =
            peers::LlmSamplersChain::new(params(DEFAULT_CHAIN)).with_prefilter(1000);
        let mut distinct = std::collections::BTreeSet::new();
        for _ in 0..DRAWS {
            let token = fast.sample(&input.logits);
            assert!(
                dist[token as usize] > 0.0,
                "{name}: token {token} is outside the chain"
            );
            assert_eq!(token, documented.sample(&input.logits), "{name}");
            distinct.insert(token);
        }
        if name != "peaked" {
            assert!(distinct.len() > 1, "{name}: always {distinct:?}");
        }
    }
}

#[test]
fn full_sort_and_llama2c_draw_from_the_chain() {
    let input = Input::new("model", 32_000);
    let mut rng = peers::rng();
    for (stage, cfg) in FILTERS {
        let dist = support(&input.logits, cfg);
        for _ in 0..DRAWS / 3 {
            let mut xs = input.logits.clone();
            let token = peers::full_sort_chain(&mut xs, params(cfg), &mut rng);
            assert!(
                dist[token as usize] > 0.0,
                "full sort, {stage}: token {token}"
            );
            if stage.starts_with("top-p") {
                let mut xs = input.logits.clone();
                let token = peers::llama2c_top_p(&mut xs, 1.0, cfg.top_p, &mut rng);
                assert!(
                    dist[token as usize] > 0.0,
                    "llama2.c, {stage}: token {token}"
                );
            }
        }
    }
}
