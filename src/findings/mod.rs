//! Self-reports, teams, findings forms and findings: what counties claim,
//! who inspects where, and what the inspectors found, all validated in full
//! before anything enters the campaign folder.

pub mod columns;
pub mod forms;
pub mod household_forms;
pub mod households;
pub mod import;
pub mod reports;
pub mod table;
pub mod teams;
pub mod values;
