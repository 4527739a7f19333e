//! Writes the Rust API's results as a C header, for the C tests to compare
//! the C API against: `cargo run -p logit-sampler-capi --example expected -- OUT.h`.
//!
//! The logits are made here (Gaussian and model-like vectors, ties, `±inf`),
//! and every expected number is computed by the core's Rust API (`Sampler`
//! with its history, breakers, `sample_with` and `mirostat_mu`, `Pcg32::seed_from_u64`,
//! `softmax_in_place`, `argmax`, `sample_inverse_cdf`), never by the C API. The C tests run the same inputs
//! through the C API and must get the same tokens and the same bits. Large
//! outputs (distributions, softmax) are compared by their FNV-1a hash, which
//! `test_capi.c` computes the same way, so the file stays small enough for
//! the Cortex-M firmware's flash.

use std::fmt::Write as _;

use logit_sampler::rand_core::{Infallible, Rng, SeedableRng, TryRng};
use logit_sampler::{
    Constraints, Mirostat, Pcg32, Sampler, SamplerConfig, Stage, TokenLogprob, argmax,
    fill_gaussian, sample_inverse_cdf, softmax_in_place,
};

/// The C sampler's capacity (`LS_SAMPLER_CAPACITY`; `test_capi.c` checks they
/// agree). The token does not depend on it, but the same value makes this the
/// very computation the C API runs.
const CAPACITY: usize = 1024;
/// The C sampler's history (`LS_HISTORY`; checked likewise).
const HISTORY: usize = 256;
/// The top slice of each `sample_with` case.
const TOP: usize = 6;
/// Successive draws per case, from one generator.
const DRAWS: usize = 8;
/// The uniform variates of the inverse-CDF checks.
const UNIFORMS: [f32; 4] = [0.0, 0.25, 0.5, 0.999];
/// Seeds whose first generator words are checked.
const RNG_SEEDS: [u64; 3] = [0, 42, u64::MAX];

/// FNV-1a (64-bit) over the little-endian bytes of `f32` bit patterns.
fn fnv1a(xs: &[f32]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for x in xs {
        for b in x.to_bits().to_le_bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// A generator that counts the 64-bit words drawn from it (the sampler draws
/// nothing else): one per sample, two with XTC's coin.
struct Counted {
    inner: Pcg32,
    words: usize,
}

impl TryRng for Counted {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        unreachable!("the sampler draws 64-bit words only")
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.words += 1;
        Ok(self.inner.next_u64())
    }

    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Infallible> {
        unreachable!("the sampler draws 64-bit words only")
    }
}

/// The logits vectors, each exercising another path of the sampler.
fn logits_sets() -> Vec<(&'static str, Vec<f32>)> {
    let gaussian = |n, sigma, seed| {
        let mut xs = vec![0.0; n];
        fill_gaussian(&mut xs, 0.0, sigma, &mut Pcg32::seed_from_u64(seed));
        xs
    };
    // A bulk N(0, 2.5) and a Zipf-like head, as a language model's logits.
    let mut model = gaussian(5000, 2.5, 3);
    for (rank, x) in model.iter_mut().step_by(37).take(128).enumerate() {
        *x = 22.0 - 1.2 * ((rank + 1) as f32).ln();
    }
    let mut certain = gaussian(64, 1.0, 4);
    certain[9] = f32::INFINITY;
    certain[50] = f32::INFINITY;
    vec![
        (
            "small, ties at the top, -inf",
            vec![3.5, 3.1, 2.9, 2.0, -0.5, f32::NEG_INFINITY, 1.0, 3.5],
        ),
        ("300 Gaussian N(0, 2)", gaussian(300, 2.0, 1)),
        (
            "3000 flat N(0, 0.3): nuclei beyond the capacity",
            gaussian(3000, 0.3, 2),
        ),
        ("64 with two +inf", certain),
        ("5000 model-like", model),
    ]
}

/// A sampler configuration, its state before the draws (a prompt accepted
/// into the history, DRY's breakers) and a seed.
struct Case {
    logits: usize,
    config: SamplerConfig,
    order: &'static [Stage],
    seed: u64,
    prompt: Vec<u32>,
    breakers: Vec<Vec<u32>>,
}

impl Case {
    fn sampler(&self) -> Sampler<CAPACITY, HISTORY> {
        let breakers: Vec<&[u32]> = self.breakers.iter().map(Vec::as_slice).collect();
        let mut sampler = Sampler::new(self.config)
            .and_then(|s| s.with_order(self.order))
            .and_then(|s| s.with_dry_breakers(&breakers))
            .unwrap();
        for &t in &self.prompt {
            sampler.accept(t);
        }
        sampler
    }
}

/// `sample_with` under constraints, from the state of case `case`.
struct WithCase {
    case: usize,
    bias: Vec<(u32, f32)>,
    mask: Option<Vec<u32>>,
    seed: u64,
}

/// The `n` highest logits' ids of `xs`, best first.
fn best(xs: &[f32], n: usize) -> Vec<u32> {
    let mut ids: Vec<u32> = (0..xs.len() as u32).collect();
    ids.sort_by(|&a, &b| xs[b as usize].total_cmp(&xs[a as usize]).then(a.cmp(&b)));
    ids.truncate(n);
    ids
}

fn cases(sets: &[(&str, Vec<f32>)]) -> Vec<Case> {
    let cfg = |temperature, min_p, top_k, top_p| SamplerConfig {
        temperature,
        min_p,
        top_k,
        top_p,
        ..SamplerConfig::default()
    };
    const DEFAULT: &[Stage] = &Stage::DEFAULT_ORDER;
    const CUSTOM: &[Stage] = &[Stage::TopK, Stage::Temperature, Stage::TopP, Stage::MinP];
    const LLAMA_CPP: &[Stage] = &Stage::LLAMA_CPP_ORDER;
    let (default, custom) = (DEFAULT, CUSTOM);
    let case = |logits, config, order, seed| Case {
        logits,
        config,
        order,
        seed,
        prompt: Vec::new(),
        breakers: Vec::new(),
    };
    // Prompts that repeat the likeliest tokens, so that the penalties and DRY
    // change the draws.
    let [a, b, c, d] = best(&sets[4].1, 4)[..] else {
        unreachable!()
    };
    let model_prompt = vec![a, b, c, a, b, c, a, b, d, a, b];
    let gaussian = best(&sets[1].1, 6);
    let gaussian_prompt = [0, 1, 2, 0, 1, 2, 3, 0, 1, 4, 5, 0, 1]
        .map(|i| gaussian[i])
        .to_vec();
    let context = SamplerConfig {
        repeat_penalty: 1.3,
        frequency_penalty: 0.1,
        presence_penalty: 0.2,
        penalty_last_n: 64,
        dry_multiplier: 0.8,
        dry_penalty_last_n: HISTORY,
        ..cfg(0.8, 0.05, 40, 0.95)
    };
    let strong_dry = SamplerConfig {
        repeat_penalty: 1.5,
        penalty_last_n: 16,
        dry_multiplier: 1.0,
        dry_base: 2.0,
        dry_allowed_length: 1,
        dry_penalty_last_n: 32,
        ..SamplerConfig::default()
    };
    let greedy_repeat = SamplerConfig {
        repeat_penalty: 2.0,
        penalty_last_n: 4,
        ..SamplerConfig::greedy()
    };
    let flat_frequency = SamplerConfig {
        frequency_penalty: 0.05,
        presence_penalty: -0.02,
        penalty_last_n: HISTORY,
        ..cfg(1.0, 0.0, 0, 0.99)
    };
    // The shape stages (typical-p, top-n-sigma, XTC, dynamic temperature,
    // min_keep, mirostat), alone and together.
    let shape = |f: &dyn Fn(&mut SamplerConfig)| {
        let mut c = SamplerConfig::default();
        f(&mut c);
        c
    };
    let typical = shape(&|c| {
        c.temperature = 0.9;
        c.typical_p = 0.9;
        c.min_keep = 2;
    });
    let sigma = shape(&|c| c.top_n_sigma = 1.5);
    let xtc = shape(&|c| {
        c.xtc_probability = 0.5;
        c.xtc_threshold = 0.1;
    });
    let dynatemp = shape(&|c| {
        c.temperature = 0.8;
        c.dynatemp_range = 0.5;
        c.dynatemp_exponent = 1.5;
    });
    let mirostat2 = shape(&|c| {
        c.mirostat = Mirostat::V2 { tau: 5.0, eta: 0.1 };
    });
    let mirostat1 = shape(&|c| {
        c.mirostat = Mirostat::V1 {
            tau: 5.0,
            eta: 0.1,
            m: 100,
        };
    });
    let min_keep = shape(&|c| {
        c.min_p = 0.9;
        c.min_keep = 3;
    });
    let everything = SamplerConfig {
        repeat_penalty: 1.2,
        penalty_last_n: 64,
        dry_multiplier: 0.8,
        top_n_sigma: 3.0,
        typical_p: 0.95,
        xtc_probability: 0.7,
        xtc_threshold: 0.05,
        dynatemp_range: 0.3,
        min_keep: 1,
        ..SamplerConfig::llama_cpp()
    };
    let with_state = |mut c: Case, prompt: &[u32], breakers: &[&[u32]]| {
        c.prompt = prompt.to_vec();
        c.breakers = breakers.iter().map(|b| b.to_vec()).collect();
        c
    };
    vec![
        case(1, SamplerConfig::default(), default, 1),
        case(1, cfg(0.8, 0.05, 40, 0.95), default, 2),
        case(4, cfg(0.8, 0.05, 40, 0.95), default, 3),
        case(0, SamplerConfig::greedy(), default, 4),
        case(0, cfg(f32::INFINITY, 0.0, 0, 1.0), default, 5),
        case(2, cfg(1.0, 0.0, 0, 0.99), default, 6),
        case(2, cfg(1.3, 0.0, 2000, 1.0), default, 7),
        case(4, cfg(0.7, 0.02, 50, 0.9), custom, 8),
        case(3, cfg(0.5, 0.0, 0, 1.0), default, 9),
        case(4, cfg(1.0, 0.1, 0, 1.0), default, 10),
        case(1, cfg(0.01, 0.0, 0, 1.0), default, 11),
        case(2, cfg(1.0, 0.0, 100, 0.5), custom, 12),
        with_state(case(4, context, default, 13), &model_prompt, &[]),
        with_state(
            case(1, strong_dry, LLAMA_CPP, 14),
            &gaussian_prompt,
            &[&[gaussian[3]], &[gaussian[4], gaussian[5]]],
        ),
        with_state(
            case(
                1,
                greedy_repeat,
                &[Stage::Penalties, Stage::Temperature],
                15,
            ),
            &gaussian[..1],
            &[],
        ),
        with_state(
            case(2, flat_frequency, default, 16),
            &(0..200).map(|i| i * 7 % 3000).collect::<Vec<u32>>(),
            &[],
        ),
        // 16: llama.cpp's default sampler.
        case(4, SamplerConfig::llama_cpp(), LLAMA_CPP, 17),
        case(1, typical, default, 18),
        case(4, sigma, default, 19),
        case(2, sigma, default, 20),
        // 20, 21: XTC, two words per sample.
        case(4, xtc, default, 21),
        case(0, xtc, LLAMA_CPP, 22),
        case(1, dynatemp, default, 23),
        // 23, 24: mirostat, whose mu the C side checks too.
        case(4, mirostat2, default, 24),
        case(4, mirostat1, default, 25),
        case(0, min_keep, default, 26),
        // 26: every stage at once, with a history.
        with_state(case(4, everything, LLAMA_CPP, 27), &model_prompt, &[]),
    ]
}

/// The `sample_with` cases: logit bias (bans, boosts), masks, the top slice.
fn with_cases(sets: &[(&str, Vec<f32>)]) -> Vec<WithCase> {
    let every_third = |n: usize| {
        let mut mask = vec![0u32; n.div_ceil(32)];
        for t in (0..n).step_by(3) {
            mask[t / 32] |= 1 << (t % 32);
        }
        mask
    };
    let only = |n: usize, token: usize| {
        let mut mask = vec![0u32; n.div_ceil(32)];
        mask[token / 32] |= 1 << (token % 32);
        mask
    };
    let top_gaussian = best(&sets[1].1, 1)[0];
    let top_model = best(&sets[4].1, 2);
    vec![
        WithCase {
            case: 1,
            bias: vec![
                (top_gaussian, f32::NEG_INFINITY),
                (5, 2.0),
                (17, 1.5),
                (5, -0.25),
            ],
            mask: None,
            seed: 31,
        },
        WithCase {
            case: 12,
            bias: vec![(top_model[0], f32::NEG_INFINITY), (top_model[1], -3.0)],
            mask: Some(every_third(sets[4].1.len())),
            seed: 32,
        },
        WithCase {
            case: 3,
            bias: Vec::new(),
            mask: Some(only(sets[0].1.len(), 6)),
            seed: 33,
        },
        WithCase {
            case: 5,
            bias: vec![(2999, 4.0), (0, f32::NEG_INFINITY)],
            mask: Some(vec![0xf0f0_f0f0; sets[2].1.len().div_ceil(32)]),
            seed: 34,
        },
        WithCase {
            case: 13,
            bias: Vec::new(),
            mask: None,
            seed: 35,
        },
        // XTC (two words per sample) and mirostat under constraints.
        WithCase {
            case: 20,
            bias: vec![(top_model[1], 2.0)],
            mask: None,
            seed: 36,
        },
        WithCase {
            case: 23,
            bias: vec![(top_model[0], f32::NEG_INFINITY)],
            mask: Some(every_third(sets[4].1.len())),
            seed: 37,
        },
        WithCase {
            case: 26,
            bias: vec![(top_model[0], -1.0)],
            mask: None,
            seed: 38,
        },
    ]
}

/// A C array of `values` named `name` (`NULL` where C would need an empty
/// array), returning the expression that refers to it.
fn c_array<T: std::fmt::Display>(w: &mut String, ty: &str, name: &str, values: &[T]) -> String {
    if values.is_empty() {
        return "NULL".to_string();
    }
    let list: Vec<String> = values.iter().map(|v| format!("{v}u")).collect();
    writeln!(
        w,
        "static const {ty} {name}[{}] = {{ {} }};",
        values.len(),
        list.join(", ")
    )
    .unwrap();
    name.to_string()
}

fn stage_name(s: Stage) -> &'static str {
    match s {
        Stage::Temperature => "LS_STAGE_TEMPERATURE",
        Stage::MinP => "LS_STAGE_MIN_P",
        Stage::TopK => "LS_STAGE_TOP_K",
        Stage::TopP => "LS_STAGE_TOP_P",
        Stage::Penalties => "LS_STAGE_PENALTIES",
        Stage::Dry => "LS_STAGE_DRY",
        Stage::TopNSigma => "LS_STAGE_TOP_N_SIGMA",
        Stage::Typical => "LS_STAGE_TYPICAL",
        Stage::Xtc => "LS_STAGE_XTC",
    }
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: expected OUT.h (the C header to write)");
    let mut h = String::new();
    let w = &mut h;
    writeln!(
        w,
        "/* Generated by `cargo run -p logit-sampler-capi --example expected`:\n \
         * the Rust API's results, for test_capi.c and the firmware. Do not edit. */"
    )
    .unwrap();
    writeln!(w, "#ifndef EXPECTED_H\n#define EXPECTED_H\n").unwrap();
    writeln!(w, "#include <stddef.h>\n#include <stdint.h>\n").unwrap();
    writeln!(w, "#define EXPECTED_CAPACITY {CAPACITY}").unwrap();
    writeln!(w, "#define EXPECTED_HISTORY {HISTORY}").unwrap();
    writeln!(w, "#define EXPECTED_TOP {TOP}").unwrap();
    writeln!(w, "#define EXPECTED_DRAWS {DRAWS}").unwrap();
    writeln!(w, "#define EXPECTED_UNIFORMS {}\n", UNIFORMS.len()).unwrap();

    // Each logits vector as f32 bit patterns (exact, and valid C89 too).
    let sets = logits_sets();
    for (i, (about, xs)) in sets.iter().enumerate() {
        writeln!(w, "/* {about} */").unwrap();
        write!(
            w,
            "static const uint32_t expected_logits_{i}[{}] = {{",
            xs.len()
        )
        .unwrap();
        for (j, x) in xs.iter().enumerate() {
            let sep = if j % 8 == 0 { "\n  " } else { " " };
            write!(w, "{sep}0x{:08x}u,", x.to_bits()).unwrap();
        }
        writeln!(w, "\n}};\n").unwrap();
    }

    // Per vector: argmax, softmax hashes, inverse-CDF tokens over softmax(T=1).
    writeln!(
        w,
        "typedef struct expected_logits {{\n  \
         const uint32_t *bits;\n  size_t len;\n  uint32_t argmax;\n  \
         uint64_t softmax_hash;      /* softmax at T = 1 */\n  \
         uint64_t softmax_cool_hash; /* softmax at T = 0.7 */\n  \
         uint32_t inverse_cdf[EXPECTED_UNIFORMS]; /* over softmax at T = 1 */\n\
         }} expected_logits;\n"
    )
    .unwrap();
    write!(
        w,
        "static const float expected_uniforms[EXPECTED_UNIFORMS] = {{"
    )
    .unwrap();
    for u in UNIFORMS {
        write!(w, " {u:?}f,").unwrap();
    }
    writeln!(w, " }};\n").unwrap();
    writeln!(w, "static const expected_logits EXPECTED_LOGITS[] = {{").unwrap();
    for (i, (_, xs)) in sets.iter().enumerate() {
        let arg = argmax(xs).unwrap();
        let mut probs = xs.clone();
        softmax_in_place(&mut probs, 1.0).unwrap();
        let mut cool = xs.clone();
        softmax_in_place(&mut cool, 0.7).unwrap();
        let draws: Vec<String> = UNIFORMS
            .iter()
            .map(|&u| sample_inverse_cdf(&probs, u).unwrap().to_string())
            .collect();
        writeln!(
            w,
            "  {{ expected_logits_{i}, {}, {arg}, 0x{:016x}u, 0x{:016x}u, {{ {} }} }},",
            xs.len(),
            fnv1a(&probs),
            fnv1a(&cool),
            draws.join(", ")
        )
        .unwrap();
    }
    writeln!(w, "}};\n").unwrap();

    // Per case: the state before the draws (prompt, breakers; their arrays
    // first), the tokens of DRAWS successive samples from one generator (each
    // on a fresh copy of the logits, each recorded in the history), and the
    // hash of the distribution after them.
    writeln!(
        w,
        "typedef struct expected_case {{\n  \
         size_t logits; /* index into EXPECTED_LOGITS */\n  \
         /* the ls_config fields; floats as f32 bit patterns */\n  \
         uint32_t temperature, min_p;\n  size_t top_k;\n  uint32_t top_p;\n  \
         uint32_t repeat_penalty, frequency_penalty, presence_penalty;\n  \
         size_t penalty_last_n;\n  uint32_t dry_multiplier, dry_base;\n  \
         size_t dry_allowed_length, dry_penalty_last_n;\n  \
         uint32_t typical_p, top_n_sigma, xtc_probability, xtc_threshold;\n  \
         uint32_t dynatemp_range, dynatemp_exponent;\n  size_t min_keep;\n  \
         uint32_t mirostat; /* 0 off, 1, 2 */\n  uint32_t mirostat_tau, mirostat_eta;\n  \
         size_t mirostat_m;\n  \
         uint32_t order[{}];\n  size_t order_len;\n  uint64_t seed;\n  \
         const uint32_t *prompt; /* accepted before the draws */\n  size_t prompt_len;\n  \
         const uint32_t *breaker_tokens; /* DRY's breakers, flat */\n  \
         const size_t *breaker_lens;\n  size_t breakers;\n  \
         uint32_t tokens[EXPECTED_DRAWS];\n  \
         unsigned words; /* generator words per sample: 2 with XTC's coin */\n  \
         uint32_t mirostat_mu; /* ls_sampler_mirostat_mu after the draws (f32 bits) */\n  \
         uint64_t distribution_hash; /* after the draws */\n\
         }} expected_case;\n",
        Stage::COUNT
    )
    .unwrap();
    let cases = cases(&sets);
    let mut rows = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let xs = &sets[c.logits].1;
        let mut sampler = c.sampler();
        let mut rng = Counted {
            inner: Pcg32::seed_from_u64(c.seed),
            words: 0,
        };
        let tokens: Vec<String> = (0..DRAWS)
            .map(|_| {
                let token = sampler.sample(&mut xs.clone(), &mut rng).unwrap();
                token.to_string()
            })
            .collect();
        assert_eq!(rng.words % DRAWS, 0, "case {i}: the same words per sample");
        let words = rng.words / DRAWS;
        let mu = sampler.mirostat_mu();
        let mut dist = xs.clone();
        sampler.distribution_in_place(&mut dist).unwrap();
        let prompt = c_array(w, "uint32_t", &format!("expected_prompt_{i}"), &c.prompt);
        let flat: Vec<u32> = c.breakers.concat();
        let lens: Vec<usize> = c.breakers.iter().map(Vec::len).collect();
        let breaker_tokens = c_array(w, "uint32_t", &format!("expected_breakers_{i}"), &flat);
        let breaker_lens = c_array(w, "size_t", &format!("expected_breaker_lens_{i}"), &lens);
        let mut order: Vec<&str> = c.order.iter().map(|&s| stage_name(s)).collect();
        order.resize(Stage::COUNT, "LS_STAGE_COUNT");
        let cfg = c.config;
        let bits = |x: f32| format!("0x{:08x}u", x.to_bits());
        // Mirostat's parameters as `ls_config` holds them (`ls_config_default`'s
        // values when a version does not use them).
        let (version, tau, eta, m) = match cfg.mirostat {
            Mirostat::Off => (0, 5.0, 0.1, 100),
            Mirostat::V1 { tau, eta, m } => (1, tau, eta, m),
            Mirostat::V2 { tau, eta } => (2, tau, eta, 100),
        };
        rows.push(format!(
            "  {{ {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, \
             {}, {}, {}, {}, {}, {}, {}, {}u, {}, {}, {}, \
             {{ {} }}, {}, {}u, {}, {}, {}, {}, {}, \
             {{ {} }}, {}u, {}, 0x{:016x}u }},",
            c.logits,
            bits(cfg.temperature),
            bits(cfg.min_p),
            cfg.top_k,
            bits(cfg.top_p),
            bits(cfg.repeat_penalty),
            bits(cfg.frequency_penalty),
            bits(cfg.presence_penalty),
            cfg.penalty_last_n,
            bits(cfg.dry_multiplier),
            bits(cfg.dry_base),
            cfg.dry_allowed_length,
            cfg.dry_penalty_last_n,
            bits(cfg.typical_p),
            bits(cfg.top_n_sigma),
            bits(cfg.xtc_probability),
            bits(cfg.xtc_threshold),
            bits(cfg.dynatemp_range),
            bits(cfg.dynatemp_exponent),
            cfg.min_keep,
            version,
            bits(tau),
            bits(eta),
            m,
            order.join(", "),
            c.order.len(),
            c.seed,
            prompt,
            c.prompt.len(),
            breaker_tokens,
            breaker_lens,
            c.breakers.len(),
            tokens.join(", "),
            words,
            bits(mu),
            fnv1a(&dist)
        ));
    }
    writeln!(w, "\nstatic const expected_case EXPECTED_CASES[] = {{").unwrap();
    for row in rows {
        writeln!(w, "{row}").unwrap();
    }
    writeln!(w, "}};\n").unwrap();

    // Per `sample_with` case: its constraints (arrays first), and for DRAWS
    // successive draws from the state of its case the token, its model and
    // sampling logprobs (f32 bit patterns), and the top slice (the same for
    // every draw: the model distribution of the logits as passed).
    writeln!(
        w,
        "typedef struct expected_with {{\n  \
         size_t case_index; /* the config and state of EXPECTED_CASES[case_index] */\n  \
         const uint32_t *bias_tokens;\n  const uint32_t *bias_values; /* f32 bit patterns */\n  \
         size_t bias_len;\n  const uint32_t *mask; /* NULL: no mask */\n  size_t mask_words;\n  \
         uint64_t seed;\n  uint32_t tokens[EXPECTED_DRAWS];\n  \
         uint32_t logprobs[EXPECTED_DRAWS];\n  uint32_t sampling_logprobs[EXPECTED_DRAWS];\n  \
         uint32_t top_tokens[EXPECTED_TOP];\n  uint32_t top_logprobs[EXPECTED_TOP];\n\
         }} expected_with;\n"
    )
    .unwrap();
    let mut rows = Vec::new();
    for (i, c) in with_cases(&sets).iter().enumerate() {
        let case = &cases[c.case];
        let xs = &sets[case.logits].1;
        let mut sampler = case.sampler();
        let mut rng = Pcg32::seed_from_u64(c.seed);
        let constraints = Constraints {
            logit_bias: &c.bias,
            allowed: c.mask.as_deref(),
        };
        let mut top = [TokenLogprob::default(); TOP];
        let draws: Vec<_> = (0..DRAWS)
            .map(|_| {
                sampler
                    .sample_with(&mut xs.clone(), &mut rng, &constraints, &mut top)
                    .unwrap()
            })
            .collect();
        let list =
            |f: &dyn Fn(usize) -> String, n: usize| (0..n).map(f).collect::<Vec<_>>().join(", ");
        let bits = |x: f32| format!("0x{:08x}u", x.to_bits());
        let tokens: Vec<u32> = c.bias.iter().map(|b| b.0).collect();
        let values: Vec<String> = c
            .bias
            .iter()
            .map(|b| format!("0x{:08x}", b.1.to_bits()))
            .collect();
        let bias_tokens = c_array(w, "uint32_t", &format!("expected_bias_tokens_{i}"), &tokens);
        let bias_values = c_array(w, "uint32_t", &format!("expected_bias_values_{i}"), &values);
        let mask = match &c.mask {
            Some(m) => c_array(w, "uint32_t", &format!("expected_mask_{i}"), m),
            None => "NULL".to_string(),
        };
        rows.push(format!(
            "  {{ {}, {}, {}, {}, {}, {}, {}u, {{ {} }}, {{ {} }}, {{ {} }}, {{ {} }}, {{ {} }} }},",
            c.case,
            bias_tokens,
            bias_values,
            c.bias.len(),
            mask,
            c.mask.as_ref().map_or(0, Vec::len),
            c.seed,
            list(&|d| draws[d].token.to_string(), DRAWS),
            list(&|d| bits(draws[d].logprob), DRAWS),
            list(&|d| bits(draws[d].sampling_logprob), DRAWS),
            list(&|j| top[j].token.to_string() + "u", TOP),
            list(&|j| bits(top[j].logprob), TOP),
        ));
    }
    writeln!(w, "\nstatic const expected_with EXPECTED_WITH[] = {{").unwrap();
    for row in rows {
        writeln!(w, "{row}").unwrap();
    }
    writeln!(w, "}};\n").unwrap();

    // The generator's first words: `ls_rng_seed` is `Pcg32::seed_from_u64`.
    writeln!(
        w,
        "typedef struct expected_rng {{ uint64_t seed; uint64_t words[4]; }} expected_rng;"
    )
    .unwrap();
    writeln!(w, "static const expected_rng EXPECTED_RNG[] = {{").unwrap();
    for seed in RNG_SEEDS {
        let mut rng = Pcg32::seed_from_u64(seed);
        let words: Vec<String> = (0..4)
            .map(|_| format!("0x{:016x}u", rng.next_u64()))
            .collect();
        writeln!(w, "  {{ 0x{seed:016x}u, {{ {} }} }},", words.join(", ")).unwrap();
    }
    writeln!(w, "}};\n\n#endif /* EXPECTED_H */").unwrap();

    std::fs::write(&path, h).unwrap_or_else(|e| panic!("writing {path}: {e}"));
}
