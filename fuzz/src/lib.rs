//! Input decoding and shared checks for the fuzz targets of `logit-sampler`.
//!
//! Every target decodes its bytes into plain values (so a crash report's
//! `Debug` is the input itself, printed as Rust that a regression test can
//! paste) and checks the call against what the crate documents and the f64
//! reference in `sampler-tests` predicts.
//!
//! Floats are decoded so that every value is reachable and the interesting ones
//! are common: a tag byte picks raw bits (every `f32`: NaN payloads, ±inf,
//! ±0, subnormals, ±`f32::MAX`), a coarse grid (exact ties), a fine grid, an
//! edge-value table, or the previous value moved a few ulps (near-ties at
//! every filter boundary). A vector of them can then be extended to up to
//! [`MAX_LEN`] entries (repeated, model-like noise, `-inf` padding, or
//! descending copies), so that the streaming paths beyond every tested
//! capacity run from a short input.
//!
//! The sampler targets also decode a context ([`SamplerInput`]): penalty
//! and DRY parameters (on, off or invalid, windows up to the history or
//! past it), an accepted-token history over a small alphabet (repeating, so
//! that DRY finds repetitions), DRY breakers, and a call's logit bias and
//! allowed-token mask, fitted to the vocabulary once it is decoded (ids in
//! range and past it; NaN, `±inf`; masks too short, exact or longer). The
//! setup both sampler targets share (building a sampler and predicting its
//! error, priming its history) is here too.

use std::fmt;
use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use logit_sampler::{Constraints, Mirostat, SampleError, Sampler, SamplerConfig, Stage};
use sampler_tests::{Context, reference_config_error, reference_order_error};

/// Longest vector a target builds: long enough to exceed `Sampler<4096>`'s
/// scratch, short enough to keep executions per second high.
pub const MAX_LEN: usize = 5000;

/// The crate docs ("Exactness"): tokens with weight `w < 2^-31` of the max's,
/// "more than 21.5 nats below the max, after temperature", get mass 0 and are
/// never drawn. A drawn token's scaled logit is therefore at least this.
pub const NEVER_DRAWN_BELOW: f64 = -21.5;

/// Edge values the float decoder picks by index.
pub const SPECIAL: [f32; 40] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    -f32::NAN,
    f32::MAX,
    -f32::MAX,
    f32::MIN_POSITIVE,
    -f32::MIN_POSITIVE,
    1e-45,
    -1e-45,
    1.1754942e-38, // largest subnormal
    1e-40,
    f32::EPSILON,
    0.99999994, // 1 - 2^-24, the largest f32 below 1
    1.0000001,  // 1 + 2^-23
    3e38,
    -3e38,
    1e30,
    -1e30,
    16_777_216.0, // 2^24
    21.5,
    -21.5,
    -21.4875, // ln 2^-31, where masses round to 0
    22.0,
    -22.0,
    32.0,
    -32.0,
    87.33655,
    -87.33655,
    -103.97208,
    -104.0,
    0.1,
    0.01,
    0.99,
];

/// One float, any bit pattern reachable; `prev` is the value decoded before
/// it (for the "a few ulps away" case).
pub fn any_f32(u: &mut Unstructured, prev: f32) -> arbitrary::Result<f32> {
    let tag = u8::arbitrary(u)?;
    Ok(match tag % 8 {
        // Multiples of 1/64 in ±512: many exact ties.
        0..=2 => f32::from(i16::arbitrary(u)?) / 64.0,
        // Multiples of 2^-21 in ±1024.
        3 => i32::arbitrary(u)? as f32 * (1.0 / 2_097_152.0),
        4 | 5 => f32::from_bits(u32::arbitrary(u)?),
        6 => SPECIAL[usize::from(u8::arbitrary(u)?) % SPECIAL.len()],
        _ => nudge(prev, i8::arbitrary(u)?),
    })
}

/// `x` moved `ulps` steps along the total order of floats (`-0.0` and `+0.0`
/// are one step apart; past ±inf it runs into NaN bit patterns, which is fine:
/// any value is a valid input).
pub fn nudge(x: f32, ulps: i8) -> f32 {
    let bits = x.to_bits();
    let key = if bits >> 31 == 1 {
        !bits
    } else {
        bits | 0x8000_0000
    };
    let key = key.wrapping_add(ulps as i32 as u32);
    f32::from_bits(if key >> 31 == 1 {
        key & 0x7fff_ffff
    } else {
        !key
    })
}

/// A uniform in `[0, 1]`, both ends included, on a 2^-16 grid.
fn unit(u: &mut Unstructured) -> arbitrary::Result<f32> {
    Ok(f32::from(u16::arbitrary(u)?) / 65_535.0)
}

/// A parameter such as a temperature, min-p or top-p: mostly in its useful
/// range, but 0, 1, powers of two from 2^-32 to 2^31.75 and any float too.
pub fn param(u: &mut Unstructured) -> arbitrary::Result<f32> {
    let tag = u8::arbitrary(u)?;
    Ok(match tag % 8 {
        0..=2 => unit(u)?,
        3 => 1.0,
        4 => 0.0,
        5 => 2f32.powf(f32::from(i8::arbitrary(u)?) / 4.0),
        _ => any_f32(u, 1.0)?,
    })
}

/// top-k: 0 (off), small, medium, or any `usize`.
pub fn top_k(u: &mut Unstructured) -> arbitrary::Result<usize> {
    let tag = u8::arbitrary(u)?;
    Ok(match tag % 4 {
        0 => 0,
        1 => usize::from(u8::arbitrary(u)?),
        2 => usize::from(u16::arbitrary(u)?),
        _ => u64::arbitrary(u)? as usize,
    })
}

/// Every valid order that names all six stages: penalties, DRY, then each
/// permutation of the four filters.
pub fn permutations() -> &'static [Vec<Stage>] {
    static ORDERS: OnceLock<Vec<Vec<Stage>>> = OnceLock::new();
    ORDERS.get_or_init(sampler_tests::all_orders)
}

/// A stage order: usually all six stages (context stages first, in either
/// order, then a permutation of the filters), sometimes any sequence of up
/// to eight stages (duplicates, a context stage after a filter, or a stage
/// the configuration turns on left out make it invalid).
pub fn order(u: &mut Unstructured, swap_context: bool) -> arbitrary::Result<Vec<Stage>> {
    const STAGES: [Stage; Stage::COUNT] = Stage::DEFAULT_ORDER;
    let tag = u8::arbitrary(u)?;
    if tag < 224 {
        let all = permutations();
        let mut order = all[usize::from(tag) % all.len()].clone();
        if swap_context {
            order.swap(0, 1);
        }
        return Ok(order);
    }
    let len = usize::from(tag % 9);
    let mut order = Vec::with_capacity(len);
    for _ in 0..len {
        order.push(STAGES[usize::from(u8::arbitrary(u)?) % STAGES.len()]);
    }
    Ok(order)
}

/// A configuration of the filter stages (temperature, min-p, top-k, top-p),
/// valid or not; the context stages off.
pub fn config(u: &mut Unstructured) -> arbitrary::Result<SamplerConfig> {
    Ok(SamplerConfig {
        temperature: param(u)?,
        min_p: param(u)?,
        top_k: top_k(u)?,
        top_p: param(u)?,
        ..SamplerConfig::DEFAULT
    })
}

/// Smallest history size of the targets' samplers: windows up to it are
/// valid at every capacity.
pub const HISTORY: usize = 32;

/// A signed penalty or multiplier: 0 (off), in `[-2, 2]`, a [`param`], or any float.
fn signed(u: &mut Unstructured) -> arbitrary::Result<f32> {
    let tag = u8::arbitrary(u)?;
    Ok(match tag % 4 {
        0 => 0.0,
        1 => unit(u)? * 4.0 - 2.0,
        2 => param(u)?,
        _ => any_f32(u, 0.0)?,
    })
}

/// A penalty or DRY window: 0 (off), up to [`HISTORY`] (valid on every
/// sampler), up to 64 (valid on the larger histories only), or any `usize`.
fn window(u: &mut Unstructured) -> arbitrary::Result<usize> {
    let tag = u8::arbitrary(u)?;
    Ok(match tag % 8 {
        0 => 0,
        1..=5 => usize::from(u8::arbitrary(u)?) % (HISTORY + 1),
        6 => HISTORY + 1 + usize::from(u8::arbitrary(u)?) % 32,
        _ => u64::arbitrary(u)? as usize,
    })
}

/// The context stages' parameters (penalties and DRY), on, off or invalid.
fn context_config(u: &mut Unstructured, c: &mut SamplerConfig) -> arbitrary::Result<()> {
    let tag = u8::arbitrary(u)?;
    c.repeat_penalty = match tag % 4 {
        0 => 1.0,
        1 => 0.5 + unit(u)? * 2.5,
        2 => param(u)?,
        _ => any_f32(u, 1.0)?,
    };
    c.frequency_penalty = signed(u)?;
    c.presence_penalty = signed(u)?;
    c.penalty_last_n = window(u)?;
    c.dry_multiplier = match tag / 4 % 4 {
        0 => 0.0,
        1 => unit(u)? * 3.0,
        2 => param(u)?,
        _ => any_f32(u, 0.0)?,
    };
    // 1.75 (llama.cpp's), up to 3, a parameter (below 1 is invalid; large
    // powers of two cap the exponent), or any float.
    c.dry_base = match tag / 16 % 4 {
        0 => 1.75,
        1 => 1.0 + unit(u)? * 2.0,
        2 => param(u)?,
        _ => any_f32(u, 1.75)?,
    };
    let allowed = u8::arbitrary(u)?;
    c.dry_allowed_length = if allowed < 224 {
        usize::from(allowed % 6)
    } else {
        u32::arbitrary(u)? as usize
    };
    c.dry_penalty_last_n = window(u)?;
    Ok(())
}

/// The shape stages' parameters (typical-p, top-n-sigma, XTC, dynamic
/// temperature, min_keep, mirostat): on, off or invalid.
fn shape_config(u: &mut Unstructured, c: &mut SamplerConfig) -> arbitrary::Result<()> {
    let tag = u16::arbitrary(u)?;
    let pick = |u: &mut Unstructured, sel: u16, off: f32, scale: f32| -> arbitrary::Result<f32> {
        Ok(match sel % 4 {
            0 => off,
            1 => unit(u)? * scale,
            2 => param(u)?,
            _ => any_f32(u, off)?,
        })
    };
    c.typical_p = pick(u, tag, 1.0, 1.0)?;
    c.top_n_sigma = pick(u, tag >> 2, 0.0, 3.0)?;
    c.xtc_probability = pick(u, tag >> 4, 0.0, 1.0)?;
    c.xtc_threshold = pick(u, tag >> 6, 0.1, 0.6)?;
    c.dynatemp_range = pick(u, tag >> 8, 0.0, 2.0)?;
    c.dynatemp_exponent = pick(u, tag >> 10, 1.0, 3.0)?;
    c.min_keep = usize::from(u8::arbitrary(u)? % 8);
    let (tau, eta) = (pick(u, 1, 5.0, 10.0)?, pick(u, tag >> 12, 0.1, 1.0)?);
    c.mirostat = match u8::arbitrary(u)? % 8 {
        0 => Mirostat::V1 {
            tau,
            eta,
            m: usize::from(u8::arbitrary(u)?),
        },
        1 => Mirostat::V2 { tau, eta },
        _ => Mirostat::Off,
    };
    Ok(())
}

/// Every stage: the context stages, then the seven filters in an arbitrary
/// permutation (a Fisher-Yates shuffle driven by the input).
fn shape_order(u: &mut Unstructured) -> arbitrary::Result<Vec<Stage>> {
    let mut filters = [
        Stage::TopNSigma,
        Stage::Temperature,
        Stage::MinP,
        Stage::TopK,
        Stage::TopP,
        Stage::Typical,
        Stage::Xtc,
    ];
    for i in (1..filters.len()).rev() {
        let j = usize::from(u8::arbitrary(u)?) % (i + 1);
        filters.swap(i, j);
    }
    let mut order = vec![Stage::Penalties, Stage::Dry];
    order.extend(filters);
    Ok(order)
}

/// A token of a history or a DRY breaker: mostly from a small alphabet (so
/// that sequences repeat), sometimes any id (most of them past the vocabulary).
fn token(u: &mut Unstructured, alphabet: u32) -> arbitrary::Result<u32> {
    let b = u8::arbitrary(u)?;
    Ok(if b < 240 {
        u32::from(b) % alphabet
    } else {
        u32::arbitrary(u)?
    })
}

/// An accepted-token history of up to 128 tokens (past every sampler's
/// `HISTORY`, so the ring wraps): a repeated pattern (long repetitions for
/// DRY) or tokens one by one.
fn history(u: &mut Unstructured, alphabet: u32) -> arbitrary::Result<Vec<u32>> {
    let mode = u8::arbitrary(u)?;
    let len = usize::from(u8::arbitrary(u)? % 129);
    if mode % 2 == 0 {
        let period = 1 + usize::from(mode / 2 % 12);
        let mut pattern = Vec::with_capacity(period);
        for _ in 0..period {
            pattern.push(token(u, alphabet)?);
        }
        Ok((0..len).map(|i| pattern[i % period]).collect())
    } else {
        (0..len).map(|_| token(u, alphabet)).collect()
    }
}

/// DRY sequence breakers: usually up to 3 of 1 to 3 tokens, sometimes too
/// many, empty or too long ones.
fn breakers(u: &mut Unstructured, alphabet: u32) -> arbitrary::Result<Vec<Vec<u32>>> {
    let c = u8::arbitrary(u)?;
    let count = usize::from(if c < 200 { c % 4 } else { c % 20 });
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let b = u8::arbitrary(u)?;
        let len = usize::from(if b < 220 { 1 + b % 3 } else { b % 24 });
        let mut breaker = Vec::with_capacity(len);
        for _ in 0..len {
            breaker.push(token(u, alphabet)?);
        }
        out.push(breaker);
    }
    Ok(out)
}

/// A logit bias entry's token before the vocabulary is known.
#[derive(Clone, Copy)]
enum BiasToken {
    /// Taken modulo the vocabulary.
    Inside(u16),
    /// `vocab + k`: just out of range.
    Past(u8),
    /// Any id.
    Raw(u32),
}

/// A logit bias value: finite (mostly in `[-5, 5]`), `-inf` (a ban), `+inf`
/// and NaN (errors), any float, or an edge value.
fn bias_value(u: &mut Unstructured) -> arbitrary::Result<f32> {
    let tag = u8::arbitrary(u)?;
    Ok(match tag % 8 {
        0..=2 => unit(u)? * 10.0 - 5.0,
        3 => f32::NEG_INFINITY,
        4 => f32::INFINITY,
        5 => f32::NAN,
        6 => any_f32(u, 0.0)?,
        _ => SPECIAL[usize::from(u8::arbitrary(u)?) % SPECIAL.len()],
    })
}

/// Up to 5 bias entries, sometimes repeated to past
/// [`MAX_FINITE_BIAS`](logit_sampler::MAX_FINITE_BIAS) entries.
fn bias_spec(u: &mut Unstructured) -> arbitrary::Result<(Vec<(BiasToken, f32)>, usize)> {
    let c = u8::arbitrary(u)?;
    let count = usize::from(c % 6);
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let tag = u8::arbitrary(u)?;
        let token = match tag {
            0..=199 => BiasToken::Inside(u16::arbitrary(u)?),
            200..=239 => BiasToken::Past(tag % 3),
            _ => BiasToken::Raw(u32::arbitrary(u)?),
        };
        entries.push((token, bias_value(u)?));
    }
    let len = if c >= 240 {
        logit_sampler::MAX_FINITE_BIAS + 1 + usize::from(c % 4)
    } else {
        count
    };
    Ok((entries, len))
}

/// An allowed-token mask before the vocabulary is known: its length (the
/// words needed, fewer, or more), a few words, and what fills the rest.
#[derive(Clone)]
struct MaskSpec {
    mode: u8,
    words: Vec<u32>,
    seed: u32,
}

fn mask_spec(u: &mut Unstructured) -> arbitrary::Result<MaskSpec> {
    let mode = u8::arbitrary(u)?;
    let count = 1 + usize::from(u8::arbitrary(u)? % 4);
    let mut words = Vec::with_capacity(count);
    for _ in 0..count {
        let tag = u8::arbitrary(u)?;
        words.push(match tag % 4 {
            0 => u32::MAX,
            1 => 0,
            2 => u32::arbitrary(u)?,
            _ => 1 << (u8::arbitrary(u)? % 32),
        });
    }
    Ok(MaskSpec {
        mode,
        words,
        seed: u32::arbitrary(u)?,
    })
}

impl MaskSpec {
    /// The mask for a vocabulary of `n`.
    fn build(&self, n: usize) -> Vec<u32> {
        let needed = n.div_ceil(32);
        let k = usize::from(self.mode >> 2) % 3;
        let len = match self.mode % 4 {
            2 => needed.saturating_sub(1 + k),
            3 => needed + k,
            _ => needed,
        };
        let mut next = sampler_tests::splitmix(u64::from(self.seed));
        (0..len)
            .map(|i| match (self.words.get(i), self.mode >> 4 & 3) {
                (Some(&w), _) => w,
                (None, 0) => self.words[i % self.words.len()],
                (None, 1) => u32::MAX,
                (None, 2) => 0,
                // Random words: mixed runs everywhere.
                (None, _) => next() as u32,
            })
            .collect()
    }
}

/// A vector of floats, reading the rest of the input: a header (extension
/// mode, target length, seed, an optional poke), then one float per step
/// until the data runs out or `max_len` is reached.
pub fn values(u: &mut Unstructured, max_len: usize) -> arbitrary::Result<Vec<f32>> {
    let mode = u8::arbitrary(u)?;
    // Extensions up to 1100 entries (past a 1024-id chunk) are common, up to
    // `max_len` (past `Sampler<4096>`'s scratch) rarer: they cost the most.
    let longest = if mode & 0x30 == 0x30 {
        max_len
    } else {
        max_len.min(1100)
    };
    let target = usize::from(u16::arbitrary(u)?) % (longest + 1);
    let seed = u32::arbitrary(u)?;
    let poke_at = usize::from(u16::arbitrary(u)?);
    let poke = any_f32(u, 0.0)?;
    let mut xs = Vec::new();
    let mut prev = 0.0;
    while !u.is_empty() && xs.len() < max_len {
        prev = any_f32(u, prev)?;
        xs.push(prev);
    }
    extend(&mut xs, mode % 8, target, seed);
    if mode & 8 != 0 && !xs.is_empty() {
        let at = poke_at % xs.len();
        xs[at] = poke;
    }
    Ok(xs)
}

/// Grows `xs` to `target` entries (modes 4 to 7; 0 to 3 leave it as it is).
fn extend(xs: &mut Vec<f32>, mode: u8, target: usize, seed: u32) {
    let base = xs.len();
    if target <= base {
        return;
    }
    match mode {
        // Repeated: ties everywhere, and a NaN or +inf repeated far out.
        4 if base > 0 => {
            for i in base..target {
                xs.push(xs[i % base]);
            }
        }
        // Model-like noise, with `spread` from 1 to 128 and, for odd seeds,
        // values on a 1/8 grid (ties at every filter boundary).
        5 => {
            let mut next = sampler_tests::splitmix(u64::from(seed));
            let spread = f32::from(1u8 << ((seed >> 24) % 8));
            while xs.len() < target {
                let z = next();
                let x = ((z >> 40) as f32 * (1.0 / 16_777_216.0) - 0.5) * 2.0 * spread;
                xs.push(if seed & 1 == 1 {
                    (x * 8.0).round() / 8.0
                } else {
                    x
                });
            }
        }
        // A few candidates in a long vocabulary of impossible tokens.
        6 => xs.resize(target, f32::NEG_INFINITY),
        // Copies of the base, each a quarter below the last.
        7 if base > 0 => {
            for i in base..target {
                xs.push(xs[i % base] - (i / base) as f32 * 0.25);
            }
        }
        _ => {}
    }
}

/// Turns arbitrary floats into weights: as they are (negative, NaN and
/// infinite ones are errors), absolute values, or absolute values with the
/// non-finite ones replaced by 0 or 1 (always valid).
pub fn weights(xs: Vec<f32>, mode: u8) -> Vec<f32> {
    match mode % 4 {
        0 => xs,
        1 => xs.into_iter().map(f32::abs).collect(),
        2 => xs
            .into_iter()
            .map(|x| if x.is_finite() { x.abs() } else { 0.0 })
            .collect(),
        _ => xs
            .into_iter()
            .map(|x| if x.is_finite() { x.abs() } else { 1.0 })
            .collect(),
    }
}

/// The error the crate documents for a weight slice (`sample_inverse_cdf`,
/// `AliasTable::new`), before the entry point's own checks: empty, then the
/// first negative, NaN or infinite weight.
pub fn weights_error(ws: &[f32]) -> Option<SampleError> {
    if ws.is_empty() {
        return Some(SampleError::Empty);
    }
    ws.iter()
        .position(|w| !(*w >= 0.0 && *w < f32::INFINITY))
        .map(|index| SampleError::InvalidWeight { index })
}

/// Bit-for-bit equality of two float slices.
pub fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Equality of errors as the proptest suite compares them (`Debug` text, so
/// that a NaN payload equals itself).
pub fn same_error(a: &SampleError, b: &SampleError) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// Asserts `got` is the error `want` predicts.
#[track_caller]
pub fn assert_error(got: &SampleError, want: Option<SampleError>, what: &str) {
    match want {
        Some(want) => assert!(
            same_error(got, &want),
            "{what}: got {got:?}, the reference predicts {want:?}"
        ),
        None => panic!("{what}: got {got:?}, the reference predicts success"),
    }
}

/// A float as a Rust expression that reproduces its bits.
pub struct Exact(pub f32);

impl fmt::Debug for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x.is_nan() {
            write!(f, "f32::from_bits({:#010x})", x.to_bits())
        } else if x == f32::INFINITY {
            f.write_str("f32::INFINITY")
        } else if x == f32::NEG_INFINITY {
            f.write_str("f32::NEG_INFINITY")
        } else {
            // Shortest round-trip text: parses back to the same bits.
            write!(f, "{x:?}")
        }
    }
}

/// A slice of floats as a Rust `vec![...]` expression.
pub struct ExactVec<'a>(pub &'a [f32]);

impl fmt::Debug for ExactVec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("vec![")?;
        for (i, x) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{:?}", Exact(*x))?;
        }
        f.write_str("]")
    }
}

/// A configuration as a Rust expression.
pub struct ExactConfig(pub SamplerConfig);

impl fmt::Debug for ExactConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        write!(
            f,
            "SamplerConfig {{ temperature: {:?}, min_p: {:?}, top_k: {}, top_p: {:?}, \
             repeat_penalty: {:?}, frequency_penalty: {:?}, presence_penalty: {:?}, \
             penalty_last_n: {}, dry_multiplier: {:?}, dry_base: {:?}, \
             dry_allowed_length: {}, dry_penalty_last_n: {}, typical_p: {:?}, \
             top_n_sigma: {:?}, xtc_probability: {:?}, xtc_threshold: {:?}, \
             dynatemp_range: {:?}, dynatemp_exponent: {:?}, min_keep: {}, mirostat: {:?} }}",
            Exact(c.temperature),
            Exact(c.min_p),
            c.top_k,
            Exact(c.top_p),
            Exact(c.repeat_penalty),
            Exact(c.frequency_penalty),
            Exact(c.presence_penalty),
            c.penalty_last_n,
            Exact(c.dry_multiplier),
            Exact(c.dry_base),
            c.dry_allowed_length,
            c.dry_penalty_last_n,
            Exact(c.typical_p),
            Exact(c.top_n_sigma),
            Exact(c.xtc_probability),
            Exact(c.xtc_threshold),
            Exact(c.dynatemp_range),
            Exact(c.dynatemp_exponent),
            c.min_keep,
            c.mirostat,
        )
    }
}

/// Input of the `sample` and `distribution_in_place` targets: a sampler's
/// configuration, order, history and DRY breakers, a call's constraints and
/// top-slice length, and the logits.
///
/// Decoded as: a byte of flags, then the filter parameters, the context
/// parameters (flag 1; else off), the order (flag 32 swaps penalties and
/// DRY), the seed, the token alphabet and history (flag 2) and breakers
/// (flag 4), the logit
/// bias (flag 8), the mask (flag 16), the top-slice length (flag 64), and
/// the logits from the rest ([`values`]). Bias ids and the mask are fitted
/// to the vocabulary once it is known. A flag byte of 0 decodes the rest as
/// the targets did before the context stages (arbitrary stage sequences aside).
pub struct SamplerInput {
    /// The configuration, valid or not.
    pub config: SamplerConfig,
    /// The stage order, valid or not.
    pub order: Vec<Stage>,
    /// Seed of the `Pcg32` the draw uses.
    pub seed: u64,
    /// Tokens accepted before the call, oldest first (samplers keep the last `H`).
    pub history: Vec<u32>,
    /// DRY sequence breakers, valid or not.
    pub breakers: Vec<Vec<u32>>,
    /// The call's logit bias (ids out of range, NaN and `+inf` included).
    pub logit_bias: Vec<(u32, f32)>,
    /// The call's allowed-token mask (possibly too short).
    pub allowed: Option<Vec<u32>>,
    /// Length of the `top` slice passed to `sample_with`.
    pub top_len: usize,
    /// The logits.
    pub logits: Vec<f32>,
}

impl<'a> Arbitrary<'a> for SamplerInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let flags = u8::arbitrary(u)?;
        let mut config = config(u)?;
        if flags & 1 != 0 {
            context_config(u, &mut config)?;
        }
        let order = if flags & 128 != 0 {
            shape_config(u, &mut config)?;
            shape_order(u)?
        } else {
            order(u, flags & 32 != 0)?
        };
        let seed = u64::arbitrary(u)?;
        let alphabet = if flags & 6 != 0 {
            1 + u32::from(u8::arbitrary(u)? % 16)
        } else {
            1
        };
        let history = if flags & 2 != 0 {
            history(u, alphabet)?
        } else {
            Vec::new()
        };
        let breakers = if flags & 4 != 0 {
            breakers(u, alphabet)?
        } else {
            Vec::new()
        };
        let bias = if flags & 8 != 0 {
            bias_spec(u)?
        } else {
            (Vec::new(), 0)
        };
        let mask = if flags & 16 != 0 {
            Some(mask_spec(u)?)
        } else {
            None
        };
        let top_len = if flags & 64 != 0 {
            let b = u8::arbitrary(u)?;
            if b < 192 {
                usize::from(b % 12)
            } else {
                usize::from(b - 192) * 8
            }
        } else {
            0
        };
        let logits = values(u, MAX_LEN)?;
        let n = logits.len();
        let (entries, bias_len) = bias;
        let logit_bias = entries
            .iter()
            .cycle()
            .take(bias_len)
            .map(|&(t, b)| {
                let t = match t {
                    BiasToken::Inside(i) if n > 0 => (usize::from(i) % n) as u32,
                    BiasToken::Inside(i) => u32::from(i),
                    BiasToken::Past(k) => n as u32 + u32::from(k),
                    BiasToken::Raw(t) => t,
                };
                (t, b)
            })
            .collect();
        Ok(Self {
            config,
            order,
            seed,
            history,
            breakers,
            logit_bias,
            allowed: mask.map(|m| m.build(n)),
            top_len,
            logits,
        })
    }
}

impl fmt::Debug for SamplerInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "let config = {:?};", ExactConfig(self.config))?;
        let order: Vec<String> = self.order.iter().map(|s| format!("Stage::{s:?}")).collect();
        writeln!(f, "let order = [{}];", order.join(", "))?;
        writeln!(f, "let seed = {};", self.seed)?;
        writeln!(f, "let history: Vec<u32> = vec!{:?};", self.history)?;
        let breakers: Vec<String> = self.breakers.iter().map(|b| format!("&{b:?}")).collect();
        writeln!(f, "let breakers: &[&[u32]] = &[{}];", breakers.join(", "))?;
        let bias: Vec<String> = self
            .logit_bias
            .iter()
            .map(|&(t, b)| format!("({t}, {:?})", Exact(b)))
            .collect();
        writeln!(
            f,
            "let logit_bias: Vec<(u32, f32)> = vec![{}];",
            bias.join(", ")
        )?;
        match &self.allowed {
            Some(m) => writeln!(f, "let allowed: Option<Vec<u32>> = Some(vec!{m:?});")?,
            None => writeln!(f, "let allowed: Option<Vec<u32>> = None;")?,
        }
        writeln!(f, "let top_len = {};", self.top_len)?;
        write!(f, "let logits: Vec<f32> = {:?};", ExactVec(&self.logits))
    }
}

/// A window longer than a sampler's history (or than `MAX_WINDOW`), as
/// `Sampler::new` reports it.
fn window_error(window: usize, history: usize) -> Option<SampleError> {
    let history = history.min(logit_sampler::MAX_WINDOW);
    (window > history).then_some(SampleError::WindowExceedsHistory { window, history })
}

/// The error `with_dry_breakers` documents for `breakers`: too many, too many
/// tokens in all, then the first empty or too long one.
pub fn breakers_error(breakers: &[Vec<u32>]) -> Option<SampleError> {
    use logit_sampler::{MAX_DRY_BREAKER_LEN, MAX_DRY_BREAKER_TOKENS, MAX_DRY_BREAKERS};
    if breakers.len() > MAX_DRY_BREAKERS {
        return Some(SampleError::CapacityExceeded {
            len: breakers.len(),
            capacity: MAX_DRY_BREAKERS,
        });
    }
    let total: usize = breakers.iter().map(Vec::len).sum();
    if total > MAX_DRY_BREAKER_TOKENS {
        return Some(SampleError::CapacityExceeded {
            len: total,
            capacity: MAX_DRY_BREAKER_TOKENS,
        });
    }
    breakers
        .iter()
        .position(|b| b.is_empty() || b.len() > MAX_DRY_BREAKER_LEN)
        .map(|index| SampleError::InvalidDryBreaker {
            index,
            len: breakers[index].len(),
        })
}

impl SamplerInput {
    /// The breakers as the slices `with_dry_breakers` and [`Context`] take.
    pub fn breaker_slices(&self) -> Vec<&[u32]> {
        self.breakers.iter().map(Vec::as_slice).collect()
    }

    /// The call's constraints.
    pub fn constraints(&self) -> Constraints<'_> {
        Constraints {
            logit_bias: &self.logit_bias,
            allowed: self.allowed.as_deref(),
        }
    }

    /// Whether the constraints are empty (`sample_with` must then agree with `sample`).
    pub fn unconstrained(&self) -> bool {
        self.logit_bias.is_empty() && self.allowed.is_none()
    }

    /// The reference's context: the history, the breakers, and the call's
    /// constraints if `constrained` (`sample_with`), none otherwise (`sample`).
    pub fn context<'a>(&'a self, breakers: &'a [&'a [u32]], constrained: bool) -> Context<'a> {
        Context {
            history: &self.history,
            breakers,
            constraints: if constrained {
                self.constraints()
            } else {
                Constraints::default()
            },
            xtc_idle: !self.xtc_fires(),
            ..Context::default()
        }
    }

    /// Whether XTC's coin fires for a call with a fresh generator from the
    /// input's seed (the coin is its first output; the sampler's rule).
    pub fn xtc_fires(&self) -> bool {
        use logit_sampler::rand_core::{Rng, SeedableRng};
        let coin = logit_sampler::Pcg32::seed_from_u64(self.seed).next_u64();
        ((coin >> 40) as f32) < self.config.xtc_probability * 16_777_216.0
    }

    /// The generator outputs a successful sampling call consumes: XTC's coin
    /// (when it is on and mirostat off), then the draw's.
    pub fn words_per_call(&self) -> usize {
        let c = &self.config;
        1 + usize::from(c.xtc_probability > 0.0 && c.mirostat == Mirostat::Off)
    }

    /// Whether a stage whose output is not monotone in its input acts
    /// (typical-p, XTC): the reference's strict and loose sets then bound
    /// nothing, and only inputs it pins are checked against it.
    pub fn non_monotone(&self) -> bool {
        let c = &self.config;
        c.mirostat == Mirostat::Off && (c.typical_p < 1.0 || c.xtc_probability > 0.0)
    }

    /// The error building a `Sampler<_, H>` for this input reports:
    /// configuration, windows, order, then breakers.
    pub fn build_error<const H: usize>(&self) -> Option<SampleError> {
        let c = &self.config;
        reference_config_error(c)
            .or_else(|| window_error(c.penalty_last_n, H))
            .or_else(|| window_error(c.dry_penalty_last_n, H))
            .or_else(|| reference_order_error(&self.order, c))
            .or_else(|| breakers_error(&self.breakers))
    }

    /// `Sampler::<CAP, H>::new`, `with_order`, `with_dry_breakers`: the
    /// sampler, or `None` after asserting that the error is the predicted one.
    pub fn build<const CAP: usize, const H: usize>(&self) -> Option<Sampler<CAP, H>> {
        let expected = self.build_error::<H>();
        let breakers = self.breaker_slices();
        let built = Sampler::<CAP, H>::new(self.config)
            .and_then(|s| s.with_order(&self.order))
            .and_then(|s| s.with_dry_breakers(&breakers));
        match built {
            Err(e) => {
                assert_error(&e, expected, &format!("building a Sampler<{CAP}, {H}>"));
                None
            }
            Ok(s) => {
                assert!(
                    expected.is_none(),
                    "Sampler<{CAP}, {H}> built, but {expected:?} predicted"
                );
                assert_eq!(s.config(), self.config, "the configuration changed");
                assert_eq!(s.order(), &self.order[..], "the order changed");
                Some(s)
            }
        }
    }

    /// The history a `Sampler<_, H>` holds after accepting [`Self::history`].
    pub fn expected_history<const H: usize>(&self) -> Vec<u32> {
        let h = &self.history;
        h[h.len().saturating_sub(H)..].to_vec()
    }

    /// Clears `sampler`'s history and accepts [`Self::history`] into it,
    /// checking it then holds the last `H` tokens.
    pub fn prime<const CAP: usize, const H: usize>(&self, sampler: &mut Sampler<CAP, H>) {
        sampler.reset();
        assert!(sampler.history().is_empty(), "reset left a history");
        for &t in &self.history {
            sampler.accept(t);
        }
        assert_eq!(
            history_of(sampler),
            self.expected_history::<H>(),
            "Sampler<{CAP}, {H}>: the accepted history"
        );
    }
}

/// A sampler's history, oldest first.
pub fn history_of<const CAP: usize, const H: usize>(sampler: &Sampler<CAP, H>) -> Vec<u32> {
    sampler.history().iter().collect()
}

/// `history` with `token` appended, as a `Sampler<_, H>` keeps it.
pub fn with_token<const H: usize>(history: &[u32], token: u32) -> Vec<u32> {
    let mut out = history.to_vec();
    out.push(token);
    out[out.len().saturating_sub(H)..].to_vec()
}

/// Input of the `softmax_in_place` and `argmax` targets.
pub struct SoftmaxInput {
    /// The temperature, valid or not.
    pub temperature: f32,
    /// The logits.
    pub logits: Vec<f32>,
}

impl<'a> Arbitrary<'a> for SoftmaxInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self {
            temperature: param(u)?,
            logits: values(u, MAX_LEN)?,
        })
    }
}

impl fmt::Debug for SoftmaxInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "let temperature = {:?};", Exact(self.temperature))?;
        write!(f, "let logits: Vec<f32> = {:?};", ExactVec(&self.logits))
    }
}

/// Input of the `sample_inverse_cdf` target.
pub struct InverseCdfInput {
    /// The uniform variate, valid (`[0, 1)`) or not.
    pub u: f32,
    /// The weights, valid or not.
    pub weights: Vec<f32>,
}

impl<'a> Arbitrary<'a> for InverseCdfInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let uniform = match u8::arbitrary(u)? % 4 {
            0 | 1 => (u32::arbitrary(u)? >> 8) as f32 * (1.0 / 16_777_216.0),
            2 => nudge(1.0, -(i8::arbitrary(u)? & 0x7f)),
            _ => param(u)?,
        };
        let mode = u8::arbitrary(u)?;
        Ok(Self {
            u: uniform,
            weights: weights(values(u, MAX_LEN)?, mode),
        })
    }
}

impl fmt::Debug for InverseCdfInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "let u = {:?};", Exact(self.u))?;
        write!(f, "let weights: Vec<f32> = {:?};", ExactVec(&self.weights))
    }
}

/// Longest weight vector the `alias_table` target builds: past both tested
/// capacities (64 and 1024), so `CapacityExceeded` is reached too.
pub const ALIAS_MAX_LEN: usize = 1100;

/// Input of the `alias_table` target.
pub struct AliasInput {
    /// Seed of the draws.
    pub seed: u64,
    /// Number of draws (at most 255).
    pub draws: u8,
    /// The weights, valid or not.
    pub weights: Vec<f32>,
}

impl<'a> Arbitrary<'a> for AliasInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let seed = u64::arbitrary(u)?;
        let draws = u8::arbitrary(u)?;
        let mode = u8::arbitrary(u)?;
        Ok(Self {
            seed,
            draws,
            weights: weights(values(u, ALIAS_MAX_LEN)?, mode),
        })
    }
}

impl fmt::Debug for AliasInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "let seed = {};", self.seed)?;
        writeln!(f, "let draws = {};", self.draws)?;
        write!(f, "let weights: Vec<f32> = {:?};", ExactVec(&self.weights))
    }
}

/// Input of the `gaussian` target.
pub struct GaussianInput {
    /// Seed of the generator.
    pub seed: u64,
    /// Mean, any float.
    pub mean: f32,
    /// Standard deviation, any float.
    pub std_dev: f32,
    /// Length of the `fill_gaussian` output (at most 64).
    pub len: usize,
}

impl<'a> Arbitrary<'a> for GaussianInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self {
            seed: u64::arbitrary(u)?,
            mean: any_f32(u, 0.0)?,
            std_dev: any_f32(u, 1.0)?,
            len: usize::from(u8::arbitrary(u)? % 65),
        })
    }
}

impl fmt::Debug for GaussianInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "let seed = {};", self.seed)?;
        writeln!(f, "let mean = {:?};", Exact(self.mean))?;
        writeln!(f, "let std_dev = {:?};", Exact(self.std_dev))?;
        write!(f, "let len = {};", self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nudge_walks_the_total_order() {
        assert_eq!(nudge(0.0, -1).to_bits(), (-0.0f32).to_bits());
        assert_eq!(nudge(-0.0, 1).to_bits(), 0.0f32.to_bits());
        assert_eq!(nudge(1.0, 1), 1.0000001);
        assert_eq!(nudge(1.0, -1), 0.99999994);
        assert_eq!(nudge(-1.0, 1), -0.99999994);
        assert_eq!(nudge(f32::MAX, 1), f32::INFINITY);
        assert_eq!(nudge(0.0, 1), 1e-45);
    }

    #[test]
    fn exact_prints_rust_that_round_trips() {
        for x in SPECIAL {
            let text = format!("{:?}", Exact(x));
            if x.is_finite() {
                assert_eq!(
                    text.parse::<f32>().unwrap().to_bits(),
                    x.to_bits(),
                    "{text}"
                );
            }
        }
    }
}
