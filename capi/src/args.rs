//! C pointers and lengths become references and slices here, and only here,
//! after the checks that make that sound: NULL, alignment, and a length that
//! no real buffer can exceed. Each failed check is an `LsError` naming the
//! argument (1-based) by its position in the call.
//!
//! What cannot be checked is the C caller's promise, stated in the header:
//! a non-NULL pointer points to a live object of its type (an array of at
//! least `len` elements for a buffer) that no other argument overlaps.
//!
//! The logits are always required; the arrays that may be empty (a bias, a
//! mask, the top slice, the breakers, a history copy) may be NULL when their
//! length is 0.

use core::mem::{MaybeUninit, size_of};

use crate::status::{LsError, LsStatus};

/// The longest array of `T` the C API accepts: `uint32_t` entries (token ids
/// are `u32`, and no table of the core counts further), and no more bytes than
/// a slice may span. A longer `len` is reported before any slice is made, so
/// a caller asking about a length can never lead to a slice over memory it
/// does not own. (On 32-bit targets no real array gets near it.)
const fn max_len<T>() -> usize {
    let bytes = isize::MAX as usize
        / if size_of::<T>() == 0 {
            1
        } else {
            size_of::<T>()
        };
    if (u32::MAX as u64) < bytes as u64 {
        u32::MAX as usize
    } else {
        bytes
    }
}

/// Rejects NULL and a misaligned pointer.
fn check<T>(p: *const T, argument: u32) -> Result<(), LsError> {
    if p.is_null() {
        Err(LsError::argument(LsStatus::LS_NULL_POINTER, argument))
    } else if !p.is_aligned() {
        Err(LsError::argument(LsStatus::LS_BAD_ALIGNMENT, argument))
    } else {
        Ok(())
    }
}

/// `&*p`, for the `argument`-th argument.
///
/// # Safety
/// If `p` is non-NULL and aligned, it points to a valid `T` that nothing
/// mutates during `'a`.
pub(crate) unsafe fn get<'a, T>(p: *const T, argument: u32) -> Result<&'a T, LsError> {
    check(p, argument)?;
    // SAFETY: non-NULL and aligned (checked), valid (the caller's promise).
    Ok(unsafe { &*p })
}

/// `&mut *p`, for the `argument`-th argument.
///
/// # Safety
/// If `p` is non-NULL and aligned, it points to a valid `T` that nothing else
/// accesses during `'a`.
pub(crate) unsafe fn get_mut<'a, T>(p: *mut T, argument: u32) -> Result<&'a mut T, LsError> {
    check(p, argument)?;
    // SAFETY: non-NULL and aligned (checked), valid and unaliased (the caller's promise).
    Ok(unsafe { &mut *p })
}

/// An optional out-pointer: NULL is `None`, misaligned an error.
///
/// # Safety
/// As [`get_mut`]; `p` may point to uninitialised memory, since the result
/// is only ever written whole.
pub(crate) unsafe fn optional_out<'a, T>(
    p: *mut T,
    argument: u32,
) -> Result<Option<&'a mut MaybeUninit<T>>, LsError> {
    if p.is_null() {
        return Ok(None);
    }
    check(p, argument)?;
    // SAFETY: non-NULL and aligned (checked); writable and unaliased (the
    // caller's promise). `MaybeUninit` makes no claim about the contents.
    Ok(Some(unsafe { &mut *p.cast() }))
}

/// A required out-pointer, possibly to uninitialised memory.
///
/// # Safety
/// As [`optional_out`].
pub(crate) unsafe fn out<'a, T>(
    p: *mut T,
    argument: u32,
) -> Result<&'a mut MaybeUninit<T>, LsError> {
    check(p, argument)?;
    // SAFETY: as in `optional_out`.
    Ok(unsafe { &mut *p.cast() })
}

/// Rejects a length no array of `T` of ours may have (see [`max_len`]).
fn check_len<T>(len: usize, argument: u32) -> Result<(), LsError> {
    if len > max_len::<T>() {
        Err(LsError {
            argument,
            ..LsError::too_long(len)
        })
    } else {
        Ok(())
    }
}

/// The `len` floats at `p` (the `argument`-th argument), read-only.
///
/// # Safety
/// If `p` is non-NULL and aligned and `len` is in range, `p` points to `len`
/// initialised floats that nothing mutates during `'a`.
pub(crate) unsafe fn floats<'a>(
    p: *const f32,
    len: usize,
    argument: u32,
) -> Result<&'a [f32], LsError> {
    check(p, argument)?;
    check_len::<f32>(len, argument)?;
    // SAFETY: non-NULL and aligned (checked); `len * 4 <= isize::MAX` (checked);
    // `len` live floats (the caller's promise).
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// The `len` floats at `p` (the `argument`-th argument), writable.
///
/// # Safety
/// If `p` is non-NULL and aligned and `len` is in range, `p` points to `len`
/// initialised floats that nothing else accesses during `'a`.
pub(crate) unsafe fn floats_mut<'a>(
    p: *mut f32,
    len: usize,
    argument: u32,
) -> Result<&'a mut [f32], LsError> {
    check(p, argument)?;
    check_len::<f32>(len, argument)?;
    // SAFETY: as in `floats`, and unaliased (the caller's promise).
    Ok(unsafe { core::slice::from_raw_parts_mut(p, len) })
}

/// The `len` values at `p` (the `argument`-th argument), read-only; NULL is
/// the empty array when `len` is 0.
///
/// # Safety
/// If `p` is non-NULL and aligned and `len` is in range, `p` points to `len`
/// initialised `T`s that nothing mutates during `'a`.
pub(crate) unsafe fn optional_array<'a, T>(
    p: *const T,
    len: usize,
    argument: u32,
) -> Result<&'a [T], LsError> {
    if p.is_null() && len == 0 {
        return Ok(&[]);
    }
    check(p, argument)?;
    check_len::<T>(len, argument)?;
    // SAFETY: non-NULL and aligned (checked); `len * size_of::<T>() <=
    // isize::MAX` (checked); `len` live values (the caller's promise).
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// The `len` slots at `p` (the `argument`-th argument), to be written only,
/// so possibly uninitialised; NULL is the empty array when `len` is 0.
///
/// # Safety
/// If `p` is non-NULL and aligned and `len` is in range, `p` points to `len`
/// writable `T`s that nothing else accesses during `'a`.
pub(crate) unsafe fn optional_out_array<'a, T>(
    p: *mut T,
    len: usize,
    argument: u32,
) -> Result<&'a mut [MaybeUninit<T>], LsError> {
    if p.is_null() && len == 0 {
        return Ok(&mut []);
    }
    check(p, argument)?;
    check_len::<T>(len, argument)?;
    // SAFETY: as in `optional_array`, writable and unaliased (the caller's
    // promise). `MaybeUninit` makes no claim about the contents.
    Ok(unsafe { core::slice::from_raw_parts_mut(p.cast(), len) })
}

/// Writes `result`'s error (or `LS_OK`) to an optional `ls_error` and returns
/// its status: the tail of every free function.
pub(crate) fn finish(
    result: Result<(), LsError>,
    err: Option<&mut MaybeUninit<LsError>>,
) -> LsStatus {
    let detail = result.err().unwrap_or(LsError::OK);
    if let Some(err) = err {
        err.write(detail);
    }
    detail.status
}
