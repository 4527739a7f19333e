//! Character-level text generation with `logit-sampler` on a Cortex-M4F.
//!
//! A bigram model baked in by `build.rs` gives the next character's logits;
//! the sampler draws it (temperature, min-p, top-k, top-p, seeded `Pcg32`), and
//! the text goes out through semihosting. Then an alias-table histogram, the
//! sampler's stack use per call, and the image's section sizes. The exit status
//! (semihosting) is 0 on success and 1 on any error, panic or fault.

#![no_std]
#![no_main]

use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::{debug, hprint, hprintln};
use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{AliasTable, Pcg32, SampleError, Sampler};
use panic_semihosting as _;

mod textgen;

mod model {
    include!(concat!(env!("OUT_DIR"), "/model.rs"));
}

#[entry]
fn main() -> ! {
    let status = match run() {
        Ok(()) => debug::EXIT_SUCCESS,
        Err(e) => {
            hprintln!("error: {}", e);
            debug::EXIT_FAILURE
        }
    };
    debug::exit(status);
    loop {
        cortex_m::asm::wfi();
    }
}

fn run() -> Result<(), SampleError> {
    hprintln!(
        "logit-sampler on a Cortex-M4F: {} symbols, bigram model, {}",
        model::VOCAB.len(),
        textgen::CONFIG_TEXT
    );
    let mut text = [0u8; textgen::LENGTH];
    textgen::generate(
        &model::VOCAB,
        |i| model::LOGITS.get(i).map(|r| &r[..]),
        &mut text,
    )?;
    hprintln!("--- text ---");
    hprintln!("{}", core::str::from_utf8(&text).unwrap_or("<non-utf8>"));
    hprintln!("--- end ---");

    alias_histogram()?;

    let row: &[f32] = model::LOGITS.first().map_or(&[], |r| &r[..]);
    let mut scratch_path: Sampler<{ textgen::MAX_VOCAB }> = Sampler::new(textgen::CONFIG)?;
    let mut streaming_path: Sampler<1> = Sampler::new(textgen::CONFIG)?;
    let scratch = stack_use(|| draw_once(&mut scratch_path, row));
    let streaming = stack_use(|| draw_once(&mut streaming_path, row));
    hprintln!(
        "stack per sample call: {} bytes (Sampler<64>: survivors in scratch)",
        scratch
    );
    hprintln!(
        "stack per sample call: {} bytes (Sampler<1>: streaming top-k/top-p)",
        streaming
    );
    hprintln!(
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
    hprintln!(
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
        hprint!(
            "  {:?} {:>4} (expected {:>4}) ",
            model::VOCAB[best] as char,
            counts[best],
            (expected * draws as f32) as u32
        );
        for _ in 0..counts[best] / 10 {
            hprint!("#");
        }
        hprintln!("");
    }
    Ok(())
}

/// One `sample` call (the frame of this function, which holds the logits copy
/// and the generator, is included in the measurement: about 300 bytes).
#[inline(never)]
fn draw_once<const CAP: usize>(sampler: &mut Sampler<CAP>, row: &[f32]) {
    let mut logits = [0.0f32; textgen::MAX_VOCAB];
    if let Some(buf) = logits.get_mut(..row.len()) {
        buf.copy_from_slice(row);
        let _ = core::hint::black_box(sampler.sample(buf, &mut Pcg32::seed_from_u64(1)));
    }
}

/// Bytes of stack `f` used: paint 16 KiB below the stack pointer, call `f`,
/// find the deepest word it overwrote.
fn stack_use(f: impl FnOnce()) -> usize {
    const PAINT: usize = 16 * 1024;
    const PATTERN: u32 = 0xA5A5_A5A5;
    let sp = cortex_m::register::msp::read() as usize;
    let (bottom, top) = (sp - PAINT, sp - 64);
    for addr in (bottom..top).step_by(4) {
        // SAFETY: the words below the stack pointer are free stack (RAM is 64 KiB
        // and the image's data and bss sit at its bottom, far below sp - 16 KiB).
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

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!("HardFault at pc {:#010x}", frame.pc());
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
