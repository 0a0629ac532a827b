//! The crate's one error type and the located diagnostics that user-input
//! errors carry. Validation collects every [`Diag`] it finds and returns them
//! together, so people fix a file once rather than once per problem.

use std::fmt;
use std::path::PathBuf;

/// Where in an input file a problem is. Lines and columns count from 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loc {
    pub line: u64,
    pub col: u64,
}

impl Loc {
    pub fn line(line: u64) -> Loc {
        Loc { line, col: 0 }
    }
}

/// Whether a problem stops the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in one input file, rendered as `file:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub file: String,
    /// `None` when the problem concerns the file as a whole.
    pub loc: Option<Loc>,
    pub severity: Severity,
    pub message: String,
}

impl Diag {
    pub fn error(file: &str, loc: Option<Loc>, message: impl Into<String>) -> Diag {
        Diag { file: file.to_string(), loc, severity: Severity::Error, message: message.into() }
    }

    pub fn warning(file: &str, loc: Option<Loc>, message: impl Into<String>) -> Diag {
        Diag { file: file.to_string(), loc, severity: Severity::Warning, message: message.into() }
    }

    pub fn at_line(file: &str, line: u64, message: impl Into<String>) -> Diag {
        Diag::error(file, Some(Loc::line(line)), message)
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        match self.loc {
            Some(Loc { line, col: 0 }) => write!(f, ":{line}")?,
            Some(Loc { line, col }) => write!(f, ":{line}:{col}")?,
            None => {}
        }
        if self.severity == Severity::Warning {
            write!(f, ": warning")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A list of diagnostics, sorted by file and position for stable output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diags(pub Vec<Diag>);

impl Diags {
    pub fn push(&mut self, d: Diag) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Diags) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diag::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diag> {
        self.0.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diag> {
        self.0.iter().filter(|d| !d.is_error())
    }

    /// Sorts by file, then position (file-level problems first), keeping the
    /// discovery order of problems at the same place.
    pub fn sorted(mut self) -> Diags {
        self.0.sort_by(|a, b| (&a.file, a.loc).cmp(&(&b.file, b.loc)));
        self
    }

    /// Turns the list into `Err` when it holds any error; warnings alone pass.
    pub fn into_result(self) -> Result<Diags, Error> {
        if self.has_errors() { Err(Error::Invalid(self.sorted())) } else { Ok(self.sorted()) }
    }
}

impl fmt::Display for Diags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong. The variant decides the exit code: input
/// problems and failed checks exit 1, usage and I/O problems exit 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input files that fail validation; every problem found is listed.
    #[error("{}", render_invalid(.0))]
    Invalid(Diags),
    /// A check that ran and failed: a verify mismatch, a tampered workspace.
    #[error("{0}")]
    CheckFailed(String),
    /// The command cannot run as asked (a missing commitment, a second draw).
    #[error("{0}")]
    Usage(String),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn render_invalid(d: &Diags) -> String {
    let n = d.errors().count();
    let mut s = d.to_string();
    s.push_str(&format!("{n} problem{} found", if n == 1 { "" } else { "s" }));
    s
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }

    /// The process exit code documented in the README.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) | Error::CheckFailed(_) => 1,
            Error::Usage(_) | Error::Io { .. } => 2,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
