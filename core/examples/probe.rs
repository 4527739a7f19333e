use logit_sampler::{Pcg32, Sampler, SamplerConfig, rand_core::SeedableRng};
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
    let mut s: Sampler<4096> = Sampler::new(SamplerConfig {
        top_p: 0.99,
        ..Default::default()
    })
    .unwrap();
    let mut rng = Pcg32::seed_from_u64(1);
    let mut buf = logits.to_vec();
    let t = std::time::Instant::now();
    for _ in 0..300 {
        buf.copy_from_slice(&logits);
        s.sample(&mut buf, &mut rng).unwrap();
    }
    println!("{:?}", t.elapsed() / 300);
}
