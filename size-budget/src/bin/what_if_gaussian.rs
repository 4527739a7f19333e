//! The whole pipeline with the Gaussian of `what_if.rs` (an exact integer
//! reduction and f32 sin/cos) in place of the core's: what that change would cut.

#![no_std]
#![no_main]

use panic_never as _;

#[cortex_m_rt::entry]
fn main() -> ! {
    core::hint::black_box(
        size_budget::sampler::<256>()
            & size_budget::alias::<256>()
            & size_budget::what_if::gaussians(),
    );
    loop {
        core::hint::spin_loop();
    }
}
