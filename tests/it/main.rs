//! The one integration-test binary (faster to build than one per file).

mod annual;
mod cli;
mod concurrency;
mod conventions;
mod diagnostics;
mod examples;
mod folder;
mod hostile;
mod households;
mod inspection;
mod plan;
mod printed;
mod recovery;
mod rounds;
mod sampling;
mod score;
mod small;
mod snapshot;
mod support;
