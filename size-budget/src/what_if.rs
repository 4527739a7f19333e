//! Not the core's code: a prototype of a core change, built only to measure
//! what it would cut (check.sh prints it beside the real figures).
//!
//! The core's Gaussian takes `libm::sincosf(TAU * u2)`. libm's `sincosf`
//! computes in `f64` (soft float on a Cortex-M4F, whose FPU is single
//! precision) and carries a Payne-Hanek reduction for huge arguments
//! (`rem_pio2_large`), dead code for an angle in `[0, 2π)`. Here the angle's
//! reduction is exact and integer: `u2` is a 24-bit integer `m` (angle
//! `2π m / 2^24`); the nearest quarter turn `k` and the remainder `d`
//! (`|d| <= 2^21`, so `θ = 2π d / 2^24` is in `[-π/4, π/4]`) come from its
//! bits, then f32 polynomials of `θ` and a rotation by `k` quarter turns.
//! The same `next_u64` per pair, the same `u1`, `u2` and formula `r = sqrt(-2 ln u1)`.

use core::f32::consts::TAU;

use logit_sampler::rand_core::Rng;

/// `(r cos 2πu2, r sin 2πu2)` as in the core's `pair`, with the sin and cos above.
pub fn pair<R: Rng + ?Sized>(rng: &mut R) -> (f32, f32) {
    let bits = rng.next_u64();
    let unit = 1.0 / (1u32 << 24) as f32;
    let u1 = ((bits >> 40) as u32 + 1) as f32 * unit;
    let m = (bits >> 8) as u32 & 0xff_ffff;
    let r = libm::sqrtf(-2.0 * libm::logf(u1));
    // m = k 2^22 + d with |d| <= 2^21 (k modulo 4).
    let k = ((m + (1 << 21)) >> 22) & 3;
    let d = ((m + (1 << 21)) & 0x3f_ffff) as i32 - (1 << 21);
    let theta = d as f32 * (TAU * unit);
    let t2 = theta * theta;
    // Taylor to degree 7 and 8: below 4e-7 absolute on [-π/4, π/4].
    let s = theta * (1.0 + t2 * (-1.0 / 6.0 + t2 * (1.0 / 120.0 + t2 * (-1.0 / 5040.0))));
    let c = 1.0 + t2 * (-0.5 + t2 * (1.0 / 24.0 + t2 * (-1.0 / 720.0 + t2 * (1.0 / 40320.0))));
    let (sin, cos) = match k {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    };
    (r * cos, r * sin)
}

/// `gaussian` and `fill_gaussian` as in the core, on the `pair` above.
#[inline(never)]
pub fn gaussians() -> bool {
    use core::hint::black_box;
    let mut out = crate::input();
    let mut rng = crate::rng();
    let (mean, std_dev) = (black_box(0.0f32), black_box(2.0f32));
    for chunk in black_box(&mut out[..]).chunks_mut(2) {
        let (a, b) = pair(&mut rng);
        for (x, z) in chunk.iter_mut().zip([a, b]) {
            *x = mean + std_dev * z;
        }
    }
    black_box(out);
    let one = black_box(1.0f32) * pair(&mut rng).0;
    black_box(black_box(0.0f32) + one).is_finite()
}
