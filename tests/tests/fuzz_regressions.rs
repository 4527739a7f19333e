//! Inputs the fuzz targets (`fuzz/`) found, as plain values.
//!
//! Found by the `softmax_in_place` target (first as `T = 2^126` over logits
//! in `±3e38`): two finite logits more than `f32::MAX` apart. The core forms
//! `(l - max) / T` in `f32`, where `-3e38 - 3e38` overflows to `-inf`, so at
//! `T = f32::MAX` token 1 got weight 0 although its exact probability is
//! 0.146; min-p's threshold `max + T ln m` overflowed the same way. Up to
//! 2^64 the overflow changes nothing (such a token's exact weight is below
//! `exp(-2^64)`), so finite temperatures above 2^64 are now refused
//! (`SamplerConfig::MAX_TEMPERATURE`); these tests pin both sides.

use logit_sampler::{Backend, SampleError, Sampler, SamplerConfig, Stage, softmax_in_place_with};
use sampler_tests::{check_against_reference, core_distribution};

#[test]
fn finite_temperatures_beyond_2_64_are_refused() {
    for temperature in [
        f32::MAX,
        2f32.powi(126),
        SamplerConfig::MAX_TEMPERATURE.next_up(),
    ] {
        let config = SamplerConfig {
            temperature,
            ..SamplerConfig::default()
        };
        let err = Err(SampleError::InvalidTemperature(temperature));
        assert_eq!(Sampler::<16>::new(config).map(|_| ()), err);
        for &backend in Backend::available() {
            let mut probs = [3e38f32, -3e38];
            assert_eq!(softmax_in_place_with(backend, &mut probs, temperature), err);
            assert_eq!(probs, [3e38, -3e38], "untouched on error");
        }
    }
}

/// At the largest temperature the overflowing difference is harmless: token
/// 1's exact weight is `exp(-6e38 / 2^64) = 0`.
#[test]
fn logits_more_than_f32_max_apart_at_the_largest_temperature() {
    let logits = [3e38f32, -3e38];
    let temperature = SamplerConfig::MAX_TEMPERATURE;
    let config = SamplerConfig {
        temperature,
        ..SamplerConfig::default()
    };
    for &backend in Backend::available() {
        let mut probs = logits;
        softmax_in_place_with(backend, &mut probs, temperature).unwrap();
        assert_eq!(probs, [1.0, 0.0], "{backend:?}");
        let dist =
            core_distribution::<16>(&logits, config, &Stage::DEFAULT_ORDER, backend).unwrap();
        check_against_reference(&logits, &config, &Stage::DEFAULT_ORDER, &dist)
            .unwrap_or_else(|e| panic!("{backend:?}: distribution {dist:?}: {e}"));
        assert_eq!(dist, [1.0, 0.0], "{backend:?}");
    }
}

/// min-p's threshold `max + T ln m` stays finite at the largest temperature:
/// `3e38 + 2^64 ln 0.135` is just below `3e38`, so token 1 goes.
#[test]
fn min_p_threshold_at_the_largest_temperature() {
    let logits = [3e38f32, -3.2e38];
    let config = SamplerConfig {
        temperature: SamplerConfig::MAX_TEMPERATURE,
        min_p: 0.135,
        ..SamplerConfig::default()
    };
    for &backend in Backend::available() {
        let dist =
            core_distribution::<16>(&logits, config, &Stage::DEFAULT_ORDER, backend).unwrap();
        check_against_reference(&logits, &config, &Stage::DEFAULT_ORDER, &dist)
            .unwrap_or_else(|e| panic!("{backend:?}: distribution {dist:?}: {e}"));
        assert_eq!(dist, [1.0, 0.0], "{backend:?}");
    }
}

/// Found by the `sample` target: min-p with subnormal logits. At `T = 2.3e-38`
/// and `m = 1 - 2^-24`, the exact threshold `2^-149 + T ln m` is a fraction of
/// the smallest subnormal above 0, so `0.0` and `-0.0` (ratio to the max
/// `0.99999993922 < m`, by 1.2e-9) are out; `T ln m` rounds to `-2^-149` in
/// f32 and the core's threshold is 0, which keeps them. f32 cannot resolve
/// that threshold: the reference's slack now includes the absolute rounding
/// of subnormal arithmetic (2^-150 per operation), and this pins that the
/// core's cut stays within it, on every backend and capacity.
#[test]
fn min_p_threshold_among_subnormal_logits() {
    let logits = [-0.0f32, -1e-45, -3e-45, 0.0, 1e-45, 0.0, -0.25, -1.0, -21.5];
    let config = SamplerConfig {
        temperature: 2.3051067e-38,
        min_p: 0.99999994,
        top_k: 1_000_000,
        top_p: 0.99610895,
        ..SamplerConfig::default()
    };
    let order = [Stage::TopK, Stage::Temperature, Stage::MinP, Stage::TopP];
    for &backend in Backend::available() {
        let small = core_distribution::<4>(&logits, config, &order, backend).unwrap();
        let none = core_distribution::<0>(&logits, config, &order, backend).unwrap();
        assert_eq!(small, none, "{backend:?}: CAP 4 vs CAP 0");
        check_against_reference(&logits, &config, &order, &small)
            .unwrap_or_else(|e| panic!("{backend:?}: distribution {small:?}: {e}"));
        // The max survives; the tokens far below cannot.
        assert!(
            small[4] > 0.0 && small[6] == 0.0 && small[8] == 0.0,
            "{small:?}"
        );
    }
}

/// fuzz target `sample` (crash-28c2068f): `sample_with` reported the model
/// logprob of a token drawn among `+inf` logits as `-inf` (the filters had
/// rewritten the certain tokens' logits to 0 before the draw returned it).
#[test]
fn sample_with_logprob_of_a_certain_token() {
    use logit_sampler::{Constraints, Sampler, SamplerConfig};
    use sampler_tests::Fixed;
    let close = |a: f32, b: f32| (a - b).abs() < 1e-6;
    for t in [1.0f32, 0.7, 0.0, f32::INFINITY] {
        let cfg = SamplerConfig {
            temperature: t,
            ..SamplerConfig::default()
        };
        let mut s: Sampler<8> = Sampler::new(cfg).unwrap();
        let mut certain = [0.0f32, f32::INFINITY, f32::INFINITY];
        let got = s
            .sample_with(
                &mut certain,
                &mut Fixed(u64::MAX),
                &Constraints::default(),
                &mut [],
            )
            .unwrap();
        let drawn = if t == 0.0 { 0.0 } else { -(2f32.ln()) };
        assert_eq!(got.token, if t == 0.0 { 1 } else { 2 });
        assert!(
            close(got.logprob, -(2f32.ln())) && close(got.sampling_logprob, drawn),
            "T {t}: {got:?}"
        );
    }
}
