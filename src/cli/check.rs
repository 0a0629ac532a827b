//! `spotcheck check`: validate rules and a frame without creating anything.

use super::{CmdResult, Inputs, print_warnings, say};
use crate::{frame, rules, sample};

/// Check a rules file and a frame without creating a campaign.
///
/// Reports every problem at once, each as file:line[:column]: message.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck check --rules examples/cangzhou-2008/rules/cangzhou-2008-face-to-face.toml \\\n                  --frame examples/cangzhou-2008/frame.csv"
)]
pub struct Args {
    #[command(flatten)]
    pub inputs: Inputs,
}

pub fn run(a: &Args) -> CmdResult {
    let rules = rules::load(&a.inputs.rules, &a.inputs.rules.display().to_string())?;
    let frame =
        frame::load(&a.inputs.frame, &a.inputs.frame.display().to_string(), &rules.frame, a.inputs.encoding)?;
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
