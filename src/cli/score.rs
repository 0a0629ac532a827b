//! `spotcheck score`, `spotcheck explain` and `spotcheck test`.

use std::path::PathBuf;

use super::{CmdResult, Folder, out, say};
use crate::error::Error;
use crate::report::points;
use crate::score::{card, cases};
use crate::workspace::score;

/// Score every county by the rules: compare self-reports with findings,
/// estimate the county totals with intervals, apply the indicators and
/// vetoes. Writes score/scorecards.{csv,md,json} and score/summary.csv.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "While any sampled village (not replaced) has no accepted findings, the scorecards are written \
marked provisional (临时结果) and the command exits with code 3; --provisional accepts that and exits 0.\n\n\
Example:\n  spotcheck -C camp-2009 score"
)]
pub struct ScoreArgs {
    /// Confidence of the intervals and of the one-sided bounds that
    /// `evidence = "bound"` rules read.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Accept provisional results (some sampled villages have no findings
    /// yet): exit 0 instead of 3. The files are marked provisional either way.
    #[arg(long)]
    pub provisional: bool,
}

/// The exit code of a `score` whose results are provisional (README).
pub const PROVISIONAL_EXIT: i32 = 3;

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

pub fn score_cmd(f: &Folder, a: &ScoreArgs) -> CmdResult {
    check_level(a.confidence)?;
    let mut ws = f.write()?;
    let cards = score::score(&mut ws, a.confidence)?;
    let mut s =
        format!("{:<8} {:<16} {:>8} {:>8}  {:<6} {}\n", "code", "county", "points", "of", "status", "veto");
    for c in &cards {
        s.push_str(&format!(
            "{:<8} {:<16} {:>8} {:>8}  {:<6} {}\n",
            c.code,
            c.name,
            points(c.total),
            points(c.max),
            if c.provisional { "临时" } else { "" },
            c.vetoes.join("; ")
        ));
    }
    out(&s);
    say(&format!(
        "wrote {} (and scorecards.md, scorecards.json, summary.csv)",
        ws.path("score/scorecards.csv").display()
    ));
    let open: Vec<String> = cards
        .iter()
        .filter(|c| c.provisional)
        .map(|c| format!("{} {} ({} village(s))", c.code, c.name, c.measures.missing_findings.len()))
        .collect();
    if open.is_empty() {
        return Ok(0);
    }
    say(&format!(
        "PROVISIONAL (临时结果): sampled villages without accepted findings in {}; every file is marked. \
Import the missing findings (spotcheck status lists them) or replace unreachable villages with `spotcheck substitute`.",
        open.join(", ")
    ));
    if a.provisional {
        Ok(0)
    } else {
        say("exit code 3: the results are provisional (pass --provisional to accept them)");
        Ok(PROVISIONAL_EXIT)
    }
}

pub fn explain(f: &Folder, a: &ExplainArgs) -> CmdResult {
    check_level(a.confidence)?;
    let ws = f.read()?;
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
    let card = card::cards(&rules, std::slice::from_ref(c), a.confidence)?.remove(0);
    let r = card.results.iter().find(|r| r.id == ind.id).expect("every indicator is scored");
    out(&explain_text(&rules, c, ind, &card, r, a.confidence));
    Ok(0)
}

/// The interval of an estimate in words: the interval, SE, df and method.
fn interval_text(e: &crate::score::estimate::Estimate, level: f64) -> String {
    let how = if e.pivot.design_based() {
        format!("t with {} df", e.df)
    } else {
        format!(
            "exact {} bound: the design gives {}",
            e.pivot.method(),
            if e.df == 0 { "no degrees of freedom" } else { "a variance of 0" }
        )
    };
    let hi = if e.hi.is_finite() { format!("{:.2}", e.hi) } else { "no upper bound".to_string() };
    format!("{:.2}, {:.0}% interval {:.2} – {hi} (SE {:.2}; {how})", e.value, level * 100.0, e.lo, e.se)
}

/// The full trail behind one indicator of one county.
fn explain_text(
    rules: &crate::rules::Rules,
    c: &crate::score::measures::CountyInput,
    ind: &crate::rules::scoring::Indicator,
    card: &card::Card,
    r: &crate::score::points::Scored,
    level: f64,
) -> String {
    let m = &card.measures;
    let mut s = format!("{} {} — {} {} ({})\n", c.code, c.name, ind.id, ind.name, ind.activity);
    if card.provisional {
        s.push_str(&format!(
            "PROVISIONAL: {} sampled village(s) have no accepted findings yet: {}\n",
            m.missing_findings.len(),
            m.missing_findings.join(", ")
        ));
    }
    s.push_str(&format!("rule: {}\n", ind.rule));
    if !ind.basis.is_empty() {
        s.push_str(&format!("basis: {}\n", ind.basis));
    }
    s.push_str(&format!(
        "evidence: {}{}\n",
        ind.evidence.name(),
        if ind.veto_evidence != ind.evidence {
            format!(" (veto: {})", ind.veto_evidence.name())
        } else {
            String::new()
        }
    ));
    s.push_str(&format!(
        "points: {} of {}{}\n\n",
        points(r.total()),
        points(r.max),
        r.veto.as_ref().map_or(String::new(), |v| format!("; VETO: {v}"))
    ));
    s.push_str("measures read:\n");
    for (k, v) in &r.used {
        let bounds = match m.bounded.get(k) {
            Some(b) => {
                let (lo, hi) = b.interval(level);
                if lo == hi {
                    format!("  (at its limit with {:.0}% confidence; {})", level * 100.0, b.pivot.method())
                } else {
                    let hi = if hi.is_finite() { format!("{hi:.6}") } else { "no upper bound".into() };
                    format!("  ({:.0}% interval {lo:.6} – {hi}; {})", level * 100.0, b.pivot.method())
                }
            }
            None => String::new(),
        };
        s.push_str(&format!("  {k} = {v:.6}{bounds}\n"));
    }
    s.push_str("\nsteps:\n");
    for l in &r.lines {
        s.push_str(&format!("  {:+.2}  {}\n", l.delta, l.text));
    }
    if !r.verdicts.is_empty() {
        s.push_str("\nverdicts (a risk is the chance of a verdict this strong if the county were exactly at the line):\n");
        for v in &r.verdicts {
            s.push_str(&format!("  {}\n", v.words(Some(level))));
        }
    }
    for (field, est) in &m.fields {
        if !r.used.iter().any(|(k, _)| k.starts_with(&format!("{field}_"))) {
            continue;
        }
        s.push_str(&format!("\n{field}: reported total {:.2}\n", est.reported_total));
        s.push_str(&format!("  verified total: {}\n", interval_text(&est.verified, level)));
        if let Some(ratio) = &est.ratio {
            s.push_str(&format!("  found / reported (ratio): {}\n", interval_text(ratio, level)));
        }
        s.push_str(&format!("  Horvitz–Thompson total: {}\n", interval_text(&est.ht, level)));
        if !est.verified.lonely.is_empty() {
            s.push_str(&format!(
                "  strata with one PSU (lonely_psu = {}): {}\n",
                rules.scoring.lonely_psu.name(),
                est.verified.lonely.join(", ")
            ));
        }
        s.push_str("  sampled villages behind it (code, name, weight 1/π, reported, found):\n");
        for (code, w, rep, found) in &est.villages {
            let name = c.sampled.iter().find(|v| &v.code == code).map_or("", |v| v.name.as_str());
            let (rep, note) = match rep {
                Some(x) => (x.to_string(), String::new()),
                None => (
                    "—".to_string(),
                    "  (left out of the self-report: 漏报村, counted in the verified total)".to_string(),
                ),
            };
            let note = if m.reweighted.contains(code) {
                format!("{note}  (no finding: weight carried by its cell)")
            } else {
                note
            };
            s.push_str(&format!("    {code} {name} {w:.3} {rep} {found}{note}\n"));
        }
    }
    for (field, p) in &m.rates {
        if !r.used.iter().any(|(k, _)| k.starts_with(&format!("{field}_"))) {
            continue;
        }
        s.push_str(&format!(
            "\n{field}: found \"yes\" in {} of {} sampled villages; estimated share of the county's villages {:.2}%, {:.0}% interval {:.2}% – {:.2}% ({}, {} df)\n",
            p.x,
            p.n,
            p.p * 100.0,
            level * 100.0,
            p.lo * 100.0,
            p.hi * 100.0,
            p.pivot.method(),
            p.df
        ));
    }
    if !m.missing_findings.is_empty() {
        let how = match rules.scoring.missing_findings {
            crate::rules::scoring::MissingFindings::Reweight => {
                "their weight is carried by the villages of their cell"
            }
            crate::rules::scoring::MissingFindings::Worst => "each counts as the worst case (0, 否)",
        };
        s.push_str(&format!(
            "\nsampled villages without findings ({how}; never counted as zero silently): {}\n",
            m.missing_findings.join(", ")
        ));
    }
    s
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
