//! `cargo bench -p simd-bench`: one criterion group per stage, every backend and
//! peer as a member, at vocab 128 256 (model-like logits), with HTML plots in
//! target/criterion. Destroyed buffers are restored in `iter_batched_ref`'s
//! setup, outside the measurement.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use logit_sampler::Backend;
use simd_bench::{Input, cases};

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
            group.bench_function(case.imp.clone(), |b| {
                b.iter_batched_ref(
                    || input.logits.clone(),
                    |xs| (case.run)(xs),
                    BatchSize::LargeInput,
                )
            });
        }
        group.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
