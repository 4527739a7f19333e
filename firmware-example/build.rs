//! Picks the memory map of the target's board (`memory/`), puts it on the
//! linker's search path as `memory.x`, names the board for the firmware's
//! banner, and bakes the bigram model built from `text/corpus.txt` into
//! `$OUT_DIR/model.rs`.

use std::{env, fmt::Write as _, fs, path::PathBuf};

#[path = "src/bigram.rs"]
mod bigram;
use bigram::build;

/// Target, the MCU it stands for, and the QEMU board that runs it (also the
/// name of its memory map in `memory/`; `.cargo/config.toml` has the runners).
const BOARDS: [(&str, &str, &str); 4] = [
    ("thumbv7em-none-eabihf", "Cortex-M4F", "mps2-an386"),
    ("thumbv6m-none-eabi", "Cortex-M0", "microbit"),
    ("thumbv8m.main-none-eabihf", "Cortex-M33", "mps2-an505"),
    (
        "riscv32imac-unknown-none-elf",
        "RISC-V RV32IMAC",
        "sifive_e",
    ),
];

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let target = env::var("TARGET").unwrap();
    let Some(&(_, mcu, board)) = BOARDS.iter().find(|(t, _, _)| *t == target) else {
        panic!("no board for target {target}: build with one of the targets in .cargo/config.toml");
    };
    fs::copy(format!("memory/{board}.x"), out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-env=FIRMWARE_MCU={mcu}");
    println!("cargo:rustc-env=FIRMWARE_BOARD={board}");
    println!("cargo:rerun-if-changed=memory");
    println!("cargo:rerun-if-changed=text/corpus.txt");
    println!("cargo:rerun-if-changed=src/bigram.rs");

    let model = build(&fs::read_to_string("text/corpus.txt").unwrap());
    let v = model.vocab.len();
    let mut src = String::new();
    writeln!(src, "/// Symbols of the model, by index.").unwrap();
    writeln!(
        src,
        "pub const VOCAB: [u8; {v}] = *b{:?};",
        String::from_utf8(model.vocab.clone()).unwrap()
    )
    .unwrap();
    writeln!(src, "/// Next-symbol logits for each symbol.").unwrap();
    writeln!(src, "pub static LOGITS: [[f32; {v}]; {v}] = [").unwrap();
    for row in &model.logits {
        let cells: Vec<String> = row
            .iter()
            .map(|x| {
                if x.is_finite() {
                    format!("f32::from_bits({:#x})", x.to_bits())
                } else {
                    "f32::NEG_INFINITY".into()
                }
            })
            .collect();
        writeln!(src, "    [{}],", cells.join(", ")).unwrap();
    }
    writeln!(src, "];").unwrap();
    writeln!(src, "/// How often each symbol occurs.").unwrap();
    let uni: Vec<String> = model.unigram.iter().map(|x| format!("{x:?}")).collect();
    writeln!(
        src,
        "pub static UNIGRAM: [f32; {v}] = [{}];",
        uni.join(", ")
    )
    .unwrap();
    fs::write(out.join("model.rs"), src).unwrap();
}
