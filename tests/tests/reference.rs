//! The core's distribution (`distribution_in_place`) against the f64 reference,
//! on every available backend and at capacities 0, 1, 16 and 4096 (so both the
//! scratch and the streaming paths run): `strict ⊆ survivors ⊆ loose`, and when
//! the set is pinned, every probability within the stated bound
//! (`sampler_tests::probability_bound`: relative `(|s| + S + 16) * 2^-22`).
//! With context (history, DRY breakers, bias, mask), the reference rewrites
//! the logits by the definitions first.

use logit_sampler::{Backend, Constraints, SamplerConfig, Stage};
use proptest::prelude::*;
use sampler_tests::{
    Context, check_against_reference_with, core_distribution_with, model_logits, strategies,
};

fn check_all<const CAP: usize>(
    logits: &[f32],
    cfg: SamplerConfig,
    order: &[Stage],
    ctx: &Context,
) -> Result<bool, String> {
    let mut pinned = true;
    let mut first: Option<Vec<f32>> = None;
    for &backend in Backend::available() {
        let core = core_distribution_with::<CAP>(logits, cfg, order, ctx, backend)
            .map_err(|e| e.to_string())?;
        pinned &= check_against_reference_with(logits, &cfg, order, ctx, &core)
            .map_err(|e| format!("{backend:?}, CAP {CAP}: {e}"))?;
        match &first {
            None => first = Some(core),
            Some(f)
                if f.iter()
                    .map(|x| x.to_bits())
                    .eq(core.iter().map(|x| x.to_bits())) => {}
            Some(_) => return Err(format!("{backend:?}, CAP {CAP}: bits differ from scalar")),
        }
    }
    Ok(pinned)
}

fn check_capacities(logits: &[f32], cfg: SamplerConfig, order: &[Stage]) -> Result<bool, String> {
    check_context(logits, cfg, order, &Context::default())
}

fn check_context(
    logits: &[f32],
    cfg: SamplerConfig,
    order: &[Stage],
    ctx: &Context,
) -> Result<bool, String> {
    let a = check_all::<0>(logits, cfg, order, ctx)?;
    let b = check_all::<1>(logits, cfg, order, ctx)?;
    let c = check_all::<16>(logits, cfg, order, ctx)?;
    let d = check_all::<4096>(logits, cfg, order, ctx)?;
    Ok(a && b && c && d)
}

proptest! {
    #![proptest_config(sampler_tests::pinned(400))]

    #[test]
    fn distribution_matches_reference(
        logits in prop::collection::vec(strategies::logit(), 1..300),
        cfg in strategies::config(),
        order in strategies::order(),
    ) {
        prop_assume!(logits.iter().any(|l| *l > f32::NEG_INFINITY));
        check_capacities(&logits, cfg, &order).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn context_distribution_matches_reference(
        logits in prop::collection::vec(strategies::logit(), 1..200),
        cfg in strategies::context_config(),
        order in strategies::order(),
        history in strategies::history(12),
        breakers in prop::collection::vec(prop::collection::vec(0u32..14, 1..4), 0..4),
        bias in prop::collection::vec(
            (0u32..200, prop_oneof![3 => -5.0f32..5.0, 1 => Just(f32::NEG_INFINITY)]),
            0..6,
        ),
        mask in prop::option::of(prop::collection::vec(
            prop_oneof![1 => Just(u32::MAX), 1 => Just(0u32), 2 => any::<u32>()],
            7,
        )),
    ) {
        let bias: Vec<(u32, f32)> = bias
            .into_iter()
            .filter(|&(t, _)| (t as usize) < logits.len())
            .collect();
        let breakers: Vec<&[u32]> = breakers.iter().map(|b| &b[..]).collect();
        let ctx = Context {
            history: &history,
            breakers: &breakers,
            constraints: Constraints { logit_bias: &bias, allowed: mask.as_deref() },
            ..Context::default()
        };
        let want = sampler_tests::reference_error(&logits, &cfg, &ctx);
        prop_assume!(want.is_none());
        check_context(&logits, cfg, &order, &ctx).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn model_like_logits_match_reference_and_are_pinned() {
    let mut pinned = 0;
    let mut cases = 0;
    for (seed, n) in [(1u64, 5_000usize), (2, 32_000), (3, 1_000)] {
        let logits = model_logits(n, 2.5, 128, 14.0, seed);
        for cfg in [
            SamplerConfig {
                temperature: 0.8,
                min_p: 0.05,
                top_k: 40,
                top_p: 0.95,
                ..SamplerConfig::default()
            },
            SamplerConfig {
                temperature: 1.0,
                min_p: 0.0,
                top_k: 0,
                top_p: 0.9,
                ..SamplerConfig::default()
            },
            SamplerConfig {
                temperature: 1.3,
                min_p: 0.0,
                top_k: 1000,
                top_p: 0.99,
                ..SamplerConfig::default()
            },
            SamplerConfig {
                temperature: 0.7,
                min_p: 0.1,
                top_k: 0,
                top_p: 1.0,
                ..SamplerConfig::default()
            },
            SamplerConfig::default(),
        ] {
            cases += 1;
            if check_capacities(&logits, cfg, &Stage::DEFAULT_ORDER).unwrap() {
                pinned += 1;
            }
        }
    }
    // Realistic inputs essentially never sit within rounding of a boundary.
    assert_eq!(
        pinned, cases,
        "every realistic case should pin the survivor set"
    );
}
