//! `cargo bench -p simd-bench`: one criterion group per stage, every backend and
//! peer as a member, at vocab 128 256 (model-like logits), with HTML plots in
//! target/criterion. Destroyed buffers are restored in `iter_batched_ref`'s
//! setup, outside the measurement. A context-stage case's baseline is a member
//! of its group too (`<implementation> | <baseline>`); criterion times the two
//! one after the other, so for their ratio from one interleaved run see the
//! report binary. Cases with a setup (the sampler's history re-accepted) run it
//! before every iteration (`BatchSize::PerIteration`), outside the measurement.

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group, criterion_main};
use logit_sampler::Backend;
use simd_bench::{Case, Input, cases};

fn bench(group: &mut BenchmarkGroup<WallTime>, name: String, case: &mut Case, input: &Input) {
    let Case { run, setup, .. } = case;
    match setup {
        Some(setup) => group.bench_function(name, |b| {
            b.iter_batched_ref(
                || {
                    setup();
                    input.logits.clone()
                },
                |xs| run(xs),
                BatchSize::PerIteration,
            )
        }),
        None => group.bench_function(name, |b| {
            b.iter_batched_ref(|| input.logits.clone(), |xs| run(xs), BatchSize::LargeInput)
        }),
    };
}

fn stages(c: &mut Criterion) {
    let input = Input::new("model", 128_256);
    let mut all = cases(&input, Backend::available());
    let mut stages: Vec<String> = Vec::new();
    for case in &all {
        if !stages.contains(&case.stage) {
            stages.push(case.stage.clone());
        }
    }
    for stage in stages {
        let mut group = c.benchmark_group(stage.replace('/', " or "));
        group.sample_size(20);
        for case in all.iter_mut().filter(|k| k.stage == stage) {
            bench(&mut group, case.imp.clone(), case, &input);
            if let Some(base) = case.baseline.as_deref_mut() {
                let name = format!("{} | {}", base.imp, base.stage);
                bench(&mut group, name, base, &input);
            }
        }
        group.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
