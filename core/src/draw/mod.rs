//! Turning weights into a token: inverse CDF, alias table, Gaussian variates.

pub(crate) mod alias;
pub(crate) mod gaussian;
pub(crate) mod inverse_cdf;
pub(crate) mod mirostat;
