//! Output formats for scorecards, one file each behind one trait, so every
//! view (CSV for Excel, Markdown for people, JSON for programs) is written
//! from the same scorecards.

pub mod annual;
mod csv_out;
mod json;
mod markdown;
pub mod sample_xlsx;

pub use csv_out::{Csv, SummaryCsv};
pub use json::Json;
pub use markdown::Markdown;

use crate::score::card::Card;

/// A rendering of a set of scorecards.
pub trait Render {
    /// The file name it is written under.
    fn file_name(&self) -> &'static str;
    fn render(&self, cards: &[Card]) -> Vec<u8>;
}

/// Points shown with two decimals, as scoring sheets print them.
pub fn points(x: f64) -> String {
    format!("{x:.2}")
}
