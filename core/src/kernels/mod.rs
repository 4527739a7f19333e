//! The kernels: the only code that knows an instruction set.
//!
//! The sampling algorithms above this module call a handful of data-parallel
//! kernels: the max/NaN scan, the position of a value, the threshold gather,
//! the masked exp-and-sum, the mass-prefix walks and scaling. Each is written
//! once in `generic.rs` over a small `Vector` trait; `scalar.rs`, `x86.rs`
//! (SSE2, AVX2+FMA, AVX-512F) and `aarch64.rs` (NEON) implement that trait.
//!
//! A [`Kernels`] value can only be made for a backend the CPU runs
//! ([`Backend::kernels`]), so holding one is the proof that its methods are
//! sound; that is why they are safe to call.
//!
//! Public only so that this workspace's test suite and benchmarks can check
//! and time every backend kernel by kernel: the module is hidden from the
//! documentation and not covered by semver (anything in it may change in any
//! release). [`Backend`] is re-exported at the crate root and is stable.

#[cfg(target_arch = "aarch64")]
mod aarch64;
pub(crate) mod generic;
pub(crate) mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86;

use crate::error::SampleError;

/// The most floats [`Kernels::at_least_counts`] compares: a multiple of
/// every backend's lane count.
pub const RANKED: usize = 64;

/// An instruction-set path. Every backend computes bit-identical results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Portable code, one lane at a time: the reference and the fallback.
    Scalar,
    /// x86_64 SSE2, 4 lanes (every x86_64 CPU).
    Sse2,
    /// x86_64 AVX2 with FMA, 8 lanes.
    Avx2,
    /// x86_64 AVX-512F, 16 lanes.
    Avx512,
    /// aarch64 NEON, 4 lanes (every aarch64 CPU).
    Neon,
}

#[cfg(target_arch = "x86_64")]
static CANDIDATES: [Backend; 4] = [
    Backend::Scalar,
    Backend::Sse2,
    Backend::Avx2,
    Backend::Avx512,
];
#[cfg(target_arch = "aarch64")]
static CANDIDATES: [Backend; 2] = [Backend::Scalar, Backend::Neon];
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
static CANDIDATES: [Backend; 1] = [Backend::Scalar];

impl Backend {
    /// Every backend, available here or not (for listing in reports).
    pub const ALL: [Backend; 5] = [
        Backend::Scalar,
        Backend::Sse2,
        Backend::Avx2,
        Backend::Avx512,
        Backend::Neon,
    ];

    /// A short lower-case name: `scalar`, `sse2`, `avx2`, `avx512`, `neon`.
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Scalar => "scalar",
            Backend::Sse2 => "sse2",
            Backend::Avx2 => "avx2",
            Backend::Avx512 => "avx512",
            Backend::Neon => "neon",
        }
    }

    /// Whether this CPU can run the backend (asked of the CPU at run time, with
    /// or without `std`).
    pub fn is_available(self) -> bool {
        match self {
            Backend::Scalar => true,
            Backend::Sse2 | Backend::Avx2 | Backend::Avx512 => x86_tier_available(self),
            Backend::Neon => cfg!(target_arch = "aarch64"),
        }
    }

    /// Every backend this CPU can run, slowest first (so the last is the best).
    ///
    /// Each x86 tier's requirements include the previous tier's, so the list is
    /// a prefix of `Scalar, Sse2, Avx2, Avx512` (or `Scalar, Neon` on aarch64).
    pub fn available() -> &'static [Backend] {
        let n = CANDIDATES.iter().take_while(|b| b.is_available()).count();
        CANDIDATES.get(..n).unwrap_or(&[])
    }

    /// The fastest available backend. The CPU is asked once per process and
    /// the answer cached (an atomic byte; a race only asks twice).
    pub fn detect() -> Backend {
        use core::sync::atomic::{AtomicU8, Ordering};
        static CACHE: AtomicU8 = AtomicU8::new(u8::MAX);
        let cached = CACHE.load(Ordering::Relaxed);
        if let Some(b) = Backend::ALL.get(cached as usize) {
            return *b;
        }
        let best = Self::best_available();
        let index = Backend::ALL.iter().position(|b| *b == best).unwrap_or(0);
        CACHE.store(index as u8, Ordering::Relaxed);
        best
    }

    fn best_available() -> Backend {
        Self::available().last().copied().unwrap_or(Backend::Scalar)
    }

    /// The kernels of this backend, or `BackendUnavailable` if the CPU cannot run it.
    pub fn kernels(self) -> Result<Kernels, SampleError> {
        if self.is_available() {
            Ok(Kernels(self))
        } else {
            Err(SampleError::BackendUnavailable(self))
        }
    }
}

/// x86 tiers, asked of the CPU at run time: through `std` with the `std`
/// feature, by `cpuid` and `xgetbv` without it (so `default-features = false`
/// and bare-metal x86 users get the fast paths too); under Miri, which runs
/// no `cpuid`, from the compile-time `target_feature`s. Each tier also
/// requires the previous one's features (the entry points enable them).
#[cfg(target_arch = "x86_64")]
fn x86_tier_available(b: Backend) -> bool {
    let (avx2_fma, avx512f) = x86_features();
    match b {
        // Every x86_64 CPU has SSE2.
        Backend::Sse2 => true,
        Backend::Avx2 => avx2_fma,
        Backend::Avx512 => avx2_fma && avx512f,
        Backend::Scalar | Backend::Neon => false,
    }
}

#[cfg(all(target_arch = "x86_64", feature = "std", not(miri)))]
fn x86_features() -> (bool, bool) {
    (
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"),
        std::is_x86_feature_detected!("avx512f"),
    )
}

#[cfg(all(target_arch = "x86_64", not(feature = "std"), not(miri)))]
fn x86_features() -> (bool, bool) {
    x86::cpu_features()
}

#[cfg(all(target_arch = "x86_64", miri))]
fn x86_features() -> (bool, bool) {
    (
        cfg!(all(target_feature = "avx2", target_feature = "fma")),
        cfg!(target_feature = "avx512f"),
    )
}

#[cfg(not(target_arch = "x86_64"))]
fn x86_tier_available(_: Backend) -> bool {
    false
}

/// The entry points of one backend: each instantiates a generic kernel for the
/// backend's `Vector` type, under `#[target_feature]` for the SIMD backends.
macro_rules! entry_points {
    ($V:ty $(, $features:literal)?) => {
        use $crate::kernels::{Candidate, Gathered, MassScale, MaxScan, SetSums, Weighting, generic};

        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn max_nan(xs: &[f32]) -> MaxScan {
            // SAFETY: the caller guarantees the CPU has this backend's features.
            unsafe { generic::max_nan::<$V>(xs) }
        }
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn position_of(xs: &[f32], v: f32) -> Option<usize> {
            // SAFETY: the caller guarantees the CPU has this backend's features.
            unsafe { generic::position_of::<$V>(xs, v) }
        }
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn gather_at_least(
            xs: &[f32],
            t: f32,
            base: u32,
            out: &mut [Candidate],
        ) -> Gathered {
            // SAFETY: the caller guarantees the CPU has this backend's features.
            unsafe { generic::gather_at_least::<$V>(xs, t, base, out) }
        }
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn at_least_counts(
            ls: &[f32; $crate::kernels::RANKED],
            n: usize,
            out: &mut [u32; $crate::kernels::RANKED],
        ) {
            // SAFETY: the caller guarantees the CPU has this backend's features.
            unsafe { generic::at_least_counts::<$V>(ls, n, out) }
        }
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn exp_weights(xs: &mut [f32], t: f32, w: Weighting) -> u64 {
            // SAFETY: the caller guarantees the features; the slice is valid and writable.
            unsafe { generic::exp_weights::<$V>(xs, t, w) }
        }
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn exp_fixed(
            xs: *mut f32,
            len: usize,
            t: f32,
            w: Weighting,
            write: bool,
        ) -> u64 {
            // SAFETY: the caller guarantees the features and the `len`
            // floats at `xs`, writable if `write`.
            unsafe { generic::exp_fixed::<$V>(xs, len, t, w, write) }
        }
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn deviation_sums(xs: &[f32], t: f32, c: f32) -> SetSums {
            // SAFETY: the caller guarantees the CPU has this backend's features.
            unsafe { generic::deviation_sums::<$V>(xs, t, c) }
        }
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn entropy_sums(xs: &[f32], t: f32, w: Weighting) -> SetSums {
            // SAFETY: the caller guarantees the CPU has this backend's features.
            unsafe { generic::entropy_sums::<$V>(xs, t, w) }
        }
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn fixed_prefix(qs: &[f32], target: u64) -> Option<usize> {
            // SAFETY: the caller guarantees the CPU has this backend's features.
            unsafe { generic::fixed_prefix::<$V>(qs, target) }
        }
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn scale_fixed(qs: &mut [f32], factor: f32) {
            // SAFETY: the caller guarantees the CPU has this backend's features.
            unsafe { generic::scale_fixed::<$V>(qs, factor) }
        }
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn mass_prefix(
            ws: &[f32],
            scale: MassScale,
            target: u64,
        ) -> Result<usize, u64> {
            // SAFETY: the caller guarantees the CPU has this backend's features.
            unsafe { generic::mass_prefix::<$V>(ws, scale, target) }
        }
        $(#[target_feature(enable = $features)])?
        pub(crate) unsafe fn scale(xs: &mut [f32], factor: f32) {
            // SAFETY: the caller guarantees the CPU has this backend's features.
            unsafe { generic::scale::<$V>(xs, factor) }
        }
    };
}
use entry_points;

/// Calls kernel `$name` of the backend held by a `Kernels` value.
macro_rules! dispatch {
    ($k:expr, $name:ident($($arg:expr),*)) => {
        match $k.0 {
            // SAFETY: a `Kernels` value exists only for an available backend
            // (`Backend::kernels`), so the entry point's features are present.
            #[cfg(target_arch = "x86_64")]
            Backend::Sse2 => unsafe { x86::sse2::$name($($arg),*) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => unsafe { x86::avx2::$name($($arg),*) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => unsafe { x86::avx512::$name($($arg),*) },
            // SAFETY: as above.
            #[cfg(target_arch = "aarch64")]
            Backend::Neon => unsafe { aarch64::neon::$name($($arg),*) },
            // SAFETY: the f32 `Vector` impl uses no ISA-specific instruction.
            Backend::Scalar => unsafe { scalar::entry::$name($($arg),*) },
            // No `Kernels` value names a backend of another architecture
            // (`Backend::kernels` refuses it), so these arms never run; they
            // are named so that a new backend cannot fall through to scalar.
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Sse2 | Backend::Avx2 | Backend::Avx512 => {
                debug_assert!(false, "x86 kernels off x86_64");
                // SAFETY: as for `Backend::Scalar`.
                unsafe { scalar::entry::$name($($arg),*) }
            }
            #[cfg(not(target_arch = "aarch64"))]
            Backend::Neon => {
                debug_assert!(false, "NEON kernels off aarch64");
                // SAFETY: as for `Backend::Scalar`.
                unsafe { scalar::entry::$name($($arg),*) }
            }
        }
    };
}

/// A token id and its logit, as gathered into a sampler's scratch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Candidate {
    /// Token id (index into the logits).
    pub id: u32,
    /// The token's logit.
    pub logit: f32,
}

/// Result of the max/NaN scan.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MaxScan {
    /// The largest element (`-0.0` reported as `+0.0`); NaN if `nan` is set.
    pub max: f32,
    /// Index of the first NaN, if any.
    pub nan: Option<usize>,
}

/// Result of a gather.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gathered {
    /// Candidates written.
    pub count: usize,
    /// Index where the scan stopped: the first qualifying element that did not
    /// fit, or the slice length when everything fitted.
    pub next: usize,
}

/// Sums over the elements `>= t` of a slice, the `f64` ones in the chunk
/// layout (`generic.rs`): what top-n-sigma and the entropy of typical-p and
/// dynamic temperature read of a set in the buffer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SetSums {
    /// Elements `>= t`.
    pub count: u64,
    /// `entropy_sums`: their fixed-point masses' exact total; else 0.
    pub mass: u64,
    /// `deviation_sums`: `Σ (x - c)`; `entropy_sums`: `Σ q s` over the
    /// nonzero masses `q`, `s = (x - max) * inv_t`.
    pub first: f64,
    /// `deviation_sums`: `Σ (x - c)^2` (the square in `f32`); else 0.
    pub second: f64,
}

/// How a logit becomes an (unnormalised) weight: `exp((logit - max) * inv_t)`.
/// `inv_t = 0` (with `max = 0`) gives every finite logit weight 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weighting {
    /// Subtracted first, so that the weights are at most 1.
    pub max: f32,
    /// `1 / temperature`.
    pub inv_t: f32,
}

impl Weighting {
    /// Every finite logit gets weight 1 (temperature `+inf`, or a draw among `+inf` logits).
    pub const UNIFORM: Weighting = Weighting {
        max: 0.0,
        inv_t: 0.0,
    };

    /// The weight of one logit, bit-identical to what `Kernels::exp_weights` writes.
    #[inline]
    pub fn weight(self, logit: f32) -> f32 {
        scalar::exp_nonpositive((logit - self.max) * self.inv_t)
    }

    /// The fixed-point mass of one logit, `round(weight * 2^30)`: bit-identical
    /// to what `Kernels::exp_fixed` writes (as `i32` bits) for a logit at or
    /// above its threshold.
    #[inline]
    pub fn fixed(self, logit: f32) -> u32 {
        scalar::exp_fixed((logit - self.max) * self.inv_t)
    }

    /// [`fixed`](Self::fixed), always inlined (for per-candidate loops).
    #[inline(always)]
    pub(crate) fn fixed_inlined(self, logit: f32) -> u32 {
        scalar::exp_fixed_inlined((logit - self.max) * self.inv_t)
    }
}

/// `2^30`: the fixed-point unit of a mass. A weight `w` in `[0, 1]` becomes
/// `round(w * 2^30)` (at most `2^30`, an `i32`); `u64` sums of fewer than
/// `2^32` of them cannot overflow.
pub const FIXED_ONE: f32 = 1_073_741_824.0;

/// How a caller's weights (`sample_inverse_cdf`'s probabilities, an alias
/// table's weights: any non-negative scale) become fixed-point masses:
/// `round(w * 2^(29 - E))`, ties to even, where `2^E <= max < 2^(E + 1)` for
/// the largest weight `max`. The largest mass lies in `[2^29, 2^30)`, a
/// weight below half a unit (`2^(E - 30)`, at most `max * 2^-30`) gets 0,
/// and fewer than 2^32 masses sum exactly in a `u64`.
///
/// The factor `2^(29 - E)` (from `2^-98` to `2^178`) is applied as two
/// powers of two, each a normal float: scaling up, both products are exact;
/// scaling down, a product is inexact only below `2^-126`, where the mass is
/// 0 either way. So every backend gets the same integers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MassScale {
    first: f32,
    second: f32,
}

impl MassScale {
    /// Scales nothing (for kernels that read masses already made).
    pub(crate) const UNIT: MassScale = MassScale {
        first: 1.0,
        second: 1.0,
    };

    /// The scale for weights whose largest is `max` (positive and finite;
    /// for anything else, some scale, never a panic).
    pub fn for_max(max: f32) -> MassScale {
        let bits = max.to_bits() & 0x7fff_ffff;
        let field = (bits >> 23) as i32;
        // E: the exponent of a normal float, or of a subnormal's leading bit.
        let e = if field == 0 {
            31 - (bits | 1).leading_zeros() as i32 - 149
        } else {
            field - 127
        };
        let k = 29 - e; // -99 (NaN, inf) ..= 178
        let a = k / 2;
        let pow2 = |n: i32| f32::from_bits(((n + 127) as u32) << 23);
        MassScale {
            first: pow2(a),
            second: pow2(k - a),
        }
    }

    /// The mass of one weight (`0 <= w <= max`): bit-identical to the
    /// kernels' lanes.
    #[inline]
    pub fn mass(self, w: f32) -> u32 {
        scalar::scaled_fixed(w, self.first, self.second)
    }
}

/// `1 / total` in `f32`, the factor that turns fixed-point masses summing to
/// `total` (`> 0`) into probabilities: the total rounded to `f32`, then one
/// division, both to nearest (within 1 ulp of the exact reciprocal). Float
/// arithmetic only, no `f64` or 64-bit division, so a microcontroller links
/// no software routine for it beyond the `u64` conversion.
pub(crate) fn probability_factor(total: u64) -> f32 {
    1.0 / total as f32
}

/// The kernels of one backend; holding a value proves the CPU can run them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernels(Backend);

impl Kernels {
    /// The portable kernels, available everywhere.
    pub const SCALAR: Kernels = Kernels(Backend::Scalar);

    /// Which backend these are.
    pub fn backend(self) -> Backend {
        self.0
    }

    /// Whether these are the portable kernels: always on an architecture
    /// without SIMD backends, so a branch on it costs nothing there.
    pub(crate) fn is_scalar(self) -> bool {
        !cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) || self.0 == Backend::Scalar
    }

    /// Floats per register: 1 (scalar), 4 (SSE2, NEON), 8 (AVX2), 16 (AVX-512).
    pub fn lanes(self) -> usize {
        match self.0 {
            Backend::Scalar => 1,
            Backend::Sse2 | Backend::Neon => 4,
            Backend::Avx2 => 8,
            Backend::Avx512 => 16,
        }
    }

    /// Maximum and first NaN of `xs`, in one read pass.
    pub fn max_nan(self, xs: &[f32]) -> MaxScan {
        dispatch!(self, max_nan(xs))
    }

    /// For each of the first `n` floats of `ls` (`n <= RANKED`, none NaN),
    /// how many of those `n` it is at least, itself included, in `out`
    /// (later entries unspecified).
    pub fn at_least_counts(self, ls: &[f32; RANKED], n: usize, out: &mut [u32; RANKED]) {
        dispatch!(self, at_least_counts(ls, n, out))
    }

    /// Index of the first element equal to `v`.
    pub fn position_of(self, xs: &[f32], v: f32) -> Option<usize> {
        dispatch!(self, position_of(xs, v))
    }

    /// Copies each `(base + index, logit)` with `logit >= t` into `out` in
    /// ascending index until `out` is full; see [`Gathered`].
    pub fn gather_at_least(self, xs: &[f32], t: f32, base: u32, out: &mut [Candidate]) -> Gathered {
        dispatch!(self, gather_at_least(xs, t, base, out))
    }

    /// Replaces each `x >= t` by `w.weight(x)` and everything else by 0;
    /// returns their sum in units of 2^-30, rounded once (halves up), exact
    /// but for the weights below 2^-21, each taken to the nearest 2^-51:
    /// `softmax_in_place`'s normaliser, within `2^-31 + n 2^-52` of the
    /// weights' sum for `n` weights.
    pub fn exp_weights(self, xs: &mut [f32], t: f32, w: Weighting) -> u64 {
        dispatch!(self, exp_weights(xs, t, w))
    }

    /// Replaces each `x >= t` by the bits of the `i32` fixed-point mass
    /// `w.fixed(x)` and everything else by 0 (bits of `0.0`); returns the exact
    /// `u64` sum of the masses. Meant for weights of at most 1: for a NaN or
    /// an `x` above `w.max` the value written is unspecified (and may differ
    /// between backends), never undefined behaviour.
    pub fn exp_fixed(self, xs: &mut [f32], t: f32, w: Weighting) -> u64 {
        let (len, xs) = (xs.len(), xs.as_mut_ptr());
        dispatch!(self, exp_fixed(xs, len, t, w, true))
    }

    /// The sum `exp_fixed` would return, without writing (the same kernel,
    /// told not to write: the pointer is never written through).
    pub fn exp_fixed_sum(self, xs: &[f32], t: f32, w: Weighting) -> u64 {
        let (len, xs) = (xs.len(), xs.as_ptr().cast_mut());
        dispatch!(self, exp_fixed(xs, len, t, w, false))
    }

    /// For the elements `x >= t`: their number, `Σ (x - c)` and `Σ (x - c)^2`
    /// (`x - c` and its square in `f32`, the sums in `f64` in the chunk
    /// layout, so every backend returns the same bits).
    pub fn deviation_sums(self, xs: &[f32], t: f32, c: f32) -> SetSums {
        dispatch!(self, deviation_sums(xs, t, c))
    }

    /// For the elements `x >= t`: their number, the exact total of their
    /// masses `q = w.fixed(x)`, and `Σ q s` over `q > 0` with
    /// `s = (x - w.max) * w.inv_t` (`q as f32 * s` in `f32`, the sum in `f64`
    /// in the chunk layout).
    pub fn entropy_sums(self, xs: &[f32], t: f32, w: Weighting) -> SetSums {
        dispatch!(self, entropy_sums(xs, t, w))
    }

    /// Over fixed-point masses as `exp_fixed` writes them: the first index at
    /// which the running `u64` sum exceeds `target`, `None` if the total does not.
    pub fn fixed_prefix(self, qs: &[f32], target: u64) -> Option<usize> {
        dispatch!(self, fixed_prefix(qs, target))
    }

    /// Replaces fixed-point masses (as `exp_fixed` writes them) by
    /// `(q as f32) * factor`.
    pub fn scale_fixed(self, qs: &mut [f32], factor: f32) {
        dispatch!(self, scale_fixed(qs, factor))
    }

    /// Over the masses `scale.mass(w)` of weights `ws`: the first index at
    /// which their running `u64` sum exceeds `target`, or `Err(total)` if
    /// the total does not (`target = u64::MAX`: the total).
    pub fn mass_prefix(self, ws: &[f32], scale: MassScale, target: u64) -> Result<usize, u64> {
        dispatch!(self, mass_prefix(ws, scale, target))
    }

    /// Multiplies every element by `factor`.
    pub fn scale(self, xs: &mut [f32], factor: f32) {
        dispatch!(self, scale(xs, factor))
    }
}

/// The fixed tree over the 16 summation lanes: `lane[j] + lane[j + h]` for
/// `h = 8, 4, 2, 1`.
pub(crate) fn lane_tree(mut lanes: [f64; generic::BLOCK]) -> f64 {
    let mut half = generic::BLOCK / 2;
    while half > 0 {
        for j in 0..half {
            lanes[j] += lanes[j + half];
        }
        half /= 2;
    }
    lanes[0]
}

#[cfg(all(test, not(miri)))]
mod tests {
    use super::Backend;

    /// With or without the `std` feature, detection asks the CPU and picks
    /// the best tier it runs, whatever the compile-time `target_feature`s
    /// (test.sh runs the lib tests with default features, without them, and
    /// with AVX2/AVX-512 disabled at compile time).
    #[test]
    fn detection_picks_the_best_tier_the_cpu_runs() {
        #[cfg(target_arch = "x86_64")]
        let expected = {
            let has = |f: &str| match f {
                "avx2" => std::is_x86_feature_detected!("avx2"),
                "fma" => std::is_x86_feature_detected!("fma"),
                _ => std::is_x86_feature_detected!("avx512f"),
            };
            if has("avx2") && has("fma") && has("avx512f") {
                Backend::Avx512
            } else if has("avx2") && has("fma") {
                Backend::Avx2
            } else {
                Backend::Sse2
            }
        };
        #[cfg(target_arch = "aarch64")]
        let expected = Backend::Neon;
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        let expected = Backend::Scalar;
        assert_eq!(Backend::detect(), expected);
        assert_eq!(Backend::available().last(), Some(&expected));
        std::println!("detected backend: {expected:?}");
    }
}

/// The kernels against plain loops, on every backend this CPU (or Miri) runs,
/// at every length up to three blocks (every tail) and a few values that
/// matter: ties, `-0.0`, `±inf`, NaN, the thresholds. Small enough for Miri.
#[cfg(test)]
mod kernel_tests {
    use super::{Backend, Candidate, FIXED_ONE, Kernels, MassScale, Weighting, generic::BLOCK};

    /// Deterministic test logits: ties, signs and a wide range.
    fn logits(n: usize, salt: u32) -> std::vec::Vec<f32> {
        (0..n as u32)
            .map(|i| {
                let h = (i ^ salt).wrapping_mul(0x9e37_79b9).rotate_left(7);
                ((h % 41) as f32 - 30.0) * 0.75
            })
            .collect()
    }

    fn backends() -> impl Iterator<Item = Kernels> {
        Backend::available().iter().map(|b| b.kernels().unwrap())
    }

    /// Every length up to three blocks (every tail), and lengths with a
    /// head block, four-block iterations and a tail (the realigning
    /// kernels, from `4 * BLOCK` floats on); under Miri, which is slow, the
    /// empty, one-short, exact and one-over ones and one of the latter.
    fn lengths() -> std::vec::Vec<usize> {
        if cfg!(miri) {
            std::vec![
                0,
                1,
                BLOCK - 1,
                BLOCK,
                BLOCK + 1,
                2 * BLOCK + 3,
                9 * BLOCK + 5
            ]
        } else {
            (0..3 * BLOCK + 2)
                .chain([4 * BLOCK, 4 * BLOCK + 1, 9 * BLOCK + 5, 13 * BLOCK + 15])
                .collect()
        }
    }

    #[test]
    fn max_nan_finds_the_max_and_the_first_nan() {
        for k in backends() {
            for n in lengths() {
                // From 1 to 3 floats in: other distances to a 64-byte boundary.
                for skip in [0, 1, 3] {
                    let mut xs = logits(n + skip, 1);
                    let xs = &mut xs[skip..];
                    let max = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    assert_eq!(k.max_nan(xs).max, max, "{:?} n {n}", k.backend());
                    assert_eq!(k.max_nan(xs).nan, None);
                    if n > 2 {
                        xs[n - 1] = f32::NAN;
                        xs[n / 2] = f32::NAN;
                        assert_eq!(k.max_nan(xs).nan, Some(n / 2), "{:?}", k.backend());
                        xs[1] = f32::NAN;
                        assert_eq!(k.max_nan(xs).nan, Some(1), "{:?}", k.backend());
                    }
                }
            }
            assert_eq!(
                k.max_nan(&[-0.0, -1.0]).max.to_bits(),
                0,
                "-0.0 reads as +0.0"
            );
        }
    }

    #[test]
    fn at_least_counts_count_every_pair() {
        let sizes: std::vec::Vec<usize> = if cfg!(miri) {
            std::vec![0, 5, 17, super::RANKED]
        } else {
            (0..=super::RANKED).collect()
        };
        for k in backends() {
            for n in sizes.iter().copied() {
                // Ties, -0.0 beside +0.0, infinities, and padding past `n`
                // that every float is at least, but that must not count.
                let mut ls = [f32::NEG_INFINITY; super::RANKED];
                for (i, (l, v)) in ls.iter_mut().zip(logits(n, 3)).enumerate() {
                    *l = match i % 11 {
                        4 => -0.0,
                        5 => 0.0,
                        7 => f32::NEG_INFINITY,
                        9 => f32::INFINITY,
                        _ => v,
                    };
                }
                let mut out = [0; super::RANKED];
                k.at_least_counts(&ls, n, &mut out);
                for i in 0..n {
                    let want = ls[..n].iter().filter(|&&l| ls[i] >= l).count();
                    assert_eq!(out[i], want as u32, "{:?} n {n} i {i}", k.backend());
                }
            }
        }
    }

    #[test]
    fn gather_resumes_where_it_stopped() {
        for k in backends() {
            for n in lengths() {
                let xs = logits(n, 2);
                let t = 0.0;
                let expected: std::vec::Vec<Candidate> = xs
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| **x >= t)
                    .map(|(i, x)| Candidate {
                        id: i as u32,
                        logit: *x,
                    })
                    .collect();
                // Room for 3 at a time: every stop and resumption point.
                let mut got = std::vec::Vec::new();
                let mut start = 0;
                loop {
                    let mut out = [Candidate::default(); 3];
                    let rest = &xs[start..];
                    let g = k.gather_at_least(rest, t, start as u32, &mut out);
                    assert!(g.count <= 3 && g.next <= rest.len());
                    got.extend_from_slice(&out[..g.count]);
                    if g.next == rest.len() {
                        break;
                    }
                    assert!(g.count == 3, "stopped early with room left");
                    assert!(rest[g.next] >= t, "stopped at a non-qualifying element");
                    start += g.next;
                }
                assert_eq!(got, expected, "{:?} n {n}", k.backend());
            }
        }
    }

    /// Every hit count per register (none, some, all lanes: thresholds
    /// below, inside and above the logits' range) into exactly as much room
    /// as the hits need, or one short: the candidates are the scalar
    /// definition's, nothing past the reported count is written, and a full
    /// output stops at the first hit that did not fit.
    #[test]
    fn gather_writes_only_what_it_reports() {
        let sentinel = Candidate {
            id: u32::MAX,
            logit: f32::NAN,
        };
        for k in backends() {
            for n in lengths() {
                let xs = logits(n, 4);
                for t in [f32::NEG_INFINITY, -100.0, -22.5, 0.0, 7.5, 100.0] {
                    let hits: std::vec::Vec<Candidate> = xs
                        .iter()
                        .enumerate()
                        .filter(|(_, x)| **x >= t)
                        .map(|(i, x)| Candidate {
                            id: 1000 + i as u32,
                            logit: *x,
                        })
                        .collect();
                    for room in [hits.len(), hits.len().saturating_sub(1)] {
                        let mut out = std::vec![sentinel; room + 40];
                        let g = k.gather_at_least(&xs, t, 1000, &mut out[..room]);
                        let what = std::format!("{:?} n {n} t {t} room {room}", k.backend());
                        assert_eq!(g.count, room, "{what}");
                        assert_eq!(&out[..room], &hits[..room], "{what}");
                        assert!(
                            out[room..].iter().all(|c| c.id == u32::MAX),
                            "{what}: wrote past the count"
                        );
                        let next = if room == hits.len() {
                            n
                        } else {
                            hits[room].id as usize - 1000
                        };
                        assert_eq!(g.next, next, "{what}");
                    }
                }
            }
        }
    }

    #[test]
    fn fixed_masses_sum_exactly_and_walk_to_the_right_index() {
        // The max of every input (weights are at most 1 by contract).
        let w = Weighting {
            max: 7.5,
            inv_t: 1.25,
        };
        for k in backends() {
            for n in lengths() {
                let xs = logits(n, 3);
                let t = -3.0;
                let masses: std::vec::Vec<u32> = xs
                    .iter()
                    .map(|&x| if x >= t { w.fixed(x) } else { 0 })
                    .collect();
                let total: u64 = masses.iter().map(|&q| q as u64).sum();
                assert_eq!(k.exp_fixed_sum(&xs, t, w), total, "{:?} n {n}", k.backend());
                let mut qs = xs.clone();
                assert_eq!(k.exp_fixed(&mut qs, t, w), total);
                let bits: std::vec::Vec<u32> = qs.iter().map(|q| q.to_bits()).collect();
                assert_eq!(bits, masses, "{:?} n {n}", k.backend());
                // The walk: the first index whose running sum exceeds the target.
                let mut running = 0u64;
                for (i, &q) in masses.iter().enumerate() {
                    if q > 0 {
                        assert_eq!(k.fixed_prefix(&qs, running), Some(i), "target {running}");
                        assert_eq!(k.fixed_prefix(&qs, running + q as u64 - 1), Some(i));
                    }
                    running += q as u64;
                }
                assert_eq!(k.fixed_prefix(&qs, total), None);
                // Probabilities: each mass times the factor, as `distribution_in_place` does.
                let factor = 1.0 / FIXED_ONE;
                k.scale_fixed(&mut qs, factor);
                for (p, &q) in qs.iter().zip(&masses) {
                    assert_eq!(*p, q as i32 as f32 * factor);
                }
            }
        }
    }

    #[test]
    fn masses_of_the_max_and_of_far_below_it() {
        let w = Weighting {
            max: 2.0,
            inv_t: 1.0,
        };
        assert_eq!(w.fixed(2.0), 1 << 30, "the max weighs exactly 2^30");
        assert_eq!(w.fixed(2.0 - 22.0), 0, "22 nats below: mass 0");
        assert_eq!(w.fixed(2.0 - 21.0), 1, "21 nats below: round(0.82) = 1");
        assert_eq!(w.fixed(f32::NEG_INFINITY), 0);
        assert_eq!(Weighting::UNIFORM.fixed(-5.0), 1 << 30);
    }

    /// The scale puts the largest weight's mass in `[2^29, 2^30)` for every
    /// exponent a positive float has (subnormals included), and a mass is
    /// the weight's exact product rounded to nearest, ties to even.
    #[test]
    fn mass_scales_put_the_max_in_its_octave() {
        let mut maxes = std::vec![f32::MIN_POSITIVE, f32::MAX, 1.0, 1.5, 0.999_999_94];
        maxes.extend((0..23).map(|i| f32::from_bits(1 << i))); // every subnormal octave
        maxes.extend((1..255).map(|e| f32::from_bits(e << 23 | 0x2a_aaaa)));
        for max in maxes {
            let scale = MassScale::for_max(max);
            let q = scale.mass(max);
            assert!((1 << 29..1 << 30).contains(&q), "{max:e}: mass {q}");
            // Exact: the factor is a power of two, so q * 2^-k is max rounded.
            let factor = scale.first as f64 * scale.second as f64;
            let exact = max as f64 * factor;
            assert!((q as f64 - exact).abs() <= 0.5, "{max:e}");
            // Half a unit rounds to even, a bit more than half rounds up, below
            // half a unit is 0.
            let unit = 1.0 / factor;
            let at = |m: f64| (m * unit) as f32; // exact: a power of two times m
            if unit >= f32::MIN_POSITIVE as f64 * 2.0 && unit * 3.0 < max as f64 {
                assert_eq!(scale.mass(at(0.5)), 0, "{max:e}");
                assert_eq!(scale.mass(at(1.5)), 2, "{max:e}");
                assert_eq!(scale.mass(at(2.5)), 2, "{max:e}");
                assert_eq!(scale.mass(at(0.75)), 1, "{max:e}");
            }
        }
        // Zero, the smallest subnormal, NaN and inf get some scale, no panic.
        for w in [0.0, f32::from_bits(1), f32::NAN, f32::INFINITY] {
            let _ = MassScale::for_max(w).mass(w);
        }
    }

    #[test]
    fn mass_walks_match_on_every_backend() {
        // Weights over several walk steps and a tail, a few zeros and
        // subnormals: every backend's total and crossing index equal the
        // scalar ones, which equal a plain walk over `MassScale::mass`.
        let n = 3 * 256 + 7;
        let xs: std::vec::Vec<f32> = (0..n)
            .map(|i| match i % 13 {
                0 => 0.0,
                1 => f32::from_bits(i as u32),
                _ => ((i * 37) % 101) as f32 / 101.0 * 3e-3,
            })
            .collect();
        let max = xs.iter().copied().fold(0.0, f32::max);
        let scale = MassScale::for_max(max);
        let masses: std::vec::Vec<u64> = xs.iter().map(|&w| scale.mass(w) as u64).collect();
        let total: u64 = masses.iter().sum();
        let scalar = Kernels::SCALAR;
        assert_eq!(scalar.mass_prefix(&xs, scale, u64::MAX), Err(total));
        assert_eq!(scalar.mass_prefix(&xs, scale, total), Err(total));
        let mut running = 0;
        for (i, &q) in masses.iter().enumerate() {
            if q > 0 {
                assert_eq!(scalar.mass_prefix(&xs, scale, running), Ok(i), "{i}");
                assert_eq!(scalar.mass_prefix(&xs, scale, running + q - 1), Ok(i));
            }
            running += q;
        }
        for k in backends() {
            for target in [0, 1, total / 3, total / 2 + 1, total - 1, total, u64::MAX] {
                assert_eq!(
                    k.mass_prefix(&xs, scale, target),
                    scalar.mass_prefix(&xs, scale, target),
                    "{:?} target {target}",
                    k.backend()
                );
            }
        }
    }
}
