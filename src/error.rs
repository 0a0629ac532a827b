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

/// The most characters of someone's text a message repeats.
pub const EXCERPT_CHARS: usize = 60;

/// A short, one-line excerpt of text from an input file, for messages: at
/// most [`EXCERPT_CHARS`] characters, control characters escaped, and the
/// full length said when it was cut. A cell or formula may be megabytes
/// long; the message only needs enough to find it.
pub fn excerpt(s: &str) -> String {
    let n = s.chars().count();
    let keep = if n > EXCERPT_CHARS { EXCERPT_CHARS - 20 } else { n };
    let mut out = String::new();
    for c in s.chars().take(keep) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if keep < n {
        out.push_str(&format!("… ({n} characters)"));
    }
    out
}

/// The longest message a diagnostic keeps. Messages quote input text
/// through [`excerpt`]; this is the backstop for any that does not.
const MAX_MESSAGE_CHARS: usize = 1_000;

fn capped(message: String) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message;
    }
    let head: String = message.chars().take(MAX_MESSAGE_CHARS - 100).collect();
    format!("{head}… (message cut; {} characters in all)", message.chars().count())
}

impl Diag {
    pub fn error(file: &str, loc: Option<Loc>, message: impl Into<String>) -> Diag {
        Diag { file: file.to_string(), loc, severity: Severity::Error, message: capped(message.into()) }
    }

    pub fn warning(file: &str, loc: Option<Loc>, message: impl Into<String>) -> Diag {
        Diag { file: file.to_string(), loc, severity: Severity::Warning, message: capped(message.into()) }
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

    /// `3 problems found`: the count of errors, for the line after the list.
    pub fn summary(&self) -> String {
        let n = self.errors().count();
        format!("{n} problem{} found", if n == 1 { "" } else { "s" })
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
    format!("{d}{}", d.summary())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_and_on_one_line() {
        assert_eq!(excerpt("沧县"), "沧县");
        assert_eq!(excerpt("a\nb"), "a\\nb");
        let long = "x".repeat(1_000_000);
        let e = excerpt(&long);
        assert!(e.chars().count() < 70 && e.ends_with("(1000000 characters)"), "{e}");
        let d = Diag::error("f", None, "y".repeat(5_000));
        assert!(d.message.chars().count() < 1_100, "{}", d.message.len());
    }
}

/// The known word nearest to `word`, when it is near enough to be a typo:
/// at most one edit (a letter or digit changed, added, dropped, or two
/// neighbours swapped), or two for words of eight characters or more. A
/// six-digit county code two digits away from another is more likely a
/// different county than a typo.
/// `None` for an exact match or nothing close.
pub fn nearest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = word.chars().count();
    let limit = if len < 8 { 1 } else { 2 };
    known
        .into_iter()
        .filter(|k| *k != word)
        .map(|k| (strsim::damerau_levenshtein(word, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// `; did you mean `x`?` for the nearest known word, or nothing.
pub fn did_you_mean<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    nearest(word, known).map_or_else(String::new, |k| format!("; did you mean `{k}`?"))
}

/// Whether a code reads like a number Excel wrote in scientific notation
/// (`1.30929E+11`): a code column that Excel took for numbers.
pub fn looks_like_scientific(code: &str) -> bool {
    let c = code.trim();
    let Some(e) = c.find(['e', 'E']) else {
        return false;
    };
    let (mant, exp) = (&c[..e], &c[e + 1..]);
    !mant.is_empty()
        && mant.chars().all(|ch| ch.is_ascii_digit() || ch == '.')
        && mant.chars().any(|ch| ch.is_ascii_digit())
        && exp.trim_start_matches(['+', '-']).chars().all(|ch| ch.is_ascii_digit())
        && !exp.trim_start_matches(['+', '-']).is_empty()
}

/// What to say about a code in scientific notation: Excel changed it, the
/// digits it dropped are lost, and how to keep codes as text.
pub fn scientific_hint(what: &str, code: &str) -> String {
    format!(
        "{what} `{}` is in scientific notation: Excel turned the code into a number and dropped its last digits. Keep codes as text: format the column as Text (文本) before typing or pasting the codes, or type a ' before each code, then save again",
        excerpt(code)
    )
}

#[cfg(test)]
mod suggest_tests {
    use super::*;

    #[test]
    fn near_words_are_suggested_and_far_ones_not() {
        let ids = ["birth_accuracy", "marriage_accuracy", "fee_collection"];
        assert_eq!(nearest("birth_acuracy", ids), Some("birth_accuracy"));
        assert_eq!(nearest("brith_accuracy", ids), Some("birth_accuracy"));
        assert_eq!(nearest("births", ids), None);
        assert_eq!(nearest("130912", ["130921", "130922", "130902"]), Some("130921"));
        assert_eq!(nearest("130912", ["130933", "130902"]), Some("130902"));
        assert_eq!(nearest("河北", ["沧县", "青县"]), None);
        assert_eq!(nearest("仓县", ["沧县", "青县"]), Some("沧县"));
        assert_eq!(nearest("139999", ["130929", "130902"]), None);
        assert_eq!(did_you_mean("x", ["y"]), "; did you mean `y`?");
        assert_eq!(did_you_mean("xyz", ["abc"]), "");
    }

    #[test]
    fn excel_scientific_codes_are_recognised() {
        assert!(looks_like_scientific("1.30929E+11"));
        assert!(looks_like_scientific("1.30921e11"));
        assert!(!looks_like_scientific("130921104203"));
        assert!(!looks_like_scientific("E1"));
        assert!(!looks_like_scientific(".E+1"));
    }
}
