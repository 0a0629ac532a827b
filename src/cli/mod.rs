//! The `spotcheck` command: argument definitions and one file per
//! subcommand. This is the only code that prints or chooses exit codes.

mod annual;
mod audit;
mod check;
mod commit;
mod draw;
mod escalate;
mod init;
mod inspect;
mod plan;
mod recover;
mod reports;
mod score;
mod synth;
mod table;
mod verify;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::error::{Diags, Error};
use crate::lang::Lang;
use crate::text::Encoding;
use crate::workspace::Workspace;
use crate::workspace::lock::{Access, DEFAULT_TIMEOUT, Mode};
use crate::workspace::step::Recovery;

/// The environment variable that sets the lock timeout when
/// --lock-timeout is not given.
const LOCK_TIMEOUT_ENV: &str = "SPOTCHECK_LOCK_TIMEOUT";

const AFTER_HELP: &str = "\
Exit codes: 0 ok; 1 a check failed (invalid input, verify mismatch, tampered folder); 2 usage or I/O error (also: another command kept the folder locked past --lock-timeout); 3 results provisional (score, annual).

One command at a time changes a campaign folder; others wait (--lock-timeout, default 60 s).
After a crash or a kill, the next command that writes completes or undoes the interrupted step;
`spotcheck recover` does it alone.

A campaign, start to finish (each command has --help with an example):
  spotcheck init camp --rules rules/cangzhou-2008-face-to-face.toml --frame frame.csv
  spotcheck -C camp reports import 沧县自查.csv …     # before the commitment
  spotcheck -C camp commit                          # publish the printed value
  spotcheck -C camp draw --seed \"<digits rolled in public>\"
  spotcheck -C camp verify
  spotcheck -C camp assign --teams teams.csv && spotcheck -C camp forms
  spotcheck -C camp findings import 检查表-第一组.xlsx …
  spotcheck -C camp score && spotcheck -C camp explain 130921 birth_accuracy
  spotcheck -C camp escalate                        # a sequential plan: the next round, if any
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
    /// Seconds to wait while another spotcheck command works on the same
    /// campaign folder, then give up with exit 2 (default 60, or the
    /// SPOTCHECK_LOCK_TIMEOUT environment variable).
    #[arg(long, global = true, value_name = "SECONDS")]
    pub lock_timeout: Option<String>,
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
    Recover(recover::Args),
    Assign(inspect::AssignArgs),
    Forms(inspect::FormsArgs),
    Substitute(inspect::SubstituteArgs),
    Findings(inspect::FindingsArgs),
    Status(inspect::StatusArgs),
    Score(score::ScoreArgs),
    Escalate(escalate::Args),
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
    let lang = cli.lang;
    let result = lock_timeout(cli.lock_timeout.as_deref()).and_then(|timeout| {
        let f = Folder { dir: cli.dir.clone(), timeout };
        match &cli.command {
            Command::Check(a) => check::run(a, lang),
            Command::Init(a) => init::run(a),
            Command::Commit(a) => commit::run(&f, a),
            Command::Draw(a) => draw::run(&f, a, lang),
            Command::Verify(a) => verify::run(&f, a),
            Command::Audit(a) => audit::run(&f, a),
            Command::Recover(a) => recover::run(&f, a),
            Command::Plan(a) => plan::run(&f, a, lang),
            Command::Reports(a) => reports::run(&f, a),
            Command::Assign(a) => inspect::assign(&f, a),
            Command::Forms(a) => inspect::forms(&f, a),
            Command::Substitute(a) => inspect::substitute(&f, a),
            Command::Findings(a) => inspect::findings(&f, a),
            Command::Status(a) => inspect::status(&f, a, lang),
            Command::Score(a) => score::score_cmd(&f, a, lang),
            Command::Escalate(a) => escalate::run(&f, a, lang),
            Command::Explain(a) => score::explain(&f, a, lang),
            Command::Test(a) => score::test(a, lang),
            Command::Annual(a) => annual::run(&f, a, lang),
            Command::Synth(a) => synth::run(a),
        }
    });
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

/// The lock timeout: --lock-timeout, else the environment, else the default.
fn lock_timeout(arg: Option<&str>) -> Result<Duration, Error> {
    let (text, from) = match arg {
        Some(t) => (t.to_string(), "--lock-timeout"),
        None => match std::env::var(LOCK_TIMEOUT_ENV) {
            Ok(t) => (t, LOCK_TIMEOUT_ENV),
            Err(_) => return Ok(DEFAULT_TIMEOUT),
        },
    };
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=1e9).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(Error::Usage(format!("{from}: `{text}` is not a number of seconds (0 or more)"))),
    }
}

/// The campaign folder a command works on, and how long to wait for its
/// lock.
pub(crate) struct Folder {
    pub dir: PathBuf,
    pub timeout: Duration,
}

impl Folder {
    /// Another folder, with the same timeout.
    pub fn at(&self, dir: &Path) -> Folder {
        Folder { dir: dir.to_path_buf(), timeout: self.timeout }
    }

    fn open(&self, mode: Mode) -> Result<Workspace, Error> {
        let ws = Workspace::open(&self.dir, &self.access(mode, &|| self.waiting()))?;
        self.tell(&ws);
        Ok(ws)
    }

    pub fn access<'a>(&self, mode: Mode, on_wait: &'a dyn Fn()) -> Access<'a> {
        Access { mode, timeout: self.timeout, on_wait }
    }

    fn waiting(&self) {
        say(&format!(
            "waiting for another spotcheck command on this folder ({}) to finish… (up to {} s; --lock-timeout to change)",
            self.dir.display(),
            crate::workspace::lock::seconds(self.timeout)
        ));
    }

    fn tell(&self, ws: &Workspace) {
        if let Some(n) = ws.lock_note() {
            say(n);
        }
        print_recovery(&self.dir, &ws.recovery);
    }

    /// Opens the folder to read, under a shared lock.
    pub fn read(&self) -> Result<Workspace, Error> {
        self.open(Mode::Shared)
    }

    /// Opens the folder to write, under the exclusive lock, recovering an
    /// interrupted command first.
    pub fn write(&self) -> Result<Workspace, Error> {
        self.open(Mode::Exclusive)
    }

    /// Reads the folder and lists its problems, under a lock of `mode`.
    pub fn inspect(&self, mode: Mode) -> Result<(Workspace, Vec<String>), Error> {
        let (ws, problems) = Workspace::inspect(&self.dir, &self.access(mode, &|| self.waiting()))?;
        self.tell(&ws);
        Ok((ws, problems))
    }

    /// The lock settings for library calls that open the folder themselves.
    pub fn with_access<T>(&self, mode: Mode, run: impl FnOnce(&Access) -> T) -> T {
        run(&self.access(mode, &|| self.waiting()))
    }
}

/// Says what a recovery did.
pub(crate) fn print_recovery(dir: &Path, r: &Recovery) {
    if r.is_empty() {
        return;
    }
    let mut s = format!("recovered {} after an interrupted command:\n", dir.display());
    for a in &r.actions {
        s.push_str(&format!("  {a}\n"));
    }
    if let Some(n) = r.journaled {
        s.push_str(&format!("  (recorded in the journal, line {n})"));
    }
    say(s.trim_end());
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
