//! Character-level text generation with `logit-sampler` on a microcontroller.
//!
//! A bigram model baked in by `build.rs` gives the next character's logits;
//! the sampler draws it (temperature, min-p, top-k, top-p, a repetition
//! penalty over the last 8 symbols, seeded `Pcg32`), and the text goes out
//! through semihosting. Then an alias-table histogram, the sampler's stack
//! use per call (`sample` on both paths, and `sample_with` with a logit bias,
//! a mask and logprobs), and the image's section sizes. The exit status
//! (semihosting) is 0 on success, 1 on an error or a fault, 101 on a panic.
//!
//! One source for every family; the target picks the board (`build.rs`: its
//! memory map in `memory/`; `.cargo/config.toml`: its QEMU runner):
//!
//! | target | MCU | QEMU board |
//! |---|---|---|
//! | `thumbv7em-none-eabihf` (the default) | Cortex-M4F | `mps2-an386` |
//! | `thumbv6m-none-eabi` | Cortex-M0, no FPU | `microbit` (nRF51, 16 KiB RAM) |
//! | `thumbv8m.main-none-eabihf` | Cortex-M33 | `mps2-an505` |
//! | `riscv32imac-unknown-none-elf` | RISC-V RV32IMAC | `sifive_e` (E31, 16 KiB RAM) |

#![no_std]
#![no_main]

use heapless::String;
use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{
    AliasTable, Constraints, Pcg32, SampleError, Sampler, SamplerConfig, TokenLogprob,
};
use semihosting::{print, println, process};

mod mcu;
mod textgen;

mod model {
    include!(concat!(env!("OUT_DIR"), "/model.rs"));
}

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    let status = match run() {
        Ok(()) => 0,
        Err(e) => {
            println!("error: {}", e);
            1
        }
    };
    process::exit(status)
}

fn run() -> Result<(), SampleError> {
    println!(
        "logit-sampler on a {} (QEMU {}): {} symbols, bigram model, {}",
        mcu::MCU,
        mcu::BOARD,
        model::VOCAB.len(),
        textgen::CONFIG_TEXT
    );
    let mut text: String<{ textgen::LENGTH }> = String::new();
    textgen::generate(
        &model::VOCAB,
        |i| model::LOGITS.get(i).map(|r| &r[..]),
        &mut text,
    )?;
    println!("--- text ---");
    println!("{}", text);
    println!("--- end ---");

    alias_histogram()?;

    // The sampler as the generation loop builds it, its history the end of
    // the text (so the repetition penalty has tokens to act on).
    let row: &[f32] = model::LOGITS.first().map_or(&[], |r| &r[..]);
    let mut scratch_path: Sampler<{ textgen::MAX_VOCAB }, { textgen::HISTORY }> =
        Sampler::new(textgen::CONFIG)?;
    let mut streaming_path: Sampler<1, { textgen::HISTORY }> = Sampler::new(textgen::CONFIG)?;
    for c in text.bytes() {
        let token = model::VOCAB.iter().position(|&v| v == c).unwrap_or(0) as u32;
        scratch_path.accept(token);
        streaming_path.accept(token);
    }
    let scratch = stack_use(|| draw_once(&mut scratch_path, row));
    let streaming = stack_use(|| draw_once(&mut streaming_path, row));
    let with = stack_use(|| draw_with_once(&mut scratch_path, row));
    // DRY over the same 8 tokens (llama.cpp's multiplier, base and allowed
    // length), on top of the repetition penalty.
    scratch_path.set_config(SamplerConfig {
        dry_multiplier: 0.8,
        dry_base: 1.75,
        dry_allowed_length: 2,
        dry_penalty_last_n: textgen::HISTORY,
        ..textgen::CONFIG
    })?;
    let dry = stack_use(|| draw_once(&mut scratch_path, row));
    println!(
        "stack per sample call: {} bytes (Sampler<{}, {}>: survivors in scratch)",
        scratch,
        textgen::MAX_VOCAB,
        textgen::HISTORY
    );
    println!(
        "stack per sample call: {} bytes (Sampler<1, {}>: streaming top-k/top-p)",
        streaming,
        textgen::HISTORY
    );
    println!(
        "stack per sample_with call: {} bytes (Sampler<{}, {}>: a ban, a bias, a mask, top-5 logprobs)",
        with,
        textgen::MAX_VOCAB,
        textgen::HISTORY
    );
    println!(
        "stack per sample call: {} bytes (Sampler<{}, {}>: survivors in scratch, with DRY over {} too)",
        dry,
        textgen::MAX_VOCAB,
        textgen::HISTORY,
        textgen::HISTORY
    );
    println!(
        "image: .text {} bytes, .rodata {} bytes, .data {} bytes, .bss {} bytes",
        section(&raw const __stext, &raw const __etext),
        section(&raw const __etext, &raw const __sidata),
        section(&raw const __sdata, &raw const __edata),
        section(&raw const __sbss, &raw const __ebss),
    );
    Ok(())
}

/// Draws 2000 characters from the unigram frequencies with an alias table and
/// prints the five most frequent against their expected share.
fn alias_histogram() -> Result<(), SampleError> {
    let table: AliasTable<{ model::UNIGRAM.len() }> = AliasTable::new(&model::UNIGRAM)?;
    let mut rng = Pcg32::seed_from_u64(7);
    let mut counts = [0u32; model::UNIGRAM.len()];
    let draws = 2000;
    for _ in 0..draws {
        if let Some(c) = counts.get_mut(table.sample(&mut rng) as usize) {
            *c += 1;
        }
    }
    let total: f32 = model::UNIGRAM.iter().sum();
    println!(
        "alias table, {} draws from the character frequencies:",
        draws
    );
    let mut shown = [false; model::UNIGRAM.len()];
    for _ in 0..5 {
        let mut best = 0;
        for (i, c) in counts.iter().enumerate() {
            if !shown[i] && *c >= counts[best] || shown[best] {
                best = i;
            }
        }
        shown[best] = true;
        let expected = model::UNIGRAM[best] / total;
        print!(
            "  {:?} {:>4} (expected {:>4}) ",
            model::VOCAB[best] as char,
            counts[best],
            (expected * draws as f32) as u32
        );
        for _ in 0..counts[best] / 10 {
            print!("#");
        }
        println!();
    }
    Ok(())
}

/// One `sample` call (the frame of this function, which holds the logits copy
/// and the generator, is included in the measurement: about 300 bytes).
#[inline(never)]
fn draw_once<const CAP: usize, const H: usize>(sampler: &mut Sampler<CAP, H>, row: &[f32]) {
    let mut logits = [0.0f32; textgen::MAX_VOCAB];
    if let Some(buf) = logits.get_mut(..row.len()) {
        buf.copy_from_slice(row);
        let _ = core::hint::black_box(sampler.sample(buf, &mut Pcg32::seed_from_u64(1)));
    }
}

/// One `sample_with` call, as an engine makes it: a banned token and a
/// favoured one, an allowed-token mask (all but token 1), the five most
/// likely tokens' logprobs (this frame holds them too).
#[inline(never)]
fn draw_with_once<const CAP: usize, const H: usize>(sampler: &mut Sampler<CAP, H>, row: &[f32]) {
    let mut logits = [0.0f32; textgen::MAX_VOCAB];
    let bias = [(2, f32::NEG_INFINITY), (3, 1.5)];
    let mut allowed = [u32::MAX; textgen::MAX_VOCAB / 32];
    if let Some(w) = allowed.first_mut() {
        *w &= !(1 << 1);
    }
    let constraints = Constraints {
        logit_bias: &bias,
        allowed: Some(&allowed),
    };
    let mut top = [TokenLogprob::default(); 5];
    if let Some(buf) = logits.get_mut(..row.len()) {
        buf.copy_from_slice(row);
        let mut rng = Pcg32::seed_from_u64(1);
        let _ = core::hint::black_box(sampler.sample_with(buf, &mut rng, &constraints, &mut top));
    }
    core::hint::black_box(&top);
}

/// Bytes of stack `f` used: paint the free stack below the stack pointer (at
/// most 16 KiB of it), call `f`, find the deepest word it overwrote.
fn stack_use(f: impl FnOnce()) -> usize {
    const PAINT: usize = 16 * 1024;
    const PATTERN: u32 = 0xA5A5_A5A5;
    let sp = mcu::stack_pointer();
    let bottom = sp.saturating_sub(PAINT).max(mcu::stack_limit()) & !3;
    let top = sp - 64;
    for addr in (bottom..top).step_by(4) {
        // SAFETY: the words from the end of .bss up to just below the stack
        // pointer are free stack: nothing else lives there (no heap).
        unsafe { (addr as *mut u32).write_volatile(PATTERN) };
    }
    f();
    let deepest = (bottom..top)
        .step_by(4)
        // SAFETY: same words as above, now only read.
        .find(|&addr| unsafe { (addr as *const u32).read_volatile() } != PATTERN)
        .unwrap_or(top);
    sp - deepest
}

unsafe extern "C" {
    static __stext: u8;
    static __etext: u8;
    static __sidata: u8;
    static __sdata: u8;
    static __edata: u8;
    static __sbss: u8;
    static __ebss: u8;
}

fn section(start: *const u8, end: *const u8) -> usize {
    (end as usize).saturating_sub(start as usize)
}
