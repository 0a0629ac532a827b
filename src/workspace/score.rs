//! Gathering a campaign's data for scoring: the active sample with its
//! weights and variance strata, the self-reports, and the findings in force.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;

use super::inspection::{self, FINDINGS};
use super::{SAMPLE, Workspace, read};
use crate::error::{Error, Result};
use crate::findings::import::{self, Assigned, Context};
use crate::findings::table;
use crate::findings::values::Value;
use crate::report::{self, Render};
use crate::rules::Rules;
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
    let mut wanted = vec![false; frame.villages.len()];
    for s in &active {
        if let Some(v) = frame.find(&s.code) {
            wanted[v] = true;
        }
    }
    let fields = crate::findings::reports::reported_fields(&rules);
    let nf = fields.len();
    let mut reported: HashMap<String, BTreeMap<String, Value>> = HashMap::new();
    // Per county and field: the sum, and whether any row had a number.
    let mut totals: Vec<(f64, bool)> = vec![(0.0, false); frame.counties.len() * nf];
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
            for (i, v) in row.values {
                if let Some(x) = v.number() {
                    let t = &mut totals[row.county * nf + i];
                    t.0 += x;
                    t.1 = true;
                }
            }
        }
        if !row.is_county && wanted[row.index] {
            let values = row.values.iter().map(|(i, v)| (fields[*i].id.clone(), v.clone())).collect();
            reported.insert(row.code(&frame).to_string(), values);
        }
    })?;
    // Findings in force.
    let mut found = findings(ws, &rules, &frame, &inactive)?;
    // Only the counties are needed from here on; the rest of a national
    // frame is let go before the counties' inputs are built.
    let mut frame = frame;
    let counties = std::mem::take(&mut frame.counties);
    drop(frame);
    let mut by_county: HashMap<&str, Vec<&inspection::Sampled>> = HashMap::new();
    for s in &active {
        by_county.entry(s.county.as_str()).or_default().push(s);
    }
    let mut out = Vec::new();
    for (ci, county) in counties.iter().enumerate() {
        let sampled: Vec<Sampled> = by_county
            .get(county.key.as_str())
            .into_iter()
            .flatten()
            .map(|s| {
                let (stratum, psu, w, name) = design.remove(&s.code).unwrap_or_default();
                Sampled {
                    code: s.code.clone(),
                    name,
                    stratum,
                    psu,
                    w,
                    reported: reported.remove(&s.code),
                    found: found.remove(&s.code),
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

/// Scores every county and writes the scorecards under `score/`.
pub fn score(ws: &mut Workspace, level: f64) -> Result<Vec<Card>> {
    let (rules, inputs) = inputs(ws)?;
    if rules.scoring.indicators.is_empty() {
        return Err(Error::Usage("the rules define no [[indicator]]: nothing to score".into()));
    }
    let cards: Vec<Card> = card::cards(&rules, &inputs, level)?;
    // The JSON, the largest, is rendered beside the others.
    let (json, others) = std::thread::scope(|s| {
        let json = s.spawn(|| report::Json.render(&cards));
        let renders: [&dyn Render; 3] = [&report::Csv, &report::SummaryCsv, &report::Markdown];
        let others: Vec<(&str, Vec<u8>)> =
            renders.iter().map(|r| (r.file_name(), r.render(&cards))).collect();
        (json.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), others)
    });
    let mut outputs = Vec::new();
    for (name, bytes) in others.iter().map(|(n, b)| (*n, b)).chain([(report::Json.file_name(), &json)]) {
        outputs.push(ws.write_output(&format!("score/{name}"), bytes)?);
    }
    let missing: Vec<&str> =
        cards.iter().flat_map(|c| c.measures.missing_findings.iter().map(String::as_str)).collect();
    ws.append(
        "score",
        json!({
            "counties": cards.len(),
            "confidence": level,
            "provisional": !missing.is_empty(),
            "missing_findings": missing,
            "outputs": outputs,
        }),
    )?;
    Ok(cards)
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
