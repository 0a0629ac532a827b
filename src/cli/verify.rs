//! `spotcheck verify`: re-derive the sample and compare.

use super::{CmdResult, Folder, say};
use crate::workspace::draw;
use crate::workspace::lock::Mode;

/// Re-derive the sample from the published files and the seed, and compare
/// it unit by unit with sample.csv; then every further round of a
/// sequential plan (round-2.csv, …) from its round record.
///
/// Works in a campaign folder and in a bare folder holding only the
/// published rules, frame, draw.toml and sample.csv (and round-N.toml with
/// round-N.csv). In a campaign folder it also re-applies the plan's
/// decision rule to each round before a further one. Exit 0 if identical,
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
    for (round, villages, new) in &v.rounds {
        say(&format!(
            "verified: round {round} ({}) re-derives identically: {villages} villages, {new} of them new{}",
            crate::workspace::rounds::sample_name(*round),
            if v.in_workspace {
                "; the decision rule applied to the round before gives the recorded decisions"
            } else {
                ""
            }
        ));
    }
    Ok(0)
}
