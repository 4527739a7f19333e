//! Turning weights into a token: inverse CDF, alias table, Gaussian variates.

pub(crate) mod alias;
pub(crate) mod gaussian;
pub(crate) mod inverse_cdf;

/// A uniform `f64` in `[0, 1)` from the top 53 bits of one generator output.
pub(crate) fn unit_f64(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}
