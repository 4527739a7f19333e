//! What differs between the MCU families: reading the stack pointer, where
//! free stack ends, and turning a fault into a failing exit (so a crash under
//! QEMU fails the check instead of hanging until the runner's timeout).
//! The entry point is the runtime crate's (`cortex-m-rt` or `riscv-rt`),
//! attached in `main.rs`.

/// Name of the MCU and of the QEMU board (set by `build.rs` from the target).
pub const MCU: &str = env!("FIRMWARE_MCU");
pub const BOARD: &str = env!("FIRMWARE_BOARD");

unsafe extern "C" {
    /// End of `.bss` (and `.uninit`): the lowest address the stack can reach
    /// (the firmware has no heap). Both runtimes' linker scripts define it.
    static __sheap: u8;
}

/// The current stack pointer.
#[inline(always)]
pub fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: copies a register; touches no memory.
    #[cfg(target_arch = "arm")]
    unsafe {
        core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    // SAFETY: as above.
    #[cfg(target_arch = "riscv32")]
    unsafe {
        core::arch::asm!("mv {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    sp
}

/// The lowest address of the stack region.
pub fn stack_limit() -> usize {
    &raw const __sheap as usize
}

/// Prints `what` and `value` in hex, then exits with status 1. Byte by byte
/// (SYS_WRITEC): `core::fmt` and the crate's `write_all` keep panic paths,
/// and the panic-never image links this too.
fn fail(what: &[u8], value: usize) -> ! {
    let mut hex = *b"0x00000000\n";
    for (i, digit) in hex.iter_mut().skip(2).take(8).enumerate() {
        let nibble = (value >> (28 - 4 * i)) & 0xF;
        *digit = b"0123456789abcdef".get(nibble).copied().unwrap_or(b'?');
    }
    for &byte in what.iter().chain(&hex) {
        semihosting::sys::arm_compat::sys_writec(byte);
    }
    semihosting::process::exit(1)
}

#[cfg(target_arch = "arm")]
#[cortex_m_rt::exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    fail(b"HardFault at pc ", frame.pc() as usize)
}

/// Any exception (illegal instruction, misaligned or faulting access, ...).
#[cfg(target_arch = "riscv32")]
#[unsafe(export_name = "ExceptionHandler")]
fn exception(_frame: &riscv_rt::TrapFrame) -> ! {
    fail(b"exception at pc ", riscv::register::mepc::read())
}
