//! An engine's generation loop over a toy model: the "model" is a fixed
//! bigram table over a few words. The prompt goes into the sampler's history
//! (so the repetition penalty sees it), each step's logits are sampled with
//! per-request constraints (a logit bias that bans one word and favours
//! another, and an allowed-token mask such as a grammar would produce), and
//! the drawn word is printed with its log-probability and the model's five
//! most likely words. Same seed, same text, on every backend.
//!
//! Run: `cargo run -p logit-sampler --example engine_loop`

use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{
    Backend, Constraints, Pcg32, SampleError, Sampled, Sampler, SamplerConfig, TokenLogprob,
};

const WORDS: [&str; 8] = ["the", "moon", "rises", "over", "a", "quiet", "sea", "."];
/// The prompt, as token ids: "the moon".
const PROMPT: [u32; 2] = [0, 1];
/// Banned by the logit bias ("a"), and favoured by it ("quiet").
const BANNED: u32 = 4;
const FAVOURED: u32 = 5;

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

/// One generated step: the draw and the model's five most likely words.
struct Step {
    sampled: Sampled,
    top: [TokenLogprob; 5],
}

fn generate(backend: Backend, seed: u64, steps: usize) -> Result<Vec<Step>, SampleError> {
    let config = SamplerConfig {
        temperature: 0.8,
        min_p: 0.05,
        top_k: 40,
        top_p: 0.95,
        // A word seen in the last 6 loses some of its logit.
        repeat_penalty: 1.5,
        penalty_last_n: 6,
        ..SamplerConfig::default()
    };
    // Room for 64 candidates (larger sets stream, exactly) and 16 tokens of history.
    let mut sampler: Sampler<64, 16> = Sampler::new(config)?.with_backend(backend)?;
    for token in PROMPT {
        sampler.accept(token);
    }
    // -inf bans a token; a finite bias is added to its logit.
    let bias = [(BANNED, f32::NEG_INFINITY), (FAVOURED, 1.0)];
    let mut rng = Pcg32::seed_from_u64(seed);
    let mut logits = [0.0f32; WORDS.len()];
    let mut previous = PROMPT[PROMPT.len() - 1];
    let mut out = Vec::with_capacity(steps);
    for _ in 0..steps {
        model(previous as usize, &mut logits);
        // A toy grammar: never the same word twice in a row. One bit per
        // token, 32 to a word (XGrammar's and llguidance's format).
        let allowed = [!(1u32 << previous)];
        let constraints = Constraints {
            logit_bias: &bias,
            allowed: Some(&allowed),
        };
        let mut top = [TokenLogprob::default(); 5];
        // The buffer is scratch: its contents are unspecified afterwards. The
        // drawn token goes into the history by itself.
        let sampled = sampler.sample_with(&mut logits, &mut rng, &constraints, &mut top)?;
        previous = sampled.token;
        out.push(Step { sampled, top });
    }
    Ok(out)
}

fn main() -> Result<(), SampleError> {
    let best = Backend::detect();
    let steps = generate(best, 7, 12)?;
    let prompt: Vec<&str> = PROMPT.iter().map(|&t| WORDS[t as usize]).collect();
    println!(
        "{best:?}, prompt \"{}\", \"{}\" banned, \"{}\" favoured, no word twice in a row",
        prompt.join(" "),
        WORDS[BANNED as usize],
        WORDS[FAVOURED as usize]
    );
    println!("word   | model logprob | drawn from | the model's top 5 (logprob)");
    for Step { sampled, top } in &steps {
        let top: Vec<String> = top
            .iter()
            .map(|t| format!("{} {:.2}", WORDS[t.token as usize], t.logprob))
            .collect();
        println!(
            "{:<6} | {:>13.3} | {:>10.3} | {}",
            WORDS[sampled.token as usize],
            sampled.logprob,
            sampled.sampling_logprob,
            top.join(", ")
        );
    }
    let text: Vec<&str> = steps
        .iter()
        .map(|s| WORDS[s.sampled.token as usize])
        .collect();
    println!("text: {} {}", prompt.join(" "), text.join(" "));
    // Every backend this CPU runs draws the same tokens for the same seed.
    let tokens = |steps: &[Step]| steps.iter().map(|s| s.sampled.token).collect::<Vec<_>>();
    for &backend in Backend::available() {
        let again = generate(backend, 7, 12)?;
        assert_eq!(tokens(&again), tokens(&steps), "{backend:?} differs");
    }
    println!("same text on {:?}", Backend::available());
    Ok(())
}
