//! What differs between the MCU families: the timer the probe reads, and
//! turning a fault into a failing exit (so a crash fails run.sh instead of
//! hanging until the runner's timeout).
//!
//! The timer runs on QEMU's virtual clock, which `-icount shift=6` advances
//! 64 ns per executed instruction: a clock of `CLOCK_HZ` then advances
//! `64e-9 * CLOCK_HZ` ticks per instruction, on any host.
//! - Cortex-M: SysTick on the core clock, counting down from 0xFF_FFFF; its
//!   wrap interrupt extends it to 64 bits (the handler's few instructions run
//!   once every 2^24 ticks, about 10 M instructions, deterministically).
//! - RISC-V: `mcycle`, which QEMU under `-icount` runs on the virtual clock in
//!   ns (`CLOCK_HZ` = 1 GHz: 64 ticks per instruction).

mod board {
    include!(concat!(env!("OUT_DIR"), "/board.rs"));
}
pub use board::{BOARD, CLOCK_HZ, MCU, OPT_LEVEL, TARGET, TIMER};

/// Instructions in `ticks` of the timer, rounded to nearest.
pub fn instructions(ticks: u64) -> u64 {
    let per_instruction_scaled = 64 * CLOCK_HZ; // ticks per instruction, times 1e9
    (ticks * 1_000_000_000 + per_instruction_scaled / 2) / per_instruction_scaled
}

#[cfg(target_arch = "arm")]
mod timer {
    use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
    use cortex_m::peripheral::{SCB, SYST, syst::SystClkSource};

    /// SysTick wraps since `start`.
    static WRAPS: AtomicU32 = AtomicU32::new(0);

    #[cortex_m_rt::exception]
    fn SysTick() {
        // Only this handler writes WRAPS (load + store: Armv6-M has no atomic add).
        WRAPS.store(WRAPS.load(SeqCst).wrapping_add(1), SeqCst);
    }

    pub fn start() -> Result<(), &'static str> {
        let mut syst = cortex_m::Peripherals::take()
            .ok_or("core peripherals already taken")?
            .SYST;
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(0xFF_FFFF);
        syst.clear_current();
        syst.enable_interrupt();
        syst.enable_counter();
        Ok(())
    }

    /// Ticks since `start`, counting up.
    #[inline(always)]
    pub fn now() -> u64 {
        loop {
            let wraps = WRAPS.load(SeqCst);
            let current = SYST::get_current();
            let pending = SCB::is_pendst_pending();
            if WRAPS.load(SeqCst) == wraps {
                // Reloaded, but its interrupt not yet taken: count that wrap.
                let late = u64::from(pending && current > 0x80_0000);
                return ((u64::from(wraps) + late) << 24) | u64::from(0xFF_FFFF - current);
            }
        }
    }
}

#[cfg(target_arch = "riscv32")]
mod timer {
    pub fn start() -> Result<(), &'static str> {
        Ok(())
    }

    /// QEMU's virtual clock in ns (see the module doc).
    #[inline(always)]
    pub fn now() -> u64 {
        riscv::register::mcycle::read64()
    }
}

pub use timer::{now, start};

/// Prints `what` and `value` in hex, then exits with status 1.
fn fail(what: &str, value: usize) -> ! {
    semihosting::println!("{}{:#010x}", what, value);
    semihosting::process::exit(1)
}

#[cfg(target_arch = "arm")]
#[cortex_m_rt::exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    fail("HardFault at pc ", frame.pc() as usize)
}

/// Any exception (illegal instruction, misaligned or faulting access, ...).
#[cfg(target_arch = "riscv32")]
#[unsafe(export_name = "ExceptionHandler")]
fn exception(_frame: &riscv_rt::TrapFrame) -> ! {
    fail("exception at pc ", riscv::register::mepc::read())
}
