//! Drawing the sample: seed normalisation and per-stratum ChaCha20 streams,
//! the selection algorithms (SRS, systematic PPS, Rivest's sampler), the
//! multistage design, and the published `sample.csv` format. Nothing here
//! reads a clock or a global generator: randomness enters only through the
//! seed, so a draw can be re-derived anywhere.

pub mod alloc;
pub mod design;
pub mod households;
pub mod power;
pub mod ratio;
pub mod rounds;
pub mod select;
pub mod stream;
pub mod table;

pub use design::{Basis, Design, Drawn, Sample, excluded_codes};
pub use stream::{SeedPolicy, normalize_seed};

/// Names the algorithm in `draw.toml`; changes whenever any selection rule,
/// stream derivation or output format in SAMPLING.md changes.
pub const ALGORITHM: &str = "spotcheck-draw-v2";

/// The algorithms `verify` re-derives, with how each writes the text fields
/// of `sample.csv`: v1 as they are, v2 defused for spreadsheets (SAMPLING.md
/// §11). The selection is the same in both.
pub const ALGORITHMS: [(&str, table::TextFields); 2] =
    [("spotcheck-draw-v1", table::TextFields::AsIs), (ALGORITHM, table::TextFields::Defused)];

use crate::error::{Diags, Result};
use crate::frame::Frame;
use crate::frame::tree::Population;
use crate::rules::Rules;

/// Checks the rules against the frame: the design's strata, sizes and lists.
/// Returns the warnings when there is no error.
pub fn check(rules: &Rules, frame: &Frame) -> Result<Diags> {
    let pop = Population::new(frame, &excluded_codes(rules));
    let (_, diags) = Design::prepare(rules, &pop);
    diags.into_result()
}

/// Draws the sample for a normalised seed and renders `sample.csv`.
pub fn derive(rules: &Rules, frame: &Frame, seed: &str) -> Result<(Sample, Vec<u8>)> {
    derive_as(rules, frame, seed, table::TextFields::Defused)
}

/// As [`derive`], writing the text fields as an algorithm of [`ALGORITHMS`]
/// did.
pub fn derive_as(
    rules: &Rules,
    frame: &Frame,
    seed: &str,
    text: table::TextFields,
) -> Result<(Sample, Vec<u8>)> {
    let sample = select(rules, frame, seed)?;
    let bytes = table::Table::new(&sample, frame, text, None).to_csv();
    Ok((sample, bytes))
}

/// Draws the sample for a normalised seed, without rendering it.
pub fn select(rules: &Rules, frame: &Frame, seed: &str) -> Result<Sample> {
    // How long a draw takes shows, not how far it is: the strata are found
    // as it goes.
    let _job = crate::progress::job(crate::progress::Task::Draw, 0);
    let pop = Population::new(frame, &excluded_codes(rules));
    let (design, diags) = Design::prepare(rules, &pop);
    let Some(design) = design else {
        return Err(crate::Error::Invalid(diags.sorted()));
    };
    Ok(design.draw(&pop, seed))
}

/// The household lists of a drawn sample (SAMPLING.md §16) as the bytes of
/// `households.csv`; `None` when the rules have no household stage.
pub fn derive_households(rules: &Rules, frame: &Frame, sample: &Sample, seed: &str) -> Option<Vec<u8>> {
    let stage = rules.households.as_ref()?;
    Some(households::to_csv(&households::derive(stage, sample, frame, seed)))
}
