//! `AliasTable::new` and `AliasTable::sample` at capacities 64 and 1024, over
//! arbitrary weights (valid or not, up to 1100 of them).
//!
//! No panic; an error exactly when the docs predict one (weights, capacity,
//! zero total); otherwise `len` is the number of weights, and every draw
//! consumes exactly one `next_u64` and returns an index of positive mass
//! (`MassScale`), the same at both capacities.

#![no_main]

use libfuzzer_sys::fuzz_target;
use logit_sampler::kernels::MassScale;
use logit_sampler::rand_core::{Rng, SeedableRng};
use logit_sampler::{AliasTable, Pcg32, SampleError};
use logit_sampler_fuzz::{AliasInput, assert_error, weights_error};

fuzz_target!(|input: AliasInput| {
    let small = build::<64>(&input);
    let large = build::<1024>(&input);
    if let (Some(a), Some(b)) = (small, large) {
        assert_eq!(a, b, "the draws depend on the capacity");
    }
});

fn build<const N: usize>(input: &AliasInput) -> Option<Vec<u32>> {
    let AliasInput {
        seed,
        draws,
        ref weights,
    } = *input;
    let expected = weights_error(weights)
        .or_else(|| {
            (weights.len() > N).then_some(SampleError::CapacityExceeded {
                len: weights.len(),
                capacity: N,
            })
        })
        .or_else(|| {
            weights
                .iter()
                .all(|w| *w == 0.0)
                .then_some(SampleError::ZeroTotalWeight)
        });
    let table = match AliasTable::<N>::new(weights) {
        Err(e) => {
            assert_error(&e, expected, &format!("AliasTable::<{N}>::new"));
            return None;
        }
        Ok(t) => t,
    };
    assert!(
        expected.is_none(),
        "N {N}: built, but {expected:?} predicted"
    );
    assert_eq!(table.len(), weights.len(), "N {N}: len");
    assert!(!table.is_empty(), "N {N}: is_empty");
    let scale = MassScale::for_max(weights.iter().copied().fold(0.0, f32::max));
    let mut rng = Pcg32::seed_from_u64(seed);
    let mut out = Vec::with_capacity(usize::from(draws));
    for _ in 0..draws {
        let mut once = rng.clone();
        once.next_u64();
        let i = table.sample(&mut rng);
        assert_eq!(rng, once, "N {N}: not exactly one next_u64 per draw");
        let w = weights.get(i as usize).copied();
        // Of positive mass: a weight below half a mass unit is never drawn.
        assert!(
            w.is_some_and(|w| scale.mass(w) > 0),
            "N {N}: drew {i}, weight {w:?}"
        );
        out.push(i);
    }
    Some(out)
}
