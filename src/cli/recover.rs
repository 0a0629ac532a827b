//! `spotcheck recover`: bring a campaign folder back after an interrupted
//! command.

use super::{At, CmdResult, Folder, note, say};
use crate::workspace::lock::Mode;

/// Complete or undo a command that was interrupted (killed, crashed,
/// stopped with Ctrl-C, or cut off by a power failure), and remove the
/// temporary files it left; say what was done and record it in the journal.
///
/// A step that reached the journal is completed; one that did not is undone,
/// restoring every file it had replaced, so that the interrupted command can
/// simply be run again. Every command that writes does this first on its
/// own; `recover` does it alone.
///
/// A campaign folder made before spotcheck kept `journal.head` is refused
/// until it has one: `--adopt-head HASH` writes it, HASH being the journal
/// head the commission published (the journal must pass through it).
#[derive(clap::Args, Debug)]
#[command(
    after_help = "<HEAD> stands for the journal head the commission published.\n\nExample:\n  spotcheck -C camp-2009 recover\n  spotcheck -C camp-2009 recover --adopt-head <HEAD>"
)]
pub struct Args {
    #[command(flatten)]
    pub at: At,
    /// Give a folder made before journal.head existed its head record,
    /// checked against the journal head the commission published.
    #[arg(long, value_name = "HASH")]
    pub adopt_head: Option<String>,
}

pub fn run(f: &Folder, a: &Args) -> CmdResult {
    if let Some(published) = &a.adopt_head {
        f.exists()?;
        let (at, lines) =
            crate::workspace::step::adopt_head(&f.dir, published, &f.access(Mode::Exclusive, &|| {}))?;
        note(&format!(
            "journal.head written: the journal passes through the published head at line {at}{}; the adoption is journaled",
            if at < lines {
                format!(", and lines {}–{lines} after it rest on the journal alone", at + 1)
            } else {
                String::new()
            }
        ));
        return Ok(0);
    }
    let (ws, problems) = f.inspect(Mode::Exclusive)?;
    if ws.recovery.is_empty() {
        note(&format!("nothing to recover: no interrupted command left anything in {}", f.dir.display()));
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
