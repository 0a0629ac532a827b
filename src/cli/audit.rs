//! `spotcheck audit`: check the journal and every recorded file.

use std::path::Path;

use super::{CmdResult, out, say};
use crate::workspace::Workspace;

/// Check the journal's hash chain, the frozen inputs and the recorded
/// outputs; list every problem. Exit 1 if any is found.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  spotcheck -C camp-2009 audit")]
pub struct Args {}

pub fn run(dir: &Path, _a: &Args) -> CmdResult {
    let (ws, problems) = Workspace::inspect(dir)?;
    for e in &ws.journal.entries {
        out(&format!("{:>3}  {}  {}\n", e.seq, e.at, e.event));
    }
    if problems.is_empty() {
        say(&format!(
            "audit ok: {} journal entries chain correctly; {} frozen file(s) unchanged; recorded outputs unchanged",
            ws.journal.entries.len(),
            ws.frozen.len()
        ));
        Ok(0)
    } else {
        for p in &problems {
            say(p);
        }
        say(&format!("audit failed: {} problem(s)", problems.len()));
        Ok(1)
    }
}
