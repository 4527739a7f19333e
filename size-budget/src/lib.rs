//! The public entry points of `logit-sampler`, grouped by feature, each group
//! behind one out-of-line function, for the size images in `src/bin/`.
//! Every input goes through `black_box`, so nothing is constant-folded away
//! and every path (greedy, scratch, streaming, each stage order) stays linked.
//! `check.sh` measures each image against the one that calls nothing.

#![no_std]

use core::hint::black_box;

use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{
    AliasTable, Backend, Pcg32, Sampler, SamplerConfig, Stage, argmax, fill_gaussian, gaussian,
    sample_inverse_cdf, softmax_in_place,
};
#[cfg(feature = "context")]
use logit_sampler::{Constraints, TokenLogprob};

/// Logits (or weights) the optimiser cannot see.
fn input() -> [f32; 64] {
    black_box([0.5; 64])
}

fn rng() -> Pcg32 {
    Pcg32::seed_from_u64(black_box(7))
}

/// The sampler: `Sampler<CAP>` (`new`, `with_order`, `with_backend`,
/// `with_dry_breakers`, `accept`, `reset`, `sample`, `sample_with`,
/// `distribution_in_place`, `distribution_in_place_with`), with every stage
/// on (penalties and DRY too, with the core's `context` feature; the other
/// stages' code is linked through the black-boxed configuration),
/// `softmax_in_place`, `argmax`, `sample_inverse_cdf`. Without `context`,
/// the methods it leaves out (`sample_with`, `distribution_in_place_with`)
/// are not called.
#[inline(never)]
pub fn sampler<const CAP: usize>() -> bool {
    sampler_calls::<CAP, true>()
}

/// [`sampler`] without `sample_with` and `distribution_in_place_with` (the
/// logit bias, the allowed-token mask and the logprobs): what they add.
#[inline(never)]
pub fn sampler_without_constraints<const CAP: usize>() -> bool {
    sampler_calls::<CAP, false>()
}

fn sampler_calls<const CAP: usize, const CONSTRAINTS: bool>() -> bool {
    let mut logits = input();
    let xs = black_box(&mut logits[..]);
    let basic = SamplerConfig {
        temperature: 0.8,
        min_p: 0.05,
        top_k: 40,
        top_p: 0.95,
        ..SamplerConfig::DEFAULT
    };
    let config = black_box(if cfg!(feature = "context") {
        SamplerConfig {
            repeat_penalty: 1.1,
            frequency_penalty: 0.1,
            presence_penalty: 0.1,
            penalty_last_n: 64,
            dry_multiplier: 0.8,
            dry_penalty_last_n: 64,
            ..basic
        }
    } else {
        basic
    });
    let order = black_box(Stage::DEFAULT_ORDER);
    let breakers: [&[u32]; 2] = [black_box(&[3]), black_box(&[4, 5])];
    let mut rng = rng();
    let mut ok = true;
    if let Ok(mut s) = Sampler::<CAP>::new(config)
        .and_then(|s| s.with_order(&order))
        .and_then(|s| s.with_backend(black_box(Backend::Scalar)))
        .and_then(|s| s.with_dry_breakers(&breakers))
    {
        for token in black_box([1u32, 2, 3, 1, 2]) {
            s.accept(token);
        }
        ok &= black_box(s.sample(xs, &mut rng)).is_ok();
        ok &= black_box(s.distribution_in_place(xs)).is_ok();
        #[cfg(feature = "context")]
        if CONSTRAINTS {
            let bias = black_box([(3u32, f32::NEG_INFINITY), (5, 1.5)]);
            let mask = black_box([u32::MAX; 2]);
            let constraints = Constraints {
                logit_bias: &bias,
                allowed: Some(&mask),
            };
            let mut top = [TokenLogprob::default(); 5];
            ok &= black_box(s.sample_with(xs, &mut rng, &constraints, &mut top)).is_ok();
            black_box(top);
            ok &= black_box(s.distribution_in_place_with(xs, &constraints)).is_ok();
        }
        s.reset();
        black_box(&s);
    }
    ok &= black_box(argmax(xs)).is_ok();
    ok &= black_box(softmax_in_place(xs, black_box(1.3))).is_ok();
    ok &= black_box(sample_inverse_cdf(xs, black_box(0.5))).is_ok();
    ok
}

/// The alias table: `AliasTable<CAP>` (`new`, `rebuild`, `sample`, `try_sample`).
#[inline(never)]
pub fn alias<const CAP: usize>() -> bool {
    let weights = input();
    let mut rng = rng();
    let Ok(mut table) = AliasTable::<CAP>::new(black_box(&weights[..])) else {
        return false;
    };
    let mut ok = black_box(table.sample(&mut rng)) < 64;
    ok &= black_box(table.rebuild(black_box(&weights[..]))).is_ok();
    ok &= black_box(table.try_sample(&mut rng)).is_ok();
    ok
}

/// The Gaussian: `gaussian` and `fill_gaussian`.
#[inline(never)]
pub fn gaussians() -> bool {
    let mut out = input();
    let mut rng = rng();
    fill_gaussian(
        black_box(&mut out[..]),
        black_box(0.0),
        black_box(2.0),
        &mut rng,
    );
    black_box(out);
    black_box(gaussian(&mut rng, black_box(0.0), black_box(1.0))).is_finite()
}
