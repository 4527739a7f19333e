//! `argmax_with` on every backend (`BackendUnavailable` for those this CPU
//! cannot run) and `argmax`, over arbitrary logits.
//!
//! No panic; an error exactly when the reference predicts one; otherwise the
//! first index of the largest logit (as the proptest suite computes it), the
//! same on every backend, and the token a greedy `Sampler<0>` draws there.

#![no_main]

use libfuzzer_sys::fuzz_target;
use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{Backend, Pcg32, SampleError, Sampler, SamplerConfig, argmax, argmax_with};
use logit_sampler_fuzz::{SoftmaxInput, assert_error};
use sampler_tests::reference_logits_error;

fuzz_target!(|input: SoftmaxInput| {
    let logits = &input.logits;
    let expected = reference_logits_error(logits);
    let want = if expected.is_none() {
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        logits.iter().position(|x| *x == max).map(|i| i as u32)
    } else {
        None
    };
    for backend in Backend::ALL {
        let result = argmax_with(backend, logits);
        if !backend.is_available() {
            let unavailable = Some(SampleError::BackendUnavailable(backend));
            assert_error(
                &result.expect_err("unavailable"),
                unavailable,
                "argmax_with",
            );
            continue;
        }
        match result {
            Err(e) => assert_error(&e, expected, &format!("{backend:?}")),
            Ok(i) => assert_eq!(Some(i), want, "{backend:?}"),
        }
        // The greedy sampler agrees (when the logits are valid).
        let mut sampler: Sampler<0> = Sampler::new(SamplerConfig::greedy())
            .and_then(|s| s.with_backend(backend))
            .expect("greedy sampler");
        let mut buf = logits.clone();
        let greedy = sampler.sample(&mut buf, &mut Pcg32::seed_from_u64(0)).ok();
        assert_eq!(greedy, want, "{backend:?}: the greedy sampler");
    }
    match argmax(logits) {
        Err(e) => assert_error(&e, expected, "argmax"),
        Ok(i) => assert_eq!(Some(i), want, "argmax"),
    }
});
