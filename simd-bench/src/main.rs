//! `cargo run --release -p simd-bench [-- flags]`: the detected backend, a
//! sampling demonstration on the seed article's example, and the benchmark
//! report: every stage on every backend and every peer, per vocabulary size,
//! as median microseconds and as a ratio to a plain read of the logits.
//!
//! Flags: `--quick` (vocab 32 000, short budget: what CI runs), `--vocab N,M`,
//! `--stage TEXT` (substring), `--backend NAME`, `--json`, `--write-benchmarks`
//! (rewrites BENCHMARKS.md at the workspace root from this run).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{Backend, Pcg32, Sampler, SamplerConfig};
use simd_bench::{Input, VOCABS, Who, cases, time_case};

const WORDS: [&str; 5] = ["moon", "stars", "sky", "station", "launchpad"];
const LOGITS: [f32; 5] = [3.5, 3.1, 2.9, 2.0, -0.5];

struct Options {
    quick: bool,
    json: bool,
    write: bool,
    vocabs: Vec<usize>,
    stage: Option<String>,
    backend: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        quick: false,
        json: false,
        write: false,
        vocabs: VOCABS.to_vec(),
        stage: None,
        backend: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => {
                o.quick = true;
                o.vocabs = vec![32_000];
            }
            "--json" => o.json = true,
            "--write-benchmarks" => o.write = true,
            "--vocab" => {
                let list = args.next().unwrap_or_default();
                o.vocabs = list
                    .split(',')
                    .filter_map(|s| s.trim().parse().ok())
                    .collect();
            }
            "--stage" => o.stage = args.next(),
            "--backend" => o.backend = args.next(),
            other => {
                eprintln!("unknown flag {other}; see the module docs of simd-bench/src/main.rs");
                std::process::exit(2);
            }
        }
    }
    o
}

fn demonstrate(label: &str, cfg: SamplerConfig, draws: u32) {
    let mut sampler: Sampler<256> = Sampler::new(cfg).expect("valid config");
    let mut exact = LOGITS;
    sampler
        .distribution_in_place(&mut exact)
        .expect("valid logits");
    let mut rng = Pcg32::seed_from_u64(42);
    let mut counts = [0u32; 5];
    for _ in 0..draws {
        let mut buf = LOGITS;
        counts[sampler.sample(&mut buf, &mut rng).expect("valid logits") as usize] += 1;
    }
    println!("  {label}");
    for (i, word) in WORDS.iter().enumerate() {
        let observed = counts[i] as f64 / draws as f64;
        println!(
            "    {word:<10} exact {:>6.4}   observed {observed:>6.4}",
            exact[i]
        );
    }
}

fn demonstration() {
    println!(
        "Seed article example: logits moon 3.5, stars 3.1, sky 2.9, station 2.0, launchpad -0.5"
    );
    println!(
        "(100 000 draws each, seed 42; 'exact' is the sampler's own renormalised distribution)"
    );
    let draws = 100_000;
    demonstrate(
        "T 0.8, min-p 0.1, top-k 3, top-p 0.7",
        SamplerConfig {
            temperature: 0.8,
            min_p: 0.1,
            top_k: 3,
            top_p: 0.7,
        },
        draws,
    );
    demonstrate(
        "T 0.8, min-p 0.1 (launchpad removed)",
        SamplerConfig {
            temperature: 0.8,
            min_p: 0.1,
            ..SamplerConfig::default()
        },
        draws,
    );
    demonstrate("T 1.0, no filters", SamplerConfig::default(), draws);
    demonstrate("T 0 (greedy)", SamplerConfig::greedy(), draws);
}

/// Results: (stage, imp) in first-seen order -> vocab -> median µs.
struct Table {
    rows: Vec<(String, String, Who)>,
    cells: BTreeMap<(String, String, usize), f64>,
    vocabs: Vec<usize>,
}

impl Table {
    fn get(&self, stage: &str, imp: &str, n: usize) -> Option<f64> {
        self.cells
            .get(&(stage.to_string(), imp.to_string(), n))
            .copied()
    }
    fn floor(&self, n: usize) -> Option<f64> {
        self.get("read floor (sum)", "floor", n)
    }
    /// Fastest implementation on `stage` among those `who` accepts.
    fn fastest(&self, stage: &str, n: usize, who: impl Fn(Who) -> bool) -> Option<(String, f64)> {
        self.rows
            .iter()
            .filter(|(s, _, w)| s == stage && who(*w))
            .filter_map(|(s, i, _)| self.get(s, i, n).map(|t| (i.clone(), t)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
    /// Fastest of our SIMD backends (scalar excluded) on `stage`.
    fn best_simd(&self, stage: &str, n: usize) -> Option<(String, f64)> {
        self.fastest(
            stage,
            n,
            |w| matches!(w, Who::Ours(b) if b != Backend::Scalar),
        )
    }
    fn fastest_peer(&self, stage: &str, n: usize) -> Option<(String, f64)> {
        self.fastest(stage, n, |w| w == Who::Peer)
    }
}

fn run(o: &Options) -> Table {
    let backends: Vec<Backend> = Backend::available()
        .iter()
        .copied()
        .filter(|b| o.backend.as_deref().is_none_or(|name| b.name() == name))
        .collect();
    let (budget, min_samples) = if o.quick {
        (Duration::from_millis(4), 3)
    } else {
        (Duration::from_millis(50), 5)
    };
    let mut t = Table {
        rows: Vec::new(),
        cells: BTreeMap::new(),
        vocabs: o.vocabs.clone(),
    };
    for &n in &o.vocabs {
        let names: &[&'static str] = if o.quick {
            &["model"]
        } else {
            &["model", "flat", "peaked"]
        };
        for &name in names {
            let input = Input::new(name, n);
            for mut c in cases(&input, &backends) {
                let keep = o
                    .stage
                    .as_deref()
                    .is_none_or(|s| c.stage.contains(s) || c.who == Who::Floor)
                    && (o.backend.is_none() || c.who != Who::Peer);
                if !keep {
                    continue;
                }
                let us = time_case(&mut c, &input.logits, budget, min_samples);
                if !t.rows.iter().any(|(s, i, _)| *s == c.stage && *i == c.imp) {
                    t.rows.push((c.stage.clone(), c.imp.clone(), c.who));
                }
                t.cells.insert((c.stage, c.imp, n), us);
            }
        }
    }
    t
}

fn fmt_cell(t: &Table, stage: &str, imp: &str, n: usize) -> String {
    match (t.get(stage, imp, n), t.floor(n)) {
        (Some(us), Some(f)) => format!("{us:.2} ({:.1}x)", us / f),
        (Some(us), None) => format!("{us:.2}"),
        _ => "-".into(),
    }
}

fn markdown(t: &Table) -> String {
    let mut s = String::new();
    let head: Vec<String> = t.vocabs.iter().map(|n| format!("{n}")).collect();
    writeln!(s, "| stage | implementation | {} |", head.join(" | ")).unwrap();
    writeln!(s, "|---|---|{}", "---:|".repeat(t.vocabs.len())).unwrap();
    for (stage, imp, _) in &t.rows {
        let cells: Vec<String> = t
            .vocabs
            .iter()
            .map(|&n| fmt_cell(t, stage, imp, n))
            .collect();
        writeln!(s, "| {stage} | {imp} | {} |", cells.join(" | ")).unwrap();
    }
    writeln!(s).unwrap();
    writeln!(
        s,
        "Speedups (best SIMD backend over scalar, and over the fastest peer in the same row group):"
    )
    .unwrap();
    writeln!(s).unwrap();
    writeln!(s, "| stage | {} |", head.join(" | ")).unwrap();
    writeln!(s, "|---|{}", "---:|".repeat(t.vocabs.len())).unwrap();
    let mut stages: Vec<&String> = Vec::new();
    for (stage, _, _) in &t.rows {
        if !stages.contains(&stage) {
            stages.push(stage);
        }
    }
    for stage in stages {
        let cells: Vec<String> = t
            .vocabs
            .iter()
            .map(|&n| {
                let Some((best, b)) = t.best_simd(stage, n) else {
                    return "-".into();
                };
                let mut cell = String::new();
                if let Some(sc) = t.get(stage, "scalar", n) {
                    write!(cell, "{best} {:.1}x scalar", sc / b).unwrap();
                }
                if let Some((peer, p)) = t.fastest_peer(stage, n) {
                    write!(
                        cell,
                        "; {:.1}x {}",
                        p / b,
                        peer.trim_start_matches("peer: ")
                    )
                    .unwrap();
                }
                cell
            })
            .collect();
        if cells.iter().any(|c| c != "-") {
            writeln!(s, "| {stage} | {} |", cells.join(" | ")).unwrap();
        }
    }
    s
}

fn goals(t: &Table) -> String {
    let n = 128_256;
    let mut s = String::new();
    let (Some(floor), Some((best, chain))) = (t.floor(n), t.best_simd("default chain", n)) else {
        return "goals: run with vocab 128256 to evaluate them\n".into();
    };
    writeln!(s, "Goals at vocab 128 256 (this run):").unwrap();
    writeln!(s, "- default chain on {best}: {chain:.2} us = {:.2}x the read floor (goal <= 3, moonshot 1.5)", chain / floor).unwrap();
    if let Some((peer, p)) = t.fastest_peer("default chain", n) {
        writeln!(
            s,
            "- fastest peer ({peer}): {p:.2} us, {:.1}x slower (goal >= 10)",
            p / chain
        )
        .unwrap();
    }
    if let Some(full_sort) = t.get("default chain", "peer: full sort", n) {
        writeln!(
            s,
            "- full-sort pipeline: {full_sort:.2} us, {:.1}x slower (goal >= 100)",
            full_sort / chain
        )
        .unwrap();
    }
    if let (Some((_, draw)), Some((_, soft))) = (
        t.best_simd("full-vocab draw (T 1)", n),
        t.best_simd("softmax_in_place", n),
    ) {
        writeln!(
            s,
            "- full-vocab draw {draw:.2} us = {:.2}x softmax_in_place {soft:.2} us (goal <= 1.5)",
            draw / soft
        )
        .unwrap();
    }
    if let (Some(sc), Some(av)) = (
        t.get("softmax_in_place", "scalar", n),
        t.get("softmax_in_place", "avx512", n),
    ) {
        writeln!(
            s,
            "- softmax_in_place: avx512 {:.1}x scalar (goal >= 8)",
            sc / av
        )
        .unwrap();
    }
    if let Some((_, scan)) = t.best_simd("max/NaN scan", n) {
        writeln!(
            s,
            "- max/NaN scan {scan:.2} us = {:.2}x the read floor (goal <= 1.5)",
            scan / floor
        )
        .unwrap();
    }
    s
}

fn json(t: &Table) -> String {
    let mut items = Vec::new();
    for ((stage, imp, n), us) in &t.cells {
        let ratio = t
            .floor(*n)
            .map_or("null".into(), |f| format!("{:.3}", us / f));
        items.push(format!(
            "{{\"stage\":{stage:?},\"implementation\":{imp:?},\"vocab\":{n},\"median_us\":{us:.3},\"ratio_to_read_floor\":{ratio}}}"
        ));
    }
    format!("[\n{}\n]", items.join(",\n"))
}

fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

const INPUTS: &str = "Inputs: deterministic (SplitMix64) model-like logits — a bulk N(0, 2.5) plus a Zipf-like head of 128 tokens at 22 - 1.2 ln(rank), so top-p 0.95 keeps tens of tokens; [flat]: N(0, 0.3), a nucleus far beyond any capacity; [peaked]: the model input with one token raised by 20. Filter rows time a whole `sample` call (scan, filters, draw) with T 1 unless stated, `Sampler<4096>`. Cells: median microseconds per call, and in parentheses the ratio to one read pass over the logits (the read floor). Destroyed buffers are restored by a copy outside the timed region.";

fn main() {
    let o = options();
    // The alias rows build 2 MiB tables on the stack before boxing them.
    let report = std::thread::Builder::new().stack_size(256 << 20).spawn(move || {
        if !o.json {
            println!("logit-sampler: detected backend {:?}; available {:?}; CPU {}", Backend::detect(), Backend::available(), cpu_name());
            println!();
            demonstration();
            println!();
            println!("{INPUTS}");
            println!();
        }
        let t = run(&o);
        if o.json {
            println!("{}", json(&t));
            return;
        }
        let md = markdown(&t);
        println!("{md}");
        let g = goals(&t);
        println!("{g}");
        if o.write {
            let date = std::process::Command::new("date").arg("-u").arg("+%Y-%m-%d").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
            let doc = format!(
                "# Benchmarks\n\nGenerated by `cargo run --release -p simd-bench{} -- --write-benchmarks` on {date}, CPU: {}, backends: {:?}. Do not edit by hand.\n\n{INPUTS}\n\n{md}\n{g}",
                if cfg!(feature = "candle") { " --features candle" } else { "" },
                cpu_name(),
                Backend::available()
            );
            // The Cortex-M4F table comes from `cost-probe/run.sh --write`
            // (instruction counts under QEMU); it is kept in its own file and
            // carried over verbatim, so each figure has one source.
            let mcu = std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../cost-probe/RESULTS.md"
            ))
            .unwrap_or_default();
            let doc = if mcu.is_empty() { doc } else { format!("{doc}\n{mcu}") };
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../BENCHMARKS.md");
            std::fs::write(path, doc).expect("write BENCHMARKS.md");
            println!("wrote BENCHMARKS.md");
        }
    });
    report.expect("spawn").join().expect("report");
}
