//! An engine's generation loop over a toy model: the "model" is a fixed
//! bigram table over a few words, its logits are sampled with the default
//! chain each step, and the text is printed. Same seed, same text, on every
//! backend.
//!
//! Run: `cargo run -p logit-sampler --example engine_loop`

use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{Backend, Pcg32, SampleError, Sampler, SamplerConfig};

const WORDS: [&str; 8] = ["the", "moon", "rises", "over", "a", "quiet", "sea", "."];

/// The toy model: logits for the next word given the previous one (a real
/// engine would run its network here and hand over its output buffer).
fn model(previous: usize, logits: &mut [f32; WORDS.len()]) {
    for (next, l) in logits.iter_mut().enumerate() {
        // Prefer the word after `previous`, a little the one after that.
        let distance = (next + WORDS.len() - previous - 1) % WORDS.len();
        *l = match distance {
            0 => 4.0,
            1 => 2.5,
            _ => 0.5 - distance as f32 * 0.3,
        };
    }
}

fn generate(backend: Backend, seed: u64, steps: usize) -> Result<Vec<usize>, SampleError> {
    let config = SamplerConfig {
        temperature: 0.8,
        min_p: 0.05,
        top_k: 40,
        top_p: 0.95,
    };
    // Room for 64 candidates: enough here; larger sets stream, exactly.
    let mut sampler: Sampler<64> = Sampler::new(config)?.with_backend(backend)?;
    let mut rng = Pcg32::seed_from_u64(seed);
    let mut tokens = vec![0];
    let mut logits = [0.0f32; WORDS.len()];
    for _ in 0..steps {
        model(*tokens.last().unwrap_or(&0), &mut logits);
        // The buffer is scratch: its contents are unspecified afterwards.
        let token = sampler.sample(&mut logits, &mut rng)?;
        tokens.push(token as usize);
    }
    Ok(tokens)
}

fn main() -> Result<(), SampleError> {
    let best = Backend::detect();
    let tokens = generate(best, 7, 24)?;
    let text: Vec<&str> = tokens.iter().map(|&t| WORDS[t]).collect();
    println!("{best:?}: {}", text.join(" "));
    // Every backend this CPU runs draws the same tokens for the same seed.
    for &backend in Backend::available() {
        assert_eq!(generate(backend, 7, 24)?, tokens, "{backend:?} differs");
    }
    println!("same text on {:?}", Backend::available());
    Ok(())
}
