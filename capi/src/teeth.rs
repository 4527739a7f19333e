//! The planted panic that shows the panic-never link has teeth (feature
//! `teeth`, for `check.sh` only): an index the compiler cannot bound.

/// Reads `xs[i]` of a local array, unchecked by design.
#[unsafe(no_mangle)]
pub extern "C" fn ls_teeth(i: usize) -> f32 {
    let xs = core::hint::black_box([0.0f32; 8]);
    xs[i]
}
