//! spotcheck runs post-campaign acceptance spot checks (验收抽查) in a way
//! anyone can verify. The data flow one way:
//!
//! ```text
//! frame ──► rules ──► sample ──► findings ──► score ──► annual ──► report
//! ```
//!
//! - [`frame`]: the commission's roster of villages, validated in full.
//! - [`rules`]: the campaign's rule file (what, when, which column is what,
//!   how to sample).
//! - [`sample`]: seeds, per-stratum ChaCha20 streams, SRS / systematic PPS /
//!   Rivest's sampler, multistage draws and the published `sample.csv`.
//! - [`workspace`]: a campaign folder with frozen inputs, a hash-chained
//!   journal, commitments and atomic writes.
//! - [`cli`]: the `spotcheck` command; the only code that prints.
//! - [`lang`] and [`time`]: the words (Chinese, or English with `--lang en`)
//!   and the clock every report, form and terminal table is written in.
//!
//! Findings, scoring and the annual assessment build on these stages.

pub mod annual;
pub mod cell;
pub mod cli;
pub mod csvscan;
pub mod error;
pub mod findings;
pub mod frame;
pub mod hash;
pub mod lang;
pub mod plan;
pub mod progress;
pub mod report;
pub mod rules;
pub mod sample;
pub mod score;
pub mod snapshot;
pub mod text;
pub mod time;
pub mod workspace;
pub mod xlsx;

pub use error::{Diag, Diags, Error, Result};
