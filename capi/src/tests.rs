//! The C API called from Rust: the generator against rand_pcg, every status
//! against the core's errors, and the pointer checks. The C programs in
//! `tests/` check the same from C, against numbers the Rust API computes.

use core::ffi::CStr;
use core::mem::MaybeUninit;
use core::ptr::{null, null_mut};

use logit_sampler::rand_core::{Rng, SeedableRng};
use logit_sampler::{Backend, Mirostat, Pcg32, SampleError, Sampler, SamplerConfig, Stage};

use crate::status::status_text;
use crate::*;

const SEEDS: [u64; 6] = [0, 1, 42, 0xdead_beef, u64::MAX, 1 << 63];

fn seeded(seed: u64) -> LsRng {
    let mut rng = MaybeUninit::<LsRng>::uninit();
    // SAFETY: a valid out-pointer.
    let status = unsafe { ls_rng_seed(rng.as_mut_ptr(), seed) };
    assert_eq!(status, LsStatus::LS_OK);
    // SAFETY: initialised by `ls_rng_seed`.
    unsafe { rng.assume_init() }
}

fn next(rng: &mut LsRng) -> u64 {
    let mut word = 0;
    // SAFETY: valid pointers.
    assert_eq!(unsafe { ls_rng_next_u64(rng, &mut word) }, LsStatus::LS_OK);
    word
}

#[test]
fn seeded_generator_is_rand_pcg_seed_from_u64() {
    for seed in SEEDS {
        let mut ours = seeded(seed);
        let mut theirs = Pcg32::seed_from_u64(seed);
        for _ in 0..1000 {
            assert_eq!(next(&mut ours), theirs.next_u64(), "seed {seed}");
        }
    }
}

#[test]
fn stream_generator_is_rand_pcg_new_and_u32_words_match() {
    for (state, stream) in [
        (0, 0),
        (0xcafe_f00d_d15e_a5e5, 0xa02_bdbf_7bb3_c0a7),
        (7, u64::MAX),
    ] {
        let mut ours = MaybeUninit::<LsRng>::uninit();
        // SAFETY: a valid out-pointer.
        unsafe { ls_rng_pcg32(ours.as_mut_ptr(), state, stream) };
        // SAFETY: initialised above.
        let mut ours = unsafe { ours.assume_init() };
        let mut theirs = Pcg32::new(state, stream);
        // SAFETY: no callback.
        let mut source = unsafe { ours.source() };
        for _ in 0..1000 {
            assert_eq!(source.next_u32(), theirs.next_u32());
            assert_eq!(source.next_u64(), theirs.next_u64());
        }
    }
}

unsafe extern "C" fn counter(context: *mut core::ffi::c_void) -> u64 {
    // SAFETY: the tests pass a pointer to a live u64.
    let n = unsafe { &mut *context.cast::<u64>() };
    *n += 1;
    n.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[test]
fn callback_generator_is_called_once_per_word() {
    let mut count = 0u64;
    let mut rng = seeded(3);
    // SAFETY: `counter` reads a live u64.
    let status = unsafe { ls_rng_callback(&mut rng, Some(counter), (&raw mut count).cast()) };
    assert_eq!(status, LsStatus::LS_OK);
    assert_eq!(next(&mut rng), 0x9e37_79b9_7f4a_7c15);
    assert_eq!(count, 1);
    // SAFETY: a NULL callback is reported, not stored.
    let status = unsafe { ls_rng_callback(&mut rng, None, null_mut()) };
    assert_eq!(status, LsStatus::LS_NULL_POINTER);
    assert_eq!(next(&mut rng), 2u64.wrapping_mul(0x9e37_79b9_7f4a_7c15));
}

/// Every error the core can return, one per variant (the list to extend when
/// the core grows one: `LsError::from` then needs a new status).
fn every_sample_error() -> [SampleError; 32] {
    [
        SampleError::Empty,
        SampleError::TooLong { len: 5 },
        SampleError::NanLogit { index: 3 },
        SampleError::NoCandidates,
        SampleError::InvalidTemperature(-1.0),
        SampleError::InvalidMinP(2.0),
        SampleError::InvalidTopP(0.0),
        SampleError::InvalidStageOrder,
        SampleError::InvalidWeight { index: 4 },
        SampleError::ZeroTotalWeight,
        SampleError::InvalidUniform(1.0),
        SampleError::CapacityExceeded {
            len: 9,
            capacity: 8,
        },
        SampleError::BackendUnavailable(Backend::Neon),
        SampleError::StageNotInOrder(Stage::Dry),
        SampleError::InvalidRepeatPenalty(0.0),
        SampleError::InvalidFrequencyPenalty(f32::NAN),
        SampleError::InvalidPresencePenalty(f32::INFINITY),
        SampleError::InvalidDryMultiplier(-1.0),
        SampleError::InvalidDryBase(0.5),
        SampleError::WindowExceedsHistory {
            window: 300,
            history: 256,
        },
        SampleError::InvalidDryBreaker { index: 2, len: 0 },
        SampleError::TokenOutOfRange {
            token: 70,
            vocab: 64,
        },
        SampleError::InvalidLogitBias {
            index: 1,
            bias: f32::INFINITY,
        },
        SampleError::MaskTooShort {
            words: 1,
            needed: 2,
        },
        SampleError::NoTokenAllowed,
        SampleError::InvalidTypicalP(1.5),
        SampleError::InvalidTopNSigma(-1.0),
        SampleError::InvalidXtcProbability(2.0),
        SampleError::InvalidXtcThreshold(-0.5),
        SampleError::InvalidDynatempRange(f32::NAN),
        SampleError::InvalidDynatempExponent(-1.0),
        SampleError::InvalidMirostat(Mirostat::V2 {
            tau: -1.0,
            eta: 0.1,
        }),
    ]
}

#[test]
fn each_core_error_has_its_own_status_and_text() {
    let mut seen = Vec::new();
    for e in every_sample_error() {
        let status = LsError::from(e).status;
        assert_ne!(status, LsStatus::LS_UNKNOWN_ERROR, "{e:?}");
        assert!((status as u32) < 64, "{e:?}: core errors are 1 to 63");
        assert!(!seen.contains(&status), "{e:?} shares {status:?}");
        seen.push(status);
    }
    let texts: Vec<&CStr> = (0..=255).map(status_text).collect();
    let known: Vec<&CStr> = texts
        .iter()
        .copied()
        .filter(|t| *t != c"unknown status")
        .collect();
    // The 32 core errors, LS_OK, and the boundary's five.
    assert_eq!(known.len(), 32 + 1 + 5);
    for (i, t) in known.iter().enumerate() {
        assert!(!known[..i].contains(t), "{t:?} twice");
    }
}

#[test]
fn error_detail_carries_index_value_and_backend() {
    let e = LsError::from(SampleError::NanLogit { index: 7 });
    assert_eq!((e.status, e.index), (LsStatus::LS_NAN_LOGIT, 7));
    let e = LsError::from(SampleError::InvalidTopP(1.5));
    assert_eq!((e.status, e.value), (LsStatus::LS_INVALID_TOP_P, 1.5));
    let e = LsError::from(SampleError::CapacityExceeded {
        len: 9,
        capacity: 8,
    });
    assert_eq!((e.len, e.capacity), (9, 8));
    let e = LsError::from(SampleError::BackendUnavailable(Backend::Avx512));
    assert_eq!(e.backend, LsBackend::Avx512 as u32);
    let e = LsError::from(SampleError::StageNotInOrder(Stage::Penalties));
    assert_eq!(e.stage, LsStage::Penalties as u32);
    let e = LsError::from(SampleError::WindowExceedsHistory {
        window: 300,
        history: 256,
    });
    assert_eq!((e.len, e.capacity), (300, 256));
    let e = LsError::from(SampleError::InvalidDryBreaker { index: 2, len: 21 });
    assert_eq!((e.index, e.len), (2, 21));
    let e = LsError::from(SampleError::TokenOutOfRange {
        token: 70,
        vocab: 64,
    });
    assert_eq!((e.token, e.len), (70, 64));
    let e = LsError::from(SampleError::InvalidLogitBias {
        index: 3,
        bias: f32::INFINITY,
    });
    assert_eq!((e.index, e.value), (3, f32::INFINITY));
    let e = LsError::from(SampleError::MaskTooShort {
        words: 1,
        needed: 2,
    });
    assert_eq!((e.len, e.capacity), (1, 2));
    for (error, status, value) in [
        (
            SampleError::InvalidTypicalP(1.5),
            LsStatus::LS_INVALID_TYPICAL_P,
            1.5,
        ),
        (
            SampleError::InvalidTopNSigma(-1.0),
            LsStatus::LS_INVALID_TOP_N_SIGMA,
            -1.0,
        ),
        (
            SampleError::InvalidXtcProbability(2.0),
            LsStatus::LS_INVALID_XTC_PROBABILITY,
            2.0,
        ),
        (
            SampleError::InvalidXtcThreshold(-0.5),
            LsStatus::LS_INVALID_XTC_THRESHOLD,
            -0.5,
        ),
        (
            SampleError::InvalidDynatempRange(f32::INFINITY),
            LsStatus::LS_INVALID_DYNATEMP_RANGE,
            f32::INFINITY,
        ),
        (
            SampleError::InvalidDynatempExponent(-2.0),
            LsStatus::LS_INVALID_DYNATEMP_EXPONENT,
            -2.0,
        ),
    ] {
        let e = LsError::from(error);
        assert_eq!((e.status, e.value), (status, value), "{error:?}");
    }
    // Mirostat: the version in `index`, the first bad of tau and eta in
    // `value`, version 1's m in `len`.
    let e = LsError::from(SampleError::InvalidMirostat(Mirostat::V2 {
        tau: -1.0,
        eta: 0.1,
    }));
    assert_eq!(
        (e.status, e.index, e.value, e.len),
        (LsStatus::LS_INVALID_MIROSTAT, 2, -1.0, 0)
    );
    let e = LsError::from(SampleError::InvalidMirostat(Mirostat::V1 {
        tau: 5.0,
        eta: f32::INFINITY,
        m: 100,
    }));
    assert_eq!((e.index, e.value, e.len), (1, f32::INFINITY, 100));
    let e = LsError::from(SampleError::InvalidMirostat(Mirostat::V1 {
        tau: 5.0,
        eta: 0.1,
        m: 0,
    }));
    assert_eq!((e.index, e.len), (1, 0));
}

fn config(temperature: f32, min_p: f32, top_k: usize, top_p: f32) -> LsConfig {
    let mut cfg = MaybeUninit::<LsConfig>::uninit();
    // SAFETY: a valid out-pointer.
    unsafe { ls_config_default(cfg.as_mut_ptr()) };
    // SAFETY: initialised above.
    let mut cfg = unsafe { cfg.assume_init() };
    cfg.temperature = temperature;
    cfg.min_p = min_p;
    cfg.top_k = top_k;
    cfg.top_p = top_p;
    cfg
}

fn init(storage: &mut LsSamplerStorage, cfg: &LsConfig) -> Result<*mut LsSampler, LsError> {
    let mut sampler = null_mut();
    let mut err = MaybeUninit::uninit();
    // SAFETY: valid, non-overlapping pointers.
    let status = unsafe {
        ls_sampler_init_ex(
            (storage as *mut LsSamplerStorage).cast(),
            size_of::<LsSamplerStorage>(),
            cfg,
            &mut sampler,
            err.as_mut_ptr(),
        )
    };
    // SAFETY: `ls_sampler_init` always writes a non-NULL `err`.
    let err = unsafe { err.assume_init() };
    assert_eq!(err.status, status);
    if status == LsStatus::LS_OK {
        Ok(sampler)
    } else {
        Err(err)
    }
}

fn storage() -> Box<LsSamplerStorage> {
    Box::new(LsSamplerStorage {
        words: [0; LS_SAMPLER_STORAGE_WORDS],
    })
}

fn logits(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Pcg32::seed_from_u64(seed);
    (0..n)
        .map(|_| (rng.next_u32() >> 8) as f32 / (1 << 24) as f32 * 12.0 - 6.0)
        .collect()
}

#[test]
fn tokens_equal_the_rust_api_on_every_backend() {
    let order = [Stage::TopK, Stage::Temperature, Stage::TopP, Stage::MinP];
    for (n, t, m, k, p) in [
        (50, 0.8, 0.05, 40, 0.95),
        (3000, 1.0, 0.0, 0, 0.99),
        (3000, 1.3, 0.0, 2000, 1.0),
        (100, 0.0, 0.0, 0, 1.0),
    ] {
        for custom_order in [false, true] {
            let mut cfg = config(t, m, k, p);
            let rust_cfg = SamplerConfig {
                temperature: t,
                min_p: m,
                top_k: k,
                top_p: p,
                ..SamplerConfig::default()
            };
            let mut rust: Sampler<64> = Sampler::new(rust_cfg).unwrap();
            if custom_order {
                cfg = LsConfig::from_core(cfg.sampler_config().unwrap(), &order);
                rust = rust.with_order(&order).unwrap();
            }
            let mut mem = storage();
            let sampler = init(&mut mem, &cfg).unwrap();
            for &backend in Backend::available() {
                // SAFETY: a sampler from `init`.
                let status = unsafe {
                    ls_sampler_set_backend(sampler, LsBackend::from_core(backend) as u32)
                };
                assert_eq!(status, LsStatus::LS_OK);
                let mut ours = seeded(9);
                let mut theirs = Pcg32::seed_from_u64(9);
                for draw in 0..20u64 {
                    let xs = logits(n, draw);
                    let mut buf = xs.clone();
                    let mut token = u32::MAX;
                    // SAFETY: valid, non-overlapping pointers.
                    let status =
                        unsafe { ls_sample(sampler, buf.as_mut_ptr(), n, &mut ours, &mut token) };
                    assert_eq!(status, LsStatus::LS_OK);
                    let expected = rust.sample(&mut xs.clone(), &mut theirs).unwrap();
                    assert_eq!(token, expected, "{backend:?} n {n} draw {draw}");
                }
            }
        }
    }
}

#[test]
fn bad_input_leaves_everything_untouched() {
    let mut mem = storage();
    let sampler = init(&mut mem, &config(0.7, 0.0, 10, 0.9)).unwrap();
    let mut rng = seeded(5);
    let before = rng;
    let mut xs = logits(40, 1);
    xs[17] = f32::NAN;
    let original: Vec<u32> = xs.iter().map(|x| x.to_bits()).collect();
    let mut token = 12345;
    // SAFETY: valid, non-overlapping pointers.
    let status = unsafe { ls_sample(sampler, xs.as_mut_ptr(), xs.len(), &mut rng, &mut token) };
    assert_eq!(status, LsStatus::LS_NAN_LOGIT);
    assert_eq!(token, 12345);
    assert_eq!((rng.state, rng.increment), (before.state, before.increment));
    assert_eq!(xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), original);
    let mut err = MaybeUninit::uninit();
    // SAFETY: valid pointers.
    unsafe { ls_sampler_last_error(sampler, err.as_mut_ptr()) };
    // SAFETY: written above.
    let err = unsafe { err.assume_init() };
    assert_eq!((err.status, err.index), (LsStatus::LS_NAN_LOGIT, 17));
}

#[test]
fn pointers_are_checked_in_argument_order() {
    let mut mem = storage();
    let sampler = init(&mut mem, &config(1.0, 0.0, 0, 1.0)).unwrap();
    let mut rng = seeded(5);
    let mut xs = [1.0f32, 2.0, 3.0];
    let mut token = 0;
    let last = |s| {
        let mut err = MaybeUninit::uninit();
        // SAFETY: valid pointers.
        unsafe { ls_sampler_last_error(s, err.as_mut_ptr()) };
        // SAFETY: written above.
        let err: LsError = unsafe { err.assume_init() };
        (err.status, err.argument)
    };
    // SAFETY: each call has one NULL or misaligned pointer, the rest valid.
    unsafe {
        assert_eq!(
            ls_sample(null_mut(), xs.as_mut_ptr(), 3, &mut rng, &mut token),
            LsStatus::LS_NULL_POINTER
        );
        ls_sample(sampler, null_mut(), 3, &mut rng, &mut token);
        assert_eq!(last(sampler), (LsStatus::LS_NULL_POINTER, 2));
        ls_sample(sampler, xs.as_mut_ptr(), 3, null_mut(), &mut token);
        assert_eq!(last(sampler), (LsStatus::LS_NULL_POINTER, 4));
        ls_sample(sampler, xs.as_mut_ptr(), 3, &mut rng, null_mut());
        assert_eq!(last(sampler), (LsStatus::LS_NULL_POINTER, 5));
        let misaligned = xs.as_mut_ptr().cast::<u8>().add(1).cast::<f32>();
        ls_sample(sampler, misaligned, 2, &mut rng, &mut token);
        assert_eq!(last(sampler), (LsStatus::LS_BAD_ALIGNMENT, 2));
        // A length beyond u32: refused before any slice is made.
        ls_sample(sampler, xs.as_mut_ptr(), usize::MAX, &mut rng, &mut token);
        assert_eq!(last(sampler).0, LsStatus::LS_TOO_LONG);
        assert_eq!(
            ls_sampler_init_ex(null_mut(), 0, null(), null_mut(), null_mut()),
            LsStatus::LS_NULL_POINTER
        );
    }
    assert_eq!(token, 0);
}

#[test]
fn storage_holds_a_sampler() {
    assert!(ls_sampler_size() <= size_of::<LsSamplerStorage>());
    assert!(ls_sampler_align() <= align_of::<LsSamplerStorage>());
    assert!(ls_sampler_size() >= 8 * LS_SAMPLER_CAPACITY);
}

#[test]
fn version_is_the_crate_version() {
    // SAFETY: a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(ls_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

fn last_error(sampler: *const LsSampler) -> LsError {
    let mut err = MaybeUninit::uninit();
    // SAFETY: valid pointers.
    unsafe { ls_sampler_last_error(sampler, err.as_mut_ptr()) };
    // SAFETY: written above.
    unsafe { err.assume_init() }
}

fn history(sampler: *const LsSampler) -> Vec<u32> {
    let mut out = [0u32; LS_HISTORY];
    let mut len = usize::MAX;
    // SAFETY: valid, non-overlapping pointers.
    let status = unsafe { ls_sampler_history(sampler, out.as_mut_ptr(), out.len(), &mut len) };
    assert_eq!(status, LsStatus::LS_OK);
    out[..len].to_vec()
}

/// A configuration with every context stage on, as C and as Rust.
fn context_config() -> (LsConfig, SamplerConfig) {
    let rust = SamplerConfig {
        temperature: 0.9,
        top_k: 50,
        repeat_penalty: 1.3,
        frequency_penalty: 0.2,
        presence_penalty: 0.1,
        penalty_last_n: 32,
        dry_multiplier: 0.8,
        dry_penalty_last_n: LS_HISTORY,
        ..SamplerConfig::default()
    };
    (LsConfig::from_core(rust, &Stage::DEFAULT_ORDER), rust)
}

#[test]
fn sample_with_equals_the_rust_api_on_every_backend() {
    let (cfg, rust_cfg) = context_config();
    let breakers: [&[u32]; 2] = [&[7], &[11, 12]];
    let n: usize = 300;
    // Allow the even tokens and a few odd ones; bias, ban and boost some.
    let mut mask = vec![0x5555_5555u32; n.div_ceil(32)];
    mask[2] |= 0xff00;
    let bias = [
        LsLogitBias {
            token: 4,
            bias: -f32::INFINITY,
        },
        LsLogitBias {
            token: 10,
            bias: 3.0,
        },
        LsLogitBias {
            token: 10,
            bias: -0.5,
        },
        LsLogitBias {
            token: 72,
            bias: 2.0,
        },
    ];
    let constraints = LsConstraints {
        logit_bias: bias.as_ptr(),
        logit_bias_len: bias.len(),
        allowed: mask.as_ptr(),
        allowed_words: mask.len(),
    };
    let tuples: Vec<(u32, f32)> = bias.iter().map(|b| (b.token, b.bias)).collect();
    let rust_constraints = logit_sampler::Constraints {
        logit_bias: &tuples,
        allowed: Some(&mask),
    };
    for &backend in Backend::available() {
        let mut mem = storage();
        let sampler = init(&mut mem, &cfg).unwrap();
        let mut rust: Sampler<64, LS_HISTORY> = Sampler::new(rust_cfg)
            .and_then(|s| s.with_dry_breakers(&breakers))
            .and_then(|s| s.with_backend(backend))
            .unwrap();
        let lens = breakers.map(<[u32]>::len);
        let flat: Vec<u32> = breakers.concat();
        // SAFETY: valid pointers: 2 breakers of lens' lengths.
        unsafe {
            assert_eq!(
                ls_sampler_set_backend(sampler, LsBackend::from_core(backend) as u32),
                LsStatus::LS_OK
            );
            assert_eq!(
                ls_sampler_set_dry_breakers(sampler, flat.as_ptr(), lens.as_ptr(), 2),
                LsStatus::LS_OK
            );
        }
        // A prompt that repeats, so that the penalties and DRY have work.
        for t in [1u32, 2, 3, 10, 1, 2, 3, 10, 1, 2] {
            // SAFETY: a sampler from `init`.
            assert_eq!(unsafe { ls_accept(sampler, t) }, LsStatus::LS_OK);
            rust.accept(t);
        }
        let mut ours = seeded(21);
        let mut theirs = Pcg32::seed_from_u64(21);
        for draw in 0..24u64 {
            let xs = logits(n, draw);
            let mut buf = xs.clone();
            let mut top = [LsTokenLogprob {
                token: 0,
                logprob: 0.0,
            }; 6];
            let mut out = MaybeUninit::<LsSampled>::uninit();
            let use_constraints = draw % 3 != 0;
            // SAFETY: valid, non-overlapping pointers.
            let status = unsafe {
                ls_sample_with(
                    sampler,
                    buf.as_mut_ptr(),
                    n,
                    &mut ours,
                    if use_constraints {
                        &constraints
                    } else {
                        null()
                    },
                    top.as_mut_ptr(),
                    top.len(),
                    out.as_mut_ptr(),
                )
            };
            assert_eq!(status, LsStatus::LS_OK, "{:?}", last_error(sampler));
            // SAFETY: written on success.
            let out = unsafe { out.assume_init() };
            let mut rust_top = [logit_sampler::TokenLogprob::default(); 6];
            let none = logit_sampler::Constraints::default();
            let expected = rust
                .sample_with(
                    &mut xs.clone(),
                    &mut theirs,
                    if use_constraints {
                        &rust_constraints
                    } else {
                        &none
                    },
                    &mut rust_top,
                )
                .unwrap();
            assert_eq!(out.token, expected.token, "{backend:?} draw {draw}");
            assert_eq!(out.logprob.to_bits(), expected.logprob.to_bits());
            assert_eq!(
                out.sampling_logprob.to_bits(),
                expected.sampling_logprob.to_bits()
            );
            for (a, b) in top.iter().zip(&rust_top) {
                assert_eq!(
                    (a.token, a.logprob.to_bits()),
                    (b.token, b.logprob.to_bits())
                );
            }
        }
        let rust_history: Vec<u32> = rust.history().iter().collect();
        assert_eq!(history(sampler), rust_history);
        // The distribution under the same constraints and history.
        let xs = logits(n, 99);
        let mut buf = xs.clone();
        // SAFETY: valid pointers.
        let status =
            unsafe { ls_distribution_in_place_with(sampler, buf.as_mut_ptr(), n, &constraints) };
        assert_eq!(status, LsStatus::LS_OK);
        let mut expected = xs.clone();
        rust.distribution_in_place_with(&mut expected, &rust_constraints)
            .unwrap();
        assert_eq!(
            buf.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            expected.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn failed_calls_leave_the_history_and_breakers_as_they_were() {
    let (cfg, _) = context_config();
    let mut mem = storage();
    let sampler = init(&mut mem, &cfg).unwrap();
    for t in [5u32, 6, 7, 5, 6] {
        // SAFETY: a sampler from `init`.
        unsafe { ls_accept(sampler, t) };
    }
    let one = [7u32];
    let one_len = [1usize];
    // SAFETY: valid pointers.
    unsafe { ls_sampler_set_dry_breakers(sampler, one.as_ptr(), one_len.as_ptr(), 1) };
    let xs = logits(40, 3);
    let distribution = |s| {
        let mut buf = xs.clone();
        // SAFETY: valid pointers.
        let status = unsafe { ls_distribution_in_place(s, buf.as_mut_ptr(), buf.len()) };
        assert_eq!(status, LsStatus::LS_OK);
        buf
    };
    let before = distribution(sampler);
    let tokens = [1u32; 30];
    // SAFETY: each call's arrays hold what their lengths say.
    unsafe {
        let lens = [1usize, 0];
        let status = ls_sampler_set_dry_breakers(sampler, tokens.as_ptr(), lens.as_ptr(), 2);
        assert_eq!(status, LsStatus::LS_INVALID_DRY_BREAKER);
        assert_eq!((last_error(sampler).index, last_error(sampler).len), (1, 0));
        let lens = [21usize];
        let status = ls_sampler_set_dry_breakers(sampler, tokens.as_ptr(), lens.as_ptr(), 1);
        assert_eq!(status, LsStatus::LS_INVALID_DRY_BREAKER);
        let lens = [1usize; 17];
        let status = ls_sampler_set_dry_breakers(sampler, tokens.as_ptr(), lens.as_ptr(), 17);
        assert_eq!(status, LsStatus::LS_CAPACITY_EXCEEDED);
        assert_eq!(last_error(sampler).capacity, LS_MAX_DRY_BREAKERS);
        let lens = [usize::MAX, 2];
        let status = ls_sampler_set_dry_breakers(sampler, tokens.as_ptr(), lens.as_ptr(), 2);
        assert_eq!(status, LsStatus::LS_TOO_LONG);
        let status = ls_sampler_set_dry_breakers(sampler, null(), one_len.as_ptr(), 1);
        assert_eq!(status, LsStatus::LS_NULL_POINTER);
        assert_eq!(last_error(sampler).argument, 2);
    }
    assert_eq!(history(sampler), [5, 6, 7, 5, 6]);
    assert_eq!(distribution(sampler), before);
    // Clearing the breakers changes what DRY penalises; resetting the
    // history leaves no penalty at all.
    // SAFETY: NULL arrays of length 0.
    let status = unsafe { ls_sampler_set_dry_breakers(sampler, null(), null(), 0) };
    assert_eq!(status, LsStatus::LS_OK);
    assert_ne!(distribution(sampler), before);
    // SAFETY: a sampler from `init`.
    assert_eq!(unsafe { ls_reset(sampler) }, LsStatus::LS_OK);
    assert_eq!(history(sampler), []);
    let mut plain = xs.clone();
    logit_sampler::Sampler::<64>::new(SamplerConfig {
        temperature: 0.9,
        top_k: 50,
        ..SamplerConfig::default()
    })
    .unwrap()
    .distribution_in_place(&mut plain)
    .unwrap();
    assert_eq!(distribution(sampler), plain);
}

#[test]
fn config_round_trips_with_its_order() {
    let mut cfg = config(0.7, 0.0, 5, 1.0);
    cfg.repeat_penalty = 1.1;
    cfg.penalty_last_n = 16;
    cfg.order = [4, 2, 0, 99, 99, 99, 99, 99, 99];
    cfg.order_len = 3;
    let mut mem = storage();
    let sampler = init(&mut mem, &cfg).unwrap();
    let mut back = MaybeUninit::uninit();
    // SAFETY: valid pointers.
    unsafe { ls_sampler_config(sampler, back.as_mut_ptr()) };
    // SAFETY: written above.
    let back = unsafe { back.assume_init() };
    assert_eq!(back.order_len, 3);
    assert_eq!(back.order, [4, 2, 0, 9, 9, 9, 9, 9, 9]);
    assert_eq!(back.sampler_config(), cfg.sampler_config());
    let mut buf = [Stage::Temperature; LS_STAGE_COUNT];
    assert_eq!(
        back.stage_order(&mut buf).unwrap(),
        [Stage::Penalties, Stage::TopK, Stage::Temperature]
    );
    // A llama.cpp preset is a valid config with llama.cpp's order.
    let mut llama = MaybeUninit::uninit();
    // SAFETY: a valid out-pointer.
    let status = unsafe { ls_config_llama_cpp(llama.as_mut_ptr()) };
    assert_eq!(status, LsStatus::LS_OK);
    // SAFETY: written above.
    let llama = unsafe { llama.assume_init() };
    assert!(init(&mut mem, &llama).is_ok());
    assert_eq!(
        (llama.temperature, llama.top_k, llama.penalty_last_n),
        (0.8, 40, 64)
    );
    assert_eq!(llama.order, [4, 5, 6, 2, 7, 3, 1, 8, 0]);
    assert_eq!(llama.order_len, 9);
    assert_eq!(llama.sampler_config(), Ok(SamplerConfig::llama_cpp()));
}

/// `ls_config` with every shape stage on, the stages in llama.cpp's order.
fn shape_config(mirostat: u32) -> LsConfig {
    let mut cfg = config(0.9, 0.02, 60, 0.97);
    cfg.typical_p = 0.95;
    cfg.top_n_sigma = 2.5;
    cfg.xtc_probability = 0.4;
    cfg.xtc_threshold = 0.05;
    cfg.dynatemp_range = 0.3;
    cfg.dynatemp_exponent = 1.25;
    cfg.min_keep = 3;
    cfg.mirostat = mirostat;
    cfg.mirostat_tau = 4.0;
    cfg.mirostat_eta = 0.2;
    cfg.mirostat_m = if mirostat == 2 { 100 } else { 50 };
    cfg.order = Stage::LLAMA_CPP_ORDER.map(|s| LsStage::from_core(s) as u32);
    cfg
}

#[test]
fn shape_stage_fields_round_trip() {
    for mirostat in [0, 1, 2] {
        let cfg = shape_config(mirostat);
        let rust = cfg.sampler_config().unwrap();
        assert_eq!(rust.typical_p, 0.95);
        assert_eq!(rust.top_n_sigma, 2.5);
        assert_eq!((rust.xtc_probability, rust.xtc_threshold), (0.4, 0.05));
        assert_eq!((rust.dynatemp_range, rust.dynatemp_exponent), (0.3, 1.25));
        assert_eq!(rust.min_keep, 3);
        let expected = match mirostat {
            0 => Mirostat::Off,
            1 => Mirostat::V1 {
                tau: 4.0,
                eta: 0.2,
                m: 50,
            },
            _ => Mirostat::V2 { tau: 4.0, eta: 0.2 },
        };
        assert_eq!(rust.mirostat, expected);
        let mut mem = storage();
        let sampler = init(&mut mem, &cfg).unwrap();
        let mut back = MaybeUninit::uninit();
        // SAFETY: valid pointers.
        unsafe { ls_sampler_config(sampler, back.as_mut_ptr()) };
        // SAFETY: written above.
        let back: LsConfig = unsafe { back.assume_init() };
        if mirostat == 0 {
            // Off: tau, eta and m come back as ls_config_default's.
            assert_eq!(
                (back.mirostat_tau, back.mirostat_eta, back.mirostat_m),
                (5.0, 0.1, 100)
            );
            assert_eq!(back.sampler_config(), Ok(rust));
        } else {
            assert_eq!(back, cfg);
        }
    }
    // A version other than 0, 1, 2 is refused before the core sees it.
    let mut cfg = shape_config(0);
    cfg.mirostat = 3;
    let e = cfg.sampler_config().unwrap_err();
    assert_eq!((e.status, e.index), (LsStatus::LS_INVALID_MIROSTAT, 3));
    let mut mem = storage();
    let e = init(&mut mem, &cfg).unwrap_err();
    assert_eq!((e.status, e.index), (LsStatus::LS_INVALID_MIROSTAT, 3));
    cfg.mirostat = u32::MAX;
    assert_eq!(init(&mut mem, &cfg).unwrap_err().index, u32::MAX as usize);
}

/// A generator behind the C callback that counts the words it gives.
struct Words {
    inner: Pcg32,
    count: u64,
}

unsafe extern "C" fn next_word(context: *mut core::ffi::c_void) -> u64 {
    // SAFETY: the tests pass a pointer to a live `Words`.
    let w = unsafe { &mut *context.cast::<Words>() };
    w.count += 1;
    w.inner.next_u64()
}

#[test]
fn shape_stages_equal_the_rust_api_on_every_backend() {
    for mirostat in [0, 1, 2] {
        let cfg = shape_config(mirostat);
        let rust_cfg = cfg.sampler_config().unwrap();
        let mut buf = [Stage::Temperature; LS_STAGE_COUNT];
        let order = cfg.stage_order(&mut buf).unwrap().to_vec();
        for &backend in Backend::available() {
            let mut mem = storage();
            let sampler = init(&mut mem, &cfg).unwrap();
            // SAFETY: a sampler from `init`.
            let status =
                unsafe { ls_sampler_set_backend(sampler, LsBackend::from_core(backend) as u32) };
            assert_eq!(status, LsStatus::LS_OK);
            let mut rust: Sampler<64, LS_HISTORY> = Sampler::new(rust_cfg)
                .and_then(|s| s.with_order(&order))
                .and_then(|s| s.with_backend(backend))
                .unwrap();
            let mut words = Words {
                inner: Pcg32::seed_from_u64(33),
                count: 0,
            };
            let mut ours = seeded(0);
            // SAFETY: `next_word` reads the live `words`.
            let status =
                unsafe { ls_rng_callback(&mut ours, Some(next_word), (&raw mut words).cast()) };
            assert_eq!(status, LsStatus::LS_OK);
            let mut theirs = Pcg32::seed_from_u64(33);
            let draws = 30u64;
            for draw in 0..draws {
                let xs = logits(500, draw);
                let mut buf = xs.clone();
                let expected = rust.sample(&mut xs.clone(), &mut theirs).unwrap();
                let token = if draw % 2 == 0 {
                    let mut token = u32::MAX;
                    // SAFETY: valid, non-overlapping pointers.
                    let status = unsafe {
                        ls_sample(sampler, buf.as_mut_ptr(), buf.len(), &mut ours, &mut token)
                    };
                    assert_eq!(status, LsStatus::LS_OK);
                    token
                } else {
                    let mut out = MaybeUninit::<LsSampled>::uninit();
                    // SAFETY: valid, non-overlapping pointers.
                    let status = unsafe {
                        ls_sample_with(
                            sampler,
                            buf.as_mut_ptr(),
                            buf.len(),
                            &mut ours,
                            null(),
                            null_mut(),
                            0,
                            out.as_mut_ptr(),
                        )
                    };
                    assert_eq!(status, LsStatus::LS_OK);
                    // SAFETY: written on success.
                    unsafe { out.assume_init() }.token
                };
                assert_eq!(
                    token, expected,
                    "mirostat {mirostat} {backend:?} draw {draw}"
                );
                let mut mu = f32::NAN;
                // SAFETY: valid pointers.
                let status = unsafe { ls_sampler_mirostat_mu(sampler, &mut mu) };
                assert_eq!(status, LsStatus::LS_OK);
                assert_eq!(mu.to_bits(), rust.mirostat_mu().to_bits());
            }
            // XTC's coin is a second word, except under mirostat.
            let per_draw = if mirostat == 0 { 2 } else { 1 };
            assert_eq!(words.count, per_draw * draws);
            if mirostat != 0 {
                assert_ne!(rust.mirostat_mu(), 2.0 * cfg.mirostat_tau);
                // SAFETY: a sampler from `init`; valid pointers.
                let mu = unsafe {
                    assert_eq!(ls_reset(sampler), LsStatus::LS_OK);
                    let mut mu = 0.0;
                    ls_sampler_mirostat_mu(sampler, &mut mu);
                    mu
                };
                assert_eq!(mu, 2.0 * cfg.mirostat_tau);
            }
        }
    }
}
