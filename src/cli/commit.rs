//! `spotcheck commit`: the commitment to publish before the seed ceremony.

use super::{At, CmdResult, Folder, note, out, say};

/// Print the SHA-256 commitment over the frozen inputs and journal it.
///
/// Publish the value before the public seed ceremony: it fixes the rules and
/// the frame, so no one can change them once the seed is known. The text it
/// hashes is shown with --show, in the form `sha256sum` prints.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  spotcheck -C camp-2009 commit --show")]
pub struct Args {
    #[command(flatten)]
    pub at: At,
    /// Also print the text that the commitment hashes.
    #[arg(long)]
    pub show: bool,
}

pub fn run(f: &Folder, a: &Args) -> CmdResult {
    let mut ws = f.write()?;
    let (hash, text, new) = ws.commit()?;
    if a.show {
        say(&format!("the commitment is SHA-256 of this text:\n{text}"));
    }
    out(&format!("{hash}\n"));
    if new {
        note("committed; publish this value before the seed is rolled, then run `spotcheck draw --seed …`");
    } else {
        note("already committed earlier; the value is unchanged");
    }
    Ok(0)
}
