//! Goodness of fit of the draws, with fixed seeds. Each chi-square test rejects
//! at significance 1e-4 (p-value below 1e-4 fails); the seeds are fixed, so the
//! outcome is deterministic, and `chi_square_detects_a_small_bias` shows the
//! same test rejects a 2% distortion of the distribution.

use logit_sampler::{
    AliasTable, Backend, Pcg32, Sampler, SamplerConfig, Stage, fill_gaussian, gaussian,
    rand_core::{Rng, SeedableRng},
    sample_inverse_cdf,
};
use sampler_tests::{Slack, chi_square, chi_square_p_value, model_logits, reference};

const ALPHA: f64 = 1e-4;
const DRAWS: usize = 200_000;

fn assert_fits(counts: &[u64], probs: &[f64], what: &str) {
    let (stat, dof) = chi_square(counts, probs);
    let p = chi_square_p_value(stat, dof);
    eprintln!("{what}: chi2 = {stat:.1}, dof = {dof}, p = {p:.4}");
    assert!(
        p > ALPHA,
        "{what}: chi2 = {stat:.1} with {dof} dof, p = {p:e}"
    );
}

fn pipeline_fits<const CAP: usize>(logits: &[f32], cfg: SamplerConfig, seed: u64, what: &str) {
    let dist = reference(logits, &cfg, &Stage::DEFAULT_ORDER, Slack::Exact).unwrap();
    let strict = reference(logits, &cfg, &Stage::DEFAULT_ORDER, Slack::Strict).unwrap();
    assert_eq!(
        dist.len(),
        strict.len(),
        "{what}: test input must not sit on a boundary"
    );
    let mut sampler: Sampler<CAP> = Sampler::new(cfg).unwrap();
    let mut rng = Pcg32::seed_from_u64(seed);
    let mut counts = vec![0u64; logits.len()];
    let mut buf = logits.to_vec();
    for _ in 0..DRAWS {
        buf.copy_from_slice(logits);
        counts[sampler.sample(&mut buf, &mut rng).unwrap() as usize] += 1;
    }
    let ids: Vec<u32> = dist.iter().map(|p| p.0).collect();
    let outside: u64 = (0..logits.len() as u32)
        .filter(|i| !ids.contains(i))
        .map(|i| counts[i as usize])
        .sum();
    assert_eq!(outside, 0, "{what}: drew non-survivors");
    let c: Vec<u64> = ids.iter().map(|&i| counts[i as usize]).collect();
    let p: Vec<f64> = dist.iter().map(|x| x.1).collect();
    assert_fits(&c, &p, what);
}

#[test]
fn pipeline_default_chain() {
    let logits = model_logits(2_000, 2.5, 64, 8.0, 11);
    let cfg = SamplerConfig {
        temperature: 0.8,
        min_p: 0.02,
        top_k: 40,
        top_p: 0.95,
        ..SamplerConfig::default()
    };
    pipeline_fits::<256>(&logits, cfg, 1, "default chain, scratch");
    pipeline_fits::<4>(&logits, cfg, 2, "default chain, streaming");
}

#[test]
fn pipeline_full_vocabulary() {
    let logits = model_logits(600, 1.0, 16, 3.0, 12);
    pipeline_fits::<1024>(&logits, SamplerConfig::default(), 3, "full vocab, scratch");
    pipeline_fits::<16>(
        &logits,
        SamplerConfig::default(),
        4,
        "full vocab, streaming",
    );
    let hot = SamplerConfig {
        temperature: 1.7,
        top_p: 0.9,
        ..SamplerConfig::default()
    };
    pipeline_fits::<8>(&logits, hot, 5, "top-p 0.9 at T 1.7, streaming");
}

/// Each shape stage's draw against the reference's distribution, in the
/// scratch and streaming. XTC with probability 1 always acts; mirostat with
/// `eta = 0` keeps its `mu` at `2 tau`, so every draw has the same distribution.
#[test]
fn pipeline_shape_stages() {
    let logits = model_logits(600, 1.0, 16, 3.0, 13);
    let cases = [
        (
            "typical-p 0.8",
            SamplerConfig {
                typical_p: 0.8,
                ..SamplerConfig::default()
            },
        ),
        (
            "top-n-sigma 2",
            SamplerConfig {
                top_n_sigma: 2.0,
                ..SamplerConfig::default()
            },
        ),
        (
            "XTC 0.05 (always), T 1.3",
            SamplerConfig {
                xtc_probability: 1.0,
                xtc_threshold: 0.05,
                temperature: 1.3,
                ..SamplerConfig::default()
            },
        ),
        (
            "dynamic temperature 0.8 +- 0.5",
            SamplerConfig {
                temperature: 0.8,
                dynatemp_range: 0.5,
                ..SamplerConfig::default()
            },
        ),
        (
            "mirostat v2, tau 6, eta 0",
            SamplerConfig {
                mirostat: logit_sampler::Mirostat::V2 { tau: 6.0, eta: 0.0 },
                ..SamplerConfig::default()
            },
        ),
        (
            "mirostat v1, tau 6, eta 0",
            SamplerConfig {
                mirostat: logit_sampler::Mirostat::V1 {
                    tau: 6.0,
                    eta: 0.0,
                    m: 100,
                },
                ..SamplerConfig::default()
            },
        ),
    ];
    for (i, (what, cfg)) in cases.into_iter().enumerate() {
        pipeline_fits::<1024>(&logits, cfg, 20 + i as u64, &format!("{what}, scratch"));
        pipeline_fits::<4>(&logits, cfg, 40 + i as u64, &format!("{what}, streaming"));
    }
}

#[test]
fn inverse_cdf() {
    let probs: Vec<f32> = (0..300)
        .map(|i| ((i * 37 % 101) as f32 / 10.0).powi(2))
        .collect();
    let total: f64 = probs.iter().map(|p| *p as f64).sum();
    let mut rng = Pcg32::seed_from_u64(6);
    let mut counts = vec![0u64; probs.len()];
    for _ in 0..DRAWS {
        let u = (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32;
        counts[sample_inverse_cdf(&probs, u).unwrap() as usize] += 1;
    }
    let expected: Vec<f64> = probs.iter().map(|p| *p as f64 / total).collect();
    assert_eq!(counts[0], 0, "zero-probability entry drawn");
    assert_fits(&counts, &expected, "inverse CDF");
}

#[test]
fn alias_table() {
    let weights: Vec<f32> = (0..500)
        .map(|i| 1.0 + ((i * 7919) % 97) as f32 + if i % 50 == 0 { 400.0 } else { 0.0 })
        .collect();
    let total: f64 = weights.iter().map(|w| *w as f64).sum();
    let table: AliasTable<512> = AliasTable::new(&weights).unwrap();
    let mut rng = Pcg32::seed_from_u64(7);
    let mut counts = vec![0u64; weights.len()];
    for _ in 0..DRAWS {
        counts[table.sample(&mut rng) as usize] += 1;
    }
    let expected: Vec<f64> = weights.iter().map(|w| *w as f64 / total).collect();
    assert_fits(&counts, &expected, "alias table");
    // Zero weights are never drawn.
    let sparse: AliasTable<8> = AliasTable::new(&[0.0, 3.0, 0.0, 1.0]).unwrap();
    let mut counts = [0u64; 4];
    for _ in 0..DRAWS {
        counts[sparse.sample(&mut rng) as usize] += 1;
    }
    assert_eq!((counts[0], counts[2]), (0, 0));
    assert_fits(
        &[counts[1], counts[3]],
        &[0.75, 0.25],
        "alias table, sparse",
    );
}

#[test]
fn greedy_is_the_argmax_every_time() {
    let logits = model_logits(5_000, 2.5, 64, 8.0, 13);
    let best = logits
        .iter()
        .enumerate()
        .fold(
            (0, f32::NEG_INFINITY),
            |b, (i, &x)| if x > b.1 { (i, x) } else { b },
        )
        .0;
    let mut sampler: Sampler<64> = Sampler::new(SamplerConfig::greedy()).unwrap();
    let mut rng = Pcg32::seed_from_u64(8);
    for _ in 0..1000 {
        let mut buf = logits.clone();
        assert_eq!(sampler.sample(&mut buf, &mut rng).unwrap() as usize, best);
    }
    // Ties go to the lowest id, whatever the backend.
    for &b in Backend::available() {
        let mut s: Sampler<4> = Sampler::new(SamplerConfig::greedy())
            .unwrap()
            .with_backend(b)
            .unwrap();
        let mut tied = vec![0.0f32; 100];
        tied[37] = 5.0;
        tied[73] = 5.0;
        assert_eq!(s.sample(&mut tied, &mut rng).unwrap(), 37);
    }
}

#[test]
fn gaussian_moments_and_kolmogorov_smirnov() {
    let mut rng = Pcg32::seed_from_u64(9);
    let n = 100_000;
    let mut xs = vec![0.0f32; n];
    fill_gaussian(&mut xs, 0.0, 1.0, &mut rng);
    xs.push(gaussian(&mut rng, 0.0, 1.0));
    let n = xs.len() as f64;
    let mean = xs.iter().map(|x| *x as f64).sum::<f64>() / n;
    let var = xs.iter().map(|x| (*x as f64 - mean).powi(2)).sum::<f64>() / n;
    // 5-sigma bands: sd(mean) = 1/sqrt(n), sd(var) = sqrt(2/n).
    assert!(mean.abs() < 5.0 / n.sqrt(), "mean {mean}");
    assert!((var - 1.0).abs() < 5.0 * (2.0 / n).sqrt(), "variance {var}");
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let d = xs
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let cdf = 0.5 * (1.0 + libm::erf(x as f64 / std::f64::consts::SQRT_2));
            (cdf - i as f64 / n)
                .abs()
                .max((cdf - (i + 1) as f64 / n).abs())
        })
        .fold(0.0, f64::max);
    // KS critical value at alpha = 1e-4: sqrt(ln(2 / alpha) / 2) / sqrt(n).
    let critical = ((2.0 / ALPHA).ln() / 2.0).sqrt() / n.sqrt();
    assert!(d < critical, "KS D = {d}, critical {critical}");
    // Location and scale are applied.
    let y = gaussian(&mut Pcg32::seed_from_u64(10), 5.0, 0.0);
    assert_eq!(y, 5.0);
}

#[test]
fn chi_square_detects_a_small_bias() {
    let logits = model_logits(600, 1.0, 16, 3.0, 12);
    let dist = reference(
        &logits,
        &SamplerConfig::default(),
        &Stage::DEFAULT_ORDER,
        Slack::Exact,
    )
    .unwrap();
    let mut sampler: Sampler<1024> = Sampler::new(SamplerConfig::default()).unwrap();
    let mut rng = Pcg32::seed_from_u64(3);
    let mut counts = vec![0u64; logits.len()];
    for _ in 0..DRAWS {
        let mut buf = logits.clone();
        counts[sampler.sample(&mut buf, &mut rng).unwrap() as usize] += 1;
    }
    // Move 2% of the mass from the first half of the vocabulary to the second.
    let half = dist.len() / 2;
    let first: f64 = dist[..half].iter().map(|p| p.1).sum();
    let skewed: Vec<f64> = dist
        .iter()
        .enumerate()
        .map(|(k, p)| {
            if k < half {
                p.1 * (1.0 - 0.02 / first)
            } else {
                p.1 * (1.0 + 0.02 / (1.0 - first))
            }
        })
        .collect();
    let (stat, dof) = chi_square(&counts, &skewed);
    assert!(
        chi_square_p_value(stat, dof) < ALPHA,
        "the test cannot see a 2% bias"
    );
}

#[test]
fn chi_square_p_values_are_right() {
    // Known quantiles: chi2(1) at 3.841 has p = 0.05; chi2(10) at 23.209 has p = 0.01.
    assert!((chi_square_p_value(3.841_458_8, 1) - 0.05).abs() < 1e-6);
    assert!((chi_square_p_value(23.209_251, 10) - 0.01).abs() < 1e-6);
    assert!((chi_square_p_value(100.0, 100) - 0.481_2).abs() < 1e-3);
}
