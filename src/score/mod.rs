//! Scoring: estimates from the sampled villages, and points by the rules.

pub mod card;
pub mod cases;
pub mod estimate;
pub mod expr;
pub mod households;
pub mod measures;
pub mod points;
pub mod sequential;
pub mod sequential_sim;
pub mod simulate;
