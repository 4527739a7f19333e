//! Executed instructions per `sample` call on four MCU families, counted under QEMU.
//!
//! Why: wall-clock time on an emulator means nothing, but an instruction count
//! does, and it is the same on every host. The probe prints it for our sampler
//! (three configurations) and for a llama2.c-style port (`llama2c.rs`) on the
//! same logits, so a change to the core's arithmetic can be judged on the
//! targets it is meant for: Cortex-M4F (`thumbv7em-none-eabihf`, single-precision
//! FPU), Cortex-M33 (`thumbv8m.main-none-eabihf`, FPU), Cortex-M0
//! (`thumbv6m-none-eabi`, no FPU: every float operation is a call) and RISC-V
//! RV32IMAC (`riscv32imac-unknown-none-elf`, no FPU).
//!
//! How: QEMU runs with `-icount shift=6`, so its virtual clock advances 64 ns
//! per executed instruction, and a timer on that clock counts instructions
//! (`mcu.rs`: SysTick on the Cortex-M boards, `mcycle` on RISC-V). Each
//! measurement reads the timer before and after and converts ticks to
//! instructions (`instructions = ticks / (64 ns * clock)`). A measured call is
//! "copy the logits into the work buffer, then call", minus the copy alone
//! timed the same way (which also removes the cost of reading the timer). Each
//! cell is the median of `REPS` calls with successive states of one seeded
//! `Pcg32`. A calibration line times blocks of 1000 and 10 000 `nop`s first: it
//! must print 1000 and 10000, give or take one (a reading is a whole tick).
//! The counts are deterministic: two runs of one build print the same text.
//!
//! Build: release profile with opt-level 3, LTO, one codegen unit (Cargo.toml;
//! the opt-level used is printed). A cell's five calls spread by the position
//! of the drawn token: up to about +-25 % around the median for full-vocab
//! draws, a few percent for the others.
//! Run: `./run.sh` (every family), or `cargo run --release [--target ...]`
//! (the runners in .cargo/config.toml pass `-icount`). Where a call's
//! instructions go: `./profile.sh [target] [input] [vocab]` (an instruction
//! trace cut at markers, by function and by soft-float routine).

#![no_std]
#![no_main]

mod llama2c;
mod mcu;

use core::hint::black_box;
use core::sync::atomic::{Ordering, compiler_fence};
use llama2c::ProbIndex;
use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{Pcg32, SampleError, Sampler, SamplerConfig};
use semihosting::{print, println, process};

/// Scratch capacity of our samplers: at vocab 4096 their scratch (8 bytes a
/// candidate) is the same memory as the peer's `ProbIndex` array.
const CAP: usize = 4096;
const VOCABS: [usize; 4] = [64, 256, 1024, 4096];
/// Room for the largest vocabulary.
const MAX_VOCAB: usize = 4096;
/// Calls per cell; the cell is their median.
const REPS: usize = 5;

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    let status = match mcu::start() {
        Err(e) => {
            println!("error: {}", e);
            1
        }
        Ok(()) => match run() {
            Ok(()) => 0,
            Err(e) => {
                println!("error: {}", e);
                1
            }
        },
    };
    process::exit(status)
}

fn run() -> Result<(), SampleError> {
    println!(
        "cost-probe: {} on QEMU {}, {}, opt-level {} (lto, codegen-units 1), Sampler<{}>",
        mcu::MCU,
        mcu::BOARD,
        mcu::TARGET,
        mcu::OPT_LEVEL,
        CAP
    );
    let mut chain: Sampler<CAP> = Sampler::new(CHAIN)?;
    let mut top_p: Sampler<CAP> = Sampler::new(TOP_P)?;
    let mut full: Sampler<CAP> = Sampler::new(SamplerConfig::default())?;
    let mut probindex = [ProbIndex::default(); MAX_VOCAB];
    let (mut src, mut work) = ([0.0f32; MAX_VOCAB], [0.0f32; MAX_VOCAB]);
    if cfg!(feature = "profile") {
        return profile(
            &mut chain,
            &mut top_p,
            &mut full,
            &mut probindex,
            &mut src,
            &mut work,
        );
    }
    calibrate();

    for (title, sigma, head, lift) in INPUTS {
        println!(
            "\nexecuted instructions per call, median of {}, copy subtracted; {}",
            REPS, title
        );
        println!(
            "| vocab | ours, default chain | ours, top-p 0.9 | llama2.c-style top-p 0.9 \
             | ours, full-vocab draw | llama2.c-style softmax + CDF draw |"
        );
        println!("|---:|---:|---:|---:|---:|---:|");
        for n in VOCABS {
            let (src, work) = (&mut src[..n], &mut work[..n]);
            model_logits(src, sigma, head, lift, n as u64);
            let copy = median(|| {
                ticks(|| {
                    work.copy_from_slice(src);
                    black_box(&mut *work);
                })
            });
            let cells: [u64; 5] = [
                cell(src, work, copy, |w, rng| ours(&mut chain, w, rng))?,
                cell(src, work, copy, |w, rng| ours(&mut top_p, w, rng))?,
                cell(src, work, copy, |w, rng| {
                    Ok(llama2c::top_p(w, 0.9, &mut probindex, rng))
                })?,
                cell(src, work, copy, |w, rng| ours(&mut full, w, rng))?,
                cell(src, work, copy, |w, rng| Ok(llama2c::full(w, rng)))?,
            ];
            print!("| {} |", Grouped(n as u64));
            for c in cells {
                print!(" {} |", Grouped(c));
            }
            println!("");
        }
    }
    Ok(())
}

/// The default chain of the tables.
const CHAIN: SamplerConfig = SamplerConfig {
    temperature: 0.8,
    min_p: 0.05,
    top_k: 40,
    top_p: 0.95,
    ..SamplerConfig::DEFAULT
};
/// Top-p 0.9 alone, as llama2.c samples.
const TOP_P: SamplerConfig = SamplerConfig {
    temperature: 1.0,
    min_p: 0.0,
    top_k: 0,
    top_p: 0.9,
    ..SamplerConfig::DEFAULT
};
/// The two inputs: title, then `model_logits`' sigma, head and lift.
const INPUTS: [(&str, f32, usize, f32); 2] = [
    (
        "model-like logits, model_logits(n, 2.5, 128, 22.0, n)",
        2.5,
        128,
        22.0,
    ),
    ("flat logits, model_logits(n, 0.3, 0, 0.0, n)", 0.3, 0, 0.0),
];

/// With `--features profile` (profile.sh): one call of each column's function
/// on one input (`PROBE_PROFILE_INPUT`, `model-like` or `flat`, and
/// `PROBE_PROFILE_VOCAB`, at build time; flat 1024 by default), each preceded
/// by its marker and followed by `profile_idle`, so that an instruction trace
/// can be cut into the five calls.
fn profile(
    chain: &mut Sampler<CAP>,
    top_p: &mut Sampler<CAP>,
    full: &mut Sampler<CAP>,
    probindex: &mut [ProbIndex],
    src: &mut [f32],
    work: &mut [f32],
) -> Result<(), SampleError> {
    let input = option_env!("PROBE_PROFILE_INPUT").unwrap_or("flat");
    let n = option_env!("PROBE_PROFILE_VOCAB")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024usize)
        .min(MAX_VOCAB);
    let (title, sigma, head, lift) = if input == "flat" {
        INPUTS[1]
    } else {
        INPUTS[0]
    };
    println!("profile: vocab {}, {}", n, title);
    let (src, work) = (&mut src[..n], &mut work[..n]);
    model_logits(src, sigma, head, lift, n as u64);
    let mut rng = Pcg32::seed_from_u64(42);
    work.copy_from_slice(src);
    profile_ours_chain();
    ours(chain, work, &mut rng)?;
    profile_idle();
    work.copy_from_slice(src);
    profile_ours_top_p();
    ours(top_p, work, &mut rng)?;
    profile_idle();
    work.copy_from_slice(src);
    profile_llama2c_top_p();
    llama2c::top_p(work, 0.9, probindex, &mut rng);
    profile_idle();
    work.copy_from_slice(src);
    profile_ours_full();
    ours(full, work, &mut rng)?;
    profile_idle();
    work.copy_from_slice(src);
    profile_llama2c_full();
    llama2c::full(work, &mut rng);
    profile_idle();
    Ok(())
}

/// Markers in the instruction trace: profile.sh finds them by their symbols.
/// Each body differs (its comment), so no two are merged into one address.
macro_rules! markers {
    ($($name:ident),*) => {$(
        #[inline(never)]
        #[unsafe(no_mangle)]
        extern "C" fn $name() {
            // SAFETY: an empty asm block (a comment): it touches nothing.
            unsafe { core::arch::asm!(concat!("/* ", stringify!($name), " */"), options(nomem, nostack)) };
        }
    )*};
}
markers!(
    profile_idle,
    profile_ours_chain,
    profile_ours_top_p,
    profile_llama2c_top_p,
    profile_ours_full,
    profile_llama2c_full
);

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

/// Timer ticks spent in `f`.
#[inline(never)]
fn ticks(f: impl FnOnce()) -> u64 {
    compiler_fence(Ordering::SeqCst);
    let start = mcu::now();
    compiler_fence(Ordering::SeqCst);
    f();
    compiler_fence(Ordering::SeqCst);
    let end = mcu::now();
    compiler_fence(Ordering::SeqCst);
    end.wrapping_sub(start)
}

/// Median of `REPS` values of `f()`.
fn median(mut f: impl FnMut() -> u64) -> u64 {
    let mut v = [0u64; REPS];
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
    copy: u64,
    mut call: impl FnMut(&mut [f32], &mut Pcg32) -> Result<u32, SampleError>,
) -> Result<u64, SampleError> {
    let mut rng = Pcg32::seed_from_u64(42);
    let mut result = Ok(0);
    let t = median(|| {
        let t = ticks(|| {
            work.copy_from_slice(src);
            result = black_box(call(black_box(&mut *work), &mut rng));
        });
        t.saturating_sub(copy)
    });
    result.map(|_| mcu::instructions(t))
}

/// Checks the conversion: blocks of exactly 1000 and 10 000 `nop`s, minus an
/// empty window, must come out as 1000 and 10000 instructions (+-1). Each block
/// is its own function, called like the empty one, so the call cancels out (and
/// no literal pool ends up out of a Cortex-M0's reach behind 20 KB of nops).
fn calibrate() {
    let empty = ticks(nops::<0>);
    let k1 = ticks(nops::<1000>);
    let k10 = ticks(nops::<10000>);
    println!(
        "calibration (QEMU -icount shift=6, {} = {} ticks per 1000 instructions): \
         empty window {} ticks; 1000 nops -> {} instructions, 10000 nops -> {} instructions",
        mcu::TIMER,
        mcu::CLOCK_HZ * 64 / 1_000_000,
        empty,
        mcu::instructions(k1 - empty),
        mcu::instructions(k10 - empty)
    );
}

/// Exactly `N` `nop`s.
#[inline(never)]
fn nops<const N: usize>() {
    // SAFETY: nops touch no memory, register or flag.
    unsafe {
        core::arch::asm!(
            ".rept {n}",
            "nop",
            ".endr",
            n = const N,
            options(nomem, nostack, preserves_flags)
        )
    }
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
struct Grouped(u64);

impl core::fmt::Display for Grouped {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (mut div, mut first) = (1_000_000_000_000_000_000, true);
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
