//! `Sampler::distribution_in_place` on every available backend and at
//! capacities 0, 1, 16 and 4096, over arbitrary logits, configurations,
//! stage orders.
//!
//! No panic; an error exactly when the reference predicts one, with the buffer
//! bit-identical; on success finite values in `[0, 1]`, checked by
//! `sampler_tests::check_against_reference` (`strict ⊆ survivors ⊆ loose`,
//! every probability within the documented bound, the sum within 1e-5), and
//! the same bits on every backend and capacity.

#![no_main]

use libfuzzer_sys::fuzz_target;
use logit_sampler::{Backend, SampleError, Sampler};
use logit_sampler_fuzz::{SamplerInput, assert_error, is_permutation, same_bits};
use sampler_tests::{check_against_reference, reference_config_error, reference_logits_error};

fuzz_target!(|input: SamplerInput| {
    let mut first = None;
    run::<0>(&input, &mut first);
    run::<1>(&input, &mut first);
    run::<16>(&input, &mut first);
    run::<4096>(&input, &mut first);
    let Some(dist) = first else {
        return;
    };
    for (i, p) in dist.iter().enumerate() {
        assert!(
            p.is_finite() && (0.0..=1.0).contains(p),
            "probability {p} at {i}"
        );
    }
    let SamplerInput {
        config,
        order,
        ref logits,
        ..
    } = input;
    if let Err(e) = check_against_reference(logits, &config, order, &dist) {
        panic!("against the reference: {e}");
    }
});

fn run<const CAP: usize>(input: &SamplerInput, first: &mut Option<Vec<f32>>) {
    let SamplerInput {
        config,
        order,
        ref logits,
        ..
    } = *input;
    let sampler = match Sampler::<CAP>::new(config) {
        Ok(s) => s,
        Err(e) => return assert_error(&e, reference_config_error(&config), "Sampler::new"),
    };
    assert!(
        reference_config_error(&config).is_none(),
        "accepted {config:?}"
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
        match sampler.distribution_in_place(&mut buf) {
            Err(e) => {
                assert_error(&e, expected, "distribution_in_place");
                assert!(
                    same_bits(&buf, logits),
                    "{backend:?}, CAP {CAP}: buffer changed on error"
                );
            }
            Ok(()) => {
                assert!(
                    expected.is_none(),
                    "{backend:?}, CAP {CAP}: success, but the reference predicts {expected:?}"
                );
                match first {
                    None => *first = Some(buf),
                    Some(f) => assert!(
                        same_bits(f, &buf),
                        "{backend:?}, CAP {CAP}: bits differ from scalar CAP 0"
                    ),
                }
            }
        }
    }
}
