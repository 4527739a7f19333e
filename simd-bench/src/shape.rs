//! The shape stages (issue 10), each timed interleaved with a baseline in the
//! same run ([`crate::time_pair`]), on the model-like input:
//!
//! - in the default chain (`chain+typical`, `chain+top-n-sigma`, `chain+xtc`,
//!   `chain+dynatemp`): the chain (T 0.8, min-p 0.05, top-k 40, top-p 0.95)
//!   with the stage after top-p, where the survivors sit in the scratch, vs
//!   the chain alone (goal: at most 1.2x);
//! - over the whole vocabulary (`typical`, `top-n-sigma` alone at T 1) vs
//!   `softmax_in_place` on the same backend (goal: at most 1.5x), and
//!   `mirostat-v2` and `mirostat-v1` alone (tau 5, eta 0.1, v1's m 100) vs a
//!   full-vocabulary draw (`sample` at T 1; goal for v2: at most 1.5x);
//! - `llama.cpp preset`: `SamplerConfig::llama_cpp()` in
//!   `Stage::LLAMA_CPP_ORDER` vs the llama.cpp-style loop (the peer);
//! - peers where llm-samplers has the stage (its `SampleLocallyTypical`,
//!   `SampleMirostat1`, `SampleMirostat2`), beside its full-vocabulary draw.

use logit_sampler::rand_core::SeedableRng;
use logit_sampler::{
    Backend, Mirostat, Pcg32, Sampler, SamplerConfig, Stage, softmax_in_place_with,
};

use crate::{CAP, Case, DEFAULT_CHAIN, Input, Who, case, paired, params, peers};

/// The default order with the filters that read the whole set moved after
/// top-p, so that in the chain rows they see the chain's few survivors.
pub const CHAIN_ORDER: [Stage; Stage::COUNT] = [
    Stage::Penalties,
    Stage::Dry,
    Stage::Temperature,
    Stage::MinP,
    Stage::TopK,
    Stage::TopP,
    Stage::TopNSigma,
    Stage::Typical,
    Stage::Xtc,
];

/// [`CHAIN_ORDER`] with the temperature last (llama.cpp's place for it).
pub const DYNATEMP_ORDER: [Stage; Stage::COUNT] = [
    Stage::Penalties,
    Stage::Dry,
    Stage::MinP,
    Stage::TopK,
    Stage::TopP,
    Stage::TopNSigma,
    Stage::Typical,
    Stage::Xtc,
    Stage::Temperature,
];

/// Mirostat v1 as llama.cpp's defaults have it (`m` 100).
pub const MIROSTAT_V1: Mirostat = Mirostat::V1 {
    tau: 5.0,
    eta: 0.1,
    m: 100,
};

/// Mirostat v2 as llama.cpp's defaults have it.
pub const MIROSTAT_V2: Mirostat = Mirostat::V2 { tau: 5.0, eta: 0.1 };

fn sampler(cfg: SamplerConfig, order: &[Stage], b: Backend) -> Box<Sampler<CAP>> {
    Box::new(
        Sampler::new(cfg)
            .and_then(|s| s.with_order(order))
            .and_then(|s| s.with_backend(b))
            .expect("valid config, order and backend"),
    )
}

/// `sample` with `cfg` in `order` on `b`. Mirostat's `mu` moves with every
/// call, as it does in use.
fn ours(stage: &str, cfg: SamplerConfig, order: &[Stage], b: Backend) -> Case {
    let mut s = sampler(cfg, order, b);
    let mut rng = Pcg32::seed_from_u64(1);
    case(stage, b.name(), Who::Ours(b), move |xs| {
        std::hint::black_box(s.sample(xs, &mut rng).expect("valid logits"));
    })
}

/// What each baseline is, as the report names it.
pub const BASE_CHAIN: &str = "default chain alone";
pub const BASE_SOFTMAX: &str = "softmax_in_place";
pub const BASE_DRAW: &str = "full-vocab draw (T 1)";

/// The shape-stage cases for `input` (the model-like input only).
pub fn cases(input: &Input, backends: &[Backend]) -> Vec<Case> {
    let mut v = Vec::new();
    if input.name != "model" {
        return v;
    }
    let chain_rows = [
        (
            "chain+typical",
            SamplerConfig {
                typical_p: 0.95,
                ..DEFAULT_CHAIN
            },
        ),
        (
            "chain+top-n-sigma",
            SamplerConfig {
                top_n_sigma: 1.0,
                ..DEFAULT_CHAIN
            },
        ),
        (
            "chain+xtc",
            SamplerConfig {
                xtc_probability: 1.0,
                xtc_threshold: 0.1,
                ..DEFAULT_CHAIN
            },
        ),
        (
            "chain+dynatemp",
            SamplerConfig {
                dynatemp_range: 0.5,
                ..DEFAULT_CHAIN
            },
        ),
    ];
    for (stage, cfg) in chain_rows {
        // Dynamic temperature is the temperature stage: after the filters,
        // as llama.cpp orders it, so that it reads their few survivors.
        let order = if stage == "chain+dynatemp" {
            &DYNATEMP_ORDER
        } else {
            &CHAIN_ORDER
        };
        for &b in backends {
            v.push(paired(
                ours(stage, cfg, order, b),
                ours(BASE_CHAIN, DEFAULT_CHAIN, order, b),
            ));
        }
    }
    let whole = [
        (
            "typical",
            SamplerConfig {
                typical_p: 0.95,
                ..SamplerConfig::DEFAULT
            },
        ),
        (
            "top-n-sigma",
            SamplerConfig {
                top_n_sigma: 1.0,
                ..SamplerConfig::DEFAULT
            },
        ),
    ];
    for (stage, cfg) in whole {
        for &b in backends {
            v.push(paired(
                ours(stage, cfg, &Stage::DEFAULT_ORDER, b),
                case(BASE_SOFTMAX, b.name(), Who::Ours(b), move |xs| {
                    softmax_in_place_with(b, xs, 1.0).expect("valid logits");
                }),
            ));
        }
    }
    let v2 = SamplerConfig {
        mirostat: MIROSTAT_V2,
        ..SamplerConfig::DEFAULT
    };
    let v1 = SamplerConfig {
        mirostat: MIROSTAT_V1,
        ..SamplerConfig::DEFAULT
    };
    for &b in backends {
        v.push(paired(
            ours("mirostat-v2", v2, &Stage::DEFAULT_ORDER, b),
            ours(BASE_DRAW, SamplerConfig::DEFAULT, &Stage::DEFAULT_ORDER, b),
        ));
        v.push(paired(
            ours("mirostat-v1", v1, &Stage::DEFAULT_ORDER, b),
            ours(BASE_DRAW, SamplerConfig::DEFAULT, &Stage::DEFAULT_ORDER, b),
        ));
    }
    let preset = SamplerConfig::llama_cpp();
    for &b in backends {
        let mut peer = peers::LlamaCppStyle::new(params(DEFAULT_CHAIN), None);
        v.push(paired(
            ours("llama.cpp preset", preset, &Stage::LLAMA_CPP_ORDER, b),
            case(
                "llama.cpp-style loop",
                "peer: llama.cpp-style loop",
                Who::Peer,
                move |xs| {
                    std::hint::black_box(peer.sample(xs));
                },
            ),
        ));
    }
    let mut typical = peers::LlmSamplersShape::typical(0.95);
    let mut draw = peers::LlmSamplersShape::draw();
    v.push(paired(
        case("typical", "peer: llm-samplers", Who::Peer, move |xs| {
            std::hint::black_box(typical.sample(xs));
        }),
        case(BASE_DRAW, "peer: llm-samplers", Who::Peer, move |xs| {
            std::hint::black_box(draw.sample(xs));
        }),
    ));
    let mut mirostat1 = peers::LlmSamplersShape::mirostat1(input.logits.len(), 5.0, 0.1);
    let mut draw = peers::LlmSamplersShape::draw();
    v.push(paired(
        case("mirostat-v1", "peer: llm-samplers", Who::Peer, move |xs| {
            std::hint::black_box(mirostat1.sample(xs));
        }),
        case(BASE_DRAW, "peer: llm-samplers", Who::Peer, move |xs| {
            std::hint::black_box(draw.sample(xs));
        }),
    ));
    let mut mirostat = peers::LlmSamplersShape::mirostat2(5.0, 0.1);
    let mut draw = peers::LlmSamplersShape::draw();
    v.push(paired(
        case("mirostat-v2", "peer: llm-samplers", Who::Peer, move |xs| {
            std::hint::black_box(mirostat.sample(xs));
        }),
        case(BASE_DRAW, "peer: llm-samplers", Who::Peer, move |xs| {
            std::hint::black_box(draw.sample(xs));
        }),
    ));
    v
}

/// How the shape rows are built, for the report.
pub fn describe() -> String {
    "Shape-stage rows (model-like input, `Sampler<4096>`, each timed interleaved with its baseline). \
`chain+typical` (typical-p 0.95), `chain+top-n-sigma` (n 1), `chain+xtc` (probability 1, threshold 0.1: it always acts), `chain+dynatemp` (range 0.5, exponent 1): the default chain (T 0.8, min-p 0.05, top-k 40, top-p 0.95) with the stage after top-p (order penalties, DRY, temperature, min-p, top-k, top-p, top-n-sigma, typical, XTC; for dynamic temperature, the temperature stage itself, the temperature last as in llama.cpp), vs the chain alone in the same order. \
`typical` (0.95) and `top-n-sigma` (1) alone at T 1 over the whole vocabulary, vs `softmax_in_place` on the same backend; `mirostat-v2` and `mirostat-v1` (tau 5, eta 0.1, v1's m 100, mu moving with every call) vs a full-vocabulary draw (`sample` at T 1). \
`llama.cpp preset`: `SamplerConfig::llama_cpp()` in `Stage::LLAMA_CPP_ORDER` (top-k 40, top-p 0.95, min-p 0.05 at T 1, then T 0.8) vs the llama.cpp-style loop of the same chain. \
Peers: llm-samplers 0.0.7 `SampleLocallyTypical` (0.95) + `SampleRandDistrib`, `SampleMirostat1` (vocabulary, 5, 0.1) and `SampleMirostat2` (5, 0.1), each on `Logits::try_from_iter` (the whole vocabulary), beside its plain `SampleRandDistrib` draw."
        .to_string()
}
