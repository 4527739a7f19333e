//! The character bigram model, built from `text/corpus.txt` (the opening of
//! Lewis Carroll's *Alice's Adventures in Wonderland*, 1865, public domain).
//!
//! Shared, by `include!`, between `build.rs` (which bakes the table into the
//! firmware) and the host-side test in `tests/` (which rebuilds it to check the
//! firmware's text): one definition, so the two cannot drift.

/// Lower-cased text with runs of whitespace turned into one space and any
/// character outside the alphabet dropped.
pub fn normalise(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_whitespace() {
            if out.last() != Some(&b' ') {
                out.push(b' ');
            }
        } else if c.is_ascii_lowercase() || ",.;:!?'-()".contains(c) {
            out.push(c as u8);
        }
    }
    out
}

/// The model: the alphabet (sorted), each symbol's logits for the next one
/// (`ln count`, `-inf` for a pair never seen; the text wraps around so every
/// symbol has a successor), and unigram counts.
pub struct Bigram {
    pub vocab: Vec<u8>,
    pub logits: Vec<Vec<f32>>,
    pub unigram: Vec<f32>,
}

pub fn build(text: &str) -> Bigram {
    let text = normalise(text);
    let mut vocab: Vec<u8> = text.clone();
    vocab.sort_unstable();
    vocab.dedup();
    let index = |c: u8| vocab.iter().position(|&v| v == c).unwrap();
    let v = vocab.len();
    let mut counts = vec![vec![0u32; v]; v];
    let mut unigram = vec![0.0f32; v];
    for (k, &c) in text.iter().enumerate() {
        let next = text[(k + 1) % text.len()];
        counts[index(c)][index(next)] += 1;
        unigram[index(c)] += 1.0;
    }
    let logits = counts
        .iter()
        .map(|row| {
            row.iter()
                .map(|&n| {
                    if n == 0 {
                        f32::NEG_INFINITY
                    } else {
                        (n as f64).ln() as f32
                    }
                })
                .collect()
        })
        .collect();
    Bigram {
        vocab,
        logits,
        unigram,
    }
}
