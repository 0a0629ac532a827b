//! Scoring cases: TOML files that give an indicator's measures and the
//! points (and veto) expected, so assessors can check a rule by reading and
//! extending examples. `spotcheck test DIR` runs every case under DIR.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::estimate::Side;
use super::points;
use crate::error::{Error, Result};
use crate::rules;
use crate::rules::names::Names;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    /// The rules file, relative to the case file.
    rules: String,
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    indicator: String,
    measures: BTreeMap<String, f64>,
    points: f64,
    #[serde(default)]
    veto: bool,
    #[serde(default = "default_tolerance")]
    tolerance: f64,
}

fn default_tolerance() -> f64 {
    1e-6
}

/// A case's measures as points read them: a bound is the case's
/// `{name}_lcb` or `{name}_ucb`, which a case must give for a measure with
/// sampling error read under `evidence = "bound"`.
struct CaseMeasures<'a> {
    rules: &'a rules::Rules,
    measures: &'a BTreeMap<String, f64>,
}

impl points::Lookup for CaseMeasures<'_> {
    fn value(&self, name: &str) -> Option<f64> {
        self.measures.get(name).copied()
    }

    fn bound(&self, name: &str, side: Side) -> Option<f64> {
        if rules::scoring::is_bounded(self.rules, name) {
            let suffix = if side == Side::Lower { "lcb" } else { "ucb" };
            self.measures.get(&format!("{name}_{suffix}")).copied()
        } else {
            self.value(name)
        }
    }

    fn risk(&self, _name: &str, _line: f64, _side: Side) -> Option<f64> {
        None
    }

    fn level(&self) -> Option<f64> {
        None
    }
}

/// One case's outcome.
pub struct Outcome {
    pub file: String,
    pub name: String,
    pub passed: bool,
    pub detail: Detail,
}

/// What a case found.
pub enum Detail {
    /// The case names an indicator the rules do not have.
    NoIndicator(String),
    /// The points and veto expected and got, with the trail.
    Scored {
        expected: f64,
        expected_veto: bool,
        got: f64,
        vetoed: bool,
        lines: Vec<points::Line>,
        names: Box<Names>,
    },
}

/// Finds case files (TOML with `[[case]]`) under `dir`, recursively.
fn case_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml")
                && std::fs::read_to_string(&p).is_ok_and(|t| t.contains("[[case]]"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Runs every case under `dir`.
pub fn run(dir: &Path) -> Result<Vec<Outcome>> {
    let files = case_files(dir);
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "no scoring cases (TOML files with [[case]]) under {}",
            dir.display()
        )));
    }
    let mut out = Vec::new();
    for f in files {
        let shown = f.display().to_string();
        let text = std::fs::read_to_string(&f).map_err(|e| Error::io(&f, e))?;
        let cf: CaseFile =
            toml::from_str(&text).map_err(|e| Error::CheckFailed(format!("{shown}: {}", e.message())))?;
        let rules_path = f.parent().unwrap_or(Path::new(".")).join(&cf.rules);
        let r = rules::load(&rules_path, &rules_path.display().to_string())?;
        for c in cf.case {
            let Some(ind) = r.scoring.indicators.iter().find(|i| i.id == c.indicator) else {
                out.push(Outcome {
                    file: shown.clone(),
                    name: c.name,
                    passed: false,
                    detail: Detail::NoIndicator(c.indicator),
                });
                continue;
            };
            let look = CaseMeasures { rules: &r, measures: &c.measures };
            let s = points::score(ind, &look);
            let vetoed = s.veto.is_some() || !points::vetoes(&r.scoring.vetoes, &look).is_empty();
            let ok = (s.total() - c.points).abs() <= c.tolerance && vetoed == c.veto;
            let detail = Detail::Scored {
                expected: c.points,
                expected_veto: c.veto,
                got: s.total(),
                vetoed,
                lines: s.lines.clone(),
                names: Box::new(Names::new(&r)),
            };
            out.push(Outcome { file: shown.clone(), name: c.name, passed: ok, detail });
        }
    }
    Ok(out)
}
