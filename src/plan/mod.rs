//! Planning the check before the draw: how many units to inspect so that a
//! clean result means something (attribute sampling), what a result allows
//! one to say (Clopper–Pearson limits), LQAS decision rules, double and
//! multiple sampling plans, households per village for a household rate
//! within a margin, and the detection power of the campaign's real
//! multistage design by simulation.

pub mod attribute;
pub mod households;
pub mod limit;
pub mod lqas;
pub mod rate;
pub mod sequential;

pub use attribute::{AttributePlan, Expected, Model, PlanError, sample_size};
pub use rate::Rate;
