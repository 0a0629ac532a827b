//! Self-reports, teams, findings forms and findings: what counties claim,
//! who inspects where, and what the inspectors found, all validated in full
//! before anything enters the campaign folder.

pub mod table;
pub mod values;
pub mod columns;
pub mod reports;
pub mod teams;
