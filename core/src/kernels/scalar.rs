//! The portable backend: [`Vector`] for a single `f32`.
//!
//! It runs the very same generic kernels as the SIMD backends, one lane at a
//! time, so it is both the fallback on every target and the oracle the SIMD
//! paths are tested against. Nothing here is actually unsafe.

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
        // `as i32` saturates (NaN -> 0), so discarded lanes cannot overflow.
        f32::from_bits((self as i32).wrapping_add(127).wrapping_shl(23) as u32)
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
        // Below 2^23, adding and subtracting 2^23 rounds to an integer (ties to
        // even, like `cvtps2dq` and `fcvtns`); from 2^23 on every float is one.
        // The conversion of the integral result is then exact.
        const TWO_23: f32 = 8_388_608.0;
        let r = if self < TWO_23 {
            (self + TWO_23) - TWO_23
        } else {
            self
        };
        f32::from_bits(r as i32 as u32)
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
