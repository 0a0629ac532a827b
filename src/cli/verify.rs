//! `spotcheck verify`: re-derive the sample and compare.

use super::{CmdResult, Folder, say};
use crate::workspace::draw;
use crate::workspace::lock::Mode;

/// Re-derive the sample from the published files and the seed, and compare
/// it unit by unit with sample.csv.
///
/// Works in a campaign folder and in a bare folder holding only the
/// published rules, frame, draw.toml and sample.csv. Exit 0 if identical,
/// 1 with the list of differences otherwise.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  spotcheck -C published-files verify")]
pub struct Args {}

pub fn run(f: &Folder, _a: &Args) -> CmdResult {
    let v = f.with_access(Mode::Shared, |access| draw::verify(&f.dir, access))?;
    let r = &v.record;
    say(&format!(
        "verified: {} re-derives identically ({} villages, {} reserves) from seed {} and commitment {}{}",
        r.sample,
        r.villages,
        r.reserves,
        r.seed_normalized,
        r.commitment,
        if v.in_workspace { "; the journal and frozen files are intact" } else { "" }
    ));
    Ok(0)
}
