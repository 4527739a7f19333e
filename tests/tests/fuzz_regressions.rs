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
use sampler_tests::{
    Context, check_against_reference_with, core_distribution, core_distribution_with,
    pinned_survivors, support,
};

/// The core's distribution (capacity `CAP`, on `backend`) for `ctx`, checked
/// against the reference: a mismatch panics with the distribution.
fn checked<const CAP: usize>(
    logits: &[f32],
    config: SamplerConfig,
    order: &[Stage],
    ctx: &Context,
    backend: Backend,
) -> Vec<f32> {
    let dist = core_distribution_with::<CAP>(logits, config, order, ctx, backend).unwrap();
    check_against_reference_with(logits, &config, order, ctx, &dist)
        .unwrap_or_else(|e| panic!("{backend:?}: distribution {dist:?}: {e}"));
    dist
}

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
        let dist = checked::<16>(
            &logits,
            config,
            &Stage::DEFAULT_ORDER,
            &Context::default(),
            backend,
        );
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
        let dist = checked::<16>(
            &logits,
            config,
            &Stage::DEFAULT_ORDER,
            &Context::default(),
            backend,
        );
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
        let small = checked::<4>(&logits, config, &order, &Context::default(), backend);
        let none = core_distribution::<0>(&logits, config, &order, backend).unwrap();
        assert_eq!(small, none, "{backend:?}: CAP 4 vs CAP 0");
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

/// fuzz target `sample` (sample-dynatemp-huge-exponent, about 195 000
/// executions in): the core drew token 4 although the loose reference kept
/// only token 0. The core was right; the reference's loose bound was not a
/// bound. Min-p runs before the dynamic temperature, at `T = 1`: exactly it
/// keeps the two equal maxima (0 and 4; a float step here is 4.8e24, far
/// beyond `-ln 0.318`), whose entropy is `ln 2`, so `H / ln n = 1` and
/// `T = T0 + range` whatever the exponent: each is drawn with probability
/// 1/2. Min-p's loose slack (4 f32 roundings of a 7.7e31 threshold) also
/// kept the tokens one and two steps below, of weight `exp(-4.8e24) = 0`:
/// entropy `ln 2` among 4, `H / ln n = 1/2`, `(1/2)^7.7e31 = 0`, `T = 0`,
/// greedy. A looser set before the entropy can make it colder. The
/// reference now takes the set as certain only where its strict and loose
/// cuts agree; otherwise loose takes the range's hottest `T` and strict
/// keeps nothing.
#[test]
fn dynamic_temperature_after_a_filter_whose_slack_lowers_the_entropy() {
    use sampler_tests::{Slack, reference};
    let top = 7.747085e31f32;
    let logits = [top, top.next_down(), top.next_down().next_down(), 0.0, top];
    let config = SamplerConfig {
        temperature: 0.19928282,
        dynatemp_range: 0.9098039,
        dynatemp_exponent: 7.747085e31,
        min_p: 0.31764707,
        top_k: 81,
        top_p: 0.7981231,
        ..SamplerConfig::default()
    };
    let order = [Stage::MinP, Stage::Temperature, Stage::TopK, Stage::TopP];
    let ids = |slack| -> Vec<u32> {
        let d = reference(&logits, &config, &order, slack).unwrap();
        d.iter().map(|p| p.0).collect()
    };
    assert_eq!(ids(Slack::Exact), [0, 4]);
    // At the hottest T top-p cuts the two tokens of weight 0 again.
    assert_eq!(ids(Slack::Loose), [0, 4], "not greedy");
    assert_eq!(ids(Slack::Strict), [0u32; 0], "nothing is certain");
    for &backend in Backend::available() {
        let dist = checked::<4>(&logits, config, &order, &Context::default(), backend);
        assert_eq!(dist, [0.5, 0.0, 0.0, 0.0, 0.5], "{backend:?}");
    }
}

/// fuzz target `sample` (a run without sanitizer, 169 000 executions in):
/// mirostat v1 over two logits `1.8e-12` apart at `T = 6.1e-5`. Their
/// scaled gap is `3e-8`, so the Zipf estimate is `s = 4.3e-8` and
/// `k = ((1 - s) / (1 - 2 s ln 2))^(1 / s) = e^0.386 = 1.47`: exactly, one
/// token. The core computes `k` in f32 as llama.cpp does: `e = s - 1`
/// rounds to `-(1 - 2^-24)`, the numerator (exactly `0.386 s = 1.7e-8`) to
/// `2^-24`, one ulp of `expm1f`'s result, so `ln k = 2^-24 / s = 1.39`,
/// `k = 4`: it kept both and drew either. The reference
/// bounded that rounding by `k (1 +- 1e-4)`, which holds for an `s` near 1
/// only; it now propagates f32's roundings through `s`, the numerator and
/// the quotient by `s`, so loose keeps both here and strict the first.
#[test]
fn mirostat_v1_with_a_vanishing_zipf_exponent() {
    use logit_sampler::Mirostat;
    use sampler_tests::{Slack, reference};
    let logits = [-0.0f32, 1.8189894e-12];
    let config = SamplerConfig {
        temperature: 6.103609e-5,
        mirostat: Mirostat::V1 {
            tau: 0.0,
            eta: 0.1,
            m: 23,
        },
        ..SamplerConfig::default()
    };
    let order = Stage::DEFAULT_ORDER;
    let ids = |slack| -> Vec<u32> {
        let d = reference(&logits, &config, &order, slack).unwrap();
        d.iter().map(|p| p.0).collect()
    };
    assert_eq!(ids(Slack::Exact), [1]);
    assert_eq!(ids(Slack::Strict), [1]);
    assert_eq!(ids(Slack::Loose), [0, 1], "f32 cannot resolve k here");
    for &backend in Backend::available() {
        let dist = checked::<4>(&logits, config, &order, &Context::default(), backend);
        assert_eq!(dist, [0.5, 0.5], "{backend:?}");
    }
}

/// The bound stays tight where f32 resolves `k`: Zipf-like logits with
/// exponent 1.1 over 1000 tokens, `m = 100`, `tau` from 1 to 5.5 bits. The
/// exact `k` (0.8 to 238) is never within 0.1 % of an integer here (asserted;
/// the bound is 0.03 % at most), so strict,
/// exact and loose keep the same count, and so does the core.
#[test]
fn mirostat_v1_bound_is_tight_for_an_ordinary_zipf_exponent() {
    use logit_sampler::Mirostat;
    use sampler_tests::{Slack, reference};
    let logits: Vec<f32> = (0..1000).map(|i| -1.1 * ((i + 1) as f32).ln()).collect();
    for tau in [1.0f32, 2.0, 3.0, 4.0, 5.0, 5.5] {
        let config = SamplerConfig {
            mirostat: Mirostat::V1 {
                tau,
                eta: 0.1,
                m: 100,
            },
            ..SamplerConfig::default()
        };
        let order = Stage::DEFAULT_ORDER;
        let len = |slack| reference(&logits, &config, &order, slack).unwrap().len();
        // k = (e 2^mu / (1 - N^-e))^(1 / s), s = 1.1 (up to the f32 logits)
        let (s, mu, n) = (1.1f64, 2.0 * tau as f64, 1000f64);
        let k = ((s - 1.0) * 2f64.powf(mu) / (1.0 - n.powf(1.0 - s))).powf(1.0 / s);
        assert!(
            (k - k.round()).abs() > 1e-3 * k,
            "tau {tau}: k = {k} is near an integer"
        );
        let exact = len(Slack::Exact);
        assert_eq!(exact, (k.floor() as usize).max(1), "tau {tau}: k = {k}");
        assert_eq!(len(Slack::Strict), exact, "tau {tau}");
        assert_eq!(len(Slack::Loose), exact, "tau {tau}");
        for &backend in Backend::available() {
            let dist = core_distribution::<1024>(&logits, config, &order, backend).unwrap();
            let kept = dist.iter().filter(|&&p| p > 0.0).count();
            assert_eq!(kept, exact, "{backend:?}, tau {tau}");
        }
    }
}

/// Found by review: at `T = +inf` (every weight 1) the core formed mirostat
/// v1's gaps as `(a - b) * inv_t` with `inv_t = 0`, and two top logits more
/// than `f32::MAX` apart gave `inf * 0 = NaN`: one token kept. llama.cpp
/// divides the logits by `+inf` first, so every gap is 0, `s = 0` and
/// `ln k = (mu ln 2 - ln(N - 1)) / 0 = +inf` at `mu = 10`: every token.
#[test]
fn mirostat_v1_at_infinite_temperature_with_an_overflowing_gap() {
    use logit_sampler::Mirostat;
    let logits = [3e38f32, -3e38];
    let config = SamplerConfig {
        temperature: f32::INFINITY,
        mirostat: Mirostat::V1 {
            tau: 5.0,
            eta: 0.1,
            m: 2,
        },
        ..SamplerConfig::default()
    };
    let order = Stage::DEFAULT_ORDER;
    for &backend in Backend::available() {
        let dist = checked::<4>(&logits, config, &order, &Context::default(), backend);
        assert_eq!(dist, [0.5, 0.5], "{backend:?}");
    }
}

/// Found by the `distribution_in_place` target: top-n-sigma with `n` and the
/// logits' differences subnormal. Over `[-0.0, -3.53125, -3e-45, -3e-45]`
/// sigma is 1.53, and `n * sigma = 1e-45 * 1.53` (1.5 of the smallest
/// subnormal, 2^-149) rounds to 2^-148 in `f32`: the threshold `-2^-148`
/// keeps tokens 2 and 3 (at -2^-148 themselves), where the exact threshold
/// (-2.15e-45) would not. An `f32` operation errs by half an ulp relative
/// or 2^-150 absolute, whichever is larger: the reference's slack lacked the
/// absolute part for the product and the difference.
#[test]
fn top_n_sigma_with_a_subnormal_threshold() {
    let logits = [-0.0f32, -3.53125, -3e-45, -3e-45];
    for temperature in [1.0, 0.2695964] {
        let config = SamplerConfig {
            temperature,
            top_n_sigma: 1e-45,
            ..SamplerConfig::default()
        };
        for &backend in Backend::available() {
            let dist = checked::<16>(
                &logits,
                config,
                &Stage::DEFAULT_ORDER,
                &Context::default(),
                backend,
            );
            let third = 1.0 / 3.0;
            assert_eq!(
                dist,
                [third, 0.0, third, third],
                "{backend:?} T {temperature}"
            );
        }
    }
}

/// Found by the `distribution_in_place` target: min-p before a dynamic
/// temperature, at logits around 2^24 where `f32` steps by 2. The exact
/// min-p 0.156 keeps token 5 alone (token 6, 2 below, has ratio e^-2 =
/// 0.135), but `max + ln m` = 16777220.14 rounds to 16777220 in `f32` and
/// the core keeps token 6 as well: within the loose reference. The dynamic
/// temperature of that set {5, 6} (range 859, exponent 0.0133) is 852.8, so
/// the core's 5 and 6 are nearly equally likely; the reference took the
/// exact set's temperature for the core's set and expected T = 1. Where the
/// strict and loose sets before the stage differ, the core's temperature is
/// not pinned, only its survivors are.
#[test]
fn dynamic_temperature_after_a_min_p_within_rounding() {
    let logits = [
        -0.0f32,
        0.5,
        0.49999997,
        -3e38,
        16777216.0,
        16777222.0,
        16777220.0,
        16777218.0,
        16777216.0,
        16777215.0,
        16777214.0,
        -2.685012e38,
        0.0,
    ];
    let config = SamplerConfig {
        min_p: 0.15637016,
        dynatemp_range: 859.09375,
        dynatemp_exponent: 0.013306141,
        ..SamplerConfig::default()
    };
    let order = [Stage::MinP, Stage::Temperature];
    // Over {5, 6} at T = 1: p = (1, e^-2) / (1 + e^-2), entropy H, then
    // T = (1 + range) (H / ln 2)^exponent (the range's lower end is 0).
    let p6 = (-2.0f64).exp() / (1.0 + (-2.0f64).exp());
    let h = -(p6 * p6.ln() + (1.0 - p6) * (1.0 - p6).ln());
    let t = (1.0 + config.dynatemp_range as f64)
        * (h / 2f64.ln()).powf(config.dynatemp_exponent as f64);
    let want5 = 1.0 / (1.0 + (-2.0 / t).exp());
    for &backend in Backend::available() {
        let dist = checked::<16>(&logits, config, &order, &Context::default(), backend);
        let kept = support(&dist);
        assert_eq!(kept, [5, 6], "{backend:?}");
        assert!(
            (dist[5] as f64 - want5).abs() < 1e-5,
            "{backend:?}: {dist:?}, want {want5}"
        );
    }
}

/// Found by the `distribution_in_place` target: top-n-sigma is not monotone
/// in its input set. After a dynamic temperature (T 1.847) and top-p 0.355
/// with `min_keep` 4, the core keeps token 12 (logit 1.97) and six of the 22
/// tokens at 0; the loose reference, one more tie at 0 (a top-p decision
/// within rounding). Over those eight, sigma is 0.651 and 3 sigma cuts every
/// 0; over the core's seven it is 0.689 and keeps them. Where the strict and
/// loose sets before top-n-sigma differ, strict now keeps only the max and
/// loose cuts nothing.
#[test]
fn top_n_sigma_after_an_uncertain_set() {
    let mut logits = [0.0f32; 24];
    logits[12] = 1.96875;
    logits[22] = -6328.721;
    let config = SamplerConfig {
        temperature: 0.03167773,
        min_p: 0.0029449912,
        top_k: 1114,
        top_p: 0.35468072,
        top_n_sigma: 3.0,
        dynatemp_range: 2.0,
        dynatemp_exponent: 0.99999994,
        min_keep: 4,
        ..SamplerConfig::default()
    };
    let order = [
        Stage::Temperature,
        Stage::TopP,
        Stage::MinP,
        Stage::TopNSigma,
        Stage::TopK,
    ];
    for &backend in Backend::available() {
        let dist = checked::<16>(&logits, config, &order, &Context::default(), backend);
        let kept = support(&dist);
        assert_eq!(kept, [0, 1, 2, 3, 4, 5, 12], "{backend:?}");
    }
}

/// Found by the `distribution_in_place` target: XTC with a threshold far
/// below a mass's resolution. After a frequency penalty token 1 leads by 19
/// nats; every other token's probability is at least `e^-36`, far above the
/// threshold `1e-45`, so all 32 qualify and `min_keep` 6 stops XTC. The core
/// qualified by fixed-point mass (`round(w * 2^30) >= 1`): only tokens 1, 29
/// and 30, whose removal leaves 30, so XTC acted and top-n-sigma then kept
/// token 30 instead of 1. The reference missed it too: it looked at the two
/// ends of its rounding band only, where the outcome (all or one qualifying)
/// is the same, while XTC's outcome is not monotone in the threshold. The
/// core now compares weights with `threshold * total` (relative errors), and
/// the reference takes every qualifying set within its band.
#[test]
fn xtc_threshold_below_the_resolution_of_a_mass() {
    let mut logits = [6.750518e-7f32; 32];
    logits[..4].copy_from_slice(&[4.0531177e-6, 41.0, -0.0625, -0.062499825]);
    logits[14] = -5.048338e-35;
    logits[15..20].fill(1e-45);
    logits[24] = 6.7505175e-7;
    logits[25] = 6.7505476e-7;
    logits[29..].copy_from_slice(&[16.984375, 16.984373, 6.3e-44]);
    let config = SamplerConfig {
        temperature: 163.98438,
        min_p: 0.015716793,
        top_p: 0.12285039,
        frequency_penalty: 1.0,
        penalty_last_n: 33,
        dry_allowed_length: 4,
        dry_penalty_last_n: 37,
        top_n_sigma: 1e-45,
        xtc_probability: 1e-45,
        xtc_threshold: 1e-45,
        dynatemp_range: 1e-45,
        dynatemp_exponent: 1.5764706,
        min_keep: 6,
        ..SamplerConfig::default()
    };
    let order = [
        Stage::Penalties,
        Stage::Dry,
        Stage::Xtc,
        Stage::TopNSigma,
        Stage::TopK,
        Stage::Typical,
        Stage::TopP,
        Stage::MinP,
        Stage::Temperature,
    ];
    let breakers: [&[u32]; 2] = [&[0, 0, 5, 0, 6, 4, 6, 6, 0, 3, 0, 0, 0, 1, 0], &[0, 6]];
    let ctx = Context {
        history: &[1, 1, 1, 1, 1],
        breakers: &breakers,
        xtc_idle: false,
        ..Context::default()
    };
    assert_eq!(
        pinned_survivors(&logits, &config, &order, &ctx),
        Some(vec![1])
    );
    for &backend in Backend::available() {
        let dist = checked::<16>(&logits, config, &order, &ctx, backend);
        let kept = support(&dist);
        assert_eq!(kept, [1], "{backend:?}");
    }
}

/// XTC's threshold below a mass's resolution, on its own: token 1's
/// probability is `e^-46 ~ 1e-20` (a mass of 0), above the threshold `1e-30`,
/// so both tokens qualify and the less likely, token 1, is all that is left;
/// at `1e-19` only token 0 qualifies and nothing is removed (token 1 stays
/// with its mass of 0, so the distribution shows token 0 alone, as the old
/// core did at both thresholds).
#[test]
fn xtc_counts_tokens_whose_mass_rounds_to_zero() {
    let logits = [0.0f32, -46.0];
    let order = [Stage::Xtc, Stage::Temperature];
    for (threshold, want) in [(1e-30f32, 1), (1e-19, 0)] {
        let config = SamplerConfig {
            xtc_probability: 1.0,
            xtc_threshold: threshold,
            ..SamplerConfig::default()
        };
        for &backend in Backend::available() {
            let dist = checked::<16>(&logits, config, &order, &Context::default(), backend);
            let kept = support(&dist);
            assert_eq!(kept, [want], "{threshold}, {backend:?}");
        }
    }
}
