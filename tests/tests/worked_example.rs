//! The seed article's example: moon 3.5, stars 3.1, sky 2.9, station 2.0,
//! launchpad -0.5 at temperature 0.8 with min-p 0.1, top-k 3, top-p 0.7.
//!
//! By hand: logits / 0.8 relative to the max give weights 1, e^-0.5 = 0.607,
//! e^-0.75 = 0.472, e^-1.875 = 0.153, e^-5 = 0.0067. min-p 0.1 drops launchpad;
//! top-k 3 drops station; over the remaining mass 2.079, moon alone has 0.481 <
//! 0.7 and moon + stars 0.773 >= 0.7, so top-p keeps moon and stars (the crossing
//! token, stars, is kept). Final: moon 1 / 1.607 = 0.6225, stars 0.3775.

use logit_sampler::{Backend, Pcg32, Sampler, SamplerConfig, Stage, rand_core::SeedableRng};
use sampler_tests::core_distribution;

const LOGITS: [f32; 5] = [3.5, 3.1, 2.9, 2.0, -0.5];

fn survivors(cfg: SamplerConfig) -> Vec<(u32, f32)> {
    let d =
        core_distribution::<256>(&LOGITS, cfg, &Stage::DEFAULT_ORDER, Backend::detect()).unwrap();
    (0..5)
        .filter(|&i| d[i] > 0.0)
        .map(|i| (i as u32, d[i]))
        .collect()
}

fn ids(v: &[(u32, f32)]) -> Vec<u32> {
    v.iter().map(|p| p.0).collect()
}

#[test]
fn each_stage_keeps_what_the_article_says() {
    let base = SamplerConfig {
        temperature: 0.8,
        ..SamplerConfig::default()
    };
    assert_eq!(ids(&survivors(base)), [0, 1, 2, 3, 4]);
    let min_p = SamplerConfig { min_p: 0.1, ..base };
    assert_eq!(
        ids(&survivors(min_p)),
        [0, 1, 2, 3],
        "min-p 0.1 drops launchpad"
    );
    let top_k = SamplerConfig { top_k: 3, ..min_p };
    assert_eq!(ids(&survivors(top_k)), [0, 1, 2], "top-k 3 drops station");
    let full = SamplerConfig {
        top_p: 0.7,
        ..top_k
    };
    let last = survivors(full);
    assert_eq!(
        ids(&last),
        [0, 1],
        "top-p 0.7 keeps moon and the crossing token stars"
    );
    let moon = 1.0 / (1.0 + (-0.5f64).exp());
    assert!((last[0].1 as f64 - moon).abs() < 1e-6, "moon {}", last[0].1);
    assert!(
        (last[1].1 as f64 - (1.0 - moon)).abs() < 1e-6,
        "stars {}",
        last[1].1
    );
}

#[test]
fn top_p_keeps_the_crossing_token_but_not_the_next() {
    // Mass after moon is 0.481 of 2.079: a top-p just above it needs stars too,
    // one just below it is satisfied by moon alone.
    let base = SamplerConfig {
        temperature: 0.8,
        min_p: 0.1,
        top_k: 3,
        top_p: 1.0,
        ..SamplerConfig::default()
    };
    let moon_share = 1.0 / (1.0 + (-0.5f64).exp() + (-0.75f64).exp());
    let just_below = SamplerConfig {
        top_p: (moon_share - 1e-3) as f32,
        ..base
    };
    assert_eq!(ids(&survivors(just_below)), [0]);
    let just_above = SamplerConfig {
        top_p: (moon_share + 1e-3) as f32,
        ..base
    };
    assert_eq!(ids(&survivors(just_above)), [0, 1]);
}

#[test]
fn sampling_only_returns_moon_or_stars() {
    let cfg = SamplerConfig {
        temperature: 0.8,
        min_p: 0.1,
        top_k: 3,
        top_p: 0.7,
        ..SamplerConfig::default()
    };
    let mut sampler: Sampler<256> = Sampler::new(cfg).unwrap();
    let mut rng = Pcg32::seed_from_u64(42);
    let mut counts = [0u32; 5];
    for _ in 0..20_000 {
        let mut buf = LOGITS;
        counts[sampler.sample(&mut buf, &mut rng).unwrap() as usize] += 1;
    }
    assert_eq!(counts[2..], [0, 0, 0]);
    let moon = counts[0] as f64 / 20_000.0;
    // 0.6225 expected; 5 sigma of a binomial with n = 20 000 is 0.017.
    assert!((moon - 0.6225).abs() < 0.017, "moon frequency {moon}");
}
