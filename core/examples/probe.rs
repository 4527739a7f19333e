use logit_sampler::{Pcg32, Sampler, SamplerConfig, rand_core::SeedableRng};
fn run<const C: usize>(name: &str, cfg: SamplerConfig, logits: &[f32]) {
    let mut s: Sampler<C> = Sampler::new(cfg).unwrap();
    let mut rng = Pcg32::seed_from_u64(1);
    let mut buf = logits.to_vec();
    let t = std::time::Instant::now();
    for _ in 0..50 {
        buf.copy_from_slice(logits);
        s.sample(&mut buf, &mut rng).unwrap();
    }
    println!("{name} CAP {C}: {:?} per draw", t.elapsed() / 50);
}
fn main() {
    let n = 262_144;
    let mut state = 1u64;
    let logits: Vec<f32> = (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 0.9
        })
        .collect();
    run::<1>(
        "top-p .99",
        SamplerConfig {
            top_p: 0.99,
            ..Default::default()
        },
        &logits,
    );
    run::<256>(
        "top-p .99",
        SamplerConfig {
            top_p: 0.99,
            ..Default::default()
        },
        &logits,
    );
    run::<1>(
        "top-k 1000",
        SamplerConfig {
            top_k: 1000,
            ..Default::default()
        },
        &logits,
    );
    run::<256>(
        "top-k 40",
        SamplerConfig {
            top_k: 40,
            ..Default::default()
        },
        &logits,
    );
    run::<256>("full", SamplerConfig::default(), &logits);
}
