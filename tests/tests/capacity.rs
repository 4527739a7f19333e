//! The capacity trades memory for speed, never results: the same logits, config
//! and seed give the same token for every `CAP`, and a sampler with room for one
//! candidate draws exactly from a 262 144-token nucleus.

use logit_sampler::{Backend, Pcg32, Sampler, SamplerConfig, Stage, rand_core::SeedableRng};
use proptest::prelude::*;
use sampler_tests::{
    Slack, check_against_reference, chi_square, chi_square_p_value, core_distribution,
    model_logits, reference, strategies,
};

fn token<const CAP: usize>(
    logits: &[f32],
    cfg: SamplerConfig,
    order: [Stage; 4],
    seed: u64,
) -> u32 {
    let mut s: Sampler<CAP> = Sampler::new(cfg).unwrap().with_order(order).unwrap();
    s.sample(&mut logits.to_vec(), &mut Pcg32::seed_from_u64(seed))
        .unwrap()
}

proptest! {
    #![proptest_config(sampler_tests::pinned(500))]

    #[test]
    fn token_does_not_depend_on_capacity(
        logits in prop::collection::vec(strategies::logit(), 1..3_000),
        cfg in strategies::config(),
        order in strategies::order(),
        seed in any::<u64>(),
    ) {
        prop_assume!(logits.iter().any(|l| *l > f32::NEG_INFINITY));
        let t = token::<4096>(&logits, cfg, order, seed);
        prop_assert_eq!(token::<0>(&logits, cfg, order, seed), t);
        prop_assert_eq!(token::<1>(&logits, cfg, order, seed), t);
        prop_assert_eq!(token::<16>(&logits, cfg, order, seed), t);
        prop_assert_eq!(token::<300>(&logits, cfg, order, seed), t);
    }
}

#[test]
fn capacity_one_draws_exactly_from_a_flat_262144_token_nucleus() {
    let n = 262_144;
    let logits = model_logits(n, 0.3, 0, 0.0, 21);
    let cfg = SamplerConfig {
        temperature: 1.0,
        min_p: 0.0,
        top_k: 0,
        top_p: 0.99,
    };
    let exact = reference(&logits, &cfg, Stage::DEFAULT_ORDER, Slack::Exact).unwrap();
    assert!(exact.len() > 250_000, "nucleus of {} tokens", exact.len());
    let core =
        core_distribution::<1>(&logits, cfg, Stage::DEFAULT_ORDER, Backend::detect()).unwrap();
    // Between strict and loose (a token or two apart at this density), and every
    // probability within the stated bound.
    check_against_reference(&logits, &cfg, Stage::DEFAULT_ORDER, &core).unwrap();
    // Draws, binned into 32 id ranges, against the reference distribution.
    let mut sampler: Sampler<1> = Sampler::new(cfg).unwrap();
    let mut rng = Pcg32::seed_from_u64(22);
    let bins = 32;
    let mut counts = vec![0u64; bins];
    let mut buf = logits.clone();
    for _ in 0..3_000 {
        buf.copy_from_slice(&logits);
        counts[sampler.sample(&mut buf, &mut rng).unwrap() as usize * bins / n] += 1;
    }
    let mut probs = vec![0.0; bins];
    for (i, p) in &exact {
        probs[*i as usize * bins / n] += p;
    }
    let (stat, dof) = chi_square(&counts, &probs);
    assert!(
        chi_square_p_value(stat, dof) > 1e-4,
        "chi2 {stat} dof {dof}"
    );
}
