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
//! A fourth sampler, timed with the others, runs the default chain alone on
//! the logits as the penalties and DRY leave them (rewritten beforehand by
//! the tests' reference, `sampler_tests::reference_rewrite`; it draws the
//! same tokens as the penalties + DRY sampler, checked before timing). It
//! splits the penalties + DRY row into the chain's own work on the
//! distribution they produce (penalising the likely tokens lowers the max,
//! so min-p keeps more candidates for top-k, top-p and the draw) and the
//! cost of the two stages themselves (counting the window, rewriting its
//! tokens, DRY's repeats).
//!
//! `cargo run --release -p simd-bench --example varied_inputs [-- --variants N --backend NAME]`

use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{Backend, Pcg32, Sampler, SamplerConfig, Stage};
use sampler_tests::{Context, reference_rewrite};
use simd_bench::context::{PENALTIES, PENALTIES_DRY, history};
use simd_bench::{CAP, DEFAULT_CHAIN, Input};
use std::time::Instant;

const VOCAB: usize = 128_256;
/// Timed calls per sampler and input.
const CALLS: usize = 3000;

/// Logits and the history the penalty samplers start every call from, and
/// the logits as penalties + DRY rewrite them under that history.
struct Variant {
    logits: Vec<f32>,
    history: Vec<u32>,
    rewritten: Vec<f32>,
}

impl Variant {
    fn new(logits: Vec<f32>) -> Variant {
        let history = history(&logits);
        let ctx = Context {
            history: &history,
            ..Context::default()
        };
        let order = [Stage::Penalties, Stage::Dry];
        let rewritten = reference_rewrite(&logits, &PENALTIES_DRY, &order, &ctx);
        Variant {
            logits,
            history,
            rewritten,
        }
    }
}

/// What a timed sampler runs: a config, on the variant's logits as given
/// or as penalties + DRY rewrote them.
type Run = (SamplerConfig, bool);

fn sampler(cfg: SamplerConfig, b: Backend) -> Sampler<CAP> {
    Sampler::new(cfg)
        .and_then(|s| s.with_backend(b))
        .expect("valid")
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
fn medians(b: Backend, runs: &[Run], inputs: &[Variant]) -> Vec<f64> {
    let mut samplers: Vec<Sampler<CAP>> = runs.iter().map(|(c, _)| sampler(*c, b)).collect();
    let mut rng = Pcg32::seed_from_u64(1);
    let mut buf = vec![0.0f32; VOCAB];
    let mut times = vec![Vec::with_capacity(CALLS); runs.len()];
    for call in 0..CALLS {
        let input = &inputs[call % inputs.len()];
        for turn in 0..runs.len() {
            let i = (call + turn) % runs.len();
            let s = &mut samplers[i];
            s.reset();
            for &t in &input.history {
                s.accept(t);
            }
            buf.copy_from_slice(if runs[i].1 {
                &input.rewritten
            } else {
                &input.logits
            });
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
    let runs: [Run; 4] = [
        (DEFAULT_CHAIN, false),
        (PENALTIES, false),
        (PENALTIES_DRY, false),
        (DEFAULT_CHAIN, true),
    ];
    // The rewritten logits are the ones the penalties + DRY sampler draws
    // from: the chain on them draws its tokens.
    for v in fixed.iter().chain(&varied) {
        for &b in Backend::available() {
            let draw = |cfg: SamplerConfig, logits: &[f32], history: &[u32]| {
                let mut s = sampler(cfg, b);
                for &t in history {
                    s.accept(t);
                }
                let mut rng = Pcg32::seed_from_u64(5);
                let mut buf = logits.to_vec();
                s.sample(&mut buf, &mut rng).expect("valid logits")
            };
            assert_eq!(
                draw(PENALTIES_DRY, &v.logits, &v.history),
                draw(DEFAULT_CHAIN, &v.rewritten, &[]),
                "{b:?}: the rewritten logits are not the ones the sampler draws from"
            );
        }
    }
    println!(
        "Median us of one `sample` call at vocab {VOCAB} ({CALLS} calls each, the four samplers interleaved call by call); ratios to the default chain alone:"
    );
    println!(
        "| backend | input | default chain | + penalties | + penalties + DRY | the chain on the logits penalties + DRY leave |"
    );
    println!("|---|---|---:|---:|---:|---:|");
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
            let m = medians(b, &runs, inputs);
            println!(
                "| {name} | {label} | {:.2} | {:.2} ({:.3}x) | {:.2} ({:.3}x) | {:.2} ({:.3}x) |",
                m[0],
                m[1],
                m[1] / m[0],
                m[2],
                m[2] / m[0],
                m[3],
                m[3] / m[0]
            );
        }
    }
}
