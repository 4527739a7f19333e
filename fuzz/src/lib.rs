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

use std::fmt;
use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use logit_sampler::{SampleError, SamplerConfig, Stage};

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

/// Every permutation of the four stages.
pub fn permutations() -> &'static [[Stage; 4]] {
    static ORDERS: OnceLock<Vec<[Stage; 4]>> = OnceLock::new();
    ORDERS.get_or_init(sampler_tests::all_orders)
}

/// A stage order: usually a permutation, sometimes any four stages
/// (duplicates make it invalid).
pub fn order(u: &mut Unstructured) -> arbitrary::Result<[Stage; 4]> {
    const STAGES: [Stage; 4] = [Stage::Temperature, Stage::MinP, Stage::TopK, Stage::TopP];
    let tag = u8::arbitrary(u)?;
    if tag < 224 {
        let all = permutations();
        return Ok(all[usize::from(tag) % all.len()]);
    }
    let mut order = Stage::DEFAULT_ORDER;
    for slot in &mut order {
        *slot = STAGES[usize::from(u8::arbitrary(u)?) % 4];
    }
    Ok(order)
}

/// Whether `order` names every stage exactly once.
pub fn is_permutation(order: &[Stage; 4]) -> bool {
    permutations().contains(order)
}

/// A configuration, valid or not.
pub fn config(u: &mut Unstructured) -> arbitrary::Result<SamplerConfig> {
    Ok(SamplerConfig {
        temperature: param(u)?,
        min_p: param(u)?,
        top_k: top_k(u)?,
        top_p: param(u)?,
    })
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
            let mut state = u64::from(seed);
            let spread = f32::from(1u8 << ((seed >> 24) % 8));
            while xs.len() < target {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
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
            "SamplerConfig {{ temperature: {:?}, min_p: {:?}, top_k: {}, top_p: {:?} }}",
            Exact(c.temperature),
            Exact(c.min_p),
            c.top_k,
            Exact(c.top_p)
        )
    }
}

/// Input of the `sample` and `distribution_in_place` targets.
pub struct SamplerInput {
    /// The configuration, valid or not.
    pub config: SamplerConfig,
    /// The stage order, valid or not.
    pub order: [Stage; 4],
    /// Seed of the `Pcg32` the draw uses.
    pub seed: u64,
    /// The logits.
    pub logits: Vec<f32>,
}

impl<'a> Arbitrary<'a> for SamplerInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self {
            config: config(u)?,
            order: order(u)?,
            seed: u64::arbitrary(u)?,
            logits: values(u, MAX_LEN)?,
        })
    }
}

impl fmt::Debug for SamplerInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "let config = {:?};", ExactConfig(self.config))?;
        let [a, b, c, d] = self.order;
        writeln!(
            f,
            "let order = [Stage::{a:?}, Stage::{b:?}, Stage::{c:?}, Stage::{d:?}];"
        )?;
        writeln!(f, "let seed = {};", self.seed)?;
        write!(f, "let logits: Vec<f32> = {:?};", ExactVec(&self.logits))
    }
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
