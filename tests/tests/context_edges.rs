//! The context stages' edges, pinned with small exact examples: every new
//! error (and that it leaves buffer, `top`, history and generator as they
//! were), the order rules, the maximum after rewrites that lower or raise
//! it, saturation, the mask's bits past the vocabulary, and the logprobs.

use logit_sampler::rand_core::{Rng, SeedableRng};
use logit_sampler::{
    Backend, Constraints, MAX_FINITE_BIAS, MAX_WINDOW, Pcg32, SampleError, Sampler, SamplerConfig,
    Stage, TokenLogprob,
};
use sampler_tests::{Context, Fixed, Slack, core_distribution_with, reference_with};

const D: SamplerConfig = SamplerConfig::DEFAULT;

fn new(cfg: SamplerConfig) -> Result<Sampler<16>, SampleError> {
    Sampler::new(cfg)
}

#[test]
fn every_new_config_error_names_its_value() {
    let cases = [
        (
            SamplerConfig {
                repeat_penalty: 0.0,
                ..D
            },
            SampleError::InvalidRepeatPenalty(0.0),
        ),
        (
            SamplerConfig {
                repeat_penalty: -1.0,
                ..D
            },
            SampleError::InvalidRepeatPenalty(-1.0),
        ),
        (
            SamplerConfig {
                repeat_penalty: f32::INFINITY,
                ..D
            },
            SampleError::InvalidRepeatPenalty(f32::INFINITY),
        ),
        (
            SamplerConfig {
                frequency_penalty: f32::NEG_INFINITY,
                ..D
            },
            SampleError::InvalidFrequencyPenalty(f32::NEG_INFINITY),
        ),
        (
            SamplerConfig {
                presence_penalty: f32::INFINITY,
                ..D
            },
            SampleError::InvalidPresencePenalty(f32::INFINITY),
        ),
        (
            SamplerConfig {
                dry_multiplier: -0.5,
                ..D
            },
            SampleError::InvalidDryMultiplier(-0.5),
        ),
        (
            SamplerConfig {
                dry_base: 0.99,
                ..D
            },
            SampleError::InvalidDryBase(0.99),
        ),
        (
            SamplerConfig {
                dry_base: f32::INFINITY,
                ..D
            },
            SampleError::InvalidDryBase(f32::INFINITY),
        ),
    ];
    for (cfg, want) in cases {
        assert_eq!(new(cfg).map(|_| ()), Err(want));
    }
    for nan in [
        SamplerConfig {
            repeat_penalty: f32::NAN,
            ..D
        },
        SamplerConfig {
            frequency_penalty: f32::NAN,
            ..D
        },
        SamplerConfig {
            presence_penalty: f32::NAN,
            ..D
        },
        SamplerConfig {
            dry_multiplier: f32::NAN,
            ..D
        },
        SamplerConfig {
            dry_base: f32::NAN,
            ..D
        },
    ] {
        assert!(new(nan).is_err(), "{nan:?}");
    }
    // Windows: up to HISTORY, not one more.
    let ok = SamplerConfig {
        penalty_last_n: 64,
        dry_penalty_last_n: 64,
        ..D
    };
    assert!(Sampler::<4, 64>::new(ok).is_ok());
    for cfg in [
        SamplerConfig {
            penalty_last_n: 65,
            ..D
        },
        SamplerConfig {
            dry_penalty_last_n: 65,
            ..D
        },
    ] {
        assert_eq!(
            Sampler::<4, 64>::new(cfg).map(|_| ()),
            Err(SampleError::WindowExceedsHistory {
                window: 65,
                history: 64
            })
        );
    }
    // A history beyond MAX_WINDOW (65 535) still caps the windows there:
    // the tallies index tokens with u16s, and a longer window is refused
    // rather than silently cut.
    assert_eq!(MAX_WINDOW, 65_535);
    for (window, want) in [
        (MAX_WINDOW, Ok(())),
        (
            MAX_WINDOW + 1,
            Err(SampleError::WindowExceedsHistory {
                window: MAX_WINDOW + 1,
                history: MAX_WINDOW,
            }),
        ),
    ] {
        for cfg in [
            SamplerConfig {
                penalty_last_n: window,
                ..D
            },
            SamplerConfig {
                dry_penalty_last_n: window,
                ..D
            },
        ] {
            let mut slot = Box::new(core::mem::MaybeUninit::<Sampler<0, 70_000>>::uninit());
            let got = Sampler::init(&mut slot, cfg).map(|_| ());
            assert_eq!(got, want, "window {window}");
        }
    }
}

#[test]
fn orders_name_configured_stages_once_context_first() {
    let pen = SamplerConfig {
        repeat_penalty: 1.1,
        penalty_last_n: 8,
        ..D
    };
    let filters = [Stage::Temperature, Stage::MinP, Stage::TopK, Stage::TopP];
    assert_eq!(
        new(pen).unwrap().with_order(&filters).map(|_| ()),
        Err(SampleError::StageNotInOrder(Stage::Penalties))
    );
    // Off stages may be left out; the empty order is fine for the default config.
    assert!(new(D).unwrap().with_order(&[]).is_ok());
    assert!(new(pen).unwrap().with_order(&[Stage::Penalties]).is_ok());
    let hot = SamplerConfig {
        temperature: 0.8,
        ..D
    };
    assert_eq!(
        new(hot).unwrap().with_order(&[Stage::TopK]).map(|_| ()),
        Err(SampleError::StageNotInOrder(Stage::Temperature))
    );
    for bad in [
        &[Stage::TopK, Stage::Penalties][..],
        &[Stage::Dry, Stage::Temperature, Stage::Dry],
        &[Stage::Penalties, Stage::Penalties],
    ] {
        assert_eq!(
            new(pen).unwrap().with_order(bad).map(|_| ()),
            Err(SampleError::InvalidStageOrder),
            "{bad:?}"
        );
    }
    let s = new(pen)
        .unwrap()
        .with_order(&[Stage::Dry, Stage::Penalties])
        .unwrap();
    assert_eq!(s.order(), [Stage::Dry, Stage::Penalties]);
}

/// A stage is on, and so must be in the order, exactly when it changes
/// something: the penalties need a window and a penalty that is not
/// neutral, DRY a window and a multiplier, the temperature stage `T != 1` or
/// a dynamic range, each filter a value that cuts. Windows alone (the
/// llama.cpp preset keeps both at 64 with everything neutral) or penalties
/// without a window need no place.
#[test]
fn stages_are_on_exactly_when_they_change_something() {
    let filters = [Stage::Temperature, Stage::MinP, Stage::TopK, Stage::TopP];
    let off = [
        SamplerConfig::llama_cpp(),
        SamplerConfig {
            repeat_penalty: 1.1,
            frequency_penalty: 0.1,
            presence_penalty: 0.2,
            penalty_last_n: 0,
            ..D
        },
        SamplerConfig {
            dry_multiplier: 0.8,
            dry_penalty_last_n: 0,
            ..D
        },
        SamplerConfig {
            penalty_last_n: 8,
            dry_penalty_last_n: 8,
            ..D
        },
    ];
    for cfg in off {
        assert!(new(cfg).unwrap().with_order(&filters).is_ok(), "{cfg:?}");
    }
    let on = [
        (
            SamplerConfig {
                repeat_penalty: 1.1,
                penalty_last_n: 1,
                ..D
            },
            Stage::Penalties,
        ),
        (
            SamplerConfig {
                frequency_penalty: 0.1,
                penalty_last_n: 1,
                ..D
            },
            Stage::Penalties,
        ),
        (
            SamplerConfig {
                presence_penalty: 0.2,
                penalty_last_n: 1,
                ..D
            },
            Stage::Penalties,
        ),
        (
            SamplerConfig {
                dry_multiplier: 0.8,
                dry_penalty_last_n: 1,
                ..D
            },
            Stage::Dry,
        ),
        (
            SamplerConfig {
                dynatemp_range: 0.5,
                ..D
            },
            Stage::Temperature,
        ),
    ];
    let shape = [
        (
            SamplerConfig {
                temperature: 0.8,
                ..D
            },
            Stage::Temperature,
        ),
        (SamplerConfig { min_p: 0.05, ..D }, Stage::MinP),
        (SamplerConfig { top_k: 40, ..D }, Stage::TopK),
        (SamplerConfig { top_p: 0.95, ..D }, Stage::TopP),
        (
            SamplerConfig {
                top_n_sigma: 1.0,
                ..D
            },
            Stage::TopNSigma,
        ),
        (
            SamplerConfig {
                typical_p: 0.95,
                ..D
            },
            Stage::Typical,
        ),
        (
            SamplerConfig {
                xtc_probability: 0.5,
                ..D
            },
            Stage::Xtc,
        ),
    ];
    // Every stage but the one the configuration turns on: refused; that
    // stage alone: accepted.
    for (cfg, stage) in on.into_iter().chain(shape) {
        let others: Vec<Stage> = Stage::DEFAULT_ORDER
            .into_iter()
            .filter(|&s| s != stage)
            .collect();
        assert_eq!(
            new(cfg).unwrap().with_order(&others).map(|_| ()),
            Err(SampleError::StageNotInOrder(stage)),
            "{cfg:?}"
        );
        assert!(new(cfg).unwrap().with_order(&[stage]).is_ok(), "{cfg:?}");
    }
}

#[test]
fn breakers_have_fixed_capacity() {
    let long = [1u32; 21];
    let ok20 = [1u32; 20];
    assert_eq!(
        new(D).unwrap().with_dry_breakers(&[&[5], &[]]).map(|_| ()),
        Err(SampleError::InvalidDryBreaker { index: 1, len: 0 })
    );
    assert_eq!(
        new(D).unwrap().with_dry_breakers(&[&long]).map(|_| ()),
        Err(SampleError::InvalidDryBreaker { index: 0, len: 21 })
    );
    assert!(
        new(D)
            .unwrap()
            .with_dry_breakers(&[&ok20, &ok20, &ok20, &[1, 2, 3, 4]])
            .is_ok()
    );
    assert_eq!(
        new(D)
            .unwrap()
            .with_dry_breakers(&[&ok20, &ok20, &ok20, &[1, 2, 3, 4, 5]])
            .map(|_| ()),
        Err(SampleError::CapacityExceeded {
            len: 65,
            capacity: 64
        })
    );
    let one: &[u32] = &[1];
    assert_eq!(
        new(D).unwrap().with_dry_breakers(&[one; 17]).map(|_| ()),
        Err(SampleError::CapacityExceeded {
            len: 17,
            capacity: 16
        })
    );
}

/// `sample_with`'s error for `logits` under `c`, after checking that it
/// wrote nothing, drew nothing and recorded nothing.
fn error_of(logits: &[f32], c: &Constraints) -> SampleError {
    let mut s = new(D).unwrap();
    s.accept(3);
    let mut buf = logits.to_vec();
    let mut rng = Pcg32::seed_from_u64(1);
    let sentinel = TokenLogprob {
        token: 9,
        logprob: 1.0,
    };
    let mut top = [sentinel; 3];
    let e = s.sample_with(&mut buf, &mut rng, c, &mut top).unwrap_err();
    assert_eq!(
        buf.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        logits.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        "buffer written before {e:?}"
    );
    assert_eq!(top, [sentinel; 3], "top written before {e:?}");
    assert_eq!(s.history().iter().collect::<Vec<_>>(), [3]);
    assert_eq!(
        rng.next_u64(),
        Pcg32::seed_from_u64(1).next_u64(),
        "randomness consumed"
    );
    // The distribution reports the same error, also without writing.
    let mut buf = logits.to_vec();
    let again = new(D)
        .unwrap()
        .distribution_in_place_with(&mut buf, c)
        .unwrap_err();
    assert_eq!(format!("{again:?}"), format!("{e:?}"));
    assert_eq!(
        buf.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        logits.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    e
}

#[test]
fn every_constraint_error_leaves_everything_untouched() {
    let logits = [1.0f32, f32::INFINITY, 2.0, -1.0];
    let bias = |b: &'static [(u32, f32)]| Constraints {
        logit_bias: b,
        allowed: None,
    };
    assert_eq!(
        error_of(&logits, &bias(&[(0, 1.0), (4, 1.0)])),
        SampleError::TokenOutOfRange { token: 4, vocab: 4 }
    );
    // (NaN != NaN: compare the variant's shape for that one.)
    assert!(matches!(
        error_of(&logits, &bias(&[(0, 1.0), (2, f32::NAN)])),
        SampleError::InvalidLogitBias { index: 1, bias } if bias.is_nan()
    ));
    assert_eq!(
        error_of(&logits, &bias(&[(2, f32::INFINITY)])),
        SampleError::InvalidLogitBias {
            index: 0,
            bias: f32::INFINITY
        }
    );
    let many: Vec<(u32, f32)> = (0..=MAX_FINITE_BIAS as u32).map(|i| (i % 4, 0.5)).collect();
    let c = Constraints {
        logit_bias: &many,
        allowed: None,
    };
    assert_eq!(
        error_of(&logits, &c),
        SampleError::CapacityExceeded {
            len: MAX_FINITE_BIAS + 1,
            capacity: MAX_FINITE_BIAS
        }
    );
    // Exactly the capacity is accepted.
    let c = Constraints {
        logit_bias: &many[..MAX_FINITE_BIAS],
        allowed: None,
    };
    let mut s = new(D).unwrap();
    assert!(
        s.sample_with(&mut logits.to_vec(), &mut Fixed(0), &c, &mut [])
            .is_ok()
    );
    // Bans do not count against the capacity.
    let mut bans = many.clone();
    bans.iter_mut().for_each(|b| b.1 = f32::NEG_INFINITY);
    bans.push((0, 1.0));
    let c = Constraints {
        logit_bias: &bans,
        allowed: None,
    };
    assert_eq!(error_of(&logits, &c), SampleError::NoTokenAllowed);
    // A 33-token vocabulary needs two mask words.
    let wide = [0.5f32; 33];
    let c = Constraints {
        logit_bias: &[],
        allowed: Some(&[u32::MAX]),
    };
    assert_eq!(
        error_of(&wide, &c),
        SampleError::MaskTooShort {
            words: 1,
            needed: 2
        }
    );
    // Nothing allowed; allowed only where the logit is -inf; the only allowed
    // tokens above -inf banned (the last: the banned max holder's neighbour
    // bit is set too, for a -inf token).
    for (mask, b) in [
        (0b0000u32, &[][..]),
        (0b1000, &[]),
        (0b0101, &[(0u32, f32::NEG_INFINITY), (2, f32::NEG_INFINITY)]),
        (0b1100, &[(2, f32::NEG_INFINITY)]),
    ] {
        let logits = [1.0f32, 2.0, 3.0, f32::NEG_INFINITY];
        let c = Constraints {
            logit_bias: b,
            allowed: Some(&[mask]),
        };
        assert_eq!(
            error_of(&logits, &c),
            SampleError::NoTokenAllowed,
            "{mask:b}"
        );
    }
    // Banning the max holder leaves the others: no error.
    let mut s = new(SamplerConfig::greedy()).unwrap();
    let c = Constraints {
        logit_bias: &[(2, f32::NEG_INFINITY)],
        allowed: None,
    };
    let got = s
        .sample_with(&mut [1.0, 2.0, 3.0], &mut Fixed(0), &c, &mut [])
        .unwrap();
    assert_eq!(got.token, 1);
    // Logit errors come first.
    let c = bias(&[(9, f32::NAN)]);
    assert_eq!(
        error_of(&[1.0, f32::NAN], &c),
        SampleError::NanLogit { index: 1 }
    );
    assert_eq!(error_of(&[], &c), SampleError::Empty);
}

/// The core's distribution under `ctx`, checked against the exact reference
/// (and equal to it on the set and within 1e-6 on every probability), at
/// capacities 0 and 16 (a mask written over the buffer) and 64 and 256 (its
/// allowed tokens gathered into the scratch, when they fit).
fn dist(logits: &[f32], cfg: SamplerConfig, ctx: &Context) -> Vec<f32> {
    let exact = reference_with(logits, &cfg, &Stage::DEFAULT_ORDER, ctx, Slack::Exact).unwrap();
    let mut first = None;
    for &b in Backend::available() {
        for got in [
            core_distribution_with::<0>(logits, cfg, &Stage::DEFAULT_ORDER, ctx, b).unwrap(),
            core_distribution_with::<16>(logits, cfg, &Stage::DEFAULT_ORDER, ctx, b).unwrap(),
            core_distribution_with::<64>(logits, cfg, &Stage::DEFAULT_ORDER, ctx, b).unwrap(),
            core_distribution_with::<256>(logits, cfg, &Stage::DEFAULT_ORDER, ctx, b).unwrap(),
        ] {
            let mut want = vec![0.0f64; logits.len()];
            for &(i, p) in &exact {
                want[i as usize] = p;
            }
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (*g as f64 - w).abs() < 1e-6,
                    "token {i}: {g} vs {w} ({b:?})"
                );
            }
            if first.is_none() {
                first = Some(got);
            }
        }
    }
    first.unwrap()
}

fn softmax(xs: &[f64]) -> Vec<f64> {
    let m = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = xs.iter().map(|x| (x - m).exp()).sum();
    xs.iter().map(|x| (x - m).exp() / z).collect()
}

#[test]
fn rewrites_that_lower_or_raise_the_max() {
    let pen = SamplerConfig {
        repeat_penalty: 2.0,
        penalty_last_n: 4,
        ..D
    };
    let ctx = |h: &'static [u32]| Context {
        history: h,
        ..Context::default()
    };
    // The max holder is penalised: 5 -> 2.5, the max becomes 4.
    let got = dist(&[5.0, 4.0, 0.0], pen, &ctx(&[0]));
    let want = softmax(&[2.5, 4.0, 0.0]);
    assert!((got[1] as f64 - want[1]).abs() < 1e-6 && got[1] > got[0]);
    // A tie at the max: one holder penalised, the other keeps it.
    dist(&[5.0, 5.0, 0.0], pen, &ctx(&[0]));
    // A negative logit is multiplied, a positive one divided; 0 stays.
    dist(&[-2.0, 2.0, 0.0, 1.0], pen, &ctx(&[0, 1, 2]));
    // A history token outside the vocabulary is ignored.
    dist(&[1.0, 2.0], pen, &ctx(&[99, 1]));
    // A bias raising a token above the max, and one banning the max.
    let c = |b: &'static [(u32, f32)]| Context {
        constraints: Constraints {
            logit_bias: b,
            allowed: None,
        },
        ..Context::default()
    };
    let got = dist(&[1.0, 2.0, 3.0], D, &c(&[(0, 5.0)]));
    assert!(got[0] > 0.9);
    let got = dist(
        &[3.0, 1.0, f32::NEG_INFINITY],
        D,
        &c(&[(0, f32::NEG_INFINITY)]),
    );
    assert_eq!(got, [0.0, 1.0, 0.0]);
    // Certain tokens: a finite bias keeps +inf certain; banning it frees the finite ones.
    let got = dist(&[f32::INFINITY, 1.0, 2.0], D, &c(&[(0, -5.0)]));
    assert_eq!(got, [1.0, 0.0, 0.0]);
    let got = dist(&[f32::INFINITY, 1.0, 2.0], D, &c(&[(0, f32::NEG_INFINITY)]));
    let want = softmax(&[1.0, 2.0]);
    assert!((got[2] as f64 - want[1]).abs() < 1e-6);
}

/// With constraints, the validation's scan leaves the history window's and
/// the bias's tokens out (they hold `-inf` while it runs) and adds their own
/// logits after it; the maximum after the rewrites is then taken from the
/// rest and their new logits, with no second scan. Pinned here: the errors
/// still name the first NaN wherever it is, "no candidates" still counts a
/// left-out token, the buffer comes back bit for bit (NaN payloads, `-0.0`),
/// and the maximum is right when the left-out tokens hold it, lose it, or
/// take it, and when a bias longer than the scratch makes the old way run
/// (each call's maximum is also checked against a full scan by a debug
/// assertion in the core).
#[test]
fn constrained_calls_leave_the_rewritten_tokens_out_of_their_scan() {
    let pen = SamplerConfig {
        repeat_penalty: 2.0,
        frequency_penalty: 0.5,
        penalty_last_n: 4,
        dry_multiplier: 1.0,
        dry_allowed_length: 1,
        dry_penalty_last_n: 4,
        ..D
    };
    let payload = f32::from_bits(0x7fc0_1234);
    // History 1, 2, 1, 2: tokens 1 and 2 are left out; token 3 is biased.
    let bias = [(3u32, 0.5f32)];
    let c = Constraints {
        logit_bias: &bias,
        allowed: None,
    };
    let inf = f32::NEG_INFINITY;
    for (logits, want) in [
        // A NaN only at a window token, or only at the biased one.
        (
            vec![1.0f32, payload, 3.0, 0.0],
            Some(SampleError::NanLogit { index: 1 }),
        ),
        (
            vec![1.0, 2.0, 3.0, payload],
            Some(SampleError::NanLogit { index: 3 }),
        ),
        // The first NaN is the left-out one, or the one the kernel sees.
        (
            vec![1.0, payload, 3.0, f32::NAN],
            Some(SampleError::NanLogit { index: 1 }),
        ),
        (
            vec![f32::NAN, 2.0, payload, 0.0],
            Some(SampleError::NanLogit { index: 0 }),
        ),
        // Every logit -inf, or every one but a left-out token's.
        (vec![inf; 4], Some(SampleError::NoCandidates)),
        (vec![inf, -0.0, inf, inf], None),
        (vec![inf, inf, inf, 7.0], None),
        // A longer vocabulary: NaNs at two left-out tokens (9 first in the
        // window's order, 5 the lower id) and one the kernel sees between
        // them; -0.0 at a left-out token, put back as it was.
        (
            {
                let mut v = vec![0.5f32; 12];
                v[9] = f32::NAN;
                v[7] = payload;
                v[5] = f32::NAN;
                v[1] = -0.0;
                v
            },
            Some(SampleError::NanLogit { index: 5 }),
        ),
        // The kernel's NaN first.
        (
            {
                let mut v = vec![-0.0f32; 12];
                v[9] = payload;
                v[4] = f32::NAN;
                v
            },
            Some(SampleError::NanLogit { index: 4 }),
        ),
    ] {
        for call in 0..3 {
            let mut s: Sampler<4> = Sampler::new(pen).unwrap();
            // The window newest last: 1, 2, 9, 5 (9 before 5 in its order).
            let history: &[u32] = if logits.len() > 4 {
                &[1, 2, 9, 5]
            } else {
                &[1, 2, 1, 2]
            };
            for &t in history {
                s.accept(t);
            }
            let mut buf = logits.clone();
            let mut rng = Pcg32::seed_from_u64(5);
            let got = match call {
                0 => s.sample_with(&mut buf, &mut rng, &c, &mut []).map(|_| ()),
                1 => s.sample_constrained(&mut buf, &mut rng, &c).map(|_| ()),
                _ => s.distribution_in_place_with(&mut buf, &c),
            };
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            match want {
                Some(e) => {
                    assert_eq!(got, Err(e), "call {call} on {logits:?}");
                    assert_eq!(bits(&buf), bits(&logits), "call {call}: {e:?}");
                    assert_eq!(s.history().iter().collect::<Vec<_>>(), history);
                    assert_eq!(
                        rng.next_u64(),
                        Pcg32::seed_from_u64(5).next_u64(),
                        "randomness consumed"
                    );
                }
                None => assert_eq!(got, Ok(()), "call {call} on {logits:?}"),
            }
        }
    }
    let ctx = |h: &'static [u32], b: &'static [(u32, f32)], m: Option<&'static [u32]>| Context {
        history: h,
        constraints: Constraints {
            logit_bias: b,
            allowed: m,
        },
        ..Context::default()
    };
    let pen = SamplerConfig {
        repeat_penalty: 2.0,
        penalty_last_n: 4,
        ..D
    };
    // The window's token holds the max and loses it (5 -> 2.5: 4 is the max),
    // under a bias elsewhere.
    let got = dist(&[5.0, 4.0, 0.0, 1.0], pen, &ctx(&[0], &[(3, 0.5)], None));
    assert!(got[1] > got[0]);
    // A biased token in the window takes the max (1 + 9 = 10, then / 2 = 5
    // over 4).
    dist(&[1.0, 4.0, 0.0, 3.0], pen, &ctx(&[0], &[(0, 9.0)], None));
    // A biased token outside the window takes it (1 + 9 = 10).
    let got = dist(&[1.0, 4.0, 0.0, 3.0], pen, &ctx(&[1], &[(0, 9.0)], None));
    assert!(got[0] > 0.99);
    // The same, and a ban on the rest's max holder (left out too: no second
    // scan).
    dist(
        &[1.0, 4.0, 0.0, 3.0],
        pen,
        &ctx(&[0], &[(0, 9.0), (1, f32::NEG_INFINITY)], None),
    );
    // A bias longer than the scratch (at capacities 0, 16 and 64; not at
    // 256): nothing left out, the penalised max holder found by a second
    // scan.
    let bans: &'static [(u32, f32)] =
        Box::leak(vec![(3u32, f32::NEG_INFINITY); 129].into_boxed_slice());
    let got = dist(&[5.0, 4.0, 0.0, 1.0], pen, &ctx(&[0], bans, None));
    assert!(got[1] > got[0] && got[3] == 0.0);
    // The largest logit is -0.0, at a window token; and every other one
    // below it.
    dist(
        &[-0.0, -1.0, -2.0, -3.0],
        pen,
        &ctx(&[0], &[(3, -0.5)], None),
    );
    // A mask that disallows the window's max holder. Small, it is gathered
    // at capacities 16 and up (and at 0 the bias does not fit the scratch:
    // nothing left out); over 40 tokens with 38 allowed, it is scanned with
    // the left-out tokens at capacity 16 and written over the buffer.
    dist(
        &[5.0, 4.0, 0.0, 1.0, 2.0],
        pen,
        &ctx(&[0, 4], &[(3, 0.5)], Some(&[0b1_1110])),
    );
    let wide: Vec<f32> = (0..40).map(|i| (i % 7) as f32 * 0.5).collect();
    let mut wide = wide;
    wide[0] = 9.0;
    wide[33] = 8.0;
    // Token 0 (the max, in the window) and token 35 disallowed; 33 (the next
    // largest, in the window too) allowed and penalised: 8 / 2 = 4.
    let mask: &'static [u32] = &[!1u32, !(1 << 3)];
    let got = dist(&wide, pen, &ctx(&[0, 33], &[(3, 0.5)], Some(mask)));
    assert_eq!(got[0], 0.0);
    assert_eq!(got[35], 0.0);
}

#[test]
fn penalties_and_bias_saturate_instead_of_overflowing() {
    let ctx = Context {
        history: &[0],
        ..Context::default()
    };
    // -3e38 * 10 would be -inf: it saturates at -f32::MAX (weight 0, still finite).
    let pen = SamplerConfig {
        repeat_penalty: 10.0,
        penalty_last_n: 1,
        ..D
    };
    assert_eq!(dist(&[-3e38, 0.0], pen, &ctx), [0.0, 1.0]);
    // A huge negative frequency penalty lifts a token to f32::MAX, not +inf.
    let lift = SamplerConfig {
        frequency_penalty: -3e38,
        presence_penalty: -3e38,
        penalty_last_n: 1,
        ..D
    };
    assert_eq!(dist(&[3e38, f32::MAX], lift, &ctx), [0.5, 0.5]);
    // A finite bias saturates too.
    let c = Context {
        constraints: Constraints {
            logit_bias: &[(0, 3e38)],
            allowed: None,
        },
        ..Context::default()
    };
    assert_eq!(dist(&[3e38, f32::MAX], D, &c), [0.5, 0.5]);
    // DRY's penalty past f32::MAX (2^200) saturates the logit at -f32::MAX.
    let dry = SamplerConfig {
        dry_multiplier: 1.0,
        dry_base: 2.0,
        dry_allowed_length: 0,
        dry_penalty_last_n: 64,
        ..D
    };
    let h: Vec<u32> = [0u32, 1].repeat(30);
    let ctx = Context {
        history: &h,
        ..Context::default()
    };
    let got = dist(&[0.0, 0.0, -1.0], dry, &ctx);
    assert!(got[0] == 0.0 && got[2] > 0.0, "{got:?}");
}

#[test]
fn mask_bits_past_the_vocabulary_are_ignored() {
    // 33 tokens: word 1 has one meaningful bit; the others set must not matter.
    let logits: Vec<f32> = (0..33).map(|i| i as f32 / 10.0).collect();
    let ctx = |m: &'static [u32]| Context {
        constraints: Constraints {
            logit_bias: &[],
            allowed: Some(m),
        },
        ..Context::default()
    };
    let a = dist(&logits, D, &ctx(&[0b1, 0b1]));
    let b = dist(&logits, D, &ctx(&[0b1, u32::MAX]));
    assert_eq!(a, b);
    assert!(a[0] > 0.0 && a[32] > 0.0 && a[1..32].iter().all(|p| *p == 0.0));
}

/// Every kind of mask word (all allowed, none, mixed, the partial last
/// word) over 100 tokens whose highest logits are the disallowed ones, with
/// a ban and a bias on top: only set bits survive, on the path that writes
/// the mask over the buffer and on the one that gathers its tokens.
#[test]
fn mask_words_of_every_kind_on_both_paths() {
    // Logits rise with the id, and odd ids are 3 nats up: the mask below
    // allows mostly even ids, so the best tokens are disallowed.
    let logits: Vec<f32> = (0..100)
        .map(|i| i as f32 / 40.0 + if i % 2 == 1 { 3.0 } else { 0.0 })
        .collect();
    let masks: [&'static [u32]; 3] = [
        // mixed, none, all, partial (tokens 96..100: 97 and 99 allowed)
        &[0x5555_5555, 0, u32::MAX, 0b1010],
        // all, mixed, mixed, partial with bits past the vocabulary
        &[u32::MAX, 0x0001_0001, 0x8000_0000, 0xFFFF_FFF1],
        // one token in a mixed word, the rest none
        &[0, 0, 0x0000_0100, 0],
    ];
    for mask in masks {
        let ctx = Context {
            constraints: Constraints {
                logit_bias: &[(64, f32::NEG_INFINITY), (2, 1.5)],
                allowed: Some(mask),
            },
            ..Context::default()
        };
        let cfg = SamplerConfig {
            temperature: 2.0,
            ..SamplerConfig::default()
        };
        let p = dist(&logits, cfg, &ctx);
        for (i, p) in p.iter().enumerate() {
            let allowed = mask[i / 32] >> (i % 32) & 1 == 1 && i != 64;
            assert_eq!(*p > 0.0, allowed, "token {i} under {mask:x?}: {p}");
        }
    }
}

#[test]
fn logprobs_report_the_model_and_the_draw() {
    let logits = [0.0f32, 1.0, 1.0, -2.0];
    let z: f64 = logits.iter().map(|&l| (l as f64).exp()).sum();
    let model = |i: usize| (logits[i] as f64 - z.ln()) as f32;
    let close = |a: f32, b: f32| (a - b).abs() < 1e-6;
    // Greedy: the first max, drawn with certainty.
    let mut s: Sampler<8> = Sampler::new(SamplerConfig::greedy()).unwrap();
    let mut top = [TokenLogprob::default(); 6];
    let got = s
        .sample_with(
            &mut logits.clone(),
            &mut Fixed(0),
            &Constraints::default(),
            &mut top,
        )
        .unwrap();
    assert_eq!((got.token, got.sampling_logprob), (1, 0.0));
    assert!(close(got.logprob, model(1)));
    // Top: descending, ties to the lowest id, slots past the vocabulary marked.
    let ids: Vec<u32> = top.iter().map(|t| t.token).collect();
    assert_eq!(ids, [1, 2, 0, 3, u32::MAX, u32::MAX]);
    assert!(close(top[2].logprob, model(0)) && top[5].logprob == f32::NEG_INFINITY);
    // Uniform (T = +inf) over four: ln 1/4.
    let mut s: Sampler<8> = Sampler::new(SamplerConfig {
        temperature: f32::INFINITY,
        ..D
    })
    .unwrap();
    let got = s
        .sample_with(
            &mut logits.clone(),
            &mut Fixed(0),
            &Constraints::default(),
            &mut [],
        )
        .unwrap();
    assert!(close(got.sampling_logprob, -(4f32.ln())), "{got:?}");
    // A token forced by the mask, biased and penalised: the model's logprob
    // is still that of the logits as passed.
    let cfg = SamplerConfig {
        repeat_penalty: 3.0,
        presence_penalty: 1.0,
        penalty_last_n: 4,
        ..D
    };
    let mut s: Sampler<8> = Sampler::new(cfg).unwrap();
    s.accept(3);
    let c = Constraints {
        logit_bias: &[(3, 2.5), (0, -1.0)],
        allowed: Some(&[0b1000]),
    };
    let got = s
        .sample_with(&mut logits.clone(), &mut Fixed(u64::MAX), &c, &mut [])
        .unwrap();
    assert_eq!(got.token, 3);
    assert!(close(got.logprob, model(3)), "{got:?} vs {}", model(3));
    assert_eq!(got.sampling_logprob, 0.0);
    assert_eq!(s.history().iter().collect::<Vec<_>>(), [3, 3]);
}

#[test]
fn history_records_draws_keeps_the_last_history_and_resets() {
    let cfg = SamplerConfig {
        frequency_penalty: 1.0,
        penalty_last_n: 4,
        ..D
    };
    let mut s: Sampler<8, 4> = Sampler::new(cfg).unwrap();
    for t in 0..6 {
        s.accept(t);
    }
    assert_eq!(s.history().iter().collect::<Vec<_>>(), [2, 3, 4, 5]);
    assert!(!s.history().is_empty() && s.history().len() == 4);
    let token = s.sample(&mut [0.0, 0.0, 0.0], &mut Fixed(0)).unwrap();
    assert_eq!(s.history().recent(), Some(token));
    // Tokens 0 and 1 fell out of the window: only token 2 of the three is penalised.
    let mut buf = [0.0f32; 3];
    s.reset();
    assert!(s.history().is_empty());
    for t in [2, 3, 4, 5] {
        s.accept(t);
    }
    s.distribution_in_place(&mut buf).unwrap();
    assert!(buf[0] == buf[1] && buf[2] < buf[0], "{buf:?}");
}

#[test]
fn sample_restores_rewritten_logits_when_the_scan_fails() {
    // Without constraints `sample` rewrites the history's logits first and
    // scans after: a NaN elsewhere must still leave the buffer as it was.
    let cfg = SamplerConfig {
        repeat_penalty: 2.0,
        frequency_penalty: 0.5,
        penalty_last_n: 8,
        dry_multiplier: 1.0,
        dry_allowed_length: 1,
        dry_penalty_last_n: 8,
        ..D
    };
    for (logits, want) in [
        (
            vec![1.0f32, 2.0, 3.0, f32::NAN],
            SampleError::NanLogit { index: 3 },
        ),
        (
            vec![f32::NAN, 2.0, 3.0, 1.0],
            SampleError::NanLogit { index: 0 },
        ),
        (
            vec![1.0, f32::NAN, 3.0, f32::NAN],
            SampleError::NanLogit { index: 1 },
        ),
        (vec![f32::NEG_INFINITY; 4], SampleError::NoCandidates),
    ] {
        let mut s: Sampler<4> = Sampler::new(cfg).unwrap();
        for t in [1, 2, 1, 2, 1] {
            s.accept(t);
        }
        let mut buf = logits.clone();
        let mut rng = Pcg32::seed_from_u64(5);
        assert_eq!(s.sample(&mut buf, &mut rng), Err(want));
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&buf), bits(&logits), "{want:?}");
        assert_eq!(s.distribution_in_place(&mut buf), Err(want));
        assert_eq!(bits(&buf), bits(&logits), "{want:?}");
        assert_eq!(s.history().len(), 5);
        assert_eq!(rng.next_u64(), Pcg32::seed_from_u64(5).next_u64());
    }
}

#[test]
fn sampler_size_is_scratch_plus_history_plus_a_constant() {
    use core::mem::size_of;
    let constant = size_of::<Sampler<0, 128>>() - 4 * 128;
    assert_eq!(size_of::<Sampler<256, 128>>(), 8 * 256 + 4 * 128 + constant);
    assert_eq!(size_of::<Sampler<1024, 64>>(), 8 * 1024 + 4 * 64 + constant);
    // The constant: configuration (with the shape stages' fields), order,
    // backend, the ring's cursor, mirostat's mu, top-k's warm-start gap and
    // the DRY breakers (64 token ids).
    assert!(constant <= 448, "{constant} bytes");
    println!("Sampler<CAP, HISTORY> = 8 CAP + 4 HISTORY + {constant} bytes");
}

/// The top slice for every length up to 40 over vocabularies of 5 to 300
/// tokens (several of the gather's 64-token buffers), with ties: the best
/// tokens, descending, ties to the lowest id, on every backend. Pins the
/// heap that keeps them (the parent of a pushed slot, the rising gather
/// threshold once the heap is full).
#[test]
fn top_slice_is_the_best_tokens_for_every_length() {
    for n in [5usize, 17, 70, 300] {
        // Hashed values on a coarse grid: many ties, no order by id.
        let logits: Vec<f32> = (0..n as u32)
            .map(|i| ((i.wrapping_mul(0x9E37_79B9) >> 24) % 23) as f32 * 0.5)
            .collect();
        let mut best: Vec<u32> = (0..n as u32).collect();
        best.sort_by(|&a, &b| {
            logits[b as usize]
                .total_cmp(&logits[a as usize])
                .then(a.cmp(&b))
        });
        for &backend in Backend::available() {
            for len in 0..=40usize.min(n) {
                let got = top_tokens(&logits, backend, len);
                assert_eq!(got, best[..len], "{backend:?} n {n} top {len}");
            }
        }
    }
    // The heap fills with ids 0..3 inside the first 64-token gather, its
    // last push the worst; ids 3..64 are worse still, so its worst stays
    // 1.0 and token 64 (5.0, in the next gather) must replace it.
    let mut logits = vec![0.0f32; 100];
    logits[..3].copy_from_slice(&[10.0, 10.0, 1.0]);
    logits[64] = 5.0;
    for &backend in Backend::available() {
        assert_eq!(top_tokens(&logits, backend, 3), [0, 1, 64], "{backend:?}");
    }
}

/// The tokens of `sample_with`'s top slice of length `len` over `logits`.
fn top_tokens(logits: &[f32], backend: Backend, len: usize) -> Vec<u32> {
    let mut s = new(D).unwrap().with_backend(backend).unwrap();
    let mut top = vec![TokenLogprob::default(); len];
    s.sample_with(
        &mut logits.to_vec(),
        &mut Fixed(0),
        &Constraints::default(),
        &mut top,
    )
    .unwrap();
    top.iter().map(|t| t.token).collect()
}

/// A sparse mask's tokens are gathered into the scratch while the call is
/// validated; a token the bias then bans must leave that set, not stay as a
/// candidate of logit `-inf`: top-n-sigma's mean and deviation over the
/// survivors would be `-inf` and NaN. Allowed 0-3 of 64, token 3 (the
/// largest) banned: the survivors 2, 1, 0 have mean 1 and deviation
/// `sqrt(2/3) = 0.82`, so `n = 1` keeps the logits above `1.18`: token 0.
#[test]
fn a_banned_token_leaves_the_gathered_mask_candidates() {
    let mut logits = [-1.0f32; 64];
    logits[..4].copy_from_slice(&[2.0, 1.0, 0.0, 5.0]);
    let mask = [0b1111u32, 0];
    let bias = [(3u32, f32::NEG_INFINITY)];
    let ctx = Context {
        constraints: Constraints {
            logit_bias: &bias,
            allowed: Some(&mask),
        },
        ..Context::default()
    };
    let cfg = SamplerConfig {
        top_n_sigma: 1.0,
        ..D
    };
    let order = Stage::DEFAULT_ORDER;
    let ids = |slack| -> Vec<u32> {
        let d = reference_with(&logits, &cfg, &order, &ctx, slack).unwrap();
        d.iter().map(|p| p.0).collect()
    };
    assert_eq!(ids(Slack::Strict), [0]);
    assert_eq!(ids(Slack::Loose), [0]);
    for &b in Backend::available() {
        let d = core_distribution_with::<16>(&logits, cfg, &order, &ctx, b).unwrap();
        let mut want = [0.0f32; 64];
        want[0] = 1.0;
        assert_eq!(d, want, "{b:?}");
    }
}

/// The gathered mask's shortcut (its candidates are not scanned again when no
/// bias or history token among them changed): a penalised history token
/// outside the mask that holds the overall max leaves the allowed tokens'
/// distribution, and a bias of 0 on an allowed token (which takes the full
/// path) gives the same distribution, on every capacity and backend.
#[test]
fn gathered_masks_with_rewrites_outside_them_or_unchanged() {
    let mut logits = vec![-2.0f32; 40];
    logits[..6].copy_from_slice(&[9.0, 1.0, 3.0, 0.5, 2.0, -1.0]);
    let mask = [0b11_1110u32, 0]; // tokens 1..=5
    let pen = SamplerConfig {
        repeat_penalty: 1.5,
        penalty_last_n: 4,
        ..D
    };
    let outside = Context {
        history: &[0, 0],
        constraints: Constraints {
            logit_bias: &[],
            allowed: Some(&mask),
        },
        ..Context::default()
    };
    let got = dist(&logits, pen, &outside);
    let want = softmax(&[1.0, 3.0, 0.5, 2.0, -1.0]);
    for (i, w) in want.iter().enumerate() {
        assert!((got[i + 1] as f64 - w).abs() < 1e-6, "token {}", i + 1);
    }
    assert!(got[0] == 0.0 && got[6..].iter().all(|&p| p == 0.0));
    let bias = [(2u32, 0.0f32)];
    let unchanged = Context {
        constraints: Constraints {
            logit_bias: &bias,
            allowed: Some(&mask),
        },
        ..outside
    };
    assert_eq!(dist(&logits, pen, &unchanged), got);
}
