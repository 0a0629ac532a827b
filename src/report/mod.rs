//! Output formats for scorecards, one file each behind one trait, so every
//! view (CSV for Excel, Markdown for people, JSON for programs) is written
//! from the same scorecards, in the same words (`words.rs`), in Chinese or
//! English.

pub mod annual;
mod csv_out;
mod json;
mod markdown;
pub mod sample_xlsx;
pub mod words;

pub use csv_out::{Csv, SummaryCsv};
pub use json::Json;
pub use markdown::Markdown;

use crate::lang::Lang;
use crate::rules::names::Names;
use crate::score::card::Card;

/// What a rendering needs besides the cards: the rules' display names and
/// the language.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub names: &'a Names,
    pub lang: Lang,
}

impl View<'_> {
    pub fn t<'b>(&self, zh: &'b str, en: &'b str) -> &'b str {
        self.lang.t(zh, en)
    }
}

/// A rendering of a set of scorecards.
pub trait Render {
    /// The file name it is written under.
    fn file_name(&self) -> &'static str;
    fn render(&self, cards: &[Card], view: View<'_>) -> Vec<u8>;
}

/// Points shown with two decimals, as scoring sheets print them.
pub fn points(x: f64) -> String {
    crate::lang::points(x)
}

/// The interval of a verified estimate: `3256–4574`, or `3256–无上界`.
pub fn interval(lo: f64, hi: f64, lang: Lang) -> String {
    let hi =
        if hi.is_finite() { format!("{hi:.0}") } else { lang.t("无上界", "no upper bound").to_string() };
    format!("{lo:.0}–{hi}")
}
