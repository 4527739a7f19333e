//! Accuracy of the kernels' exp over every input the sampler feeds it, `s` in
//! `[-104, 0]` (plus `-inf`), on every backend (bit-identical to scalar):
//! every f32 in that range (1.1 billion inputs) in `exp_error_full_sweep`,
//! which test.sh runs; every 7th in the default suite. A 1-in-61 sweep missed
//! a coefficient change that broke the bound.
//!
//! Stated bound: below 1 ulp where the result is normal (s >= -87.33) and below
//! 1 ulp of the subnormal grid (2^-149) further down; exactly 1 at `s = 0`, 0 at
//! `-inf` and for `s < -103.98`. The full sweep measures 0.982 ulp (at
//! s = -81.39) and 0.750 ulp in the subnormal range.

use logit_sampler::Backend;
use logit_sampler::kernels::Weighting;

/// exp(x) through the kernel on `backend` (weights with max 0, 1/T = 1).
fn kernel_exp(backend: Backend, xs: &[f32]) -> Vec<f32> {
    let mut v = xs.to_vec();
    backend.kernels().unwrap().exp_weights(
        &mut v,
        f32::NEG_INFINITY,
        Weighting {
            max: 0.0,
            inv_t: 1.0,
        },
    );
    v
}

fn ulp(x: f32) -> f64 {
    if x == 0.0 || x.is_subnormal() {
        2f64.powi(-149)
    } else {
        (f32::from_bits(x.to_bits() + 1) - x) as f64
    }
}

/// Every 7th f32 in the range (every 61st under emulation, aarch64 in qemu).
#[test]
fn exp_error_is_below_one_ulp() {
    sweep(if cfg!(target_arch = "x86_64") { 7 } else { 61 });
}

/// Every f32 in the range, about 1.1e9 inputs (a minute): test.sh runs it
/// with `--ignored`; the default suite keeps the 1-in-7 sweep above.
#[test]
#[ignore = "a minute: run by test.sh with --ignored"]
fn exp_error_full_sweep() {
    sweep(1);
}

fn sweep(step: usize) {
    let lo = (-104.0f32).to_bits() & 0x7fff_ffff;
    let chunk_len = 1u32 << 22;
    let (mut worst_normal, mut worst_sub) = (0.0f64, 0.0f64);
    let mut worst_at = 0.0f32;
    let mut count = 0usize;
    let extra = [
        0.0,
        -0.0,
        -1e-45,
        -87.33,
        -87.34,
        -103.97,
        -103.99,
        f32::NEG_INFINITY,
    ];
    for start in (0..=lo).step_by(chunk_len as usize) {
        let inputs: Vec<f32> = (start..=lo.min(start + chunk_len - 1))
            .step_by(step)
            .map(|b| -f32::from_bits(b))
            .chain(extra)
            .collect();
        count += inputs.len();
        // The scalar instance of the kernels' exp, per element (the scalar
        // kernel itself, which also sums in f64, is checked on a sample below).
        let w = Weighting {
            max: 0.0,
            inv_t: 1.0,
        };
        let scalar: Vec<f32> = inputs.iter().map(|&x| w.weight(x)).collect();
        for (x, got) in inputs.iter().zip(&scalar) {
            let exact = (*x as f64).exp();
            let rounded = exact as f32;
            let err = (*got as f64 - exact).abs() / ulp(rounded);
            if rounded.is_normal() {
                if err > worst_normal {
                    worst_normal = err;
                    worst_at = *x;
                }
            } else {
                worst_sub = worst_sub.max(err);
            }
        }
        for &b in Backend::available() {
            let every = if b == Backend::Scalar { 61 } else { 1 };
            let sample: Vec<f32> = inputs.iter().step_by(every).copied().collect();
            let v = kernel_exp(b, &sample);
            assert!(
                v.iter()
                    .zip(scalar.iter().step_by(every))
                    .all(|(a, s)| a.to_bits() == s.to_bits()),
                "{b:?} differs from scalar"
            );
        }
    }
    eprintln!(
        "exp over {count} inputs: max {worst_normal:.3} ulp (normal results, at {worst_at}), {worst_sub:.3} ulp (subnormal)"
    );
    assert!(
        worst_normal < 1.0,
        "max error {worst_normal} ulp at {worst_at}"
    );
    assert!(worst_sub < 1.0, "subnormal error {worst_sub} ulp");
    assert_eq!(
        kernel_exp(Backend::Scalar, &[0.0, f32::NEG_INFINITY, -104.0]),
        [1.0, 0.0, 0.0]
    );
}

/// The fixed-point masses (`exp_fixed`, which scales by 2^(k + 30) in one
/// step and clamps at -32) are `round(exp(s) * 2^30)` of the kernels' exp
/// above, bit for bit: every f32 `s` in `[-40, -2^-10]` on x86 (every 61st
/// elsewhere, where the test runs under emulation), and a stride closer to 0,
/// where the exponent k is 0 throughout.
#[test]
fn fixed_masses_round_the_kernel_exp() {
    let step = if cfg!(target_arch = "x86_64") { 1 } else { 61 };
    let dense = (2f32.powi(-10).to_bits()..=40f32.to_bits()).step_by(step);
    let near_zero = (0..2f32.powi(-10).to_bits()).step_by(4099);
    let w = Weighting {
        max: 0.0,
        inv_t: 1.0,
    };
    let all: Vec<u32> = dense.chain(near_zero).collect();
    for chunk in all.chunks(1 << 20) {
        let inputs: Vec<f32> = chunk
            .iter()
            .map(|&b| -f32::from_bits(b))
            .chain([
                -32.0,
                -32.000004,
                -31.999998,
                -21.5,
                -22.0,
                f32::NEG_INFINITY,
            ])
            .collect();
        let expected: Vec<u32> = kernel_exp(Backend::Scalar, &inputs)
            .iter()
            .map(|e| (*e as f64 * 1073741824.0).round_ties_even() as u32)
            .collect();
        for &b in Backend::available() {
            let mut q = inputs.clone();
            b.kernels().unwrap().exp_fixed(&mut q, f32::NEG_INFINITY, w);
            for ((x, q), e) in inputs.iter().zip(&q).zip(&expected) {
                assert_eq!(q.to_bits(), *e, "{b:?}: mass of exp({x})");
            }
        }
        for (x, e) in inputs.iter().zip(&expected).step_by(97) {
            assert_eq!(w.fixed(*x), *e, "Weighting::fixed({x})");
        }
    }
}
