//! Executed instructions per `sample` call on a Cortex-M4F, counted under QEMU.
//!
//! Why: wall-clock time on an emulator means nothing, but an instruction count
//! does, and it is the same on every host. The probe prints it for our sampler
//! (three configurations) and for a llama2.c-style port (`llama2c.rs`) on the
//! same logits, so a change to the core's arithmetic can be judged on the
//! target it is meant for.
//!
//! How: QEMU runs with `-icount shift=6`, so its virtual clock advances 64 ns
//! per executed instruction. The mps2-an386 SysTick, on the core clock, runs at
//! 25 MHz (40 ns a tick): it counts down 64 / 40 = 1.6 ticks per instruction.
//! Each measurement reads `SYST::get_current()` before and after, takes
//! `(start - end) & 0xFFFFFF` (reload 0xFFFFFF, so up to ~10 M instructions)
//! and converts with `instructions = ticks / 1.6`. A measured call is "copy the
//! logits into the work buffer, then call", minus the copy alone timed the
//! same way (which also removes the cost of reading the timer). Each cell is
//! the median of `REPS` calls with successive states of one seeded `Pcg32`.
//! A calibration line times blocks of 1000 and 10 000 `nop`s first: it must
//! print 1000 and 10000, give or take one (a reading is a whole tick).
//! The counts are deterministic: two runs of one build print the same text.
//!
//! Build: release profile with opt-level 3, LTO, one codegen unit (Cargo.toml;
//! the opt-level used is printed). A cell's five calls spread by the position
//! of the drawn token: up to about +-25 % around the median for full-vocab
//! draws, a few percent for the others.
//! Run: `./run.sh`, or `cargo run --release` (the runner passes `-icount`).

#![no_std]
#![no_main]

mod llama2c;

use core::hint::black_box;
use core::sync::atomic::{Ordering, compiler_fence};
use cortex_m::peripheral::{SYST, syst::SystClkSource};
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprint, hprintln};
use llama2c::ProbIndex;
use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{Pcg32, SampleError, Sampler, SamplerConfig};
use panic_semihosting as _;

/// Scratch capacity of our samplers: at vocab 4096 their scratch (8 bytes a
/// candidate) is the same memory as the peer's `ProbIndex` array.
const CAP: usize = 4096;
const VOCABS: [usize; 4] = [64, 256, 1024, 4096];
/// Room for the largest vocabulary.
const MAX_VOCAB: usize = 4096;
/// Calls per cell; the cell is their median.
const REPS: usize = 5;

#[entry]
fn main() -> ! {
    let status = match cortex_m::Peripherals::take() {
        None => {
            hprintln!("error: core peripherals already taken");
            debug::EXIT_FAILURE
        }
        Some(p) => match run(p.SYST) {
            Ok(()) => debug::EXIT_SUCCESS,
            Err(e) => {
                hprintln!("error: {}", e);
                debug::EXIT_FAILURE
            }
        },
    };
    debug::exit(status);
    loop {
        cortex_m::asm::wfi();
    }
}

fn run(mut syst: SYST) -> Result<(), SampleError> {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(0xFF_FFFF);
    syst.clear_current();
    syst.enable_counter();
    hprintln!(
        "cost-probe: thumbv7em-none-eabihf, opt-level {} (lto, codegen-units 1), Sampler<{}>",
        env!("PROBE_OPT_LEVEL"),
        CAP
    );
    calibrate();

    let mut chain: Sampler<CAP> = Sampler::new(SamplerConfig {
        temperature: 0.8,
        min_p: 0.05,
        top_k: 40,
        top_p: 0.95,
    })?;
    let mut top_p: Sampler<CAP> = Sampler::new(SamplerConfig {
        top_p: 0.9,
        ..SamplerConfig::default()
    })?;
    let mut full: Sampler<CAP> = Sampler::new(SamplerConfig::default())?;
    let mut probindex = [ProbIndex::default(); MAX_VOCAB];
    let (mut src, mut work) = ([0.0f32; MAX_VOCAB], [0.0f32; MAX_VOCAB]);

    let inputs = [
        (
            "model-like logits, model_logits(n, 2.5, 128, 22.0, n)",
            2.5,
            128,
            22.0,
        ),
        ("flat logits, model_logits(n, 0.3, 0, 0.0, n)", 0.3, 0, 0.0),
    ];
    for (title, sigma, head, lift) in inputs {
        hprintln!(
            "\nexecuted instructions per call, median of {}, copy subtracted; {}",
            REPS,
            title
        );
        hprintln!(
            "| vocab | ours, default chain | ours, top-p 0.9 | llama2.c-style top-p 0.9 \
             | ours, full-vocab draw | llama2.c-style softmax + CDF draw |"
        );
        hprintln!("|---:|---:|---:|---:|---:|---:|");
        for n in VOCABS {
            let (src, work) = (&mut src[..n], &mut work[..n]);
            model_logits(src, sigma, head, lift, n as u64);
            let copy = median(|| {
                ticks(|| {
                    work.copy_from_slice(src);
                    black_box(&mut *work);
                })
            });
            let cells = [
                cell(src, work, copy, |w, rng| ours(&mut chain, w, rng))?,
                cell(src, work, copy, |w, rng| ours(&mut top_p, w, rng))?,
                cell(src, work, copy, |w, rng| {
                    Ok(llama2c::top_p(w, 0.9, &mut probindex, rng))
                })?,
                cell(src, work, copy, |w, rng| ours(&mut full, w, rng))?,
                cell(src, work, copy, |w, rng| Ok(llama2c::full(w, rng)))?,
            ];
            hprint!("| {} |", Grouped(n as u32));
            for c in cells {
                hprint!(" {} |", Grouped(c));
            }
            hprintln!("");
        }
    }
    Ok(())
}

/// One call of ours, out of line so that objdump names it (LTO inlines the
/// core into it, as it would into a user's firmware).
#[inline(never)]
fn ours(
    sampler: &mut Sampler<CAP>,
    logits: &mut [f32],
    rng: &mut Pcg32,
) -> Result<u32, SampleError> {
    sampler.sample(logits, rng)
}

/// SysTick ticks spent in `f` (the counter counts down, modulo 2^24).
#[inline(never)]
fn ticks(f: impl FnOnce()) -> u32 {
    compiler_fence(Ordering::SeqCst);
    let start = SYST::get_current();
    compiler_fence(Ordering::SeqCst);
    f();
    compiler_fence(Ordering::SeqCst);
    let end = SYST::get_current();
    compiler_fence(Ordering::SeqCst);
    start.wrapping_sub(end) & 0xFF_FFFF
}

/// Instructions from ticks: 1.6 ticks per instruction (see the module doc), rounded.
fn instructions(ticks: u32) -> u32 {
    (ticks * 5 + 4) / 8
}

/// Median of `REPS` values of `f()`.
fn median(mut f: impl FnMut() -> u32) -> u32 {
    let mut v = [0u32; REPS];
    for x in v.iter_mut() {
        *x = f();
    }
    v.sort_unstable();
    v[REPS / 2]
}

/// Median instructions of `call` on a fresh copy of `src`, minus the copy
/// (`copy` ticks); one generator, seeded the same for every cell, runs on.
fn cell(
    src: &[f32],
    work: &mut [f32],
    copy: u32,
    mut call: impl FnMut(&mut [f32], &mut Pcg32) -> Result<u32, SampleError>,
) -> Result<u32, SampleError> {
    let mut rng = Pcg32::seed_from_u64(42);
    let mut result = Ok(0);
    let t = median(|| {
        let t = ticks(|| {
            work.copy_from_slice(src);
            result = black_box(call(black_box(&mut *work), &mut rng));
        });
        t.saturating_sub(copy)
    });
    result.map(|_| instructions(t))
}

/// Checks the conversion: blocks of exactly 1000 and 10 000 `nop`s, minus an
/// empty window, must come out as 1000 and 10000 instructions (+-1).
fn calibrate() {
    let empty = ticks(|| {});
    // SAFETY: nops touch no memory, register or flag.
    let k1 = ticks(|| unsafe {
        core::arch::asm!(
            ".rept 1000",
            "nop",
            ".endr",
            options(nomem, nostack, preserves_flags)
        )
    });
    // SAFETY: as above.
    let k10 = ticks(|| unsafe {
        core::arch::asm!(
            ".rept 10000",
            "nop",
            ".endr",
            options(nomem, nostack, preserves_flags)
        )
    });
    hprintln!(
        "calibration (QEMU -icount shift=6, SysTick 25 MHz = 1.6 ticks/instruction): \
         empty window {} ticks; 1000 nops -> {} instructions, 10000 nops -> {} instructions",
        empty,
        instructions(k1 - empty),
        instructions(k10 - empty)
    );
}

/// Port of `model_logits` from tests/src/lib.rs (splitmix64, Box-Muller in f64,
/// a Zipf-like head of `head` tokens lifted to `lift`), written into `out`.
/// Runs before any measurement, so libm's soft-float f64 costs nothing here.
fn model_logits(out: &mut [f32], sigma: f32, head: usize, lift: f32, seed: u64) {
    let mut state = seed;
    let mut unit = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (((z ^ (z >> 31)) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    for x in out.iter_mut() {
        let (u1, u2) = (unit(), unit());
        *x = (libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(core::f64::consts::TAU * u2)) as f32
            * sigma;
    }
    let n = out.len();
    for k in 0..head.min(n) {
        let slot = ((k as u64 * 2_654_435_761) % n as u64) as usize;
        if let Some(x) = out.get_mut(slot) {
            *x = lift - 1.2 * libm::logf((k + 1) as f32) + *x * 0.1;
        }
    }
}

/// A number with its thousands separated by spaces, as in the table.
struct Grouped(u32);

impl core::fmt::Display for Grouped {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (mut div, mut first) = (1_000_000_000, true);
        while div > 1 && self.0 < div {
            div /= 1000;
        }
        while div >= 1 {
            let part = self.0 / div % 1000;
            if first {
                write!(f, "{part}")?;
            } else {
                write!(f, " {part:03}")?;
            }
            first = false;
            div /= 1000;
        }
        Ok(())
    }
}
