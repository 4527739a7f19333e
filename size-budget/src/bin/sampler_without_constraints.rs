//! The sampler without `sample_with` and `distribution_in_place_with`: the
//! sampler minus this image is what the constraints and logprobs add.

#![no_std]
#![no_main]

use panic_never as _;

#[cortex_m_rt::entry]
fn main() -> ! {
    core::hint::black_box(size_budget::sampler_without_constraints::<256>());
    loop {
        core::hint::spin_loop();
    }
}
