//! `spotcheck recover`: bring a campaign folder back after an interrupted
//! command.

use super::{CmdResult, Folder, say};
use crate::workspace::lock::Mode;

/// Complete or undo a command that was interrupted (killed, crashed,
/// stopped with Ctrl-C, or cut off by a power failure), and remove the
/// temporary files it left; say what was done and record it in the journal.
///
/// A step that reached the journal is completed; one that did not is undone,
/// restoring every file it had replaced, so that the interrupted command can
/// simply be run again. Every command that writes does this first on its
/// own; `recover` does it alone.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  spotcheck -C camp-2009 recover")]
pub struct Args {}

pub fn run(f: &Folder, _a: &Args) -> CmdResult {
    let (ws, problems) = f.inspect(Mode::Exclusive)?;
    if ws.recovery.is_empty() {
        say(&format!("nothing to recover: no interrupted command left anything in {}", f.dir.display()));
    }
    if problems.is_empty() {
        return Ok(0);
    }
    for p in &problems {
        say(p);
    }
    say(&format!(
        "{} other problem(s), which recovery does not touch: the folder was changed outside spotcheck (see `spotcheck audit`)",
        problems.len()
    ));
    Ok(1)
}
