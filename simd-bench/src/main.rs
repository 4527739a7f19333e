//! `cargo run --release -p simd-bench [-- flags]`: the detected backend, a
//! sampling demonstration on the seed article's example, and the benchmark
//! report: every stage on every backend and every peer, per vocabulary size,
//! as median microseconds and as a ratio to a plain read of the logits; the
//! context stages (penalties, DRY, masks, logprobs) also as a ratio to the
//! same call without them, both timed interleaved in the run.
//!
//! Flags (`--help` prints them):
//!
//! - `--quick`: vocab 32 000 and the model-like input only, a short time
//!   budget per case (what CI runs);
//! - `--vocab N,M`: these vocabulary sizes (default 512, 32 000, 128 256,
//!   151 936, 262 144; 32 000 with `--quick`);
//! - `--stage TEXT`: only the stages whose name contains TEXT (the read floor
//!   is always measured, for the ratios);
//! - `--backend NAME`: only this backend (`scalar`, `sse2`, `avx2`, `avx512`,
//!   `neon`; an error if this CPU cannot run it), and no peers;
//! - `--json`: the measurements as a JSON array on stdout (stage,
//!   implementation, vocab, median_us, ratio_to_read_floor, and for the
//!   context-stage rows baseline, baseline_us, ratio_to_baseline), nothing else;
//! - `--write-benchmarks`: also rewrite BENCHMARKS.md at the workspace root
//!   from this run.
//!
//! An unknown flag is an error (exit status 2). Progress goes to stderr, as a
//! bar when stderr is a terminal, so stdout carries only the report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{Backend, Pcg32, Sampler, SamplerConfig};
use serde::Serialize;
use simd_bench::{Case, Input, VOCABS, Who, cases, context, peers, shape, time_case, time_pair};

const WORDS: [&str; 5] = ["moon", "stars", "sky", "station", "launchpad"];
const LOGITS: [f32; 5] = [3.5, 3.1, 2.9, 2.0, -0.5];

/// The detected backend, a sampling demonstration, and the benchmark report of
/// logit-sampler: every stage on every backend and every peer, per vocabulary
/// size, as median microseconds and as a ratio to one read of the logits.
#[derive(Parser)]
#[command(name = "simd-bench")]
struct Options {
    /// Vocab 32 000 and the model-like input only, short time budget (what CI runs)
    #[arg(long)]
    quick: bool,
    /// Print the measurements as a JSON array on stdout instead of the report
    #[arg(long)]
    json: bool,
    /// Also rewrite BENCHMARKS.md at the workspace root from this run
    #[arg(long = "write-benchmarks")]
    write: bool,
    /// Vocabulary sizes, comma-separated [default: 512,32000,128256,151936,262144;
    /// 32000 with --quick]
    #[arg(long, value_name = "N,M", value_delimiter = ',', value_parser = vocab_size)]
    vocab: Vec<usize>,
    /// Only the stages whose name contains TEXT (the read floor is always measured)
    #[arg(long, value_name = "TEXT")]
    stage: Option<String>,
    /// Only this backend, and no peers: scalar, sse2, avx2, avx512 or neon
    #[arg(long, value_name = "NAME", value_parser = backend_named)]
    backend: Option<Backend>,
}

impl Options {
    fn vocabs(&self) -> Vec<usize> {
        match (self.vocab.is_empty(), self.quick) {
            (false, _) => self.vocab.clone(),
            (true, true) => vec![32_000],
            (true, false) => VOCABS.to_vec(),
        }
    }
}

fn vocab_size(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 2 => Ok(n),
        Ok(_) => Err("a vocabulary needs at least 2 tokens".into()),
        Err(e) => Err(e.to_string()),
    }
}

fn backend_named(name: &str) -> Result<Backend, String> {
    let names = |bs: &[Backend]| bs.iter().map(|b| b.name()).collect::<Vec<_>>().join(", ");
    let backend = Backend::ALL
        .iter()
        .copied()
        .find(|b| b.name() == name)
        .ok_or_else(|| {
            format!(
                "no backend is called {name}; one of {}",
                names(&Backend::ALL)
            )
        })?;
    if Backend::available().contains(&backend) {
        Ok(backend)
    } else {
        Err(format!(
            "{name} cannot run on this CPU; available: {}",
            names(Backend::available())
        ))
    }
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
            ..SamplerConfig::default()
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
    /// Rows timed against a baseline: (stage, imp) -> the baseline's name.
    baseline_names: BTreeMap<(String, String), String>,
    /// (stage, imp, vocab) -> the baseline's median µs, from the same run.
    baselines: BTreeMap<(String, String, usize), f64>,
    vocabs: Vec<usize>,
}

impl Table {
    /// A row's time over its baseline's, both from the same interleaved run.
    fn ratio(&self, stage: &str, imp: &str, n: usize) -> Option<(f64, f64)> {
        let key = (stage.to_string(), imp.to_string(), n);
        let base = self.baselines.get(&key).copied()?;
        Some((self.cells.get(&key).copied()? / base, base))
    }
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
        .filter(|b| o.backend.is_none_or(|only| *b == only))
        .collect();
    let (budget, min_samples) = if o.quick {
        (Duration::from_millis(4), 3)
    } else {
        (Duration::from_millis(50), 5)
    };
    let vocabs = o.vocabs();
    let mut t = Table {
        rows: Vec::new(),
        cells: BTreeMap::new(),
        baseline_names: BTreeMap::new(),
        baselines: BTreeMap::new(),
        vocabs: vocabs.clone(),
    };
    let names: &[&'static str] = if o.quick {
        &["model"]
    } else {
        &["model", "flat", "peaked"]
    };
    let keep = |c: &Case| {
        o.stage
            .as_deref()
            .is_none_or(|s| c.stage.contains(s) || c.who == Who::Floor || c.stage == context::NOISE)
            && (o.backend.is_none() || c.who != Who::Peer)
    };
    let inputs: Vec<(usize, Input)> = vocabs
        .iter()
        .flat_map(|&n| names.iter().map(move |&name| (n, Input::new(name, n))))
        .collect();
    let total: usize = inputs
        .iter()
        .map(|(_, input)| cases(input, &backends).iter().filter(|&c| keep(c)).count())
        .sum();
    let progress = ProgressBar::new(total as u64).with_style(
        ProgressStyle::with_template("{elapsed_precise} {bar:25} {pos}/{len} cases  {wide_msg}")
            .expect("a valid progress template"),
    );
    for (n, input) in &inputs {
        for mut c in cases(input, &backends) {
            if !keep(&c) {
                continue;
            }
            progress.set_message(format!("vocab {n}: {} / {}", c.stage, c.imp));
            let us = if let Some(base) = &c.baseline {
                let key = (c.stage.clone(), c.imp.clone());
                t.baseline_names.insert(key, base.stage.clone());
                let (us, base_us) = time_pair(&mut c, &input.logits, budget, min_samples);
                t.baselines
                    .insert((c.stage.clone(), c.imp.clone(), *n), base_us);
                us
            } else {
                time_case(&mut c, &input.logits, budget, min_samples)
            };
            progress.inc(1);
            if !t.rows.iter().any(|(s, i, _)| *s == c.stage && *i == c.imp) {
                t.rows.push((c.stage.clone(), c.imp.clone(), c.who));
            }
            t.cells.insert((c.stage, c.imp, *n), us);
        }
    }
    progress.finish_and_clear();
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
    if !t.baseline_names.is_empty() {
        writeln!(s).unwrap();
        writeln!(
            s,
            "Context stages: time over the same call without the stage, both measured interleaved in this run (cells: ratio, then row / baseline median microseconds):"
        )
        .unwrap();
        writeln!(s).unwrap();
        writeln!(
            s,
            "| stage | implementation | baseline | {} |",
            head.join(" | ")
        )
        .unwrap();
        writeln!(s, "|---|---|---|{}", "---:|".repeat(t.vocabs.len())).unwrap();
        for (stage, imp, _) in &t.rows {
            let Some(base) = t.baseline_names.get(&(stage.clone(), imp.clone())) else {
                continue;
            };
            let cells: Vec<String> = t
                .vocabs
                .iter()
                .map(|&n| match (t.ratio(stage, imp, n), t.get(stage, imp, n)) {
                    (Some((r, b)), Some(us)) => format!("{r:.2}x ({us:.2} / {b:.2})"),
                    _ => "-".into(),
                })
                .collect();
            writeln!(s, "| {stage} | {imp} | {base} | {} |", cells.join(" | ")).unwrap();
        }
    }
    s
}

/// The noise check first (the method's own error on a ratio of identical
/// calls, 0.98-1.03x in quiet and busy runs), then the context-stage targets
/// at vocab `n`, one line per stage: the ratio on every backend.
fn context_goals(t: &Table, n: usize, s: &mut String) {
    for (stage, goal) in [
        (context::NOISE, None),
        ("penalties+dry", Some(1.1)),
        ("penalties", Some(1.1)),
        ("dry", None),
        ("bias", None),
        ("bias-max", None),
        ("mask-sparse", Some(1.5)),
        ("mask-dense", Some(1.5)),
        ("logprobs", None),
        ("misaligned", Some(1.05)),
    ] {
        let mut parts = Vec::new();
        for (stage_, imp, who) in &t.rows {
            if stage_ != stage || !matches!(who, Who::Ours(_)) {
                continue;
            }
            if let Some((r, _)) = t.ratio(stage, imp, n) {
                let met = match goal {
                    Some(g) if r <= g => " met",
                    Some(_) => " NOT met",
                    None => "",
                };
                parts.push(format!("{imp} {r:.3}x{met}"));
            }
        }
        if parts.is_empty() {
            continue;
        }
        let goal = goal.map_or(String::new(), |g| format!(" (goal <= {g})"));
        writeln!(
            s,
            "- {stage} / {}{goal}: {}",
            t.baseline_names
                .iter()
                .find(|((st, _), _)| st == stage)
                .map_or("baseline", |(_, b)| b.as_str()),
            parts.join(", ")
        )
        .unwrap();
    }
}

fn goals(t: &Table) -> String {
    let n = 128_256;
    let mut s = String::new();
    let (Some(floor), Some((best, chain))) = (t.floor(n), t.best_simd("default chain", n)) else {
        if t.vocabs.contains(&n) {
            writeln!(s, "Goals at vocab 128 256 (this run):").unwrap();
            context_goals(t, n, &mut s);
            return s;
        }
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
    context_goals(t, n, &mut s);
    s
}

/// One measurement, as `--json` prints it.
#[derive(Serialize)]
struct Measurement<'a> {
    stage: &'a str,
    implementation: &'a str,
    vocab: usize,
    median_us: f64,
    /// `None` (JSON `null`) when the read floor was not measured.
    ratio_to_read_floor: Option<f64>,
    /// Rows timed against a baseline (context stages): its name, its median
    /// from the same interleaved run, and the ratio; `null` otherwise.
    baseline: Option<&'a str>,
    baseline_us: Option<f64>,
    ratio_to_baseline: Option<f64>,
}

fn json(t: &Table) -> String {
    let thousandths = |x: f64| (x * 1000.0).round() / 1000.0;
    let rows: Vec<Measurement> = t
        .cells
        .iter()
        .map(|((stage, imp, n), us)| {
            let ratio = t.ratio(stage, imp, *n);
            Measurement {
                stage,
                implementation: imp,
                vocab: *n,
                median_us: thousandths(*us),
                ratio_to_read_floor: t.floor(*n).map(|f| thousandths(us / f)),
                baseline: t
                    .baseline_names
                    .get(&(stage.clone(), imp.clone()))
                    .map(String::as_str),
                baseline_us: ratio.map(|(_, b)| thousandths(b)),
                ratio_to_baseline: ratio.map(|(r, _)| thousandths(r)),
            }
        })
        .collect();
    serde_json::to_string_pretty(&rows).expect("measurements serialise")
}

/// Today's date in UTC, `YYYY-MM-DD`.
fn utc_today() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(secs.div_euclid(86_400) as i64)
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`: count from 0000-03-01 so the leap day ends the year,
/// then split into 400-year eras of 146 097 days).
fn civil_date(days: i64) -> String {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // [0, 146 096]
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153; // [0, 11]
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
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

const INPUTS: &str = "Inputs: deterministic (SplitMix64) model-like logits — a bulk N(0, 2.5) plus a Zipf-like head of 128 tokens at 22 - 1.2 ln(rank), so top-p 0.95 keeps tens of tokens; [flat]: N(0, 0.3), a nucleus far beyond any capacity; [peaked]: the model input with one token raised by 20. Filter rows time a whole `sample` call (scan, filters, draw) with T 1 unless stated, `Sampler<4096>`. Cells: median microseconds per call, and in parentheses the ratio to one read pass over the logits (the read floor). Every buffer starts on a 64-byte boundary (but the `misaligned` row's); destroyed buffers are restored by a copy outside the timed region. Alias rows rebuild one table per vocabulary size in place (`AliasTable::rebuild` on a static), then draw.";

/// The inputs paragraph, one line per peer saying what it runs, and how the
/// context-stage rows are built (figures at vocab 128 256, or the first
/// vocabulary of the run).
fn inputs_text(vocabs: &[usize]) -> String {
    let mut s = format!("{INPUTS}\n\nPeers, each in its fastest form for the same job:\n\n");
    for form in peers::forms() {
        writeln!(s, "- {form}").unwrap();
    }
    let n = if vocabs.contains(&128_256) {
        128_256
    } else {
        vocabs.first().copied().unwrap_or(128_256)
    };
    write!(s, "\n{}\n", context::describe(n)).unwrap();
    write!(s, "\n{}\n", shape::describe()).unwrap();
    s
}

fn main() {
    let o = Options::parse();
    if !o.json {
        println!(
            "logit-sampler: detected backend {:?}; available {:?}; CPU {}",
            Backend::detect(),
            Backend::available(),
            cpu_name()
        );
        println!();
        demonstration();
        println!();
        println!("{}", inputs_text(&o.vocabs()));
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
        let doc = format!(
            "# Benchmarks\n\nGenerated by `cargo run --release -p simd-bench{} -- --write-benchmarks` on {}, CPU: {}, backends: {:?}. Do not edit by hand.\n\n{}\n{md}\n{g}",
            if cfg!(feature = "candle") {
                " --features candle"
            } else {
                ""
            },
            utc_today(),
            cpu_name(),
            Backend::available(),
            inputs_text(&o.vocabs()),
        );
        // The Cortex-M4F table comes from `cost-probe/run.sh --write`
        // (instruction counts under QEMU); it is kept in its own file and
        // carried over verbatim, so each figure has one source.
        let mcu = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../cost-probe/RESULTS.md"
        ))
        .unwrap_or_default();
        let doc = if mcu.is_empty() {
            doc
        } else {
            format!("{doc}\n{mcu}")
        };
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../BENCHMARKS.md");
        std::fs::write(path, doc).expect("write BENCHMARKS.md");
        println!("wrote BENCHMARKS.md");
    }
}

#[cfg(test)]
mod tests {
    use super::civil_date;

    #[test]
    fn civil_dates() {
        // Days since 1970-01-01 (Python's datetime agrees).
        for (days, date) in [
            (0, "1970-01-01"),
            (-1, "1969-12-31"),
            (951_782_400 / 86_400, "2000-02-29"),
            (951_868_800 / 86_400, "2000-03-01"),
            (1_735_603_200 / 86_400, "2024-12-31"),
            (4_107_542_400 / 86_400, "2100-03-01"),
        ] {
            assert_eq!(civil_date(days), date, "{days}");
        }
    }
}
