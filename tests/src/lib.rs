//! Test support for `logit-sampler`: an f64 reference pipeline written for
//! clarity (sorts, `Vec`s, `f64::exp`), statistics helpers, and input generators.
//!
//! The reference decides each filter exactly, and can also move every decision
//! inward ([`Slack::Strict`]) or outward ([`Slack::Loose`]) by the core's stated
//! rounding error. Because every filter keeps a prefix of the same order and
//! prefixes only grow when earlier sets grow, the core's survivors must satisfy
//! `strict ⊆ core ⊆ loose`; when strict and loose agree the set is pinned exactly.

use std::collections::HashMap;
use std::f64::consts::LN_2;

use logit_sampler::{Constraints, Mirostat, SampleError, SamplerConfig, Stage};

/// Which way borderline decisions go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slack {
    /// Keep a token only if it passes with margin to spare.
    Strict,
    /// Decide exactly in f64.
    Exact,
    /// Keep a token if it passes within the core's error.
    Loose,
}

/// Survivors with their final probabilities, sorted by id.
pub type Distribution = Vec<(u32, f64)>;

/// Config errors the core reports from `Sampler::new`.
pub fn reference_config_error(cfg: &SamplerConfig) -> Option<SampleError> {
    let t = cfg.temperature;
    // 0, +inf, or normal and at most 2^64 (`SamplerConfig::MAX_TEMPERATURE`).
    if !(t == 0.0 || t == f32::INFINITY || (t >= f32::MIN_POSITIVE && t <= 2f32.powi(64))) {
        return Some(SampleError::InvalidTemperature(t));
    }
    if !(cfg.min_p >= 0.0 && cfg.min_p <= 1.0) {
        return Some(SampleError::InvalidMinP(cfg.min_p));
    }
    if !(cfg.top_p > 0.0 && cfg.top_p <= 1.0) {
        return Some(SampleError::InvalidTopP(cfg.top_p));
    }
    let r = cfg.repeat_penalty;
    if !(r > 0.0 && r < f32::INFINITY) {
        return Some(SampleError::InvalidRepeatPenalty(r));
    }
    if !cfg.frequency_penalty.is_finite() {
        return Some(SampleError::InvalidFrequencyPenalty(cfg.frequency_penalty));
    }
    if !cfg.presence_penalty.is_finite() {
        return Some(SampleError::InvalidPresencePenalty(cfg.presence_penalty));
    }
    if !(cfg.dry_multiplier >= 0.0 && cfg.dry_multiplier < f32::INFINITY) {
        return Some(SampleError::InvalidDryMultiplier(cfg.dry_multiplier));
    }
    if !(cfg.dry_base >= 1.0 && cfg.dry_base < f32::INFINITY) {
        return Some(SampleError::InvalidDryBase(cfg.dry_base));
    }
    let unit = |x: f32| (0.0..=1.0).contains(&x);
    let non_negative = |x: f32| (0.0..f32::INFINITY).contains(&x);
    if !unit(cfg.typical_p) {
        return Some(SampleError::InvalidTypicalP(cfg.typical_p));
    }
    if !non_negative(cfg.top_n_sigma) {
        return Some(SampleError::InvalidTopNSigma(cfg.top_n_sigma));
    }
    if !unit(cfg.xtc_probability) {
        return Some(SampleError::InvalidXtcProbability(cfg.xtc_probability));
    }
    if !unit(cfg.xtc_threshold) {
        return Some(SampleError::InvalidXtcThreshold(cfg.xtc_threshold));
    }
    let range = cfg.dynatemp_range;
    let t_max = t + range;
    let range_ok = non_negative(range)
        && (range == 0.0
            || (t < f32::INFINITY && t_max >= f32::MIN_POSITIVE && t_max <= 2f32.powi(64)));
    if !range_ok {
        return Some(SampleError::InvalidDynatempRange(range));
    }
    if !non_negative(cfg.dynatemp_exponent) {
        return Some(SampleError::InvalidDynatempExponent(cfg.dynatemp_exponent));
    }
    let miro_ok = match cfg.mirostat {
        Mirostat::Off => true,
        Mirostat::V1 { tau, eta, m } => {
            non_negative(tau) && non_negative(eta) && (1..=128).contains(&m)
        }
        Mirostat::V2 { tau, eta } => non_negative(tau) && non_negative(eta),
    };
    if !miro_ok {
        return Some(SampleError::InvalidMirostat(cfg.mirostat));
    }
    None
}

/// What a call sees besides the logits and the configuration: the sampler's
/// history and DRY breakers, and the call's constraints.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    /// Accepted tokens, oldest first (only the last `HISTORY` are kept by a sampler).
    pub history: &'a [u32],
    /// DRY sequence breakers.
    pub breakers: &'a [&'a [u32]],
    /// The call's bias and mask.
    pub constraints: Constraints<'a>,
    /// XTC's coin did not fire this call (`distribution_in_place` shows it
    /// firing, the default).
    pub xtc_idle: bool,
    /// Mirostat's `mu`; `None` is a fresh sampler's `2 tau`.
    pub mu: Option<f32>,
}

/// Constraint errors the core reports from `sample_with`, after the logits'.
pub fn reference_constraints_error(logits: &[f32], c: &Constraints) -> Option<SampleError> {
    let n = logits.len();
    for (index, &(token, bias)) in c.logit_bias.iter().enumerate() {
        if token as usize >= n {
            return Some(SampleError::TokenOutOfRange { token, vocab: n });
        }
        if bias.is_nan() || bias == f32::INFINITY {
            return Some(SampleError::InvalidLogitBias { index, bias });
        }
    }
    let finite = c.logit_bias.iter().filter(|b| b.1.is_finite()).count();
    if finite > logit_sampler::MAX_FINITE_BIAS {
        return Some(SampleError::CapacityExceeded {
            len: finite,
            capacity: logit_sampler::MAX_FINITE_BIAS,
        });
    }
    if let Some(mask) = c.allowed
        && mask.len() < n.div_ceil(32)
    {
        return Some(SampleError::MaskTooShort {
            words: mask.len(),
            needed: n.div_ceil(32),
        });
    }
    let open = (0..n).any(|i| {
        let allowed = c.allowed.is_none_or(|m| m[i / 32] >> (i % 32) & 1 == 1);
        let banned = c
            .logit_bias
            .iter()
            .any(|&(t, b)| t as usize == i && b == f32::NEG_INFINITY);
        allowed && !banned && logits[i] > f32::NEG_INFINITY
    });
    (!open).then_some(SampleError::NoTokenAllowed)
}

/// `x` clamped to the finite range (the core's saturation of finite logits).
fn saturate(x: f32) -> f32 {
    x.clamp(-f32::MAX, f32::MAX)
}

/// The logits after the constraints and the context stages, by the
/// definitions (a hash map of counts; DRY's longest repeats by brute force,
/// O(n^2)), with the same `f32` formulas as llama.cpp and the core.
pub fn reference_rewrite(
    logits: &[f32],
    cfg: &SamplerConfig,
    order: &[Stage],
    ctx: &Context,
) -> Vec<f32> {
    let mut out = logits.to_vec();
    let c = &ctx.constraints;
    if let Some(mask) = c.allowed {
        for (i, x) in out.iter_mut().enumerate() {
            if mask[i / 32] >> (i % 32) & 1 == 0 {
                *x = f32::NEG_INFINITY;
            }
        }
    }
    for &(t, b) in c.logit_bias {
        let x = &mut out[t as usize];
        *x = if b == f32::NEG_INFINITY {
            b
        } else if x.is_finite() {
            saturate(*x + b)
        } else {
            *x
        };
    }
    let window = |n: usize| &ctx.history[ctx.history.len().saturating_sub(n)..];
    // Mirostat replaces the context stages too (as in llama.cpp).
    let mirostat = cfg.mirostat != Mirostat::Off;
    let penalties_on = !mirostat
        && cfg.penalty_last_n > 0
        && (cfg.repeat_penalty != 1.0
            || cfg.frequency_penalty != 0.0
            || cfg.presence_penalty != 0.0);
    let dry_on = !mirostat && cfg.dry_penalty_last_n > 0 && cfg.dry_multiplier > 0.0;
    for stage in order {
        match stage {
            Stage::Penalties if penalties_on => {
                let mut counts: HashMap<u32, u32> = HashMap::new();
                for &t in window(cfg.penalty_last_n) {
                    *counts.entry(t).or_default() += 1;
                }
                for (&t, &count) in &counts {
                    let Some(x) = out.get_mut(t as usize) else {
                        continue;
                    };
                    if !x.is_finite() {
                        continue;
                    }
                    let r = cfg.repeat_penalty;
                    let scaled = saturate(if *x <= 0.0 { *x * r } else { *x / r });
                    let amount =
                        saturate(count as f32 * cfg.frequency_penalty + cfg.presence_penalty);
                    *x = saturate(scaled - amount);
                }
            }
            Stage::Dry if dry_on => {
                for (t, len) in dry_repeats(
                    window(cfg.dry_penalty_last_n),
                    ctx.breakers,
                    cfg.dry_allowed_length,
                ) {
                    let Some(x) = out.get_mut(t as usize) else {
                        continue;
                    };
                    if !x.is_finite() {
                        continue;
                    }
                    let mut e = len - cfg.dry_allowed_length;
                    if cfg.dry_base > 1.000_001 {
                        let cap = (88.722_84f32 / libm::logf(cfg.dry_base)) as usize;
                        if cap > 0 {
                            e = e.min(cap);
                        }
                    }
                    // base^e by binary exponentiation, as the core defines it.
                    let mut power = 1.0f32;
                    let mut square = cfg.dry_base;
                    let mut k = e;
                    while k > 0 {
                        if k & 1 == 1 {
                            power *= square;
                        }
                        k >>= 1;
                        if k > 0 {
                            square *= square;
                        }
                    }
                    let penalty = cfg.dry_multiplier * power;
                    *x = saturate(*x - penalty);
                }
            }
            _ => {}
        }
    }
    out
}

/// DRY's penalised tokens and their longest repeat, by the definition: the
/// repetition may not reach back past the most recent breaker;
/// for each earlier position, the longest common suffix with the whole
/// window; the token that followed gets the largest length `>= allowed`.
/// One-token breakers are left out.
pub fn dry_repeats(window: &[u32], breakers: &[&[u32]], allowed: usize) -> Vec<(u32, usize)> {
    let n = window.len();
    if n <= allowed {
        return vec![];
    }
    // The most recent breaker head (from the newest token back) whose whole
    // breaker fits in the window and matches, its longest breaker if several:
    // no repetition may reach back past that breaker's last token.
    let mut limit = n;
    for i in 0..n {
        let head = n - 1 - i;
        let longest = breakers
            .iter()
            .filter(|b| head + b.len() <= n && window[head..head + b.len()] == ***b)
            .map(|b| b.len() - 1)
            .max();
        if let Some(tail) = longest {
            limit = i - tail;
            break;
        }
    }
    let mut best: HashMap<u32, usize> = HashMap::new();
    for j in 0..n - 1 {
        let mut len = 0;
        while len <= j && window[j - len] == window[n - 1 - len] {
            len += 1;
        }
        let len = len.min(limit);
        if len >= allowed {
            let e = best.entry(window[j + 1]).or_default();
            *e = (*e).max(len);
        }
    }
    if limit < allowed {
        return vec![];
    }
    let single: Vec<u32> = breakers
        .iter()
        .filter(|b| b.len() == 1)
        .map(|b| b[0])
        .collect();
    let mut out: Vec<(u32, usize)> = best
        .into_iter()
        .filter(|(t, _)| !single.contains(t))
        .collect();
    out.sort();
    out
}

/// Logits errors the core reports from `sample`.
pub fn reference_logits_error(logits: &[f32]) -> Option<SampleError> {
    if logits.is_empty() {
        return Some(SampleError::Empty);
    }
    if let Some(index) = logits.iter().position(|l| l.is_nan()) {
        return Some(SampleError::NanLogit { index });
    }
    if logits.iter().all(|l| *l == f32::NEG_INFINITY) {
        return Some(SampleError::NoCandidates);
    }
    None
}

/// Order errors the core reports from `with_order`.
pub fn reference_order_error(order: &[Stage], cfg: &SamplerConfig) -> Option<SampleError> {
    let context = |s: &Stage| matches!(s, Stage::Penalties | Stage::Dry);
    for (i, s) in order.iter().enumerate() {
        let twice = order[..i].contains(s);
        let late = context(s) && order[..i].iter().any(|p| !context(p));
        if twice || late {
            return Some(SampleError::InvalidStageOrder);
        }
    }
    let mirostat = cfg.mirostat != Mirostat::Off;
    let on = |s: Stage| match s {
        // Under mirostat only the plain temperature runs.
        _ if mirostat => s == Stage::Temperature && cfg.temperature != 1.0,
        Stage::Penalties => {
            cfg.penalty_last_n > 0
                && (cfg.repeat_penalty != 1.0
                    || cfg.frequency_penalty != 0.0
                    || cfg.presence_penalty != 0.0)
        }
        Stage::Dry => cfg.dry_penalty_last_n > 0 && cfg.dry_multiplier > 0.0,
        Stage::Temperature => cfg.temperature != 1.0 || cfg.dynatemp_range > 0.0,
        Stage::MinP => cfg.min_p > 0.0,
        Stage::TopK => cfg.top_k > 0,
        Stage::TopP => cfg.top_p < 1.0,
        Stage::TopNSigma => cfg.top_n_sigma > 0.0,
        Stage::Typical => cfg.typical_p < 1.0,
        Stage::Xtc => cfg.xtc_probability > 0.0,
    };
    Stage::DEFAULT_ORDER
        .into_iter()
        .find(|&s| on(s) && !order.contains(&s))
        .map(SampleError::StageNotInOrder)
}

/// The reference pipeline without context: the final distribution over the survivors.
pub fn reference(
    logits: &[f32],
    cfg: &SamplerConfig,
    order: &[Stage],
    slack: Slack,
) -> Result<Distribution, SampleError> {
    reference_with(logits, cfg, order, &Context::default(), slack)
}

/// The first error a call reports: configuration, logits, then constraints.
pub fn reference_error(logits: &[f32], cfg: &SamplerConfig, ctx: &Context) -> Option<SampleError> {
    reference_config_error(cfg)
        .or_else(|| reference_logits_error(logits))
        .or_else(|| reference_constraints_error(logits, &ctx.constraints))
}

/// The reference pipeline: constraints and context stages, then the filters;
/// the final distribution over the survivors.
pub fn reference_with(
    logits: &[f32],
    cfg: &SamplerConfig,
    order: &[Stage],
    ctx: &Context,
    slack: Slack,
) -> Result<Distribution, SampleError> {
    if let Some(e) = reference_error(logits, cfg, ctx) {
        return Err(e);
    }
    let rewritten = reference_rewrite(logits, cfg, order, ctx);
    Ok(reference_filters(&rewritten, cfg, order, ctx, slack).0)
}

/// Relative error of the core's dynamic temperature (an `f64` formula
/// rounded to `f32`, from an entropy of exact masses summed in `f64`).
const DYNATEMP_REL: f64 = 1.0 / 262_144.0;

/// The filters (or mirostat's cut) over already rewritten logits: the draw's
/// distribution and the temperature it uses (dynamic temperature's, when on;
/// 0 for a greedy pick).
pub fn reference_filters(
    logits: &[f32],
    cfg: &SamplerConfig,
    order: &[Stage],
    ctx: &Context,
    slack: Slack,
) -> (Distribution, f64) {
    let l = |i: u32| logits[i as usize] as f64;
    let lmax = logits
        .iter()
        .map(|x| *x as f64)
        .fold(f64::NEG_INFINITY, f64::max);
    let certain = lmax == f64::INFINITY;
    // Candidates in the order every prefix filter cuts: logit descending, id
    // ascending; kept in that order after every stage.
    let rank =
        |set: &mut Vec<u32>| set.sort_by(|&a, &b| l(b).partial_cmp(&l(a)).unwrap().then(a.cmp(&b)));
    let mut set: Vec<u32> = (0..logits.len() as u32)
        .filter(|&i| {
            if certain {
                l(i) == f64::INFINITY
            } else {
                l(i).is_finite()
            }
        })
        .collect();
    rank(&mut set);
    // Scaled logit (l - max) / T of token i against the set's max `top`, 0
    // where all candidates are equally likely; its weight is exp of it.
    let scaled = |i: u32, top: u32, temp: f64| -> f64 {
        if certain || temp.is_infinite() {
            0.0
        } else {
            (l(i) - l(top)) / temp
        }
    };
    let t0 = cfg.temperature as f64;
    let mirostat = cfg.mirostat != Mirostat::Off;
    let may_drop_max = cfg.typical_p < 1.0 || cfg.xtc_probability > 0.0 || cfg.dynatemp_range > 0.0;
    if t0 == 0.0 && (mirostat || !may_drop_max) {
        return (vec![(set[0], 1.0)], 0.0);
    }
    let t_rel = if cfg.dynatemp_range > 0.0 && !mirostat {
        DYNATEMP_REL
    } else {
        0.0
    };
    // The core's masses: relative error from exp and `s`, absolute from the
    // fixed point (half of 2^-30 per mass, of the max's weight 1).
    let mass_slack = |set: &[u32], temp: f64| -> (f64, f64, f64) {
        let top = set[0];
        let w: Vec<f64> = set.iter().map(|&i| scaled(i, top, temp).exp()).collect();
        let total: f64 = w.iter().sum();
        let mean_abs_s: f64 = set
            .iter()
            .zip(&w)
            .map(|(&i, w)| w * scaled(i, top, temp).abs())
            .filter(|x| x.is_finite())
            .sum::<f64>()
            / total;
        let max_abs_s = set
            .iter()
            .map(|&i| scaled(i, top, temp).abs())
            .fold(0.0, f64::max);
        let rel = (mean_abs_s + 16.0) * 2f64.powi(-22) + 2.0 * max_abs_s * t_rel;
        let abs = set.len() as f64 * 2f64.powi(-30) / total;
        (rel, abs, total)
    };
    let mut temp = 1.0f64;
    // The dynamic temperature is within the core's rounding of a decision.
    let mut unsure = false;
    if mirostat {
        temp = t0;
        let tau = match cfg.mirostat {
            Mirostat::V1 { tau, .. } | Mirostat::V2 { tau, .. } => tau,
            Mirostat::Off => 0.0,
        };
        // A fresh sampler's 2 tau, within the +-1024 bits mu is kept in.
        let mu = ctx.mu.unwrap_or((2.0 * tau).clamp(-1024.0, 1024.0)) as f64;
        let top = set[0];
        let keep = match cfg.mirostat {
            Mirostat::V1 { m, .. } => {
                let v: Vec<f64> = set.iter().take(m).map(|&i| scaled(i, top, temp)).collect();
                let (mut tb, mut tt) = (0.0, 0.0);
                for i in 0..v.len().saturating_sub(1) {
                    let t = ((i + 2) as f64 / (i + 1) as f64).ln();
                    tb += t * (v[i] - v[i + 1]);
                    tt += t * t;
                }
                let s_hat = tb / tt;
                let ln_k = mirostat_v1_ln_k(s_hat, mu, logits.len());
                // The core computes k in f32, as llama.cpp does, where its
                // exponent 1 / s amplifies every rounding.
                let delta = match slack {
                    Slack::Exact => 0.0,
                    _ => mirostat_v1_ln_k_slack(&v, tb, s_hat, mu, logits.len(), ln_k, temp),
                };
                // NaN (no pairs, or 0 / 0) and anything below 1 keep one.
                let keep = |ln_k: f64| {
                    if ln_k >= 0.0 {
                        (ln_k.min(42.0).exp() as usize).min(set.len())
                    } else {
                        1
                    }
                };
                match slack {
                    Slack::Strict => keep(ln_k - delta),
                    Slack::Exact => keep(ln_k),
                    Slack::Loose if delta == f64::INFINITY => set.len(),
                    Slack::Loose => keep(ln_k + delta),
                }
            }
            _ => {
                let (rel, abs, total) = mass_slack(&set, temp);
                let bound = 2f64.powf(-mu);
                let bound = match slack {
                    Slack::Strict => bound * (1.0 + rel) + abs,
                    Slack::Exact => bound,
                    Slack::Loose => bound * (1.0 - rel) - abs,
                };
                let n = set
                    .iter()
                    .take_while(|&&i| scaled(i, top, temp).exp() / total >= bound)
                    .count();
                n.max(1)
            }
        };
        set.truncate(keep);
    } else {
        for stage in order {
            let top = set[0];
            let weight = |i: u32| scaled(i, top, temp).exp();
            match stage {
                Stage::Temperature => {
                    temp = if cfg.dynatemp_range > 0.0 {
                        let (lo, exact, hi) =
                            dynamic_temperature(&set, cfg, |i| scaled(i, top, 1.0));
                        // Where the core's rounding of the entropy moves T by
                        // more than DYNATEMP_REL (a large exponent, or T near
                        // 0), nothing is certain: strict keeps nothing, loose
                        // takes the hottest T (every filter then keeps more;
                        // greedy keeps a subset of anything).
                        let ambiguous = hi - lo > DYNATEMP_REL * hi;
                        // The entropy is not monotone in the set: a loose
                        // filter before this stage may keep a token that makes
                        // the survivors more confident (colder), a strict one
                        // may drop one and make them hotter. Unless both
                        // agree on the set, the set's own bounds bound
                        // nothing: strict keeps nothing, loose takes the
                        // range's hottest T, and the exact T (of the exact
                        // set) is not the core's (of its own set, anywhere
                        // between): its probabilities are not pinned.
                        let uncertain_set = sets_differ_before(logits, cfg, order, ctx, *stage);
                        match slack {
                            Slack::Strict if ambiguous || uncertain_set => {
                                return (Vec::new(), f64::NAN);
                            }
                            Slack::Exact if ambiguous || uncertain_set => {
                                unsure = true;
                                exact
                            }
                            Slack::Loose if uncertain_set => t0 + cfg.dynatemp_range as f64,
                            Slack::Loose => hi,
                            _ => exact,
                        }
                    } else {
                        t0
                    };
                    if temp == 0.0 {
                        return (vec![(set[0], 1.0)], if unsure { f64::NAN } else { 0.0 });
                    }
                }
                Stage::MinP if cfg.min_p > 0.0 => {
                    let uniform = certain || temp.is_infinite();
                    if !uniform {
                        // p_i >= m p_max  <=>  l_i >= l_max + T ln m.
                        let shift = temp * (cfg.min_p as f64).ln();
                        let threshold = l(top) + shift;
                        // The core forms `l_max + T ln m` in f32: a relative
                        // rounding per operation, and in the subnormal range an
                        // absolute one of half a step (2^-150) per operation.
                        let delta = 4.0 * (l(top).abs() + shift.abs()) * f64::from(f32::EPSILON)
                            / 2.0
                            + 4.0 * 2f64.powi(-150)
                            + shift.abs() * t_rel;
                        let passing = set
                            .iter()
                            .filter(|&&i| match slack {
                                Slack::Strict => l(i) == l(top) || l(i) >= threshold + delta,
                                Slack::Exact => l(i) >= threshold,
                                Slack::Loose => l(i) >= threshold - delta,
                            })
                            .count();
                        set.truncate(passing.max(cfg.min_keep));
                    }
                }
                Stage::TopK if cfg.top_k > 0 => set.truncate(cfg.top_k),
                Stage::TopP if cfg.top_p < 1.0 => {
                    let (rel, abs, total) = mass_slack(&set, temp);
                    let p = cfg.top_p as f64;
                    let p = match slack {
                        Slack::Strict => p * (1.0 - rel) - abs,
                        Slack::Exact => p,
                        Slack::Loose => (p * (1.0 + rel) + abs).min(1.0),
                    };
                    let mut cum = 0.0;
                    let mut keep = 0;
                    for &i in &set {
                        cum += weight(i);
                        keep += 1;
                        if cum >= p * total {
                            break;
                        }
                    }
                    set.truncate(keep.max(cfg.min_keep));
                }
                // (Uniform weights keep everything, as min-p does; so does a
                // spread whose squared deviation overflows f32, as the core
                // sums `(l - max)^2` in f32.)
                Stage::TopNSigma
                    if cfg.top_n_sigma > 0.0
                        && !certain
                        && !temp.is_infinite()
                        && set.len() > 1
                        && !set.iter().any(|&i| {
                            let d = logits[i as usize] - logits[top as usize];
                            (d * d).is_infinite()
                        }) =>
                {
                    // Sigma is not monotone in the set: one more token near
                    // the mean narrows it and raises the cut. Unless the
                    // strict and loose sets before this stage agree, the core
                    // cuts a set anywhere between them: strict keeps only the
                    // max (which every set keeps), loose cuts nothing.
                    if slack != Slack::Exact && sets_differ_before(logits, cfg, order, ctx, *stage)
                    {
                        if slack == Slack::Strict {
                            set.retain(|&i| l(i) == l(top));
                        }
                        continue;
                    }
                    let n = set.len() as f64;
                    let mean = set.iter().map(|&i| l(i)).sum::<f64>() / n;
                    let var = set.iter().map(|&i| (l(i) - mean).powi(2)).sum::<f64>() / n;
                    let sigma = var.sqrt();
                    let k = cfg.top_n_sigma as f64;
                    let threshold = l(top) - k * sigma;
                    // The core: f32 deviations from the max, f64 sums of them and
                    // their squares (cancellation grows with mean^2 / var).
                    let d_mean = mean - l(top);
                    let delta = k
                        * sigma
                        * (1.0 + d_mean * d_mean / var.max(f64::MIN_POSITIVE))
                        * 2f64.powi(-20)
                        + (l(top).abs() + k * sigma) * 2f64.powi(-22)
                        // Squares below 2^-149 flush to 0 in f32: sigma is off
                        // by up to 2^-74.5 in absolute terms.
                        + k * 2f64.powi(-73)
                        // `n * sigma` and `max - n * sigma` in f32 each err by
                        // up to 2^-150 where the result is subnormal.
                        + 2f64.powi(-149);
                    set.retain(|&i| match slack {
                        Slack::Strict => l(i) == l(top) || l(i) >= threshold + delta,
                        Slack::Exact => l(i) >= threshold,
                        Slack::Loose => l(i) >= threshold - delta,
                    });
                }
                Stage::Typical if cfg.typical_p < 1.0 && set.len() > 1 => {
                    let s: Vec<f64> = set.iter().map(|&i| scaled(i, top, temp)).collect();
                    let w: Vec<f64> = s.iter().map(|x| x.exp()).collect();
                    let total: f64 = w.iter().sum();
                    // -ln p_i - H = (ln W - s_i) - (ln W - s̄) = s̄ - s_i.
                    let center: f64 = s.iter().zip(&w).map(|(s, w)| s * w).sum::<f64>() / total;
                    let dist: Vec<f64> = s.iter().map(|s| (s - center).abs()).collect();
                    let mut by_dist: Vec<usize> = (0..set.len()).collect();
                    by_dist.sort_by(|&a, &b| {
                        dist[a]
                            .partial_cmp(&dist[b])
                            .unwrap()
                            .then(set[a].cmp(&set[b]))
                    });
                    let crossing = |p: f64| -> usize {
                        let mut cum = 0.0;
                        for (n, &j) in by_dist.iter().enumerate() {
                            cum += w[j];
                            if cum > p * total && n + 1 >= cfg.min_keep {
                                return n;
                            }
                        }
                        by_dist.len() - 1
                    };
                    let (rel, abs, _) = mass_slack(&set, temp);
                    let max_abs_s = s.iter().fold(0.0f64, |m, x| m.max(x.abs()));
                    let delta =
                        (max_abs_s + center.abs() + 1.0) * 2f64.powi(-18) + 2.0 * max_abs_s * t_rel;
                    let p = cfg.typical_p as f64;
                    let keep: Vec<u32> = match slack {
                        Slack::Exact => by_dist[..=crossing(p)].iter().map(|&j| set[j]).collect(),
                        // Equal logits have equal keys in the core too, so among
                        // them the id decides exactly, on either side.
                        Slack::Strict => {
                            let c = by_dist[crossing(p * (1.0 - rel) - abs)];
                            let tie = |j: usize| l(set[j]) == l(set[c]) && set[j] <= set[c];
                            by_dist
                                .iter()
                                .filter(|&&j| dist[j] < dist[c] - delta || tie(j))
                                .map(|&j| set[j])
                                .collect()
                        }
                        Slack::Loose => {
                            let c = by_dist[crossing((p * (1.0 + rel) + abs).min(1.0))];
                            let beyond = |j: usize| l(set[j]) == l(set[c]) && set[j] > set[c];
                            by_dist
                                .iter()
                                .filter(|&&j| dist[j] <= dist[c] + delta && !beyond(j))
                                .map(|&j| set[j])
                                .collect()
                        }
                    };
                    // Strict may keep nothing; the core always keeps a token.
                    set = keep;
                    if set.is_empty() {
                        return (Vec::new(), temp);
                    }
                    rank(&mut set);
                }
                Stage::Xtc if cfg.xtc_probability > 0.0 && !ctx.xtc_idle && set.len() > 1 => {
                    let (rel, abs, total) = mass_slack(&set, temp);
                    // XTC removes the first `c - 1` of the `c` qualifying
                    // tokens, a prefix in rank order, when it acts.
                    let removed = |c: usize| -> usize {
                        if c < 2 || set.len() - (c - 1) < cfg.min_keep {
                            0
                        } else {
                            c - 1
                        }
                    };
                    let p: Vec<f64> = set.iter().map(|&i| weight(i) / total).collect();
                    let t = cfg.xtc_threshold as f64;
                    // The core compares each token's weight with `threshold`
                    // times its total of masses. The weight's own error grows
                    // with its distance below the max (as the crate's bound
                    // per token); the total's is relative (`rel`, the masses'
                    // roundings `abs`); where a weight or the bound is
                    // subnormal, 2^-150 absolute (doubled, twice).
                    let tiny = 2f64.powi(-148) / total;
                    let (lo, hi) = (t * (1.0 - rel - abs) - tiny, t * (1.0 + rel + abs) + tiny);
                    let own = |k: usize| {
                        let s = scaled(set[k], top, temp).abs();
                        (s + 16.0) * 2f64.powi(-22) + 2.0 * s * t_rel
                    };
                    // Tokens certainly in (a prefix: p falls and its error
                    // grows down the ranking) and those possibly in.
                    let surely = (0..set.len())
                        .take_while(|&k| p[k] * (1.0 - own(k)) - tiny >= hi)
                        .count();
                    let possibly = (0..set.len())
                        .rev()
                        .find(|&k| p[k] * (1.0 + own(k)) + tiny >= lo)
                        .map_or(0, |k| k + 1);
                    // The outcome is not monotone in the count (more
                    // qualifying tokens can mean none removed, by min_keep):
                    // every count in between counts, not only the ends.
                    let cuts = (surely..=possibly.max(surely)).map(removed);
                    let cut = match slack {
                        Slack::Exact => removed(p.partition_point(|&q| q >= t)),
                        Slack::Strict => cuts.max().unwrap_or(0),
                        Slack::Loose => cuts.min().unwrap_or(0),
                    };
                    set = set[cut..].to_vec();
                    if set.is_empty() {
                        return (Vec::new(), temp);
                    }
                    rank(&mut set);
                }
                _ => {}
            }
        }
    }
    let top = set[0];
    let total: f64 = set.iter().map(|&i| scaled(i, top, temp).exp()).sum();
    let mut dist: Distribution = set
        .iter()
        .map(|&i| (i, scaled(i, top, temp).exp() / total))
        .collect();
    dist.sort_by_key(|&(i, _)| i);
    (dist, if unsure { f64::NAN } else { temp })
}

/// Mirostat v1's `ln k = ln(e 2^mu / (1 - N^-e)) / s`, `e = s - 1`, in f64,
/// in log space (`2^mu` overflows f64 at the clamp's `mu = 1024`); at `e = 0`
/// its limit `mu ln 2 - ln ln N`.
fn mirostat_v1_ln_k(s: f64, mu: f64, n: usize) -> f64 {
    let e = s - 1.0;
    let l = (n as f64).ln();
    let num = if e == 0.0 {
        mu * LN_2 - l.ln()
    } else {
        e.abs().ln() + mu * LN_2 - (-e * l).exp_m1().abs().ln()
    };
    num / s
}

/// Whether the strict and loose references disagree on the set that reaches
/// `stage` (the first in `order`): a stage whose cut depends on the whole set
/// (dynamic temperature's entropy, top-n-sigma's sigma) then sees, in the
/// core, a set anywhere between them.
fn sets_differ_before(
    logits: &[f32],
    cfg: &SamplerConfig,
    order: &[Stage],
    ctx: &Context,
    stage: Stage,
) -> bool {
    let before = &order[..order.iter().position(|&s| s == stage).unwrap_or(0)];
    let ids = |s: Slack| -> Vec<u32> {
        let d = reference_filters(logits, cfg, before, ctx, s).0;
        d.iter().map(|p| p.0).collect()
    };
    ids(Slack::Strict) != ids(Slack::Loose)
}

/// A bound on how far the core's f32 `ln k` (`draw/mirostat.rs::v1`) is from
/// the exact one, first order in f32's unit roundoff `u = 2^-24`, from the
/// top logits' scaled values `v` (descending) and the exact `s`:
/// - `s = tb / tt` with `tb = sum t_i b_i`, `tt = sum t_i^2`, all terms
///   nonnegative: `b_i = (l_i - l_i+1) / T` (a difference, `1 / T` and a
///   product: 3u, and 2^-148 absolute where it is subnormal), `t_i =
///   logf(fl((i + 2) / (i + 1)))` (the quotient's rounding adds `u` to `t`,
///   `logf` one ulp), each product and addition one more `u`;
/// - the numerator `ln|e| + mu ln 2 - ln|expm1(x)|`, `x = -e ln N`: one ulp
///   for each of `logf`, `expm1f`, the product, two additions; `e = s - 1`
///   and `x` each round, moving it by its derivative `1/e + ln N e^x /
///   expm1(x)` (smooth at `e = 0`: `ln N / 2`), and so does the error of `s`;
/// - the quotient by `s` (whose relative error also scales `ln k`) and `expf`.
///
/// First order: where the relative error of `s` could exceed 1e-3 (the
/// second-order terms would then matter) it is infinite, as where f32
/// overflows (`temp` is the temperature that scaled `v`). The margins (4u
/// for operations that cost at most 3u) cover the second-order rest.
fn mirostat_v1_ln_k_slack(
    v: &[f64],
    tb: f64,
    s: f64,
    mu: f64,
    n: usize,
    ln_k: f64,
    temp: f64,
) -> f64 {
    const U: f64 = 1.0 / (1u64 << 24) as f64;
    let pairs = v.len().saturating_sub(1);
    if pairs == 0 {
        return 0.0; // NaN in both: one token
    }
    let (mut eps_t, mut b_max) = (0.0f64, 0.0f64);
    for i in 0..pairs {
        let t = ((i + 2) as f64 / (i + 1) as f64).ln();
        eps_t = eps_t.max(U / t + 2.0 * U);
        b_max = b_max.max(v[i] - v[i + 1]);
    }
    // The logits' difference itself, before the scaling, may overflow too.
    let f32_max = f32::MAX as f64;
    let raw = if temp.is_finite() { b_max * temp } else { 0.0 };
    if (b_max.max(raw).max(tb)) * (1.0 + 8.0 * U) >= f32_max {
        return f64::INFINITY;
    }
    let e = s - 1.0;
    let l = (n as f64).ln();
    let x = -e * l;
    let (a, b, c) = if e == 0.0 {
        (l.ln(), mu * LN_2, 0.0)
    } else {
        (e.abs().ln(), mu * LN_2, x.exp_m1().abs().ln())
    };
    let x_sensitivity = if x.abs() < 1e-3 {
        1.0
    } else {
        x.abs() * x.exp() / x.exp_m1().abs()
    };
    // The numerator's own roundings, with e (and so x) as the core has it.
    let rounding = 4.0 * U * (a.abs() + b.abs() + c.abs()) + 2.0 * U + 4.0 * U * x_sensitivity;
    if tb == 0.0 {
        // Equal logits: every b_i is exactly 0 in f32 too, so s = 0 and
        // e = -1 there: ln k is +-inf by the numerator's sign, NaN at 0.
        let num = a + b - c;
        return if num.abs() <= rounding {
            f64::INFINITY
        } else {
            0.0
        };
    }
    let p = pairs as f64;
    let eps_tb = eps_t + (p + 5.0) * U + p * 2f64.powi(-148) / tb;
    let eps_tt = 2.0 * eps_t + (p + 2.0) * U;
    let eps_s = eps_tb + eps_tt + U;
    if eps_s > 1e-3 {
        return f64::INFINITY;
    }
    // d numerator / de, with the series where 1/e and the other term cancel.
    let dnum = if x.abs() < 1e-3 {
        l / 2.0 - e * l * l / 12.0
    } else {
        1.0 / e + l * x.exp() / x.exp_m1()
    }
    .abs();
    let num_err = rounding + U * e.abs() * dnum + eps_s * s * dnum;
    let delta = num_err / s + (eps_s + U) * ln_k.abs() + 2.0 * U;
    if delta.is_nan() { f64::INFINITY } else { delta }
}

/// Dynamic temperature for the survivors `set` with scaled logits (at
/// temperature 1) `s`: `Tmin + (Tmax - Tmin) (H / ln n)^exponent`, `T0` for
/// one survivor, 0 below the smallest normal temperature. Returns it with
/// the lowest and highest `T` the core's rounding of the normalised entropy
/// allows (`f32` logarithms and fixed-point masses: an absolute error of
/// about `((ln W + |s̄| + 1) 2^-20 + n 2^-30 / W) / ln n`): `(low, exact, high)`.
pub fn dynamic_temperature(
    set: &[u32],
    cfg: &SamplerConfig,
    s: impl Fn(u32) -> f64,
) -> (f64, f64, f64) {
    let t0 = cfg.temperature as f64;
    if set.len() <= 1 {
        return (t0, t0, t0);
    }
    let w: Vec<f64> = set.iter().map(|&i| s(i).exp()).collect();
    let total: f64 = w.iter().sum();
    let h: f64 = w
        .iter()
        .map(|w| w / total)
        .filter(|p| *p > 0.0)
        .map(|p| -p * p.ln())
        .sum();
    let center: f64 = set
        .iter()
        .zip(&w)
        .map(|(&i, w)| w / total * s(i))
        .filter(|x| x.is_finite())
        .sum();
    let range = cfg.dynatemp_range as f64;
    let (lo, hi) = ((t0 - range).max(0.0), t0 + range);
    let ln_n = (set.len() as f64).ln();
    let norm = (h / ln_n).clamp(0.0, 1.0);
    // exp's and the fixed point's relative 2^-22 on every mass and on the
    // f32 logarithms (4x here), and half a unit of 2^-30 per mass in the total.
    let error = ((total.ln().abs() + center.abs() + 1.0) * 2f64.powi(-20)
        + set.len() as f64 * 2f64.powi(-30) / total)
        / ln_n;
    let t = |norm: f64| {
        let t = lo + (hi - lo) * norm.clamp(0.0, 1.0).powf(cfg.dynatemp_exponent as f64);
        if t < f32::MIN_POSITIVE as f64 { 0.0 } else { t }
    };
    (t(norm - error), t(norm), t(norm + error))
}

/// The scaled logits `s = (l - max) / T` the core exponentiates, as a function
/// of the token id (0 where all candidates are equally likely).
pub fn scaled_logits(logits: &[f32], temperature: f32) -> impl Fn(u32) -> f64 + '_ {
    let lmax = logits
        .iter()
        .map(|x| *x as f64)
        .fold(f64::NEG_INFINITY, f64::max);
    let uniform = lmax == f64::INFINITY || temperature == f32::INFINITY;
    move |i| {
        if uniform {
            0.0
        } else {
            (logits[i as usize] as f64 - lmax) / temperature as f64
        }
    }
}

/// Stated bound on the core's probability `p` for a survivor (see the crate
/// docs, "Exactness"): relative `(|s_i| + S + 16) * 2^-22` from exp and the
/// final rounding, where `s_i` is its scaled logit and `S` the
/// probability-weighted mean of `|s|` over the survivors (the normaliser's
/// share); plus the fixed-point rounding of the masses, half a unit of 2^-30
/// (of the max's weight 1) for its own mass and for each of the `m` masses in
/// the total `W` (the survivors' exact weight sum, `>= 1`), doubled here:
/// `(1 + m p) 2^-30 / W`.
pub fn probability_bound(p_ref: f64, s_i: f64, mean_abs_s: f64, m: usize, w: f64) -> f64 {
    p_ref * (s_i.abs() + mean_abs_s + 16.0) * 2f64.powi(-22)
        + (1.0 + m as f64 * p_ref) * 2f64.powi(-30) / w
}

/// Stated bound on `softmax_in_place`'s probabilities (f32 weights over an
/// integer normaliser): relative `(|s_i| + S + 16) * 2^-22` from exp and the
/// roundings, plus the normaliser's against the weights' exact sum `W`
/// (`>= 1`): half a unit of 2^-30 for its rounding and half a unit of 2^-51
/// for each of the `n` weights (the ones below 2^-21 are taken to 2^-51);
/// plus an absolute `2^-126` for results in the subnormal range.
pub fn softmax_bound(p_ref: f64, s_i: f64, mean_abs_s: f64, n: usize, w: f64) -> f64 {
    let normaliser = (2f64.powi(-31) + n as f64 * 2f64.powi(-52)) / w;
    p_ref * ((s_i.abs() + mean_abs_s + 16.0) * 2f64.powi(-22) + normaliser) + 2f64.powi(-126)
}

/// The integer masses of caller weights (`sample_inverse_cdf`, `AliasTable`),
/// computed independently of `MassScale`: `round(w 2^(29 - E))`, ties to
/// even, for the exponent `E` of the largest weight, in f64 arithmetic (exact
/// here: a power-of-two scaling); all 0 when every weight is 0.
pub fn weight_masses(weights: &[f32]) -> Vec<u64> {
    let max = weights.iter().copied().fold(0.0f32, f32::max);
    if max == 0.0 {
        return vec![0; weights.len()];
    }
    let k = 29 - (max as f64).log2().floor() as i32;
    weights
        .iter()
        .map(|&w| (w as f64 * 2f64.powi(k)).round_ties_even() as u64)
        .collect()
}

/// `sample_inverse_cdf`'s rule, computed independently: each probability's
/// mass ([`weight_masses`]), the target `floor(u Q)` in 128-bit integers,
/// and the first index whose running mass exceeds it. `probs` valid (not all
/// zero), `u` in `[0, 1)`.
pub fn inverse_cdf_reference(probs: &[f32], u: f32) -> u32 {
    let masses = weight_masses(probs);
    let total = masses.iter().sum::<u64>() as u128;
    // u = m 2^(e - 150) exactly (a subnormal: e = 1, no leading bit), and
    // m total < 2^86.
    let bits = u.abs().to_bits(); // -0.0 is 0
    let (m, e) = match bits >> 23 {
        0 => ((bits & 0x7f_ffff) as u128, 1),
        field => (((bits & 0x7f_ffff) | 0x80_0000) as u128, field),
    };
    let target = (m * total).checked_shr(150 - e).unwrap_or(0);
    let mut cum = 0u128;
    for (i, &q) in masses.iter().enumerate() {
        cum += q as u128;
        if cum > target {
            return i as u32;
        }
    }
    panic!("the target lies below the total")
}

/// Scaled logits above this always get a nonzero fixed-point mass: exp(s) is
/// then above 2^-31, half a unit of 2^-30 (ln 2^-31 = -21.49).
pub const MIN_DRAWABLE_SCALED_LOGIT: f64 = -21.4;

/// A SplitMix64 stream from `seed`: the deterministic inputs of the tests and
/// the benchmarks.
pub fn splitmix(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Deterministic model-like logits: a bulk N(0, sigma) plus a head of `head`
/// tokens `lift` above it, drawn with a SplitMix64 stream from `seed`.
pub fn model_logits(n: usize, sigma: f32, head: usize, lift: f32, seed: u64) -> Vec<f32> {
    let mut next = splitmix(seed);
    let mut unit = move || ((next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let mut out: Vec<f32> = (0..n)
        .map(|_| {
            let (u1, u2) = (unit(), unit());
            ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32 * sigma
        })
        .collect();
    for k in 0..head.min(n) {
        let slot = ((k as u64 * 2_654_435_761) % n as u64) as usize;
        // A Zipf-like head: the r-th token sits lift - 1.2 ln(r + 1) above the bulk.
        out[slot] = lift - 1.2 * ((k + 1) as f32).ln() + out[slot] * 0.1;
    }
    out
}

/// Upper tail probability of the chi-square distribution with `k` degrees of
/// freedom: `Q(k/2, x/2)`, by the series / continued fraction of the
/// regularised incomplete gamma function (Numerical Recipes 6.2).
pub fn chi_square_p_value(x: f64, k: usize) -> f64 {
    let a = k as f64 / 2.0;
    let x = x / 2.0;
    if x <= 0.0 {
        return 1.0;
    }
    let ln_gamma_a = ln_gamma(a);
    if x < a + 1.0 {
        let (mut sum, mut term, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        1.0 - sum * (-x + a * x.ln() - ln_gamma_a).exp()
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-15 {
                break;
            }
        }
        (-x + a * x.ln() - ln_gamma_a).exp() * h
    }
}

/// ln Γ(x) by the Lanczos approximation (g = 7, n = 9), |error| < 1e-13.
pub fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Pearson's chi-square of observed counts against expected probabilities,
/// merging categories (in order) until each expected count is at least 5.
/// Returns `(statistic, degrees of freedom)`.
pub fn chi_square(counts: &[u64], probs: &[f64]) -> (f64, usize) {
    let n: u64 = counts.iter().sum();
    let mut bins: Vec<(f64, f64)> = Vec::new();
    let (mut o, mut e) = (0.0, 0.0);
    for (c, p) in counts.iter().zip(probs) {
        o += *c as f64;
        e += p * n as f64;
        if e >= 5.0 {
            bins.push((o, e));
            o = 0.0;
            e = 0.0;
        }
    }
    if let Some(last) = bins.last_mut() {
        last.0 += o;
        last.1 += e;
    } else {
        bins.push((o, e));
    }
    let stat = bins.iter().map(|(o, e)| (o - e) * (o - e) / e).sum();
    (stat, bins.len().saturating_sub(1).max(1))
}

/// Every order of the four filter stages, after penalties and DRY.
pub fn all_orders() -> Vec<Vec<Stage>> {
    let stages = [Stage::Temperature, Stage::MinP, Stage::TopK, Stage::TopP];
    let mut out = Vec::new();
    for a in 0..4 {
        for b in 0..4 {
            for c in 0..4 {
                for d in 0..4 {
                    let idx = [a, b, c, d];
                    let mut seen = [false; 4];
                    idx.iter().for_each(|&i| seen[i] = true);
                    if seen.iter().all(|s| *s) {
                        let mut order = vec![Stage::Penalties, Stage::Dry];
                        order.extend(idx.map(|i| stages[i]));
                        out.push(order);
                    }
                }
            }
        }
    }
    out
}

/// The ids a distribution gives positive probability, ascending.
pub fn support(dist: &[f32]) -> Vec<usize> {
    (0..dist.len()).filter(|&i| dist[i] > 0.0).collect()
}

/// Runs the core's `distribution_in_place` with capacity `CAP` on `backend`.
pub fn core_distribution<const CAP: usize>(
    logits: &[f32],
    cfg: SamplerConfig,
    order: &[Stage],
    backend: logit_sampler::Backend,
) -> Result<Vec<f32>, SampleError> {
    core_distribution_with::<CAP>(logits, cfg, order, &Context::default(), backend)
}

/// A sampler with capacity `CAP` (history 64) set up for `ctx`: its
/// history accepted, its breakers set.
pub fn core_sampler<const CAP: usize>(
    cfg: SamplerConfig,
    order: &[Stage],
    ctx: &Context,
    backend: logit_sampler::Backend,
) -> Result<logit_sampler::Sampler<CAP>, SampleError> {
    let mut sampler: logit_sampler::Sampler<CAP> = logit_sampler::Sampler::new(cfg)?
        .with_order(order)?
        .with_backend(backend)?
        .with_dry_breakers(ctx.breakers)?;
    for &t in ctx.history {
        sampler.accept(t);
    }
    Ok(sampler)
}

/// `distribution_in_place_with` on a sampler from [`core_sampler`].
pub fn core_distribution_with<const CAP: usize>(
    logits: &[f32],
    cfg: SamplerConfig,
    order: &[Stage],
    ctx: &Context,
    backend: logit_sampler::Backend,
) -> Result<Vec<f32>, SampleError> {
    let mut sampler = core_sampler::<CAP>(cfg, order, ctx, backend)?;
    let mut buf = logits.to_vec();
    sampler.distribution_in_place_with(&mut buf, &ctx.constraints)?;
    Ok(buf)
}

/// Asserts `strict ⊆ core ⊆ loose` and every core probability within
/// [`probability_bound`] of the exact weights renormalised over the core's
/// survivors. Returns whether the set was pinned (strict equal to loose).
pub fn check_against_reference(
    logits: &[f32],
    cfg: &SamplerConfig,
    order: &[Stage],
    core: &[f32],
) -> Result<bool, String> {
    check_against_reference_with(logits, cfg, order, &Context::default(), core)
}

/// [`check_against_reference`] with a context: the bounds apply to the
/// rewritten logits.
pub fn check_against_reference_with(
    logits: &[f32],
    cfg: &SamplerConfig,
    order: &[Stage],
    ctx: &Context,
    core: &[f32],
) -> Result<bool, String> {
    let strict =
        reference_with(logits, cfg, order, ctx, Slack::Strict).map_err(|e| format!("{e}"))?;
    let loose =
        reference_with(logits, cfg, order, ctx, Slack::Loose).map_err(|e| format!("{e}"))?;
    let rewritten = reference_rewrite(logits, cfg, order, ctx);
    let logits = &rewritten[..];
    let core_set: Vec<u32> = (0..core.len() as u32)
        .filter(|&i| core[i as usize] > 0.0)
        .collect();
    let loose_ids: std::collections::HashSet<u32> = loose.iter().map(|p| p.0).collect();
    for &i in &core_set {
        if !loose_ids.contains(&i) {
            return Err(format!(
                "core keeps token {i} (p = {}), outside the loose reference",
                core[i as usize]
            ));
        }
    }
    // The exact draw's temperature (dynamic temperature's when on); scaled
    // logits against the largest logit the core kept.
    let (_, temp) = reference_filters(logits, cfg, order, ctx, Slack::Exact);
    if temp.is_nan() {
        // A dynamic temperature within rounding of a decision: the sets are
        // bounded above, the probabilities not.
        return Ok(false);
    }
    let temp = if temp == 0.0 { 1.0 } else { temp };
    let top = core_set
        .iter()
        .map(|&i| logits[i as usize] as f64)
        .fold(f64::NEG_INFINITY, f64::max);
    let scaled_logit = |i: u32| {
        let x = logits[i as usize] as f64;
        if top == f64::INFINITY || temp.is_infinite() {
            0.0
        } else {
            (x - top) / temp
        }
    };
    let greedy = cfg.temperature == 0.0 && cfg.dynatemp_range == 0.0;
    for &(i, _) in &strict {
        // Weights below 2^-31 of the max's round to mass 0: such tokens cannot show.
        let representable = greedy || scaled_logit(i) > MIN_DRAWABLE_SCALED_LOGIT;
        if representable && core[i as usize] <= 0.0 {
            return Err(format!(
                "core drops token {i}, kept by the strict reference"
            ));
        }
    }
    if let Some(i) = core.iter().position(|p| !(p.is_finite() && *p >= 0.0)) {
        return Err(format!("core probability {i} is {}", core[i]));
    }
    let total: f64 = core.iter().map(|p| *p as f64).sum();
    // (Every value is finite by now, so the total is too.)
    if (total - 1.0).abs() > 1e-5 {
        return Err(format!("core probabilities sum to {total}"));
    }
    // Probabilities: the exact weights renormalised over the core's own survivors
    // (which the checks above pin between strict and loose).
    let weights: Vec<f64> = core_set.iter().map(|&i| scaled_logit(i).exp()).collect();
    let total: f64 = weights.iter().sum();
    let mean_abs_s: f64 = core_set
        .iter()
        .zip(&weights)
        .map(|(&i, w)| w / total * scaled_logit(i).abs())
        .sum();
    // A dynamic temperature is itself rounded: each scaled logit moves by a
    // relative DYNATEMP_REL, so each probability by that of `|s_i| + S`.
    let t_rel = if cfg.dynatemp_range > 0.0 && cfg.mirostat == Mirostat::Off {
        2.0 * DYNATEMP_REL
    } else {
        0.0
    };
    for (&i, w) in core_set.iter().zip(&weights) {
        let (got, p) = (core[i as usize] as f64, w / total);
        let bound = probability_bound(p, scaled_logit(i), mean_abs_s, core_set.len(), total)
            + p * (scaled_logit(i).abs() + mean_abs_s) * t_rel;
        if (got - p).abs() > bound {
            return Err(format!(
                "token {i}: core {got:e}, reference {p:e}, bound {bound:e}"
            ));
        }
    }
    let pinned = strict.len() == loose.len();
    Ok(pinned)
}

/// The survivors when no decision of the pipeline is borderline: the
/// reference's strict, exact and loose sets agree after every stage (a
/// prefix of `order`), not only at the end, because typical-p and XTC are
/// not monotone in their input (a larger set can lose other tokens) and a
/// later prefix filter may hide an earlier ambiguity. `None` otherwise.
pub fn pinned_survivors(
    logits: &[f32],
    cfg: &SamplerConfig,
    order: &[Stage],
    ctx: &Context,
) -> Option<Vec<u32>> {
    let rewritten = reference_rewrite(logits, cfg, order, ctx);
    let mut exact = Vec::new();
    for end in 1..=order.len() {
        let prefix = order.get(..end)?;
        // A prefix ending in a stage that is off (or, under mirostat, which
        // ignores the order, any prefix but the whole) gives the previous
        // prefix's sets, already checked: `reference_filters` passes it by.
        let last = order.get(end - 1)?;
        if end > 1
            && (!acts(*last, cfg, ctx) || (cfg.mirostat != Mirostat::Off && end < order.len()))
        {
            continue;
        }
        let ids = |slack| -> Vec<u32> {
            let d = reference_filters(&rewritten, cfg, prefix, ctx, slack).0;
            d.iter().map(|p| p.0).collect()
        };
        exact = ids(Slack::Exact);
        if ids(Slack::Strict) != exact || ids(Slack::Loose) != exact {
            return None;
        }
    }
    Some(exact)
}

/// False for a stage that `reference_filters` passes by for `cfg` (the
/// guards of its arms that depend only on the configuration; penalties and
/// DRY act in `reference_rewrite`); true otherwise.
fn acts(stage: Stage, cfg: &SamplerConfig, ctx: &Context) -> bool {
    match stage {
        Stage::Penalties | Stage::Dry => false,
        Stage::MinP => cfg.min_p > 0.0,
        Stage::TopK => cfg.top_k > 0,
        Stage::TopP => cfg.top_p < 1.0,
        Stage::TopNSigma => cfg.top_n_sigma > 0.0,
        Stage::Typical => cfg.typical_p < 1.0,
        Stage::Xtc => cfg.xtc_probability > 0.0 && !ctx.xtc_idle,
        Stage::Temperature => true,
    }
}

/// For pipelines with stages whose output is not monotone in their input
/// (typical-p, XTC), `strict ⊆ core ⊆ loose` need not hold when a decision
/// is borderline. Returns `Ok(false)` for such a case ([`pinned_survivors`]
/// is `None`); otherwise the set is pinned and
/// [`check_against_reference_with`] must pass.
pub fn check_pinned_with(
    logits: &[f32],
    cfg: &SamplerConfig,
    order: &[Stage],
    ctx: &Context,
    core: &[f32],
) -> Result<bool, String> {
    if pinned_survivors(logits, cfg, order, ctx).is_none() {
        return Ok(false);
    }
    check_against_reference_with(logits, cfg, order, ctx, core).map(|_| true)
}

/// A proptest configuration with `cases` cases and a pinned seed, so a run's
/// inputs (and so which mutants it kills) do not change from run to run;
/// failures are still saved to the `*.proptest-regressions` files beside the
/// tests and replayed first. `PROPTEST_RNG_SEED=<u64>` explores another seed.
pub fn pinned(cases: u32) -> proptest::test_runner::Config {
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x1061_7a3d_5eed);
    proptest::test_runner::Config {
        cases,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        ..proptest::test_runner::Config::default()
    }
}

/// proptest strategies for logits and configurations.
pub mod strategies {
    use super::all_orders;
    use logit_sampler::{SamplerConfig, Stage};
    use proptest::prelude::*;

    /// A valid logit (no NaN): ordinary values, duplicates, infinities,
    /// subnormals and values near `±f32::MAX`.
    pub fn logit() -> impl Strategy<Value = f32> {
        prop_oneof![
            8 => -20.0f32..20.0,
            3 => prop::sample::select(vec![0.0f32, -0.0, 1.0, -1.0, 2.5, 7.0]),
            1 => prop::sample::select(vec![
                f32::INFINITY, f32::NEG_INFINITY, 1e-40, -1e-45, 3e38, -3e38, f32::MAX, -f32::MAX
            ]),
            1 => -1e4f32..1e4,
        ]
    }

    /// Any logit, NaN included.
    pub fn any_logit() -> impl Strategy<Value = f32> {
        prop_oneof![12 => logit(), 1 => Just(f32::NAN)]
    }

    /// Logits of length in `len`: without NaN three times out of four (a
    /// NaN per 13 logits would make nearly every long vector an error), any
    /// logit otherwise.
    pub fn logits(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<f32>> {
        prop_oneof![
            3 => prop::collection::vec(logit(), len.clone()),
            1 => prop::collection::vec(any_logit(), len),
        ]
    }

    /// A temperature: greedy, +inf, the common range, and the extremes.
    pub fn temperature() -> impl Strategy<Value = f32> {
        prop_oneof![
            1 => Just(0.0f32),
            1 => Just(f32::INFINITY),
            2 => Just(1.0f32),
            6 => (-3.0f32..3.0).prop_map(|e| 10f32.powf(e)),
        ]
    }

    /// A valid configuration.
    pub fn config() -> impl Strategy<Value = SamplerConfig> {
        (
            temperature(),
            prop_oneof![2 => Just(0.0f32), 2 => 0.0f32..=1.0, 1 => Just(1.0)],
            prop_oneof![2 => Just(0usize), 3 => 1usize..64, 1 => 64usize..100_000],
            prop_oneof![2 => Just(1.0f32), 3 => 0.01f32..1.0, 1 => Just(0.99)],
        )
            .prop_map(|(temperature, min_p, top_k, top_p)| SamplerConfig {
                temperature,
                min_p,
                top_k,
                top_p,
                ..SamplerConfig::default()
            })
    }

    /// A valid configuration with the context stages on as often as off
    /// (windows up to 64, the default `HISTORY`).
    pub fn context_config() -> impl Strategy<Value = SamplerConfig> {
        (
            config(),
            prop_oneof![1 => Just(1.0f32), 2 => 0.5f32..3.0, 1 => Just(50.0)],
            prop_oneof![1 => Just(0.0f32), 1 => -1.0f32..2.0],
            prop_oneof![1 => Just(0.0f32), 1 => -1.0f32..2.0],
            0usize..=64,
            prop_oneof![1 => Just(0.0f32), 2 => 0.0f32..3.0],
            prop_oneof![1 => Just(1.0f32), 2 => 1.0f32..3.0, 1 => Just(1e6)],
            0usize..5,
            0usize..=64,
        )
            .prop_map(|(c, r, f, p, n, m, b, a, dn)| SamplerConfig {
                repeat_penalty: r,
                frequency_penalty: f,
                presence_penalty: p,
                penalty_last_n: n,
                dry_multiplier: m,
                dry_base: b,
                dry_allowed_length: a,
                dry_penalty_last_n: dn,
                ..c
            })
    }

    /// A history over a small alphabet (so that it repeats), up to 80 tokens.
    pub fn history(vocab: u32) -> impl Strategy<Value = Vec<u32>> {
        prop::collection::vec(0..vocab.max(1) + 2, 0..80)
    }

    /// Any configuration, out-of-range values included.
    pub fn any_config() -> impl Strategy<Value = SamplerConfig> {
        let bad = prop::sample::select(vec![f32::NAN, -1.0, -1e-30, 1e-40, 1.5, f32::INFINITY]);
        (
            config(),
            prop::option::of(bad.clone()),
            prop::option::of(bad.clone()),
            prop::option::of(bad),
        )
            .prop_map(|(mut c, t, m, p)| {
                if let Some(t) = t {
                    c.temperature = t;
                }
                if let Some(m) = m {
                    c.min_p = m;
                }
                if let Some(p) = p {
                    c.top_p = p;
                }
                c
            })
    }

    /// The default order half of the time, any permutation of the filters
    /// (after penalties and DRY, in either order) otherwise.
    pub fn order() -> impl Strategy<Value = Vec<Stage>> {
        prop_oneof![
            Just(Stage::DEFAULT_ORDER.to_vec()),
            (prop::sample::select(all_orders()), any::<bool>()).prop_map(|(mut o, swap)| {
                if swap {
                    o.swap(0, 1);
                }
                o
            })
        ]
    }
}

/// A generator whose every output is the given value: pins a draw's uniform
/// exactly (boundaries, `u64::MAX`, every column of an alias table).
pub struct Fixed(pub u64);

impl logit_sampler::rand_core::TryRng for Fixed {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.0 as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        dst.fill(0);
        Ok(())
    }
}
