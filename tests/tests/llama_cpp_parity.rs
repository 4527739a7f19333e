//! llama.cpp's published sampler tests (tests/test-sampling.cpp), reproduced:
//! the same inputs (logit = `logf(p)`), the same history and parameters, the
//! same expected probabilities, the same tolerance (1e-5 absolute). llama.cpp
//! applies the stage under test, then `dist` (a softmax over what is left);
//! `distribution_in_place_with` is exactly that distribution. Its expected
//! values are listed in the order the stage leaves the candidates (top-k
//! sorts them); here they are given per token id.
//!
//! Cases left out, deliberate differences (see the README): top-p 0 (here
//! `InvalidTopP`: top-p is in (0, 1]) and min-p 1.05 (`InvalidMinP`).

use logit_sampler::{Backend, Constraints, SamplerConfig, Stage};
use sampler_tests::{Context, core_distribution_with, support};

/// The distribution after the configured stages, for `probs` as logits.
fn run(probs: &[f32], cfg: SamplerConfig, history: &[u32], breakers: &[&[u32]]) -> Vec<f32> {
    let logits: Vec<f32> = probs.iter().map(|p| p.ln()).collect();
    let ctx = Context {
        history,
        breakers,
        constraints: Constraints::default(),
        ..Context::default()
    };
    let mut first: Option<Vec<f32>> = None;
    for &b in Backend::available() {
        let got =
            core_distribution_with::<64>(&logits, cfg, &Stage::DEFAULT_ORDER, &ctx, b).unwrap();
        let small =
            core_distribution_with::<0>(&logits, cfg, &Stage::DEFAULT_ORDER, &ctx, b).unwrap();
        assert_eq!(got, small, "capacity changed the result on {b:?}");
        if let Some(f) = &first {
            assert_eq!(f, &got, "{b:?} differs from scalar");
        }
        first = Some(got);
    }
    first.unwrap()
}

fn assert_close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() < 1e-5,
            "{what}: token {i}: got {g}, llama.cpp {w}"
        );
    }
}

fn penalties(probs: &[f32], history: &[u32], want: &[f32], repeat: f32, freq: f32, presence: f32) {
    let cfg = SamplerConfig {
        repeat_penalty: repeat,
        frequency_penalty: freq,
        presence_penalty: presence,
        penalty_last_n: history.len(),
        ..SamplerConfig::default()
    };
    let what = format!("penalties {history:?} r {repeat} f {freq} p {presence}");
    assert_close(&run(probs, cfg, history, &[]), want, &what);
}

#[test]
fn test_penalties() {
    let flat = [0.2f32; 5];
    penalties(&flat, &[0], &[0.0, 0.25, 0.25, 0.25, 0.25], 50.0, 0.0, 0.0);
    penalties(
        &flat,
        &[0, 1, 2],
        &[0.0, 0.0, 0.0, 0.5, 0.5],
        50.0,
        0.0,
        0.0,
    );
    penalties(
        &flat,
        &[0, 1, 2, 0, 0],
        &[0.0, 0.0, 0.0, 0.5, 0.5],
        50.0,
        0.0,
        0.0,
    );
    penalties(
        &flat,
        &[0],
        &[0.000011, 0.249997, 0.249997, 0.249997, 0.249997],
        1.0,
        5.0,
        5.0,
    );
    penalties(
        &flat,
        &[0, 1, 2],
        &[0.000023, 0.000023, 0.000023, 0.499966, 0.499966],
        1.0,
        5.0,
        5.0,
    );
    penalties(
        &flat,
        &[0, 1, 2, 0, 0],
        &[0.000000, 0.000023, 0.000023, 0.499977, 0.499977],
        1.0,
        5.0,
        5.0,
    );
}

#[allow(clippy::too_many_arguments)]
fn dry(
    probs: &[f32],
    history: &[u32],
    want: &[f32],
    multiplier: f32,
    base: f32,
    allowed: usize,
    last_n: usize,
    breakers: &[&[u32]],
) {
    let cfg = SamplerConfig {
        dry_multiplier: multiplier,
        dry_base: base,
        dry_allowed_length: allowed,
        dry_penalty_last_n: last_n,
        ..SamplerConfig::default()
    };
    let what = format!("DRY {history:?} m {multiplier} b {base} a {allowed} n {last_n}");
    assert_close(&run(probs, cfg, history, breakers), want, &what);
}

#[test]
fn test_dry() {
    let four = [0.25f32; 4];
    let five = [0.2f32; 5];
    dry(
        &four,
        &[0, 1],
        &[0.25, 0.25, 0.25, 0.25],
        1.0,
        1.1,
        2,
        4,
        &[],
    );
    dry(
        &four,
        &[0, 1, 2, 0, 1],
        &[0.296923, 0.296923, 0.109232, 0.296923],
        1.0,
        1.1,
        2,
        5,
        &[],
    );
    dry(
        &five,
        &[0, 1, 3, 4, 0, 1],
        &[0.2; 5],
        1.0,
        1.1,
        2,
        6,
        &[&[3]],
    );
    dry(
        &five,
        &[0, 1, 2, 0, 1],
        &[0.241818, 0.241818, 0.032727, 0.241818, 0.241818],
        2.0,
        1.1,
        2,
        5,
        &[],
    );
    dry(
        &five,
        &[0, 1, 2, 3, 4, 0, 1],
        &[0.2; 5],
        1.0,
        1.1,
        4,
        7,
        &[],
    );
}

fn filters(cfg: SamplerConfig, want: &[f32]) {
    let probs = [0.1f32, 0.2, 0.3, 0.4];
    assert_close(&run(&probs, cfg, &[], &[]), want, &format!("{cfg:?}"));
}

#[test]
fn test_temperature_top_k_top_p_min_p() {
    let d = SamplerConfig::default();
    filters(
        SamplerConfig {
            temperature: 1.0,
            ..d
        },
        &[0.1, 0.2, 0.3, 0.4],
    );
    filters(
        SamplerConfig {
            temperature: 0.0,
            ..d
        },
        &[0.0, 0.0, 0.0, 1.0],
    );
    filters(SamplerConfig { top_k: 1, ..d }, &[0.0, 0.0, 0.0, 1.0]);
    filters(
        SamplerConfig { top_k: 3, ..d },
        &[0.0, 0.22222, 0.33333, 0.44444],
    );
    filters(SamplerConfig { top_k: 4, ..d }, &[0.1, 0.2, 0.3, 0.4]);
    filters(SamplerConfig { top_k: 0, ..d }, &[0.1, 0.2, 0.3, 0.4]);
    filters(
        SamplerConfig { top_p: 0.7, ..d },
        &[0.0, 0.0, 0.428571, 0.571429],
    );
    filters(
        SamplerConfig { top_p: 0.8, ..d },
        &[0.0, 0.22222, 0.33333, 0.44444],
    );
    filters(SamplerConfig { top_p: 1.0, ..d }, &[0.1, 0.2, 0.3, 0.4]);
    for (m, want) in [
        (0.0f32, [0.1f32, 0.2, 0.3, 0.4]),
        (0.24, [0.1, 0.2, 0.3, 0.4]),
        (0.26, [0.0, 0.2 / 0.9, 0.3 / 0.9, 0.4 / 0.9]),
        (0.49, [0.0, 0.2 / 0.9, 0.3 / 0.9, 0.4 / 0.9]),
        (0.51, [0.0, 0.0, 0.3 / 0.7, 0.4 / 0.7]),
        (0.74, [0.0, 0.0, 0.3 / 0.7, 0.4 / 0.7]),
        (0.76, [0.0, 0.0, 0.0, 1.0]),
        (1.0, [0.0, 0.0, 0.0, 1.0]),
    ] {
        filters(SamplerConfig { min_p: m, ..d }, &want);
    }
}

/// llama.cpp's `test_sampler_queue`: logits `ln(id)` over a vocabulary of
/// 10 000 (token 0 is `-inf`), the stages named by the letters applied in
/// order (min_keep 1), and after each the number of survivors, which
/// llama.cpp derives by hand from the ids and which is computed here
/// exactly (weights are proportional to the ids). Token 0 is never a
/// candidate here, where llama.cpp keeps it with probability 0 in two cases.
/// top-p 0 (`InvalidTopP` here) is left out.
#[test]
fn sampler_queue_survivor_counts() {
    let n = 10_000usize;
    let logits: Vec<f32> = (0..n).map(|i| (i as f32).ln()).collect();
    let cases: &[(&str, usize, f32, f32)] = &[
        ("k", 10000, 1.0, 1.0),
        ("k", 1, 1.0, 1.0),
        ("p", 10000, 1.0, 1.0),
        ("m", 10000, 1.0, 1.0),
        ("m", 10000, 1.0, 1e-12),
        ("k", 100, 1.0, 1.0),
        ("p", 10000, 0.0003, 1.0),
        ("p", 10000, 0.8, 1.0),
        ("m", 10000, 1.0, 9997.9 / 9999.0),
        ("m", 10000, 1.0, 0.1),
        ("kp", 100, 0.8, 0.1),
        ("km", 100, 0.8, 0.1),
        ("pk", 100, 0.8, 0.1),
        ("pm", 100, 0.8, 0.1),
        ("mk", 100, 0.8, 0.1),
        ("mp", 100, 0.8, 9997.9 / 9999.0),
        ("mp", 100, 0.8, 0.1),
        ("kpm", 100, 0.8, 0.1),
        ("kmp", 100, 0.8, 0.1),
        ("pkm", 100, 0.8, 0.1),
        ("pmk", 100, 0.8, 0.1),
        ("mkp", 100, 0.8, 0.1),
        ("mpk", 100, 0.8, 0.1),
    ];
    for &(letters, top_k, top_p, min_p) in cases {
        // The survivors as ids, highest first: token 0 never survives.
        let mut want: Vec<usize> = (1..n).rev().collect();
        let mut order = Vec::new();
        let mut cfg = SamplerConfig {
            min_keep: 1,
            ..SamplerConfig::default()
        };
        for letter in letters.chars() {
            match letter {
                'k' => {
                    order.push(Stage::TopK);
                    cfg.top_k = top_k;
                    want.truncate(top_k);
                }
                'p' => {
                    order.push(Stage::TopP);
                    cfg.top_p = top_p;
                    let total: usize = want.iter().sum();
                    let (mut cum, mut keep) = (0usize, 0usize);
                    for &id in &want {
                        cum += id;
                        keep += 1;
                        if cum as f64 >= top_p as f64 * total as f64 {
                            break;
                        }
                    }
                    want.truncate(keep);
                }
                _ => {
                    order.push(Stage::MinP);
                    cfg.min_p = min_p;
                    let max = want[0] as f64;
                    want.retain(|&id| id as f64 >= min_p as f64 * max);
                }
            }
            let got = run_ordered(&logits, cfg, &order);
            let kept = support(&got);
            let mut expected = want.clone();
            expected.sort();
            assert_eq!(
                kept.len(),
                expected.len(),
                "queue {letters} after {letter}: {} survivors, want {}",
                kept.len(),
                expected.len()
            );
            assert_eq!(kept, expected, "queue {letters} after {letter}");
        }
    }
}

/// The distribution for `cfg` in `order` (every backend and two capacities agree).
fn run_ordered(logits: &[f32], cfg: SamplerConfig, order: &[Stage]) -> Vec<f32> {
    let ctx = Context::default();
    let mut first: Option<Vec<f32>> = None;
    for &b in Backend::available() {
        let got = core_distribution_with::<4096>(logits, cfg, order, &ctx, b).unwrap();
        let small = core_distribution_with::<16>(logits, cfg, order, &ctx, b).unwrap();
        assert_eq!(got, small, "capacity changed the result on {b:?}");
        if let Some(f) = &first {
            assert_eq!(f, &got, "{b:?} differs from scalar");
        }
        first = Some(got);
    }
    first.unwrap()
}
