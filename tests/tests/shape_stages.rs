//! The shape stages (typical-p, top-n-sigma, XTC, dynamic temperature,
//! mirostat, min_keep): llama.cpp's published expectations, pinned ties and
//! edges with exact (dyadic) masses, the reference on random inputs on every
//! backend and capacity, XTC's coin, and mirostat's `mu` trajectory.

use logit_sampler::{
    Backend, Mirostat, Pcg32, SampleError, Sampler, SamplerConfig, Stage,
    rand_core::{Rng, SeedableRng, TryRng},
};
use proptest::prelude::*;
use sampler_tests::{
    Context, Slack, check_against_reference_with, check_pinned_with, core_distribution_with,
    model_logits, pinned, pinned_survivors, reference_error, reference_with, strategies, support,
};

/// The distribution on every backend and at capacities 0, 3 and 64, which
/// must agree bit for bit; returned once.
fn dist(logits: &[f32], cfg: SamplerConfig, order: &[Stage]) -> Vec<f32> {
    let ctx = Context::default();
    let mut first: Option<Vec<f32>> = None;
    for &b in Backend::available() {
        for got in [
            core_distribution_with::<64>(logits, cfg, order, &ctx, b).unwrap(),
            core_distribution_with::<3>(logits, cfg, order, &ctx, b).unwrap(),
            core_distribution_with::<0>(logits, cfg, order, &ctx, b).unwrap(),
        ] {
            if let Some(f) = &first {
                assert_eq!(bits(f), bits(&got), "{b:?} or a capacity differs");
            }
            first = Some(got);
        }
    }
    first.unwrap()
}

fn bits(xs: &[f32]) -> Vec<u32> {
    xs.iter().map(|x| x.to_bits()).collect()
}

fn ln(probs: &[f32]) -> Vec<f32> {
    probs.iter().map(|p| p.ln()).collect()
}

fn assert_close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() < 1e-5, "{what}: token {i}: got {g}, want {w}");
    }
}

/// llama.cpp's `want` (the kept tokens' probabilities before any
/// renormalisation, listed per token id, 0 for removed ones), renormalised
/// as the draw sees them.
fn renormalised(want: &[f32]) -> Vec<f32> {
    let total: f32 = want.iter().sum();
    want.iter().map(|w| w / total).collect()
}

const PROBS: [f32; 4] = [0.1, 0.2, 0.3, 0.4];

#[test]
fn llama_cpp_typical() {
    // test_typical({0.97, 0.01, 0.01, 0.01}, {0.97}, 0.5) and
    // test_typical({0.4, 0.2, 0.2, 0.2}, {0.2, 0.2, 0.2}, 0.5).
    let cfg = |p| SamplerConfig {
        typical_p: p,
        ..SamplerConfig::default()
    };
    let got = dist(
        &ln(&[0.97, 0.01, 0.01, 0.01]),
        cfg(0.5),
        &Stage::DEFAULT_ORDER,
    );
    assert_close(&got, &[1.0, 0.0, 0.0, 0.0], "typical 0.5, peaked");
    let got = dist(&ln(&[0.4, 0.2, 0.2, 0.2]), cfg(0.5), &Stage::DEFAULT_ORDER);
    assert_close(
        &got,
        &renormalised(&[0.0, 0.2, 0.2, 0.2]),
        "typical 0.5, flat",
    );
}

#[test]
fn llama_cpp_top_n_sigma_mask_only() {
    // The 2026 mask-only expectations (n = 1, 0 (off) and 3), then `dist`.
    let cfg = |n| SamplerConfig {
        top_n_sigma: n,
        ..SamplerConfig::default()
    };
    let got = dist(&ln(&PROBS), cfg(1.0), &Stage::DEFAULT_ORDER);
    assert_close(&got, &[0.0, 0.0, 0.428571, 0.571429], "top-n-sigma 1");
    let got = dist(&ln(&PROBS), cfg(0.0), &Stage::DEFAULT_ORDER);
    assert_close(&got, &PROBS, "top-n-sigma 0 (off)");
    let got = dist(&ln(&PROBS), cfg(3.0), &Stage::DEFAULT_ORDER);
    assert_close(&got, &PROBS, "top-n-sigma 3");
}

#[test]
fn llama_cpp_xtc() {
    // test_xtc(probs, want, 0.99, t): the coin fires (as distribution_in_place shows).
    let cfg = |t| SamplerConfig {
        xtc_probability: 0.99,
        xtc_threshold: t,
        ..SamplerConfig::default()
    };
    let cases: [(f32, [f32; 4]); 4] = [
        (0.09, [0.0, 0.0, 0.0, 0.1]),
        (0.19, [0.0, 0.0, 0.2, 0.1]),
        (0.29, [0.0, 0.3, 0.2, 0.1]),
        (0.39, [0.4, 0.3, 0.2, 0.1]),
    ];
    // llama.cpp's probabilities are listed most likely first.
    let logits = ln(&[0.4, 0.3, 0.2, 0.1]);
    for (t, want) in cases {
        let got = dist(&logits, cfg(t), &Stage::DEFAULT_ORDER);
        assert_close(&got, &renormalised(&want), &format!("xtc {t}"));
    }
}

#[test]
fn llama_cpp_temp_ext() {
    // test_temp_ext(probs, probs, 1, 0, 1) and (probs, {0, 0, 0, 1}, 0, 0, 1).
    let cfg = |t| SamplerConfig {
        temperature: t,
        dynatemp_range: 0.0,
        dynatemp_exponent: 1.0,
        ..SamplerConfig::default()
    };
    assert_close(
        &dist(&ln(&PROBS), cfg(1.0), &Stage::DEFAULT_ORDER),
        &PROBS,
        "T 1",
    );
    let got = dist(&ln(&PROBS), cfg(0.0), &Stage::DEFAULT_ORDER);
    assert_close(&got, &[0.0, 0.0, 0.0, 1.0], "T 0");
}

#[test]
fn typical_ties_break_to_the_lowest_id_and_the_mass_must_exceed_p() {
    // Four equal logits: every distance is 0, so the order is by id, and each
    // token has mass exactly 1/4.
    let logits = [0.0f32; 4];
    let cfg = |p| SamplerConfig {
        typical_p: p,
        ..SamplerConfig::default()
    };
    // 0.5 is reached by two tokens but not exceeded: three stay.
    let got = dist(&logits, cfg(0.5), &Stage::DEFAULT_ORDER);
    assert_close(&got, &[1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0, 0.0], "p 0.5");
    let got = dist(&logits, cfg(0.5f32.next_down()), &Stage::DEFAULT_ORDER);
    assert_close(&got, &[0.5, 0.5, 0.0, 0.0], "p just below 0.5");
    let got = dist(&logits, cfg(0.0), &Stage::DEFAULT_ORDER);
    assert_close(&got, &[1.0, 0.0, 0.0, 0.0], "p 0");
    // min_keep 3 keeps a third token at p just below 0.5.
    let keep3 = SamplerConfig {
        min_keep: 3,
        ..cfg(0.5f32.next_down())
    };
    let got = dist(&logits, keep3, &Stage::DEFAULT_ORDER);
    assert_close(&got, &[1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0, 0.0], "min_keep 3");
}

#[test]
fn xtc_threshold_is_inclusive_and_keeps_the_last_of_equals() {
    let logits = [0.0f32; 4];
    let cfg = |t| SamplerConfig {
        xtc_probability: 1.0,
        xtc_threshold: t,
        ..SamplerConfig::default()
    };
    // Each p is exactly 1/4: all qualify at 0.25 and the least likely, among
    // equals the last (highest id), stays alone.
    let got = dist(&logits, cfg(0.25), &Stage::DEFAULT_ORDER);
    assert_close(&got, &[0.0, 0.0, 0.0, 1.0], "threshold 1/4");
    let got = dist(&logits, cfg(0.25f32.next_up()), &Stage::DEFAULT_ORDER);
    assert_close(&got, &[0.25; 4], "threshold just above 1/4");
    // min_keep: XTC acts only if it leaves that many.
    let keep2 = SamplerConfig {
        min_keep: 2,
        ..cfg(0.25)
    };
    assert_close(
        &dist(&logits, keep2, &Stage::DEFAULT_ORDER),
        &[0.25; 4],
        "min_keep 2",
    );
    // One qualifying token is not enough.
    let peaked = ln(&[0.7, 0.1, 0.1, 0.1]);
    let got = dist(&peaked, cfg(0.5), &Stage::DEFAULT_ORDER);
    assert_close(&got, &[0.7, 0.1, 0.1, 0.1], "one above the threshold");
}

#[test]
fn min_keep_extends_min_p_and_top_p() {
    let logits = ln(&PROBS);
    let cfg = SamplerConfig {
        min_p: 0.9,
        min_keep: 3,
        ..SamplerConfig::default()
    };
    let got = dist(&logits, cfg, &Stage::DEFAULT_ORDER);
    assert_close(
        &got,
        &[0.0, 2.0 / 9.0, 3.0 / 9.0, 4.0 / 9.0],
        "min-p 0.9, min_keep 3",
    );
    let cfg = SamplerConfig {
        top_p: 0.1,
        min_keep: 2,
        ..SamplerConfig::default()
    };
    let got = dist(&logits, cfg, &Stage::DEFAULT_ORDER);
    assert_close(
        &got,
        &[0.0, 0.0, 3.0 / 7.0, 4.0 / 7.0],
        "top-p 0.1, min_keep 2",
    );
    // min_keep beyond the vocabulary keeps everything.
    let cfg = SamplerConfig {
        top_p: 0.1,
        min_keep: 10,
        ..SamplerConfig::default()
    };
    assert_close(
        &dist(&logits, cfg, &Stage::DEFAULT_ORDER),
        &PROBS,
        "min_keep 10",
    );
}

#[test]
fn min_keep_is_a_floor_for_min_p_not_a_cap() {
    // min-p 0.4 of 0.3 is 0.12: four tokens pass, 0.1 does not. A min_keep
    // below, at or above four: four, four, five kept. Over the buffer (min-p
    // first) and over the scratch (after top-k 5 gathered the set).
    let probs = [0.25f32, 0.1, 0.3, 0.15, 0.2];
    let logits = ln(&probs);
    let kept = |n: usize| -> Vec<f32> {
        let mut p = probs;
        if n == 4 {
            p[1] = 0.0;
        }
        let total: f32 = p.iter().sum();
        p.iter().map(|x| x / total).collect()
    };
    for order in [
        &Stage::DEFAULT_ORDER[..],
        &[Stage::TopK, Stage::MinP, Stage::Temperature, Stage::TopP][..],
    ] {
        for (min_keep, n) in [(0, 4), (2, 4), (4, 4), (5, 5)] {
            let cfg = SamplerConfig {
                min_p: 0.4,
                top_k: 5,
                min_keep,
                ..SamplerConfig::default()
            };
            let what = format!("min_keep {min_keep}, order {order:?}");
            assert_close(&dist(&logits, cfg, order), &kept(n), &what);
        }
    }
}

#[test]
fn greedy_picks_the_first_maximum_among_the_survivors() {
    // Typical-p 0.5 drops token 0 (p 0.4); at temperature 0 after it (llama.cpp's
    // order) the greedy token is the first of the three 0.2s; before it, token 0.
    let logits = ln(&[0.4, 0.2, 0.2, 0.2]);
    let cfg = SamplerConfig {
        temperature: 0.0,
        typical_p: 0.5,
        ..SamplerConfig::default()
    };
    let got = dist(&logits, cfg, &Stage::LLAMA_CPP_ORDER);
    assert_close(&got, &[0.0, 1.0, 0.0, 0.0], "typical then greedy");
    let got = dist(&logits, cfg, &Stage::DEFAULT_ORDER);
    assert_close(&got, &[1.0, 0.0, 0.0, 0.0], "greedy then typical");
}

#[test]
fn top_n_sigma_ignores_minus_infinity_and_equal_logits() {
    let cfg = SamplerConfig {
        top_n_sigma: 1.0,
        ..SamplerConfig::default()
    };
    let mut logits = ln(&PROBS);
    logits.push(f32::NEG_INFINITY);
    let got = dist(&logits, cfg, &Stage::DEFAULT_ORDER);
    assert_close(&got, &[0.0, 0.0, 0.428571, 0.571429, 0.0], "-inf ignored");
    assert_close(
        &dist(&[2.0; 3], cfg, &Stage::DEFAULT_ORDER),
        &[1.0 / 3.0; 3],
        "sigma 0",
    );
}

#[test]
fn dynamic_temperature_follows_the_entropy() {
    // Uniform logits: H = ln n, so T = Tmax; the distribution stays uniform.
    // Peaked logits: T between the bounds, computed here in f64.
    let cfg = SamplerConfig {
        temperature: 1.0,
        dynatemp_range: 0.5,
        dynatemp_exponent: 2.0,
        ..SamplerConfig::default()
    };
    let logits = ln(&[0.7, 0.1, 0.1, 0.1]);
    let h: f64 = [0.7f64, 0.1, 0.1, 0.1].iter().map(|p| -p * p.ln()).sum();
    let t = 0.5 + (1.5 - 0.5) * (h / 4f64.ln()).powi(2);
    let w: Vec<f64> = [0.7f64, 0.1, 0.1, 0.1]
        .iter()
        .map(|p| p.powf(1.0 / t))
        .collect();
    let total: f64 = w.iter().sum();
    let want: Vec<f32> = w.iter().map(|x| (x / total) as f32).collect();
    assert_close(
        &dist(&logits, cfg, &Stage::DEFAULT_ORDER),
        &want,
        "dynamic T",
    );
    // Tmin = max(0, T0 - range) = 0 with exponent large: a near-zero entropy
    // share makes T tiny, i.e. nearly greedy, but never negative.
    let cold = SamplerConfig {
        temperature: 0.25,
        dynatemp_range: 0.5,
        dynatemp_exponent: 50.0,
        ..SamplerConfig::default()
    };
    let got = dist(&ln(&[0.97, 0.01, 0.01, 0.01]), cold, &Stage::DEFAULT_ORDER);
    assert_close(&got, &[1.0, 0.0, 0.0, 0.0], "T near 0");
}

#[test]
fn shape_config_errors_name_their_value() {
    let bad = [
        (
            SamplerConfig {
                typical_p: 1.5,
                ..SamplerConfig::default()
            },
            SampleError::InvalidTypicalP(1.5),
        ),
        (
            SamplerConfig {
                top_n_sigma: -1.0,
                ..SamplerConfig::default()
            },
            SampleError::InvalidTopNSigma(-1.0),
        ),
        (
            SamplerConfig {
                xtc_probability: 2.0,
                ..SamplerConfig::default()
            },
            SampleError::InvalidXtcProbability(2.0),
        ),
        (
            SamplerConfig {
                xtc_threshold: -0.1,
                ..SamplerConfig::default()
            },
            SampleError::InvalidXtcThreshold(-0.1),
        ),
        (
            SamplerConfig {
                temperature: f32::INFINITY,
                dynatemp_range: 0.5,
                ..SamplerConfig::default()
            },
            SampleError::InvalidDynatempRange(0.5),
        ),
        (
            // Tmax = T + range beyond the largest temperature.
            SamplerConfig {
                temperature: 0.5,
                dynatemp_range: SamplerConfig::MAX_TEMPERATURE.next_up(),
                ..SamplerConfig::default()
            },
            SampleError::InvalidDynatempRange(SamplerConfig::MAX_TEMPERATURE.next_up()),
        ),
        (
            SamplerConfig {
                dynatemp_exponent: f32::NAN,
                ..SamplerConfig::default()
            },
            SampleError::InvalidDynatempExponent(f32::NAN),
        ),
        (
            SamplerConfig {
                mirostat: Mirostat::V1 {
                    tau: 5.0,
                    eta: 0.1,
                    m: 0,
                },
                ..SamplerConfig::default()
            },
            SampleError::InvalidMirostat(Mirostat::V1 {
                tau: 5.0,
                eta: 0.1,
                m: 0,
            }),
        ),
        (
            SamplerConfig {
                mirostat: Mirostat::V2 {
                    tau: f32::NAN,
                    eta: 0.1,
                },
                ..SamplerConfig::default()
            },
            SampleError::InvalidMirostat(Mirostat::V2 {
                tau: f32::NAN,
                eta: 0.1,
            }),
        ),
    ];
    for (cfg, want) in bad {
        let got = Sampler::<8>::new(cfg).unwrap_err();
        // (NaN payloads: compare the messages.)
        assert_eq!(format!("{got}"), format!("{want}"));
        assert_eq!(
            sampler_tests::reference_config_error(&cfg).map(|e| format!("{e}")),
            Some(format!("{want}"))
        );
    }
    // Tmax = 2^41 is a valid temperature (the product T * range, 2^80, is not).
    let wide = SamplerConfig {
        temperature: 2f32.powi(40),
        dynatemp_range: 2f32.powi(40),
        ..SamplerConfig::default()
    };
    assert!(Sampler::<8>::new(wide).is_ok());
    assert_eq!(sampler_tests::reference_config_error(&wide), None);
    // A stage the configuration turns on must be in the order.
    let cfg = SamplerConfig {
        typical_p: 0.5,
        ..SamplerConfig::default()
    };
    let err = Sampler::<8>::new(cfg)
        .unwrap()
        .with_order(&[Stage::TopK])
        .unwrap_err();
    assert_eq!(err, SampleError::StageNotInOrder(Stage::Typical));
}

/// A generator that counts its outputs and returns them from a list (then 0).
struct Counted<'a> {
    outputs: &'a [u64],
    used: usize,
}

impl TryRng for Counted<'_> {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let v = self.outputs.get(self.used).copied().unwrap_or(0);
        self.used += 1;
        Ok(v)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        dst.fill(0);
        Ok(())
    }
}

#[test]
fn xtc_draws_one_coin_before_the_draw_and_fires_below_p() {
    // Four tokens of 1/4: when XTC fires only token 3 stays; when not, the
    // draw's uniform 0 picks token 0.
    let logits = [0.0f32; 4];
    let cfg = SamplerConfig {
        xtc_probability: 0.5,
        xtc_threshold: 0.25,
        ..SamplerConfig::default()
    };
    let half = 1u64 << 63; // top 24 bits = 2^23 = 0.5 * 2^24: not below, so no fire
    for (coin, fires) in [
        (half - 1, true),
        (half, false),
        (0, true),
        (u64::MAX, false),
    ] {
        let mut s: Sampler<8> = Sampler::new(cfg).unwrap();
        let mut rng = Counted {
            outputs: &[coin, 0],
            used: 0,
        };
        let token = s.sample(&mut logits.clone(), &mut rng).unwrap();
        assert_eq!(rng.used, 2, "coin then draw");
        assert_eq!(token, if fires { 3 } else { 0 }, "coin {coin:#x}");
    }
    // Without XTC, or with mirostat on (which replaces it), one output per call.
    for cfg in [
        SamplerConfig::default(),
        SamplerConfig {
            mirostat: Mirostat::V2 { tau: 5.0, eta: 0.1 },
            ..cfg
        },
    ] {
        let mut s: Sampler<8> = Sampler::new(cfg).unwrap();
        let mut rng = Counted {
            outputs: &[0],
            used: 0,
        };
        s.sample(&mut logits.clone(), &mut rng).unwrap();
        assert_eq!(rng.used, 1, "{cfg:?}");
    }
    // Greedy with XTC on still takes the coin (a fixed count per configuration);
    // an error takes nothing.
    let greedy = SamplerConfig {
        temperature: 0.0,
        ..cfg
    };
    let mut s: Sampler<8> = Sampler::new(greedy).unwrap();
    let mut rng = Counted {
        outputs: &[],
        used: 0,
    };
    s.sample(&mut logits.clone(), &mut rng).unwrap();
    assert_eq!(rng.used, 2);
    let mut nan = logits;
    nan[1] = f32::NAN;
    assert!(s.sample(&mut nan.clone(), &mut rng).is_err());
    assert_eq!(rng.used, 2);
}

/// Mirostat against the reference over many steps: each step's survivors
/// are those of the reference at the sampler's current `mu`, the token is
/// one of them, and `mu` moves by `eta (log2(W / w_token) - tau)` computed
/// from the reference's exact weights.
fn mirostat_trajectory(mirostat: Mirostat, temperature: f32) {
    let (tau, eta) = match mirostat {
        Mirostat::V1 { tau, eta, .. } | Mirostat::V2 { tau, eta } => (tau, eta),
        Mirostat::Off => unreachable!(),
    };
    let cfg = SamplerConfig {
        temperature,
        mirostat,
        ..SamplerConfig::llama_cpp()
    };
    for &b in Backend::available() {
        let mut s: Sampler<64> = Sampler::new(cfg).unwrap().with_backend(b).unwrap();
        let mut small: Sampler<0> = Sampler::new(cfg).unwrap().with_backend(b).unwrap();
        assert_eq!(s.mirostat_mu(), 2.0 * tau);
        let mut rng = Pcg32::seed_from_u64(7);
        let mut rng_small = Pcg32::seed_from_u64(7);
        let mut mu_ref = 2.0 * tau as f64;
        for step in 0..60u64 {
            let logits = model_logits(500, 2.0, 8, 4.0, step);
            let ctx = Context {
                mu: Some(s.mirostat_mu()),
                ..Context::default()
            };
            let exact =
                reference_with(&logits, &cfg, &Stage::DEFAULT_ORDER, &ctx, Slack::Exact).unwrap();
            let loose =
                reference_with(&logits, &cfg, &Stage::DEFAULT_ORDER, &ctx, Slack::Loose).unwrap();
            // distribution_in_place does not move mu.
            let mu = s.mirostat_mu();
            let mut buf = logits.clone();
            s.distribution_in_place(&mut buf).unwrap();
            assert_eq!(s.mirostat_mu(), mu);
            let token = s.sample(&mut logits.clone(), &mut rng).unwrap();
            let other = small.sample(&mut logits.clone(), &mut rng_small).unwrap();
            assert_eq!(token, other, "capacity 0 drew another token at step {step}");
            assert_eq!(s.mirostat_mu(), small.mirostat_mu());
            assert!(
                loose.iter().any(|p| p.0 == token),
                "step {step}: token {token} outside the reference's survivors"
            );
            // The reference's own update, from its exact weights when the
            // step's set is pinned.
            if exact.len() == loose.len() {
                let p = exact.iter().find(|p| p.0 == token).unwrap().1;
                mu_ref -= eta as f64 * (-p.log2() - tau as f64);
                assert!(
                    (s.mirostat_mu() as f64 - mu_ref).abs() < 1e-3,
                    "step {step}: mu {} vs reference {mu_ref}",
                    s.mirostat_mu()
                );
            } else {
                mu_ref = s.mirostat_mu() as f64;
            }
        }
        // reset() restarts mu.
        s.reset();
        assert_eq!(s.mirostat_mu(), 2.0 * tau);
    }
}

#[test]
fn mirostat_v2_tracks_the_reference() {
    mirostat_trajectory(Mirostat::V2 { tau: 5.0, eta: 0.1 }, 0.8);
    mirostat_trajectory(Mirostat::V2 { tau: 1.0, eta: 0.5 }, 1.0);
}

#[test]
fn mirostat_v1_tracks_the_reference() {
    mirostat_trajectory(
        Mirostat::V1 {
            tau: 5.0,
            eta: 0.1,
            m: 100,
        },
        0.8,
    );
    mirostat_trajectory(
        Mirostat::V1 {
            tau: 3.0,
            eta: 0.3,
            m: 2,
        },
        1.0,
    );
}

#[test]
fn mirostat_with_one_candidate_keeps_it_and_mu_rises_by_eta_tau() {
    // llama.cpp's float code gives NaN here (v1: no pairs to regress on).
    for mirostat in [
        Mirostat::V1 {
            tau: 5.0,
            eta: 0.1,
            m: 100,
        },
        Mirostat::V2 { tau: 5.0, eta: 0.1 },
    ] {
        let cfg = SamplerConfig {
            mirostat,
            ..SamplerConfig::default()
        };
        let mut s: Sampler<8> = Sampler::new(cfg).unwrap();
        let mut logits = [f32::NEG_INFINITY, 1.0, f32::NEG_INFINITY];
        let t = s.sample(&mut logits, &mut Pcg32::seed_from_u64(1)).unwrap();
        assert_eq!(t, 1);
        // Surprise 0: mu = 10 - 0.1 * (0 - 5) = 10.5.
        assert_eq!(s.mirostat_mu(), 10.5, "{mirostat:?}");
    }
}

/// Mirostat v1 when the regression's slope is exactly 1 (`e = 0`, where
/// llama.cpp's `k` divides 0 by 0): the limit `k = 2^mu / ln N`. The top two
/// logits differ by `ln 2` in `f32`, the first regression step's `t`, so
/// `s = t^2 / t^2 = 1` exactly; at `N = 8`, `mu = 2 tau = 3`:
/// `k = 8 / ln 8 = 3.85`, three tokens kept.
#[test]
fn mirostat_v1_at_slope_one_keeps_two_to_the_mu_over_ln_n() {
    let cfg = SamplerConfig {
        mirostat: Mirostat::V1 {
            tau: 1.5,
            eta: 0.1,
            m: 2,
        },
        ..SamplerConfig::default()
    };
    let logits = [
        core::f32::consts::LN_2,
        0.0,
        -1.0,
        -2.0,
        -3.0,
        -4.0,
        -5.0,
        -6.0,
    ];
    let got = dist(&logits, cfg, &Stage::DEFAULT_ORDER);
    let kept = support(&got);
    assert_eq!(kept, [0, 1, 2], "{got:?}");
}

/// Mirostat v1's top `m` logits, found by top-k's selection (whose kept
/// prefix is in no particular order) when `2 m` fits the capacity, or by a
/// heap otherwise: the regression needs them descending either way, so
/// `Sampler<64>` (selection) and `<3>`, `<0>` (heap) must agree. 60
/// distinct logits in scrambled order, m = 32: the selection partitions.
#[test]
fn mirostat_v1_sorts_its_top_m_whichever_path_finds_them() {
    let logits: Vec<f32> = (0..60u32)
        .map(|i| ((i * 37) % 60) as f32 * -0.173 + (i % 7) as f32 * 0.011)
        .collect();
    for tau in [1.0f32, 2.5, 4.0] {
        let cfg = SamplerConfig {
            mirostat: Mirostat::V1 {
                tau,
                eta: 0.1,
                m: 32,
            },
            ..SamplerConfig::default()
        };
        // `dist` asserts that every capacity and backend agree bit for bit.
        let got = dist(&logits, cfg, &Stage::DEFAULT_ORDER);
        let ctx = Context {
            mu: Some(2.0 * tau),
            ..Context::default()
        };
        check_against_reference_with(&logits, &cfg, &Stage::DEFAULT_ORDER, &ctx, &got)
            .unwrap_or_else(|e| panic!("tau {tau}: {e}"));
    }
}

/// Mirostat v2's cut `q >= ceil(Q 2^-mu)` at its exact edges (mu integral,
/// so `Q 2^-mu` is exact): a product of exactly `2^30` keeps every tied
/// maximum (it is not "beyond the maximum's mass"); a product of `1 + 2^-30`
/// needs a mass of 2, so a token of mass 1 (`s = -21`) is cut.
#[test]
fn mirostat_v2_cuts_at_the_ceiling_of_its_exact_product() {
    let v2 = |tau: f32| SamplerConfig {
        mirostat: Mirostat::V2 { tau, eta: 0.1 },
        ..SamplerConfig::default()
    };
    // Two maxima: Q = 2^31, mu = 1, need = 2^30: both stay.
    assert_eq!(
        dist(&[0.0, 0.0], v2(0.5), &Stage::DEFAULT_ORDER),
        [0.5, 0.5]
    );
    // Q = 2^30 + 1, mu = 30: need = ceil(1 + 2^-30) = 2 > 1.
    let got = dist(&[0.0, -21.0], v2(15.0), &Stage::DEFAULT_ORDER);
    assert_eq!(got, [1.0, 0.0]);
    // At mu = 31 the product is below 1: need 1, and the mass-1 token stays.
    let got = dist(&[0.0, -21.0], v2(15.5), &Stage::DEFAULT_ORDER);
    assert!(got[1] > 0.0, "{got:?}");
}

#[test]
fn llama_cpp_preset_is_llama_cpp_defaults() {
    let c = SamplerConfig::llama_cpp();
    assert_eq!(
        (c.temperature, c.top_k, c.top_p, c.min_p),
        (0.8, 40, 0.95, 0.05)
    );
    assert_eq!(
        (c.penalty_last_n, c.repeat_penalty, c.xtc_threshold),
        (64, 1.0, 0.1)
    );
    assert_eq!((c.frequency_penalty, c.presence_penalty), (0.0, 0.0));
    // DRY's window: 64 here (llama.cpp's -1 is the whole context).
    assert_eq!(
        (
            c.dry_penalty_last_n,
            c.dry_multiplier,
            c.dry_base,
            c.dry_allowed_length
        ),
        (64, 0.0, 1.75, 2)
    );
    assert_eq!((c.dynatemp_range, c.dynatemp_exponent), (0.0, 1.0));
    assert_eq!(
        (c.typical_p, c.top_n_sigma, c.xtc_probability, c.min_keep),
        (1.0, 0.0, 0.0, 0)
    );
    assert_eq!(c.mirostat, Mirostat::Off);
    let s: Sampler<256> = Sampler::new(c)
        .unwrap()
        .with_order(&Stage::LLAMA_CPP_ORDER)
        .unwrap();
    assert_eq!(s.order(), &Stage::LLAMA_CPP_ORDER);
    // llama.cpp's chain on model logits: top-k 40, top-p 0.95, min-p 0.05
    // (all at T = 1), then T = 0.8; the reference pins every survivor.
    let logits = model_logits(4_000, 2.5, 32, 6.0, 3);
    let got = dist(&logits, c, &Stage::LLAMA_CPP_ORDER);
    check_against_reference_with(
        &logits,
        &c,
        &Stage::LLAMA_CPP_ORDER,
        &Context::default(),
        &got,
    )
    .unwrap();
    assert!(got.iter().filter(|p| **p > 0.0).count() <= 40);
}

/// A configuration with the shape stages on as often as off.
fn shape_config() -> impl Strategy<Value = SamplerConfig> {
    (
        strategies::config(),
        prop_oneof![2 => Just(1.0f32), 1 => 0.0f32..1.0, 1 => Just(0.5)],
        prop_oneof![2 => Just(0.0f32), 1 => 0.0f32..3.0],
        prop_oneof![2 => Just(0.0f32), 1 => Just(1.0f32)],
        prop_oneof![1 => 0.0f32..0.6, 1 => Just(0.1f32)],
        prop_oneof![2 => Just(0.0f32), 1 => 0.0f32..2.0],
        prop_oneof![1 => Just(1.0f32), 1 => 0.0f32..3.0],
        prop_oneof![2 => Just(0usize), 1 => 0usize..6],
    )
        .prop_map(
            |(c, typical_p, top_n_sigma, xp, xt, range, exponent, min_keep)| SamplerConfig {
                typical_p,
                top_n_sigma,
                xtc_probability: xp,
                xtc_threshold: xt,
                // A range needs a finite temperature.
                dynatemp_range: if c.temperature.is_finite() {
                    range
                } else {
                    0.0
                },
                dynatemp_exponent: exponent,
                min_keep,
                ..c
            },
        )
}

/// The default order, llama.cpp's, or any permutation of the seven filters.
fn shape_order() -> impl Strategy<Value = Vec<Stage>> {
    let filters = vec![
        Stage::TopNSigma,
        Stage::Temperature,
        Stage::MinP,
        Stage::TopK,
        Stage::TopP,
        Stage::Typical,
        Stage::Xtc,
    ];
    prop_oneof![
        Just(Stage::DEFAULT_ORDER.to_vec()),
        Just(Stage::LLAMA_CPP_ORDER.to_vec()),
        Just(filters).prop_shuffle(),
    ]
}

proptest! {
    // At most as many borderline (skipped) cases as checked ones.
    #![proptest_config(ProptestConfig { max_local_rejects: 300, ..pinned(300) })]

    /// Every backend and capacity give the same bits and, when no decision
    /// is borderline (typical-p and XTC are not monotone, so borderline cases
    /// are skipped; proptest fails if too many are), the reference's set and
    /// probabilities.
    #[test]
    fn shape_stages_match_the_reference(
        logits in strategies::logits(1..300),
        cfg in shape_config(),
        order in shape_order(),
    ) {
        let ctx = Context::default();
        prop_assume!(reference_error(&logits, &cfg, &ctx).is_none());
        let got = dist(&logits, cfg, &order);
        let pinned = check_pinned_with(&logits, &cfg, &order, &ctx, &got)
            .map_err(TestCaseError::fail)?;
        prop_assume!(pinned);
    }

    /// Mirostat likewise, at a given mu.
    #[test]
    fn mirostat_matches_the_reference(
        logits in strategies::logits(1..300),
        base in strategies::config(),
        v1 in any::<bool>(),
        tau in 0.0f32..8.0,
        m in 1usize..=128,
    ) {
        let mirostat = if v1 { Mirostat::V1 { tau, eta: 0.1, m } } else { Mirostat::V2 { tau, eta: 0.1 } };
        let cfg = SamplerConfig { mirostat, ..base };
        let ctx = Context { mu: Some(2.0 * tau), ..Context::default() };
        prop_assume!(reference_error(&logits, &cfg, &ctx).is_none());
        let got = dist(&logits, cfg, &Stage::DEFAULT_ORDER);
        check_against_reference_with(&logits, &cfg, &Stage::DEFAULT_ORDER, &ctx, &got)
            .map_err(TestCaseError::fail)?;
    }

    /// `sample` draws the same token on every backend and capacity, from the
    /// reference's survivors (XTC's coin as it fell).
    #[test]
    fn shape_sample_is_the_same_everywhere(
        logits in strategies::logits(1..300),
        cfg in shape_config(),
        order in shape_order(),
        seed in any::<u64>(),
    ) {
        prop_assume!(reference_error(&logits, &cfg, &Context::default()).is_none());
        let draw = |b: Backend, small: bool| -> (u32, u64) {
            let mut rng = Pcg32::seed_from_u64(seed);
            let mut buf = logits.clone();
            let t = if small {
                Sampler::<0>::new(cfg).unwrap().with_order(&order).unwrap().with_backend(b).unwrap().sample(&mut buf, &mut rng)
            } else {
                Sampler::<64>::new(cfg).unwrap().with_order(&order).unwrap().with_backend(b).unwrap().sample(&mut buf, &mut rng)
            };
            (t.unwrap(), rng.next_u64())
        };
        let want = draw(Backend::Scalar, false);
        for &b in Backend::available() {
            prop_assert_eq!(draw(b, false), want);
            prop_assert_eq!(draw(b, true), want);
        }
        // The coin, if any, is the first output.
        let fires = if cfg.xtc_probability > 0.0 {
            let coin = Pcg32::seed_from_u64(seed).next_u64();
            ((coin >> 40) as f32) < cfg.xtc_probability * 16_777_216.0
        } else {
            true
        };
        let ctx = Context { xtc_idle: !fires, ..Context::default() };
        let Some(exact) = pinned_survivors(&logits, &cfg, &order, &ctx) else {
            return Err(TestCaseError::reject("borderline"));
        };
        prop_assert!(exact.contains(&want.0), "token {} outside {:?}", want.0, exact);
    }
}

/// Beyond one 1024-float chunk the statistics' sums (top-n-sigma's
/// deviation, the entropy of typical-p and dynamic temperature) are a
/// kernel's over the buffer and the same sums in id order over the scratch:
/// every capacity and backend must still agree bit for bit, and with the
/// reference.
#[test]
fn statistics_agree_across_paths_beyond_a_chunk() {
    let configs = [
        SamplerConfig {
            top_n_sigma: 1.0,
            ..SamplerConfig::default()
        },
        SamplerConfig {
            typical_p: 0.9,
            ..SamplerConfig::default()
        },
        SamplerConfig {
            typical_p: 0.5,
            min_keep: 3,
            temperature: 1.5,
            ..SamplerConfig::default()
        },
        SamplerConfig {
            dynatemp_range: 0.6,
            dynatemp_exponent: 1.5,
            temperature: 0.9,
            ..SamplerConfig::default()
        },
        SamplerConfig {
            xtc_probability: 1.0,
            xtc_threshold: 0.02,
            ..SamplerConfig::default()
        },
        SamplerConfig {
            mirostat: Mirostat::V2 { tau: 3.0, eta: 0.1 },
            ..SamplerConfig::default()
        },
    ];
    // Top-k first (keeping 3 000 of 5 000): `Sampler<8192>` holds its
    // survivors in the scratch, so the statistics are the id-order sums
    // there; `Sampler<64>` and `<0>` keep them in the buffer (the kernels).
    let top_k_first = [
        Stage::Penalties,
        Stage::Dry,
        Stage::TopK,
        Stage::TopNSigma,
        Stage::Temperature,
        Stage::MinP,
        Stage::TopP,
        Stage::Typical,
        Stage::Xtc,
    ];
    let cases = configs
        .iter()
        .map(|&c| (c, &Stage::DEFAULT_ORDER[..]))
        .chain(configs.iter().take(4).map(|&c| {
            let c = SamplerConfig { top_k: 3_000, ..c };
            (c, &top_k_first[..])
        }));
    let mut checked = 0;
    for (seed, (sigma, head, lift)) in [(2.5f32, 64usize, 8.0f32), (0.4, 0, 0.0), (3.0, 8, 12.0)]
        .into_iter()
        .enumerate()
    {
        let logits = model_logits(5_000, sigma, head, lift, seed as u64);
        for (cfg, order) in cases.clone() {
            let ctx = Context::default();
            let mut first: Option<Vec<f32>> = None;
            for &b in Backend::available() {
                for got in [
                    core_distribution_with::<8192>(&logits, cfg, order, &ctx, b).unwrap(),
                    core_distribution_with::<64>(&logits, cfg, order, &ctx, b).unwrap(),
                    core_distribution_with::<0>(&logits, cfg, order, &ctx, b).unwrap(),
                ] {
                    if let Some(f) = &first {
                        assert_eq!(bits(f), bits(&got), "{cfg:?} in {order:?} on {b:?}");
                    }
                    first = Some(got);
                }
            }
            let got = first.unwrap();
            let pinned = check_pinned_with(&logits, &cfg, order, &ctx, &got)
                .unwrap_or_else(|e| panic!("{cfg:?}: {e}"));
            if pinned {
                checked += 1;
            } else {
                eprintln!(
                    "borderline (not checked against the reference): {cfg:?} on input {seed}"
                );
            }
        }
    }
    // 5000 tokens pack the distances densely: a few cases sit within the
    // reference's slack of a cut; most must be decided.
    assert!(checked >= 25, "only {checked} of 30 cases pinned");
}

/// Typical-p's band prefilter (`Sampler<8192>`: the band `|s - s̄| <= w` is
/// gathered, then selected) must reach as far as the typical set does: here
/// 0.5 % of the mass sits 5 nats below s̄, beyond the first band, and p =
/// 0.997 needs part of it, so the band must widen. Against the streaming
/// path (`Sampler<0>`), bit for bit, and not against the reference.
#[test]
fn typical_band_widens_to_a_far_cluster() {
    let logits: Vec<f32> = (0..2_000u32)
        .map(|i| match i {
            0 => 0.0,
            1..=600 => -1.0 - i as f32 * 0.001,
            601..=1_500 => -6.0 - (i - 600) as f32 * 0.001,
            _ => -30.0,
        })
        .collect();
    for (typical_p, min_keep) in [(0.997f32, 0usize), (0.9995, 0), (0.99, 1_200)] {
        let cfg = SamplerConfig {
            typical_p,
            min_keep,
            ..SamplerConfig::default()
        };
        let ctx = Context::default();
        let order = &Stage::DEFAULT_ORDER;
        for &b in Backend::available() {
            let band = core_distribution_with::<8192>(&logits, cfg, order, &ctx, b).unwrap();
            let streamed = core_distribution_with::<0>(&logits, cfg, order, &ctx, b).unwrap();
            assert_eq!(bits(&band), bits(&streamed), "p {typical_p} on {b:?}");
            let kept = band[601..=1_500].iter().filter(|&&q| q > 0.0).count();
            assert!(
                kept > 0 && kept < 900,
                "p {typical_p}: {kept} of the far cluster"
            );
            // 1 500 close distances: the reference's slack cannot pin the
            // cut's exact token (borderline), but must not contradict it.
            check_pinned_with(&logits, &cfg, order, &ctx, &band)
                .unwrap_or_else(|e| panic!("p {typical_p}: {e}"));
        }
    }
}

#[test]
fn mirostat_replaces_the_other_stages_and_keeps_mu_finite() {
    // The other stages' fields are not applied, and the order need not list
    // them (only the temperature, which mirostat keeps).
    let cfg = SamplerConfig {
        mirostat: Mirostat::V2 { tau: 5.0, eta: 0.1 },
        repeat_penalty: 3.0,
        penalty_last_n: 4,
        top_k: 2,
        typical_p: 0.5,
        ..SamplerConfig::default()
    };
    let logits = model_logits(300, 2.0, 8, 4.0, 1);
    let mut s = Sampler::<64>::new(cfg).unwrap().with_order(&[]).unwrap();
    // A history the penalties would act on: the 4 most likely tokens.
    let mut ids: Vec<u32> = (0..300).collect();
    ids.sort_by(|&a, &b| logits[b as usize].total_cmp(&logits[a as usize]));
    for &t in &ids[..4] {
        s.accept(t);
    }
    let mut a = logits.clone();
    s.clone().distribution_in_place(&mut a).unwrap();
    let plain = SamplerConfig {
        mirostat: cfg.mirostat,
        ..SamplerConfig::default()
    };
    let mut b = logits.clone();
    Sampler::<64>::new(plain)
        .unwrap()
        .distribution_in_place(&mut b)
        .unwrap();
    assert_eq!(bits(&a), bits(&b));
    let hot = SamplerConfig {
        temperature: 0.7,
        ..cfg
    };
    assert_eq!(
        Sampler::<64>::new(hot)
            .unwrap()
            .with_order(&[])
            .unwrap_err(),
        SampleError::StageNotInOrder(Stage::Temperature)
    );
    // A huge eta cannot send mu to infinity.
    for eta in [3e38f32, 1e30] {
        let cfg = SamplerConfig {
            mirostat: Mirostat::V2 { tau: 1.0, eta },
            ..SamplerConfig::default()
        };
        let mut s: Sampler<64> = Sampler::new(cfg).unwrap();
        let mut rng = Pcg32::seed_from_u64(3);
        for _ in 0..4 {
            s.sample(&mut logits.clone(), &mut rng).unwrap();
            assert!(s.mirostat_mu().abs() <= 1024.0, "mu {}", s.mirostat_mu());
        }
    }
}

/// Found by fuzzing: deviations whose squares underflow `f32` made sigma 0,
/// and sigma 0 used to keep every survivor. The threshold is then the max:
/// only the max survives, as the exact (tiny) sigma with any `n` would give.
#[test]
fn top_n_sigma_with_an_underflowing_spread_keeps_the_max() {
    let cfg = SamplerConfig {
        top_n_sigma: 1.0,
        ..SamplerConfig::default()
    };
    let got = dist(&[-1.5e-26, 0.0, -1.5e-26], cfg, &Stage::DEFAULT_ORDER);
    assert_eq!(got, [0.0, 1.0, 0.0]);
}

/// Found in review: dynamic temperature's entropy sorts the scratch by id,
/// which left top-p's masses beside the candidates out of step; when the
/// dynamic T equalled top-p's (exponent 0 gives Tmax = 1 exactly), the draw
/// used them. Every capacity must draw the same token.
#[test]
fn dynamic_temperature_after_top_p_draws_like_every_capacity() {
    let cfg = SamplerConfig {
        temperature: 0.5,
        dynatemp_range: 0.5,
        dynatemp_exponent: 0.0,
        top_p: 0.95,
        ..SamplerConfig::default()
    };
    let logits = [0.0f32, 3.0, 1.0, 2.5, -1.0];
    let order = Stage::LLAMA_CPP_ORDER;
    let mut big: Sampler<256> = Sampler::new(cfg).unwrap().with_order(&order).unwrap();
    let mut small: Sampler<0> = Sampler::new(cfg).unwrap().with_order(&order).unwrap();
    let mut counts = [0u32; 5];
    for seed in 0..400 {
        let a = big
            .sample(&mut logits.clone(), &mut Pcg32::seed_from_u64(seed))
            .unwrap();
        let b = small
            .sample(&mut logits.clone(), &mut Pcg32::seed_from_u64(seed))
            .unwrap();
        assert_eq!(a, b, "seed {seed}");
        counts[a as usize] += 1;
    }
    // T = 1: p ∝ e^l over the nucleus {1, 3, 2}; token 2 about 9%, not 33%.
    assert!(counts[2] < 70, "{counts:?}");
}

#[test]
fn top_n_sigma_keeps_all_under_uniform_weights_and_overflowing_spreads() {
    // After temperature +inf every survivor is equally likely.
    let cfg = SamplerConfig {
        top_n_sigma: 0.5,
        temperature: f32::INFINITY,
        ..SamplerConfig::default()
    };
    let order = [Stage::Temperature, Stage::TopNSigma];
    assert_close(&dist(&ln(&PROBS), cfg, &order), &[0.25; 4], "T +inf");
    // Before it, the raw logits decide: max - 0.5 sigma keeps token 3 only.
    let before = [Stage::TopNSigma, Stage::Temperature];
    assert_close(
        &dist(&ln(&PROBS), cfg, &before),
        &[0.0, 0.0, 0.0, 1.0],
        "T +inf after",
    );
    // (l - max)^2 overflows f32: sigma is infinite, everything stays (the
    // exact sigma, 8.2e19, would keep token 0 alone). At T = 1e19 the others
    // keep a visible weight, e^-10 and e^-20.
    let cfg = SamplerConfig {
        top_n_sigma: 1.0,
        temperature: 1e19,
        ..SamplerConfig::default()
    };
    let got = dist(&[1e20, 0.0, -1e20], cfg, &Stage::DEFAULT_ORDER);
    assert!(got[1] > 0.0 && got[2] > 0.0, "{got:?}");
}

/// Found by fuzzing: top-n-sigma's sums sort the scratch by id even when they
/// keep everything (here: `(l - max)^2` overflows), which left top-p's
/// masses beside the candidates out of step for the draw.
#[test]
fn top_n_sigma_after_top_p_draws_like_every_capacity() {
    let cfg = SamplerConfig {
        temperature: 1e19,
        top_p: 0.1,
        min_keep: 3,
        top_n_sigma: 1.0,
        ..SamplerConfig::default()
    };
    let order = [Stage::Temperature, Stage::TopP, Stage::TopNSigma];
    // Rank order 1, 2, 0; weights 1, e^-5, e^-10.
    let logits = [0.0f32, 1e20, 5e19];
    let mut big: Sampler<64> = Sampler::new(cfg).unwrap().with_order(&order).unwrap();
    let mut small: Sampler<0> = Sampler::new(cfg).unwrap().with_order(&order).unwrap();
    let mut zeros = 0;
    for seed in 0..300 {
        let a = big
            .sample(&mut logits.clone(), &mut Pcg32::seed_from_u64(seed))
            .unwrap();
        let b = small
            .sample(&mut logits.clone(), &mut Pcg32::seed_from_u64(seed))
            .unwrap();
        assert_eq!(a, b, "seed {seed}");
        zeros += u32::from(a == 0);
    }
    assert!(zeros < 3, "token 0 (p = 4.5e-5) drawn {zeros} times in 300");
}

/// A dynamic temperature below `f32::MIN_POSITIVE` (here 0.84^560, about
/// 4e-43) is greedy, not a subnormal `1 / T` that overflows.
#[test]
fn a_subnormal_dynamic_temperature_is_greedy() {
    let cfg = SamplerConfig {
        temperature: 0.5,
        dynatemp_range: 0.5,
        dynatemp_exponent: 560.0,
        ..SamplerConfig::default()
    };
    // H / ln 2 of (0.73, 0.27) is about 0.84.
    let got = dist(&[1.0, 0.0], cfg, &Stage::DEFAULT_ORDER);
    assert_eq!(got, [1.0, 0.0]);
}

/// XTC's logit floor keeps its factor 2: a token of mass exactly the
/// threshold's, whose weight rounds up to it (99.7 / 2^30 -> mass 100), still
/// qualifies, so XTC removes the max and keeps it.
#[test]
fn xtc_counts_a_token_whose_mass_rounds_up_to_the_threshold() {
    let q = 99.7f64 / f64::from(1u32 << 30);
    let logits = [0.0f32, q.ln() as f32];
    let total = f64::from(1u32 << 30) + 100.0;
    let cfg = SamplerConfig {
        xtc_probability: 1.0,
        xtc_threshold: (99.5 / total) as f32,
        ..SamplerConfig::default()
    };
    let got = dist(&logits, cfg, &Stage::DEFAULT_ORDER);
    assert_eq!(got, [0.0, 1.0]);
}
