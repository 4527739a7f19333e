//! The generation loop, shared (by `#[path]`) between the firmware and the
//! host-side test in `tests/`, so both run exactly the same calls.

use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{Pcg32, SampleError, Sampler, SamplerConfig};

/// Temperature 0.8, min-p 0.05, top-k 20, top-p 0.95, and a repetition
/// penalty of 1.1 over the last 8 symbols.
pub const CONFIG: SamplerConfig = SamplerConfig {
    temperature: 0.8,
    min_p: 0.05,
    top_k: 20,
    top_p: 0.95,
    repeat_penalty: 1.1,
    penalty_last_n: 8,
    ..SamplerConfig::DEFAULT
};
/// Tokens of history the sampler keeps (at least the penalty window).
pub const HISTORY: usize = 8;
/// The generator's seed.
pub const SEED: u64 = 2024;
/// `CONFIG` in words, for printing without float formatting.
#[allow(dead_code)] // printed by the firmware, unused by the host test
pub const CONFIG_TEXT: &str =
    "temperature 0.8, min-p 0.05, top-k 20, top-p 0.95, repeat penalty 1.1 over 8";
/// Symbols generated.
pub const LENGTH: usize = 400;
/// Largest alphabet the loop supports (the scratch capacity too).
pub const MAX_VOCAB: usize = 64;

/// Writes `LENGTH` symbols to `out`, each drawn from the logits row of the
/// previous one (`row(i)`), starting after a space. `out` is any fixed or
/// growing text buffer (`heapless::String` on the MCU, `String` on the host);
/// one too small for the text is an error, not a truncated text.
pub fn generate<'a>(
    vocab: &[u8],
    row: impl Fn(usize) -> Option<&'a [f32]>,
    out: &mut impl core::fmt::Write,
) -> Result<(), SampleError> {
    let mut sampler: Sampler<MAX_VOCAB, HISTORY> = Sampler::new(CONFIG)?;
    // The starting space counts as history, as a prompt would.
    let mut prev = vocab.iter().position(|&c| c == b' ').unwrap_or(0);
    sampler.accept(prev as u32);
    let mut rng = Pcg32::seed_from_u64(SEED);
    let mut buf = [0.0f32; MAX_VOCAB];
    for written in 0..LENGTH {
        let src = row(prev).ok_or(SampleError::Empty)?;
        let logits = buf
            .get_mut(..src.len())
            .ok_or(SampleError::CapacityExceeded {
                len: src.len(),
                capacity: MAX_VOCAB,
            })?;
        logits.copy_from_slice(src);
        prev = sampler.sample(logits, &mut rng)? as usize;
        let symbol = vocab.get(prev).copied().unwrap_or(b'?');
        out.write_char(char::from(symbol))
            .map_err(|_| SampleError::CapacityExceeded {
                len: LENGTH,
                capacity: written,
            })?;
    }
    Ok(())
}
