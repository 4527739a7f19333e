//! The capacity trades memory for speed, never results: the same logits, config
//! and seed give the same token for every `CAP`, and a sampler with room for one
//! candidate draws exactly from a 262 144-token nucleus.

use logit_sampler::{
    Backend, Constraints, Pcg32, Sampler, SamplerConfig, Stage, rand_core::SeedableRng,
};
use proptest::prelude::*;
use sampler_tests::{
    Context, Slack, check_against_reference, chi_square, chi_square_p_value, core_distribution,
    core_sampler, model_logits, reference, strategies,
};

fn token<const CAP: usize>(logits: &[f32], cfg: SamplerConfig, order: &[Stage], seed: u64) -> u32 {
    let mut s: Sampler<CAP> = Sampler::new(cfg).unwrap().with_order(order).unwrap();
    s.sample(&mut logits.to_vec(), &mut Pcg32::seed_from_u64(seed))
        .unwrap()
}

/// `sample_with`'s token and logprobs (as bits) on `backend`.
fn sampled<const CAP: usize>(
    logits: &[f32],
    cfg: SamplerConfig,
    order: &[Stage],
    ctx: &Context,
    backend: Backend,
    seed: u64,
) -> (u32, u32, u32) {
    let mut s = core_sampler::<CAP>(cfg, order, ctx, backend).unwrap();
    let r = s
        .sample_with(
            &mut logits.to_vec(),
            &mut Pcg32::seed_from_u64(seed),
            &ctx.constraints,
            &mut [],
        )
        .unwrap();
    (r.token, r.logprob.to_bits(), r.sampling_logprob.to_bits())
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
        let t = token::<4096>(&logits, cfg, &order, seed);
        prop_assert_eq!(token::<0>(&logits, cfg, &order, seed), t);
        prop_assert_eq!(token::<1>(&logits, cfg, &order, seed), t);
        prop_assert_eq!(token::<16>(&logits, cfg, &order, seed), t);
        prop_assert_eq!(token::<300>(&logits, cfg, &order, seed), t);
    }

    /// With history, breakers, bias and mask: the same token and the same
    /// logprob bits for every capacity and every backend.
    #[test]
    fn context_token_does_not_depend_on_capacity_or_backend(
        logits in prop::collection::vec(strategies::logit(), 1..2_000),
        cfg in strategies::context_config(),
        order in strategies::order(),
        history in strategies::history(40),
        bias in prop::collection::vec((0u32..40, -3.0f32..3.0), 0..4),
        banned in prop::collection::vec(0u32..40, 0..3),
        masked in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut bias: Vec<(u32, f32)> = bias.into_iter().filter(|b| (b.0 as usize) < logits.len()).collect();
        bias.extend(banned.iter().filter(|&&t| (t as usize) < logits.len()).map(|&t| (t, f32::NEG_INFINITY)));
        // Every third token allowed.
        let mask: Vec<u32> = (0..logits.len().div_ceil(32))
            .map(|w| (0..32).filter(|b| (w * 32 + b) % 3 == 0).fold(0, |m, b| m | 1 << b))
            .collect();
        let ctx = Context {
            history: &history,
            breakers: &[&[1], &[2, 3]],
            constraints: Constraints { logit_bias: &bias, allowed: masked.then_some(&mask[..]) },
            ..Context::default()
        };
        prop_assume!(sampler_tests::reference_error(&logits, &cfg, &ctx).is_none());
        let want = sampled::<4096>(&logits, cfg, &order, &ctx, Backend::Scalar, seed);
        for &b in Backend::available() {
            prop_assert_eq!(sampled::<0>(&logits, cfg, &order, &ctx, b, seed), want, "{:?}", b);
            prop_assert_eq!(sampled::<1>(&logits, cfg, &order, &ctx, b, seed), want, "{:?}", b);
            prop_assert_eq!(sampled::<16>(&logits, cfg, &order, &ctx, b, seed), want, "{:?}", b);
            prop_assert_eq!(sampled::<4096>(&logits, cfg, &order, &ctx, b, seed), want, "{:?}", b);
        }
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
        ..SamplerConfig::default()
    };
    let exact = reference(&logits, &cfg, &Stage::DEFAULT_ORDER, Slack::Exact).unwrap();
    assert!(exact.len() > 250_000, "nucleus of {} tokens", exact.len());
    let core =
        core_distribution::<1>(&logits, cfg, &Stage::DEFAULT_ORDER, Backend::detect()).unwrap();
    // Between strict and loose (a token or two apart at this density), and every
    // probability within the stated bound.
    check_against_reference(&logits, &cfg, &Stage::DEFAULT_ORDER, &core).unwrap();
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
