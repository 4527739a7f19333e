//! `Sampler::sample` on every available backend and at capacities 0, 1, 16
//! and 4096, over arbitrary logits, configurations (valid or not), stage
//! orders (valid or not) and seeds.
//!
//! Asserts what the proptest suite asserts, and more: no panic; an error
//! exactly when the reference predicts one (config, then order, then
//! logits), with the buffer bit-identical and no randomness consumed; on
//! success exactly one `next_u64` consumed, a token in range whose logit is
//! neither NaN nor `-inf`, kept by the loose f64 reference, at most 21.5 nats
//! below the max after temperature (the documented mass-0 cut), with nonzero
//! probability in `distribution_in_place`; and the same token on every backend
//! and capacity. The sampler is reused across backends (its scratch is left
//! dirty by the previous call), so a result cannot depend on stale state.

#![no_main]

use libfuzzer_sys::fuzz_target;
use logit_sampler::rand_core::{Rng, SeedableRng};
use logit_sampler::{Backend, Pcg32, SampleError, Sampler};
use logit_sampler_fuzz::{
    NEVER_DRAWN_BELOW, SamplerInput, assert_error, is_permutation, same_bits, same_error,
};
use sampler_tests::{Slack, reference, reference_config_error, reference_logits_error};

type Outcome = (Backend, usize, Result<u32, SampleError>);

fuzz_target!(|input: SamplerInput| {
    let mut outcomes = Vec::new();
    run::<0>(&input, &mut outcomes);
    run::<1>(&input, &mut outcomes);
    run::<16>(&input, &mut outcomes);
    run::<4096>(&input, &mut outcomes);
    let Some((_, _, first)) = outcomes.first() else {
        return; // The configuration or the order was refused.
    };
    for (backend, cap, outcome) in &outcomes {
        let same = match (first, outcome) {
            (Ok(a), Ok(b)) => a == b,
            (Err(a), Err(b)) => same_error(a, b),
            _ => false,
        };
        assert!(
            same,
            "{backend:?}, CAP {cap}: {outcome:?}, but scalar CAP 0 gave {first:?}"
        );
    }
    if let Ok(token) = *first {
        check_token(&input, token);
    }
});

fn run<const CAP: usize>(input: &SamplerInput, outcomes: &mut Vec<Outcome>) {
    let SamplerInput {
        config,
        order,
        seed,
        ref logits,
    } = *input;
    let sampler = match Sampler::<CAP>::new(config) {
        Ok(s) => s,
        Err(e) => return assert_error(&e, reference_config_error(&config), "Sampler::new"),
    };
    assert!(
        reference_config_error(&config).is_none(),
        "Sampler::new accepted {config:?}"
    );
    let mut sampler = match sampler.with_order(order) {
        Ok(s) => s,
        Err(e) => {
            let want = (!is_permutation(&order)).then_some(SampleError::InvalidStageOrder);
            return assert_error(&e, want, "with_order");
        }
    };
    assert!(is_permutation(&order), "with_order accepted {order:?}");
    let expected = reference_logits_error(logits);
    for &backend in Backend::available() {
        sampler = sampler.with_backend(backend).expect("an available backend");
        let mut buf = logits.clone();
        let mut rng = Pcg32::seed_from_u64(seed);
        let before = rng.clone();
        let outcome = sampler.sample(&mut buf, &mut rng);
        match &outcome {
            Err(e) => {
                assert_error(e, expected, "sample");
                assert!(
                    same_bits(&buf, logits),
                    "{backend:?}, CAP {CAP}: buffer changed on error"
                );
                assert_eq!(
                    rng, before,
                    "{backend:?}, CAP {CAP}: randomness consumed on error"
                );
            }
            Ok(token) => {
                assert!(
                    expected.is_none(),
                    "{backend:?}, CAP {CAP}: token {token}, but the reference predicts {expected:?}"
                );
                let mut once = before.clone();
                once.next_u64();
                assert_eq!(
                    rng, once,
                    "{backend:?}, CAP {CAP}: not exactly one next_u64"
                );
            }
        }
        assert_eq!(sampler.backend(), backend);
        assert_eq!(sampler.config(), config, "the configuration changed");
        assert_eq!(sampler.order(), order, "the order changed");
        outcomes.push((backend, CAP, outcome));
    }
}

/// Checks a drawn token against the reference and against the distribution.
fn check_token(input: &SamplerInput, token: u32) {
    let SamplerInput {
        config,
        order,
        ref logits,
        ..
    } = *input;
    let i = token as usize;
    assert!(i < logits.len(), "token {token} out of range");
    let l = logits[i];
    assert!(
        !l.is_nan() && l != f32::NEG_INFINITY,
        "token {token} has logit {l}"
    );
    let loose = reference(logits, &config, order, Slack::Loose).expect("the reference accepts it");
    assert!(
        loose.iter().any(|&(id, _)| id == token),
        "token {token} (logit {l}) is not a survivor of the loose reference"
    );
    if config.temperature != 0.0 {
        let s = sampler_tests::scaled_logits(logits, config.temperature)(token);
        assert!(
            s >= NEVER_DRAWN_BELOW,
            "token {token} is {s} nats below the max after temperature: its mass is 0"
        );
    }
    let mut dist = logits.clone();
    Sampler::<16>::new(config)
        .and_then(|s| s.with_order(order))
        .and_then(|mut s| s.distribution_in_place(&mut dist))
        .expect("distribution_in_place accepts what sample accepted");
    assert!(
        dist[i] > 0.0,
        "token {token} has probability {} in distribution_in_place",
        dist[i]
    );
}
