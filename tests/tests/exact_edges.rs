//! Exact edges of the fixed-point arithmetic, with small inputs whose masses
//! are exact (equal logits: every weight is 1, every mass 2^30), on every
//! backend and on the scratch (CAP 64) and streaming (CAP 0) paths:
//!
//! - top-p keeps the crossing token, and a mass of exactly `p` is reached
//!   without it (an off-by-one in `ceil(p * total)` or `>=` would show);
//! - the draw maps the 64-bit uniform `r` to the token whose interval
//!   `[cum_before, cum_after)` holds `floor(r * total / 2^64)`: exactly on a
//!   boundary it takes the next token, `r = 0` the first, `r = u64::MAX` the last;
//! - tokens below 2^-31 of the max get mass 0 and are never drawn.

use logit_sampler::{Backend, Sampler, SamplerConfig};
use sampler_tests::Fixed;

fn top_p(p: f32) -> SamplerConfig {
    SamplerConfig {
        top_p: p,
        ..SamplerConfig::default()
    }
}

/// `f` on every backend, with the scratch path and the streaming path.
fn each_path(f: impl Fn(&str, &mut dyn FnMut(&mut [f32], SamplerConfig, u64) -> u32)) {
    for &b in Backend::available() {
        f(&format!("{b:?} CAP 64"), &mut |xs, cfg, r| {
            let mut s: Sampler<64> = Sampler::new(cfg).unwrap().with_backend(b).unwrap();
            s.sample(xs, &mut Fixed(r)).unwrap()
        });
        f(&format!("{b:?} CAP 0"), &mut |xs, cfg, r| {
            let mut s: Sampler<0> = Sampler::new(cfg).unwrap().with_backend(b).unwrap();
            s.sample(xs, &mut Fixed(r)).unwrap()
        });
    }
}

fn distribution<const CAP: usize>(xs: &[f32], cfg: SamplerConfig, b: Backend) -> Vec<f32> {
    let mut s: Sampler<CAP> = Sampler::new(cfg).unwrap().with_backend(b).unwrap();
    let mut buf = xs.to_vec();
    s.distribution_in_place(&mut buf).unwrap();
    buf
}

#[test]
fn top_p_mass_exactly_p_keeps_no_more() {
    let xs = [1.0f32; 8];
    for &b in Backend::available() {
        for (p, kept) in [
            (0.5f32, 4),           // 4 of 8 equal tokens are exactly 0.5
            (0.5f32.next_up(), 5), // just above: the fifth crosses
            (0.125, 1),            // one token is exactly 1/8
            (0.125f32.next_down(), 1),
            (0.125f32.next_up(), 2),
            (1.0f32.next_down(), 8),
        ] {
            for d in [
                distribution::<64>(&xs, top_p(p), b),
                distribution::<0>(&xs, top_p(p), b),
            ] {
                // Ties go to the lowest ids: the first `kept` tokens, uniform.
                let expected: Vec<f32> = (0..8)
                    .map(|i| if i < kept { 1.0 / kept as f32 } else { 0.0 })
                    .collect();
                assert_eq!(d, expected, "{b:?} top-p {p}");
            }
        }
    }
}

#[test]
fn draw_boundaries_are_exact() {
    // Four equal tokens: total 2^32, token i owns targets [i 2^30, (i+1) 2^30),
    // and target = floor(r * 2^32 / 2^64) = r >> 32.
    let xs = [0.25f32; 4];
    each_path(|path, sample| {
        for (r, token) in [
            (0u64, 0u32),
            ((1u64 << 62) - 1, 0), // target 2^30 - 1: still token 0
            (1u64 << 62, 1),       // target exactly 2^30: the next token
            (2u64 << 62, 2),
            ((3u64 << 62) - 1, 2),
            (3u64 << 62, 3),
            (u64::MAX, 3),
        ] {
            let got = sample(&mut xs.clone(), SamplerConfig::default(), r);
            assert_eq!(got, token, "{path}: r = {r:#x}");
        }
    });
}

#[test]
fn draw_skips_zero_masses_and_takes_the_last_possible() {
    // Token 1 is 30 nats below the max (weight e^-30 < 2^-31): mass 0, never
    // drawn, even with the target on its position; token 2 follows it.
    let xs = [0.0f32, -30.0, 0.0];
    each_path(|path, sample| {
        assert_eq!(
            sample(&mut xs.to_vec(), SamplerConfig::default(), 0),
            0,
            "{path}"
        );
        assert_eq!(
            sample(&mut xs.to_vec(), SamplerConfig::default(), 1 << 63),
            2,
            "{path}"
        );
        assert_eq!(
            sample(&mut xs.to_vec(), SamplerConfig::default(), u64::MAX),
            2,
            "{path}"
        );
    });
    for &b in Backend::available() {
        assert_eq!(
            distribution::<64>(&xs, SamplerConfig::default(), b),
            [0.5, 0.0, 0.5],
            "{b:?}"
        );
    }
}

#[test]
fn unsorted_survivors_draw_in_id_order() {
    // top-k 3 over 40 tokens permutes the scratch; the draw must still walk
    // the survivors (ids 5, 20, 33: equal logits) in ascending id.
    let mut xs = vec![-5.0f32; 40];
    for id in [33usize, 5, 20] {
        xs[id] = 2.0;
    }
    let cfg = SamplerConfig {
        top_k: 3,
        ..SamplerConfig::default()
    };
    each_path(|path, sample| {
        for (r, token) in [(0u64, 5u32), (u64::MAX / 3 + 1, 20), (u64::MAX, 33)] {
            assert_eq!(sample(&mut xs.clone(), cfg, r), token, "{path}: r = {r:#x}");
        }
    });
}
