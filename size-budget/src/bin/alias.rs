//! The alias table.

#![no_std]
#![no_main]

use panic_never as _;

#[cortex_m_rt::entry]
fn main() -> ! {
    core::hint::black_box(size_budget::alias::<256>());
    loop {
        core::hint::spin_loop();
    }
}
