//! `cargo run --release -p simd-bench`: the sampling demonstration on the seed
//! article's example, then (see `report.rs`) the benchmark report.

use logit_sampler::{Backend, Pcg32, Sampler, SamplerConfig, rand_core::SeedableRng};

const WORDS: [&str; 5] = ["moon", "stars", "sky", "station", "launchpad"];
const LOGITS: [f32; 5] = [3.5, 3.1, 2.9, 2.0, -0.5];

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

fn main() {
    println!(
        "logit-sampler: backend {:?} (available: {:?})",
        Backend::detect(),
        Backend::available()
    );
    println!();
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
