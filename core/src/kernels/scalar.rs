//! The portable backend: [`Vector`] for a single `f32`.
//!
//! It runs the very same generic kernels as the SIMD backends, one lane at a
//! time, so it is both the fallback on every target and the oracle the SIMD
//! paths are tested against. Nothing here is actually unsafe, except one
//! x86_64 conversion instruction (`cvt_to_i32`).

use super::generic::Vector;

impl Vector for f32 {
    const LANES: usize = 1;
    type Mask = bool;
    type Acc = f64;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        x
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller passes a pointer to one readable float.
        unsafe { p.read_unaligned() }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller passes a pointer to one writable float.
        unsafe { p.write_unaligned(self) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        self + o
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        self - o
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        self * o
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        // Same operand order as x86 `maxps`: the second operand unless self > o.
        if self > o { self } else { o }
    }
    #[inline(always)]
    unsafe fn ge(self, o: Self) -> bool {
        self >= o
    }
    #[inline(always)]
    unsafe fn eq(self, o: Self) -> bool {
        self == o
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> bool {
        self.is_nan()
    }
    #[inline(always)]
    unsafe fn mask_or(a: bool, b: bool) -> bool {
        a | b
    }
    #[inline(always)]
    unsafe fn mask_bits(m: bool) -> u32 {
        m as u32
    }
    #[inline(always)]
    unsafe fn select_or_zero(self, m: bool) -> Self {
        if m { self } else { 0.0 }
    }
    #[inline(always)]
    unsafe fn count_where(self, m: bool) -> Self {
        f32::from_bits(self.to_bits().wrapping_add(m as u32))
    }
    #[inline(always)]
    unsafe fn exp2i(self) -> Self {
        // Wrapping arithmetic: discarded lanes (any value) cannot overflow.
        let k = integral_to_i32(self);
        f32::from_bits(k.wrapping_add(127).wrapping_shl(23) as u32)
    }
    #[inline(always)]
    unsafe fn fold_max(self) -> f32 {
        self
    }
    #[inline(always)]
    unsafe fn acc_zero() -> f64 {
        0.0
    }
    #[inline(always)]
    unsafe fn acc_add(acc: f64, v: f32) -> f64 {
        acc + v as f64
    }
    #[inline(always)]
    unsafe fn acc_store(acc: f64, out: *mut f64) {
        // SAFETY: the caller passes a pointer to one writable f64.
        unsafe { out.write(acc) }
    }
    type Sum = u64;
    #[inline(always)]
    unsafe fn to_fixed(self) -> Self {
        f32::from_bits(round_to_i32(self) as u32)
    }
    #[inline(always)]
    unsafe fn fixed_to_float(self) -> Self {
        self.to_bits() as i32 as f32
    }
    #[inline(always)]
    unsafe fn sum_zero() -> u64 {
        0
    }
    #[inline(always)]
    unsafe fn sum_add(acc: u64, v: f32) -> u64 {
        acc + v.to_bits() as u64
    }
    #[inline(always)]
    unsafe fn sum_total(acc: u64) -> u64 {
        acc
    }
}

// How the scalar backend turns a float into an integer, the one place where
// the fastest way depends on the target (every way gives the same integer
// for the inputs the kernels keep, see each function's contract):
// - x86_64 with SSE2: `cvtss2si`, which rounds to nearest even like the SIMD
//   kernels' `cvtps2dq` (Rust's `as i32` would truncate and add the compares
//   that saturate it: a quarter of the scalar exp's instructions);
// - no FPU known to the compiler (Cortex-M0, RV32IMAC): integer work on the
//   bits, instead of the soft-float calls a float round and `as i32` become
//   (about 8 calls);
// - otherwise (an FPU: Cortex-M4F/M33, aarch64): a float round, then `as i32`
//   (one saturating `vcvt`/`fcvtzs`).

/// Floats are (taken to be) emulated in software on this target: Arm without
/// the hard-float ABI, RISC-V, whose F extension stable Rust does not report
/// (a RISC-V core with an FPU gets the same integers, by integer work), and
/// x86_64 without SSE2 (`x86_64-unknown-none`).
const SOFT_FLOAT: bool = cfg!(any(
    all(target_arch = "arm", not(target_abi = "eabihf")),
    all(
        any(target_arch = "riscv32", target_arch = "riscv64"),
        not(target_feature = "f")
    ),
    all(target_arch = "x86_64", not(target_feature = "sse2"))
));

/// `x` rounded to the nearest integer, ties to even (as `cvtps2dq` and
/// `fcvtns` round in the SIMD kernels), for `x` in `[0, 2^31)` (`to_fixed`);
/// any value, never undefined behaviour, for other inputs, which only
/// discarded lanes hold.
#[inline(always)]
fn round_to_i32(x: f32) -> i32 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        cvt_to_i32(x)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        if SOFT_FLOAT {
            round_to_i32_bits(x)
        } else {
            round_to_i32_float(x)
        }
    }
}

/// `x` as an `i32` for integral `x` in `[-2^31, 2^31)` (`exp2i`); any value,
/// never undefined behaviour, for other inputs. An integral `x` rounds to
/// itself, so this is [`round_to_i32`] except where a hardware float unit
/// without `cvtss2si` has a cheaper exact conversion: the truncating `as`
/// (one `vcvt` or `fcvtzs`, against a round and a conversion).
#[inline(always)]
fn integral_to_i32(x: f32) -> i32 {
    if cfg!(all(target_arch = "x86_64", target_feature = "sse2")) || SOFT_FLOAT {
        round_to_i32(x)
    } else {
        x as i32
    }
}

/// `cvtss2si`: rounds by MXCSR (to nearest even by default).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn cvt_to_i32(x: f32) -> i32 {
    use core::arch::x86_64::{_mm_cvtss_si32, _mm_set_ss};
    // SAFETY: SSE and SSE2 are enabled at compile time (the cfg above); the
    // conversion is defined for every input (NaN and out of range give
    // `i32::MIN`).
    unsafe { _mm_cvtss_si32(_mm_set_ss(x)) }
}

/// [`round_to_i32`] with float arithmetic: below 2^23, adding and
/// subtracting 2^23 rounds to an integer (ties to even); from 2^23 on every
/// float is one, and `as i32` of the integral result is exact.
#[cfg(any(not(all(target_arch = "x86_64", target_feature = "sse2")), test))]
#[inline(always)]
fn round_to_i32_float(x: f32) -> i32 {
    const TWO_23: f32 = 8_388_608.0;
    let r = if x < TWO_23 { (x + TWO_23) - TWO_23 } else { x };
    r as i32
}

/// [`round_to_i32`] and [`integral_to_i32`] with integer arithmetic on the
/// bits, for any `x` with `|x| < 2^31`: `|x| = m 2^(e - 150)` with the
/// 24-bit significand `m`; shift it right by `150 - e`, rounding the bits
/// shifted out to nearest, ties to even (or left, for `|x| >= 2^23`).
#[cfg(any(not(all(target_arch = "x86_64", target_feature = "sse2")), test))]
#[inline(always)]
fn round_to_i32_bits(x: f32) -> i32 {
    let bits = x.to_bits();
    let e = (bits >> 23) & 0xff;
    let m = (bits & 0x007f_ffff) | 0x0080_0000;
    let magnitude = if e < 126 {
        // |x| < 1/2 (zero and subnormals included).
        0
    } else if e < 150 {
        let shift = 150 - e; // 1..=24
        let q = m >> shift;
        let rest = m & ((1 << shift) - 1);
        let half = 1 << (shift - 1);
        q + u32::from(rest > half || (rest == half && q & 1 == 1))
    } else {
        // Integral already; beyond 2^31 (only discarded lanes) any value.
        m.wrapping_shl(e - 150)
    };
    if bits >> 31 == 0 {
        magnitude as i32
    } else {
        (magnitude as i32).wrapping_neg()
    }
}

/// The scalar instances of the kernels, under the same names as the SIMD
/// entry points (for `dispatch!`); `unsafe` only for that uniformity.
pub(crate) mod entry {
    super::super::entry_points!(f32);
}

/// `round(exp(s) * 2^30)`: the scalar instance of `exp_fixed`'s mass,
/// bit-identical to every SIMD lane. Out of line on bare-metal targets,
/// where each of its inlined copies was an exp's worth of a
/// microcontroller's image (size-budget/); the per-candidate loops use
/// [`exp_fixed_inlined`].
#[cfg_attr(target_os = "none", inline(never))]
#[cfg_attr(not(target_os = "none"), inline)]
pub(crate) fn exp_fixed(s: f32) -> u32 {
    exp_fixed_inlined(s)
}

/// [`exp_fixed`], always inlined: for the loops that compute a mass per
/// candidate (`fill_masses` on the scalar kernels, the streaming select, the
/// draw's `scatter_masses`),
/// where a call per candidate added 10 % to a microcontroller's top-p.
#[inline(always)]
pub(crate) fn exp_fixed_inlined(s: f32) -> u32 {
    use super::generic::Vector;
    // As in the kernel: far below the max every mass is 0 (NaN falls through
    // to the same 0 as there).
    if s < super::generic::MASS_ZERO_BELOW {
        return 0;
    }
    // SAFETY: the f32 `Vector` impl needs no CPU feature beyond the target's
    // baseline (on x86_64, SSE2's `cvtss2si`).
    unsafe {
        super::generic::exp_scaled_fixed::<f32>(s)
            .to_fixed()
            .to_bits()
    }
}

/// `round(w * first * second)`: the scalar instance of a caller's weight's
/// mass (`MassScale::mass`), bit-identical to every SIMD lane.
#[cfg_attr(target_os = "none", inline(never))]
#[cfg_attr(not(target_os = "none"), inline)]
pub(crate) fn scaled_fixed(w: f32, first: f32, second: f32) -> u32 {
    use super::generic::Vector;
    // SAFETY: the f32 `Vector` impl needs no CPU feature beyond the target's
    // baseline (on x86_64, SSE2's `cvtss2si`).
    unsafe { (w * first * second).to_fixed().to_bits() }
}

/// `exp(s)` for `s <= 0`: the scalar instance of the kernels' exp, bit-identical
/// to every SIMD lane. Used by the selection algorithms for per-candidate weights.
#[inline]
pub(crate) fn exp_nonpositive(s: f32) -> f32 {
    // SAFETY: the f32 `Vector` impl needs no CPU feature beyond the target's
    // baseline (on x86_64, SSE2's `cvtss2si`).
    unsafe { super::generic::exp_nonpositive::<f32>(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rounding agrees over the range `to_fixed` uses (`[0, 2^31)`),
    /// ties included, and rounds ties to even; every conversion of an
    /// integral float in exp2i's range (and beyond) gives that integer.
    #[test]
    fn every_rounding_rounds_ties_to_even() {
        let pinned = [
            (0.0f32, 0),
            (-0.0, 0),
            (1e-40, 0),
            (0.25, 0),
            (0.5, 0),
            (0.75, 1),
            (1.5, 2),
            (2.5, 2),
            (3.5, 4),
            (8_388_607.5, 8_388_608),
            (8_388_606.5, 8_388_606),
            (8_388_608.0, 8_388_608),
            (16_777_218.0, 16_777_218),
            (1_073_741_824.0, 1 << 30),
            (2_147_483_520.0, 2_147_483_520),
        ];
        for (x, want) in pinned {
            assert_eq!(round_to_i32(x), want, "{x}");
            assert_eq!(round_to_i32_float(x), want, "{x}");
            assert_eq!(round_to_i32_bits(x), want, "{x}");
        }
        // Every float in [0, 2^31) whose bits are a multiple of the step,
        // and the floats next to it (halves and near-halves included).
        let step = if cfg!(miri) { 1 << 20 } else { 1 << 10 };
        for bits in (0..0x4f00_0000u32).step_by(step) {
            for b in [bits, bits + 1, bits.saturating_sub(1)] {
                let x = f32::from_bits(b);
                let half = x + 0.5;
                for x in [x, half, half.next_down(), half.next_up()] {
                    if x < 2_147_483_648.0 {
                        let want = round_to_i32_float(x);
                        assert_eq!(round_to_i32(x), want, "{x}");
                        assert_eq!(round_to_i32_bits(x), want, "{x}");
                    }
                }
            }
        }
        for k in (-150..=127).chain([-(1 << 30), (1 << 30) + 128, i32::MIN]) {
            let x = k as f32;
            assert_eq!(integral_to_i32(x), k, "{x}");
            assert_eq!(round_to_i32_bits(x), k, "{x}");
        }
    }

    /// The integer rounding against the float one (and `cvtss2si` on
    /// x86_64) on every float in `[0, 2^31)`: 1.3e9 inputs, seconds in
    /// release (`./test.sh` runs it).
    #[test]
    #[ignore = "exhaustive: run in release"]
    fn every_rounding_agrees_on_every_float() {
        for bits in 0..0x4f00_0000u32 {
            let x = f32::from_bits(bits);
            let want = round_to_i32_float(x);
            assert_eq!(round_to_i32_bits(x), want, "{x}");
            assert_eq!(round_to_i32(x), want, "{x}");
        }
    }
}
