//! `ls_rng`: the random source of a draw, in memory the caller owns. Either a
//! PCG32 state (the Rust API's `Pcg32`, bit for bit) or the caller's callback.
//!
//! The PCG32 lives in plain C fields rather than as an opaque `rand_pcg`
//! value because C code must be able to hold, copy, save and restore it, and
//! because every bit pattern of two `uint64_t`s is then a valid generator
//! (`rand_pcg` keeps its state private). The arithmetic below is rand_pcg's
//! `Lcg64Xsh32` and rand_core's `seed_from_u64`; the tests check the outputs
//! against those crates for many seeds.

use core::convert::Infallible;
use core::ffi::c_void;

use logit_sampler::rand_core::{TryRng, utils};

use crate::args;
use crate::status::{LsError, LsStatus};

/// A caller-supplied source of uniformly random 64-bit words (NULL where a
/// generator has none). It is called with the `context` stored beside it,
/// must return normally (no longjmp, no C++ exception) and must not call back
/// into this library with the sampler or generator in use. A sample consumes
/// exactly one word, or two when the sampler's XTC is on (`xtc_probability >
/// 0`, mirostat off): XTC's coin, then the draw's.
pub type LsNextU64 = Option<unsafe extern "C" fn(context: *mut c_void) -> u64>;

/// A non-NULL [`LsNextU64`].
type NextU64Fn = unsafe extern "C" fn(context: *mut c_void) -> u64;

/// A random generator, in memory the caller owns (no allocation; copy it to
/// save its state). Initialise it with `ls_rng_seed`, `ls_rng_pcg32` or
/// `ls_rng_callback`.
///
/// When `next_u64` is NULL, the generator is the PCG32 (XSH-RR 64/32) in
/// `state` and `increment`: the Rust API's `Pcg32`, so `ls_rng_seed(&rng, s)`
/// gives the draws of `Pcg32::seed_from_u64(s)`. Otherwise `next_u64(context)`
/// supplies the words and `state`/`increment` are ignored.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct LsRng {
    /// PCG32 state (advanced by each draw).
    pub state: u64,
    /// PCG32 increment, which selects the stream; odd (an even value still
    /// works, with a shorter period).
    pub increment: u64,
    /// The caller's generator, or NULL for the PCG32 above.
    pub next_u64: LsNextU64,
    /// Passed to `next_u64` unchanged.
    pub context: *mut c_void,
}

/// PCG's 64-bit LCG multiplier (rand_pcg's `MULTIPLIER`).
const MULTIPLIER: u64 = 6_364_136_223_846_793_005;

impl LsRng {
    /// rand_pcg's `Lcg64Xsh32::from_state_incr`: one step away from the
    /// initial value.
    const fn pcg32(state: u64, increment: u64) -> Self {
        let mut rng = Self {
            state: state.wrapping_add(increment),
            increment,
            next_u64: None,
            context: core::ptr::null_mut(),
        };
        rng.state = rng
            .state
            .wrapping_mul(MULTIPLIER)
            .wrapping_add(rng.increment);
        rng
    }

    /// `Pcg32::seed_from_u64(seed)`: rand_core expands the seed with its own
    /// PCG32 into the 16-byte seed (state, increment | 1).
    pub(crate) fn seeded(mut seed: u64) -> Self {
        const MUL: u64 = 0x5851_F42D_4C95_7F2D;
        const INC: u64 = 0xA176_54E4_6FBE_17F3;
        let [a, b, c, d] = [(); 4].map(|()| {
            seed = seed.wrapping_mul(MUL).wrapping_add(INC);
            xsh_rr(seed)
        });
        let state = a as u64 | (b as u64) << 32;
        let increment = c as u64 | (d as u64) << 32;
        Self::pcg32(state, increment | 1)
    }

    /// `Pcg32::new(state, stream)`.
    pub(crate) const fn with_stream(state: u64, stream: u64) -> Self {
        Self::pcg32(state, (stream << 1) | 1)
    }

    /// The generator the core draws from.
    ///
    /// # Safety
    /// If `next_u64` is set, calling it with `context` is sound for as long as
    /// the returned value lives.
    pub(crate) unsafe fn source(&mut self) -> Source<'_> {
        match self.next_u64 {
            Some(next_u64) => Source::Callback {
                next_u64,
                context: self.context,
            },
            None => Source::Pcg32 {
                state: &mut self.state,
                increment: self.increment,
            },
        }
    }
}

/// PCG's XSH-RR output function of a 64-bit state.
const fn xsh_rr(state: u64) -> u32 {
    let rot = (state >> 59) as u32;
    let xsh = (((state >> 18) ^ state) >> 27) as u32;
    xsh.rotate_right(rot)
}

/// An `ls_rng` as rand_core's generator trait, which the core's `sample` takes.
pub(crate) enum Source<'a> {
    /// The PCG32 state, advanced in place.
    Pcg32 { state: &'a mut u64, increment: u64 },
    /// The caller's callback (sound to call: [`LsRng::source`]'s contract).
    Callback {
        next_u64: NextU64Fn,
        context: *mut c_void,
    },
}

impl TryRng for Source<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(match self {
            Source::Pcg32 { state, increment } => {
                let old = **state;
                **state = old.wrapping_mul(MULTIPLIER).wrapping_add(*increment);
                xsh_rr(old)
            }
            // The high half: the better half of many simple generators.
            Source::Callback { .. } => (self.try_next_u64()? >> 32) as u32,
        })
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        match self {
            // rand_pcg's: two 32-bit outputs, the first in the low half.
            Source::Pcg32 { .. } => utils::next_u64_via_u32(self),
            Source::Callback { next_u64, context } => {
                // SAFETY: `LsRng::source`'s contract, which every caller of it
                // passes on from its own C caller (the header's `ls_rng` rules).
                Ok(unsafe { next_u64(*context) })
            }
        }
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        utils::fill_bytes_via_next_word(dst, || self.try_next_u64())
    }
}

/// Seeds `*rng` as the PCG32 `Pcg32::seed_from_u64(seed)` of the Rust API,
/// so the same seed gives the same tokens in C and in Rust. Clears any
/// callback.
///
/// # Safety
/// `rng`, if non-NULL and aligned, points to writable memory for an `ls_rng`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_rng_seed(rng: *mut LsRng, seed: u64) -> LsStatus {
    // SAFETY: the caller's promise about `rng`.
    match unsafe { args::out(rng, 1) } {
        Ok(rng) => {
            rng.write(LsRng::seeded(seed));
            LsStatus::LS_OK
        }
        Err(e) => e.status,
    }
}

/// Initialises `*rng` as the PCG32 `Pcg32::new(state, stream)` of the Rust
/// API (PCG's own seeding: `stream` selects one of 2^63 sequences; its top bit
/// is ignored). Clears any callback.
///
/// # Safety
/// As `ls_rng_seed`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_rng_pcg32(rng: *mut LsRng, state: u64, stream: u64) -> LsStatus {
    // SAFETY: the caller's promise about `rng`.
    match unsafe { args::out(rng, 1) } {
        Ok(rng) => {
            rng.write(LsRng::with_stream(state, stream));
            LsStatus::LS_OK
        }
        Err(e) => e.status,
    }
}

/// Makes `*rng` call `next_u64(context)` for each random word (see
/// `ls_next_u64` for the rules). `state` and `increment` are set to 0.
///
/// Returns `LS_NULL_POINTER` if `rng` or `next_u64` is NULL (`context` may be).
///
/// # Safety
/// `rng` as in `ls_rng_seed`. `next_u64` must be callable with `context` for
/// as long as `*rng` is used.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_rng_callback(
    rng: *mut LsRng,
    next_u64: LsNextU64,
    context: *mut c_void,
) -> LsStatus {
    // SAFETY: the caller's promise about `rng`.
    let result = unsafe { args::out(rng, 1) }.and_then(|rng| match next_u64 {
        Some(f) => {
            rng.write(LsRng {
                state: 0,
                increment: 0,
                next_u64: Some(f),
                context,
            });
            Ok(())
        }
        None => Err(LsError::argument(LsStatus::LS_NULL_POINTER, 2)),
    });
    result.err().map_or(LsStatus::LS_OK, |e| e.status)
}

/// Writes the generator's next 64-bit word to `*out` and advances it (the
/// word a sample would consume). For a callback generator, calls it once.
///
/// # Safety
/// `rng`, if non-NULL and aligned, points to an `ls_rng` initialised by this
/// library (or with the fields set as documented there); `out`, if non-NULL and
/// aligned, to writable memory for a `uint64_t`. They do not overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ls_rng_next_u64(rng: *mut LsRng, out: *mut u64) -> LsStatus {
    // SAFETY: the caller's promise about `rng`.
    let rng = match unsafe { args::get_mut(rng, 1) } {
        Ok(rng) => rng,
        Err(e) => return e.status,
    };
    // SAFETY: the caller's promise about `out`.
    let out = match unsafe { args::out(out, 2) } {
        Ok(out) => out,
        Err(e) => return e.status,
    };
    // SAFETY: the callback, if any, is callable (the caller's promise).
    let mut source = unsafe { rng.source() };
    let Ok(word) = source.try_next_u64();
    out.write(word);
    LsStatus::LS_OK
}
