//! `Sampler::sample`, `Sampler::sample_with` and `Sampler::sample_constrained`
//! on every available backend
//! and at capacities 0, 1, 16 and 4096 (histories 32, 33, 64 and 32), over
//! arbitrary logits, configurations (context stages included; valid or not),
//! stage orders (valid or not), histories, DRY breakers (valid or not), logit
//! biases and allowed-token masks (valid or not), top-slice lengths and seeds.
//!
//! Asserts what the proptest suite asserts (`check_sample_with` in
//! `tests/tests/properties.rs`), and more: no panic; building the sampler
//! fails exactly when the reference predicts (config, windows, order,
//! breakers); `reset` and `accept` leave the last `H` tokens in the history;
//! each call errs exactly when the reference predicts (logits, then
//! constraints for `sample_with`), leaving the buffer bit-identical, `top`,
//! the history and the generator untouched; on success exactly one
//! `next_u64` is consumed and the token is appended to the history, and the
//! token is in range, kept by the loose f64 reference (after the
//! constraints, penalties and DRY), at most 21.5 nats below the max after
//! temperature, with nonzero probability in `distribution_in_place_with`;
//! `sample_with` reports the model's logprob of the token, the top slice
//! (the best logits, ties to the lowest id, model logprobs) and the drawn
//! distribution's logprob; with empty constraints `sample_with` draws
//! `sample`'s token; and every backend, capacity and history size gives the
//! same token, logprobs and top slice. The sampler is reused across backends
//! (its scratch is left dirty by the previous call, its history reset and
//! primed again), so a result cannot depend on stale state.

#![no_main]

use libfuzzer_sys::fuzz_target;
use logit_sampler::rand_core::{Rng, SeedableRng};
use logit_sampler::{Backend, Pcg32, SampleError, Sampled, Sampler, TokenLogprob};
use logit_sampler_fuzz::{
    NEVER_DRAWN_BELOW, SamplerInput, assert_error, history_of, same_bits, same_error, with_token,
};
use sampler_tests::{
    Context, Slack, pinned_survivors, reference_error, reference_rewrite, reference_with,
};

/// What `sample_with` returned: the draw and the top slice.
type WithOutcome = Result<(Sampled, Vec<TokenLogprob>), SampleError>;

struct Outcome {
    backend: Backend,
    cap: usize,
    history: usize,
    sample: Result<u32, SampleError>,
    with: WithOutcome,
}

/// What `top` holds before the call: a value no slot can be given.
const SENTINEL: TokenLogprob = TokenLogprob {
    token: 7,
    logprob: 0.5,
};

fuzz_target!(|input: SamplerInput| {
    let mut outcomes = Vec::new();
    run::<0, 32>(&input, &mut outcomes);
    run::<1, 33>(&input, &mut outcomes);
    run::<16, 64>(&input, &mut outcomes);
    run::<4096, 32>(&input, &mut outcomes);
    let Some(first) = outcomes.first() else {
        return; // Every sampler was refused.
    };
    for o in &outcomes {
        let what = format!("{:?}, CAP {}, HISTORY {}", o.backend, o.cap, o.history);
        let same = match (&first.sample, &o.sample) {
            (Ok(a), Ok(b)) => a == b,
            (Err(a), Err(b)) => same_error(a, b),
            _ => false,
        };
        assert!(
            same,
            "{what}: sample {:?}, but the first sampler gave {:?}",
            o.sample, first.sample
        );
        let same = match (&first.with, &o.with) {
            (Ok(a), Ok(b)) => same_sampled(a, b),
            (Err(a), Err(b)) => same_error(a, b),
            _ => false,
        };
        assert!(
            same,
            "{what}: sample_with {:?}, but the first sampler gave {:?}",
            o.with, first.with
        );
    }
    if let Ok(token) = first.sample {
        check_token(&input, token, false);
    }
    if let Ok((s, top)) = &first.with {
        check_token(&input, s.token, true);
        check_logprobs(&input, s, top);
    }
});

/// The same draw, logprobs and top slice (logprobs equal as values: a path
/// may give `-0.0` where another gives `0.0`).
fn same_sampled(a: &(Sampled, Vec<TokenLogprob>), b: &(Sampled, Vec<TokenLogprob>)) -> bool {
    a.0 == b.0 && a.1 == b.1
}

fn run<const CAP: usize, const H: usize>(input: &SamplerInput, outcomes: &mut Vec<Outcome>) {
    let Some(mut sampler) = input.build::<CAP, H>() else {
        return;
    };
    let breakers = input.breaker_slices();
    let logits = &input.logits;
    let config = input.config;
    let expected = reference_error(logits, &config, &input.context(&breakers, false));
    let expected_with = reference_error(logits, &config, &input.context(&breakers, true));
    let history = input.expected_history::<H>();
    for &backend in Backend::available() {
        sampler = sampler.with_backend(backend).expect("an available backend");
        let what = format!("{backend:?}, CAP {CAP}, HISTORY {H}");

        input.prime(&mut sampler);
        let mut buf = logits.clone();
        let mut rng = Pcg32::seed_from_u64(input.seed);
        let before = rng.clone();
        let sample = sampler.sample(&mut buf, &mut rng);
        match &sample {
            Err(e) => {
                assert_error(e, expected, &format!("{what}: sample"));
                assert!(same_bits(&buf, logits), "{what}: buffer changed on error");
                assert_eq!(rng, before, "{what}: randomness consumed on error");
                assert_eq!(
                    history_of(&sampler),
                    history,
                    "{what}: history changed on error"
                );
            }
            Ok(token) => {
                assert!(
                    expected.is_none(),
                    "{what}: token {token}, but the reference predicts {expected:?}"
                );
                let mut once = before.clone();
                for _ in 0..input.words_per_call() {
                    once.next_u64();
                }
                assert_eq!(
                    rng,
                    once,
                    "{what}: not exactly {} next_u64",
                    input.words_per_call()
                );
                assert_eq!(
                    history_of(&sampler),
                    with_token::<H>(&history, *token),
                    "{what}: the history after sample"
                );
            }
        }

        input.prime(&mut sampler);
        let mut buf = logits.clone();
        let mut rng = Pcg32::seed_from_u64(input.seed);
        let mut top = vec![SENTINEL; input.top_len];
        let with = sampler.sample_with(&mut buf, &mut rng, &input.constraints(), &mut top);
        match &with {
            Err(e) => {
                assert_error(e, expected_with, &format!("{what}: sample_with"));
                assert!(same_bits(&buf, logits), "{what}: buffer changed on error");
                assert!(
                    top.iter().all(|t| *t == SENTINEL),
                    "{what}: top written on error"
                );
                assert_eq!(rng, before, "{what}: randomness consumed on error");
                assert_eq!(
                    history_of(&sampler),
                    history,
                    "{what}: history changed on error"
                );
            }
            Ok(s) => {
                assert!(
                    expected_with.is_none(),
                    "{what}: {s:?}, but the reference predicts {expected_with:?}"
                );
                let mut once = before.clone();
                for _ in 0..input.words_per_call() {
                    once.next_u64();
                }
                assert_eq!(
                    rng,
                    once,
                    "{what}: not exactly {} next_u64",
                    input.words_per_call()
                );
                assert_eq!(
                    history_of(&sampler),
                    with_token::<H>(&history, s.token),
                    "{what}: the history after sample_with"
                );
            }
        }
        // `sample_constrained` draws `sample_with`'s token (or fails alike).
        input.prime(&mut sampler);
        let mut buf = logits.clone();
        let mut rng = Pcg32::seed_from_u64(input.seed);
        let plain = sampler.sample_constrained(&mut buf, &mut rng, &input.constraints());
        let same = match (&plain, &with) {
            (Ok(a), Ok(b)) => *a == b.token,
            (Err(a), Err(b)) => same_error(a, b),
            _ => false,
        };
        assert!(
            same,
            "{what}: sample_constrained gave {plain:?}, sample_with {with:?}"
        );
        if input.unconstrained() {
            let same = match (&sample, &with) {
                (Ok(a), Ok(b)) => *a == b.token,
                (Err(a), Err(b)) => same_error(a, b),
                _ => false,
            };
            assert!(
                same,
                "{what}: without constraints sample gave {sample:?}, sample_with {with:?}"
            );
        }
        assert_eq!(sampler.backend(), backend);
        outcomes.push(Outcome {
            backend,
            cap: CAP,
            history: H,
            sample,
            with: with.map(|s| (s, top)),
        });
    }
}

/// A sampler for the checks: history 64 accepts every window the targets'
/// samplers do.
fn checker(input: &SamplerInput) -> Sampler<16, 64> {
    let mut s = input
        .build::<16, 64>()
        .expect("a configuration some sampler accepted");
    input.prime(&mut s);
    s
}

/// Checks a drawn token against the reference and against the distribution
/// (`constrained`: drawn by `sample_with`, under the input's constraints).
fn check_token(input: &SamplerInput, token: u32, constrained: bool) {
    let breakers = input.breaker_slices();
    let ctx = input.context(&breakers, constrained);
    let (config, order, logits) = (&input.config, &input.order, &input.logits);
    let call = if constrained { "sample_with" } else { "sample" };
    let i = token as usize;
    assert!(i < logits.len(), "{call}: token {token} out of range");
    let rewritten = reference_rewrite(logits, config, order, &ctx);
    let l = rewritten[i];
    assert!(
        !l.is_nan() && l != f32::NEG_INFINITY,
        "{call}: token {token} has logit {l} after the context stages"
    );
    let loose: Vec<u32> = reference_with(logits, config, order, &ctx, Slack::Loose)
        .expect("the reference accepts")
        .iter()
        .map(|p| p.0)
        .collect();
    // Typical-p and XTC are not monotone in their input: their loose set
    // bounds nothing, so they are checked only where the reference is pinned.
    let checked = !input.non_monotone() || pinned_survivors(logits, config, order, &ctx).is_some();
    assert!(
        !checked || loose.contains(&token),
        "{call}: token {token} (logit {l} after the context stages) is not a survivor of the loose reference"
    );
    // (A dynamic temperature is not `config.temperature`, and typical-p or
    // XTC may remove the max the scaled logits are measured from.)
    if config.temperature != 0.0 && config.dynatemp_range == 0.0 && !input.non_monotone() {
        let s = sampler_tests::scaled_logits(&rewritten, config.temperature)(token);
        assert!(
            s >= NEVER_DRAWN_BELOW,
            "{call}: token {token} is {s} nats below the max after temperature: its mass is 0"
        );
    }
    let mut dist = logits.clone();
    checker(input)
        .distribution_in_place_with(&mut dist, &ctx.constraints)
        .expect("distribution_in_place_with accepts what the draw accepted");
    // The distribution shows XTC as it acts when its coin fires.
    if ctx.xtc_idle && input.config.xtc_probability > 0.0 {
        return;
    }
    assert!(
        dist[i] > 0.0,
        "{call}: token {token} has probability {} in distribution_in_place_with",
        dist[i]
    );
}

/// `sample_with`'s logprobs against f64: the model's (log-softmax of the
/// logits as passed) for the token and the top slice, and the drawn
/// distribution's (`distribution_in_place_with`'s probability of the token).
fn check_logprobs(input: &SamplerInput, s: &Sampled, top: &[TokenLogprob]) {
    let logits = &input.logits;
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let certain = logits.iter().filter(|x| **x == f32::INFINITY).count() as f64;
    let z: f64 = logits.iter().map(|&x| (x as f64 - max).exp()).sum();
    let model = |l: f32| -> f64 {
        if max == f64::INFINITY {
            return if l == f32::INFINITY {
                -certain.ln()
            } else {
                f64::NEG_INFINITY
            };
        }
        l as f64 - max - z.ln()
    };
    // Within 1e-4 relative, or the f32 the exact value rounds to (a logprob
    // below -f32::MAX is -inf in f32).
    let close = |got: f32, want: f64| {
        got as f64 == want
            || want as f32 == got
            || (got as f64 - want).abs() <= 1e-4 * (1.0 + want.abs())
    };
    let want = model(logits[s.token as usize]);
    assert!(
        close(s.logprob, want),
        "token {}: model logprob {}, f64 {want}",
        s.token,
        s.logprob
    );
    let mut ids: Vec<u32> = (0..logits.len() as u32).collect();
    ids.sort_by(|&a, &b| {
        logits[b as usize]
            .partial_cmp(&logits[a as usize])
            .expect("no NaN on success")
            .then(a.cmp(&b))
    });
    assert_eq!(top.len(), input.top_len, "top slice length");
    for (i, t) in top.iter().enumerate() {
        match ids.get(i) {
            Some(&id) => {
                assert_eq!(t.token, id, "top slot {i}: {top:?}");
                let want = model(logits[id as usize]);
                assert!(
                    close(t.logprob, want),
                    "top slot {i} (token {id}): logprob {}, f64 {want}",
                    t.logprob
                );
            }
            None => assert_eq!(
                (t.token, t.logprob),
                (u32::MAX, f32::NEG_INFINITY),
                "top slot {i} past the vocabulary"
            ),
        }
    }
    let breakers = input.breaker_slices();
    let ctx: Context = input.context(&breakers, true);
    let mut dist = logits.clone();
    checker(input)
        .distribution_in_place_with(&mut dist, &ctx.constraints)
        .expect("distribution_in_place_with accepts what sample_with accepted");
    if ctx.xtc_idle && input.config.xtc_probability > 0.0 {
        return;
    }
    let want = if dist[s.token as usize] == 1.0 {
        0.0
    } else {
        (dist[s.token as usize] as f64).ln()
    };
    assert!(
        (s.sampling_logprob as f64 - want).abs() <= 1e-5 * (1.0 + want.abs()),
        "token {}: sampling logprob {}, ln of its probability in distribution_in_place_with {want}",
        s.token,
        s.sampling_logprob
    );
}
