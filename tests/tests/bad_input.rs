//! Each bad input gets its own error, and the buffer is left exactly as it was.

use logit_sampler::{
    AliasTable, Backend, Pcg32, SampleError, Sampler, SamplerConfig, Stage, argmax,
    rand_core::SeedableRng, sample_inverse_cdf, softmax_in_place,
};

fn sample_err(logits: &[f32]) -> SampleError {
    let mut sampler: Sampler<8> = Sampler::new(SamplerConfig::default()).unwrap();
    let mut buf = logits.to_vec();
    let mut rng = Pcg32::seed_from_u64(1);
    let e = sampler.sample(&mut buf, &mut rng).unwrap_err();
    assert!(
        buf.iter()
            .zip(logits)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "buffer changed"
    );
    // No randomness is consumed by a failed call.
    assert_eq!(rng, Pcg32::seed_from_u64(1));
    e
}

#[test]
fn logits_errors() {
    assert_eq!(sample_err(&[]), SampleError::Empty);
    assert_eq!(
        sample_err(&[1.0, f32::NAN, 2.0, f32::NAN]),
        SampleError::NanLogit { index: 1 }
    );
    let tail_nan: Vec<f32> = (0..1000)
        .map(|i| if i == 997 { f32::NAN } else { i as f32 })
        .collect();
    assert_eq!(sample_err(&tail_nan), SampleError::NanLogit { index: 997 });
    assert_eq!(
        sample_err(&[f32::NEG_INFINITY; 33]),
        SampleError::NoCandidates
    );
    assert_eq!(argmax(&[]), Err(SampleError::Empty));
    assert_eq!(argmax(&[f32::NEG_INFINITY]), Err(SampleError::NoCandidates));
    let mut buf = [1.0, f32::NAN];
    assert_eq!(
        softmax_in_place(&mut buf, 1.0),
        Err(SampleError::NanLogit { index: 1 })
    );
    assert_eq!(buf[0], 1.0);
}

#[test]
fn config_errors() {
    let bad = |cfg: SamplerConfig| Sampler::<4>::new(cfg).unwrap_err();
    let d = SamplerConfig::default();
    assert_eq!(
        bad(SamplerConfig {
            temperature: -1.0,
            ..d
        }),
        SampleError::InvalidTemperature(-1.0)
    );
    assert!(
        matches!(bad(SamplerConfig { temperature: f32::NAN, ..d }), SampleError::InvalidTemperature(t) if t.is_nan())
    );
    assert_eq!(
        bad(SamplerConfig {
            temperature: 1e-40,
            ..d
        }),
        SampleError::InvalidTemperature(1e-40)
    );
    assert_eq!(
        bad(SamplerConfig { min_p: 1.5, ..d }),
        SampleError::InvalidMinP(1.5)
    );
    assert_eq!(
        bad(SamplerConfig { min_p: -0.1, ..d }),
        SampleError::InvalidMinP(-0.1)
    );
    assert_eq!(
        bad(SamplerConfig { top_p: 0.0, ..d }),
        SampleError::InvalidTopP(0.0)
    );
    assert_eq!(
        bad(SamplerConfig { top_p: 1.01, ..d }),
        SampleError::InvalidTopP(1.01)
    );
    let order = [Stage::TopK, Stage::TopK, Stage::MinP, Stage::Temperature];
    assert_eq!(
        Sampler::<4>::new(d)
            .unwrap()
            .with_order(&order)
            .unwrap_err(),
        SampleError::InvalidStageOrder
    );
    let mut buf = [1.0f32, 2.0];
    assert_eq!(
        softmax_in_place(&mut buf, -0.5),
        Err(SampleError::InvalidTemperature(-0.5))
    );
    assert_eq!(buf, [1.0, 2.0]);
    // Finite temperatures beyond 2^64 are refused (see MAX_TEMPERATURE).
    for t in [2f32.powi(64).next_up(), 1e30, f32::MAX] {
        assert_eq!(
            Sampler::<4>::new(SamplerConfig {
                temperature: t,
                ..d
            })
            .map(|_| ()),
            Err(SampleError::InvalidTemperature(t))
        );
        assert_eq!(
            softmax_in_place(&mut buf, t),
            Err(SampleError::InvalidTemperature(t))
        );
    }
    // Every valid extreme is accepted.
    for t in [
        0.0,
        f32::MIN_POSITIVE,
        1e-3,
        1e3,
        SamplerConfig::MAX_TEMPERATURE,
        f32::INFINITY,
    ] {
        Sampler::<4>::new(SamplerConfig {
            temperature: t,
            ..d
        })
        .unwrap();
    }
}

#[test]
fn weight_errors() {
    assert_eq!(sample_inverse_cdf(&[], 0.5), Err(SampleError::Empty));
    assert_eq!(
        sample_inverse_cdf(&[0.5, -0.1], 0.5),
        Err(SampleError::InvalidWeight { index: 1 })
    );
    assert_eq!(
        sample_inverse_cdf(&[f32::INFINITY], 0.5),
        Err(SampleError::InvalidWeight { index: 0 })
    );
    assert_eq!(
        sample_inverse_cdf(&[0.0, 0.0], 0.5),
        Err(SampleError::ZeroTotalWeight)
    );
    assert_eq!(
        sample_inverse_cdf(&[1.0], 1.0),
        Err(SampleError::InvalidUniform(1.0))
    );
    assert!(matches!(
        sample_inverse_cdf(&[1.0], f32::NAN),
        Err(SampleError::InvalidUniform(_))
    ));
    assert_eq!(
        AliasTable::<2>::new(&[1.0, 2.0, 3.0]).unwrap_err(),
        SampleError::CapacityExceeded {
            len: 3,
            capacity: 2
        }
    );
    assert_eq!(
        AliasTable::<4>::new(&[0.0, 0.0]).unwrap_err(),
        SampleError::ZeroTotalWeight
    );
    assert_eq!(
        AliasTable::<4>::new(&[1.0, f32::NAN]).unwrap_err(),
        SampleError::InvalidWeight { index: 1 }
    );
}

#[test]
fn unavailable_backend_is_an_error() {
    for b in Backend::ALL {
        let r = Sampler::<4>::new(SamplerConfig::default())
            .unwrap()
            .with_backend(b);
        assert_eq!(r.is_ok(), b.is_available(), "{b:?}");
        if !b.is_available() {
            assert_eq!(r.unwrap_err(), SampleError::BackendUnavailable(b));
        }
    }
}

/// A vocabulary of 2^32 entries cannot be named by u32 ids. The 16 GiB buffer is
/// allocated zeroed and never touched (the length check comes first), so only
/// address space is used; if the OS refuses it the test says so and passes.
#[test]
fn too_long_is_refused_before_reading() {
    let len = u32::MAX as usize + 1;
    let layout = std::alloc::Layout::array::<f32>(len).unwrap();
    // SAFETY: the layout is non-zero-sized; the pointer is checked for null.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) } as *mut f32;
    if ptr.is_null() {
        eprintln!("skipped: the OS refused 16 GiB of address space");
        return;
    }
    // SAFETY: ptr is a live, zeroed allocation of `len` f32s.
    let logits = unsafe { std::slice::from_raw_parts_mut(ptr, len) };
    let mut sampler: Sampler<8> = Sampler::new(SamplerConfig::default()).unwrap();
    let mut rng = Pcg32::seed_from_u64(1);
    assert_eq!(
        sampler.sample(logits, &mut rng),
        Err(SampleError::TooLong { len })
    );
    assert_eq!(argmax(logits), Err(SampleError::TooLong { len }));
    // SAFETY: allocated above with this layout.
    unsafe { std::alloc::dealloc(ptr as *mut u8, layout) };
}
