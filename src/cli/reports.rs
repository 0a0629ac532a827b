//! `spotcheck reports import`: freeze the counties' self-reports.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{At, CmdResult, Folder, note, out};
use crate::workspace::reports;

/// Counties' self-reports (自查), imported before the commitment.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck -C camp-2009 reports import examples/cangzhou-2008/reports/*.csv"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: ReportsCommand,
}

impl Args {
    pub fn at(&self) -> &At {
        let ReportsCommand::Import(a) = &self.command;
        &a.at
    }
}

#[derive(Subcommand, Debug)]
pub enum ReportsCommand {
    Import(ImportArgs),
}

/// Validate self-report files (CSV in UTF-8 or GB18030, or .xlsx) and freeze
/// them into the campaign, so that the commitment covers them.
///
/// Each row is a village (its code in the frame's code column) or a county
/// (its county code) with the rules' reported fields, by id or Chinese name.
/// Every problem in every file is listed; if there is any, nothing is
/// imported. After `commit`, reports cannot be added or changed.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck -C camp-2009 reports import \\\n      examples/cangzhou-2008/reports/130921-沧县自查.csv"
)]
pub struct ImportArgs {
    #[command(flatten)]
    pub at: At,
    /// The self-report files: CSV (UTF-8 or GB18030) or .xlsx, any number.
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
}

pub fn run(f: &Folder, a: &Args) -> CmdResult {
    let ReportsCommand::Import(args) = &a.command;
    let mut ws = f.write()?;
    let files: Vec<&Path> = args.files.iter().map(PathBuf::as_path).collect();
    let imp = reports::import(&mut ws, &files)?;
    for rel in &imp.already {
        note(&format!("{rel}: already imported with the same content; nothing to do"));
    }
    if imp.files.is_empty() {
        return Ok(0);
    }
    for f in &imp.files {
        out(&format!("{}  {}\n", f.sha256, f.path));
    }
    let mut s = String::new();
    for (key, name, v) in &imp.coverage {
        s.push_str(&format!("{key} {name}: {} villages reported", v.reported));
        if v.left_out > 0 {
            let more = if v.left_out > v.first_left_out.len() {
                format!(", … ({} in all)", v.left_out)
            } else {
                String::new()
            };
            s.push_str(&format!(
                "; {} left out, counted as the worst case in scoring: {}{more}",
                v.left_out,
                v.first_left_out.join(", ")
            ));
        }
        s.push('\n');
    }
    for (key, name) in &imp.silent {
        s.push_str(&format!("{key} {name}: no self-report yet\n"));
    }
    note(&format!(
        "imported {} file(s), {} rows; they are frozen and the commitment will cover them\n{s}",
        imp.files.len(),
        imp.rows
    ));
    Ok(0)
}
