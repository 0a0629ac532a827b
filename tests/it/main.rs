//! The one integration-test binary (faster to build than one per file).

mod annual;
mod cli;
mod diagnostics;
mod hostile;
mod inspection;
mod plan;
mod printed;
mod sampling;
mod score;
mod support;
