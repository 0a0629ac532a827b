//! The `spotcheck` command: argument definitions and one file per
//! subcommand. This is the only code that prints or chooses exit codes.

mod annual;
mod audit;
mod check;
mod commit;
mod draw;
mod init;
mod inspect;
mod plan;
mod reports;
mod score;
mod synth;
mod table;
mod verify;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::error::{Diags, Error};
use crate::lang::Lang;
use crate::text::Encoding;

const AFTER_HELP: &str = "\
Exit codes: 0 ok; 1 a check failed (invalid input, verify mismatch, tampered folder); 2 usage or I/O error.

A campaign, start to finish (each command has --help with an example):
  spotcheck init camp --rules rules/cangzhou-2008-face-to-face.toml --frame frame.csv
  spotcheck -C camp reports import 沧县自查.csv …     # before the commitment
  spotcheck -C camp commit                          # publish the printed value
  spotcheck -C camp draw --seed \"<digits rolled in public>\"
  spotcheck -C camp verify
  spotcheck -C camp assign --teams teams.csv && spotcheck -C camp forms
  spotcheck -C camp findings import 检查表-第一组.xlsx …
  spotcheck -C camp score && spotcheck -C camp explain 130921 birth_accuracy
  spotcheck annual --rules annual.toml --campaign face-to-face=camp --input routine=routine.csv --out annual";

#[derive(Parser, Debug)]
#[command(name = "spotcheck", version, about = "Reproducible, publicly verifiable acceptance spot checks (验收抽查)", after_help = AFTER_HELP)]
pub struct Cli {
    /// The campaign folder (default: the current folder).
    #[arg(short = 'C', global = true, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// The language of reports, forms and tables: zh (default) or en.
    #[arg(long, global = true, value_name = "LANG", default_value = "zh", value_parser = parse_lang)]
    pub lang: Lang,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Plan(plan::Args),
    Check(check::Args),
    Init(init::Args),
    Reports(reports::Args),
    Commit(commit::Args),
    Draw(draw::Args),
    Verify(verify::Args),
    Audit(audit::Args),
    Assign(inspect::AssignArgs),
    Forms(inspect::FormsArgs),
    Substitute(inspect::SubstituteArgs),
    Findings(inspect::FindingsArgs),
    Status(inspect::StatusArgs),
    Score(score::ScoreArgs),
    Explain(score::ExplainArgs),
    Test(score::TestArgs),
    Annual(annual::Args),
    Synth(synth::Args),
}

/// Parses the process arguments, runs the command and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match &cli.command {
        Command::Check(a) => check::run(a, cli.lang),
        Command::Init(a) => init::run(a),
        Command::Commit(a) => commit::run(&cli.dir, a),
        Command::Draw(a) => draw::run(&cli.dir, a, cli.lang),
        Command::Verify(a) => verify::run(&cli.dir, a),
        Command::Audit(a) => audit::run(&cli.dir, a),
        Command::Plan(a) => plan::run(&cli.dir, a, cli.lang),
        Command::Reports(a) => reports::run(&cli.dir, a),
        Command::Assign(a) => inspect::assign(&cli.dir, a),
        Command::Forms(a) => inspect::forms(&cli.dir, a),
        Command::Substitute(a) => inspect::substitute(&cli.dir, a),
        Command::Findings(a) => inspect::findings(&cli.dir, a),
        Command::Status(a) => inspect::status(&cli.dir, a, cli.lang),
        Command::Score(a) => score::score_cmd(&cli.dir, a, cli.lang),
        Command::Explain(a) => score::explain(&cli.dir, a, cli.lang),
        Command::Test(a) => score::test(a, cli.lang),
        Command::Annual(a) => annual::run(a, cli.lang),
        Command::Synth(a) => synth::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            match &e {
                // Each diagnostic is a line of its own (a warning says so);
                // the verdict comes last, so the first line is never
                // mislabelled.
                Error::Invalid(d) => eprintln!("{d}error: {}", d.summary()),
                _ => eprintln!("error: {e}"),
            }
            e.exit_code()
        }
    }
}

/// Prints data to stdout; a closed pipe (`spotcheck … | head`) is not an error.
pub(crate) fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush());
}

/// Prints messages to stderr.
pub(crate) fn say(text: &str) {
    eprintln!("{text}");
}

pub(crate) fn print_warnings(d: &Diags) {
    for w in d.warnings() {
        say(&w.to_string());
    }
}

pub(crate) fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("`{s}`: expected zh or en"))
}

pub(crate) fn parse_encoding(s: &str) -> Result<Encoding, String> {
    s.parse()
}

/// The rules and frame that `check` and `init` read.
#[derive(clap::Args, Debug)]
pub struct Inputs {
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

pub(crate) type CmdResult = Result<i32, Error>;
