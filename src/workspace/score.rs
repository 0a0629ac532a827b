//! Gathering a campaign's data for scoring: the active sample with its
//! weights and variance strata, the self-reports, and the findings in force.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;

use super::inspection::{self, FINDINGS};
use super::step::Step;
use super::{Workspace, read};
use crate::error::{Error, Result};
use crate::findings::import::{Assigned, Context};
use crate::findings::values::Value;
use crate::report::{self, Render};
use crate::rules::Rules;
use crate::rules::names::Names;
use crate::score::card::{self, Card};
use crate::score::measures::{CountyInput, Sampled};

pub use crate::score::simulate::stratum_and_psu;

/// Everything scoring needs, county by county.
pub fn inputs(ws: &Workspace) -> Result<(Rules, Vec<CountyInput>)> {
    let (active, inactive) = inspection::active(ws)?;
    inputs_for(ws, &active, &inactive)
}

/// The county inputs of the villages `active` (the sample as it stands, or
/// as it stood after an earlier round of a sequential plan), with the
/// findings in force, which are checked against the sample as it stands
/// (`inactive`).
pub fn inputs_for(
    ws: &Workspace,
    active: &[inspection::Sampled],
    inactive: &HashMap<String, String>,
) -> Result<(Rules, Vec<CountyInput>)> {
    let (rules, frame) = ws.load_inputs()?;
    // Weights and variance strata from the published probabilities.
    let mut design: HashMap<String, (String, String, f64, String)> = HashMap::new();
    for r in active {
        let path: Vec<&str> = r.stratum.split('/').collect();
        let (stratum, psu) = stratum_and_psu(&path, &r.stage_pi, &r.code);
        design.insert(
            r.code.clone(),
            (stratum, psu, if r.pi > 0.0 { 1.0 / r.pi } else { 0.0 }, r.name.clone()),
        );
    }
    // Self-reports.
    // Only the sampled villages' reported values are kept; every row adds
    // to its county's totals.
    let wanted: std::collections::HashSet<&str> = active.iter().map(|s| s.code.as_str()).collect();
    let mut reported: HashMap<String, BTreeMap<String, Value>> = HashMap::new();
    let mut totals: BTreeMap<usize, BTreeMap<String, f64>> = BTreeMap::new();
    let mut submitted: Vec<bool> = vec![false; frame.counties.len()];
    let mut reported_villages: Vec<usize> = vec![0; frame.counties.len()];
    let mut villages: Vec<usize> = vec![0; frame.counties.len()];
    for v in &frame.villages {
        villages[v.county] += 1;
    }
    super::reports::for_each(ws, &rules, &frame, |row| {
        submitted[row.county] = true;
        if !row.is_county {
            reported_villages[row.county] += 1;
            for (f, v) in &row.values {
                if let Some(x) = v.number() {
                    *totals.entry(row.county).or_default().entry(f.clone()).or_default() += x;
                }
            }
        }
        if wanted.contains(row.code.as_str()) {
            reported.insert(row.code.clone(), row.values.iter().cloned().collect());
        }
    })?;
    // Findings in force.
    let (found, mut households) = findings(ws, &rules, &frame, inactive)?;
    let lists = inspection::household_lists(ws, &rules)?;
    let mut out = Vec::new();
    for (ci, county) in frame.counties.iter().enumerate() {
        let sampled: Vec<Sampled> = active
            .iter()
            .filter(|s| s.county == county.key)
            .map(|s| {
                let (stratum, psu, w, name) = design.get(&s.code).cloned().unwrap_or_default();
                Sampled {
                    code: s.code.clone(),
                    name,
                    stratum,
                    psu,
                    w,
                    reported: reported.get(&s.code).cloned(),
                    found: found.get(&s.code).cloned(),
                    households: households.remove(&s.code),
                    listed: lists.contains_key(&s.code),
                }
            })
            .collect();
        out.push(CountyInput {
            code: county.key.clone(),
            name: county.name.clone(),
            reported_totals: totals.remove(&ci).unwrap_or_default(),
            report_submitted: submitted[ci],
            villages: villages[ci],
            reported_villages: reported_villages[ci],
            sampled,
        });
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Ok((rules, out))
}

/// Household findings by village.
type Households = HashMap<String, crate::findings::households::VillageHouseholds>;
/// Village findings by village.
type Villages = HashMap<String, BTreeMap<String, Value>>;

/// The findings of the files now in force, by village: the village sheets'
/// and the household findings.
fn findings(
    ws: &Workspace,
    rules: &Rules,
    frame: &crate::frame::Frame,
    inactive: &HashMap<String, String>,
) -> Result<(Villages, Households)> {
    let mut out = HashMap::new();
    let mut households = HashMap::new();
    let current = inspection::current_findings(ws);
    if current.is_empty() {
        return Ok((out, households));
    }
    let assigned: HashMap<String, Assigned> = inspection::assignment(ws)?
        .into_iter()
        .map(|r| (r.code.clone(), Assigned { county: r.county_code, team: r.team, form_id: r.form_id }))
        .collect();
    let covered = HashMap::new();
    let size = inspection::size_lookup(rules, frame);
    let job = crate::progress::job(crate::progress::Task::ReadFindings, current.len() as u64);
    let lists = inspection::household_lists(ws, rules)?;
    let hctx = rules.households.as_ref().map(|stage| crate::findings::households::Context {
        rules,
        stage,
        lists: &lists,
        assigned: &assigned,
        inactive,
        covered: &covered,
    });
    for file in current.keys() {
        job.inc(1);
        let bytes = read(&ws.path(file))?;
        let ctx = Context { rules, assigned: &assigned, inactive, covered: &covered, size: &size };
        let name = file.trim_start_matches(&format!("{FINDINGS}/"));
        let v = inspection::validate_file(name, &bytes, &ctx, hctx.as_ref()).map_err(Error::Invalid)?;
        for r in v.village_rows {
            out.insert(r.code, r.values.into_iter().collect());
        }
        for h in v.households {
            households.insert(h.code.clone(), h);
        }
    }
    Ok((out, households))
}

/// The confidence of a campaign without a sequential plan when none is
/// asked for.
pub const DEFAULT_LEVEL: f64 = 0.95;

/// Every county's scorecard as the campaign stands. Without a sequential
/// plan, at `level` (95% when `None`); with one, each county at the plan's
/// confidence for the round it has reached, which a `level` may not
/// override.
pub fn campaign_cards(
    ws: &Workspace,
    level: Option<f64>,
    lang: crate::lang::Lang,
) -> Result<(Rules, Vec<CountyInput>, Vec<Card>)> {
    let (rules, inputs) = inputs(ws)?;
    let cards = match &rules.sequential {
        None => card::cards(&rules, &inputs, level.unwrap_or(DEFAULT_LEVEL))?,
        Some(plan) => {
            if let Some(l) = level {
                let levels: Vec<String> =
                    plan.confidence.iter().map(|c| crate::lang::level(c.value())).collect();
                return Err(Error::Usage(format!(
                    "the sequential plan fixes the confidence of each round ({}); --confidence {l} cannot change it",
                    levels.join(", ")
                )));
            }
            super::rounds::cards(ws, &rules, &inputs, lang)?
        }
    };
    Ok((rules, inputs, cards))
}

/// Scores every county and writes the scorecards under `score/`, in `lang`.
pub fn score(ws: &mut Workspace, level: Option<f64>, lang: crate::lang::Lang) -> Result<(Vec<Card>, Names)> {
    let (rules, _, cards) = campaign_cards(ws, level, lang)?;
    if rules.scoring.indicators.is_empty() {
        return Err(Error::Usage("the rules define no [[indicator]]: nothing to score".into()));
    }
    let renders: [&dyn Render; 4] = [&report::Csv, &report::SummaryCsv, &report::Markdown, &report::Json];
    let names = Names::new(&rules);
    let view = report::View { names: &names, lang };
    let mut step = Step::new();
    let mut outputs = Vec::new();
    for r in renders {
        outputs.push(step.write(format!("score/{}", r.file_name()), r.render(&cards, view)));
    }
    let missing: Vec<&str> =
        cards.iter().flat_map(|c| c.measures.missing_findings.iter().map(String::as_str)).collect();
    let mut data = json!({
        "counties": cards.len(),
        "confidence": level.unwrap_or(DEFAULT_LEVEL),
        "lang": lang.code(),
        "provisional": cards.iter().any(|c| c.provisional),
        "missing_findings": missing,
        "outputs": outputs,
    });
    if rules.sequential.is_some() {
        // Each county at its own round's confidence (SCORING.md §9).
        let rounds: BTreeMap<&str, u32> =
            cards.iter().filter_map(|c| c.round.map(|r| (c.code.as_str(), r.0))).collect();
        let pending: Vec<&str> =
            cards.iter().filter(|c| c.pending.is_some()).map(|c| c.code.as_str()).collect();
        data["confidence"] = serde_json::Value::Null;
        data["rounds"] = json!(rounds);
        data["pending"] = json!(pending);
    }
    ws.apply(step, "score", data)?;
    Ok((cards, names))
}

/// Every frame village's figures in the frozen self-reports (`None` for a
/// village no report has a row for), for simulations that take the reports
/// as the truth.
pub fn report_values(
    ws: &Workspace,
    rules: &Rules,
    frame: &crate::frame::Frame,
) -> Result<Vec<Option<BTreeMap<String, Value>>>> {
    let index: HashMap<&str, usize> = (0..frame.villages.len()).map(|i| (frame.code(i), i)).collect();
    let mut out: Vec<Option<BTreeMap<String, Value>>> = vec![None; frame.villages.len()];
    let mut any = false;
    super::reports::for_each(ws, rules, frame, |row| {
        if !row.is_county
            && let Some(&i) = index.get(row.code.as_str())
        {
            out[i] = Some(row.values.iter().cloned().collect());
            any = true;
        }
    })?;
    if !any {
        return Err(Error::Usage(
            "the campaign has no self-reports: the simulation takes the counties' reported figures as the truth (spotcheck reports import)".into(),
        ));
    }
    Ok(out)
}
