//! Campaign rules: the TOML file that says what the campaign is (the notice,
//! its dates), which frame column plays which role, and how the sample is
//! drawn. Parsing is pure ([`parse`]); [`load`] reads the file and the code
//! lists it names. Checking the rules against a frame needs the design's
//! strata, so it lives with the sampler (`sample::Design::prepare`).

pub mod households;
pub mod inspection;
mod model;
pub mod names;
mod reader;
pub mod scoring;
pub mod sequential;

pub use households::HouseholdStage;
pub use inspection::{Choice, Field, FieldLevel, Inspection, Kind};
pub use model::*;
pub use reader::{Reader, Table, parse_document as parse_document_for};

use std::path::{Component, Path};

use crate::error::{Diag, Diags, Error, Result};
use crate::text::{self, Encoding};

/// Reads a rules file and every code list it names (paths relative to the
/// rules file). `display` is the name used in messages.
pub fn load(path: &Path, display: &str) -> Result<Rules> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = match text::decode(display, &bytes, Encoding::Utf8) {
        Ok((t, _)) => t,
        Err(d) => return Err(Error::Invalid(Diags(vec![d]))),
    };
    let (rules, mut diags) = parse(display, &text);
    let Some(mut rules) = rules else {
        return Err(Error::Invalid(diags.sorted()));
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let display_base = Path::new(display).parent().unwrap_or(Path::new(""));
    for list in rules.exclude.iter_mut().chain(rules.include.iter_mut()) {
        let Some(file) = &list.file else { continue };
        if !is_plain_relative(&file.path) {
            diags.push(Diag::error(
                &rules.file,
                Some(file.loc),
                format!(
                    "`{}`: list files must be given relative to the rules file, inside its folder",
                    file.path
                ),
            ));
            continue;
        }
        // Read as a list, the rules would give their own lines as codes.
        let is_rules = std::fs::canonicalize(base.join(&file.path))
            .ok()
            .is_some_and(|p| std::fs::canonicalize(path).is_ok_and(|r| r == p));
        if is_rules {
            diags.push(Diag::error(
                &rules.file,
                Some(file.loc),
                format!("`{}` is the rules file itself; a list file holds codes, one a row", file.path),
            ));
            continue;
        }
        let shown = display_base.join(&file.path).to_string_lossy().replace('\\', "/");
        match std::fs::read(base.join(&file.path)) {
            Ok(bytes) => match parse_code_list(&shown, &bytes) {
                Ok(codes) => list.codes.extend(codes),
                Err(d) => diags.extend(d),
            },
            Err(e) => diags.push(Diag::error(
                &rules.file,
                Some(file.loc),
                format!("cannot read `{}`: {e}", file.path),
            )),
        }
    }
    let mut warnings = diags.into_result()?;
    warnings.0.extend(names::missing(&rules));
    rules.warnings = warnings.sorted().0;
    Ok(rules)
}

/// A relative path with no `..`, so copies of the rules folder stay whole.
pub fn is_plain_relative(p: &str) -> bool {
    let path = Path::new(p);
    !p.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Parses a code list: CSV with a header row; the first column holds codes.
/// Other columns (a reason, a name) are kept for people and ignored here.
pub fn parse_code_list(file: &str, bytes: &[u8]) -> Result<Vec<Coded>, Diags> {
    let (text, _) = text::decode(file, bytes, Encoding::Auto).map_err(|d| Diags(vec![d]))?;
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut diags = Diags::default();
    for rec in rdr.records() {
        match rec {
            Ok(r) => {
                let line = crate::text::record_line(text.as_bytes(), r.position());
                let code = r.get(0).unwrap_or("").trim();
                if code.is_empty() {
                    if r.iter().any(|c| !c.trim().is_empty()) {
                        diags.push(Diag::at_line(file, line, "empty code in the first column"));
                    }
                    continue;
                }
                out.push(Coded {
                    code: code.to_string(),
                    file: file.to_string(),
                    loc: crate::error::Loc::line(line),
                });
            }
            Err(e) => diags.push(Diag::error(file, None, format!("unreadable CSV: {e}"))),
        }
    }
    if diags.has_errors() { Err(diags) } else { Ok(out) }
}
