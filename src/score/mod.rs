//! Scoring: estimates from the sampled villages, and points by the rules.

pub mod estimate;
