//! DRY's edges (cargo-mutants found them unpinned): the breaker limit, the
//! repetition lengths and the exponent cap.
//!
//! - Every window of up to 7 tokens over a 3-token alphabet, with one-token,
//!   multi-token and overlapping breakers (two sharing a head, where the
//!   longer one must win), allowed lengths 0 to 3: each token's penalty, read
//!   back from the distribution, is the definition's (`dry_repeats`, written
//!   from the description, not from the core's Z-algorithm); the 7-token
//!   windows again with a history of 7, where DRY's tally can fill (allowed
//!   length 0 pairs every position, and each repetition once more).
//! - The cap on the exponent, `floor(88.72 / ln base)` (llama.cpp's): a
//!   repetition of 99 at base 3 stays finite (`3^80`) where `3^98` would
//!   overflow; at a base of at most 1.000001 nothing is capped.

use logit_sampler::{Sampler, SamplerConfig};
use sampler_tests::dry_repeats;

const MULTIPLIER: f32 = 0.25;
const BASE: f32 = 1.5;

/// Penalties of tokens 0-2 read from the distribution over 4 equal logits
/// (token 3 never occurs in the window, so it is never penalised):
/// `-ln(p_i / p_3)`.
/// `H` is the sampler's `HISTORY` and DRY's window.
fn core_penalties<const H: usize>(window: &[u32], breakers: &[&[u32]], allowed: usize) -> [f64; 3] {
    let cfg = SamplerConfig {
        dry_multiplier: MULTIPLIER,
        dry_base: BASE,
        dry_allowed_length: allowed,
        dry_penalty_last_n: H,
        ..SamplerConfig::default()
    };
    let mut s = Sampler::<8, H>::new(cfg)
        .unwrap()
        .with_dry_breakers(breakers)
        .unwrap();
    for &t in window {
        s.accept(t);
    }
    let mut p = [0.0f32; 4];
    s.distribution_in_place(&mut p).unwrap();
    [0, 1, 2].map(|i| -(p[i] as f64 / p[3] as f64).ln())
}

#[test]
fn every_short_window_is_penalised_by_the_definition() {
    let breaker_sets: [&[&[u32]]; 6] = [
        &[],
        &[&[2]],
        &[&[0, 1]],
        // Two sharing a head: the longer occurrence limits.
        &[&[0], &[0, 1]],
        &[&[1, 0, 1], &[1, 0]],
        &[&[2, 2], &[1]],
    ];
    let mut windows: Vec<Vec<u32>> = vec![vec![]];
    let mut checked = 0usize;
    let mut penalised = 0usize;
    for _ in 0..7 {
        windows = windows
            .iter()
            .flat_map(|w| {
                (0..3).map(move |t| {
                    let mut w = w.clone();
                    w.push(t);
                    w
                })
            })
            .collect();
        for window in &windows {
            for breakers in breaker_sets {
                for allowed in 0..4 {
                    let mut want = [0.0f64; 3];
                    for (t, len) in dry_repeats(window, breakers, allowed) {
                        want[t as usize] =
                            MULTIPLIER as f64 * (BASE as f64).powi((len - allowed) as i32);
                    }
                    let got = core_penalties::<16>(window, breakers, allowed);
                    // A window as long as the history: every slot of DRY's
                    // tally can be taken (allowed 0 pairs every position).
                    let full =
                        (window.len() == 7).then(|| core_penalties::<7>(window, breakers, allowed));
                    for (history, got) in [(16, Some(got)), (7, full)] {
                        let Some(got) = got else { continue };
                        for t in 0..3 {
                            assert!(
                                (got[t] - want[t]).abs() < 1e-4,
                                "window {window:?}, breakers {breakers:?}, allowed {allowed}, \
                                 HISTORY {history}: token {t} penalised {} (want {})",
                                got[t],
                                want[t]
                            );
                        }
                    }
                    checked += 1;
                    penalised += want.iter().filter(|&&w| w > 0.0).count();
                }
            }
        }
    }
    // 3 + 9 + ... + 3^7 windows, 6 breaker sets, 4 allowed lengths; most
    // cases penalise something.
    assert_eq!(checked, 3279 * 6 * 4);
    assert!(penalised > checked / 2, "{penalised} of {checked}");
}

/// 100 equal tokens: the next one would extend a repetition of 99, so with
/// allowed length 1 the exponent is 98. At base 3 llama.cpp's cap is
/// `floor(88.72 / ln 3) = 80`: the penalty is `1e-37 * 3^80 = 14.78`, so the
/// token keeps probability `e^-14.78 / (1 + e^-14.78)` beside an unpenalised
/// one. Uncapped, `3^98` overflows f32 and the token's logit saturates at
/// `-f32::MAX`: probability 0.
#[test]
fn the_exponent_is_capped_where_the_power_would_overflow() {
    let cfg = SamplerConfig {
        dry_multiplier: 1e-37,
        dry_base: 3.0,
        dry_allowed_length: 1,
        dry_penalty_last_n: 100,
        ..SamplerConfig::default()
    };
    let mut s = Sampler::<8, 128>::new(cfg).unwrap();
    for _ in 0..100 {
        s.accept(0);
    }
    let mut p = [0.0f32; 2];
    s.distribution_in_place(&mut p).unwrap();
    let penalty = 1e-37f64 * 3f64.powi(80);
    assert!((penalty - 14.78).abs() < 0.01, "{penalty}");
    let want = (-penalty).exp() / (1.0 + (-penalty).exp());
    // The mass is about 400 units of 2^-30: 1 % covers its rounding.
    assert!(
        (p[0] as f64 - want).abs() < 0.01 * want,
        "p0 {} want {want}",
        p[0]
    );
}

/// At a base of at most 1.000001 llama.cpp computes no cap (its `ln base`
/// would make it huge), and neither do we: "0 1" thirty times ends in a
/// repetition of 58 that token 0 would extend, exponent 57 at allowed
/// length 1, so a multiplier of 1000 takes `1000 * 1.00000095^57 = 1000.054`
/// from token 0's logit 1000: `p0 = 1 / (1 + e^0.054)`, not the 1/2 of an
/// exponent capped at 0.
#[test]
fn a_base_just_above_one_is_not_capped() {
    let cfg = SamplerConfig {
        dry_multiplier: 1000.0,
        dry_base: 1.000001,
        dry_allowed_length: 1,
        dry_penalty_last_n: 60,
        ..SamplerConfig::default()
    };
    let mut s = Sampler::<8, 64>::new(cfg).unwrap();
    for _ in 0..30 {
        s.accept(0);
        s.accept(1);
    }
    let mut p = [1000.0f32, 0.0];
    s.distribution_in_place(&mut p).unwrap();
    let penalty = 1000.0 * (1.000001f32 as f64).powi(57);
    let want = 1.0 / (1.0 + (penalty - 1000.0).exp());
    assert!((want - 0.4864).abs() < 1e-4, "{want}");
    assert!((p[0] as f64 - want).abs() < 2e-4, "p0 {} want {want}", p[0]);
}
