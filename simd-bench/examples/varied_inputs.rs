//! Penalties and DRY over the default chain at vocab 128 256, on the report's
//! fixed input and on inputs that change every call.
//!
//! The report times every call on the same logits and history. That
//! flatters branchy code: the branch predictor learns the outcomes of one
//! input (where the gather's hits fall, how each partition of the small
//! selections goes, the history's hash probes) when it sees that input again
//! and again. A generation's logits change every call. This example times
//! the same three samplers as the report's context rows (the default chain
//! alone, with the penalties, with the penalties and DRY), interleaved call
//! by call, on the report's input and then cycling through `--variants`
//! inputs: the report's logits with the vocabulary shuffled (the same
//! values, so the same amount of work, at other token ids), each with its
//! own history drawn the report's way (64 by default: this VM's AMD EPYC
//! still learns 16 inputs cycled, not 64). The shuffles change more than a
//! real generation does between two calls (its history moves by one token,
//! and likely tokens recur), so a generation's cost lies between the two
//! rows.
//!
//! `cargo run --release -p simd-bench --example varied_inputs [-- --variants N --backend NAME]`

use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{Backend, Pcg32, Sampler, SamplerConfig};
use simd_bench::context::{PENALTIES, PENALTIES_DRY, history};
use simd_bench::{CAP, DEFAULT_CHAIN, Input};
use std::time::Instant;

const VOCAB: usize = 128_256;
/// Timed calls per sampler and input.
const CALLS: usize = 3000;

/// Logits and the history the penalty samplers start every call from.
struct Variant {
    logits: Vec<f32>,
    history: Vec<u32>,
}

impl Variant {
    fn new(logits: Vec<f32>) -> Variant {
        let history = history(&logits);
        Variant { logits, history }
    }
}

/// `logits` with its positions shuffled (Fisher-Yates, SplitMix64 from `seed`).
fn shuffled(logits: &[f32], seed: u64) -> Vec<f32> {
    let mut next = sampler_tests::splitmix(seed);
    let mut xs = logits.to_vec();
    for i in (1..xs.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        xs.swap(i, j);
    }
    xs
}

/// Median microseconds of one `sample` call per config, the configs taking
/// turns call by call (rotating which goes first) and the inputs cycling.
fn medians(b: Backend, cfgs: &[SamplerConfig], inputs: &[Variant]) -> Vec<f64> {
    let mut samplers: Vec<Sampler<CAP>> = cfgs
        .iter()
        .map(|c| {
            Sampler::new(*c)
                .and_then(|s| s.with_backend(b))
                .expect("valid")
        })
        .collect();
    let mut rng = Pcg32::seed_from_u64(1);
    let mut buf = vec![0.0f32; VOCAB];
    let mut times = vec![Vec::with_capacity(CALLS); cfgs.len()];
    for call in 0..CALLS {
        let input = &inputs[call % inputs.len()];
        for turn in 0..cfgs.len() {
            let i = (call + turn) % cfgs.len();
            let s = &mut samplers[i];
            s.reset();
            for &t in &input.history {
                s.accept(t);
            }
            buf.copy_from_slice(&input.logits);
            let start = Instant::now();
            std::hint::black_box(s.sample(&mut buf, &mut rng).expect("valid logits"));
            times[i].push(start.elapsed().as_secs_f64() * 1e6);
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect()
}

fn main() {
    let mut variants = 64usize;
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--variants" => variants = args.next().and_then(|v| v.parse().ok()).unwrap_or(64),
            "--backend" => only = args.next(),
            _ => panic!("usage: varied_inputs [--variants N] [--backend NAME]"),
        }
    }
    let variants = variants.max(1);
    let base = Input::new("model", VOCAB).logits;
    let fixed = [Variant::new(base.clone())];
    let varied: Vec<Variant> = (0..variants as u64)
        .map(|v| Variant::new(shuffled(&base, v + 1)))
        .collect();
    let cfgs = [DEFAULT_CHAIN, PENALTIES, PENALTIES_DRY];
    println!(
        "Median us of one `sample` call at vocab {VOCAB} ({CALLS} calls each, the three samplers interleaved call by call); ratios to the default chain alone:"
    );
    println!("| backend | input | default chain | + penalties | + penalties + DRY |");
    println!("|---|---|---:|---:|---:|");
    for &b in Backend::available() {
        let name = format!("{b:?}").to_lowercase();
        if only.as_ref().is_some_and(|o| *o != name) {
            continue;
        }
        let rows = [
            ("the report's (fixed)".to_string(), &fixed[..]),
            (format!("{variants} shuffles, cycled"), &varied[..]),
        ];
        for (label, inputs) in rows {
            let m = medians(b, &cfgs, inputs);
            println!(
                "| {name} | {label} | {:.2} | {:.2} ({:.3}x) | {:.2} ({:.3}x) |",
                m[0],
                m[1],
                m[1] / m[0],
                m[2],
                m[2] / m[0]
            );
        }
    }
}
