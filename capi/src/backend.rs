//! `ls_backend`: which instruction-set path runs the kernels.

use core::ffi::{CStr, c_char};

use logit_sampler::Backend;

/// An instruction-set path. Every backend gives bit-identical results; they
/// differ only in speed. A value arriving from C is a plain `uint32_t`, so
/// any value is accepted and an unknown one is reported as unavailable.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LsBackend {
    /// Portable code, one lane at a time: the reference, on every target.
    Scalar = 0,
    /// x86_64 SSE2, 4 lanes (every x86_64 CPU).
    Sse2 = 1,
    /// x86_64 AVX2 with FMA, 8 lanes.
    Avx2 = 2,
    /// x86_64 AVX-512F, 16 lanes.
    Avx512 = 3,
    /// aarch64 NEON, 4 lanes (every aarch64 CPU).
    Neon = 4,
}

/// `ls_backend` as a C caller may pass it: any `uint32_t` (cbindgen prints it
/// as `ls_backend`).
/// cbindgen:no-export
pub type LsBackendRaw = u32;

impl LsBackend {
    /// The C value of a core backend.
    pub(crate) const fn from_core(b: Backend) -> Self {
        match b {
            Backend::Scalar => LsBackend::Scalar,
            Backend::Sse2 => LsBackend::Sse2,
            Backend::Avx2 => LsBackend::Avx2,
            Backend::Avx512 => LsBackend::Avx512,
            Backend::Neon => LsBackend::Neon,
        }
    }
}

/// The raw C value of a core backend.
pub(crate) const fn raw_backend(b: Backend) -> LsBackendRaw {
    LsBackend::from_core(b) as LsBackendRaw
}

/// The core backend a C value names, if any.
pub(crate) fn core_backend(raw: LsBackendRaw) -> Option<Backend> {
    Backend::ALL.into_iter().find(|b| raw_backend(*b) == raw)
}

/// The fastest backend this CPU runs (the one a new sampler and the
/// functions without `_with` use). The CPU is asked once and the answer cached.
#[unsafe(no_mangle)]
pub extern "C" fn ls_backend_detect() -> LsBackend {
    LsBackend::from_core(Backend::detect())
}

/// Whether this CPU can run `backend` (false for a value that is not an
/// `ls_backend`).
#[unsafe(no_mangle)]
pub extern "C" fn ls_backend_available(backend: LsBackendRaw) -> bool {
    core_backend(backend).is_some_and(Backend::is_available)
}

/// A short static name: "scalar", "sse2", "avx2", "avx512", "neon", or
/// "unknown" for a value that is not an `ls_backend`. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn ls_backend_name(backend: LsBackendRaw) -> *const c_char {
    let name: &CStr = match core_backend(backend) {
        Some(Backend::Scalar) => c"scalar",
        Some(Backend::Sse2) => c"sse2",
        Some(Backend::Avx2) => c"avx2",
        Some(Backend::Avx512) => c"avx512",
        Some(Backend::Neon) => c"neon",
        None => c"unknown",
    };
    name.as_ptr()
}
