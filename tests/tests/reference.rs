//! The core's distribution (`distribution_in_place`) against the f64 reference,
//! on every available backend and at capacities 0, 1, 16 and 4096 (so both the
//! scratch and the streaming paths run): `strict ⊆ survivors ⊆ loose`, and when
//! the set is pinned, every probability within the stated bound
//! (`sampler_tests::probability_bound`: relative `(|s| + S + 16) * 2^-22`).

use logit_sampler::{Backend, SamplerConfig, Stage};
use proptest::prelude::*;
use sampler_tests::{check_against_reference, core_distribution, model_logits, strategies};

fn check_all<const CAP: usize>(
    logits: &[f32],
    cfg: SamplerConfig,
    order: [Stage; 4],
) -> Result<bool, String> {
    let mut pinned = true;
    let mut first: Option<Vec<f32>> = None;
    for &backend in Backend::available() {
        let core =
            core_distribution::<CAP>(logits, cfg, order, backend).map_err(|e| e.to_string())?;
        pinned &= check_against_reference(logits, &cfg, order, &core)
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

fn check_capacities(logits: &[f32], cfg: SamplerConfig, order: [Stage; 4]) -> Result<bool, String> {
    let a = check_all::<0>(logits, cfg, order)?;
    let b = check_all::<1>(logits, cfg, order)?;
    let c = check_all::<16>(logits, cfg, order)?;
    let d = check_all::<4096>(logits, cfg, order)?;
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
        check_capacities(&logits, cfg, order).map_err(TestCaseError::fail)?;
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
            },
            SamplerConfig {
                temperature: 1.0,
                min_p: 0.0,
                top_k: 0,
                top_p: 0.9,
            },
            SamplerConfig {
                temperature: 1.3,
                min_p: 0.0,
                top_k: 1000,
                top_p: 0.99,
            },
            SamplerConfig {
                temperature: 0.7,
                min_p: 0.1,
                top_k: 0,
                top_p: 1.0,
            },
            SamplerConfig::default(),
        ] {
            cases += 1;
            if check_capacities(&logits, cfg, Stage::DEFAULT_ORDER).unwrap() {
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
