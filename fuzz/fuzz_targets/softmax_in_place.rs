//! `softmax_in_place_with` on every backend (`BackendUnavailable` for those
//! this CPU cannot run) and `softmax_in_place`, over arbitrary logits and
//! temperatures (valid or not).
//!
//! No panic; an error exactly when predicted (backend, temperature, then
//! logits), with the buffer bit-identical; on success finite values in
//! `[0, 1]` summing to 1 within 1e-5 (as the proptest suite), exactly 0 for
//! every token the reference excludes, each within
//! `sampler_tests::softmax_bound` of the f64 reference; the same bits on every
//! backend.

#![no_main]

use libfuzzer_sys::fuzz_target;
use logit_sampler::{
    Backend, SampleError, SamplerConfig, Stage, softmax_in_place, softmax_in_place_with,
};
use logit_sampler_fuzz::{SoftmaxInput, assert_error, same_bits};
use sampler_tests::{
    Slack, reference, reference_config_error, reference_logits_error, scaled_logits, softmax_bound,
};

fuzz_target!(|input: SoftmaxInput| {
    let SoftmaxInput {
        temperature,
        ref logits,
    } = input;
    let config = SamplerConfig {
        temperature,
        ..SamplerConfig::default()
    };
    let expected = reference_config_error(&config).or_else(|| reference_logits_error(logits));
    let mut first: Option<Vec<f32>> = None;
    for backend in Backend::ALL {
        let mut buf = logits.clone();
        let result = softmax_in_place_with(backend, &mut buf, temperature);
        let want = if backend.is_available() {
            expected
        } else {
            Some(SampleError::BackendUnavailable(backend))
        };
        match result {
            Err(e) => {
                assert_error(&e, want, &format!("{backend:?}"));
                assert!(
                    same_bits(&buf, logits),
                    "{backend:?}: buffer changed on error"
                );
            }
            Ok(()) => {
                assert!(
                    want.is_none(),
                    "{backend:?}: success, but {want:?} predicted"
                );
                match &first {
                    None => first = Some(buf),
                    Some(f) => assert!(same_bits(f, &buf), "{backend:?}: bits differ from scalar"),
                }
            }
        }
    }
    let mut detected = logits.clone();
    let result = softmax_in_place(&mut detected, temperature);
    let Some(probs) = first else {
        assert_error(
            &result.expect_err("softmax_in_place"),
            expected,
            "softmax_in_place",
        );
        assert!(same_bits(&detected, logits), "buffer changed on error");
        return;
    };
    assert!(
        result.is_ok() && same_bits(&detected, &probs),
        "softmax_in_place differs"
    );
    check_probabilities(logits, temperature, &probs);
});

fn check_probabilities(logits: &[f32], temperature: f32, probs: &[f32]) {
    for (i, p) in probs.iter().enumerate() {
        assert!(
            p.is_finite() && (0.0..=1.0).contains(p),
            "probability {p} at {i}"
        );
    }
    let sum: f64 = probs.iter().map(|p| f64::from(*p)).sum();
    assert!((sum - 1.0).abs() < 1e-5, "the probabilities sum to {sum}");
    // The reference with every filter off is softmax(logits / T) in f64
    // (one-hot at the first max for T = 0, uniform over the +inf logits if any).
    let config = SamplerConfig {
        temperature,
        ..SamplerConfig::default()
    };
    let exact = reference(logits, &config, &Stage::DEFAULT_ORDER, Slack::Exact)
        .expect("the reference accepts it");
    let mut want = vec![0.0f64; logits.len()];
    for &(i, p) in &exact {
        want[i as usize] = p;
    }
    let scaled = scaled_logits(logits, if temperature == 0.0 { 1.0 } else { temperature });
    let mean_abs_s: f64 = exact.iter().map(|&(i, p)| p * scaled(i).abs()).sum();
    // The weights' exact sum W: the largest weighs 1, so W = 1 / max p.
    let w = 1.0 / exact.iter().map(|&(_, p)| p).fold(0.0, f64::max);
    for (i, (&got, &p)) in probs.iter().zip(&want).enumerate() {
        if p == 0.0 {
            assert!(
                got == 0.0,
                "token {i}: probability {got}, the reference excludes it"
            );
            continue;
        }
        let bound = if temperature == 0.0 {
            0.0
        } else {
            softmax_bound(p, scaled(i as u32), mean_abs_s, logits.len(), w)
        };
        assert!(
            (f64::from(got) - p).abs() <= bound,
            "token {i}: {got:e}, the reference {p:e}, bound {bound:e}"
        );
    }
}
