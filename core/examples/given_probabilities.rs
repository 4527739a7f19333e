//! Sampling when the probabilities are already known (not logits): one draw
//! by inverse CDF, many draws from an alias table, and the sampler's own
//! distribution for a set of logits.
//!
//! Run: `cargo run -p logit-sampler --example given_probabilities`

use logit_sampler::rand_core::{Rng, SeedableRng};
use logit_sampler::{AliasTable, Pcg32, SampleError, Sampler, SamplerConfig, sample_inverse_cdf};

fn main() -> Result<(), SampleError> {
    let probs = [0.5f32, 0.25, 0.125, 0.125];
    let mut rng = Pcg32::seed_from_u64(42);

    // One draw: the first index whose cumulative probability exceeds u.
    let u = (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32; // uniform in [0, 1)
    let one = sample_inverse_cdf(&probs, u)?;
    println!("inverse CDF with u = {u:.4}: token {one}");
    assert_eq!(sample_inverse_cdf(&probs, 0.5)?, 1); // [0.5, 0.75) is token 1

    // Many draws from the same distribution: build an alias table once
    // (O(n)), then each draw is O(1).
    let table: AliasTable<4> = AliasTable::new(&probs)?;
    let mut counts = [0u32; 4];
    let draws = 100_000;
    for _ in 0..draws {
        counts[table.sample(&mut rng) as usize] += 1;
    }
    for (i, (&c, &p)) in counts.iter().zip(&probs).enumerate() {
        let observed = c as f64 / draws as f64;
        println!("token {i}: expected {p:.3}, observed {observed:.3}");
        assert!((observed - p as f64).abs() < 0.01);
    }

    // From logits: the distribution the sampler draws from, after its filters.
    let mut logits = [2.0f32, 1.0, 0.0, -1.0];
    let config = SamplerConfig {
        top_p: 0.9,
        ..SamplerConfig::default()
    };
    let mut sampler: Sampler<16> = Sampler::new(config)?;
    sampler.distribution_in_place(&mut logits)?;
    println!("top-p 0.9 over logits [2, 1, 0, -1]: {logits:?}");
    assert_eq!(logits[3], 0.0); // the tail is cut
    Ok(())
}
