//! The one integration-test binary (faster to build than one per file).

mod cli;
mod diagnostics;
mod inspection;
mod plan;
mod sampling;
mod score;
mod support;
