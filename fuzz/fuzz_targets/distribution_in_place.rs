//! `Sampler::distribution_in_place_with` (and `distribution_in_place` when
//! the constraints are empty) on every available backend and at capacities
//! 0, 1, 16 and 4096 (histories 32, 33, 64 and 32), over arbitrary logits,
//! configurations (context stages included), stage orders, histories, DRY
//! breakers, logit biases and allowed-token masks, valid or not.
//!
//! No panic; building the sampler fails exactly when the reference predicts;
//! the call errs exactly when the reference predicts (logits, then
//! constraints), with the buffer bit-identical; it never changes the history;
//! on success finite values in `[0, 1]`, checked by
//! `sampler_tests::check_against_reference_with` (`strict ⊆ survivors ⊆
//! loose` after the constraints, penalties and DRY, every probability within
//! the documented bound, the sum within 1e-5), `distribution_in_place` gives
//! the same bits without constraints, and so does every backend, capacity
//! and history size.

#![no_main]

use libfuzzer_sys::fuzz_target;
use logit_sampler::Backend;
use logit_sampler_fuzz::{SamplerInput, assert_error, history_of, same_bits, same_error};
use sampler_tests::{check_against_reference_with, check_pinned_with, reference_error};

fuzz_target!(|input: SamplerInput| {
    let mut first = None;
    run::<0, 32>(&input, &mut first);
    run::<1, 33>(&input, &mut first);
    run::<16, 64>(&input, &mut first);
    run::<4096, 32>(&input, &mut first);
    let Some(dist) = first else {
        return;
    };
    for (i, p) in dist.iter().enumerate() {
        assert!(
            p.is_finite() && (0.0..=1.0).contains(p),
            "probability {p} at {i}"
        );
    }
    let breakers = input.breaker_slices();
    // `distribution_in_place` shows XTC as it acts when its coin fires.
    let ctx = sampler_tests::Context {
        xtc_idle: false,
        ..input.context(&breakers, true)
    };
    // Typical-p and XTC are not monotone in their input: only the inputs
    // the reference pins are checked against it.
    let (logits, config, order) = (&input.logits, &input.config, &input.order);
    let checked = if input.non_monotone() {
        check_pinned_with(logits, config, order, &ctx, &dist)
    } else {
        check_against_reference_with(logits, config, order, &ctx, &dist).map(|_| true)
    };
    if let Err(e) = checked {
        panic!("against the reference: {e}");
    }
});

fn run<const CAP: usize, const H: usize>(input: &SamplerInput, first: &mut Option<Vec<f32>>) {
    let Some(mut sampler) = input.build::<CAP, H>() else {
        return;
    };
    let breakers = input.breaker_slices();
    let logits = &input.logits;
    let expected = reference_error(logits, &input.config, &input.context(&breakers, true));
    let history = input.expected_history::<H>();
    for &backend in Backend::available() {
        sampler = sampler.with_backend(backend).expect("an available backend");
        let what = format!("{backend:?}, CAP {CAP}, HISTORY {H}");
        input.prime(&mut sampler);
        let mut buf = logits.clone();
        let result = sampler.distribution_in_place_with(&mut buf, &input.constraints());
        assert_eq!(
            history_of(&sampler),
            history,
            "{what}: distribution_in_place_with changed the history"
        );
        match result {
            Err(e) => {
                assert_error(&e, expected, &format!("{what}: distribution_in_place_with"));
                assert!(same_bits(&buf, logits), "{what}: buffer changed on error");
            }
            Ok(()) => {
                assert!(
                    expected.is_none(),
                    "{what}: success, but the reference predicts {expected:?}"
                );
                match first {
                    None => *first = Some(buf.clone()),
                    Some(f) => assert!(
                        same_bits(f, &buf),
                        "{what}: bits differ from the first sampler's"
                    ),
                }
            }
        }
        if input.unconstrained() {
            let mut plain = logits.clone();
            let again = sampler.distribution_in_place(&mut plain);
            let same = match (&again, &result) {
                (Ok(()), Ok(())) => true,
                (Err(a), Err(b)) => same_error(a, b),
                _ => false,
            };
            assert!(
                same,
                "{what}: distribution_in_place {again:?}, distribution_in_place_with {result:?}"
            );
            assert!(
                same_bits(&plain, &buf),
                "{what}: distribution_in_place and distribution_in_place_with differ"
            );
        }
    }
}
