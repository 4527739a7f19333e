//! proptest over arbitrary logits (NaN, ±inf, subnormals, ±3e38, duplicates,
//! lengths 0 to 300 000) and arbitrary parameters: no panic, an error exactly on
//! bad input (the one the reference predicts), the buffer untouched on error,
//! and the drawn token always a survivor of the (loose) reference.

use logit_sampler::{
    Pcg32, Sampler, SamplerConfig, Stage, argmax, rand_core::SeedableRng, sample_inverse_cdf,
    softmax_in_place,
};
use proptest::prelude::*;
use sampler_tests::{Slack, reference, reference_config_error, reference_logits_error, strategies};

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn check_sample(
    logits: &[f32],
    cfg: SamplerConfig,
    order: [Stage; 4],
    seed: u64,
) -> Result<(), TestCaseError> {
    let expected = reference_config_error(&cfg).or_else(|| reference_logits_error(logits));
    let sampler = Sampler::<16>::new(cfg).and_then(|s| s.with_order(order));
    let mut sampler = match sampler {
        Ok(s) => s,
        Err(e) => {
            prop_assert_eq!(
                Some(format!("{e:?}")),
                reference_config_error(&cfg).map(|e| format!("{e:?}"))
            );
            return Ok(());
        }
    };
    let mut buf = logits.to_vec();
    let mut rng = Pcg32::seed_from_u64(seed);
    match sampler.sample(&mut buf, &mut rng) {
        Err(e) => {
            prop_assert_eq!(Some(format!("{e:?}")), expected.map(|e| format!("{e:?}")));
            prop_assert!(same_bits(&buf, logits), "buffer changed on error");
        }
        Ok(token) => {
            prop_assert!(
                expected.is_none(),
                "expected {:?}, got token {}",
                expected,
                token
            );
            let loose = reference(logits, &cfg, order, Slack::Loose).unwrap();
            prop_assert!(
                loose.iter().any(|p| p.0 == token),
                "token {} is not a survivor",
                token
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(sampler_tests::pinned(1000))]

    #[test]
    fn sample_errors_exactly_on_bad_input(
        logits in prop::collection::vec(strategies::any_logit(), 0..400),
        cfg in strategies::any_config(),
        order in strategies::order(),
        seed in any::<u64>(),
    ) {
        check_sample(&logits, cfg, order, seed)?;
    }

    #[test]
    fn free_functions_error_exactly_on_bad_input(
        logits in prop::collection::vec(strategies::any_logit(), 0..400),
        temperature in strategies::temperature(),
        u in prop_oneof![0.0f32..1.0, Just(1.0f32), Just(-0.1f32), Just(f32::NAN)],
    ) {
        let expected = reference_logits_error(&logits).map(|e| format!("{e:?}"));
        match argmax(&logits) {
            Ok(i) => {
                prop_assert!(expected.is_none());
                let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                prop_assert_eq!(logits.iter().position(|x| *x == max), Some(i as usize));
            }
            Err(e) => prop_assert_eq!(Some(format!("{e:?}")), expected.clone()),
        }
        let mut buf = logits.clone();
        match softmax_in_place(&mut buf, temperature) {
            Ok(()) => {
                prop_assert!(expected.is_none());
                let sum: f64 = buf.iter().map(|p| *p as f64).sum();
                prop_assert!((sum - 1.0).abs() < 1e-5, "sum {}", sum);
                prop_assert!(buf.iter().all(|p| (0.0..=1.0).contains(p)));
            }
            Err(e) => {
                prop_assert_eq!(Some(format!("{e:?}")), expected);
                prop_assert!(same_bits(&buf, &logits));
            }
        }
        // Non-negative finite weights: the absolute logits.
        let weights: Vec<f32> = logits.iter().map(|x| x.abs()).collect();
        let valid_u = (0.0..1.0).contains(&u);
        let valid_w = !weights.is_empty() && weights.iter().all(|w| w.is_finite());
        match sample_inverse_cdf(&weights, u) {
            Ok(i) => {
                prop_assert!(valid_u && valid_w);
                prop_assert!(weights[i as usize] > 0.0, "chose a zero weight");
            }
            Err(_) => prop_assert!(!valid_u || !valid_w || weights.iter().all(|w| *w == 0.0)),
        }
    }
}

proptest! {
    #![proptest_config(sampler_tests::pinned(12))]

    #[test]
    fn long_vocabularies(
        len in 0usize..300_000,
        fill in prop::collection::vec(strategies::logit(), 64),
        nan_at in prop::option::weighted(0.25, any::<usize>()),
        bulk in prop::sample::select(vec![0.3f32, 2.5]),
        cfg in strategies::config(),
        seed in any::<u64>(),
    ) {
        // Model-like bulk with the arbitrary values sprinkled over it.
        let mut logits = sampler_tests::model_logits(len, bulk, 128, 12.0, seed);
        for (k, v) in fill.iter().enumerate() {
            if len > 0 {
                logits[(k * 7919 + seed as usize % 1000) % len] = *v;
            }
        }
        if let (Some(at), true) = (nan_at, len > 0) {
            logits[at % len] = f32::NAN;
        }
        check_sample(&logits, cfg, Stage::DEFAULT_ORDER, seed)?;
    }
}
