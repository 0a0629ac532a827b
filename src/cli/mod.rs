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
mod manual;
mod output;
mod plan;
mod progress;
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
use crate::workspace::lock::{Access, DEFAULT_TIMEOUT, Mode};
use crate::workspace::step::Recovery;
use crate::workspace::{DRAW, JOURNAL, Workspace};

/// The environment variable that sets the lock timeout when
/// --lock-timeout is not given.
const LOCK_TIMEOUT_ENV: &str = "SPOTCHECK_LOCK_TIMEOUT";

const AFTER_HELP: &str = "\
Exit codes: 0 ok; 1 a check failed (invalid input, verify mismatch, tampered folder); 2 usage or I/O error (also: another command kept the folder locked past --lock-timeout); 3 results provisional (score, annual).

One command at a time changes a campaign folder; others wait (--lock-timeout, default 60 s).
After a crash or a kill, the next command that writes completes or undoes the interrupted step;
`spotcheck recover` does it alone.

Commands that work in a campaign folder take -C DIR (before or after the command's name);
without it, the current folder or the nearest one above it that holds journal.jsonl.
--format csv|json prints a command's table for programs (OUTPUT.md); --quiet leaves only
data, warnings and errors.

Each command has --help with examples, which run as written from the project folder.
The shipped example campaign from start to finish:
  spotcheck init camp-2009 --rules rules/cangzhou-2008-face-to-face.toml \\
                           --frame examples/cangzhou-2008/synthetic-frame.csv
  spotcheck -C camp-2009 reports import examples/cangzhou-2008/reports/*.csv
  spotcheck -C camp-2009 commit
  spotcheck -C camp-2009 draw --seed \"3917 0245 8812 6603 1954\"
  spotcheck -C camp-2009 verify
  spotcheck -C camp-2009 assign --teams examples/cangzhou-2008/teams.csv
  spotcheck -C camp-2009 forms
  spotcheck -C camp-2009 findings import examples/cangzhou-2008/findings/*.csv
  spotcheck -C camp-2009 score --provisional
  spotcheck -C camp-2009 escalate
  spotcheck -C camp-2009 findings import \\
      examples/cangzhou-2008/findings-round-2/*.csv
  spotcheck -C camp-2009 score
  spotcheck -C camp-2009 explain 130921 birth_accuracy
  spotcheck annual --rules rules/cangzhou-2009-annual.toml \\
      --campaign face-to-face=camp-2009 \\
      --input routine=examples/cangzhou-2008/routine-2009.csv \\
      --input bonus=examples/cangzhou-2008/bonus-2009.csv --out annual-2009";

#[derive(Parser, Debug)]
#[command(
    name = "spotcheck",
    version,
    about = "Reproducible, publicly verifiable acceptance spot checks (验收抽查)",
    after_help = AFTER_HELP,
    max_term_width = 100
)]
pub struct Cli {
    /// The campaign folder, for the commands that work in one (also
    /// accepted after the command). Default: the current folder or the
    /// nearest folder above it that holds journal.jsonl.
    #[arg(short = 'C', value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The language of reports, forms and tables: zh (default) or en.
    #[arg(long, global = true, value_name = "LANG", default_value = "zh", value_parser = parse_lang)]
    pub lang: Lang,
    /// Print only data, warnings and errors: no notes, no progress.
    #[arg(long, short, global = true)]
    pub quiet: bool,
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
    Completions(manual::CompletionsArgs),
    Man(manual::ManArgs),
}

impl Command {
    /// The command's own -C, for the commands that work in a campaign
    /// folder; `None` for those that do not.
    fn at(&self) -> Option<&At> {
        match self {
            Command::Reports(a) => Some(a.at()),
            Command::Commit(a) => Some(&a.at),
            Command::Draw(a) => Some(&a.at),
            Command::Verify(a) => Some(&a.at),
            Command::Audit(a) => Some(&a.at),
            Command::Recover(a) => Some(&a.at),
            Command::Assign(a) => Some(&a.at),
            Command::Forms(a) => Some(&a.at),
            Command::Substitute(a) => Some(&a.at),
            Command::Findings(a) => Some(a.at()),
            Command::Status(a) => Some(&a.at),
            Command::Score(a) => Some(&a.at),
            Command::Escalate(a) => Some(&a.at),
            Command::Explain(a) => Some(&a.at),
            Command::Plan(a) => a.at(),
            Command::Check(_)
            | Command::Init(_)
            | Command::Test(_)
            | Command::Annual(_)
            | Command::Synth(_)
            | Command::Completions(_)
            | Command::Man(_) => None,
        }
    }

    /// The command's name as typed, for messages.
    fn name(&self) -> &'static str {
        match self {
            Command::Plan(_) => "plan",
            Command::Check(_) => "check",
            Command::Init(_) => "init",
            Command::Reports(_) => "reports",
            Command::Commit(_) => "commit",
            Command::Draw(_) => "draw",
            Command::Verify(_) => "verify",
            Command::Audit(_) => "audit",
            Command::Recover(_) => "recover",
            Command::Assign(_) => "assign",
            Command::Forms(_) => "forms",
            Command::Substitute(_) => "substitute",
            Command::Findings(_) => "findings",
            Command::Status(_) => "status",
            Command::Score(_) => "score",
            Command::Escalate(_) => "escalate",
            Command::Explain(_) => "explain",
            Command::Test(_) => "test",
            Command::Annual(_) => "annual",
            Command::Synth(_) => "synth",
            Command::Completions(_) => "completions",
            Command::Man(_) => "man",
        }
    }
}

/// The -C of a command that works in a campaign folder.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct At {
    /// The campaign folder. Default: the current folder or the nearest
    /// folder above it that holds journal.jsonl (as git finds its
    /// repository).
    #[arg(short = 'C', value_name = "DIR")]
    pub dir: Option<PathBuf>,
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
    progress::setup(cli.quiet, lang);
    let result = lock_timeout(cli.lock_timeout.as_deref())
        .and_then(|timeout| Ok((timeout, locate(&cli)?)))
        .and_then(|(timeout, (dir, found))| {
            let f = Folder { dir, timeout, found };
            match &cli.command {
                Command::Check(a) => check::run(a, lang),
                Command::Init(a) => init::run(a),
                Command::Commit(a) => commit::run(&f, a),
                Command::Draw(a) => draw::run(&f, a, lang),
                Command::Verify(a) => verify::run(&f, a),
                Command::Audit(a) => audit::run(&f, a, lang),
                Command::Recover(a) => recover::run(&f, a),
                Command::Plan(a) => plan::run(&f, a, lang),
                Command::Reports(a) => reports::run(&f, a),
                Command::Assign(a) => inspect::assign(&f, a, lang),
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
                Command::Completions(a) => manual::completions(a),
                Command::Man(a) => manual::man(a),
            }
        });
    match result {
        Ok(code) => code,
        Err(e) => {
            match &e {
                // Each diagnostic is a line of its own (a warning says so);
                // the verdict comes last, so the first line is never
                // mislabelled.
                Error::Invalid(d) => say(&format!("{d}error: {}", d.summary())),
                _ => say(&format!("error: {e}")),
            }
            e.exit_code()
        }
    }
}

/// How the campaign folder was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// Named with -C.
    Given,
    /// Found by searching upward from the current folder.
    Searched,
    /// Not found: no folder from here up holds a journal.
    Nowhere,
}

/// The campaign folder of the command: -C (before or after the command
/// name), else the current folder or the nearest one above it holding a
/// journal (for `verify`, also a folder of published files, which holds
/// draw.toml). -C with a command that works in no campaign folder is an
/// error rather than silently ignored.
fn locate(cli: &Cli) -> Result<(PathBuf, Found), Error> {
    let sub = cli.command.at().and_then(|a| a.dir.clone());
    let given = match (&cli.dir, sub) {
        (Some(a), Some(b)) if *a != b => {
            return Err(Error::Usage(format!(
                "-C is given twice, as {} and {}; name one campaign folder",
                a.display(),
                b.display()
            )));
        }
        (Some(a), _) => Some(a.clone()),
        (None, b) => b,
    };
    if cli.command.at().is_none() {
        if let Some(d) = given {
            let hint = match &cli.command {
                Command::Init(_) => {
                    format!("; the new folder is init's argument: spotcheck init {} …", d.display())
                }
                Command::Annual(_) => "; annual names its campaigns with --campaign NAME=DIR".to_string(),
                Command::Plan(_) => {
                    "; only `plan simulate`, `plan sequential` and `plan households` read a campaign folder"
                        .to_string()
                }
                _ => String::new(),
            };
            return Err(Error::Usage(format!(
                "-C {}: `spotcheck {}` does not work in a campaign folder{hint}",
                d.display(),
                cli.command.name()
            )));
        }
        return Ok((PathBuf::from("."), Found::Given));
    }
    if let Some(d) = given {
        return Ok((d, Found::Given));
    }
    let markers: &[&str] =
        if matches!(cli.command, Command::Verify(_)) { &[JOURNAL, DRAW] } else { &[JOURNAL] };
    Ok(match search_up(markers) {
        Some(d) => (d, Found::Searched),
        None => (PathBuf::from("."), Found::Nowhere),
    })
}

/// The nearest folder, from the current one upward, holding the first of
/// `markers` (a journal before a draw record), as a relative path (`.`,
/// `..`, `../..`).
fn search_up(markers: &[&str]) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    for m in markers {
        for (up, dir) in cwd.ancestors().enumerate() {
            if dir.join(m).is_file() {
                let mut rel = PathBuf::from(".");
                for _ in 0..up {
                    rel.push("..");
                }
                return Some(if up == 0 { rel } else { rel.strip_prefix(".").unwrap_or(&rel).to_path_buf() });
            }
        }
    }
    None
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
    pub found: Found,
}

impl Folder {
    /// Another folder, with the same timeout.
    pub fn at(&self, dir: &Path) -> Folder {
        Folder { dir: dir.to_path_buf(), timeout: self.timeout, found: Found::Given }
    }

    /// Refuses when no campaign folder was named or found.
    pub fn exists(&self) -> Result<(), Error> {
        if self.found != Found::Nowhere {
            return Ok(());
        }
        let here = std::env::current_dir().map_or_else(|_| ".".to_string(), |d| d.display().to_string());
        Err(Error::Usage(format!(
            "no campaign folder: neither {here} nor any folder above it holds {JOURNAL}; create one with `spotcheck init DIR --rules … --frame …`, or name one with -C DIR"
        )))
    }

    fn open(&self, mode: Mode) -> Result<Workspace, Error> {
        self.exists()?;
        let ws = Workspace::open(&self.dir, &self.access(mode, &|| self.waiting()))?;
        self.tell(&ws);
        Ok(ws)
    }

    pub fn access<'a>(&self, mode: Mode, on_wait: &'a dyn Fn()) -> Access<'a> {
        Access { mode, timeout: self.timeout, on_wait }
    }

    fn waiting(&self) {
        note(&format!(
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
        let mut ws = self.open(Mode::Exclusive)?;
        self.refresh(&mut ws)?;
        Ok(ws)
    }

    /// Opens the folder to write as [`Folder::write`] does, checking the
    /// frozen frame and its snapshot while the command works
    /// ([`Workspace::open_deferred`]).
    pub fn write_deferred(&self) -> Result<Workspace, Error> {
        self.exists()?;
        let mut ws = Workspace::open_deferred(&self.dir, &self.access(Mode::Exclusive, &|| self.waiting()))?;
        self.tell(&ws);
        self.refresh(&mut ws)?;
        Ok(ws)
    }

    /// Writes again, before the command's own work, the snapshots of an
    /// older layout (`workspace::refresh`), and says so.
    fn refresh(&self, ws: &mut Workspace) -> Result<(), Error> {
        let done = crate::workspace::refresh::refresh(ws)?;
        if let Some((_, was)) = done.first() {
            let paths: Vec<&str> = done.iter().map(|(p, _)| p.as_str()).collect();
            note(&format!(
                "{} {} of an older layout ({was}); written again in layout {} from the frozen files, so that commands need not read those files again (journal line {})",
                paths.join(", "),
                if paths.len() == 1 { "was" } else { "were" },
                crate::snapshot::VERSION,
                ws.journal.entries.len()
            ));
        }
        Ok(())
    }

    /// Reads the folder and lists its problems, under a lock of `mode`.
    pub fn inspect(&self, mode: Mode) -> Result<(Workspace, Vec<String>), Error> {
        self.exists()?;
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

/// Prints a message everyone needs (a warning, a problem, an error, what
/// a recovery did) to stderr.
pub(crate) fn say(text: &str) {
    progress::eprint_line(text);
}

/// Prints a note to stderr (what was done, what comes next), unless
/// --quiet.
pub(crate) fn note(text: &str) {
    if !progress::quiet() {
        progress::eprint_line(text);
    }
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

/// A confidence level or a rate strictly between 0 and 1, written `95%`
/// or `0.95`.
pub(crate) fn parse_level(s: &str) -> Result<f64, String> {
    let r = crate::plan::Rate::parse(s)?;
    if r.is_proper() {
        Ok(r.value())
    } else {
        Err(format!("`{s}` must lie strictly between 0 and 1 (0% and 100%); write it like 95% or 0.95"))
    }
}

/// A count, with or without thousands separators (`10000`, `10,000`).
pub(crate) fn parse_count(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let plain = crate::findings::values::ungroup(t)?;
    plain.parse::<u64>().map_err(|_| format!("`{s}` is not a whole number of 0 or more"))
}

/// Refuses, naming the step that comes first, when no sample is drawn yet.
pub(crate) fn need_sample(ws: &Workspace) -> Result<(), Error> {
    if ws.journal.last("draw").is_some() || ws.journal.last("redraw").is_some() {
        return Ok(());
    }
    let first = if ws.journal.last("commit").is_some() {
        "run `spotcheck draw --seed …` with the seed rolled in public"
    } else {
        "run `spotcheck commit`, publish the value, then `spotcheck draw --seed …`"
    };
    Err(Error::Usage(format!("no sample yet: {first}")))
}

/// The county a user named by its code or its name, among `(code, name)`
/// pairs; a code Excel wrote in scientific notation, or a near miss, is
/// said so.
pub(crate) fn find_county<'a>(
    text: &str,
    counties: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> Result<usize, Error> {
    let t = text.trim();
    if let Some(i) = counties.clone().position(|(code, name)| code == t || name == t) {
        return Ok(i);
    }
    if crate::error::looks_like_scientific(t) {
        return Err(Error::Usage(crate::error::scientific_hint("county code", t)));
    }
    let known: Vec<&str> = counties.clone().flat_map(|(c, n)| [c, n]).collect();
    let hint = crate::error::did_you_mean(t, known.iter().copied());
    let all = counties.clone().count();
    let list: Vec<String> = counties.take(30).map(|(c, n)| format!("{c} {n}")).collect();
    let the = if hint.is_empty() { "; the" } else { " The" };
    Err(Error::Usage(format!(
        "no county `{}`{hint}{the} counties are: {}{}",
        crate::error::excerpt(t),
        list.join(", "),
        if all > 30 { format!(", … ({all} in all)") } else { String::new() }
    )))
}
