//! Edges a hand mutation run found unpinned (issue 13), each with a small
//! exact example and the wrong code it catches:
//!
//! - the inverse-CDF boundary: `u` exactly equal to a cumulative takes the
//!   next token, leading zeros are skipped at `u = 0`, and the walk is right
//!   across a 1024-entry boundary (a `<=` for `<`, or a step off by one,
//!   would show); its integer masses against an independent reference
//!   (rounding, the mass-0 cut, the exact target);
//! - error paths together with `+inf` logits: nothing is written and no
//!   randomness consumed before the NaN is found (the certain-token rewrite
//!   must come after validation);
//! - the Gaussian with a standard deviation other than 0 and 1 (a swapped or
//!   dropped scale would show);
//! - top-p's prefilter path: a peaked head plus a long flat tail, high top-p,
//!   a capacity that holds only the head (every path must cut at the same
//!   token, and at the reference's).

use logit_sampler::Constraints;
use logit_sampler::rand_core::{Rng, SeedableRng};
use logit_sampler::{
    Backend, Pcg32, SampleError, Sampler, SamplerConfig, Stage, argmax, fill_gaussian, gaussian,
    sample_inverse_cdf_with,
};
use sampler_tests::{
    Fixed, check_against_reference, core_distribution, inverse_cdf_reference, support,
};

/// `ceil(p * total)`, exactly, for a normal `p` in (0, 1): `p = m 2^-e`
/// with the 24-bit significand `m` (top-p's target mass).
fn ceil_mul(p: f32, total: u64) -> u64 {
    let (m, e) = (
        (p.to_bits() & 0x7f_ffff | 0x80_0000) as u128,
        150 - (p.to_bits() >> 23),
    );
    (m * total as u128).div_ceil(1u128 << e) as u64
}

#[test]
fn inverse_cdf_boundaries_are_exact() {
    // Dyadic probabilities: every cumulative is exact in f32 and f64.
    let probs = [0.0f32, 0.0, 0.25, 0.25, 0.5];
    let cases = [
        (0.0, 2),                 // leading zeros never chosen
        (0.25f32.next_down(), 2), // just below the first cumulative
        (0.25, 3),                // exactly on it: the next token
        (0.5, 4),                 // exactly on the second
        (1.0f32.next_down(), 4),  // the largest u
    ];
    // 2048 equal entries: the cumulative crosses the 1024-entry chunk boundary.
    let flat = vec![1.0f32; 2048];
    let chunked = [(0.5f32, 1024u32), (0.5f32.next_down(), 1023), (0.0, 0)];
    for &b in Backend::available() {
        for (u, want) in cases {
            assert_eq!(
                sample_inverse_cdf_with(b, &probs, u),
                Ok(want),
                "{b:?} u {u}"
            );
        }
        for (u, want) in chunked {
            assert_eq!(
                sample_inverse_cdf_with(b, &flat, u),
                Ok(want),
                "{b:?} u {u}"
            );
        }
    }
}

#[test]
fn inverse_cdf_draws_by_integer_masses() {
    // A weight below half a mass unit (here 2^-30, max * 2^-30) has mass 0
    // and is never drawn, even first and at u = 0; at exactly half a unit it
    // rounds to even (0), above it to 1 unit, which u = 0 then picks.
    let unit = 2f32.powi(-29); // the mass unit for max = 1
    let cases: [(&[f32], f32, u32); 7] = [
        (&[1e-10, 1.0], 0.0, 1),
        (&[unit * 0.5, 1.0], 0.0, 1),
        (&[unit * 0.75, 1.0], 0.0, 0),
        (&[unit * 1.5, 1.0], 0.0, 0),
        // Masses [1, 2^29], Q = 2^29 + 1: u = 2^-29 targets floor(1 + 2^-29)
        // = 1, past token 0's one unit; the float below it targets 0.
        (&[unit, 1.0], unit, 1),
        (&[unit, 1.0], unit.next_down(), 0),
        // -0.0 is a valid u, and it is 0: the first token of positive mass.
        (&[0.0, 1.0, 1.0], -0.0, 1),
    ];
    for &b in Backend::available() {
        for (probs, u, want) in cases {
            assert_eq!(
                inverse_cdf_reference(probs, u),
                want,
                "reference {probs:?} u {u:e}"
            );
            assert_eq!(
                sample_inverse_cdf_with(b, probs, u),
                Ok(want),
                "{b:?} {probs:?} u {u:e}"
            );
        }
    }
    // Random probabilities (zeros, subnormals, a wide range of scales) and
    // uniforms at every scale, against the reference on every backend.
    let mut rng = Pcg32::seed_from_u64(17);
    for round in 0..400 {
        let n = 1 + (rng.next_u32() % 700) as usize;
        let scale = 2f32.powi((rng.next_u32() % 200) as i32 - 120);
        let probs: Vec<f32> = (0..n)
            .map(|_| match rng.next_u32() % 8 {
                0 => 0.0,
                1 => f32::from_bits(rng.next_u32() % 0x80_0000),
                _ => (rng.next_u32() >> 8) as f32 * scale,
            })
            .collect();
        if probs.iter().all(|p| *p == 0.0) {
            continue;
        }
        let u = match round % 3 {
            0 => (rng.next_u32() >> 8) as f32 / 16_777_216.0,
            1 => f32::from_bits(rng.next_u32() % 0x3f80_0000),
            _ => 1.0f32.next_down(),
        };
        let want = inverse_cdf_reference(&probs, u);
        for &b in Backend::available() {
            assert_eq!(
                sample_inverse_cdf_with(b, &probs, u),
                Ok(want),
                "{b:?} round {round}"
            );
        }
    }
}

#[test]
fn draws_over_candidates_take_the_token_after_an_exact_cumulative() {
    // 256 logits: tokens 2 and 5 at the top (fixed-point mass 2^30 each),
    // the rest 100 below (mass 0). The total is 2^31 and r = 2^63 targets
    // exactly 2^30, the cumulative after token 2 (and after the mass-0
    // tokens 3 and 4): the draw is token 5. The set is small against the
    // vocabulary, so the draw is over the candidates, not the buffer. Top-k
    // 4 leaves them by rank (2, 5, then 0 and 1: not in id order, the prefix
    // selection's path); min-p and top-p leave 2 and 5 in id order (the walk).
    let mut logits = [-100.0f32; 256];
    (logits[2], logits[5]) = (0.0, 0.0);
    let cases = [
        (0u64, 2u32),
        ((1 << 63) - 1, 2),
        (1 << 63, 5),
        (u64::MAX, 5),
    ];
    let configs = [
        SamplerConfig {
            top_k: 4,
            ..SamplerConfig::default()
        },
        SamplerConfig {
            min_p: 0.5,
            ..SamplerConfig::default()
        },
        SamplerConfig {
            top_p: 0.9,
            ..SamplerConfig::default()
        },
    ];
    for &b in Backend::available() {
        for config in configs {
            let mut s = Sampler::<16>::new(config).unwrap().with_backend(b).unwrap();
            for (r, want) in cases {
                let mut buf = logits;
                let got = s.sample(&mut buf, &mut Fixed(r));
                assert_eq!(got, Ok(want), "{b:?} {config:?} r {r:#x}");
                let mut buf = logits;
                let got = s.sample_with(&mut buf, &mut Fixed(r), &Constraints::default(), &mut []);
                assert_eq!(got.map(|g| g.token), Ok(want), "{b:?} {config:?} r {r:#x}");
            }
        }
    }
}

/// `sample` and `distribution_in_place` on logits holding `+inf` and a NaN:
/// the error names the NaN, the buffer is bit-identical, no randomness used.
#[test]
fn errors_with_infinite_logits_write_nothing() {
    let inputs: [&[f32]; 3] = [
        &[f32::INFINITY, 1.0, f32::NAN],
        &[f32::NAN, f32::INFINITY],
        &[
            2.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            -0.0,
            f32::NAN,
            f32::INFINITY,
        ],
    ];
    let config = SamplerConfig {
        temperature: 0.7,
        min_p: 0.1,
        top_k: 2,
        top_p: 0.9,
        ..SamplerConfig::default()
    };
    for &b in Backend::available() {
        for logits in inputs {
            let nan = logits.iter().position(|x| x.is_nan()).unwrap();
            let want = Err(SampleError::NanLogit { index: nan });
            let bits: Vec<u32> = logits.iter().map(|x| x.to_bits()).collect();
            macro_rules! check {
                ($sampler:expr) => {{
                    let mut s = $sampler.with_backend(b).unwrap();
                    let mut rng = Pcg32::seed_from_u64(3);
                    let mut buf = logits.to_vec();
                    assert_eq!(s.sample(&mut buf, &mut rng).map(|_| ()), want, "{b:?}");
                    assert_eq!(buf.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), bits);
                    assert_eq!(
                        rng.next_u64(),
                        Pcg32::seed_from_u64(3).next_u64(),
                        "rng used"
                    );
                    assert_eq!(s.distribution_in_place(&mut buf), want);
                    assert_eq!(buf.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), bits);
                }};
            }
            check!(Sampler::<64>::new(config).unwrap());
            check!(Sampler::<0>::new(config).unwrap());
            check!(
                Sampler::<64>::new(SamplerConfig {
                    temperature: 0.0,
                    ..config
                })
                .unwrap()
            );
            assert_eq!(argmax(logits).map(|_| ()), want);
        }
    }
    // And without the NaN, the certain tokens are the only candidates.
    let mut s: Sampler<64> = Sampler::new(config).unwrap();
    let mut buf = [2.0, f32::INFINITY, f32::NEG_INFINITY, -0.0, f32::INFINITY];
    let t = s.sample(&mut buf, &mut Pcg32::seed_from_u64(3)).unwrap();
    assert!(t == 1 || t == 4, "drew {t}");
}

#[test]
fn gaussian_scales_and_shifts() {
    // Exactly `mean + std_dev * z` with the same z for the same seed.
    for (mean, sd) in [(3.0f32, 2.5f32), (-1.0, 0.125), (0.0, -2.0)] {
        let (mut a, mut b) = (Pcg32::seed_from_u64(11), Pcg32::seed_from_u64(11));
        for _ in 0..100 {
            let z = gaussian(&mut b, 0.0, 1.0);
            assert_eq!(gaussian(&mut a, mean, sd), mean + sd * z);
        }
        let (mut a, mut b) = (Pcg32::seed_from_u64(12), Pcg32::seed_from_u64(12));
        let (mut xs, mut zs) = (vec![0.0f32; 33], vec![0.0f32; 33]);
        fill_gaussian(&mut xs, mean, sd, &mut a);
        fill_gaussian(&mut zs, 0.0, 1.0, &mut b);
        for (x, z) in xs.iter().zip(&zs) {
            assert_eq!(*x, mean + sd * z);
        }
    }
    // And the moments: N(3, 2.5^2) over 200 000 draws (4.5 standard errors).
    let mut rng = Pcg32::seed_from_u64(13);
    let n = 200_000;
    let xs: Vec<f64> = (0..n)
        .map(|_| gaussian(&mut rng, 3.0, 2.5) as f64)
        .collect();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
    assert!(
        (mean - 3.0).abs() < 4.5 * 2.5 / (n as f64).sqrt(),
        "mean {mean}"
    );
    assert!(
        (var.sqrt() - 2.5).abs() < 4.5 * 2.5 / (2.0 * n as f64).sqrt(),
        "sd {}",
        var.sqrt()
    );
}

#[test]
fn gaussian_is_box_muller_of_the_documented_bits() {
    // One `next_u64` -> u1 = (bits[40..64] + 1) / 2^24, u2 = bits[8..32] / 2^24,
    // z = sqrt(-2 ln u1) (cos 2 pi u2, sin 2 pi u2), here in f64. The core's
    // f32 error: its sine and cosine of the exactly reduced angle within
    // 1.5e-7 (the core's unit test checks every angle), times r <= 5.8, and
    // an ulp or two of sqrtf, logf and the product (relative, times r):
    // within 4e-6 of the f64 value. (u2's lowest bit moves z by at most
    // 2 pi 2^-24 r = 2.2e-6: below what this can see.) Low bits 0..8 are
    // ignored.
    let reference = |bits: u64| -> (f64, f64) {
        let unit = 1.0 / (1u64 << 24) as f64;
        let u1 = ((bits >> 40) + 1) as f64 * unit;
        let u2 = ((bits >> 8) & 0xff_ffff) as f64 * unit;
        let r = (-2.0 * u1.ln()).sqrt();
        let angle = std::f64::consts::TAU * u2;
        (r * angle.cos(), r * angle.sin())
    };
    let bits_set = [
        0x0000_0000_0000_0000u64, // u1 = 2^-24 (the largest r, 5.77), u2 = 0
        0x0000_0100_0040_00ff,    // u1 = 2^-23, u2 = 2^-10
        0x0000_02ff_1234_5600,    // u1 = 3 * 2^-24, bits 32..40 ignored
        0x8000_0000_4000_0000,    // u1 just over 1/2, u2 = 1/4: z = (0, r)
        0x4321_0000_abcd_ef00,    // u2 past 1/2: both variates' signs
        0xffff_ff00_ffff_ffff,    // u1 = 1: r = 0 exactly
        0x1234_5678_9abc_def0,
        0x9e37_79b9_7f4a_7c15,
    ];
    for bits in bits_set {
        let (z0, z1) = reference(bits);
        for (mean, sd) in [(0.0f32, 1.0f32), (3.0, 2.0), (-1.5, -0.5)] {
            let (mean64, sd64) = (mean as f64, sd as f64);
            let near = |x: f32, z: f64| {
                let want = mean64 + sd64 * z;
                // Plus the rounding of mean + sd * z in f32.
                let tol = 4e-6 * sd64.abs() + f32::EPSILON as f64 * want.abs();
                assert!(
                    (x as f64 - want).abs() <= tol,
                    "bits {bits:#018x}, N({mean}, {sd}^2): {x} against {want}"
                );
            };
            near(gaussian(&mut Fixed(bits), mean, sd), z0);
            // Both variates of a pair, and a third from the next call.
            let mut out = [f32::NAN; 3];
            fill_gaussian(&mut out, mean, sd, &mut Fixed(bits));
            near(out[0], z0);
            near(out[1], z1);
            near(out[2], z0);
        }
    }
}

/// Logit patterns for top-k 8 over `n` tokens that a scan with refills
/// (a window of 64) gets wrong if a tie or a late token is mishandled.
fn top_k_patterns(n: usize) -> Vec<(&'static str, Vec<f32>)> {
    vec![
        ("rising", (0..n).map(|i| i as f32 * 0.01).collect()),
        ("falling", (0..n).map(|i| -(i as f32) * 0.01).collect()),
        ("all equal", vec![0.5; n]),
        // Ties at the k-th value before, between and after the refills.
        (
            "ties",
            (0..n)
                .map(|i| match i % 97 {
                    0 => 2.0,
                    1 | 50 => 1.0,
                    _ => (i % 13) as f32 * 0.05,
                })
                .collect(),
        ),
        // The best at the very end, after every refill.
        (
            "late",
            (0..n)
                .map(|i| if i >= n - 3 { 10.0 } else { (i % 7) as f32 })
                .collect(),
        ),
    ]
}

#[test]
fn top_k_beyond_the_capacity_keeps_the_k_best_ties_to_the_lowest_id() {
    // 2000 logits, CAP 64, k 8: the scan path (2k <= CAP; its window of 64
    // refills many times as the threshold rises), against the definition
    // (logit descending, id ascending, the first k), the radix path (CAP 8)
    // and the scratch path (CAP 4096).
    let n = 2000usize;
    let patterns = top_k_patterns(n);
    let cfg = SamplerConfig {
        top_k: 8,
        ..SamplerConfig::default()
    };
    for (what, logits) in &patterns {
        let mut ids: Vec<usize> = (0..n).collect();
        ids.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
        let mut want: Vec<usize> = ids[..8].to_vec();
        want.sort();
        for &b in Backend::available() {
            for (cap, got) in [
                (
                    64,
                    core_distribution::<64>(logits, cfg, &Stage::DEFAULT_ORDER, b),
                ),
                (
                    8,
                    core_distribution::<8>(logits, cfg, &Stage::DEFAULT_ORDER, b),
                ),
                (
                    4096,
                    core_distribution::<4096>(logits, cfg, &Stage::DEFAULT_ORDER, b),
                ),
            ] {
                let got = got.unwrap();
                let kept = support(&got);
                assert_eq!(kept, want, "{what}, {b:?}, CAP {cap}");
            }
        }
    }
}

/// top-k over the buffer starts its scan where the previous call's k-th
/// logit lay (a warm start): one sampler fed logits whose spread narrows and
/// widens tenfold from call to call, with ties at the k-th and the best
/// tokens last, must keep and draw exactly what a fresh sampler does, in
/// the default order and in llama.cpp's (top-k first), on every backend.
#[test]
fn top_k_over_the_buffer_does_not_depend_on_earlier_calls() {
    let n = 2000usize;
    // The top-k patterns above, and one in no order.
    let mut shapes: Vec<Vec<f32>> = top_k_patterns(n).into_iter().map(|(_, v)| v).collect();
    shapes.push((0..n).map(|i| ((i * 37) % 101) as f32 * 0.1).collect());
    let mut calls: Vec<Vec<f32>> = Vec::new();
    for scale in [1.0f32, 0.1, 10.0, 1.0, 10.0, 0.1] {
        for shape in &shapes {
            calls.push(shape.iter().map(|x| x * scale - 3.0).collect());
        }
    }
    let cfg = SamplerConfig {
        top_k: 8,
        min_p: 0.0,
        top_p: 0.9,
        ..SamplerConfig::default()
    };
    for order in [&Stage::DEFAULT_ORDER[..], &Stage::LLAMA_CPP_ORDER[..]] {
        for &b in Backend::available() {
            // Beyond the capacity, and within it (where the scan also runs).
            warm_calls_match_fresh_samplers::<64>(&calls, cfg, order, b);
            warm_calls_match_fresh_samplers::<4096>(&calls, cfg, order, b);
        }
    }
}

/// Each call of one sampler against a fresh sampler's: the same
/// distribution, bit for bit, and the same token for the same seed.
fn warm_calls_match_fresh_samplers<const CAP: usize>(
    calls: &[Vec<f32>],
    cfg: SamplerConfig,
    order: &[Stage],
    b: Backend,
) {
    let fresh = || {
        Sampler::<CAP>::new(cfg)
            .unwrap()
            .with_order(order)
            .unwrap()
            .with_backend(b)
            .unwrap()
    };
    let (mut warm, mut warm_draws) = (fresh(), fresh());
    for (i, logits) in calls.iter().enumerate() {
        let (mut got, mut want) = (logits.clone(), logits.clone());
        warm.distribution_in_place(&mut got).unwrap();
        fresh().distribution_in_place(&mut want).unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&got),
            bits(&want),
            "call {i}, {b:?}, CAP {CAP}, {order:?}"
        );
        let kept = support(&got).len();
        assert!((1..=8).contains(&kept), "call {i}: top-k cut ({kept})");
        let (mut x, mut y) = (logits.clone(), logits.clone());
        let seed = i as u64;
        let token = warm_draws.sample(&mut x, &mut Pcg32::new(seed, 0)).unwrap();
        let want = fresh().sample(&mut y, &mut Pcg32::new(seed, 0)).unwrap();
        assert_eq!(token, want, "call {i}, {b:?}, CAP {CAP}, {order:?}");
    }
}

#[test]
fn top_p_near_one_keeps_the_light_tail_tokens_it_needs() {
    // One token of mass 2^30 and 4095 whose weight e^-21.3 (0.6 / 2^30)
    // rounds to mass 1: with p = 0.999997 the nucleus is the head and the
    // first 895 tail tokens. The rest is spread over the whole tail, the
    // case where the prefilter's bound is tightest: it must rule nothing out
    // (its A = ((1 - p) total - 1 - n) / n is negative here).
    let n = 4096usize;
    let mut logits = vec![-21.3f32; n];
    logits[0] = 0.0;
    let p = 0.999997f32;
    let total = (1u64 << 30) + (n as u64 - 1);
    let tail = (ceil_mul(p, total) - (1 << 30)) as usize;
    assert_eq!(tail, 895);
    let cfg = SamplerConfig {
        top_p: p,
        ..SamplerConfig::default()
    };
    for &b in Backend::available() {
        for (cap, got) in [
            (
                16,
                core_distribution::<16>(&logits, cfg, &Stage::DEFAULT_ORDER, b),
            ),
            (
                0,
                core_distribution::<0>(&logits, cfg, &Stage::DEFAULT_ORDER, b),
            ),
            (
                4096,
                core_distribution::<4096>(&logits, cfg, &Stage::DEFAULT_ORDER, b),
            ),
        ] {
            let got = got.unwrap();
            let kept = support(&got);
            assert_eq!(kept, (0..=tail).collect::<Vec<_>>(), "{b:?}, CAP {cap}");
        }
    }
}

#[test]
fn top_p_in_the_scratch_keeps_the_tail_tokens_it_needs() {
    // One token of mass 2^30 and 999 of mass exactly 100 (logit
    // ln(100 / 2^30)), p = 1 - 24 * 2^-24: the nucleus is the head and 984
    // tail tokens. Over the scratch (the scalar backend gathers a vocabulary
    // this small; top-k 1000 gathers it on every backend) the mass bound
    // A = ((1 - p) total - 1 - m) / m is 0.54 here, below 2: no bound, so no
    // tail token may be dropped before the selection.
    let n = 1000usize;
    let mut logits = vec![(100.0f64 / (1u64 << 30) as f64).ln() as f32; n];
    logits[0] = 0.0;
    let p = 1.0 - 24.0 * 2f32.powi(-24);
    let total = (1u64 << 30) + 100 * (n as u64 - 1);
    let tail = (ceil_mul(p, total) - (1 << 30)).div_ceil(100) as usize;
    assert_eq!(tail, 984);
    let want: Vec<usize> = (0..=tail).collect();
    let top_p = SamplerConfig {
        top_p: p,
        ..SamplerConfig::default()
    };
    let scalar = core_distribution::<1024>(&logits, top_p, &Stage::DEFAULT_ORDER, Backend::Scalar);
    assert_eq!(support(&scalar.unwrap()), want, "scalar, top-p alone");
    let with_top_k = SamplerConfig {
        top_k: 1000,
        ..top_p
    };
    for &b in Backend::available() {
        let got = core_distribution::<1024>(&logits, with_top_k, &Stage::DEFAULT_ORDER, b);
        assert_eq!(support(&got.unwrap()), want, "{b:?}, after top-k 1000");
    }
}

#[test]
fn top_p_prefilter_path_cuts_where_every_path_does() {
    // A head of 12 tokens 0.25 apart and a flat tail of 20 000 at -13: the tail
    // holds about 1 % of the mass, so for p up to ~0.98 the prefilter rules it
    // out and only the head is gathered (it fits CAP 16); at 0.99 the tail is
    // needed and the set streams.
    let mut logits = vec![-13.0f32; 20_012];
    for i in 0..12 {
        logits[i * 1000] = -0.25 * i as f32;
    }
    for p in [0.5, 0.9, 0.95, 0.98, 0.985, 0.99, 0.995] {
        let cfg = SamplerConfig {
            top_p: p,
            ..SamplerConfig::default()
        };
        for &b in Backend::available() {
            let small = core_distribution::<16>(&logits, cfg, &Stage::DEFAULT_ORDER, b).unwrap();
            let none = core_distribution::<0>(&logits, cfg, &Stage::DEFAULT_ORDER, b).unwrap();
            let all = core_distribution::<32768>(&logits, cfg, &Stage::DEFAULT_ORDER, b).unwrap();
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&small), bits(&none), "p {p} {b:?}: CAP 16 vs CAP 0");
            assert_eq!(bits(&small), bits(&all), "p {p} {b:?}: CAP 16 vs CAP 32768");
            check_against_reference(&logits, &cfg, &Stage::DEFAULT_ORDER, &small)
                .unwrap_or_else(|e| panic!("p {p} {b:?}: {e}"));
        }
    }
}

/// `sample` and `sample_with` over 2048 equal logits (more than the
/// capacity, so both draw over the buffer: every mass is 2^30, the total
/// 2^41, the draw's target `r >> 23`), with targets exactly on a cumulative:
/// inside the first 1024-entry chunk (5 * 2^30: token 5) and on the chunk
/// boundary (2^40: token 1024). `sample_with` walks chunk totals first and
/// then the crossing chunk's elements; a `>=` for `>` in either comparison
/// takes the token before, or enters a chunk the target is not in.
#[test]
fn draws_over_the_buffer_take_the_token_after_an_exact_cumulative() {
    let cases = [
        (0u64, 0u32),
        (5 << 53, 5),
        ((5 << 53) - 1, 4),
        (1 << 63, 1024),
        ((1 << 63) - 1, 1023),
        (u64::MAX, 2047),
    ];
    for &b in Backend::available() {
        let mut s = Sampler::<16>::new(SamplerConfig::default())
            .unwrap()
            .with_backend(b)
            .unwrap();
        for (r, want) in cases {
            let mut logits = vec![0.5f32; 2048];
            assert_eq!(
                s.sample(&mut logits, &mut Fixed(r)),
                Ok(want),
                "{b:?} sample r {r:#x}"
            );
            let mut logits = vec![0.5f32; 2048];
            let got = s.sample_with(&mut logits, &mut Fixed(r), &Constraints::default(), &mut []);
            assert_eq!(got.map(|g| g.token), Ok(want), "{b:?} sample_with r {r:#x}");
        }
    }
}
