//! `spotcheck annual`: the year-end assessment table and its reports.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::{CmdResult, out, say};
use crate::annual::compute::{self, Input};
use crate::annual::rules::{self, Source};
use crate::error::{Error, Result};
use crate::findings::table;
use crate::report::annual::{self as report, Lang};
use crate::report::points;
use crate::score::card::{self, Card};
use crate::text::Encoding;
use crate::workspace::{Workspace, atomic, score};

/// Combine campaign scorecards and other departments' scores into the
/// year-end table (年终考核): component points, bonuses and deductions,
/// totals, vetoes, grades and ranks within groups.
///
/// Writes annual.csv, annual.md, annual.html (self-contained, printable)
/// and annual.xlsx into --out. --explain follows one county's total down to
/// the indicators and the sampled villages behind them.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck annual --rules examples/cangzhou-2008/rules/cangzhou-2009-annual.toml \\\n    --campaign face-to-face=camp-2009 --input routine=examples/cangzhou-2008/routine-2009.csv \\\n    --input bonus=examples/cangzhou-2008/bonus-2009.csv --out annual-2009"
)]
pub struct Args {
    /// The annual rules (TOML).
    #[arg(long, value_name = "FILE")]
    pub rules: PathBuf,
    /// A campaign folder feeding a component: NAME=DIR.
    #[arg(long, value_name = "NAME=DIR")]
    pub campaign: Vec<String>,
    /// A CSV of county code and score: NAME=FILE.
    #[arg(long, value_name = "NAME=FILE")]
    pub input: Vec<String>,
    /// Folder for the reports.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Language of headings: zh or en.
    #[arg(long, default_value = "zh", value_parser = ["zh", "en"])]
    pub lang: String,
    /// Replace existing reports in --out.
    #[arg(long)]
    pub force: bool,
    /// Print the trail behind one county's total.
    #[arg(long, value_name = "COUNTY")]
    pub explain: Option<String>,
}

fn pair(s: &str) -> Result<(String, PathBuf)> {
    s.split_once('=')
        .map(|(n, p)| (n.trim().to_string(), PathBuf::from(p.trim())))
        .filter(|(n, _)| !n.is_empty())
        .ok_or_else(|| Error::Usage(format!("`{s}`: expected NAME=PATH")))
}

fn csv_scores(path: &Path) -> Result<HashMap<String, f64>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let shown = path.display().to_string();
    let sheet = table::read(&shown, &bytes, Encoding::Auto, None).map_err(Error::Invalid)?;
    let mut out = HashMap::new();
    let mut diags = crate::error::Diags::default();
    for r in &sheet.rows {
        let (code, v) = (sheet.cell(r, 0), sheet.cell(r, 1));
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => {
                if out.insert(code.to_string(), x).is_some() {
                    diags.push(sheet.diag(r.number, Some(0), format!("county {code} appears twice")));
                }
            }
            _ => diags.push(sheet.diag(r.number, Some(1), format!("`{v}` is not a score"))),
        }
    }
    diags.into_result()?;
    Ok(out)
}

pub fn run(a: &Args) -> CmdResult {
    let lang = if a.lang == "en" { Lang::En } else { Lang::Zh };
    let rules = rules::load(&a.rules, &a.rules.display().to_string())?;
    let mut inputs: BTreeMap<String, Input> = BTreeMap::new();
    let mut counties: Vec<(String, String)> = Vec::new();
    let mut all_cards: Vec<Card> = Vec::new();
    for c in &a.campaign {
        let (name, dir) = pair(c)?;
        let ws = Workspace::open(&dir)?;
        let (crules, cinputs) = score::inputs(&ws)?;
        if crules.scoring.indicators.is_empty() {
            return Err(Error::Usage(format!(
                "campaign `{name}` ({}) has no [[indicator]]: nothing to carry into the annual total",
                dir.display()
            )));
        }
        // Score at the confidence the campaign's own scorecards were made with.
        let level = ws
            .journal
            .last("score")
            .and_then(|e| e.data.get("confidence"))
            .and_then(|v| v.as_f64())
            .unwrap_or(0.95);
        let known = crate::rules::scoring::measure_names(&crules);
        for (v, _) in &rules.vetoes {
            if let crate::annual::rules::VetoRule::MeasureAbove { campaign, measure, .. } = v
                && *campaign == name
                && !known.iter().any(|k| k == measure)
            {
                return Err(Error::Usage(format!(
                    "{}: a veto reads `{measure}`, which is not a measure of campaign `{name}`",
                    rules.file
                )));
            }
        }
        let cards: Vec<Card> = cinputs.iter().map(|i| card::card(&crules, i, level)).collect();
        if counties.is_empty() {
            counties = cards.iter().map(|c| (c.code.clone(), c.name.clone())).collect();
            all_cards = cards.clone();
        }
        inputs.insert(name, Input::Campaign(cards));
    }
    for i in &a.input {
        let (name, path) = pair(i)?;
        inputs.insert(name, Input::Csv(csv_scores(&path)?));
    }
    for c in &rules.components {
        let (Source::Campaign(n) | Source::Csv(n)) = &c.source;
        if !inputs.contains_key(n) {
            return Err(Error::Usage(format!(
                "component `{}` reads `{n}`, which was not given (--campaign {n}=DIR or --input {n}=FILE)",
                c.id
            )));
        }
    }
    for it in rules.bonuses.iter().chain(&rules.deductions) {
        if !inputs.contains_key(&it.source) {
            return Err(Error::Usage(format!(
                "item `{}` reads `{}`, which was not given (--input {}=FILE)",
                it.id, it.source, it.source
            )));
        }
    }
    if counties.is_empty() {
        // Without a campaign, the counties are those of the components' CSVs.
        let mut v: Vec<(String, String)> = Vec::new();
        for c in &rules.components {
            if let Source::Csv(n) = &c.source
                && let Some(Input::Csv(m)) = inputs.get(n)
            {
                v.extend(m.keys().map(|k| (k.clone(), k.clone())));
            }
        }
        v.sort();
        v.dedup();
        counties = v;
    }
    if counties.is_empty() {
        return Err(Error::Usage("the components' sources list no county: nothing to assess".into()));
    }
    let rows = compute::compute(&rules, &inputs, &counties)?;

    if let Some(who) = &a.explain {
        let Some(r) = rows.iter().find(|r| &r.code == who || &r.name == who) else {
            return Err(Error::Usage(format!("no county `{who}` in the annual table")));
        };
        let mut s = format!(
            "{} {} — {}: {} ({}), rank {} in {}\n",
            r.code,
            r.name,
            rules.name,
            points(r.total),
            r.grade,
            r.rank,
            if r.group.is_empty() { "all" } else { &r.group }
        );
        for p in &r.parts {
            s.push_str(&format!(
                "  {} {}: {} of {} → {} of {} points\n",
                p.id,
                p.name,
                points(p.raw),
                points(p.out_of),
                points(p.points),
                p.weight
            ));
            let campaign = rules.components.iter().find(|c| c.id == p.id).and_then(|c| match &c.source {
                Source::Campaign(n) => inputs.get(n),
                Source::Csv(_) => None,
            });
            if let Some(Input::Campaign(cards)) = campaign
                && let Some(card) = cards.iter().find(|c| c.code == r.code)
            {
                for ind in &card.results {
                    s.push_str(&format!(
                        "    {} {} ({}): {} of {}\n",
                        ind.id,
                        ind.name,
                        ind.activity,
                        points(ind.total()),
                        points(ind.max)
                    ));
                    for l in &ind.lines {
                        s.push_str(&format!("      {:+.2}  {}\n", l.delta, l.text));
                    }
                    for (field, est) in &card.measures.fields {
                        if ind.used.iter().any(|(k, _)| k.starts_with(&format!("{field}_"))) {
                            s.push_str(&format!("      {field}: reported {:.0}, verified {:.0} ({:.0}–{:.0}); villages (code, weight, reported, found):\n", est.reported_total, est.verified.value, est.verified.lo, est.verified.hi));
                            for (code, w, rep, found) in &est.villages {
                                s.push_str(&format!("        {code} {w:.3} {rep} {found}\n"));
                            }
                        }
                    }
                }
            }
        }
        for (id, name, v) in &r.items {
            s.push_str(&format!("  {id} {name}: {:+.2}\n", v));
        }
        for v in &r.vetoes {
            s.push_str(&format!("  VETO: {v}\n"));
        }
        out(&s);
        return Ok(0);
    }

    std::fs::create_dir_all(&a.out).map_err(|e| Error::io(&a.out, e))?;
    let xlsx = report::xlsx(&rules, &rows, &all_cards, lang)
        .map_err(|e| Error::CheckFailed(format!("cannot write the workbook: {e}")))?;
    let files: [(&str, Vec<u8>); 4] = [
        ("annual.csv", report::csv(&rules, &rows, lang)),
        ("annual.md", report::markdown(&rules, &rows, &all_cards, lang)),
        ("annual.html", report::html(&rules, &rows, &all_cards, lang)),
        ("annual.xlsx", xlsx),
    ];
    if !a.force {
        for (name, _) in &files {
            if a.out.join(name).exists() {
                return Err(Error::Usage(format!(
                    "{} exists; use --force to replace the reports",
                    a.out.join(name).display()
                )));
            }
        }
    }
    for (name, bytes) in &files {
        atomic::write(&a.out.join(name), bytes)?;
    }
    let mut s =
        format!("{:<8} {:<16} {:>8} {:<8} {:>4}  {}\n", "code", "county", "total", "grade", "rank", "veto");
    for r in &rows {
        s.push_str(&format!(
            "{:<8} {:<16} {:>8} {:<8} {:>4}  {}\n",
            r.code,
            r.name,
            points(r.total),
            r.grade,
            r.rank,
            r.vetoes.join("; ")
        ));
    }
    out(&s);
    say(&format!(
        "wrote annual.csv, annual.md, annual.html and annual.xlsx in {}; open {} in a browser",
        a.out.display(),
        a.out.join("annual.html").display()
    ));
    Ok(0)
}
