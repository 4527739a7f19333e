//! aarch64 backend: NEON (4 lanes), always present on aarch64.
//!
//! Like the x86 tiers it uses no fused multiply-add, so it returns the same bits
//! as every other backend.

use core::arch::aarch64::*;

use super::generic::Vector;

#[derive(Clone, Copy)]
pub(crate) struct Neon(float32x4_t);

// NEON is part of the aarch64 baseline. The impl below carries one SAFETY note
// for all its `unsafe` blocks.

// SAFETY (every `unsafe` block in this impl, one note instead of one per
// method): the intrinsics need NEON, which the `Vector` contract makes the
// caller guarantee; loads and stores touch the `LANES` floats at the pointer,
// which the caller guarantees are in bounds, and are unaligned.
#[allow(clippy::undocumented_unsafe_blocks)]
impl Vector for Neon {
    const LANES: usize = 4;
    type Mask = uint32x4_t;
    type Acc = (float64x2_t, float64x2_t);

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        unsafe { Neon(vdupq_n_f32(x)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        unsafe { Neon(vld1q_f32(p)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        unsafe { vst1q_f32(p, self.0) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        unsafe { Neon(vaddq_f32(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        unsafe { Neon(vsubq_f32(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        unsafe { Neon(vmulq_f32(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        // maxNum semantics: a NaN lane yields the other operand, like `maxps`
        // with the NaN first, so exp's clamp maps NaN to -104 on every backend.
        unsafe { Neon(vmaxnmq_f32(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn ge(self, o: Self) -> uint32x4_t {
        unsafe { vcgeq_f32(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn eq(self, o: Self) -> uint32x4_t {
        unsafe { vceqq_f32(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> uint32x4_t {
        unsafe { vmvnq_u32(vceqq_f32(self.0, self.0)) }
    }
    #[inline(always)]
    unsafe fn mask_or(a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        unsafe { vorrq_u32(a, b) }
    }
    #[inline(always)]
    unsafe fn mask_bits(m: uint32x4_t) -> u32 {
        const LANE_BITS: [u32; 4] = [1, 2, 4, 8];
        // LANE_BITS holds 4 readable u32.
        unsafe { vaddvq_u32(vandq_u32(m, vld1q_u32(LANE_BITS.as_ptr()))) }
    }
    #[inline(always)]
    unsafe fn select_or_zero(self, m: uint32x4_t) -> Self {
        unsafe {
            Neon(vreinterpretq_f32_u32(vandq_u32(
                vreinterpretq_u32_f32(self.0),
                m,
            )))
        }
    }
    #[inline(always)]
    unsafe fn count_where(self, m: uint32x4_t) -> Self {
        // A set lane is all ones, -1 as an integer.
        unsafe {
            Neon(vreinterpretq_f32_u32(vsubq_u32(
                vreinterpretq_u32_f32(self.0),
                m,
            )))
        }
    }
    #[inline(always)]
    unsafe fn exp2i(self) -> Self {
        unsafe {
            // Truncating conversion is exact: the lanes hold integers.
            let k = vaddq_s32(vcvtq_s32_f32(self.0), vdupq_n_s32(127));
            Neon(vreinterpretq_f32_s32(vshlq_n_s32::<23>(k)))
        }
    }
    #[inline(always)]
    unsafe fn fold_max(self) -> f32 {
        unsafe { vmaxvq_f32(self.0) }
    }
    #[inline(always)]
    unsafe fn acc_zero() -> Self::Acc {
        unsafe { (vdupq_n_f64(0.0), vdupq_n_f64(0.0)) }
    }
    #[inline(always)]
    unsafe fn acc_add(acc: Self::Acc, v: Self) -> Self::Acc {
        unsafe {
            let lo = vcvt_f64_f32(vget_low_f32(v.0)); // lanes 0, 1
            let hi = vcvt_high_f64_f32(v.0); // lanes 2, 3
            (vaddq_f64(acc.0, lo), vaddq_f64(acc.1, hi))
        }
    }
    #[inline(always)]
    unsafe fn acc_store(acc: Self::Acc, out: *mut f64) {
        // `out` holds 4 writable f64.
        unsafe {
            vst1q_f64(out, acc.0);
            vst1q_f64(out.add(2), acc.1);
        }
    }
    type Sum = uint64x2_t;
    #[inline(always)]
    unsafe fn to_fixed(self) -> Self {
        // `fcvtns`: to nearest, ties to even.
        unsafe { Neon(vreinterpretq_f32_s32(vcvtnq_s32_f32(self.0))) }
    }
    #[inline(always)]
    unsafe fn fixed_to_float(self) -> Self {
        unsafe { Neon(vcvtq_f32_s32(vreinterpretq_s32_f32(self.0))) }
    }
    #[inline(always)]
    unsafe fn sum_zero() -> uint64x2_t {
        unsafe { vdupq_n_u64(0) }
    }
    #[inline(always)]
    unsafe fn sum_add(acc: uint64x2_t, v: Self) -> uint64x2_t {
        // Adds lane pairs, widened, to acc.
        unsafe { vpadalq_u32(acc, vreinterpretq_u32_f32(v.0)) }
    }
    #[inline(always)]
    unsafe fn sum_total(acc: uint64x2_t) -> u64 {
        unsafe { vaddvq_u64(acc) }
    }
}

pub(crate) mod neon {
    super::super::entry_points!(super::Neon, "neon");
}
