//! Benchmarks of `logit-sampler`: every stage on every backend this CPU runs,
//! beside the peers, on the same logits, in one process.
//!
//! [`cases`] lists what is measured for one input; the report binary
//! (`src/main.rs`) and the criterion benches (`benches/stages.rs`) both run it.
//! Buffers that a case destroys are restored by a copy *outside* the timed
//! region (the report copies a batch of buffers, then times the batch;
//! criterion uses `iter_batched_ref`). A case with a `setup` (state besides
//! the buffer, e.g. a sampler's history) runs it before every call, also
//! outside the timing, and is timed one call at a time. A case with a
//! `baseline` is timed interleaved with it ([`time_pair`]), for ratios that
//! both sides of which come from the same run.

pub mod context;
pub mod peers;
pub mod shape;

use std::sync::{Mutex, PoisonError};

use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{
    AliasTable, Backend, Pcg32, Sampler, SamplerConfig, sample_inverse_cdf_with,
    softmax_in_place_with,
};
use peers::Params;

/// Vocabulary sizes of common models: tiny, Llama 2, Llama 3, Qwen 2, Gemma.
pub const VOCABS: [usize; 5] = [512, 32_000, 128_256, 151_936, 262_144];

/// Capacity of the samplers measured (32 KiB of scratch).
pub const CAP: usize = 4096;

/// One input: logits and their softmax (for the draw-only stages).
pub struct Input {
    pub name: &'static str,
    pub logits: Vec<f32>,
    pub probs: Vec<f32>,
}

impl Input {
    /// "model": bulk N(0, 2.5) plus a Zipf-like head of 128 tokens at
    /// `22 - 1.2 ln r` (rank r), so top-p 0.95 keeps tens of tokens;
    /// "flat": N(0, 0.3), a nucleus far beyond any capacity;
    /// "peaked": the model input with one token raised by 20.
    pub fn new(name: &'static str, n: usize) -> Input {
        let mut logits = match name {
            "flat" => sampler_tests::model_logits(n, 0.3, 0, 0.0, n as u64),
            _ => sampler_tests::model_logits(n, 2.5, 128, 22.0, n as u64),
        };
        if name == "peaked" {
            logits[n / 3] += 20.0;
        }
        let mut probs = logits.clone();
        softmax_in_place_with(Backend::Scalar, &mut probs, 1.0).expect("valid logits");
        Input {
            name,
            logits,
            probs,
        }
    }
}

/// Who runs a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// A reference pass over the buffer (read, copy).
    Floor,
    /// This library on one backend.
    Ours(Backend),
    /// This library, backend-independent code (alias table).
    OursScalarOnly,
    /// Another implementation.
    Peer,
}

/// What a case runs on a (restored) buffer of logits.
pub type Run = Box<dyn FnMut(&mut [f32])>;

/// One measured operation on a buffer of logits.
pub struct Case {
    pub stage: String,
    pub imp: String,
    pub who: Who,
    /// Operations one run performs (times are reported per operation).
    pub ops: usize,
    pub run: Run,
    /// Restores state besides the buffer before every run, outside the timing.
    pub setup: Option<Box<dyn FnMut()>>,
    /// The same call without the stage measured, timed interleaved with this
    /// case; its `stage` names it.
    pub baseline: Option<Box<Case>>,
    /// Floats past a 64-byte boundary where the case's buffers start (0 for
    /// every row but the alignment one; see [`Buf`]).
    pub misalign: usize,
}

/// A case without setup or baseline, one operation per run.
pub(crate) fn case(
    stage: &str,
    imp: &str,
    who: Who,
    run: impl FnMut(&mut [f32]) + 'static,
) -> Case {
    Case {
        stage: stage.into(),
        imp: imp.into(),
        who,
        ops: 1,
        run: Box::new(run),
        setup: None,
        baseline: None,
        misalign: 0,
    }
}

/// `case`, timed interleaved with `baseline` (the same call without the stage).
pub(crate) fn paired(mut case: Case, baseline: Case) -> Case {
    case.baseline = Some(Box::new(baseline));
    case
}

// One alias table per vocabulary size, in statics: const-constructed, all
// zeros (so in `.bss`, never on the stack), rebuilt in place for each round, as
// firmware would keep one. Sized for the vocabulary, so a build does not pay
// for a larger table.
static ALIAS_512: Mutex<AliasTable<512>> = Mutex::new(AliasTable::empty());
static ALIAS_32000: Mutex<AliasTable<32_000>> = Mutex::new(AliasTable::empty());
static ALIAS_128256: Mutex<AliasTable<128_256>> = Mutex::new(AliasTable::empty());
static ALIAS_151936: Mutex<AliasTable<151_936>> = Mutex::new(AliasTable::empty());
static ALIAS_262144: Mutex<AliasTable<262_144>> = Mutex::new(AliasTable::empty());

/// Rebuilds the alias table of the vocabulary's size for `probs`, then draws
/// from it `draws` times.
fn alias_rounds(probs: &[f32], draws: usize, rng: &mut Pcg32) {
    fn rounds<const N: usize>(
        table: &Mutex<AliasTable<N>>,
        probs: &[f32],
        draws: usize,
        rng: &mut Pcg32,
    ) {
        let mut table = table.lock().unwrap_or_else(PoisonError::into_inner);
        table.rebuild(probs).expect("valid probs");
        for _ in 0..draws {
            std::hint::black_box(table.sample(rng));
        }
    }
    match probs.len() {
        0..=512 => rounds(&ALIAS_512, probs, draws, rng),
        513..=32_000 => rounds(&ALIAS_32000, probs, draws, rng),
        32_001..=128_256 => rounds(&ALIAS_128256, probs, draws, rng),
        128_257..=151_936 => rounds(&ALIAS_151936, probs, draws, rng),
        _ => rounds(&ALIAS_262144, probs, draws, rng),
    }
}

fn sampler(cfg: SamplerConfig, b: Backend) -> Box<Sampler<CAP>> {
    Box::new(
        Sampler::new(cfg)
            .and_then(|s| s.with_backend(b))
            .expect("valid config and backend"),
    )
}

/// `sample` with `cfg` on backend `b`, a fresh seeded generator per case.
fn ours(stage: &str, cfg: SamplerConfig, b: Backend) -> Case {
    let mut s = sampler(cfg, b);
    let mut rng = Pcg32::seed_from_u64(1);
    case(stage, b.name(), Who::Ours(b), move |xs| {
        std::hint::black_box(s.sample(xs, &mut rng).expect("valid logits"));
    })
}

/// The filter stages measured as whole `sample` calls (scan, filter, draw).
pub const FILTERS: [(&str, SamplerConfig); 9] = [
    (
        "min-p 0.05",
        SamplerConfig {
            temperature: 1.0,
            min_p: 0.05,
            top_k: 0,
            top_p: 1.0,
            ..SamplerConfig::DEFAULT
        },
    ),
    (
        "top-k 40",
        SamplerConfig {
            temperature: 1.0,
            min_p: 0.0,
            top_k: 40,
            top_p: 1.0,
            ..SamplerConfig::DEFAULT
        },
    ),
    (
        "top-k 1000",
        SamplerConfig {
            temperature: 1.0,
            min_p: 0.0,
            top_k: 1000,
            top_p: 1.0,
            ..SamplerConfig::DEFAULT
        },
    ),
    (
        "top-p 0.9",
        SamplerConfig {
            temperature: 1.0,
            min_p: 0.0,
            top_k: 0,
            top_p: 0.9,
            ..SamplerConfig::DEFAULT
        },
    ),
    (
        "top-p 0.99",
        SamplerConfig {
            temperature: 1.0,
            min_p: 0.0,
            top_k: 0,
            top_p: 0.99,
            ..SamplerConfig::DEFAULT
        },
    ),
    (
        "top-k 40 + top-p 0.9",
        SamplerConfig {
            temperature: 1.0,
            min_p: 0.0,
            top_k: 40,
            top_p: 0.9,
            ..SamplerConfig::DEFAULT
        },
    ),
    (
        "top-k 40 + top-p 0.99",
        SamplerConfig {
            temperature: 1.0,
            min_p: 0.0,
            top_k: 40,
            top_p: 0.99,
            ..SamplerConfig::DEFAULT
        },
    ),
    (
        "min-p 0.05 + top-p 0.95",
        SamplerConfig {
            temperature: 1.0,
            min_p: 0.05,
            top_k: 0,
            top_p: 0.95,
            ..SamplerConfig::DEFAULT
        },
    ),
    ("default chain", DEFAULT_CHAIN),
];

/// T 0.8, min-p 0.05, top-k 40, top-p 0.95.
pub const DEFAULT_CHAIN: SamplerConfig = SamplerConfig {
    temperature: 0.8,
    min_p: 0.05,
    top_k: 40,
    top_p: 0.95,
    ..SamplerConfig::DEFAULT
};

/// The peers' form of a configuration.
pub fn params(c: SamplerConfig) -> Params {
    Params {
        temperature: c.temperature,
        min_p: c.min_p,
        top_k: c.top_k,
        top_p: c.top_p,
    }
}

/// Every case for `input` on `backends`.
pub fn cases(input: &Input, backends: &[Backend]) -> Vec<Case> {
    let mut v = Vec::new();
    let n = input.logits.len();
    let tag = |s: &str| {
        if input.name == "model" {
            s.to_string()
        } else {
            format!("{s} [{}]", input.name)
        }
    };
    if input.name == "model" {
        v.push(case("read floor (sum)", "floor", Who::Floor, |xs| {
            let mut acc = [0.0f32; 16];
            for c in xs.chunks_exact(16) {
                for (a, x) in acc.iter_mut().zip(c) {
                    *a += x;
                }
            }
            std::hint::black_box(acc);
        }));
        let mut dst = vec![0.0f32; n];
        v.push(case("memcpy floor", "floor", Who::Floor, move |xs| {
            dst.copy_from_slice(xs);
            std::hint::black_box(&dst);
        }));
        for &b in backends {
            let k = b.kernels().expect("available");
            v.push(case("max/NaN scan", b.name(), Who::Ours(b), move |xs| {
                std::hint::black_box(k.max_nan(xs));
            }));
        }
        for &b in backends {
            v.push(case(
                "softmax_in_place",
                b.name(),
                Who::Ours(b),
                move |xs| {
                    softmax_in_place_with(b, xs, 1.0).expect("valid logits");
                },
            ));
        }
        v.push(case(
            "softmax_in_place",
            "peer: scalar exp loop",
            Who::Peer,
            |xs| peers::softmax(xs, 1.0),
        ));
        for (stage, cfg) in FILTERS {
            for &b in backends {
                v.push(ours(stage, cfg, b));
            }
            if stage.starts_with("top-p") {
                let p = cfg.top_p;
                let mut rng = peers::rng();
                v.push(case(stage, "peer: llama2.c top-p", Who::Peer, move |xs| {
                    std::hint::black_box(peers::llama2c_top_p(xs, 1.0, p, &mut rng));
                }));
            }
            if stage == "default chain" {
                let mut chain = peers::LlmSamplersChain::new(params(cfg));
                v.push(case(stage, "peer: llm-samplers", Who::Peer, move |xs| {
                    std::hint::black_box(chain.sample(xs));
                }));
                #[cfg(feature = "candle")]
                {
                    let mut candle = peers::CandleProcessor::new(params(cfg));
                    v.push(case(
                        stage,
                        "peer: candle LogitsProcessor (no min-p)",
                        Who::Peer,
                        move |xs| {
                            std::hint::black_box(candle.sample(xs));
                        },
                    ));
                }
            }
            let mut rng = peers::rng();
            v.push(case(stage, "peer: full sort", Who::Peer, move |xs| {
                std::hint::black_box(peers::full_sort_chain(xs, params(cfg), &mut rng));
            }));
        }
        for &b in backends {
            let probs = input.probs.clone();
            let mut rng = Pcg32::seed_from_u64(2);
            v.push(case(
                "inverse-CDF draw (probs given)",
                b.name(),
                Who::Ours(b),
                move |_| {
                    let u = (logit_sampler::rand_core::Rng::next_u32(&mut rng) >> 8) as f32
                        / (1 << 24) as f32;
                    std::hint::black_box(
                        sample_inverse_cdf_with(b, &probs, u).expect("valid probs"),
                    );
                },
            ));
        }
        for draws in [1usize, 10, 100, 1000] {
            let probs = input.probs.clone();
            let mut rng = Pcg32::seed_from_u64(3);
            let stage = format!("alias build + {draws} draws, per draw");
            let mut c = case(&stage, "alias", Who::OursScalarOnly, move |_| {
                alias_rounds(&probs, draws, &mut rng)
            });
            c.ops = draws;
            v.push(c);
        }
    }
    let full = SamplerConfig::default();
    for (stage, cfg) in [
        ("default chain", DEFAULT_CHAIN),
        ("full-vocab draw (T 1)", full),
        ("top-p 0.9", FILTERS[3].1),
        ("top-p 0.99", FILTERS[4].1),
    ] {
        if input.name == "model" && stage != "full-vocab draw (T 1)" {
            continue; // measured above
        }
        for &b in backends {
            v.push(ours(&tag(stage), cfg, b));
        }
        if input.name != "model" && stage.starts_with("top-p") {
            let p = cfg.top_p;
            let mut rng = peers::rng();
            v.push(case(
                &tag(stage),
                "peer: llama2.c top-p",
                Who::Peer,
                move |xs| {
                    std::hint::black_box(peers::llama2c_top_p(xs, 1.0, p, &mut rng));
                },
            ));
        }
    }
    if input.name == "model" {
        let draws: [(&str, peers::Draw); 3] = [
            ("peer: rand WeightedIndex", peers::weighted_index_draw),
            (
                "peer: rand_distr WeightedAliasIndex",
                peers::weighted_alias_draw,
            ),
            ("peer: full sort", |xs, rng| {
                peers::full_sort_chain(xs, params(SamplerConfig::default()), rng)
            }),
        ];
        for (imp, draw) in draws {
            let mut rng = peers::rng();
            v.push(case("full-vocab draw (T 1)", imp, Who::Peer, move |xs| {
                std::hint::black_box(draw(xs, &mut rng));
            }));
        }
        #[cfg(feature = "candle")]
        {
            let mut candle = peers::CandleProcessor::new(params(SamplerConfig::default()));
            v.push(case(
                "full-vocab draw (T 1)",
                "peer: candle LogitsProcessor",
                Who::Peer,
                move |xs| {
                    std::hint::black_box(candle.sample(xs));
                },
            ));
        }
    }
    v.extend(context::cases(input, backends));
    v.extend(shape::cases(input, backends));
    v
}

/// Calls per timed sample: enough to cover about 64 Ki logits, one for a
/// case with a setup.
fn batch(case: &Case, n: usize) -> usize {
    if case.setup.is_some() {
        1
    } else {
        (65_536 / n.max(1)).clamp(1, 64)
    }
}

/// A buffer of logits at a fixed distance from a 64-byte boundary: where a
/// large allocation lands (a `Vec<f32>` from an mmap'd block starts 16 bytes
/// past one, a reused heap block anywhere) must not change a row's time, and
/// once did by 20 % between rows of the same code.
pub struct Buf {
    store: Vec<f32>,
    at: usize,
    len: usize,
}

impl Buf {
    /// A copy of `input` starting `misalign` floats (0-15) past a 64-byte boundary.
    pub fn new(input: &[f32], misalign: usize) -> Buf {
        let store = vec![0.0; input.len() + 32];
        let at = (64 - store.as_ptr().addr() % 64) % 64 / 4 + misalign % 16;
        let mut b = Buf {
            store,
            at,
            len: input.len(),
        };
        b.get().copy_from_slice(input);
        b
    }

    /// The logits.
    pub fn get(&mut self) -> &mut [f32] {
        &mut self.store[self.at..self.at + self.len]
    }
}

fn bufs(input: &[f32], n: usize, misalign: usize) -> Vec<Buf> {
    (0..n).map(|_| Buf::new(input, misalign)).collect()
}

/// One timed sample: restores `bufs` from `input` (and runs the setup),
/// outside the timing; returns microseconds per operation.
fn one_sample(case: &mut Case, bufs: &mut [Buf], input: &[f32]) -> f64 {
    use std::time::Instant;
    for b in bufs.iter_mut() {
        b.get().copy_from_slice(input);
    }
    let elapsed = match case.setup.as_mut() {
        Some(setup) => {
            let mut total = std::time::Duration::ZERO;
            for b in bufs.iter_mut() {
                setup();
                let t = Instant::now();
                (case.run)(b.get());
                total += t.elapsed();
            }
            total
        }
        None => {
            let t = Instant::now();
            for b in bufs.iter_mut() {
                (case.run)(b.get());
            }
            t.elapsed()
        }
    };
    elapsed.as_secs_f64() * 1e6 / (bufs.len() * case.ops) as f64
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Median time of one operation of `case` on `input`, in microseconds. Each timed
/// batch runs on freshly restored buffers; the copies are outside the timing.
pub fn time_case(
    case: &mut Case,
    input: &[f32],
    budget: std::time::Duration,
    min_samples: usize,
) -> f64 {
    let mut bufs = bufs(input, batch(case, input.len()), case.misalign);
    one_sample(case, &mut bufs[..1], input);
    let start = std::time::Instant::now();
    let mut samples = Vec::new();
    while samples.len() < min_samples || (start.elapsed() < budget && samples.len() < 2000) {
        samples.push(one_sample(case, &mut bufs, input));
    }
    median(samples)
}

/// Median times of one operation of `case` and of its baseline (which it
/// must have), in microseconds, measured interleaved: samples alternate
/// between the two sides in ABBA order, for twice the budget in all.
pub fn time_pair(
    case: &mut Case,
    input: &[f32],
    budget: std::time::Duration,
    min_samples: usize,
) -> (f64, f64) {
    let mut base = case.baseline.take().expect("a case with a baseline");
    let n = batch(case, input.len()).min(batch(&base, input.len()));
    // Each side on its own buffers (the alignment row's sides differ in where
    // theirs start).
    let mut bufs_a = bufs(input, n, case.misalign);
    let mut bufs_b = bufs(input, n, base.misalign);
    let (bufs, base_bufs) = (&mut bufs_a, &mut bufs_b);
    one_sample(case, &mut bufs[..1], input);
    one_sample(&mut base, &mut base_bufs[..1], input);
    let start = std::time::Instant::now();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    while a.len() < min_samples || (start.elapsed() < 2 * budget && a.len() < 2000) {
        if a.len() % 2 == 0 {
            a.push(one_sample(case, bufs, input));
            b.push(one_sample(&mut base, base_bufs, input));
        } else {
            b.push(one_sample(&mut base, base_bufs, input));
            a.push(one_sample(case, bufs, input));
        }
    }
    case.baseline = Some(base);
    (median(a), median(b))
}
