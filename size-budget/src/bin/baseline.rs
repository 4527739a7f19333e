//! Startup alone (cortex-m-rt: vector table, reset, handlers): the zero of the other images.

#![no_std]
#![no_main]

use panic_never as _;

#[cortex_m_rt::entry]
fn main() -> ! {
    core::hint::black_box(true);
    loop {
        core::hint::spin_loop();
    }
}
