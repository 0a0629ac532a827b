//! `spotcheck check`: validate rules and a frame without creating anything.

use std::path::PathBuf;

use super::{CmdResult, parse_encoding, print_warnings, say};
use crate::text::Encoding;
use crate::{frame, rules, sample};

/// Check a rules file and a frame without creating a campaign.
///
/// Reports every problem at once, each as file:line[:column]: message.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck check --rules examples/cangzhou-2008/rules/cangzhou-2008-face-to-face.toml \\\n                  --frame examples/cangzhou-2008/frame.csv"
)]
pub struct Args {
    /// The campaign rules (TOML).
    #[arg(long, value_name = "FILE")]
    pub rules: PathBuf,
    /// The sampling frame (CSV).
    #[arg(long, value_name = "FILE")]
    pub frame: PathBuf,
    /// Frame encoding: auto, utf-8, gb18030 or gbk.
    #[arg(long, default_value = "auto", value_parser = parse_encoding)]
    pub encoding: Encoding,
}

pub fn run(a: &Args) -> CmdResult {
    let rules = rules::load(&a.rules, &a.rules.display().to_string())?;
    let frame = frame::load(&a.frame, &a.frame.display().to_string(), &rules.frame, a.encoding)?;
    let warnings = sample::check(&rules, &frame)?;
    print_warnings(&warnings);
    say(&format!(
        "ok: {} villages in {} townships and {} counties; the rules' {} stage(s) fit the frame",
        frame.villages.len(),
        frame.townships.len(),
        frame.counties.len(),
        rules.stages.len()
    ));
    Ok(0)
}
