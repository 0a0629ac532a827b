//! The year-end target-responsibility assessment (年终考核): campaign
//! scorecards and other departments' scores combined by the annual rules
//! into totals, grades and ranks, every number traceable to its source.

pub mod compute;
pub mod inputs;
pub mod rules;
