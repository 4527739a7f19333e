//! `gaussian` and `fill_gaussian` over arbitrary seeds, means and standard
//! deviations (NaN, infinite, negative, subnormal included).
//!
//! No panic; exactly one `next_u64` per `gaussian`, `len.div_ceil(2)` per
//! `fill_gaussian`; `fill_gaussian`'s even entries are what `gaussian` gives
//! from the same generator state; the standard variate is finite and within
//! `sqrt(2 ln 2^24)` of 0 (its uniform `u1` is at least 2^-24) for every seed;
//! with finite parameters the draw is `mean + std_dev * z` for such a `z`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use logit_sampler::rand_core::{Rng, SeedableRng};
use logit_sampler::{Pcg32, fill_gaussian, gaussian};
use logit_sampler_fuzz::GaussianInput;

/// `sqrt(-2 ln 2^-24)`, the largest |z| Box-Muller gives when `u1 >= 2^-24`,
/// with room for the rounding of `logf`, `sqrtf` and the sine and cosine.
const Z_MAX: f32 = 5.768_1 * (1.0 + 1e-5);

fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fuzz_target!(|input: GaussianInput| {
    let GaussianInput {
        seed,
        mean,
        std_dev,
        len,
    } = input;
    let start = Pcg32::seed_from_u64(seed);

    let mut rng = start.clone();
    let z = gaussian(&mut rng, 0.0, 1.0);
    let mut once = start.clone();
    once.next_u64();
    assert_eq!(rng, once, "gaussian: not exactly one next_u64");
    assert!(z.is_finite() && z.abs() <= Z_MAX, "standard variate {z}");

    let mut rng = start.clone();
    let x = gaussian(&mut rng, mean, std_dev);
    // `z` came out of `0 + 1 * z`, which turns a -0 into +0: compare values.
    let y = mean + std_dev * z;
    assert!(
        x == y || (x.is_nan() && y.is_nan()),
        "gaussian({mean}, {std_dev}) = {x}, z = {z}"
    );
    if mean.is_finite() && std_dev.is_finite() {
        let (m, s) = (f64::from(mean), f64::from(std_dev));
        if m.abs() + s.abs() * f64::from(Z_MAX) < f64::from(f32::MAX) / 2.0 {
            assert!(x.is_finite(), "gaussian({mean}, {std_dev}) = {x}");
            let tolerance = s.abs() * f64::from(Z_MAX) + m.abs() * 2f64.powi(-22) + 1e-44;
            assert!(
                (f64::from(x) - m).abs() <= tolerance,
                "gaussian({mean}, {std_dev}) = {x}"
            );
        }
    }

    let mut out = vec![0.0f32; len];
    let mut rng = start.clone();
    fill_gaussian(&mut out, mean, std_dev, &mut rng);
    let mut expected_rng = start.clone();
    for pair in out.chunks(2) {
        let g = gaussian(&mut expected_rng.clone(), mean, std_dev);
        assert!(
            same(pair[0], g),
            "fill_gaussian {} vs gaussian {g}",
            pair[0]
        );
        expected_rng.next_u64();
    }
    assert_eq!(
        rng, expected_rng,
        "fill_gaussian: not len.div_ceil(2) next_u64"
    );
});
