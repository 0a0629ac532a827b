//! `spotcheck init`: create a campaign folder with frozen inputs.

use std::path::PathBuf;

use super::{CmdResult, Inputs, note, out, print_warnings, say};
use crate::workspace;

/// Create a campaign folder: copy the rules (and the lists they name) and the
/// frame into it, freeze them by SHA-256 and start the journal.
///
/// The inputs are validated first; nothing is created if any problem is found.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck init camp-2009 --rules rules/cangzhou-2008-face-to-face.toml \\\n                          --frame examples/cangzhou-2008/synthetic-frame.csv"
)]
pub struct Args {
    /// The new campaign folder (must not exist, or be empty).
    #[arg(value_name = "FOLDER")]
    pub folder: PathBuf,
    #[command(flatten)]
    pub inputs: Inputs,
}

pub fn run(a: &Args) -> CmdResult {
    let s = workspace::init(&a.folder, &a.inputs.rules, &a.inputs.frame, a.inputs.encoding)?;
    for c in &s.cleaned {
        say(&format!("removed {}, left by an interrupted `spotcheck init`", c.display()));
    }
    if s.already {
        note(&format!(
            "{} already holds this campaign, made from the same rules and frame; nothing to do; next: spotcheck -C {} commit",
            a.folder.display(),
            a.folder.display()
        ));
        return Ok(0);
    }
    print_warnings(&s.warnings);
    for f in &s.files {
        out(&format!("{}  {}\n", f.sha256, f.path));
    }
    note(&format!(
        "created {} with {} frozen file(s) ({} villages); next: spotcheck -C {} commit",
        a.folder.display(),
        s.files.len(),
        s.villages,
        a.folder.display()
    ));
    Ok(0)
}
