//! The portable backend: [`Vector`] for a single `f32`.
//!
//! It runs the very same generic kernels as the SIMD backends, one lane at a
//! time, so it is both the fallback on every target and the oracle the SIMD
//! paths are tested against. Nothing here is actually unsafe, except one
//! x86_64 conversion instruction (`round_to_i32`).

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
    unsafe fn exp2i(self) -> Self {
        // `self` is integral, so truncating and rounding agree; wrapping
        // arithmetic: discarded lanes (any value) cannot overflow.
        #[cfg(target_arch = "x86_64")]
        let k = round_to_i32(self);
        // Saturating (NaN -> 0): one `vcvt` on Arm.
        #[cfg(not(target_arch = "x86_64"))]
        let k = self as i32;
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

/// `x` rounded to the nearest integer, ties to even (as `cvtps2dq` and
/// `fcvtns` round in the SIMD kernels), for `x` in `[0, 2^31)` (`to_fixed`)
/// and, on x86_64, integral `x` in `[-2^31, 0)` (`exp2i`); any value, never
/// undefined behaviour, for other inputs, which only discarded lanes hold.
#[inline(always)]
fn round_to_i32(x: f32) -> i32 {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_mm_cvtss_si32, _mm_set_ss};
        // One `cvtss2si` (SSE2 is in the x86_64 baseline): it rounds by
        // MXCSR, to nearest even by default like the SIMD kernels'
        // `cvtps2dq`, where Rust's `as i32` would truncate and add the
        // compares that saturate it (a quarter of the scalar exp's
        // instructions).
        // SAFETY: SSE and SSE2 are enabled on every x86_64 target; the
        // conversion is defined for every input (NaN and out of range give
        // `i32::MIN`).
        unsafe { _mm_cvtss_si32(_mm_set_ss(x)) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        round_to_i32_portable(x)
    }
}

/// [`round_to_i32`] without the x86_64 instruction. Below 2^23, adding and
/// subtracting 2^23 rounds to an integer (ties to even); from 2^23 on every
/// float is one. `as i32` of the integral result is then exact (and
/// saturating: one instruction on Arm).
#[cfg(any(not(target_arch = "x86_64"), test))]
#[inline(always)]
fn round_to_i32_portable(x: f32) -> i32 {
    const TWO_23: f32 = 8_388_608.0;
    let r = if x < TWO_23 { (x + TWO_23) - TWO_23 } else { x };
    r as i32
}

/// The scalar instances of the kernels, under the same names as the SIMD
/// entry points (for `dispatch!`); `unsafe` only for that uniformity.
pub(crate) mod entry {
    super::super::entry_points!(f32);
}

/// `round(exp(s) * 2^30)`: the scalar instance of `exp_fixed`'s mass,
/// bit-identical to every SIMD lane.
#[inline]
pub(crate) fn exp_fixed(s: f32) -> u32 {
    use super::generic::Vector;
    // As in the kernel: far below the max every mass is 0 (NaN falls through
    // to the same 0 as there).
    if s < super::generic::MASS_ZERO_BELOW {
        return 0;
    }
    // SAFETY: the f32 `Vector` impl uses no ISA-specific instruction.
    unsafe {
        super::generic::exp_scaled_fixed::<f32>(s)
            .to_fixed()
            .to_bits()
    }
}

/// `exp(s)` for `s <= 0`: the scalar instance of the kernels' exp, bit-identical
/// to every SIMD lane. Used by the selection algorithms for per-candidate weights.
#[inline]
pub(crate) fn exp_nonpositive(s: f32) -> f32 {
    // SAFETY: the f32 `Vector` impl uses no ISA-specific instruction.
    unsafe { super::generic::exp_nonpositive::<f32>(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both roundings agree over the range `to_fixed` and `exp2i` use
    /// (`[0, 2^31)`, negative integers), ties included, and round ties to
    /// even.
    #[test]
    fn round_to_i32_rounds_ties_to_even_on_every_path() {
        let pinned = [
            (0.0f32, 0),
            (0.5, 0),
            (1.5, 2),
            (2.5, 2),
            (-17.0, -17),
            (8_388_607.5, 8_388_608),
            (8_388_606.5, 8_388_606),
            (1_073_741_824.0, 1 << 30),
        ];
        for (x, want) in pinned {
            assert_eq!(round_to_i32(x), want, "{x}");
            assert_eq!(round_to_i32_portable(x), want, "{x}");
        }
        // Every float in [0, 2^31) whose bits are a multiple of 2^10 (and
        // the halves around them), plus small negative integers.
        let step = if cfg!(miri) { 1 << 20 } else { 1 << 10 };
        for bits in (0..0x4f00_0000u32).step_by(step) {
            for x in [f32::from_bits(bits), f32::from_bits(bits) + 0.5] {
                if x < 2_147_483_648.0 {
                    assert_eq!(round_to_i32(x), round_to_i32_portable(x), "{x}");
                }
            }
        }
        #[cfg(target_arch = "x86_64")]
        for k in -150..=127 {
            assert_eq!(round_to_i32(k as f32), k);
        }
    }
}
