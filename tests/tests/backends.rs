//! Every backend this CPU runs against the scalar path: each kernel bit for bit
//! on all lengths 0..5000 (every tail length of every vector width), unaligned
//! starts, and NaN/±inf in the body and the tail; then whole-pipeline draws.

use logit_sampler::kernels::{Candidate, Kernels, MassScale, Weighting};
use logit_sampler::{
    Backend, Constraints, Pcg32, Sampler, SamplerConfig, TokenLogprob, rand_core::SeedableRng,
    softmax_in_place_with,
};
use proptest::prelude::*;
use sampler_tests::{model_logits, strategies};

fn bits(xs: &[f32]) -> Vec<u32> {
    xs.iter().map(|x| x.to_bits()).collect()
}

fn bits_of(cs: &[Candidate]) -> Vec<(u32, u32)> {
    cs.iter().map(|c| (c.id, c.logit.to_bits())).collect()
}

fn simd_kernels() -> Vec<Kernels> {
    Backend::available()
        .iter()
        .map(|b| b.kernels().unwrap())
        .collect()
}

fn check_kernels(xs: &[f32], t: f32, w: Weighting) -> Result<(), TestCaseError> {
    let s = Kernels::SCALAR;
    let mut s_w = xs.to_vec();
    s.exp_weights(&mut s_w, t, w);
    let positive: Vec<f32> = xs
        .iter()
        .map(|x| if x.is_finite() { x.abs() } else { 1.0 })
        .collect();
    let s_scaled = {
        let mut v = positive.clone();
        s.scale(&mut v, 0.37);
        v
    };
    // Masses of caller weights (`weight_masses`, independent of `MassScale`),
    // then a plain walk.
    let p_max = positive.iter().copied().fold(0.0f32, f32::max);
    let p_scale = MassScale::for_max(p_max);
    let p_masses = sampler_tests::weight_masses(&positive);
    let p_total: u64 = p_masses.iter().sum();
    if p_max > 0.0 {
        for (&p, &q) in positive.iter().zip(&p_masses) {
            prop_assert_eq!(
                p_scale.mass(p) as u64,
                q,
                "MassScale::mass of {} (max {})",
                p,
                p_max
            );
        }
    }
    let p_target = p_total / 5 * 3;
    let p_walk = {
        let mut cum = 0u64;
        positive
            .iter()
            .position(|&p| {
                cum += p_scale.mass(p) as u64;
                cum > p_target
            })
            .ok_or(cum)
    };
    prop_assert_eq!(
        s.mass_prefix(&positive, p_scale, p_target),
        p_walk,
        "mass_prefix"
    );
    prop_assert_eq!(
        s.mass_prefix(&positive, p_scale, u64::MAX),
        Err(p_total),
        "mass_prefix total"
    );
    let mut s_out = vec![Candidate::default(); 64];
    let s_gather = s.gather_at_least(xs, t, 7, &mut s_out);
    // The gather by its definition: the first 64 `(7 + i, x)` with `x >= t`
    // in index order, stopping at the 65th (padding never qualifies).
    let passing: Vec<Candidate> = xs
        .iter()
        .enumerate()
        .filter(|(_, x)| **x >= t)
        .map(|(i, &logit)| Candidate {
            id: 7 + i as u32,
            logit,
        })
        .collect();
    let fits = passing.len().min(64);
    prop_assert_eq!(s_gather.count, fits, "gather count");
    prop_assert_eq!(
        s_gather.next,
        passing.get(64).map_or(xs.len(), |c| (c.id - 7) as usize),
        "gather stop"
    );
    prop_assert_eq!(bits_of(&s_out[..fits]), bits_of(&passing[..fits]), "gather");
    // Fixed-point masses, checked against an independent f64 rounding of the
    // f32 weight (ties to even), their exact sum and a plain prefix walk. Their
    // contract: no NaN and nothing above `w.max` (weights at most 1).
    let clamped: Vec<f32> = xs
        .iter()
        .map(|&x| if x.is_nan() || x > w.max { w.max } else { x })
        .collect();
    let xs_all = xs;
    let xs = &clamped[..];
    // The weights' total in units of 2^-30, rounded once (halves up): the
    // weights from 2^-21 on exactly (`w 2^51` is then an integer), the
    // smaller ones to the nearest 2^-51 (ties to even).
    let mut s_wc = xs.to_vec();
    let s_total = s.exp_weights(&mut s_wc, t, w);
    let fine: u128 = s_wc
        .iter()
        .map(|&e| (e as f64 * 2f64.powi(51)).round_ties_even() as u128)
        .sum();
    prop_assert_eq!(
        s_total as u128,
        (fine + (1 << 20)) >> 21,
        "exp_weights total"
    );
    let mut s_q = xs.to_vec();
    let s_q_total = s.exp_fixed(&mut s_q, t, w);
    for (x, q) in xs.iter().zip(&s_q) {
        let expected = if *x >= t {
            (w.weight(*x) as f64 * 1073741824.0).round_ties_even() as u32
        } else {
            0
        };
        prop_assert_eq!(q.to_bits(), expected, "exp_fixed of {} (w {:?})", x, w);
        if *x >= t {
            prop_assert_eq!(q.to_bits(), w.fixed(*x), "Weighting::fixed of {}", x);
        }
    }
    let q_sum: u64 = s_q.iter().map(|q| q.to_bits() as u64).sum();
    prop_assert_eq!(s_q_total, q_sum, "exp_fixed total");
    prop_assert_eq!(s.exp_fixed_sum(xs, t, w), q_sum, "exp_fixed_sum");
    let q_target = q_sum / 3 + q_sum / 5;
    let walk = {
        let mut cum = 0u64;
        s_q.iter().position(|q| {
            cum += q.to_bits() as u64;
            cum > q_target
        })
    };
    prop_assert_eq!(s.fixed_prefix(&s_q, q_target), walk, "fixed_prefix");
    prop_assert_eq!(
        s.fixed_prefix(&s_q, q_sum),
        None,
        "fixed_prefix past the total"
    );
    let factor = 1.0 / (q_sum.max(1) as f32);
    let s_probs = {
        let mut v = s_q.clone();
        s.scale_fixed(&mut v, factor);
        v
    };
    for (q, p) in s_q.iter().zip(&s_probs) {
        prop_assert_eq!(
            p.to_bits(),
            (q.to_bits() as f32 * factor).to_bits(),
            "scale_fixed"
        );
    }
    let xs = xs_all;
    let probe = xs.get(xs.len().saturating_sub(3)).copied().unwrap_or(1.0);
    for k in simd_kernels() {
        let name = k.backend();
        let (a, b) = (s.max_nan(xs), k.max_nan(xs));
        prop_assert_eq!(a.nan, b.nan, "{:?} max_nan", name);
        if a.nan.is_none() {
            prop_assert_eq!(a.max.to_bits(), b.max.to_bits(), "{:?} max", name);
        }
        prop_assert_eq!(
            s.position_of(xs, probe),
            k.position_of(xs, probe),
            "{:?} position_of",
            name
        );
        let mut out = vec![Candidate::default(); 64];
        let g = k.gather_at_least(xs, t, 7, &mut out);
        prop_assert_eq!(g, s_gather, "{:?} gather count", name);
        prop_assert_eq!(&out[..g.count], &s_out[..g.count], "{:?} gather", name);
        let mut k_w = xs.to_vec();
        k.exp_weights(&mut k_w, t, w);
        prop_assert_eq!(bits(&k_w), bits(&s_w), "{:?} exp_weights", name);
        let mut k_wc = clamped.clone();
        prop_assert_eq!(
            k.exp_weights(&mut k_wc, t, w),
            s_total,
            "{:?} exp_weights total",
            name
        );
        prop_assert_eq!(
            k.mass_prefix(&positive, p_scale, p_target),
            p_walk,
            "{:?} mass_prefix",
            name
        );
        prop_assert_eq!(
            k.mass_prefix(&positive, p_scale, u64::MAX),
            Err(p_total),
            "{:?} mass_prefix total",
            name
        );
        let mut v = positive.clone();
        k.scale(&mut v, 0.37);
        prop_assert_eq!(bits(&v), bits(&s_scaled), "{:?} scale", name);
        let mut k_q = clamped.clone();
        prop_assert_eq!(
            k.exp_fixed(&mut k_q, t, w),
            s_q_total,
            "{:?} exp_fixed total",
            name
        );
        prop_assert_eq!(bits(&k_q), bits(&s_q), "{:?} exp_fixed", name);
        prop_assert_eq!(
            k.exp_fixed_sum(&clamped, t, w),
            s_q_total,
            "{:?} exp_fixed_sum",
            name
        );
        prop_assert_eq!(
            k.fixed_prefix(&s_q, q_target),
            walk,
            "{:?} fixed_prefix",
            name
        );
        let mut v = s_q.clone();
        k.scale_fixed(&mut v, factor);
        prop_assert_eq!(bits(&v), bits(&s_probs), "{:?} scale_fixed", name);
    }
    Ok(())
}

proptest! {
    #![proptest_config(sampler_tests::pinned(600))]

    #[test]
    fn kernels_agree_bit_for_bit(
        data in prop::collection::vec(strategies::any_logit(), 0..5_020),
        offset in 0usize..20,
        t in prop_oneof![Just(-f32::MAX), Just(f32::NEG_INFINITY), -5.0f32..20.0],
        inv_t in prop_oneof![Just(0.0f32), Just(1.0f32), 0.01f32..100.0],
    ) {
        let xs = &data[offset.min(data.len())..];
        let max = xs.iter().copied().filter(|x| x.is_finite()).fold(0.0f32, f32::max);
        check_kernels(xs, t, Weighting { max, inv_t })?;
    }

    #[test]
    fn nan_is_found_in_body_and_tail(len in 1usize..2_000, at_end in 0usize..40, offset in 0usize..16) {
        let mut data: Vec<f32> = (0..len + offset).map(|i| (i % 13) as f32).collect();
        let pos = data.len() - 1 - at_end.min(len - 1);
        data[pos] = f32::NAN;
        for k in simd_kernels() {
            prop_assert_eq!(k.max_nan(&data[offset..]).nan, pos.checked_sub(offset));
        }
    }
}

#[test]
fn every_length_and_alignment_deterministic() {
    let mut data = model_logits(300, 3.0, 8, 6.0, 5);
    // -inf logits in the head and the body, for the threshold -inf.
    for i in [1, 2, 9, 40, 77] {
        data[i] = f32::NEG_INFINITY;
    }
    for offset in 0..16 {
        for len in 0..(300 - offset) {
            let xs = &data[offset..offset + len];
            let max = xs.iter().copied().fold(0.0f32, f32::max);
            for t in [-1.0, f32::NEG_INFINITY] {
                check_kernels(xs, t, Weighting { max, inv_t: 1.3 }).unwrap();
            }
        }
    }
}

/// The top logprobs when fewer logits than slots are finite, wherever the
/// logits start: the gather behind them runs at threshold `-inf`, and the
/// SIMD kernels' head block (up to a 64-byte boundary) once padded with
/// `-inf`, which passed it: padded lanes came back as tokens 4 and 5 and
/// real token 4 was listed twice.
#[test]
fn top_logprobs_of_a_mostly_banned_vocabulary_at_every_alignment() {
    let mut store = vec![f32::NEG_INFINITY; 100 + 16];
    for offset in 0..16 {
        for &backend in Backend::available() {
            store.fill(f32::NEG_INFINITY);
            let xs = &mut store[offset..offset + 100];
            xs[4] = 0.0;
            let mut sampler: Sampler<16> = Sampler::new(SamplerConfig::default())
                .unwrap()
                .with_backend(backend)
                .unwrap();
            let mut top = [TokenLogprob::default(); 6];
            let mut rng = Pcg32::seed_from_u64(3);
            let s = sampler
                .sample_with(xs, &mut rng, &Constraints::default(), &mut top)
                .unwrap();
            assert_eq!(s.token, 4, "{backend:?}, offset {offset}");
            let tokens: Vec<u32> = top.iter().map(|t| t.token).collect();
            assert_eq!(tokens, [4, 0, 1, 2, 3, 5], "{backend:?}, offset {offset}");
            let logprobs: Vec<f32> = top.iter().map(|t| t.logprob).collect();
            assert_eq!(logprobs[0], 0.0, "{backend:?}, offset {offset}");
            assert!(logprobs[1..].iter().all(|&l| l == f32::NEG_INFINITY));
        }
    }
}

/// The normaliser's worst case for masses alone: many equal weights whose
/// masses all round the same way (`exp(-14.555309) 2^30 = 512.40`, rounded
/// to 512 each), which took the sum of the probabilities to `1 + 8.7e-5`
/// before each mass's residual went into the total. Now within the stated
/// bound, and the sum within `1e-6` of 1.
#[test]
fn softmax_normaliser_keeps_the_masses_residuals() {
    let n = 262_144;
    let mut logits = vec![-14.555_309f32; n];
    logits[0] = 0.0;
    let weight = (-14.555_309f64).exp();
    let total = 1.0 + (n - 1) as f64 * weight;
    for &b in Backend::available() {
        let mut buf = logits.clone();
        softmax_in_place_with(b, &mut buf, 1.0).unwrap();
        let sum: f64 = buf.iter().map(|p| *p as f64).sum();
        assert!(
            (sum - 1.0).abs() < 1e-6,
            "{b:?}: the probabilities sum to {sum}"
        );
        let mean_abs_s = (n - 1) as f64 * weight / total * 14.555_309;
        for (i, (&x, &p)) in logits.iter().zip(&buf).enumerate().take(3) {
            let s = x as f64;
            let exact = s.exp() / total;
            let bound = sampler_tests::softmax_bound(exact, s, mean_abs_s, n, total);
            assert!(
                (p as f64 - exact).abs() <= bound,
                "{b:?} token {i}: {p} vs {exact}"
            );
        }
    }
}

#[test]
fn softmax_agrees_across_backends_and_with_f64() {
    for (n, t) in [
        (1usize, 1.0f32),
        (17, 0.5),
        (4_099, 1.0),
        (128_256, 0.8),
        (32_000, 1e-3),
        (32_000, 1e3),
    ] {
        let logits = model_logits(n, 2.5, 128, 14.0, n as u64);
        let max = logits
            .iter()
            .map(|x| *x as f64)
            .fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = logits
            .iter()
            .map(|x| ((*x as f64 - max) / t as f64).exp())
            .sum();
        let mut first: Option<Vec<u32>> = None;
        for &b in Backend::available() {
            let mut buf = logits.clone();
            softmax_in_place_with(b, &mut buf, t).unwrap();
            // The stated bound (see `softmax_bound`).
            let mean_abs_s: f64 = logits
                .iter()
                .map(|x| {
                    let s = (*x as f64 - max) / t as f64;
                    s.exp() / total * s.abs()
                })
                .sum();
            for (x, p) in logits.iter().zip(&buf) {
                let s = (*x as f64 - max) / t as f64;
                let exact = s.exp() / total;
                let bound = sampler_tests::softmax_bound(exact, s, mean_abs_s, n, total);
                assert!(
                    (*p as f64 - exact).abs() <= bound,
                    "{b:?} n {n} T {t}: {p} vs {exact}"
                );
            }
            match &first {
                None => first = Some(bits(&buf)),
                Some(f) => assert_eq!(f, &bits(&buf), "{b:?} softmax bits differ"),
            }
        }
    }
}

/// 100 000 draws per backend over realistic logits and several configs: the
/// token must be the same on every backend. Prints the mismatch count.
#[test]
fn same_seed_same_token_on_every_backend() {
    let configs = [
        SamplerConfig {
            temperature: 0.8,
            min_p: 0.05,
            top_k: 40,
            top_p: 0.95,
            ..SamplerConfig::default()
        },
        SamplerConfig::default(),
        SamplerConfig {
            temperature: 1.2,
            min_p: 0.0,
            top_k: 0,
            top_p: 0.99,
            ..SamplerConfig::default()
        },
        SamplerConfig {
            temperature: 0.7,
            min_p: 0.0,
            top_k: 1000,
            top_p: 0.9,
            ..SamplerConfig::default()
        },
    ];
    let inputs: Vec<Vec<f32>> = (0..8)
        .map(|s| model_logits(4_096, if s % 2 == 0 { 2.5 } else { 0.3 }, 128, 12.0, s))
        .collect();
    let draws = 100_000;
    let mut mismatches = 0;
    let mut buf = vec![0.0f32; 4_096];
    let mut samplers: Vec<Vec<Sampler<256>>> = configs
        .iter()
        .map(|c| {
            Backend::available()
                .iter()
                .map(|b| Sampler::new(*c).unwrap().with_backend(*b).unwrap())
                .collect()
        })
        .collect();
    for i in 0..draws {
        let logits = &inputs[i % inputs.len()];
        let per_config = &mut samplers[(i / inputs.len()) % configs.len()];
        let mut tokens = per_config.iter_mut().map(|s| {
            buf.copy_from_slice(logits);
            s.sample(&mut buf, &mut Pcg32::seed_from_u64(i as u64))
                .unwrap()
        });
        let first = tokens.next().unwrap();
        mismatches += tokens.filter(|t| *t != first).count();
    }
    eprintln!(
        "{draws} draws on {:?}: {mismatches} cross-backend mismatches",
        Backend::available()
    );
    assert_eq!(mismatches, 0);
}

#[test]
fn detect_picks_the_best_available() {
    let avail = Backend::available();
    assert_eq!(avail[0], Backend::Scalar);
    assert_eq!(Backend::detect(), *avail.last().unwrap());
    for b in avail {
        assert!(b.is_available());
    }
}
