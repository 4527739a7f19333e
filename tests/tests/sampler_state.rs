//! The sampler's setters and accessors (cargo-mutants found `set_config`
//! and `config` unpinned by the host suite; the C API's tests used them
//! only). Each setter replaces exactly its part, checked as the builder
//! checks it, and on error leaves the sampler as it was: configuration,
//! order, history, breakers and mirostat's `mu`.

use logit_sampler::{Mirostat, Pcg32, SampleError, Sampler, SamplerConfig, Stage};

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
