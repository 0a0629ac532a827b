//! Gathering a campaign's data for scoring: the active sample with its
//! weights and variance strata, the self-reports, and the findings in force.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;

use super::inspection::{self, FINDINGS};
use super::step::Step;
use super::{SAMPLE, Workspace, read};
use crate::error::{Error, Result};
use crate::findings::import::{self, Assigned, Context};
use crate::findings::table;
use crate::findings::values::Value;
use crate::report::{self, Render};
use crate::rules::Rules;
use crate::rules::names::Names;
use crate::score::card::{self, Card};
use crate::score::measures::{CountyInput, Sampled};
use crate::text::Encoding;

pub use crate::score::simulate::stratum_and_psu;

/// Everything scoring needs, county by county.
pub fn inputs(ws: &Workspace) -> Result<(Rules, Vec<CountyInput>)> {
    let (rules, frame) = ws.load_inputs()?;
    let (active, inactive) = inspection::active(ws)?;
    // Weights and strata from sample.csv.
    let sheet =
        table::read(SAMPLE, &read(&ws.path(SAMPLE))?, Encoding::Utf8, None).map_err(Error::Invalid)?;
    let col = |n: &str| sheet.header.iter().position(|h| h == n);
    let pi_cols: Vec<usize> =
        sheet.header.iter().enumerate().filter(|(_, h)| h.starts_with("pi_")).map(|(i, _)| i).collect();
    let (c_code, c_name, c_stratum, c_pi) =
        (col("code").unwrap_or(0), col("name").unwrap_or(1), col("stratum").unwrap_or(6), col("pi"));
    let mut design: HashMap<String, (String, String, f64, String)> = HashMap::new();
    for r in &sheet.rows {
        let code = sheet.cell(r, c_code).to_string();
        let path: Vec<&str> = sheet.cell(r, c_stratum).split('/').collect();
        let pis: Vec<f64> = pi_cols.iter().map(|&c| sheet.cell(r, c).parse().unwrap_or(1.0)).collect();
        let pi: f64 = c_pi.and_then(|c| sheet.cell(r, c).parse().ok()).unwrap_or(1.0);
        let (stratum, psu) = stratum_and_psu(&path, &pis, &code);
        design.insert(
            code,
            (stratum, psu, if pi > 0.0 { 1.0 / pi } else { 0.0 }, sheet.cell(r, c_name).to_string()),
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
    let found = findings(ws, &rules, &frame, &inactive)?;
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

/// The findings of the files now in force, by village.
fn findings(
    ws: &Workspace,
    rules: &Rules,
    frame: &crate::frame::Frame,
    inactive: &HashMap<String, String>,
) -> Result<HashMap<String, BTreeMap<String, Value>>> {
    let mut out = HashMap::new();
    let current = inspection::current_findings(ws);
    if current.is_empty() {
        return Ok(out);
    }
    let assigned: HashMap<String, Assigned> = inspection::assignment(ws)?
        .into_iter()
        .map(|r| (r.code.clone(), Assigned { county: r.county_code, team: r.team, form_id: r.form_id }))
        .collect();
    let covered = HashMap::new();
    let size = inspection::size_lookup(rules, frame);
    for file in current.keys() {
        let bytes = read(&ws.path(file))?;
        let ctx = Context { rules, assigned: &assigned, inactive, covered: &covered, size: &size };
        let sheet = table::read(
            file.trim_start_matches(&format!("{FINDINGS}/")),
            &bytes,
            Encoding::Auto,
            Some("检查表"),
        )
        .map_err(Error::Invalid)?;
        let ff = import::validate(&sheet, &ctx).map_err(Error::Invalid)?;
        for r in ff.rows {
            out.insert(r.code, r.values.into_iter().collect());
        }
    }
    Ok(out)
}

/// Scores every county and writes the scorecards under `score/`, in `lang`.
pub fn score(ws: &mut Workspace, level: f64, lang: crate::lang::Lang) -> Result<(Vec<Card>, Names)> {
    let (rules, inputs) = inputs(ws)?;
    if rules.scoring.indicators.is_empty() {
        return Err(Error::Usage("the rules define no [[indicator]]: nothing to score".into()));
    }
    let cards: Vec<Card> = card::cards(&rules, &inputs, level)?;
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
    ws.apply(
        step,
        "score",
        json!({
            "counties": cards.len(),
            "confidence": level,
            "lang": lang.code(),
            "provisional": !missing.is_empty(),
            "missing_findings": missing,
            "outputs": outputs,
        }),
    )?;
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
