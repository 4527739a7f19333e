//! Every kernel, written once over the [`Vector`] trait.
//!
//! Each ISA module implements `Vector` for its register type and wraps these
//! functions in `#[target_feature]` entry points; `scalar.rs` implements it for a
//! plain `f32`. Because every backend runs this same sequence of IEEE operations
//! (no FMA, no reassociation), the backends agree bit for bit: they differ only
//! in how many lanes one instruction covers.
//!
//! Sums come in two kinds. Masses are integers: a weight `w` in `[0, 1]`
//! becomes the fixed-point `q = round(w * 2^30)` (an `i32`, ties to even)
//! and the `q`s are summed in `u64` lanes. Integer sums are exact, so they
//! need no layout at all: any blocking, any number of accumulators and any
//! visit order give the same total on every backend, and on a 32-bit MCU a
//! `u64` add is two instructions where an `f64` add is a software routine.
//! The sampler's draws, `softmax_in_place`'s normaliser and
//! `sample_inverse_cdf` all sum masses.
//!
//! The shape stages' statistics (`deviation_sums`, `entropy_sums`: a
//! standard deviation, an entropy) need float sums. For those one layout
//! makes them backend-independent: the data is cut into chunks of [`CHUNK`]
//! = 1024 floats aligned to the start of the slice; inside a chunk, element
//! `i` is widened to `f64` and added to lane `i % 16` in index order
//! (vertical adds only, no shuffles in the loop); a chunk's sum is the fixed
//! tree `lane[j] + lane[j + h]`, `h = 8, 4, 2, 1`; chunk sums are added one
//! after another in `f64`. Every backend keeps exactly 16 lanes (1 AVX-512
//! register pair, 2 AVX2, 4 SSE2/NEON, 16 scalars). A build without the
//! `shapes` feature links none of it (no software `f64` on a microcontroller).
//!
//! Tails shorter than a 16-float block are copied into a padded block on the
//! stack and run through the same code, so there is no separate tail loop.
//! Kernels whose result does not depend on the lane layout (the max, the
//! gathers, the integer sums, per-element work) also take their head, up to
//! the next 64-byte boundary, as such a block, so that no load of the main
//! loop straddles two cache lines.

use super::{Candidate, FIXED_ONE, Gathered, MassScale, MaxScan, RANKED, SetSums, Weighting};

/// Floats per block: the widest register (AVX-512) holds one block, and a
/// block's floats go to the 16 summation lanes.
pub(crate) const BLOCK: usize = 16;
/// Floats per chunk: the unit of the shape stages' running `f64` sums.
pub(crate) const CHUNK: usize = 1024;
/// Floats per step of the fixed-point prefix walk: a vector sum per step, then
/// an element walk inside the crossing step only.
const WALK: usize = 256;

/// The operations a register type offers the kernels.
///
/// # Safety
///
/// Every method may use instructions of the implementing ISA: callers must only
/// call them when the CPU supports that ISA (the `#[target_feature]` entry
/// points of each backend, reached only through a checked `Kernels` value).
/// Pointer methods read or write `LANES` floats starting at the pointer.
pub(crate) trait Vector: Copy {
    const LANES: usize;
    type Mask: Copy;
    /// `LANES` running `f64` sums.
    type Acc: Copy;

    unsafe fn splat(x: f32) -> Self;
    unsafe fn load(p: *const f32) -> Self;
    unsafe fn store(self, p: *mut f32);
    unsafe fn add(self, o: Self) -> Self;
    unsafe fn sub(self, o: Self) -> Self;
    unsafe fn mul(self, o: Self) -> Self;
    /// Lane-wise maximum; only called where no lane is NaN or where the result
    /// is discarded.
    unsafe fn max(self, o: Self) -> Self;
    unsafe fn ge(self, o: Self) -> Self::Mask;
    unsafe fn eq(self, o: Self) -> Self::Mask;
    unsafe fn is_nan(self) -> Self::Mask;
    unsafe fn mask_or(a: Self::Mask, b: Self::Mask) -> Self::Mask;
    /// Bit `j` set iff lane `j` of the mask is set.
    unsafe fn mask_bits(m: Self::Mask) -> u32;
    /// Lanes where the mask is clear become `+0.0`.
    unsafe fn select_or_zero(self, m: Self::Mask) -> Self;
    /// Lanes holding `i32` bits gain 1 where the mask is set (wrapping).
    unsafe fn count_where(self, m: Self::Mask) -> Self;
    /// `2^k` for lanes holding an integral `k` in `[-126, 127]`.
    unsafe fn exp2i(self) -> Self;
    /// Maximum of the lanes.
    unsafe fn fold_max(self) -> f32;
    unsafe fn acc_zero() -> Self::Acc;
    /// Widens each lane to `f64` and adds it to the matching accumulator lane.
    unsafe fn acc_add(acc: Self::Acc, v: Self) -> Self::Acc;
    /// Writes the `LANES` sums to `out`.
    unsafe fn acc_store(acc: Self::Acc, out: *mut f64);
    /// Running `u64` sums of fixed-point masses (any lane layout: integer sums
    /// do not depend on it).
    type Sum: Copy;
    /// Each lane, a float in `[0, 2^31)`, rounded to the nearest integer (ties
    /// to even) and returned as that `i32`'s bits.
    unsafe fn to_fixed(self) -> Self;
    /// Lanes holding `i32` bits (from `to_fixed`) converted back to `f32`.
    unsafe fn fixed_to_float(self) -> Self;
    unsafe fn sum_zero() -> Self::Sum;
    /// Adds the lanes, read as `u32` integers, to the running sums.
    unsafe fn sum_add(acc: Self::Sum, v: Self) -> Self::Sum;
    /// The total of the running sums.
    unsafe fn sum_total(acc: Self::Sum) -> u64;
}

// Cody-Waite split of ln 2: LN2_HI has few enough mantissa bits that `k * LN2_HI`
// is exact for |k| <= 150, so only the LN2_LO product rounds.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
const LOG2_E: f32 = core::f32::consts::LOG2_E;
// Adding then subtracting 1.5 * 2^23 rounds any |x| < 2^22 to the nearest integer.
const ROUND_MAGIC: f32 = 12_582_912.0;
// exp(-104) < 2^-150 rounds to zero, so clamping there changes no result and
// keeps the exponent arithmetic in range (it also maps -inf to 0).
const EXP_MIN_ARG: f32 = -104.0;
// Minimax coefficients for (exp(r) - 1 - r) / r^2 on |r| <= ln2 / 2 (Cephes expf).
const EXP_P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    0.5,
];

/// The range reduction and polynomial shared by both exps: `s = k ln 2 + r`
/// with `|r| <= ln2 / 2`; returns `(e, k)` with `exp(s) = e * 2^k` and `k`
/// integral. `s` must be clamped to at least -104 (k stays in [-150, 0]).
#[inline(always)]
unsafe fn exp_reduced<V: Vector>(s: V) -> (V, V) {
    // SAFETY: for the whole block: only `Vector` methods, whose ISA the caller guarantees.
    unsafe {
        let magic = V::splat(ROUND_MAGIC);
        let k = s.mul(V::splat(LOG2_E)).add(magic).sub(magic);
        let r = s.sub(k.mul(V::splat(LN2_HI))).sub(k.mul(V::splat(LN2_LO)));
        let mut p = V::splat(EXP_P[0]);
        for c in &EXP_P[1..] {
            p = p.mul(r).add(V::splat(*c));
        }
        (p.mul(r.mul(r)).add(r).add(V::splat(1.0)), k)
    }
}

/// `exp(s)` for `s <= 0` (larger `s` is outside the sampler's use and not
/// accurate past `s > 88`). Exactly `1.0` at `s = 0`, gradual underflow down to
/// `2^-149`, `0` below `-104` and for `-inf`. Maximum relative error: see the
/// crate docs (measured by `tests/tests/exp_accuracy.rs`).
#[inline(always)]
pub(crate) unsafe fn exp_nonpositive<V: Vector>(s: V) -> V {
    // SAFETY: for the whole block: only `Vector` methods, whose ISA the caller guarantees.
    unsafe {
        let (e, k) = exp_reduced(s.max(V::splat(EXP_MIN_ARG)));
        // k is in [-150, 0]: split it so both factors 2^k1, 2^k2 are normal and
        // the single rounding happens in the last multiply (correct subnormals).
        let magic = V::splat(ROUND_MAGIC);
        let k1 = k.mul(V::splat(0.5)).add(magic).sub(magic);
        let k2 = k.sub(k1);
        e.mul(k1.exp2i()).mul(k2.exp2i())
    }
}

// Below -32, exp(s) * 2^30 < 2^-16 rounds to mass 0 (it does from about -21.5
// on): clamping there changes no mass and keeps 2^(k + 30) a normal float.
const FIXED_MIN_ARG: f32 = -32.0;

/// Below this `s`, `exp(s) * 2^30 < 0.3` (even with exp's error of an ulp):
/// the mass rounds to 0 (`exp(s) < 2^-31` from `s < -21.49` on).
pub(crate) const MASS_ZERO_BELOW: f32 = -22.0;

/// `exp(s) * 2^30` for `s <= 0`, before rounding to a fixed-point mass: the
/// same bits as `exp_nonpositive(s) * 2^30` for `s >= -32` (there
/// `exp_nonpositive`'s `e * 2^k1 * 2^k2` is exact, and so is `e * 2^(k + 30)`),
/// and below 2^-16 (a mass of 0) for smaller `s`, as that product is too. One
/// power of two instead of two, and no separate multiply by 2^30.
#[inline(always)]
pub(crate) unsafe fn exp_scaled_fixed<V: Vector>(s: V) -> V {
    // SAFETY: for the whole block: only `Vector` methods, whose ISA the caller guarantees.
    unsafe {
        let (e, k) = exp_reduced(s.max(V::splat(FIXED_MIN_ARG)));
        // k is in [-47, 0]: 2^(k + 30) is normal and exact.
        e.mul(k.add(V::splat(30.0)).exp2i())
    }
}

/// The 16 lane accumulators of a chunk, `BLOCK / LANES` registers' worth.
struct Lanes<V: Vector>([V::Acc; BLOCK]);

impl<V: Vector> Lanes<V> {
    #[inline(always)]
    unsafe fn new() -> Self {
        // SAFETY: ISA guaranteed by the caller.
        Lanes([unsafe { V::acc_zero() }; BLOCK])
    }

    /// Adds the register holding floats `j .. j + LANES` of a block.
    #[inline(always)]
    unsafe fn add(&mut self, j: usize, v: V) {
        let slot = &mut self.0[j / V::LANES];
        // SAFETY: ISA guaranteed by the caller.
        *slot = unsafe { V::acc_add(*slot, v) };
    }

    /// The chunk's sum by the fixed tree over the 16 lanes.
    #[inline(always)]
    unsafe fn sum(&self) -> f64 {
        let mut lanes = [0.0f64; BLOCK];
        let mut j = 0;
        while j < BLOCK {
            // SAFETY: ISA guaranteed by the caller; `j + LANES <= BLOCK` floats of `lanes`.
            unsafe { V::acc_store(self.0[j / V::LANES], lanes.as_mut_ptr().add(j)) };
            j += V::LANES;
        }
        super::lane_tree(lanes)
    }
}

/// The work one kernel does on one register's worth of floats. A trait rather
/// than a closure: closures are separate functions without the entry point's
/// target features, so the intrinsics inside them would not inline.
trait BlockOp<V: Vector> {
    /// `*const f32` for a kernel that only reads, `*mut f32` for one that
    /// may write (whether it does can be a run-time choice:
    /// [`Self::copies_back`]).
    type P: Floats;

    /// Processes the `LANES` floats at `p`: floats `j ..` of the block that
    /// starts at index `block` of the slice. `j` is a constant once the block
    /// loop is unrolled, so ops that pick a register by it keep it in a
    /// register. `Some` stops the scan with that value.
    ///
    /// # Safety
    /// `p` points to `LANES` valid floats, writable if the op writes
    /// (`P` is `*mut f32` and [`Self::copies_back`] holds); the ISA of `V`
    /// is available.
    unsafe fn register(&mut self, p: Self::P, block: usize, j: usize) -> Option<usize>;

    /// Whether the op's result is the same whichever lane each float lands
    /// in (a max, integer sums, per-element work, an in-order gather), so
    /// [`for_each_block`] may start with a short head block to align the rest
    /// to 64 bytes, and run four blocks per iteration ([`Self::wide`], `j`
    /// up to `4 * BLOCK`). Not for the chunk-layout float sums (`Lanes`),
    /// whose bits depend on the lane of each float.
    const REALIGN: bool = false;

    /// On the scalar backend, one float per loop iteration instead of blocks
    /// unrolled 16 times plus a padded tail block: for an op whose work per
    /// float (an exp) dwarfs the loop's three instructions, the unrolling
    /// only multiplied its code, 32 copies per kernel (1.7 KiB of a
    /// microcontroller's image, size-budget/). Only for ops that allow
    /// [`Self::REALIGN`] (`j` is then always 0); ignored on the others.
    const ROLLED: bool = false;

    /// Whether [`for_each_block`]'s padded blocks are copied back: always
    /// for an op that writes, except one that decides at run time not to
    /// (`exp_fixed` and `exp_fixed_sum`, one kernel; the read-only caller's
    /// floats must not be written, not even with their own values).
    #[inline(always)]
    fn copies_back(&self) -> bool {
        true
    }

    /// [`Self::block`] over four consecutive blocks (`j` in `0 .. 4 * BLOCK`):
    /// fewer loop iterations, and on AVX-512 (one register per block) four
    /// registers for ops that pick one by `j`.
    ///
    /// # Safety
    /// `b` points to `4 * BLOCK` valid floats (writable if `P` is `*mut f32`);
    /// the ISA of `V` is available.
    #[inline(always)]
    unsafe fn wide(&mut self, b: Self::P, start: usize) -> Option<usize> {
        let mut j = 0;
        while j < 4 * BLOCK {
            // SAFETY: j + LANES <= 4 * BLOCK: the register lies inside the blocks.
            if let Some(r) = unsafe { self.register(b.add(j), start, j) } {
                return Some(r);
            }
            j += V::LANES;
        }
        None
    }

    /// Processes the 16-float block at `b` (first index `start`), register by
    /// register.
    ///
    /// # Safety
    /// `b` points to `BLOCK` valid floats (writable if `P` is `*mut f32`);
    /// the ISA of `V` is available.
    #[inline(always)]
    unsafe fn block(&mut self, b: Self::P, start: usize) -> Option<usize> {
        let mut j = 0;
        while j < BLOCK {
            // SAFETY: j + LANES <= BLOCK: the register lies inside the block.
            if let Some(r) = unsafe { self.register(b.add(j), start, j) } {
                return Some(r);
            }
            j += V::LANES;
        }
        None
    }
}

/// The pointer a kernel walks: `*const f32` never writes; `*mut f32` writes
/// only for an op that does ([`BlockOp::copies_back`]).
trait Floats: Copy {
    /// `self + n` floats.
    ///
    /// # Safety
    /// The result lies inside the allocation `self` points into (or one past it).
    unsafe fn add(self, n: usize) -> Self;

    /// A pointer to a block on the stack.
    fn to_block(block: &mut [f32; BLOCK]) -> Self;

    /// Copies the first `n` floats of `block` to `dst` (a no-op for read-only pointers).
    ///
    /// # Safety
    /// `n <= BLOCK`, and `dst` points to `n` writable floats if it is `*mut f32`.
    unsafe fn copy_back(block: &[f32; BLOCK], dst: Self, n: usize);

    /// The same address, for reading.
    fn as_const(self) -> *const f32;
}

impl Floats for *const f32 {
    #[inline(always)]
    unsafe fn add(self, n: usize) -> Self {
        // SAFETY: the caller keeps the result inside the allocation.
        unsafe { self.add(n) }
    }
    #[inline(always)]
    fn to_block(block: &mut [f32; BLOCK]) -> Self {
        block.as_ptr()
    }
    #[inline(always)]
    unsafe fn copy_back(_: &[f32; BLOCK], _: Self, _: usize) {}
    #[inline(always)]
    fn as_const(self) -> *const f32 {
        self
    }
}

impl Floats for *mut f32 {
    #[inline(always)]
    unsafe fn add(self, n: usize) -> Self {
        // SAFETY: the caller keeps the result inside the allocation.
        unsafe { self.add(n) }
    }
    #[inline(always)]
    fn to_block(block: &mut [f32; BLOCK]) -> Self {
        block.as_mut_ptr()
    }
    #[inline(always)]
    unsafe fn copy_back(block: &[f32; BLOCK], dst: Self, n: usize) {
        // SAFETY: the caller passes n <= BLOCK and n writable floats at dst.
        unsafe { core::ptr::copy_nonoverlapping(block.as_ptr(), dst, n) }
    }
    #[inline(always)]
    fn as_const(self) -> *const f32 {
        self
    }
}

/// Runs `op` on each full block of the `len` floats at `xs`, then on a copy of
/// the tail padded with `pad` (copied back if the op writes). Stops at the
/// first `Some`.
///
/// A SIMD op that allows it ([`BlockOp::REALIGN`]) first takes the floats up
/// to the next 64-byte boundary as a padded head block, so that no load of
/// the main loop straddles two cache lines: a large `Vec<f32>` often starts
/// 16 bytes past a boundary (the allocator's header before an mmap'd
/// block), where every AVX-512 load would split (the report's `misaligned`
/// row). The padding must fail the op's test for any parameter, as the
/// tail's does.
///
/// # Safety
/// `xs` points to `len` valid floats, writable if the op writes (its pointer
/// is `*mut f32` and [`BlockOp::copies_back`] holds); the ISA of `V` is
/// available.
#[inline(always)]
unsafe fn for_each_block<V: Vector, O: BlockOp<V>>(
    xs: O::P,
    len: usize,
    pad: f32,
    op: &mut O,
) -> Option<usize> {
    if V::LANES == 1 && O::ROLLED && O::REALIGN {
        for i in 0..len {
            // SAFETY: i < len: one of the caller's `len` floats (writable iff
            // the op writes), and the ISA as the caller guarantees.
            if let Some(r) = unsafe { op.register(xs.add(i), i, 0) } {
                return Some(r);
            }
        }
        return None;
    }
    let head = if O::REALIGN && V::LANES > 1 && len >= 4 * BLOCK {
        // Floats are 4-byte aligned, so this is below BLOCK <= len.
        (64 - xs.as_const().addr() % 64) % 64 / 4
    } else {
        0
    };
    if head > 0 {
        // SAFETY: the head's floats are the first `head < len` of the slice.
        if let Some(r) = unsafe { padded(xs, head, 0, pad, op) } {
            return Some(r);
        }
    }
    let full = len - (len - head) % BLOCK;
    let mut i = head;
    if O::REALIGN && V::LANES > 1 {
        while i + 4 * BLOCK <= full {
            // SAFETY: i + 4 * BLOCK <= full <= len: the blocks lie inside the slice.
            if let Some(r) = unsafe { op.wide(xs.add(i), i) } {
                return Some(r);
            }
            i += 4 * BLOCK;
        }
    }
    while i < full {
        // SAFETY: i + BLOCK <= full <= len, so the block lies inside the slice.
        if let Some(r) = unsafe { op.block(xs.add(i), i) } {
            return Some(r);
        }
        i += BLOCK;
    }
    if full < len {
        // SAFETY: the len - full < BLOCK floats from xs + full are inside the slice.
        return unsafe { padded(xs.add(full), len - full, full, pad, op) };
    }
    None
}

/// Runs `op` on a copy of the `n < BLOCK` floats at `xs` (index `start`)
/// padded with `pad`, and copies them back if the op writes.
///
/// # Safety
/// As [`for_each_block`], for `n <= BLOCK` floats at `xs`.
#[inline(always)]
unsafe fn padded<V: Vector, O: BlockOp<V>>(
    xs: O::P,
    n: usize,
    start: usize,
    pad: f32,
    op: &mut O,
) -> Option<usize> {
    let mut block = [pad; BLOCK];
    // SAFETY: the caller's n <= BLOCK floats at xs; `block` has room for BLOCK.
    unsafe { core::ptr::copy_nonoverlapping(xs.as_const(), block.as_mut_ptr(), n) };
    // SAFETY: `block` is a whole block on the stack.
    let r = unsafe { op.block(O::P::to_block(&mut block), start) };
    if op.copies_back() {
        // SAFETY: the same n floats, written back if the op writes.
        unsafe { O::P::copy_back(&block, xs, n) };
    }
    r
}

struct MaxNan<V: Vector> {
    acc: [V; 4],
    nan: V::Mask,
}

impl<V: Vector> BlockOp<V> for MaxNan<V> {
    type P = *const f32;
    const REALIGN: bool = true;

    #[inline(always)]
    unsafe fn register(&mut self, p: *const f32, _: usize, j: usize) -> Option<usize> {
        // SAFETY: ISA guaranteed by the caller; `p` holds LANES readable floats.
        unsafe {
            let x = V::load(p);
            // Four accumulators break the dependency chain of the max.
            let a = &mut self.acc[(j / V::LANES) % 4];
            *a = a.max(x);
            self.nan = V::mask_or(self.nan, x.is_nan());
        }
        None
    }
}

/// Maximum and first NaN in one read pass.
#[inline(always)]
pub(crate) unsafe fn max_nan<V: Vector>(xs: &[f32]) -> MaxScan {
    // SAFETY: for the whole block: ISA guaranteed by the caller; the slice is valid.
    unsafe {
        let mut op = MaxNan {
            acc: [V::splat(f32::NEG_INFINITY); 4],
            nan: V::splat(0.0).is_nan(),
        };
        for_each_block(xs.as_ptr(), xs.len(), f32::NEG_INFINITY, &mut op);
        if V::mask_bits(op.nan) != 0 {
            let index = xs.iter().position(|x| x.is_nan());
            return MaxScan {
                max: f32::NAN,
                nan: index,
            };
        }
        let [a, b, c, d] = op.acc;
        let m = a.max(b).max(c.max(d)).fold_max();
        // + 0.0 turns a -0.0 maximum into +0.0, so every backend reports the same bits.
        MaxScan {
            max: m + 0.0,
            nan: None,
        }
    }
}

struct PositionOf<V: Vector>(V);

impl<V: Vector> BlockOp<V> for PositionOf<V> {
    type P = *const f32;
    const REALIGN: bool = true;

    #[inline(always)]
    unsafe fn register(&mut self, p: *const f32, block: usize, j: usize) -> Option<usize> {
        // SAFETY: ISA guaranteed by the caller; `p` holds LANES readable floats.
        let bits = unsafe { V::mask_bits(V::load(p).eq(self.0)) };
        (bits != 0).then(|| block + j + bits.trailing_zeros() as usize)
    }
}

/// Index of the first element equal to `v` (compared as floats).
#[inline(always)]
pub(crate) unsafe fn position_of<V: Vector>(xs: &[f32], v: f32) -> Option<usize> {
    // SAFETY: ISA guaranteed by the caller; the slice is valid; NaN padding never matches.
    unsafe {
        for_each_block(
            xs.as_ptr(),
            xs.len(),
            f32::NAN,
            &mut PositionOf(V::splat(v)),
        )
    }
}

/// For each of the first `n` floats of `ls` (`n <= RANKED`, none NaN), how
/// many of those `n` it is at least, itself included: `out[i] = #{j < n :
/// ls[i] >= ls[j]}`. All pairs, one
/// broadcast and compare per pair and register: no branch on the data,
/// where a quickselect branches on every comparison (see
/// `filter/select.rs`). Lanes from `n` on get unspecified values.
#[inline(always)]
pub(crate) unsafe fn at_least_counts<V: Vector>(
    ls: &[f32; RANKED],
    n: usize,
    out: &mut [u32; RANKED],
) {
    let n = n.min(RANKED);
    let l = ls.as_ptr();
    // SAFETY: for the whole block: ISA guaranteed by the caller; `i` is a
    // multiple of LANES below `n <= RANKED`, and LANES divides RANKED, so each
    // register lies inside both arrays (`out`'s `u32`s are written through
    // an `f32` pointer: same size and alignment, and any bits are a `u32`);
    // `j < n` reads inside `ls`.
    unsafe {
        let mut i = 0;
        while i < n {
            let li = V::load(l.add(i));
            // Integer counts (the bits of `+0.0` are 0): one compare and
            // one add per pair and register.
            let mut count = V::splat(0.0);
            let mut j = 0;
            while j < n {
                count = count.count_where(li.ge(V::splat(*l.add(j))));
                j += 1;
            }
            // The counts' bits, stored as they are.
            count.store(out.as_mut_ptr().cast::<f32>().add(i));
            i += V::LANES;
        }
    }
}

struct Gather<'a, V: Vector> {
    threshold: V,
    base: u32,
    out: &'a mut [Candidate],
    count: usize,
}

impl<V: Vector> BlockOp<V> for Gather<'_, V> {
    type P = *const f32;
    const REALIGN: bool = true;

    #[inline(always)]
    unsafe fn register(&mut self, p: *const f32, block: usize, j: usize) -> Option<usize> {
        let start = block + j;
        // SAFETY: ISA guaranteed by the caller; `p` holds LANES readable floats.
        let mut bits = unsafe { V::mask_bits(V::load(p).ge(self.threshold)) };
        while bits != 0 {
            let lane = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let Some(slot) = self.out.get_mut(self.count) else {
                return Some(start + lane);
            };
            let id = self.base.wrapping_add((start + lane) as u32);
            // SAFETY: lane < LANES, inside the register's floats.
            let logit = unsafe { *p.add(lane) };
            *slot = Candidate { id, logit };
            self.count += 1;
        }
        None
    }

    /// One test and branch per four blocks: almost every register of a
    /// model's logits holds no candidate, and a branch per register (plus its
    /// bookkeeping) made this pass 1.4x the max scan on AVX2. Below 16 lanes
    /// a block with a candidate is compared again, register by register
    /// (cheap: rare).
    ///
    /// With four registers per four blocks (AVX-512), their mask bits go
    /// into one 64-bit word instead, tested once and walked bit by bit: no
    /// second comparison, one loop for the candidates however they spread
    /// over the registers. Where a candidate falls changes with every
    /// generation step, so the register-by-register walk mispredicted;
    /// gathering 53 candidates from 128 256 logits shuffled anew every call
    /// went from 6.1 to 5.7 us (12.5 to 10.1 ns per candidate, and 9 from
    /// 5.4 to 5.1 us). On AVX2 (eight registers) the word cost more than
    /// it saved: 9 candidates 5.4 -> 6.0 us.
    #[inline(always)]
    unsafe fn wide(&mut self, b: *const f32, start: usize) -> Option<usize> {
        // SAFETY: ISA guaranteed by the caller; `b` holds 4 * BLOCK readable floats.
        unsafe {
            if V::LANES < 16 {
                let mut any = V::load(b).ge(self.threshold);
                let mut j = V::LANES;
                while j < 4 * BLOCK {
                    any = V::mask_or(any, V::load(b.add(j)).ge(self.threshold));
                    j += V::LANES;
                }
                if V::mask_bits(any) == 0 {
                    return None;
                }
                let mut j = 0;
                while j < 4 * BLOCK {
                    if let Some(r) = self.register(b.add(j), start, j) {
                        return Some(r);
                    }
                    j += V::LANES;
                }
                return None;
            }
            let mut hits = 0u64;
            let mut j = 0;
            while j < 4 * BLOCK {
                hits |= (V::mask_bits(V::load(b.add(j)).ge(self.threshold)) as u64) << j;
                j += V::LANES;
            }
            while hits != 0 {
                let lane = hits.trailing_zeros() as usize;
                hits &= hits - 1;
                let Some(slot) = self.out.get_mut(self.count) else {
                    return Some(start + lane);
                };
                let id = self.base.wrapping_add((start + lane) as u32);
                *slot = Candidate {
                    id,
                    logit: *b.add(lane),
                };
                self.count += 1;
            }
        }
        None
    }
}

/// Copies every `(base + index, logit)` with `logit >= t` into `out`, in
/// ascending index, until `out` is full; reports how many were written and
/// where the scan stopped (the first qualifying element that did not fit).
#[inline(always)]
pub(crate) unsafe fn gather_at_least<V: Vector>(
    xs: &[f32],
    t: f32,
    base: u32,
    out: &mut [Candidate],
) -> Gathered {
    // SAFETY: for the whole block: ISA guaranteed by the caller; the slice is
    // valid; NaN padding never passes a threshold (-inf would pass `t = -inf`,
    // as `top` logprobs ask for: padded lanes became candidates).
    unsafe {
        let mut op = Gather {
            threshold: V::splat(t),
            base,
            out,
            count: 0,
        };
        let stopped = for_each_block(xs.as_ptr(), xs.len(), f32::NAN, &mut op);
        Gathered {
            count: op.count,
            next: stopped.unwrap_or(xs.len()),
        }
    }
}

/// Weights below this (2^-21) are summed at a finer scale than the masses'
/// 2^30, so the normaliser of `softmax_in_place` keeps the mass of a long
/// tail that `round(w * 2^30)` would round to 0.
const FINE_BELOW: f32 = 1.0 / 2_097_152.0;
/// `2^51`: the fine unit, `2^21` units of a mass.
const FINE_ONE: f32 = 2_251_799_813_685_248.0;
/// `2^21` and `2^20`: a mass's rounding residual in fine units, and the
/// offset that keeps it non-negative.
const FINE_PER_MASS: f32 = 2_097_152.0;
const HALF_MASS: f32 = 1_048_576.0;

struct ExpBlock<V: Vector> {
    threshold: V,
    max: V,
    inv_t: V,
    /// Masses `round(w * 2^30)` of the weights `>= 2^-21`.
    sum: V::Sum,
    /// In fine units (2^-51): `round(w * 2^51)` of the weights below 2^-21,
    /// and `2^20 +` the rounding residual of each mass in `sum`.
    fine: V::Sum,
    /// How many masses `sum` holds (each offset by 2^20 in `fine`).
    coarse: u64,
}

impl<V: Vector> BlockOp<V> for ExpBlock<V> {
    type P = *mut f32;
    const REALIGN: bool = true;
    const ROLLED: bool = true;

    #[inline(always)]
    unsafe fn register(&mut self, p: *mut f32, _: usize, _: usize) -> Option<usize> {
        // SAFETY: ISA guaranteed by the caller; `p` holds LANES writable floats.
        unsafe {
            let x = V::load(p);
            let s = x.sub(self.max).mul(self.inv_t);
            let e = exp_nonpositive(s).select_or_zero(x.ge(self.threshold));
            e.store(p);
            // Each lane goes to exactly one kind (in a mixed register the
            // other kind's value, possibly out of range, is zeroed); most
            // registers of a model's logits are all tail.
            let coarse = e.ge(V::splat(FINE_BELOW));
            let coarse_bits = V::mask_bits(coarse);
            if coarse_bits == 0 {
                // All tail: below 2^-21, `e * 2^51 < 2^30`.
                let f = e.mul(V::splat(FINE_ONE)).to_fixed();
                self.fine = V::sum_add(self.fine, f);
            } else {
                // `e <= 1`: `v = e * 2^30` is exact and `q = round(v)` fits an
                // i32 (and converts back exactly: below 2^23 it is small, from
                // there on `v` is an integer). For `v >= 2^9`, `v - q` is exact
                // (Sterbenz), at most 1/2 and a multiple of 2^-14: times 2^21
                // plus 2^20, an integer in `[0, 2^21]`, exact too.
                let v = e.mul(V::splat(FIXED_ONE));
                let mut q = v.to_fixed();
                let mut r = v
                    .sub(q.fixed_to_float())
                    .mul(V::splat(FINE_PER_MASS))
                    .add(V::splat(HALF_MASS))
                    .to_fixed();
                if coarse_bits != (1 << V::LANES) - 1 {
                    // Mixed: each lane to its kind (the other kind's value,
                    // possibly out of range, zeroed).
                    q = q.select_or_zero(coarse);
                    r = r.select_or_zero(coarse);
                    let fine = V::splat(FINE_BELOW.next_down()).ge(e);
                    let f = e.mul(V::splat(FINE_ONE)).to_fixed().select_or_zero(fine);
                    self.fine = V::sum_add(self.fine, f);
                }
                self.sum = V::sum_add(self.sum, q);
                self.fine = V::sum_add(self.fine, r);
                self.coarse += coarse_bits.count_ones() as u64;
            }
        }
        None
    }
}

/// Weights `exp((x - max) * inv_t)` for each `x >= t`, 0 for the rest, written
/// over `xs`. Returns their sum in units of 2^-30, rounded once (to nearest,
/// halves up): each weight from 2^-21 on exactly (its mass `round(w * 2^30)`
/// plus the residual), each smaller one as `round(w * 2^51)` units of 2^-51.
#[inline(always)]
pub(crate) unsafe fn exp_weights<V: Vector>(xs: &mut [f32], t: f32, w: Weighting) -> u64 {
    // SAFETY: ISA guaranteed by the caller; the slice is valid and writable;
    // -inf padding is below every threshold and gets weight 0.
    unsafe {
        let mut op = ExpBlock::<V> {
            threshold: V::splat(t),
            max: V::splat(w.max),
            inv_t: V::splat(w.inv_t),
            sum: V::sum_zero(),
            fine: V::sum_zero(),
            coarse: 0,
        };
        for_each_block(xs.as_mut_ptr(), xs.len(), f32::NEG_INFINITY, &mut op);
        // Fewer than 2^32 terms below 2^31 each: every sum fits an i64.
        let fine = V::sum_total(op.fine) as i64 - ((op.coarse as i64) << 20);
        let total = V::sum_total(op.sum) as i64 + ((fine + (1 << 20)) >> 21);
        total as u64
    }
}

struct Scale<V: Vector>(V);

impl<V: Vector> BlockOp<V> for Scale<V> {
    type P = *mut f32;
    const REALIGN: bool = true;

    #[inline(always)]
    unsafe fn register(&mut self, p: *mut f32, _: usize, _: usize) -> Option<usize> {
        // SAFETY: ISA guaranteed by the caller; `p` holds LANES writable floats.
        unsafe { V::load(p).mul(self.0).store(p) };
        None
    }
}

/// Multiplies every element by `factor`.
#[inline(always)]
pub(crate) unsafe fn scale<V: Vector>(xs: &mut [f32], factor: f32) {
    // SAFETY: ISA guaranteed by the caller; the slice is valid and writable.
    unsafe { for_each_block(xs.as_mut_ptr(), xs.len(), 0.0, &mut Scale(V::splat(factor))) };
}

/// `exp_fixed` (writing the masses) and `exp_fixed_sum` (only summing) as
/// one op with a run-time flag: one copy of the exp's code on a
/// microcontroller, and a predictable branch per register elsewhere.
struct FixedBlock<V: Vector> {
    threshold: V,
    max: V,
    inv_t: V,
    sum: V::Sum,
    write: bool,
}

impl<V: Vector> BlockOp<V> for FixedBlock<V> {
    type P = *mut f32;
    const REALIGN: bool = true;
    const ROLLED: bool = true;

    #[inline(always)]
    unsafe fn register(&mut self, p: *mut f32, _: usize, _: usize) -> Option<usize> {
        // SAFETY: ISA guaranteed by the caller; `p` holds LANES readable
        // floats, writable when `write` is set.
        unsafe {
            let x = V::load(p);
            let s = x.sub(self.max).mul(self.inv_t);
            // Most of a model's vocabulary lies more than 22 nats below the
            // max, where every mass is 0: skip exp when no lane is above.
            let q = if V::mask_bits(s.ge(V::splat(MASS_ZERO_BELOW))) == 0 {
                V::splat(0.0)
            } else {
                // At most 2^30, so its rounding fits an i32.
                exp_scaled_fixed(s)
                    .select_or_zero(x.ge(self.threshold))
                    .to_fixed()
            };
            self.sum = V::sum_add(self.sum, q);
            if self.write {
                q.store(p);
            }
        }
        None
    }

    #[inline(always)]
    fn copies_back(&self) -> bool {
        self.write
    }
}

/// Fixed-point masses `round(exp((x - max) * inv_t) * 2^30)` for each `x >= t`
/// of the `len` floats at `xs`, 0 for the rest; their `i32` bits are written
/// over the floats if `write`. Returns the exact `u64` sum.
///
/// # Safety
/// The ISA of `V` is available; `xs` points to `len` valid floats, writable
/// if `write` (otherwise nothing is written through it).
#[inline(always)]
pub(crate) unsafe fn exp_fixed<V: Vector>(
    xs: *mut f32,
    len: usize,
    t: f32,
    w: Weighting,
    write: bool,
) -> u64 {
    // SAFETY: as the caller guarantees; -inf padding is below every
    // threshold and gets mass 0.
    unsafe {
        let mut op = FixedBlock::<V> {
            threshold: V::splat(t),
            max: V::splat(w.max),
            inv_t: V::splat(w.inv_t),
            sum: V::sum_zero(),
            write,
        };
        for_each_block(xs, len, f32::NEG_INFINITY, &mut op);
        V::sum_total(op.sum)
    }
}

/// One chunk of `deviation_sums` (`ENTROPY = false`) or `entropy_sums`.
struct SetBlock<V: Vector, const ENTROPY: bool> {
    threshold: V,
    /// `c`, or the weighting's max.
    center: V,
    inv_t: V,
    count: u64,
    mass: V::Sum,
    first: Lanes<V>,
    second: Lanes<V>,
}

impl<V: Vector, const ENTROPY: bool> BlockOp<V> for SetBlock<V, ENTROPY> {
    type P = *const f32;

    #[inline(always)]
    unsafe fn register(&mut self, p: *const f32, _: usize, j: usize) -> Option<usize> {
        // SAFETY: ISA guaranteed by the caller; `p` holds LANES readable floats.
        unsafe {
            let x = V::load(p);
            let keep = x.ge(self.threshold);
            self.count += V::mask_bits(keep).count_ones() as u64;
            if ENTROPY {
                let s = x.sub(self.center).mul(self.inv_t);
                // As `FixedBlock`: no exp when every lane's mass is 0.
                if V::mask_bits(s.ge(V::splat(MASS_ZERO_BELOW))) != 0 {
                    let q = exp_scaled_fixed(s).select_or_zero(keep).to_fixed();
                    self.mass = V::sum_add(self.mass, q);
                    let qf = q.fixed_to_float();
                    // Mass 0 adds nothing (its `s` may be `-inf`: 0 * inf is NaN).
                    let v = qf.mul(s).select_or_zero(qf.ge(V::splat(1.0)));
                    self.first.add(j, v);
                }
            } else {
                let d = x.sub(self.center).select_or_zero(keep);
                self.first.add(j, d);
                self.second.add(j, d.mul(d));
            }
        }
        None
    }
}

/// `deviation_sums` or `entropy_sums`: chunk by chunk, each chunk's lanes
/// folded by the fixed tree and added in order.
#[inline(always)]
unsafe fn set_sums<V: Vector, const ENTROPY: bool>(
    xs: &[f32],
    t: f32,
    center: f32,
    inv_t: f32,
) -> SetSums {
    let mut out = SetSums {
        count: 0,
        mass: 0,
        first: 0.0,
        second: 0.0,
    };
    let mut start = 0;
    while start < xs.len() {
        let n = CHUNK.min(xs.len() - start);
        // SAFETY: ISA guaranteed by the caller; the chunk lies inside the
        // slice; -inf padding is below every threshold.
        unsafe {
            let mut op = SetBlock::<V, ENTROPY> {
                threshold: V::splat(t),
                center: V::splat(center),
                inv_t: V::splat(inv_t),
                count: 0,
                mass: V::sum_zero(),
                first: Lanes::new(),
                second: Lanes::new(),
            };
            for_each_block(xs.as_ptr().add(start), n, f32::NEG_INFINITY, &mut op);
            out.count += op.count;
            out.mass += V::sum_total(op.mass);
            out.first += op.first.sum();
            if !ENTROPY {
                out.second += op.second.sum();
            }
        }
        start += n;
    }
    out
}

/// For the elements `x >= t`: count, `Σ (x - c)`, `Σ (x - c)^2`.
#[inline(always)]
pub(crate) unsafe fn deviation_sums<V: Vector>(xs: &[f32], t: f32, c: f32) -> SetSums {
    // SAFETY: ISA guaranteed by the caller.
    unsafe { set_sums::<V, false>(xs, t, c, 1.0) }
}

/// For the elements `x >= t`: count, total mass, `Σ q s` over `q > 0`.
#[inline(always)]
pub(crate) unsafe fn entropy_sums<V: Vector>(xs: &[f32], t: f32, w: Weighting) -> SetSums {
    // SAFETY: ISA guaranteed by the caller.
    unsafe { set_sums::<V, true>(xs, t, w.max, w.inv_t) }
}

/// Sums masses: the `i32` bits `exp_fixed` wrote (`SCALED = false`), or
/// the masses `scale.mass(w)` of a caller's weights (`SCALED = true`).
struct FixedSum<V: Vector, const SCALED: bool> {
    sum: V::Sum,
    first: V,
    second: V,
}

impl<V: Vector, const SCALED: bool> BlockOp<V> for FixedSum<V, SCALED> {
    type P = *const f32;
    const REALIGN: bool = true;
    const ROLLED: bool = true;

    #[inline(always)]
    unsafe fn register(&mut self, p: *const f32, _: usize, _: usize) -> Option<usize> {
        // SAFETY: ISA guaranteed by the caller; `p` holds LANES readable floats.
        unsafe {
            let x = V::load(p);
            let q = if SCALED {
                x.mul(self.first).mul(self.second).to_fixed()
            } else {
                x
            };
            self.sum = V::sum_add(self.sum, q);
        }
        None
    }
}

/// The sum of the masses of `xs` (as [`FixedSum`] reads them). A function,
/// not a closure: a closure would lose the entry point's target features.
///
/// # Safety
/// The ISA of `V` is available.
#[inline(always)]
unsafe fn mass_sum<V: Vector, const SCALED: bool>(xs: &[f32], scale: MassScale) -> u64 {
    // SAFETY: ISA guaranteed by the caller; the slice is valid; zero padding
    // adds nothing.
    unsafe {
        let mut op = FixedSum::<V, SCALED> {
            sum: V::sum_zero(),
            first: V::splat(scale.first),
            second: V::splat(scale.second),
        };
        for_each_block(xs.as_ptr(), xs.len(), 0.0, &mut op);
        V::sum_total(op.sum)
    }
}

/// The first index at which the running sum of the masses of `xs` (as
/// [`FixedSum`] reads them) exceeds `target`, or `Err(total)` if the total
/// does not: a vector sum per [`WALK`] floats, then an element walk inside
/// the step that crosses the target only.
#[inline(always)]
unsafe fn mass_walk<V: Vector, const SCALED: bool>(
    xs: &[f32],
    scale: MassScale,
    target: u64,
) -> Result<usize, u64> {
    if target == u64::MAX {
        // Never exceeded (fewer than 2^32 masses of at most 2^31): the total,
        // in one pass.
        // SAFETY: ISA guaranteed by the caller.
        return Err(unsafe { mass_sum::<V, SCALED>(xs, scale) });
    }
    let mut before = 0u64;
    let mut start = 0;
    while let Some(step) = xs.get(start..xs.len().min(start + WALK)) {
        if step.is_empty() {
            break;
        }
        // SAFETY: ISA guaranteed by the caller.
        let after = before + unsafe { mass_sum::<V, SCALED>(step, scale) };
        if after > target {
            for (i, &x) in step.iter().enumerate() {
                // The scalar instance of the lanes' mass: the same integer.
                before += if SCALED { scale.mass(x) } else { x.to_bits() } as u64;
                if before > target {
                    return Ok(start + i);
                }
            }
        }
        before = after;
        start += step.len();
    }
    Err(before)
}

/// The first index whose running sum of fixed-point masses (`i32` bits, as
/// `exp_fixed` writes them) exceeds `target`, or `None` if the total does not.
#[inline(always)]
pub(crate) unsafe fn fixed_prefix<V: Vector>(qs: &[f32], target: u64) -> Option<usize> {
    // SAFETY: ISA guaranteed by the caller; the scale is unused.
    unsafe { mass_walk::<V, false>(qs, MassScale::UNIT, target).ok() }
}

/// The first index whose running sum of the masses `scale.mass(w)` of the
/// weights `ws` exceeds `target`, or `Err(total)` if the total does not
/// (`target = u64::MAX` gives the total: masses are at most 2^30 and fewer
/// than 2^32).
#[inline(always)]
pub(crate) unsafe fn mass_prefix<V: Vector>(
    ws: &[f32],
    scale: MassScale,
    target: u64,
) -> Result<usize, u64> {
    // SAFETY: ISA guaranteed by the caller.
    unsafe { mass_walk::<V, true>(ws, scale, target) }
}

struct FixedToFloat<V: Vector>(V);

impl<V: Vector> BlockOp<V> for FixedToFloat<V> {
    type P = *mut f32;
    const REALIGN: bool = true;

    #[inline(always)]
    unsafe fn register(&mut self, p: *mut f32, _: usize, _: usize) -> Option<usize> {
        // SAFETY: ISA guaranteed by the caller; `p` holds LANES writable floats.
        unsafe { V::load(p).fixed_to_float().mul(self.0).store(p) };
        None
    }
}

/// Turns fixed-point masses (`i32` bits) into floats times `factor`, in place.
#[inline(always)]
pub(crate) unsafe fn scale_fixed<V: Vector>(qs: &mut [f32], factor: f32) {
    // SAFETY: ISA guaranteed by the caller; the slice is valid and writable.
    unsafe {
        for_each_block(
            qs.as_mut_ptr(),
            qs.len(),
            0.0,
            &mut FixedToFloat(V::splat(factor)),
        )
    };
}
