//! Normal variates by the Box-Muller transform.
//!
//! One `next_u64` gives two uniforms: `u1` in `(0, 1]` (never 0, so `ln u1` is
//! finite) and `u2` in `[0, 1)`, a 24-bit integer `m` over `2^24`; then
//! `r = sqrt(-2 ln u1)` and the pair `(r cos 2πu2, r sin 2πu2)` is two
//! independent standard normals.
//!
//! The sine and cosine are not libm's `sincosf`: that one computes in `f64`
//! (software routines on an FPU without doubles, such as the Cortex-M4F's)
//! and carries a Payne-Hanek reduction for huge arguments, about 4 KiB of
//! code on a microcontroller for an angle that is a whole number of 2^24ths
//! of a turn. Here the reduction is exact and integer (see [`sin_cos_turn`]),
//! and two short `f32` polynomials do the rest.

use core::f32::consts::TAU;

use rand_core::Rng;

/// `(sin, cos)` of the angle `2π m / 2^24`, for `m < 2^24`.
///
/// `m = k 2^22 + d` with `k` the nearest quarter turn (modulo 4) and
/// `|d| <= 2^21`, exactly, in integers; so `θ = 2π d / 2^24` lies in
/// `[-π/4, π/4]`, where the Taylor polynomials of degree 9 (sine) and 8
/// (cosine) are within 2e-9 and 2.5e-8 of the true values; then a rotation by `k`
/// quarter turns (exact: swaps and signs). With the `f32` rounding of `θ`
/// and of the polynomials' evaluation, both are within 1.5e-7 of the exact
/// values (checked for every `m` by the unit test below).
fn sin_cos_turn(m: u32) -> (f32, f32) {
    let shifted = m.wrapping_add(1 << 21);
    let k = (shifted >> 22) & 3;
    let d = (shifted & 0x3f_ffff) as i32 - (1 << 21);
    let theta = d as f32 * (TAU / 16_777_216.0);
    let t2 = theta * theta;
    let s = theta
        * (1.0
            + t2 * (-1.0 / 6.0
                + t2 * (1.0 / 120.0 + t2 * (-1.0 / 5040.0 + t2 * (1.0 / 362_880.0)))));
    let c = 1.0 + t2 * (-0.5 + t2 * (1.0 / 24.0 + t2 * (-1.0 / 720.0 + t2 * (1.0 / 40_320.0))));
    match k {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
}

fn pair<R: Rng + ?Sized>(rng: &mut R) -> (f32, f32) {
    let bits = rng.next_u64();
    let unit = 1.0 / (1u32 << 24) as f32;
    let u1 = ((bits >> 40) as u32 + 1) as f32 * unit;
    let m = (bits >> 8) as u32 & 0xff_ffff;
    let r = libm::sqrtf(-2.0 * libm::logf(u1));
    let (s, c) = sin_cos_turn(m);
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

#[cfg(test)]
mod tests {
    use super::sin_cos_turn;

    /// The documented bound over every angle the transform can ask for,
    /// against `f64` sine and cosine of the exact angle; and the quarter
    /// turns exact.
    #[test]
    #[cfg_attr(miri, ignore = "2^24 angles: seconds natively, hours under Miri")]
    fn sin_cos_of_every_angle_within_the_bound() {
        let mut worst = 0.0f64;
        for m in 0..1u32 << 24 {
            let angle = core::f64::consts::TAU * m as f64 / 16_777_216.0;
            let (s, c) = sin_cos_turn(m);
            let err = (s as f64 - libm::sin(angle))
                .abs()
                .max((c as f64 - libm::cos(angle)).abs());
            assert!(err <= 1.5e-7, "m {m}: sin {s}, cos {c}, error {err:e}");
            worst = worst.max(err);
        }
        assert!(worst > 2e-8, "the bound is not loose by 10x: {worst:e}");
        for (m, want) in [
            (0, (0.0, 1.0)),
            (1 << 22, (1.0, 0.0)),
            (2 << 22, (0.0, -1.0)),
        ] {
            let (s, c) = sin_cos_turn(m);
            assert_eq!((s.abs(), c), (want.0, want.1), "m {m}");
        }
        assert_eq!(sin_cos_turn(3 << 22), (-1.0, 0.0));
    }
}
