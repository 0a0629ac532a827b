//! `spotcheck score`, `spotcheck explain` and `spotcheck test`.

use std::path::{Path, PathBuf};

use super::{CmdResult, out, say};
use crate::error::Error;
use crate::report::points;
use crate::score::{card, cases};
use crate::workspace::{Workspace, score};

/// Score every county by the rules: compare self-reports with findings,
/// estimate the county totals with intervals, apply the indicators and
/// vetoes. Writes score/scorecards.{csv,md,json} and score/summary.csv.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  spotcheck -C camp-2009 score")]
pub struct ScoreArgs {
    /// Confidence of the intervals.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
}

/// Print the full trail behind one county's points for one indicator: the
/// rule, the measures, the estimate with its interval, the sampled villages
/// and findings behind it, and every deduction.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  spotcheck -C camp-2009 explain 130921 birth_accuracy")]
pub struct ExplainArgs {
    /// County code (or name).
    pub county: String,
    /// Indicator id.
    pub indicator: String,
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
}

/// Run the scoring cases (TOML files with [[case]]) under a folder.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  spotcheck test examples/cangzhou-2008/rules/")]
pub struct TestArgs {
    pub folder: PathBuf,
}

fn check_level(c: f64) -> Result<(), Error> {
    if c > 0.0 && c < 1.0 {
        Ok(())
    } else {
        Err(Error::Usage(format!("--confidence must be between 0 and 1, not {c}")))
    }
}

pub fn score_cmd(dir: &Path, a: &ScoreArgs) -> CmdResult {
    check_level(a.confidence)?;
    let mut ws = Workspace::open(dir)?;
    let cards = score::score(&mut ws, a.confidence)?;
    let without: Vec<&str> = cards
        .iter()
        .filter(|c| {
            c.measures.get("sampled").unwrap_or(0.0) > 0.0
                && c.measures.missing_findings.len() as f64 == c.measures.get("sampled").unwrap_or(0.0)
        })
        .map(|c| c.code.as_str())
        .collect();
    if !without.is_empty() {
        say(&format!(
            "warning: no findings yet for {}: their sample-based indicators score 0 until findings come in",
            without.join(", ")
        ));
    }
    let mut s = format!("{:<8} {:<16} {:>8} {:>8}  {}\n", "code", "county", "points", "of", "veto");
    for c in &cards {
        s.push_str(&format!(
            "{:<8} {:<16} {:>8} {:>8}  {}\n",
            c.code,
            c.name,
            points(c.total),
            points(c.max),
            c.vetoes.join("; ")
        ));
    }
    out(&s);
    say(&format!(
        "wrote {} (and scorecards.md, scorecards.json, summary.csv)",
        ws.path("score/scorecards.csv").display()
    ));
    Ok(0)
}

pub fn explain(dir: &Path, a: &ExplainArgs) -> CmdResult {
    check_level(a.confidence)?;
    let ws = Workspace::open(dir)?;
    let (rules, inputs) = score::inputs(&ws)?;
    let Some(c) = inputs.iter().find(|c| c.code == a.county || c.name == a.county) else {
        return Err(Error::Usage(format!("no county `{}` in the frame", a.county)));
    };
    let Some(ind) = rules.scoring.indicators.iter().find(|i| i.id == a.indicator) else {
        let ids: Vec<&str> = rules.scoring.indicators.iter().map(|i| i.id.as_str()).collect();
        return Err(Error::Usage(format!(
            "no indicator `{}`; the rules have: {}",
            a.indicator,
            ids.join(", ")
        )));
    };
    let card = card::card(&rules, c, a.confidence);
    let r = card.results.iter().find(|r| r.id == ind.id).expect("every indicator is scored");
    let mut s = format!("{} {} — {} {} ({})\n", c.code, c.name, ind.id, ind.name, ind.activity);
    s.push_str(&format!("rule: {}\n", ind.rule));
    if !ind.basis.is_empty() {
        s.push_str(&format!("basis: {}\n", ind.basis));
    }
    s.push_str(&format!(
        "points: {} of {}{}\n\n",
        points(r.total()),
        points(r.max),
        r.veto.as_ref().map_or(String::new(), |v| format!("; VETO: {v}"))
    ));
    s.push_str("measures read:\n");
    for (k, v) in &r.used {
        s.push_str(&format!("  {k} = {v:.6}\n"));
    }
    s.push_str("\nsteps:\n");
    for l in &r.lines {
        s.push_str(&format!("  {:+.2}  {}\n", l.delta, l.text));
    }
    for (field, est) in &card.measures.fields {
        if !r.used.iter().any(|(k, _)| k.starts_with(&format!("{field}_"))) {
            continue;
        }
        s.push_str(&format!(
            "\n{field}: reported total {:.2}; verified (ratio estimate) {:.2}, {:.0}% interval {:.2} – {:.2} (SE {:.2}); Horvitz–Thompson {:.2}\n",
            est.reported_total,
            est.verified.value,
            a.confidence * 100.0,
            est.verified.lo,
            est.verified.hi,
            est.verified.se,
            est.ht.value
        ));
        if !est.verified.lonely.is_empty() {
            s.push_str(&format!(
                "  strata with one PSU (no variance contribution): {}\n",
                est.verified.lonely.join(", ")
            ));
        }
        s.push_str("  sampled villages behind it (code, name, weight 1/π, reported, found):\n");
        for (code, w, rep, found) in &est.villages {
            let name = c.sampled.iter().find(|v| &v.code == code).map_or("", |v| v.name.as_str());
            let missing = if c.sampled.iter().any(|v| &v.code == code && v.reported.is_none()) {
                "  (no self-report: worst case 0)"
            } else {
                ""
            };
            s.push_str(&format!("    {code} {name} {w:.3} {rep} {found}{missing}\n"));
        }
    }
    if !card.measures.missing_findings.is_empty() {
        s.push_str(&format!(
            "\nsampled villages without findings (left out, not counted as zero): {}\n",
            card.measures.missing_findings.join(", ")
        ));
    }
    out(&s);
    Ok(0)
}

pub fn test(a: &TestArgs) -> CmdResult {
    let outcomes = cases::run(&a.folder)?;
    let failed: Vec<&cases::Outcome> = outcomes.iter().filter(|o| !o.passed).collect();
    for o in &outcomes {
        out(&format!("{} {} — {}\n", if o.passed { "ok  " } else { "FAIL" }, o.name, o.file));
        if !o.passed {
            out(&format!("     {}\n", o.detail));
        }
    }
    say(&format!("{} passed, {} failed", outcomes.len() - failed.len(), failed.len()));
    Ok(if failed.is_empty() { 0 } else { 1 })
}
