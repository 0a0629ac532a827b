//! `spotcheck init`: create a campaign folder with frozen inputs.

use std::path::PathBuf;

use super::{CmdResult, out, parse_encoding, print_warnings, say};
use crate::text::Encoding;
use crate::workspace;

/// Create a campaign folder: copy the rules (and the lists they name) and the
/// frame into it, freeze them by SHA-256 and start the journal.
///
/// The inputs are validated first; nothing is created if any problem is found.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck init camp-2009 --rules examples/cangzhou-2008/rules/cangzhou-2008-face-to-face.toml \\\n                          --frame examples/cangzhou-2008/frame.csv"
)]
pub struct Args {
    /// The new campaign folder (must not exist, or be empty).
    pub folder: PathBuf,
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
    let s = workspace::init(&a.folder, &a.rules, &a.frame, a.encoding)?;
    print_warnings(&s.warnings);
    for f in &s.files {
        out(&format!("{}  {}\n", f.sha256, f.path));
    }
    say(&format!(
        "created {} with {} frozen file(s) ({} villages); next: spotcheck -C {} commit",
        a.folder.display(),
        s.files.len(),
        s.villages,
        a.folder.display()
    ));
    Ok(0)
}
