//! The sampler at two capacities: what a second `CAP` costs (monomorphisation).

#![no_std]
#![no_main]

use panic_never as _;

#[cortex_m_rt::entry]
fn main() -> ! {
    core::hint::black_box(size_budget::sampler::<256>() & size_budget::sampler::<1>());
    loop {
        core::hint::spin_loop();
    }
}
