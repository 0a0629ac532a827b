//! The one integration-test binary (faster to build than one per file).

mod annual;
mod cli;
mod diagnostics;
mod hostile;
mod inspection;
mod plan;
mod sampling;
mod score;
mod snapshot;
mod support;
