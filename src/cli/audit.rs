//! `spotcheck audit`: check the journal and every recorded file.

use super::{CmdResult, Folder, out, say};
use crate::workspace::lock::Mode;

/// Check the journal's hash chain and head record, the frozen inputs, the
/// recorded outputs, and everything else in the folder (files the journal
/// does not record, symbolic links, leftovers of an interrupted command);
/// list every problem. Exit 1 if any is found.
///
/// The chain shows edits anywhere but in its newest lines; journal.head
/// shows lines dropped from its end. Publish the journal head it prints
/// (after the draw, after scoring): only a published head holds against
/// someone who rewrites both. Later, --head checks that the journal still
/// passes through that published state.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck -C camp-2009 audit\n  spotcheck -C camp-2009 audit --head 5d41402abc4b2a76b9719d911017c592…"
)]
pub struct Args {
    /// A journal head published earlier, which must still be in the chain.
    #[arg(long, value_name = "SHA256")]
    pub head: Option<String>,
}

pub fn run(f: &Folder, a: &Args) -> CmdResult {
    let (ws, mut problems) = f.inspect(Mode::Shared)?;
    problems.extend(ws.scan());
    if let Some(h) = &a.head {
        let h = h.trim().to_lowercase();
        if !ws.journal.line_hashes.contains(&h) {
            problems.push(format!("journal.jsonl: the published head {h} is not in the chain: lines up to it were edited, removed or replaced"));
        }
    }
    for e in &ws.journal.entries {
        out(&format!("{:>3}  {}  {}\n", e.seq, crate::time::show(&e.at, ws.offset), e.event));
    }
    out(&format!("journal head: {} ({} entries)\n", ws.journal.head, ws.journal.entries.len()));
    if problems.is_empty() {
        say(&format!(
            "audit ok: {} journal entries chain correctly up to the recorded head; {} frozen file(s) unchanged; recorded outputs unchanged; nothing else in the folder",
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
