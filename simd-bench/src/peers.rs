//! The peers, each run on the same logits and parameters as our sampler.
//!
//! - `full_sort_chain`: what most ports do — softmax, sort the whole vocabulary
//!   by probability, then min-p, top-k, top-p, renormalise and draw.
//! - `llama2c_top_p`: llama2.c's `sample_topp` — softmax, keep the tokens above
//!   `(1 - p) / (n - 1)`, sort only those, cut at `p`, draw.
//! - `LlmSamplersChain`: the `llm-samplers` crate's chain (temperature, min-p,
//!   top-k, top-p, random distribution), its `Logits` built with
//!   `try_from_iter_top_k(top_k of the chain)`: the top-k the chain would keep
//!   anyway, selected while the logits are read (its fastest form for the job;
//!   the 1000 its docs suggest for an unknown chain does the same job several
//!   times slower).
//! - `LlmSamplersChain::with_penalties` (the `penalties` rows): its
//!   `SampleRepetition` and `SampleFreqPresence` in front of the same chain,
//!   on `Logits` of the top-k plus the distinct tokens of the penalty window.
//! - `LlamaCppStyle` (the `penalties` rows): plain Rust written like
//!   llama.cpp's sampling — a candidate array, a hash map of window counts
//!   looked up for every candidate, top-k by selection, the chain over the k.
//! - `weighted_index_draw` / `weighted_alias_draw`: rand's `WeightedIndex` and
//!   rand_distr's `WeightedAliasIndex`, built from softmax probabilities, one draw.
//! - `CandleProcessor` (feature `candle`): candle-transformers' `LogitsProcessor`
//!   on a CPU tensor (top-k then top-p; candle has no min-p).
//!
//! Each peer runs in its fastest form for the job it is given; [`forms`] says
//! which, and the report prints it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use llm_samplers::prelude::{
    Logits, SampleFreqPresence, SampleMinP, SampleRandDistrib, SampleRepetition, SampleTemperature,
    SampleTopK, SampleTopP, Sampler as _, SamplerChain, SimpleSamplerResources,
};
use rand::distr::{Distribution, weighted::WeightedIndex};
use rand::{Rng, SeedableRng, rngs::SmallRng};
use rand_distr::weighted::WeightedAliasIndex;

/// What each peer runs, one line each, as the report prints them under its
/// inputs paragraph.
pub fn forms() -> Vec<&'static str> {
    let mut forms = vec![
        "peer: llm-samplers 0.0.7 (default chain): `Logits::try_from_iter_top_k(logits, top_k \
         of the chain)`, so only the chain's top-k (40) are kept, selected while the logits are \
         read, then its `SamplerChain` of temperature, min-p, top-k, top-p and \
         `SampleRandDistrib`.",
        "peer: llama2.c top-p (top-p rows): its `sample_topp` ported: softmax, keep the tokens \
         with p >= (1 - top_p) / (n - 1), sort only those, cut at top-p, draw.",
        "peer: full sort (filter rows, full-vocab draw): what most ports do: softmax, sort the \
         whole vocabulary by probability, then min-p, top-k, top-p, renormalise, draw.",
        "peer: rand 0.9 `WeightedIndex`, rand_distr 0.5 `WeightedAliasIndex` (full-vocab draw): \
         softmax, build from the probabilities, one draw.",
        "peer: scalar exp loop (softmax_in_place): max, then exp((x - max) / T) and the sum, \
         then a division, in f32.",
    ];
    forms.extend(cfg!(feature = "candle").then_some(
        "peer: candle-transformers 0.10 `LogitsProcessor`: a CPU tensor of the logits, then \
         `Sampling::TopKThenTopP` (default chain; candle has no min-p) or `Sampling::All` \
         (full-vocab draw).",
    ));
    forms
}

/// The four parameters, as every peer takes them.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub temperature: f32,
    pub min_p: f32,
    pub top_k: usize,
    pub top_p: f32,
}

/// Plain scalar softmax with temperature, in place (the peers' first step).
pub fn softmax(xs: &mut [f32], temperature: f32) {
    let max = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for x in xs.iter_mut() {
        *x = ((*x - max) / temperature).exp();
        sum += *x;
    }
    for x in xs.iter_mut() {
        *x /= sum;
    }
}

/// Draws from `probs` over `ids` (not necessarily normalised) with uniform `u`.
fn draw(ids: &[u32], probs: &[f32], u: f32) -> u32 {
    let total: f32 = ids.iter().map(|&i| probs[i as usize]).sum();
    let target = u * total;
    let mut cum = 0.0;
    for &i in ids {
        cum += probs[i as usize];
        if cum > target {
            return i;
        }
    }
    ids.last().copied().unwrap_or(0)
}

/// Softmax, full sort, then the filters: the common port.
pub fn full_sort_chain(logits: &mut [f32], p: Params, rng: &mut SmallRng) -> u32 {
    softmax(logits, p.temperature);
    let mut ids: Vec<u32> = (0..logits.len() as u32).collect();
    ids.sort_unstable_by(|&a, &b| logits[b as usize].total_cmp(&logits[a as usize]));
    let pmax = logits[ids[0] as usize];
    let mut keep = ids
        .iter()
        .take_while(|&&i| logits[i as usize] >= p.min_p * pmax)
        .count();
    if p.top_k > 0 {
        keep = keep.min(p.top_k);
    }
    let kept = &ids[..keep];
    let mass: f32 = kept.iter().map(|&i| logits[i as usize]).sum();
    let mut cum = 0.0;
    let mut nucleus = keep;
    for (n, &i) in kept.iter().enumerate() {
        cum += logits[i as usize] / mass;
        if cum >= p.top_p {
            nucleus = n + 1;
            break;
        }
    }
    draw(&kept[..nucleus], logits, rng.random())
}

/// llama2.c's top-p: softmax, prefilter, sort the candidates, cut, draw.
pub fn llama2c_top_p(logits: &mut [f32], temperature: f32, top_p: f32, rng: &mut SmallRng) -> u32 {
    softmax(logits, temperature);
    let n = logits.len();
    let cutoff = (1.0 - top_p) / (n as f32 - 1.0);
    let mut cands: Vec<(u32, f32)> = logits
        .iter()
        .enumerate()
        .filter(|(_, p)| **p >= cutoff)
        .map(|(i, p)| (i as u32, *p))
        .collect();
    cands.sort_unstable_by(|a, b| b.1.total_cmp(&a.1));
    let mut cum = 0.0;
    let mut last = cands.len() - 1;
    for (k, c) in cands.iter().enumerate() {
        cum += c.1;
        if cum > top_p {
            last = k;
            break;
        }
    }
    let r: f32 = rng.random::<f32>() * cum;
    let mut acc = 0.0;
    for c in &cands[..=last] {
        acc += c.1;
        if r < acc {
            return c.0;
        }
    }
    cands[last].0
}

/// Repetition, frequency and presence penalties over the last `last_n`
/// tokens, as llama.cpp and llm-samplers define them.
#[derive(Clone, Copy, Debug)]
pub struct Penalties {
    pub repeat: f32,
    pub frequency: f32,
    pub presence: f32,
    pub last_n: usize,
}

impl Penalties {
    /// The last `last_n` tokens of `history`.
    fn window<'h>(&self, history: &'h [u32]) -> &'h [u32] {
        &history[history.len().saturating_sub(self.last_n)..]
    }

    /// llama.cpp's formulas: divide a positive logit by `repeat` (multiply a
    /// non-positive one), then subtract `count * frequency + presence`.
    fn apply(&self, logit: f32, count: u32) -> f32 {
        let l = if logit <= 0.0 {
            logit * self.repeat
        } else {
            logit / self.repeat
        };
        l - (count as f32 * self.frequency + self.presence)
    }
}

/// The `llm-samplers` chain with its resources (a seeded RNG, and the token
/// history when it has penalties).
pub struct LlmSamplersChain {
    chain: SamplerChain,
    resources: SimpleSamplerResources,
    /// `Logits` keep only this many of the largest logits (0: all of them).
    prefilter: usize,
}

impl LlmSamplersChain {
    pub fn new(p: Params) -> Self {
        Self::build(p, None)
    }

    /// Its `SampleRepetition` and `SampleFreqPresence` in front of the chain,
    /// with `history` as the resources' last tokens. `Logits` keep the top-k
    /// plus the number of distinct tokens in the penalty window: penalties
    /// only lower those tokens, so the chain's top-k after them is among
    /// these (the same draws as the whole vocabulary, see the tests).
    pub fn with_penalties(p: Params, pen: Penalties, history: &[u32]) -> Self {
        Self::build(p, Some((pen, history)))
    }

    fn build(p: Params, pen: Option<(Penalties, &[u32])>) -> Self {
        use rand08::SeedableRng as _;
        let mut chain = SamplerChain::new();
        let mut prefilter = p.top_k;
        let mut last_tokens = None;
        if let Some((pen, history)) = pen {
            chain += SampleRepetition::new(pen.repeat, pen.last_n);
            chain += SampleFreqPresence::new(pen.frequency, pen.presence, pen.last_n);
            let distinct: std::collections::BTreeSet<u32> =
                pen.window(history).iter().copied().collect();
            if prefilter > 0 {
                prefilter += distinct.len();
            }
            last_tokens = Some(history.to_vec());
        }
        chain += SampleTemperature::new(p.temperature);
        if p.min_p > 0.0 {
            chain += SampleMinP::new(p.min_p, 1);
        }
        if p.top_k > 0 {
            chain += SampleTopK::new(p.top_k, 1);
        }
        if p.top_p < 1.0 {
            chain += SampleTopP::new(p.top_p, 1);
        }
        chain += SampleRandDistrib::new();
        let rng = rand08::rngs::StdRng::seed_from_u64(1);
        Self {
            chain,
            resources: SimpleSamplerResources::new(Some(Box::new(rng)), last_tokens),
            prefilter,
        }
    }

    /// Builds `Logits` from the `k` largest logits (0: all) instead of the
    /// chain's top-k: the same job whenever `k` is at least the top-k.
    pub fn with_prefilter(mut self, k: usize) -> Self {
        self.prefilter = k;
        self
    }

    pub fn sample(&mut self, logits: &[f32]) -> u32 {
        let logits = logits.iter().copied();
        let mut l = if self.prefilter > 0 {
            Logits::try_from_iter_top_k(logits, self.prefilter)
        } else {
            Logits::try_from_iter(logits)
        }
        .expect("no NaN logits");
        self.chain
            .sample_token(&mut self.resources, &mut l)
            .expect("a token")
            .unwrap_or(0)
    }
}

/// A multiplicative hasher for token ids: as cheap as libstdc++'s identity
/// hash of an `int` (llama.cpp's `unordered_map<llama_token, int>`), with
/// the high bits mixed as hashbrown needs.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(x as u64);
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// llama.cpp's `llama_token_data`.
#[derive(Clone, Copy, Debug)]
struct TokenData {
    id: u32,
    logit: f32,
    p: f32,
}

/// Plain Rust written like llama.cpp's sampling: the logits copied into a
/// candidate array of `(id, logit, p)`, the penalties by looking every
/// candidate up in a hash map of window counts, then top-k (select + sort
/// of the k) and temperature, min-p, top-p and the draw over those k.
pub struct LlamaCppStyle {
    p: Params,
    pen: Option<Penalties>,
    /// Counts of the window's tokens: built once, as llama.cpp keeps them
    /// up to date in `accept` rather than per call.
    counts: HashMap<u32, u32, BuildHasherDefault<IdHasher>>,
    cands: Vec<TokenData>,
    rng: SmallRng,
}

impl LlamaCppStyle {
    pub fn new(p: Params, pen: Option<(Penalties, &[u32])>) -> Self {
        let mut counts = HashMap::default();
        if let Some((pen, history)) = pen {
            for &t in pen.window(history) {
                *counts.entry(t).or_insert(0) += 1;
            }
        }
        Self {
            p,
            pen: pen.map(|(pen, _)| pen),
            counts,
            cands: Vec::new(),
            rng: rng(),
        }
    }

    pub fn sample(&mut self, logits: &[f32]) -> u32 {
        let c = &mut self.cands;
        c.clear();
        c.extend(logits.iter().enumerate().map(|(i, &logit)| TokenData {
            id: i as u32,
            logit,
            p: 0.0,
        }));
        if let Some(pen) = self.pen {
            for d in c.iter_mut() {
                if let Some(&count) = self.counts.get(&d.id) {
                    d.logit = pen.apply(d.logit, count);
                }
            }
        }
        let desc = |a: &TokenData, b: &TokenData| b.logit.total_cmp(&a.logit);
        let k = if self.p.top_k > 0 {
            self.p.top_k.min(c.len())
        } else {
            c.len()
        };
        if k < c.len() {
            c.select_nth_unstable_by(k - 1, desc);
            c.truncate(k);
        }
        c.sort_unstable_by(desc);
        // Temperature and softmax over the k, then min-p, then top-p, then the draw.
        let max = c[0].logit;
        for d in c.iter_mut() {
            d.p = ((d.logit - max) / self.p.temperature).exp();
        }
        // The max's p is 1: min-p keeps p >= min_p.
        let keep = c.iter().take_while(|d| d.p >= self.p.min_p).count();
        let kept = &c[..keep];
        let mass: f32 = kept.iter().map(|d| d.p).sum();
        let mut cum = 0.0;
        let mut nucleus = keep;
        for (i, d) in kept.iter().enumerate() {
            cum += d.p / mass;
            if cum >= self.p.top_p {
                nucleus = i + 1;
                break;
            }
        }
        let kept = &kept[..nucleus];
        let total: f32 = kept.iter().map(|d| d.p).sum();
        let target = self.rng.random::<f32>() * total;
        let mut acc = 0.0;
        for d in kept {
            acc += d.p;
            if acc > target {
                return d.id;
            }
        }
        kept[kept.len() - 1].id
    }
}

/// Softmax, rand's `WeightedIndex` over the probabilities, one draw.
pub fn weighted_index_draw(logits: &mut [f32], rng: &mut SmallRng) -> u32 {
    softmax(logits, 1.0);
    WeightedIndex::new(logits.iter())
        .expect("weights")
        .sample(rng) as u32
}

/// Softmax, rand_distr's `WeightedAliasIndex`, one draw.
pub fn weighted_alias_draw(logits: &mut [f32], rng: &mut SmallRng) -> u32 {
    softmax(logits, 1.0);
    WeightedAliasIndex::new(logits.to_vec())
        .expect("weights")
        .sample(rng) as u32
}

/// A peer's whole draw: logits in, token out.
pub type Draw = fn(&mut [f32], &mut SmallRng) -> u32;

/// The peers' generator.
pub fn rng() -> SmallRng {
    SmallRng::seed_from_u64(1)
}

/// candle-transformers' `LogitsProcessor`, fed a CPU tensor built from the logits.
#[cfg(feature = "candle")]
pub struct CandleProcessor(candle_transformers::generation::LogitsProcessor);

#[cfg(feature = "candle")]
impl CandleProcessor {
    /// Top-k then top-p when either is set (candle has no min-p), plain
    /// temperature sampling otherwise.
    pub fn new(p: Params) -> Self {
        use candle_transformers::generation::{LogitsProcessor, Sampling};
        let temperature = p.temperature as f64;
        let sampling = if p.top_k > 0 {
            Sampling::TopKThenTopP {
                k: p.top_k,
                p: p.top_p as f64,
                temperature,
            }
        } else {
            Sampling::All { temperature }
        };
        CandleProcessor(LogitsProcessor::from_sampling(1, sampling))
    }

    pub fn sample(&mut self, logits: &[f32]) -> u32 {
        let t = candle_core::Tensor::new(logits, &candle_core::Device::Cpu).expect("tensor");
        self.0.sample(&t).expect("a token")
    }
}

/// llm-samplers' shape samplers, each on the whole vocabulary (`Logits::try_from_iter`).
pub struct LlmSamplersShape {
    chain: SamplerChain,
    resources: SimpleSamplerResources,
}

impl LlmSamplersShape {
    fn build(chain: SamplerChain) -> Self {
        use rand08::SeedableRng as _;
        let rng = rand08::rngs::StdRng::seed_from_u64(1);
        Self {
            chain,
            resources: SimpleSamplerResources::new(Some(Box::new(rng)), None),
        }
    }

    /// `SampleLocallyTypical(p, 1)` then `SampleRandDistrib`.
    pub fn typical(p: f32) -> Self {
        let mut chain = SamplerChain::new();
        chain += llm_samplers::prelude::SampleLocallyTypical::new(p, 1);
        chain += SampleRandDistrib::new();
        Self::build(chain)
    }

    /// `SampleMirostat1(n_vocab, tau, eta)`, which draws the token itself.
    pub fn mirostat1(n_vocab: usize, tau: f32, eta: f32) -> Self {
        let mut chain = SamplerChain::new();
        chain += llm_samplers::prelude::SampleMirostat1::new(n_vocab, tau, eta);
        Self::build(chain)
    }

    /// `SampleMirostat2(tau, eta)`, which draws the token itself.
    pub fn mirostat2(tau: f32, eta: f32) -> Self {
        let mut chain = SamplerChain::new();
        chain += llm_samplers::prelude::SampleMirostat2::new(tau, eta);
        Self::build(chain)
    }

    /// `SampleRandDistrib` alone: the full-vocabulary draw.
    pub fn draw() -> Self {
        let mut chain = SamplerChain::new();
        chain += SampleRandDistrib::new();
        Self::build(chain)
    }

    pub fn sample(&mut self, logits: &[f32]) -> u32 {
        let mut l = Logits::try_from_iter(logits.iter().copied()).expect("no NaN logits");
        self.chain
            .sample_token(&mut self.resources, &mut l)
            .expect("a token")
            .unwrap_or(0)
    }
}
