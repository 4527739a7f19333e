//! `AliasTable::rebuild`, the in-place build behind `AliasTable::new`:
//!
//! - rebuilding gives the table `new` builds, bit for bit, whatever the table
//!   held before (longer, shorter, empty), so draws are identical;
//! - a failed rebuild leaves the table exactly as it was;
//! - rebuilding with fewer weights forgets the old entries (none is drawn);
//! - an empty table (const-constructible) refuses to draw, without panicking
//!   and without consuming randomness;
//! - every column's keep/alias outcome, found with a generator of fixed outputs,
//!   matches a table derived by hand for small dyadic weights (exact in f32),
//!   including the columns left over when the pairing ends.

use logit_sampler::rand_core::{Rng, SeedableRng};
use logit_sampler::{AliasTable, Pcg32, SampleError};
use sampler_tests::Fixed;

const N: usize = 512;
const DRAWS: usize = 20_000;

/// Weight vectors of several shapes: single entry, dyadic, zeros (including
/// `-0.0`) at the ends, equal, one dominant, many non-dyadic.
fn weight_sets() -> Vec<Vec<f32>> {
    vec![
        vec![1.0],
        vec![1.0, 1.0, 2.0],
        vec![1.0, 3.0],
        vec![0.0, 1.0, 0.0, 3.0],
        vec![-0.0, 2.0, 5.0, 0.0],
        vec![0.25; 7],
        vec![1e-30, 1.0, 1e30, 7.5],
        (0..500)
            .map(|i| 1.0 + ((i * 7919) % 97) as f32 + if i % 50 == 0 { 400.0 } else { 0.0 })
            .collect(),
        (0..N).map(|i| ((i * 31) % 17) as f32 / 3.0).collect(),
    ]
}

fn draws(table: &AliasTable<N>, seed: u64) -> Vec<u32> {
    let mut rng = Pcg32::seed_from_u64(seed);
    (0..DRAWS).map(|_| table.sample(&mut rng)).collect()
}

/// Equal as values and as bits (`Debug` tells `-0.0` from `0.0`), with equal draws.
fn assert_same(a: &AliasTable<N>, b: &AliasTable<N>, what: &str) {
    assert_eq!(a, b, "{what}");
    assert_eq!(format!("{a:?}"), format!("{b:?}"), "{what}");
    assert_eq!(draws(a, 11), draws(b, 11), "{what}: draws");
}

#[test]
fn rebuild_is_new_bit_for_bit() {
    let sets = weight_sets();
    for (i, w) in sets.iter().enumerate() {
        let fresh = AliasTable::<N>::new(w).unwrap();
        assert_eq!(fresh.len(), w.len());

        let mut from_empty = AliasTable::<N>::empty();
        from_empty.rebuild(w).unwrap();
        assert_same(&from_empty, &fresh, &format!("set {i} from empty"));

        // Over every other table: longer, shorter, and the same one again.
        for (j, before) in sets.iter().enumerate() {
            let mut table = AliasTable::<N>::new(before).unwrap();
            table.rebuild(w).unwrap();
            assert_same(&table, &fresh, &format!("set {i} over set {j}"));
        }
    }
}

#[test]
fn failed_rebuild_leaves_the_table_as_it_was() {
    let weights = [1.0, 0.0, 2.5, 4.0, 0.5];
    let mut table = AliasTable::<8>::new(&weights).unwrap();
    let before = table.clone();
    let too_many = [1.0f32; 9];
    for (bad, expected) in [
        (&[][..], SampleError::Empty),
        (
            &too_many[..],
            SampleError::CapacityExceeded {
                len: 9,
                capacity: 8,
            },
        ),
        (
            &[1.0, f32::NAN][..],
            SampleError::InvalidWeight { index: 1 },
        ),
        (
            &[1.0, 2.0, -1.0][..],
            SampleError::InvalidWeight { index: 2 },
        ),
        (
            &[f32::INFINITY][..],
            SampleError::InvalidWeight { index: 0 },
        ),
        (&[0.0, -0.0, 0.0][..], SampleError::ZeroTotalWeight),
    ] {
        assert_eq!(table.rebuild(bad), Err(expected), "{bad:?}");
        assert_eq!(table, before, "{bad:?}");
        assert_eq!(format!("{table:?}"), format!("{before:?}"), "{bad:?}");
        let (mut r1, mut r2) = (Pcg32::seed_from_u64(5), Pcg32::seed_from_u64(5));
        for _ in 0..2000 {
            assert_eq!(table.sample(&mut r1), before.sample(&mut r2), "{bad:?}");
        }
    }
    // And it still rebuilds afterwards.
    table.rebuild(&[3.0, 1.0]).unwrap();
    assert_eq!(table, AliasTable::<8>::new(&[3.0, 1.0]).unwrap());

    // A failed rebuild of an empty table leaves it empty.
    let mut empty = AliasTable::<8>::empty();
    assert_eq!(
        empty.rebuild(&[f32::NAN]),
        Err(SampleError::InvalidWeight { index: 0 })
    );
    assert_eq!(empty, AliasTable::empty());
}

#[test]
fn fewer_weights_forget_the_old_entries() {
    // Nearly all mass on the last of eight entries, then two entries.
    let mut table = AliasTable::<N>::new(&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1000.0]).unwrap();
    table.rebuild(&[1.0, 3.0]).unwrap();
    assert_eq!(table.len(), 2);
    assert_eq!(table, AliasTable::<N>::new(&[1.0, 3.0]).unwrap());
    let mut rng = Pcg32::seed_from_u64(3);
    let mut counts = [0u32; 2];
    for _ in 0..100_000 {
        let t = table.sample(&mut rng);
        assert!(t < 2, "drew {t} from a two-entry table");
        counts[t as usize] += 1;
    }
    // 1 : 3 (25 000 expected; 5 sigma is about 680).
    assert!(counts[0].abs_diff(25_000) < 700, "{counts:?}");

    // Every u64 a generator could give lands in the two entries: the column
    // is the high 32 bits scaled to the length, whatever the coin.
    for hi in [0u64, 1, (1 << 31) - 1, 1 << 31, u32::MAX as u64] {
        for lo in [0u64, 0xFF, 0x8000_0000, u32::MAX as u64] {
            assert!(table.sample(&mut Fixed(hi << 32 | lo)) < 2);
        }
    }
}

static STATIC_TABLE: AliasTable<16> = AliasTable::empty();

#[test]
fn an_empty_table_refuses_to_draw() {
    fn check<const M: usize>(table: &AliasTable<M>) {
        assert_eq!(table.len(), 0);
        assert!(table.is_empty());
        let mut rng = Pcg32::seed_from_u64(9);
        let mut untouched = rng.clone();
        assert_eq!(table.try_sample(&mut rng), Err(SampleError::Empty));
        assert_eq!(table.sample(&mut rng), u32::MAX);
        // No randomness consumed.
        assert_eq!(rng.next_u64(), untouched.next_u64());
        for bits in [0, u64::MAX, 0x8000_0000_8000_0000] {
            assert_eq!(table.try_sample(&mut Fixed(bits)), Err(SampleError::Empty));
        }
    }
    check(&AliasTable::<8>::empty());
    check(&AliasTable::<0>::empty());
    check(&STATIC_TABLE);
    check(&AliasTable::<8>::default());
    assert_eq!(AliasTable::<8>::default(), AliasTable::<8>::empty());
    assert_eq!(
        AliasTable::<0>::new(&[1.0]).unwrap_err(),
        SampleError::CapacityExceeded {
            len: 1,
            capacity: 0
        }
    );
    // A built table is not empty and draws.
    let table = AliasTable::<8>::new(&[2.0]).unwrap();
    assert!(!table.is_empty());
    assert_eq!(table.try_sample(&mut Pcg32::seed_from_u64(1)), Ok(0));
}

/// One column of a table: the probability of keeping it, and its alias.
#[derive(Clone, Copy, Debug)]
struct Column {
    keep: f64,
    alias: u32,
}

const fn col(keep: f64, alias: u32) -> Column {
    Column { keep, alias }
}

/// Tables derived by hand from Vose's pairing (masses `w_i * n / total`; both
/// work lists pop in ascending index; an under-full column takes the current
/// over-full one as its alias, which gives away `1 - keep`; whatever is left
/// in either list at the end keeps itself).
fn hand_tables() -> Vec<(Vec<f32>, Vec<Column>)> {
    vec![
        // Masses 0.75, 0.75, 1.5. Small 0, 1; large 2.
        // 0 -> alias 2, which keeps 1.5 - 0.25 = 1.25; 1 -> alias 2, which keeps
        // 1.25 - 0.25 = 1.0 and is left over in the large list: keeps itself.
        (
            vec![1.0, 1.0, 2.0],
            vec![col(0.75, 2), col(0.75, 2), col(1.0, 2)],
        ),
        // Masses 0.5, 1.5. 0 -> alias 1, which keeps 1.0 and is left over.
        (vec![1.0, 3.0], vec![col(0.5, 1), col(1.0, 1)]),
        // Masses 1.5, 0.5. 1 -> alias 0, which keeps 1.0 and is left over.
        (vec![3.0, 1.0], vec![col(1.0, 0), col(0.5, 0)]),
        // Masses 0, 1, 0, 3. Small 0, 2; large 1, 3. 0 -> alias 1, which keeps
        // 1 - 1 = 0 and moves to the front of the small list; 1 -> alias 3,
        // which keeps 3 - 1 = 2; 2 -> alias 3, which keeps 2 - 1 = 1 and is
        // left over in the large list.
        (
            vec![0.0, 1.0, 0.0, 3.0],
            vec![col(0.0, 1), col(0.0, 3), col(0.0, 3), col(1.0, 3)],
        ),
        // Masses 2, 0.5, 0.5, 1. Small 1, 2; large 0, 3. 1 -> alias 0, which
        // keeps 1.5; 2 -> alias 0, which keeps 1.0; left over in the large
        // list: 0 and 3, which keep themselves.
        (
            vec![4.0, 1.0, 1.0, 2.0],
            vec![col(1.0, 0), col(0.5, 0), col(0.5, 0), col(1.0, 3)],
        ),
        // Masses 0.5, 1.5, 0.5, 1.5. Small 0, 2; large 1, 3. 0 -> alias 1,
        // which keeps exactly 1.0: still full, it stays in the large list
        // (moving it to the small list would change the next pairing); 2 ->
        // alias 1, which keeps 0.5 and moves to the small list; 1 -> alias 3,
        // which keeps 1.0 and is left over.
        (
            vec![1.0, 3.0, 1.0, 3.0],
            vec![col(0.5, 1), col(0.5, 3), col(0.5, 1), col(1.0, 3)],
        ),
        // All masses 1: every column is left over in the large list.
        (
            vec![0.5; 4],
            vec![col(1.0, 0), col(1.0, 1), col(1.0, 2), col(1.0, 3)],
        ),
        // Masses 0.25, 0.25, 0.5, 3. 0, 1 and 2 -> alias 3, which keeps
        // 3 - 0.75 - 0.75 - 0.5 = 1.0 and is left over.
        (
            vec![1.0, 1.0, 2.0, 12.0],
            vec![col(0.25, 3), col(0.25, 3), col(0.5, 3), col(1.0, 3)],
        ),
    ]
}

/// The bits that land in `column` of `len` with coin `j / 2^24`: the lowest
/// and the highest high word of the column (multiply-shift), and low bits
/// below the coin's 24 set, to show they are ignored.
fn bits_for(column: u64, len: u64, j: u64) -> [u64; 2] {
    let first = (column << 32).div_ceil(len);
    let last = ((column + 1) << 32).div_ceil(len) - 1;
    [first, last].map(|hi| hi << 32 | j << 8 | 0xFF)
}

#[test]
fn leftover_entries_every_column_keeps_or_aliases_exactly() {
    const ONE: u64 = 1 << 24; // the coin is j / 2^24, j in [0, 2^24)
    // A table that held something longer and different before each rebuild.
    let dirty: Vec<f32> = (0..N).map(|i| (i % 5) as f32).collect();
    for (weights, columns) in hand_tables() {
        let n = weights.len();
        assert_eq!(columns.len(), n);

        // The hand table is an alias table for these weights: exactly, since
        // every keep is dyadic.
        let total: f64 = weights.iter().map(|w| *w as f64).sum();
        let mut mass = vec![0.0f64; n];
        for (c, column) in columns.iter().enumerate() {
            mass[c] += column.keep;
            mass[column.alias as usize] += 1.0 - column.keep;
        }
        for (i, w) in weights.iter().enumerate() {
            assert_eq!(
                mass[i] / n as f64,
                *w as f64 / total,
                "{weights:?} entry {i}"
            );
        }

        let fresh = AliasTable::<N>::new(&weights).unwrap();
        let mut rebuilt = AliasTable::<N>::new(&dirty).unwrap();
        rebuilt.rebuild(&weights).unwrap();
        for table in [&fresh, &rebuilt] {
            for (c, column) in columns.iter().enumerate() {
                let what = format!("{weights:?} column {c}");
                let threshold = (column.keep * ONE as f64) as u64;
                assert_eq!(
                    threshold as f64,
                    column.keep * ONE as f64,
                    "{what}: not dyadic"
                );
                let expect = |j: u64, token: u32| {
                    for bits in bits_for(c as u64, n as u64, j) {
                        assert_eq!(
                            table.sample(&mut Fixed(bits)),
                            token,
                            "{what}, coin {j}/2^24, bits {bits:#018x}"
                        );
                    }
                };
                if threshold > 0 {
                    // Every coin under the threshold keeps the column.
                    expect(0, c as u32);
                    expect(threshold - 1, c as u32);
                }
                if threshold < ONE {
                    // From the threshold up, the alias.
                    expect(threshold, column.alias);
                    expect(ONE - 1, column.alias);
                }
            }
        }
    }
}
