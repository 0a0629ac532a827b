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
    // The sample is read while the frame loads.
    let (active, loaded) = std::thread::scope(|s| {
        let active = s.spawn(|| inspection::active(ws));
        let loaded = ws.load_inputs();
        (joined(active), loaded)
    });
    let (active, inactive) = active?;
    inputs_from(ws, loaded?, &active, &inactive)
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
    inputs_from(ws, ws.load_inputs()?, active, inactive)
}

/// [`inputs_for`], with the frozen rules and frame loaded.
fn inputs_from(
    ws: &Workspace,
    (rules, frame): (Rules, crate::frame::Frame),
    active: &[inspection::Sampled],
    inactive: &HashMap<String, String>,
) -> Result<(Rules, Vec<CountyInput>)> {
    let fields = crate::findings::reports::reported_fields(&rules);
    let nf = fields.len();
    // Only the sampled villages' reported values are kept; every row adds
    // to its county's totals.
    let mut reported: Vec<Option<BTreeMap<String, Value>>> = vec![None; active.len()];
    // Per county and field: the sum, and whether any row had a number.
    let mut totals: Vec<(f64, bool)> = vec![(0.0, false); frame.counties.len() * nf];
    let mut submitted: Vec<bool> = vec![false; frame.counties.len()];
    let mut reported_villages: Vec<usize> = vec![0; frame.counties.len()];
    let mut villages: Vec<usize> = vec![0; frame.counties.len()];
    // The findings in force are read and checked while the sample is
    // matched to the frame and the self-reports are summed; a problem in
    // the reports is said first, as when the two were read in turn.
    let (reports, found) = std::thread::scope(|s| {
        let found = s.spawn(|| -> Result<_> { findings(ws, &rules, &frame, inactive) });
        for v in &frame.villages {
            villages[v.county] += 1;
        }
        // Each sampled village's place in `active`, by its place in the
        // frame (0: not sampled), so that report rows find theirs without a
        // lookup by code.
        let mut slot = vec![0u32; frame.villages.len()];
        {
            let found = frame.find_many(active.iter().map(|s| s.code.as_str()));
            for (i, s) in active.iter().enumerate() {
                if let Some(&v) = found.get(s.code.as_str()) {
                    slot[v] = u32::try_from(i + 1).expect("fewer sampled villages than 2^32");
                }
            }
        }
        let reports = super::reports::for_each(ws, &rules, &frame, |row| {
            submitted[row.county] = true;
            if !row.is_county {
                reported_villages[row.county] += 1;
                for (i, v) in row.values {
                    if let Some(x) = v.number() {
                        let t = &mut totals[row.county * nf + i];
                        t.0 += x;
                        t.1 = true;
                    }
                }
                if let Some(at) = slot[row.index].checked_sub(1) {
                    reported[at as usize] =
                        Some(row.values.iter().map(|(i, v)| (fields[*i].id.clone(), v.clone())).collect());
                }
            }
        });
        drop(slot);
        (reports, joined(found))
    });
    reports?;
    let (mut found, mut households, lists) = found?;
    // Only the counties are needed from here on; the rest of a national
    // frame is let go before the counties' inputs are built.
    let mut frame = frame;
    let counties = std::mem::take(&mut frame.counties);
    drop(frame);
    let mut by_county: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in active.iter().enumerate() {
        by_county.entry(s.county.as_str()).or_default().push(i);
    }
    let mut out = Vec::new();
    for (ci, county) in counties.iter().enumerate() {
        let sampled: Vec<Sampled> = by_county
            .get(county.key.as_str())
            .into_iter()
            .flatten()
            .map(|&i| {
                let s = &active[i];
                // Weights and variance strata from the published probabilities.
                let path: Vec<&str> = s.stratum.split('/').collect();
                let (stratum, psu) = stratum_and_psu(&path, &s.stage_pi, &s.code);
                Sampled {
                    code: s.code.clone(),
                    name: s.name.clone(),
                    stratum,
                    psu,
                    w: if s.pi > 0.0 { 1.0 / s.pi } else { 0.0 },
                    reported: reported[i].take(),
                    found: found.remove(&s.code),
                    households: households.remove(&s.code),
                    listed: lists.contains_key(&s.code),
                }
            })
            .collect();
        out.push(CountyInput {
            code: county.key.clone(),
            name: county.name.clone(),
            reported_totals: fields
                .iter()
                .zip(&totals[ci * nf..(ci + 1) * nf])
                .filter(|(_, t)| t.1)
                .map(|(f, t)| (f.id.clone(), t.0))
                .collect(),
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
/// Published household lists by village.
type Lists = HashMap<String, crate::sample::households::List>;
/// Village findings by village.
type Villages = HashMap<String, BTreeMap<String, Value>>;

/// The findings of the files now in force, by village: the village sheets'
/// and the household findings; with the published household lists they
/// were checked against (read once).
fn findings(
    ws: &Workspace,
    rules: &Rules,
    frame: &crate::frame::Frame,
    inactive: &HashMap<String, String>,
) -> Result<(Villages, Households, Lists)> {
    let mut out = HashMap::new();
    let mut households = HashMap::new();
    let current = inspection::current_findings(ws);
    if current.is_empty() {
        return Ok((out, households, inspection::household_lists(ws, rules)?));
    }
    let assigned: HashMap<String, Assigned> = inspection::assignment(ws)?
        .into_iter()
        .map(|r| (r.code.clone(), Assigned { county: r.county_code, team: r.team, form_id: r.form_id }))
        .collect();
    let covered = HashMap::new();
    let size = inspection::size_lookup(rules, frame, assigned.keys().map(String::as_str));
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
    // Files are read and checked again on all cores (a national campaign
    // has hundreds), then taken in order, so that the first problem is the
    // one a reading in order meets.
    let files: Vec<&String> = current.keys().collect();
    let ctx = Context { rules, assigned: &assigned, inactive, covered: &covered, size: &size };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, files.len());
    let chunk = files.len().div_ceil(threads);
    let read_one = |file: &String| -> Result<_> {
        let bytes = read(&ws.path(file))?;
        let name = file.trim_start_matches(&format!("{FINDINGS}/"));
        let v = inspection::validate_file(name, &bytes, &ctx, hctx.as_ref()).map_err(Error::Invalid);
        job.inc(1);
        v
    };
    let checked: Vec<Result<_>> = std::thread::scope(|s| {
        let parts: Vec<_> = files
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(|f| read_one(f)).collect::<Vec<_>>()))
            .collect();
        parts.into_iter().flat_map(joined).collect()
    });
    for v in checked {
        let v = v?;
        for r in v.village_rows {
            out.insert(r.code, r.values.into_iter().collect());
        }
        for h in v.households {
            households.insert(h.code.clone(), h);
        }
    }
    Ok((out, households, lists))
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

/// A scoped thread's result, its panic passed on.
fn joined<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// What [`score`] made: the scorecards and the names they are said with.
pub struct Scored {
    pub cards: Vec<Card>,
    pub names: Names,
}

/// Scores every county and writes the scorecards under `score/`, in `lang`.
pub fn score(ws: &mut Workspace, level: Option<f64>, lang: crate::lang::Lang) -> Result<Scored> {
    let (rules, inputs, cards) = campaign_cards(ws, level, lang)?;
    // The inputs (every sampled village's reported and found values, tens
    // of thousands of small maps at national scale) are let go on another
    // thread while the scorecards are rendered: freeing them one by one
    // takes tens of milliseconds, and holding them to the end would add
    // their memory to the renderings'.
    let freeing = std::thread::spawn(move || drop(inputs));
    if rules.scoring.indicators.is_empty() {
        return Err(Error::Usage("the rules define no [[indicator]]: nothing to score".into()));
    }
    let names = Names::new(&rules);
    let view = report::View { names: &names, lang };
    // The JSON, the largest, is rendered beside the others, and the
    // Markdown beside the CSV files.
    let (json, others) = std::thread::scope(|s| {
        let json = s.spawn(|| report::Json.render_parts(&cards, view));
        let markdown = s.spawn(|| report::Markdown.render(&cards, view));
        let renders: [&dyn Render; 2] = [&report::Csv, &report::SummaryCsv];
        let mut others: Vec<(&str, Vec<u8>)> =
            renders.iter().map(|r| (r.file_name(), r.render(&cards, view))).collect();
        others.push((report::Markdown.file_name(), joined(markdown)));
        (joined(json), others)
    });
    let mut step = Step::new();
    let mut outputs = Vec::new();
    for (name, bytes) in others {
        outputs.push(step.write(format!("score/{name}"), bytes));
    }
    outputs.push(step.write_parts(format!("score/{}", report::Json.file_name()), json));
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
    let _ = freeing.join();
    Ok(Scored { cards, names })
}

/// Every frame village's figures in the frozen self-reports (`None` for a
/// village no report has a row for), for simulations that take the reports
/// as the truth.
pub fn report_values(
    ws: &Workspace,
    rules: &Rules,
    frame: &crate::frame::Frame,
) -> Result<Vec<Option<BTreeMap<String, Value>>>> {
    let fields = crate::findings::reports::reported_fields(rules);
    let mut out: Vec<Option<BTreeMap<String, Value>>> = vec![None; frame.villages.len()];
    let mut any = false;
    super::reports::for_each(ws, rules, frame, |row| {
        if !row.is_county {
            out[row.index] =
                Some(row.values.iter().map(|(f, v)| (fields[*f].id.clone(), v.clone())).collect());
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
