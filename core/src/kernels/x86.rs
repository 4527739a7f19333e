//! x86_64 backends: SSE2 (4 lanes), AVX2+FMA (8 lanes), AVX-512F (16 lanes).
//!
//! Each implements [`Vector`] with intrinsics; the kernels come from
//! `generic.rs` through `#[target_feature]` entry points. No FMA instruction is
//! used, even on the AVX2+FMA tier: fused rounding would make its results differ
//! from the SSE2, scalar and NEON paths.

use core::arch::x86_64::*;

use super::generic::Vector;

#[derive(Clone, Copy)]
pub(crate) struct Sse2(__m128);
#[derive(Clone, Copy)]
pub(crate) struct Avx2(__m256);
#[derive(Clone, Copy)]
pub(crate) struct Avx512(__m512);

// Each `impl Vector` below carries one SAFETY note for all its `unsafe`
// blocks; the free helpers have their own.

#[inline(always)]
unsafe fn fold_max_128(v: __m128) -> f32 {
    // SAFETY: the caller guarantees SSE2 (the `Vector` contract).
    unsafe {
        let t = _mm_max_ps(v, _mm_movehl_ps(v, v));
        _mm_cvtss_f32(_mm_max_ss(t, _mm_shuffle_ps::<1>(t, t)))
    }
}

// SAFETY (every `unsafe` block in this impl, one note instead of one per
// method): the intrinsics need SSE2, which the `Vector` contract makes the
// caller guarantee; loads and stores touch the `LANES` floats at the pointer,
// which the caller guarantees are in bounds, and are unaligned.
#[allow(clippy::undocumented_unsafe_blocks)]
impl Vector for Sse2 {
    const LANES: usize = 4;
    type Acc = (__m128d, __m128d);
    type Mask = __m128;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        unsafe { Sse2(_mm_set1_ps(x)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        unsafe { Sse2(_mm_loadu_ps(p)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        unsafe { _mm_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        unsafe { Sse2(_mm_add_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        unsafe { Sse2(_mm_sub_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        unsafe { Sse2(_mm_mul_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        unsafe { Sse2(_mm_max_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn ge(self, o: Self) -> __m128 {
        unsafe { _mm_cmpge_ps(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn eq(self, o: Self) -> __m128 {
        unsafe { _mm_cmpeq_ps(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> __m128 {
        unsafe { _mm_cmpunord_ps(self.0, self.0) }
    }
    #[inline(always)]
    unsafe fn mask_or(a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_or_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn mask_bits(m: __m128) -> u32 {
        unsafe { _mm_movemask_ps(m) as u32 }
    }
    #[inline(always)]
    unsafe fn select_or_zero(self, m: __m128) -> Self {
        unsafe { Sse2(_mm_and_ps(self.0, m)) }
    }
    #[inline(always)]
    unsafe fn count_where(self, m: __m128) -> Self {
        // A set lane is all ones, -1 as an integer.
        unsafe {
            Sse2(_mm_castsi128_ps(_mm_sub_epi32(
                _mm_castps_si128(self.0),
                _mm_castps_si128(m),
            )))
        }
    }
    #[inline(always)]
    unsafe fn exp2i(self) -> Self {
        unsafe {
            let k = _mm_add_epi32(_mm_cvtps_epi32(self.0), _mm_set1_epi32(127));
            Sse2(_mm_castsi128_ps(_mm_slli_epi32::<23>(k)))
        }
    }
    #[inline(always)]
    unsafe fn fold_max(self) -> f32 {
        unsafe { fold_max_128(self.0) }
    }
    #[inline(always)]
    unsafe fn acc_zero() -> Self::Acc {
        unsafe { (_mm_setzero_pd(), _mm_setzero_pd()) }
    }
    #[inline(always)]
    unsafe fn acc_add(acc: Self::Acc, v: Self) -> Self::Acc {
        unsafe {
            let lo = _mm_cvtps_pd(v.0); // lanes 0, 1
            let hi = _mm_cvtps_pd(_mm_movehl_ps(v.0, v.0)); // lanes 2, 3
            (_mm_add_pd(acc.0, lo), _mm_add_pd(acc.1, hi))
        }
    }
    #[inline(always)]
    unsafe fn acc_store(acc: Self::Acc, out: *mut f64) {
        // `out` holds 4 writable f64.
        unsafe {
            _mm_storeu_pd(out, acc.0);
            _mm_storeu_pd(out.add(2), acc.1);
        }
    }
    type Sum = __m128i;
    #[inline(always)]
    unsafe fn to_fixed(self) -> Self {
        // MXCSR's default rounding: to nearest even.
        unsafe { Sse2(_mm_castsi128_ps(_mm_cvtps_epi32(self.0))) }
    }
    #[inline(always)]
    unsafe fn fixed_to_float(self) -> Self {
        unsafe { Sse2(_mm_cvtepi32_ps(_mm_castps_si128(self.0))) }
    }
    #[inline(always)]
    unsafe fn sum_zero() -> __m128i {
        unsafe { _mm_setzero_si128() }
    }
    #[inline(always)]
    unsafe fn sum_add(acc: __m128i, v: Self) -> __m128i {
        unsafe {
            // Each u64 lane gets its low and its high u32 (both < 2^31).
            let x = _mm_castps_si128(v.0);
            let low = _mm_and_si128(x, _mm_set1_epi64x(0xffff_ffff));
            _mm_add_epi64(acc, _mm_add_epi64(low, _mm_srli_epi64::<32>(x)))
        }
    }
    #[inline(always)]
    unsafe fn sum_total(acc: __m128i) -> u64 {
        unsafe {
            let hi = _mm_unpackhi_epi64(acc, acc);
            _mm_cvtsi128_si64(_mm_add_epi64(acc, hi)) as u64
        }
    }
}

// SAFETY (every `unsafe` block in this impl, one note instead of one per
// method): the intrinsics need AVX2 (and FMA), which the `Vector` contract makes the
// caller guarantee; loads and stores touch the `LANES` floats at the pointer,
// which the caller guarantees are in bounds, and are unaligned.
#[allow(clippy::undocumented_unsafe_blocks)]
impl Vector for Avx2 {
    const LANES: usize = 8;
    type Acc = (__m256d, __m256d);
    type Mask = __m256;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        unsafe { Avx2(_mm256_set1_ps(x)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        unsafe { Avx2(_mm256_loadu_ps(p)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        unsafe { _mm256_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        unsafe { Avx2(_mm256_add_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        unsafe { Avx2(_mm256_sub_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        unsafe { Avx2(_mm256_mul_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        unsafe { Avx2(_mm256_max_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn ge(self, o: Self) -> __m256 {
        unsafe { _mm256_cmp_ps::<_CMP_GE_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn eq(self, o: Self) -> __m256 {
        unsafe { _mm256_cmp_ps::<_CMP_EQ_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> __m256 {
        unsafe { _mm256_cmp_ps::<_CMP_UNORD_Q>(self.0, self.0) }
    }
    #[inline(always)]
    unsafe fn mask_or(a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_or_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn mask_bits(m: __m256) -> u32 {
        unsafe { _mm256_movemask_ps(m) as u32 }
    }
    #[inline(always)]
    unsafe fn select_or_zero(self, m: __m256) -> Self {
        unsafe { Avx2(_mm256_and_ps(self.0, m)) }
    }
    #[inline(always)]
    unsafe fn count_where(self, m: __m256) -> Self {
        // A set lane is all ones, -1 as an integer.
        unsafe {
            Avx2(_mm256_castsi256_ps(_mm256_sub_epi32(
                _mm256_castps_si256(self.0),
                _mm256_castps_si256(m),
            )))
        }
    }
    #[inline(always)]
    unsafe fn exp2i(self) -> Self {
        unsafe {
            let k = _mm256_add_epi32(_mm256_cvtps_epi32(self.0), _mm256_set1_epi32(127));
            Avx2(_mm256_castsi256_ps(_mm256_slli_epi32::<23>(k)))
        }
    }
    #[inline(always)]
    unsafe fn fold_max(self) -> f32 {
        unsafe {
            let lo = _mm256_castps256_ps128(self.0);
            fold_max_128(_mm_max_ps(lo, _mm256_extractf128_ps::<1>(self.0)))
        }
    }
    #[inline(always)]
    unsafe fn acc_zero() -> Self::Acc {
        unsafe { (_mm256_setzero_pd(), _mm256_setzero_pd()) }
    }
    #[inline(always)]
    unsafe fn acc_add(acc: Self::Acc, v: Self) -> Self::Acc {
        unsafe {
            let lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v.0));
            let hi = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(v.0));
            (_mm256_add_pd(acc.0, lo), _mm256_add_pd(acc.1, hi))
        }
    }
    #[inline(always)]
    unsafe fn acc_store(acc: Self::Acc, out: *mut f64) {
        // `out` holds 8 writable f64.
        unsafe {
            _mm256_storeu_pd(out, acc.0);
            _mm256_storeu_pd(out.add(4), acc.1);
        }
    }
    type Sum = __m256i;
    #[inline(always)]
    unsafe fn to_fixed(self) -> Self {
        // MXCSR's default rounding: to nearest even.
        unsafe { Avx2(_mm256_castsi256_ps(_mm256_cvtps_epi32(self.0))) }
    }
    #[inline(always)]
    unsafe fn fixed_to_float(self) -> Self {
        unsafe { Avx2(_mm256_cvtepi32_ps(_mm256_castps_si256(self.0))) }
    }
    #[inline(always)]
    unsafe fn sum_zero() -> __m256i {
        unsafe { _mm256_setzero_si256() }
    }
    #[inline(always)]
    unsafe fn sum_add(acc: __m256i, v: Self) -> __m256i {
        unsafe {
            let x = _mm256_castps_si256(v.0);
            let low = _mm256_and_si256(x, _mm256_set1_epi64x(0xffff_ffff));
            _mm256_add_epi64(acc, _mm256_add_epi64(low, _mm256_srli_epi64::<32>(x)))
        }
    }
    #[inline(always)]
    unsafe fn sum_total(acc: __m256i) -> u64 {
        unsafe {
            let lo = _mm256_castsi256_si128(acc);
            let hi = _mm256_extracti128_si256::<1>(acc);
            Sse2::sum_total(_mm_add_epi64(lo, hi))
        }
    }
}

// SAFETY (every `unsafe` block in this impl, one note instead of one per
// method): the intrinsics need AVX-512F, which the `Vector` contract makes the
// caller guarantee; loads and stores touch the `LANES` floats at the pointer,
// which the caller guarantees are in bounds, and are unaligned.
#[allow(clippy::undocumented_unsafe_blocks)]
impl Vector for Avx512 {
    const LANES: usize = 16;
    type Acc = (__m512d, __m512d);
    type Mask = __mmask16;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        unsafe { Avx512(_mm512_set1_ps(x)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        unsafe { Avx512(_mm512_loadu_ps(p)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        unsafe { _mm512_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        unsafe { Avx512(_mm512_add_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        unsafe { Avx512(_mm512_sub_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        unsafe { Avx512(_mm512_mul_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn max(self, o: Self) -> Self {
        unsafe { Avx512(_mm512_max_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn ge(self, o: Self) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_GE_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn eq(self, o: Self) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> __mmask16 {
        unsafe { _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(self.0, self.0) }
    }
    #[inline(always)]
    unsafe fn mask_or(a: __mmask16, b: __mmask16) -> __mmask16 {
        a | b
    }
    #[inline(always)]
    unsafe fn mask_bits(m: __mmask16) -> u32 {
        m as u32
    }
    #[inline(always)]
    unsafe fn select_or_zero(self, m: __mmask16) -> Self {
        unsafe { Avx512(_mm512_maskz_mov_ps(m, self.0)) }
    }
    #[inline(always)]
    unsafe fn count_where(self, m: __mmask16) -> Self {
        unsafe {
            let x = _mm512_castps_si512(self.0);
            Avx512(_mm512_castsi512_ps(_mm512_mask_add_epi32(
                x,
                m,
                x,
                _mm512_set1_epi32(1),
            )))
        }
    }
    #[inline(always)]
    unsafe fn exp2i(self) -> Self {
        unsafe {
            let k = _mm512_add_epi32(_mm512_cvtps_epi32(self.0), _mm512_set1_epi32(127));
            Avx512(_mm512_castsi512_ps(_mm512_slli_epi32::<23>(k)))
        }
    }
    #[inline(always)]
    unsafe fn fold_max(self) -> f32 {
        unsafe {
            let (lo, hi) = halves_512(self.0);
            Avx2(_mm256_max_ps(lo, hi)).fold_max()
        }
    }
    #[inline(always)]
    unsafe fn acc_zero() -> Self::Acc {
        unsafe { (_mm512_setzero_pd(), _mm512_setzero_pd()) }
    }
    #[inline(always)]
    unsafe fn acc_add(acc: Self::Acc, v: Self) -> Self::Acc {
        unsafe {
            let (lo, hi) = halves_512(v.0);
            (
                _mm512_add_pd(acc.0, _mm512_cvtps_pd(lo)),
                _mm512_add_pd(acc.1, _mm512_cvtps_pd(hi)),
            )
        }
    }
    #[inline(always)]
    unsafe fn acc_store(acc: Self::Acc, out: *mut f64) {
        // `out` holds 16 writable f64.
        unsafe {
            _mm512_storeu_pd(out, acc.0);
            _mm512_storeu_pd(out.add(8), acc.1);
        }
    }
    type Sum = __m512i;
    #[inline(always)]
    unsafe fn to_fixed(self) -> Self {
        unsafe {
            Avx512(_mm512_castsi512_ps(_mm512_cvt_roundps_epi32::<
                { _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC },
            >(self.0)))
        }
    }
    #[inline(always)]
    unsafe fn fixed_to_float(self) -> Self {
        unsafe { Avx512(_mm512_cvtepi32_ps(_mm512_castps_si512(self.0))) }
    }
    #[inline(always)]
    unsafe fn sum_zero() -> __m512i {
        unsafe { _mm512_setzero_si512() }
    }
    #[inline(always)]
    unsafe fn sum_add(acc: __m512i, v: Self) -> __m512i {
        unsafe {
            let x = _mm512_castps_si512(v.0);
            let low = _mm512_and_si512(x, _mm512_set1_epi64(0xffff_ffff));
            _mm512_add_epi64(acc, _mm512_add_epi64(low, _mm512_srli_epi64::<32>(x)))
        }
    }
    #[inline(always)]
    unsafe fn sum_total(acc: __m512i) -> u64 {
        unsafe { _mm512_reduce_add_epi64(acc) as u64 }
    }
}

/// Low and high 256-bit halves with AVX-512F only (`extractf32x8` would need DQ).
#[inline(always)]
unsafe fn halves_512(v: __m512) -> (__m256, __m256) {
    // SAFETY: the caller guarantees AVX-512F (the `Vector` contract).
    unsafe {
        let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)));
        (_mm512_castps512_ps256(v), hi)
    }
}

pub(crate) mod sse2 {
    super::super::entry_points!(super::Sse2, "sse2");
}
pub(crate) mod avx2 {
    super::super::entry_points!(super::Avx2, "avx2,fma");
}
pub(crate) mod avx512 {
    super::super::entry_points!(super::Avx512, "avx512f,avx2,fma");
}

/// `(AVX2 and FMA, AVX-512F)` usable on this CPU, from `cpuid` and `xgetbv`
/// (the detection without `std`): the instructions must be reported by
/// `cpuid` and their register state enabled by the OS in XCR0.
#[cfg(all(any(not(feature = "std"), test), not(miri)))]
pub(crate) fn cpu_features() -> (bool, bool) {
    use core::arch::x86_64::{__cpuid, __cpuid_count};
    let bit = |word: u32, n: u32| word >> n & 1 == 1;
    // SAFETY: `cpuid` exists on every x86_64 CPU, and leaf 7 is only read
    // when leaf 0 reports it. (The intrinsics are safe fns in newer Rust,
    // `unsafe` ones at our MSRV.)
    #[allow(unused_unsafe)]
    let (leaf1, leaf7) = unsafe {
        let max_leaf = __cpuid(0).eax;
        let leaf7 = if max_leaf >= 7 {
            __cpuid_count(7, 0).ebx
        } else {
            0
        };
        (__cpuid(1).ecx, leaf7)
    };
    // OSXSAVE (ecx 27): the OS saves extended state, so XCR0 can be read.
    if !bit(leaf1, 27) {
        return (false, false);
    }
    // SAFETY: OSXSAVE is set, so `xgetbv` with ECX = 0 is supported.
    let xcr0 = unsafe { xgetbv0() };
    // XMM and YMM state (bits 1, 2); opmask, ZMM 0-15 high and ZMM 16-31 (5, 6, 7).
    let ymm = xcr0 & 0b110 == 0b110;
    let zmm = xcr0 & 0b1110_0110 == 0b1110_0110;
    let avx2_fma = ymm && bit(leaf1, 28) && bit(leaf1, 12) && bit(leaf7, 5);
    (avx2_fma, zmm && avx2_fma && bit(leaf7, 16))
}

/// XCR0, the OS-enabled register state.
///
/// # Safety
/// The CPU reports OSXSAVE (CPUID.1:ECX bit 27).
#[cfg(all(any(not(feature = "std"), test), not(miri)))]
#[target_feature(enable = "xsave")]
unsafe fn xgetbv0() -> u64 {
    // SAFETY: the caller checked OSXSAVE, so XGETBV is available.
    unsafe { core::arch::x86_64::_xgetbv(0) }
}

#[cfg(all(test, not(miri)))]
mod tests {
    #[test]
    fn cpuid_detection_agrees_with_std() {
        let std_says = (
            std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"),
            std::is_x86_feature_detected!("avx512f"),
        );
        assert_eq!(super::cpu_features(), std_says);
    }

    /// The tiers the public API offers agree with `std`'s detection, with
    /// or without the `std` feature (test.sh runs both: this is what checks
    /// the `cpuid` path behind `Backend::is_available`).
    #[test]
    fn backend_tiers_agree_with_std() {
        use crate::kernels::Backend;
        let avx2_fma =
            std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        let avx512f = std::is_x86_feature_detected!("avx512f");
        assert!(Backend::Sse2.is_available());
        assert_eq!(Backend::Avx2.is_available(), avx2_fma);
        assert_eq!(Backend::Avx512.is_available(), avx2_fma && avx512f);
    }
}
