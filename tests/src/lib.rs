//! f64 reference implementation and shared test helpers (filled in below).
