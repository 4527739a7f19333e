//! The sampler's setters and accessors (cargo-mutants found `set_config`
//! and `config` unpinned by the host suite; the C API's tests used them
//! only). Each setter replaces exactly its part, checked as the builder
//! checks it, and on error leaves the sampler as it was: configuration,
//! order, history, breakers and mirostat's `mu`. And the backends' names
//! and detection (`Backend::name` was unpinned too).

use logit_sampler::{Backend, Mirostat, Pcg32, SampleError, Sampler, SamplerConfig, Stage};

const LOGITS: [f32; 4] = [0.0, 2.0, 1.0, -1.0];

/// Every token `sample` draws over `LOGITS` in `n` seeded draws, by id.
fn drawn(s: &mut Sampler<16>, n: u64) -> Vec<u32> {
    let mut seen: Vec<u32> = (0..n)
        .map(|seed| {
            let mut logits = LOGITS;
            s.sample(&mut logits, &mut Pcg32::new(seed, 0)).unwrap()
        })
        .collect();
    seen.sort_unstable();
    seen.dedup();
    s.reset();
    seen
}

#[test]
fn set_config_replaces_the_configuration_and_restarts_mu() {
    let mut s = Sampler::<16>::new(SamplerConfig::default()).unwrap();
    assert_eq!(s.config(), SamplerConfig::default());
    assert_eq!(
        drawn(&mut s, 64),
        [0, 1, 2, 3],
        "a plain draw reaches all four"
    );

    let greedy = SamplerConfig {
        temperature: 0.0,
        ..SamplerConfig::default()
    };
    s.accept(3);
    assert_eq!(s.set_config(greedy), Ok(()));
    assert_eq!(s.config(), greedy);
    assert_eq!(
        s.history().iter().collect::<Vec<_>>(),
        [3],
        "the history stays"
    );
    assert_eq!(
        drawn(&mut s, 16),
        [1],
        "the new configuration is the one used"
    );

    // Mirostat's mu moves with every draw and restarts at 2 tau.
    let miro = SamplerConfig {
        mirostat: Mirostat::V2 { tau: 1.5, eta: 0.5 },
        ..SamplerConfig::default()
    };
    s.set_config(miro).unwrap();
    assert_eq!(s.mirostat_mu(), 3.0);
    let mut logits = LOGITS;
    s.sample(&mut logits, &mut Pcg32::new(1, 0)).unwrap();
    assert_ne!(s.mirostat_mu(), 3.0, "a draw moves mu");
    s.set_config(miro).unwrap();
    assert_eq!(s.mirostat_mu(), 3.0, "set_config restarts it");
}

#[test]
fn set_config_errors_leave_the_sampler_unchanged() {
    let first = SamplerConfig {
        temperature: 0.0,
        ..SamplerConfig::default()
    };
    let mut s = Sampler::<16, 8>::new(first)
        .unwrap()
        .with_order(&[Stage::Temperature, Stage::TopK])
        .unwrap();
    s.accept(2);
    let cases = [
        (
            SamplerConfig {
                temperature: -1.0,
                ..SamplerConfig::default()
            },
            SampleError::InvalidTemperature(-1.0),
        ),
        (
            SamplerConfig {
                repeat_penalty: 1.1,
                penalty_last_n: 9,
                ..SamplerConfig::default()
            },
            SampleError::WindowExceedsHistory {
                window: 9,
                history: 8,
            },
        ),
        (
            // Valid alone, but min-p is not in this sampler's order.
            SamplerConfig {
                min_p: 0.1,
                ..SamplerConfig::default()
            },
            SampleError::StageNotInOrder(Stage::MinP),
        ),
    ];
    for (config, err) in cases {
        assert_eq!(s.set_config(config), Err(err));
        assert_eq!(s.config(), first);
        assert_eq!(s.order(), [Stage::Temperature, Stage::TopK]);
        assert_eq!(s.history().iter().collect::<Vec<_>>(), [2]);
        let mut logits = LOGITS;
        assert_eq!(
            s.sample(&mut logits, &mut Pcg32::new(0, 0)),
            Ok(1),
            "still greedy"
        );
        s.reset();
        s.accept(2);
    }
}

/// Backends as a report or a log names them, and what this CPU offers:
/// `available` is exactly the runnable ones (a prefix of `ALL`, slowest
/// first), `detect` and a new sampler take the last, and `kernels` fails
/// exactly for the others.
#[test]
fn backend_names_availability_and_detection() {
    let names: Vec<&str> = Backend::ALL.iter().map(|b| b.name()).collect();
    assert_eq!(names, ["scalar", "sse2", "avx2", "avx512", "neon"]);
    let runnable: Vec<Backend> = Backend::ALL
        .into_iter()
        .filter(|b| b.is_available())
        .collect();
    assert_eq!(Backend::available(), runnable);
    assert_eq!(Backend::available()[0], Backend::Scalar);
    if cfg!(target_arch = "x86_64") {
        assert!(Backend::Sse2.is_available(), "SSE2 is in x86_64's baseline");
        assert!(!Backend::Neon.is_available());
    }
    let best = *Backend::available().last().unwrap();
    assert_eq!(Backend::detect(), best);
    assert_eq!(Backend::detect(), best, "cached");
    let s = Sampler::<16>::new(SamplerConfig::default()).unwrap();
    assert_eq!(s.backend(), best);
    for b in Backend::ALL {
        assert_eq!(b.kernels().is_ok(), b.is_available(), "{b:?}");
    }
}
