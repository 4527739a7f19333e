//! `sample_inverse_cdf_with` on every backend (`BackendUnavailable` for those
//! this CPU cannot run) and `sample_inverse_cdf`, over arbitrary weights and
//! uniforms (valid or not).
//!
//! No panic; an error exactly when the docs predict one (backend, weights,
//! uniform, zero total); otherwise an index whose weight is positive, the
//! one `sampler_tests::inverse_cdf_reference` computes (integer masses, the
//! exact target), the same on every backend.

#![no_main]

use libfuzzer_sys::fuzz_target;
use logit_sampler::{Backend, SampleError, sample_inverse_cdf, sample_inverse_cdf_with};
use logit_sampler_fuzz::{InverseCdfInput, assert_error, weights_error};
use sampler_tests::inverse_cdf_reference;

fuzz_target!(|input: InverseCdfInput| {
    let InverseCdfInput { u, ref weights } = input;
    let expected = weights_error(weights)
        .or_else(|| (!(0.0..1.0).contains(&u)).then_some(SampleError::InvalidUniform(u)))
        .or_else(|| {
            weights
                .iter()
                .all(|w| *w == 0.0)
                .then_some(SampleError::ZeroTotalWeight)
        });
    let mut first = None;
    for backend in Backend::ALL {
        let want = if backend.is_available() {
            expected
        } else {
            Some(SampleError::BackendUnavailable(backend))
        };
        match sample_inverse_cdf_with(backend, weights, u) {
            Err(e) => assert_error(&e, want, &format!("{backend:?}")),
            Ok(i) => {
                assert!(
                    want.is_none(),
                    "{backend:?}: index {i}, but {want:?} predicted"
                );
                match first {
                    None => first = Some(i),
                    Some(f) => assert_eq!(i, f, "{backend:?} differs from scalar"),
                }
            }
        }
    }
    let detected = sample_inverse_cdf(weights, u);
    let Some(index) = first else {
        assert_error(
            &detected.expect_err("sample_inverse_cdf"),
            expected,
            "sample_inverse_cdf",
        );
        return;
    };
    assert_eq!(detected, Ok(index), "sample_inverse_cdf differs");
    let i = index as usize;
    assert!(i < weights.len(), "index {i} out of range");
    assert!(weights[i] > 0.0, "index {i} has weight {}", weights[i]);
    // The integer rule, computed independently: the masses, `floor(u Q)`,
    // the first running mass past it.
    assert_eq!(
        index,
        inverse_cdf_reference(weights, u),
        "the reference differs"
    );
});
