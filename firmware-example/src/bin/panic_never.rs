//! The panic-never proof: every public entry point of the core, reached with
//! inputs the optimiser cannot see through (`black_box`), linked with a panic
//! handler that calls an undefined symbol (`panic-never`). The release build
//! links only if no panic is reachable from any of them; under QEMU it then
//! runs and exits 0, on every MCU family of the firmware (`--target`). With
//! feature `teeth`, an unchecked index in a scratch
//! function is added, and the link must fail (check.sh asserts it does).

#![no_std]
#![no_main]

use core::hint::black_box;

use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{
    AliasTable, Backend, Constraints, Mirostat, Pcg32, Sampler, SamplerConfig, Stage, TokenLogprob,
    argmax, fill_gaussian, gaussian, sample_inverse_cdf, softmax_in_place,
};
use panic_never as _;

/// For its fault handler: a fault fails the run (status 1) instead of hanging.
#[allow(dead_code)]
#[path = "../mcu.rs"]
mod mcu;

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    semihosting::process::exit(if exercise() { 0 } else { 1 })
}

fn exercise() -> bool {
    let n = black_box(300usize);
    let mut logits = [0.0f32; 300];
    let mut rng = Pcg32::seed_from_u64(black_box(7));
    fill_gaussian(&mut logits, 0.0, 2.0, &mut rng);
    let logits = black_box(logits);
    let cfg = black_box(SamplerConfig {
        temperature: 0.8,
        min_p: 0.05,
        top_k: 40,
        top_p: 0.95,
        repeat_penalty: 1.1,
        frequency_penalty: 0.1,
        presence_penalty: 0.1,
        penalty_last_n: 16,
        dry_multiplier: 0.8,
        dry_penalty_last_n: 16,
        ..SamplerConfig::DEFAULT
    });
    let order = black_box([
        Stage::Dry,
        Stage::Penalties,
        Stage::TopK,
        Stage::Temperature,
        Stage::TopP,
        Stage::MinP,
    ]);
    let breakers: [&[u32]; 2] = [black_box(&[3]), black_box(&[4, 5])];
    let history = black_box([1u32, 2, 3, 1, 2, 9, 1, 2]);
    let bias = black_box([(3u32, f32::NEG_INFINITY), (5, 1.5), (7, -2.0)]);
    let mask = black_box([u32::MAX; 10]);
    let constraints = Constraints {
        logit_bias: &bias,
        allowed: Some(&mask),
    };
    let mut ok = true;
    let mut buf = logits;
    let Some(xs) = buf.get_mut(..n) else {
        return false;
    };
    // Scratch path, streaming path, custom order, context stages (history,
    // DRY breakers), constraints and logprobs, greedy, distribution.
    if let Ok(mut s) = Sampler::<64>::new(cfg)
        .and_then(|s| s.with_order(&order))
        .and_then(|s| s.with_dry_breakers(&breakers))
    {
        for t in history {
            s.accept(t);
        }
        ok &= s.sample(xs, &mut rng).is_ok();
        xs.copy_from_slice(logits.get(..n).unwrap_or_default());
        let mut top = [TokenLogprob::default(); 5];
        ok &= s.sample_with(xs, &mut rng, &constraints, &mut top).is_ok();
        ok &= top.iter().all(|t| (t.token as usize) < n);
        s.reset();
        ok &= s.history().is_empty();
    }
    xs.copy_from_slice(logits.get(..n).unwrap_or_default());
    if let Ok(mut s) = Sampler::<1, 8>::new(SamplerConfig {
        penalty_last_n: 8,
        dry_penalty_last_n: 8,
        ..cfg
    })
    .and_then(|s| s.with_backend(Backend::Scalar))
    {
        for t in history {
            s.accept(t);
        }
        ok &= s.sample(xs, &mut rng).is_ok();
        xs.copy_from_slice(logits.get(..n).unwrap_or_default());
        ok &= s.distribution_in_place(xs).is_ok();
        xs.copy_from_slice(logits.get(..n).unwrap_or_default());
        ok &= s.distribution_in_place_with(xs, &constraints).is_ok();
        xs.copy_from_slice(logits.get(..n).unwrap_or_default());
        let mut top = [TokenLogprob::default(); 3];
        ok &= s.sample_with(xs, &mut rng, &constraints, &mut top).is_ok();
    }
    // The shape stages (typical-p, top-n-sigma, XTC, dynamic temperature,
    // min_keep) in llama.cpp's order on both paths, and mirostat v1 and v2.
    let shape = black_box(SamplerConfig {
        typical_p: 0.9,
        top_n_sigma: 1.5,
        xtc_probability: 0.5,
        dynatemp_range: 0.3,
        min_keep: 2,
        penalty_last_n: 8,
        dry_penalty_last_n: 8,
        ..SamplerConfig::llama_cpp()
    });
    let mirostats = black_box([
        Mirostat::V1 {
            tau: 5.0,
            eta: 0.1,
            m: 100,
        },
        Mirostat::V2 { tau: 5.0, eta: 0.1 },
    ]);
    for m in [Mirostat::Off, mirostats[0], mirostats[1]] {
        let cfg = SamplerConfig {
            mirostat: m,
            ..shape
        };
        // One sampler at a time: the Cortex-M0 has 16 KiB of RAM.
        match Sampler::<32, 8>::new(cfg).and_then(|s| s.with_order(&Stage::LLAMA_CPP_ORDER)) {
            Ok(mut s) => {
                xs.copy_from_slice(logits.get(..n).unwrap_or_default());
                ok &= s.sample(xs, &mut rng).is_ok();
                ok &= (m == Mirostat::Off) == (s.mirostat_mu() == 0.0);
            }
            Err(_) => ok = false,
        }
        match Sampler::<1, 8>::new(cfg) {
            Ok(mut s) => {
                xs.copy_from_slice(logits.get(..n).unwrap_or_default());
                ok &= s.sample(xs, &mut rng).is_ok();
                xs.copy_from_slice(logits.get(..n).unwrap_or_default());
                ok &= s.distribution_in_place(xs).is_ok();
            }
            Err(_) => ok = false,
        }
    }
    xs.copy_from_slice(logits.get(..n).unwrap_or_default());
    if let Ok(mut s) = Sampler::<8>::new(black_box(SamplerConfig::greedy())) {
        ok &= s.sample(xs, &mut rng).is_ok();
    }
    ok &= argmax(xs).is_ok();
    ok &= softmax_in_place(xs, black_box(1.3)).is_ok();
    ok &= sample_inverse_cdf(xs, black_box(0.5)).is_ok();
    if let Ok(table) = AliasTable::<300>::new(xs) {
        ok &= (table.sample(&mut rng) as usize) < n;
    }
    ok &= gaussian(&mut rng, 0.0, 1.0).is_finite();
    #[cfg(feature = "teeth")]
    {
        ok &= scratch_with_an_unchecked_index(black_box(3)) == 0.0;
    }
    ok
}

/// The planted bug: `xs[i]` with an index the compiler cannot bound.
#[cfg(feature = "teeth")]
#[inline(never)]
fn scratch_with_an_unchecked_index(i: usize) -> f32 {
    let scratch = black_box([0.0f32; 8]);
    scratch[i]
}
