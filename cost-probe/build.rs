//! Picks the memory map of the target's board (`memory/`), puts it on the
//! linker's search path as `memory.x`, and writes `$OUT_DIR/board.rs`: the
//! MCU, the board, the clock the probe's timer counts, and the profile's
//! opt-level (which the probe prints).

use std::{env, fs, path::PathBuf};

/// Target, MCU, QEMU board (also its memory map's name), the timer the probe
/// reads and that timer's clock in Hz. With `-icount shift=6` a clock of `f` Hz
/// advances `64 ns * f` ticks per executed instruction.
const BOARDS: [(&str, &str, &str, &str, u64); 4] = [
    (
        "thumbv7em-none-eabihf",
        "Cortex-M4F",
        "mps2-an386",
        "SysTick, 25 MHz core clock",
        25_000_000,
    ),
    (
        "thumbv6m-none-eabi",
        "Cortex-M0",
        "microbit",
        "SysTick, 16 MHz core clock",
        16_000_000,
    ),
    (
        "thumbv8m.main-none-eabihf",
        "Cortex-M33",
        "mps2-an505",
        "SysTick, 20 MHz core clock",
        20_000_000,
    ),
    (
        "riscv32imac-unknown-none-elf",
        "RISC-V RV32IMAC",
        "virt",
        "mcycle, which QEMU -icount runs on its ns clock",
        1_000_000_000,
    ),
];

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let Some(&(_, mcu, board, timer, clock_hz)) = BOARDS.iter().find(|b| b.0 == target) else {
        panic!("no board for target {target}: build with one of the targets in .cargo/config.toml");
    };
    fs::copy(format!("memory/{board}.x"), out.join("memory.x")).expect("copy the memory map");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory");
    let opt = env::var("OPT_LEVEL").unwrap_or_else(|_| "?".into());
    fs::write(
        out.join("board.rs"),
        format!(
            "pub const TARGET: &str = {target:?};\n\
             pub const MCU: &str = {mcu:?};\n\
             pub const BOARD: &str = {board:?};\n\
             pub const TIMER: &str = {timer:?};\n\
             pub const CLOCK_HZ: u64 = {clock_hz};\n\
             pub const OPT_LEVEL: &str = {opt:?};\n"
        ),
    )
    .expect("write board.rs");
}
