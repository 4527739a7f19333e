//! proptest over arbitrary logits (NaN, ±inf, subnormals, ±3e38, duplicates,
//! lengths 0 to 300 000) and arbitrary parameters: no panic, an error exactly on
//! bad input (the one the reference predicts), the buffer untouched on error,
//! and the drawn token always a survivor of the (loose) reference.

use logit_sampler::{
    Constraints, Pcg32, SampleError, Sampler, SamplerConfig, Stage, TokenLogprob, argmax,
    rand_core::{Rng, SeedableRng},
    sample_inverse_cdf, softmax_in_place,
};
use proptest::prelude::*;
use sampler_tests::{
    Context, Slack, reference, reference_config_error, reference_error, reference_logits_error,
    reference_order_error, reference_with, strategies,
};

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn check_sample(
    logits: &[f32],
    cfg: SamplerConfig,
    order: &[Stage],
    seed: u64,
) -> Result<(), TestCaseError> {
    let expected = reference_config_error(&cfg).or_else(|| reference_logits_error(logits));
    let sampler = Sampler::<16>::new(cfg).and_then(|s| s.with_order(order));
    let mut sampler = match sampler {
        Ok(s) => s,
        Err(e) => {
            let want = reference_config_error(&cfg).or_else(|| reference_order_error(order, &cfg));
            prop_assert_eq!(Some(format!("{e:?}")), want.map(|e| format!("{e:?}")));
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
            // Without constraints, sample_with draws the same token.
            let mut again = Sampler::<16>::new(cfg).unwrap().with_order(order).unwrap();
            let mut buf = logits.to_vec();
            let mut rng = Pcg32::seed_from_u64(seed);
            let s = again
                .sample_with(&mut buf, &mut rng, &Constraints::default(), &mut [])
                .unwrap();
            prop_assert_eq!(s.token, token);
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
        logits in strategies::logits(0..400),
        cfg in strategies::any_config(),
        order in strategies::order(),
        seed in any::<u64>(),
    ) {
        check_sample(&logits, cfg, &order, seed)?;
    }

    #[test]
    fn sample_with_errors_exactly_and_reports_logprobs(
        logits in strategies::logits(0..150),
        cfg in strategies::context_config(),
        bad in prop::option::weighted(0.15, (0usize..5, prop::sample::select(
            vec![f32::NAN, f32::INFINITY, -1.0, 0.0, f32::NEG_INFINITY]))),
        order in strategies::order(),
        history in strategies::history(10),
        bias in prop::collection::vec(
            (0u32..160, prop_oneof![
                4 => -5.0f32..5.0,
                2 => Just(f32::NEG_INFINITY),
                1 => Just(f32::NAN),
                1 => Just(f32::INFINITY),
            ]),
            0..5,
        ),
        mask in prop::option::of(prop::collection::vec(
            prop_oneof![2 => Just(u32::MAX), 1 => Just(0u32), 2 => any::<u32>()],
            0..6,
        )),
        top_len in 0usize..12,
        seed in any::<u64>(),
    ) {
        let mut cfg = cfg;
        if let Some((which, v)) = bad {
            match which {
                0 => cfg.repeat_penalty = v,
                1 => cfg.frequency_penalty = v,
                2 => cfg.presence_penalty = v,
                3 => cfg.dry_multiplier = v,
                _ => cfg.dry_base = v,
            }
        }
        let ctx = Context {
            history: &history,
            breakers: &[&[3], &[4, 5]],
            constraints: Constraints { logit_bias: &bias, allowed: mask.as_deref() },
            ..Context::default()
        };
        check_sample_with(&logits, cfg, &order, &ctx, top_len, seed)?;
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
        check_sample(&logits, cfg, &Stage::DEFAULT_ORDER, seed)?;
    }
}

/// `sample_with` against the reference: the same error (buffer, `top`,
/// history and generator untouched), or a surviving token with the model's
/// logprob, the drawn distribution's logprob and the top slice right.
fn check_sample_with(
    logits: &[f32],
    cfg: SamplerConfig,
    order: &[Stage],
    ctx: &Context,
    top_len: usize,
    seed: u64,
) -> Result<(), TestCaseError> {
    let mut sampler = match sampler_tests::core_sampler::<16>(
        cfg,
        order,
        ctx,
        logit_sampler::Backend::detect(),
    ) {
        Ok(s) => s,
        Err(e) => {
            let want = reference_config_error(&cfg).or_else(|| reference_order_error(order, &cfg));
            prop_assert_eq!(Some(format!("{e:?}")), want.map(|e| format!("{e:?}")));
            return Ok(());
        }
    };
    let before: Vec<u32> = sampler.history().iter().collect();
    // `sample_constrained`, on a twin, gives the same token or the same error.
    let mut twin = sampler.clone();
    let plain = twin.sample_constrained(
        &mut logits.to_vec(),
        &mut Pcg32::seed_from_u64(seed),
        &ctx.constraints,
    );
    // The token does not depend on the capacity: at 256 a mask's allowed
    // tokens (and most survivor sets here) fit the scratch, at 16 they
    // mostly do not.
    let mut wide =
        sampler_tests::core_sampler::<256>(cfg, order, ctx, logit_sampler::Backend::detect())
            .unwrap();
    let wide = wide.sample_constrained(
        &mut logits.to_vec(),
        &mut Pcg32::seed_from_u64(seed),
        &ctx.constraints,
    );
    prop_assert_eq!(
        format!("{:?}", wide),
        format!("{:?}", plain),
        "capacity 256 vs 16"
    );
    let expected = reference_error(logits, &cfg, ctx);
    let mut buf = logits.to_vec();
    let mut rng = Pcg32::seed_from_u64(seed);
    let sentinel = TokenLogprob {
        token: 7,
        logprob: 0.5,
    };
    let mut top = vec![sentinel; top_len];
    match sampler.sample_with(&mut buf, &mut rng, &ctx.constraints, &mut top) {
        Err(e) => {
            prop_assert_eq!(Some(format!("{e:?}")), expected.map(|e| format!("{e:?}")));
            prop_assert!(same_bits(&buf, logits), "buffer changed on error");
            prop_assert!(top.iter().all(|t| *t == sentinel), "top written on error");
            let after: Vec<u32> = sampler.history().iter().collect();
            prop_assert_eq!(after, before, "history changed on error");
            prop_assert_eq!(rng.next_u64(), Pcg32::seed_from_u64(seed).next_u64());
            prop_assert_eq!(format!("{:?}", plain), format!("{:?}", Err::<u32, _>(e)));
        }
        Ok(s) => {
            prop_assert!(expected.is_none(), "expected {:?}, got {:?}", expected, s);
            let loose = reference_with(logits, &cfg, order, ctx, Slack::Loose).unwrap();
            prop_assert!(
                loose.iter().any(|p| p.0 == s.token),
                "token {} is not a survivor",
                s.token
            );
            prop_assert_eq!(sampler.history().recent(), Some(s.token));
            prop_assert_eq!(plain, Ok(s.token), "sample_constrained");
            // The model's logprobs, in f64 from the logits as passed.
            let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
            let model = |l: f32| -> f64 {
                if max == f64::INFINITY {
                    let n = logits.iter().filter(|x| **x == f32::INFINITY).count() as f64;
                    return if l == f32::INFINITY {
                        -n.ln()
                    } else {
                        f64::NEG_INFINITY
                    };
                }
                let z: f64 = logits.iter().map(|&x| (x as f64 - max).exp()).sum();
                l as f64 - max - z.ln()
            };
            let close = |got: f32, want: f64| {
                (got as f64 == want) || (got as f64 - want).abs() <= 1e-4 * (1.0 + want.abs())
            };
            let want = model(logits[s.token as usize]);
            prop_assert!(close(s.logprob, want), "logprob {} vs {}", s.logprob, want);
            // The top slice: the best logits, ties to the lowest id.
            let mut ids: Vec<u32> = (0..logits.len() as u32).collect();
            ids.sort_by(|&a, &b| {
                logits[b as usize]
                    .partial_cmp(&logits[a as usize])
                    .unwrap()
                    .then(a.cmp(&b))
            });
            for (i, t) in top.iter().enumerate() {
                match ids.get(i) {
                    Some(&id) => {
                        prop_assert_eq!(t.token, id, "top slot {}", i);
                        let want = model(logits[id as usize]);
                        prop_assert!(
                            close(t.logprob, want),
                            "top {} logprob {} vs {}",
                            i,
                            t.logprob,
                            want
                        );
                    }
                    None => prop_assert_eq!((t.token, t.logprob), (u32::MAX, f32::NEG_INFINITY)),
                }
            }
            // The drawn distribution's logprob: the core's own distribution.
            let mut dist = logits.to_vec();
            let mut fresh = sampler_tests::core_sampler::<16>(
                cfg,
                order,
                ctx,
                logit_sampler::Backend::detect(),
            )
            .unwrap();
            fresh
                .distribution_in_place_with(&mut dist, &ctx.constraints)
                .unwrap();
            let want = if cfg.temperature == 0.0 {
                0.0
            } else {
                (dist[s.token as usize] as f64).ln()
            };
            prop_assert!(
                (s.sampling_logprob as f64 - want).abs() <= 1e-5 * (1.0 + want.abs()),
                "sampling logprob {} vs {}",
                s.sampling_logprob,
                want
            );
        }
    }
    let _: Option<SampleError> = None;
    Ok(())
}
