//! Normal variates by the Box-Muller transform.
//!
//! One `next_u64` gives two uniforms: `u1` in `(0, 1]` (never 0, so `ln u1` is
//! finite) and `u2` in `[0, 1)`; then `r = sqrt(-2 ln u1)` and the pair
//! `(r cos 2πu2, r sin 2πu2)` is two independent standard normals.

use core::f32::consts::TAU;

use rand_core::Rng;

fn pair<R: Rng + ?Sized>(rng: &mut R) -> (f32, f32) {
    let bits = rng.next_u64();
    let unit = 1.0 / (1u32 << 24) as f32;
    let u1 = ((bits >> 40) as u32 + 1) as f32 * unit;
    let u2 = ((bits >> 8) as u32 & 0xff_ffff) as f32 * unit;
    let r = libm::sqrtf(-2.0 * libm::logf(u1));
    let (s, c) = libm::sincosf(TAU * u2);
    (r * c, r * s)
}

/// One draw from N(`mean`, `std_dev`²). Consumes exactly one `next_u64`.
///
/// The parameters are used as given: a NaN or infinite one gives a NaN or
/// infinite result, and a negative `std_dev` mirrors the distribution.
pub fn gaussian<R: Rng + ?Sized>(rng: &mut R, mean: f32, std_dev: f32) -> f32 {
    mean + std_dev * pair(rng).0
}

/// Fills `out` with draws from N(`mean`, `std_dev`²); both variates of each pair
/// are used, so it consumes `out.len().div_ceil(2)` calls of `next_u64`.
pub fn fill_gaussian<R: Rng + ?Sized>(out: &mut [f32], mean: f32, std_dev: f32, rng: &mut R) {
    for chunk in out.chunks_mut(2) {
        let (a, b) = pair(rng);
        for (x, z) in chunk.iter_mut().zip([a, b]) {
            *x = mean + std_dev * z;
        }
    }
}
