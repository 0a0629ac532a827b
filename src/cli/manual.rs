//! `spotcheck completions` and `spotcheck man`: shell completions and
//! manual pages, generated from the same definitions as `--help`, so they
//! cannot fall behind the commands.

use std::path::PathBuf;

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, CmdResult, note, out};
use crate::error::Error;
use crate::workspace::atomic;

/// Print a completion script for a shell.
///
/// Load it in the current shell, or install it where the shell looks for
/// completions (see the README's Install section).
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck completions bash > spotcheck.bash\n  spotcheck completions zsh > _spotcheck"
)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// Print the manual page (roff, for `man`), or write one page per command.
///
/// Without --out, prints spotcheck.1 to standard output. With --out DIR,
/// writes spotcheck.1 and a page for every command (spotcheck-draw.1,
/// spotcheck-plan-simulate.1, …) into DIR; an existing page is refused
/// unless --force.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  spotcheck man > spotcheck.1\n  spotcheck man --out man1")]
pub struct ManArgs {
    /// Write every page into this folder instead of printing spotcheck.1.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace pages that already exist in --out.
    #[arg(long, requires = "out")]
    pub force: bool,
}

pub fn completions(a: &CompletionsArgs) -> CmdResult {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "spotcheck", &mut buf);
    out(&String::from_utf8_lossy(&buf));
    Ok(0)
}

/// Every page: the top-level one, then each command's, named after its
/// path (`spotcheck-findings-import`).
fn pages() -> Result<Vec<(String, Vec<u8>)>, Error> {
    fn walk(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> Result<(), Error> {
        let man = clap_mangen::Man::new(cmd.clone());
        let mut buf = Vec::new();
        man.render(&mut buf).map_err(|e| Error::Usage(format!("cannot render the manual: {e}")))?;
        out.push((man.get_filename(), buf));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, out)?;
        }
        Ok(())
    }
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut v = Vec::new();
    walk(&cmd, &mut v)?;
    Ok(v)
}

pub fn man(a: &ManArgs) -> CmdResult {
    let pages = pages()?;
    let Some(dir) = &a.out else {
        out(&String::from_utf8_lossy(&pages[0].1));
        return Ok(0);
    };
    // A page already there as it would be written is left alone; one that
    // differs (another version's, or edited) is replaced only with --force.
    let same = |name: &str, bytes: &[u8]| std::fs::read(dir.join(name)).is_ok_and(|b| b == bytes);
    let differ: Vec<&str> =
        pages.iter().filter(|(n, b)| dir.join(n).exists() && !same(n, b)).map(|(n, _)| n.as_str()).collect();
    if !differ.is_empty() && !a.force {
        return Err(Error::Usage(format!(
            "{} already holds other versions of {}; use --force to replace them",
            dir.display(),
            differ.join(", ")
        )));
    }
    let todo: Vec<&(String, Vec<u8>)> = pages.iter().filter(|(n, b)| !same(n, b)).collect();
    if todo.is_empty() {
        note(&format!(
            "the {} manual pages in {} are already these; nothing to write",
            pages.len(),
            dir.display()
        ));
        return Ok(0);
    }
    atomic::create_dir_all(dir)?;
    for (name, bytes) in &todo {
        atomic::write(&dir.join(name), bytes)?;
    }
    note(&format!(
        "wrote {} manual pages to {} (read one with `man -l {}`)",
        todo.len(),
        dir.display(),
        dir.join(&pages[0].0).display()
    ));
    Ok(0)
}
