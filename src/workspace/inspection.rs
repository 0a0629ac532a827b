//! The inspection inside a campaign folder: assigning teams, writing forms,
//! substituting unreachable villages, importing findings, and the status of
//! it all. Every step is journaled with the files it wrote.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde_json::json;

use super::step::Step;
use super::{SAMPLE, Workspace, read, str_field};
use crate::cell;
use crate::error::{Error, Result};
use crate::findings::forms::{self, Form, FormRow};
use crate::findings::household_forms;
use crate::findings::households::{self as hh, HouseholdFile};
use crate::findings::import::{self, Assigned, Context};
use crate::findings::table;
use crate::findings::teams::{self, Job};
use crate::frame::Frame;
use crate::hash::sha256_hex;
use crate::rules::Rules;
use crate::sample::households::List;
use crate::sample::stream::Stream;
use crate::text::Encoding;

pub const ASSIGNMENT: &str = "assignment.csv";
pub const FORMS: &str = "forms";
pub const FINDINGS: &str = "findings";
/// The stem of a team's household CSV: `forms/入户表-<team>.csv`.
pub const HOUSEHOLD_FORM: &str = "入户表";

/// A row of `sample.csv`, or of a further round's sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sampled {
    pub code: String,
    pub name: String,
    pub county: String,
    pub stratum: String,
    pub reserve: Option<u32>,
    /// The stage probabilities and their product, as published.
    pub stage_pi: Vec<f64>,
    pub pi: f64,
    /// The round the village joined: 1 unless a sequential plan drew it
    /// later (SAMPLING.md §15).
    pub round: u32,
}

/// A row of `assignment.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignedRow {
    pub team: String,
    pub form_id: String,
    pub code: String,
    pub name: String,
    pub county_code: String,
    pub county: String,
    pub township: String,
}

pub(super) fn need_draw(ws: &Workspace) -> Result<&super::journal::Entry> {
    ws.journal
        .entries
        .iter()
        .rev()
        .find(|e| e.event == "draw" || e.event == "redraw")
        .ok_or_else(|| Error::Usage("no sample has been drawn yet: run `spotcheck draw` first".into()))
}

/// Reads the rows of `sample.csv` or of a round's sample, in file order.
pub fn read_sample(name: &str, bytes: &[u8]) -> Result<Vec<Sampled>> {
    // Read a row at a time: a national sample has tens of thousands.
    let table = table::Table::read(name, bytes, Encoding::Utf8, None).map_err(Error::Invalid)?;
    let sheet = &table.sheet;
    let col = |name: &str| sheet.header.iter().position(|h| h == name);
    let (c, cn, cc, st, rr) = (
        col("code").unwrap_or(0),
        col("name").unwrap_or(1),
        col("county_code").unwrap_or(2),
        col("stratum").unwrap_or(6),
        col("reserve_rank").unwrap_or(0),
    );
    let (cpi, cround) = (col("pi"), col("round"));
    let pi_cols: Vec<usize> =
        sheet.header.iter().enumerate().filter(|(_, h)| h.starts_with("pi_")).map(|(i, _)| i).collect();
    // Text fields were defused for spreadsheets (SAMPLING.md §11).
    let text = |r: &table::Row, i: usize| cell::restore(sheet.cell(r, i)).to_string();
    let mut out = Vec::new();
    let mut rows = table.rows();
    while let Some(r) = rows.next_row() {
        out.push(Sampled {
            code: text(r, c),
            name: text(r, cn),
            county: text(r, cc),
            stratum: text(r, st),
            reserve: sheet.cell(r, rr).parse().ok(),
            stage_pi: pi_cols.iter().map(|&i| sheet.cell(r, i).parse().unwrap_or(1.0)).collect(),
            pi: cpi.and_then(|i| sheet.cell(r, i).parse().ok()).unwrap_or(1.0),
            round: cround.and_then(|i| sheet.cell(r, i).parse().ok()).unwrap_or(1),
        });
    }
    Ok(out)
}

/// The published sample as it stands: `sample.csv`, with each county a
/// sequential plan escalated taken from its latest round's sample instead.
pub fn sampled(ws: &Workspace) -> Result<Vec<Sampled>> {
    let mut rows = read_sample(SAMPLE, &read(&ws.path(SAMPLE))?)?;
    super::rounds::overlay(ws, &mut rows, None)?;
    Ok(rows)
}

/// Substitutions so far: replaced village → replacement.
pub fn substitutions(ws: &Workspace) -> Vec<(String, String)> {
    ws.journal.all("substitute").map(|e| (str_field(e, "village"), str_field(e, "replacement"))).collect()
}

/// The villages to inspect: the main sample, with replaced villages swapped
/// for their reserves. Also the sampled codes that are not to be inspected,
/// with why.
pub fn active(ws: &Workspace) -> Result<(Vec<Sampled>, HashMap<String, String>)> {
    Ok(apply_substitutions(ws, sampled(ws)?))
}

/// Splits sampled rows into the villages to inspect and the others, by the
/// journaled substitutions.
pub fn apply_substitutions(ws: &Workspace, all: Vec<Sampled>) -> (Vec<Sampled>, HashMap<String, String>) {
    let subs = substitutions(ws);
    let replaced: HashMap<&str, &str> = subs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let called: HashSet<&str> = subs.iter().map(|(_, b)| b.as_str()).collect();
    let mut active = Vec::new();
    let mut inactive = HashMap::new();
    for s in all {
        let is_active = match s.reserve {
            None => !replaced.contains_key(s.code.as_str()),
            Some(_) => called.contains(s.code.as_str()) && !replaced.contains_key(s.code.as_str()),
        };
        if is_active {
            active.push(s);
        } else if let Some(by) = replaced.get(s.code.as_str()) {
            inactive.insert(s.code.clone(), format!("was replaced by {by} (substitution)"));
        } else {
            inactive.insert(s.code.clone(), "is a reserve village not called up by a substitution".into());
        }
    }
    (active, inactive)
}

/// Reads `assignment.csv`. Refused when the sample was redrawn after the
/// teams were assigned: the assignment would name villages of the old draw.
pub fn assignment(ws: &Workspace) -> Result<Vec<AssignedRow>> {
    let path = ws.path(ASSIGNMENT);
    if !path.exists() {
        return Err(Error::Usage("no assignment yet: run `spotcheck assign --teams teams.csv` first".into()));
    }
    let last = |names: &[&str]| {
        ws.journal.entries.iter().rev().find(|e| names.contains(&e.event.as_str())).map(|e| e.seq)
    };
    if let (Some(d), Some(a)) = (last(&["draw", "redraw"]), last(&["assign"]))
        && d > a
    {
        return Err(Error::Usage(
            "the sample was redrawn after the teams were assigned; run `spotcheck assign --teams … --reassign --reason …` first".into(),
        ));
    }
    let sheet = table::read(ASSIGNMENT, &read(&path)?, Encoding::Utf8, None).map_err(Error::Invalid)?;
    Ok(sheet
        .rows
        .iter()
        .map(|r| {
            let c = |i: usize| cell::restore(sheet.cell(r, i)).to_string();
            AssignedRow {
                team: c(0),
                form_id: c(1),
                code: c(2),
                name: c(3),
                county_code: c(4),
                county: c(5),
                township: c(6),
            }
        })
        .collect())
}

pub(super) fn assignment_csv(rows: &[AssignedRow]) -> Vec<u8> {
    let head = ["检查组", "表单编号", "村代码", "村名", "县代码", "县", "乡镇"].map(String::from);
    cell::excel_csv(std::iter::once(head.to_vec()).chain(rows.iter().map(|r| {
        vec![
            r.team.clone(),
            r.form_id.clone(),
            r.code.clone(),
            r.name.clone(),
            r.county_code.clone(),
            r.county.clone(),
            r.township.clone(),
        ]
    })))
}

/// What `assign` did.
pub struct AssignOutcome {
    pub rows: Vec<AssignedRow>,
    /// Per team: villages and workload.
    pub loads: Vec<(String, usize, u64)>,
    pub households: bool,
    /// When the same assignment was made earlier (the command was run
    /// again, for example after an interruption): nothing was done.
    pub already: Option<String>,
}

/// Assigns every active sampled village to a team.
pub fn assign(ws: &mut Workspace, teams_file: &Path, redo: Option<&str>) -> Result<AssignOutcome> {
    let draw = need_draw(ws)?.clone();
    let name =
        teams_file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "teams.csv".into());
    let bytes = super::read_input(teams_file)?;
    if let Some(prev) = ws.journal.last("assign") {
        // The same teams file, the same reason, and nothing since that
        // changes the assignment: this assignment is already made.
        let same_file = str_field(prev, "teams_file") == name
            && ws.recorded_outputs().get(&format!("teams/{name}")) == Some(&sha256_hex(&bytes));
        let since = ws.journal.entries.iter().skip(prev.seq as usize).any(|e| {
            matches!(e.event.as_str(), "draw" | "redraw") || (redo.is_some() && e.event == "substitute")
        });
        let same_reason = redo.is_none_or(|r| str_field(prev, "reason") == r);
        if same_file && same_reason && !since {
            let at = prev.at.clone();
            let rows = assignment(ws)?;
            return Ok(AssignOutcome { rows, loads: Vec::new(), households: false, already: Some(at) });
        }
        if redo.is_none() {
            return Err(Error::Usage(format!(
                "teams were already assigned on {}; assigning again needs --reassign --reason \"…\"",
                crate::time::show(&prev.at, ws.offset)
            )));
        }
    }
    if let Some(e) = ws.journal.all(super::rounds::EVENT).filter(|e| !e.data["next_round"].is_null()).last() {
        return Err(Error::Usage(format!(
            "the sequential plan drew a further round on {}, and gave its villages to the teams of the first; the teams cannot be assigned again",
            crate::time::show(&e.at, ws.offset)
        )));
    }
    let (rules, frame) = ws.load_inputs()?;
    let sheet = table::read(&name, &bytes, Encoding::Auto, None).map_err(Error::Invalid)?;
    let teams = teams::parse(&sheet, &frame).map_err(Error::Invalid)?;
    let (active, _) = active(ws)?;
    let index: HashMap<&str, usize> = (0..frame.villages.len()).map(|i| (frame.code(i), i)).collect();
    let size_col = rules.inspection.teams.households.as_deref().and_then(|c| frame.size_column(c));
    let jobs: Vec<Job> = active
        .iter()
        .filter_map(|s| index.get(s.code.as_str()))
        .map(|&v| Job {
            village: v,
            county: frame.villages[v].county,
            weight: size_col.map_or(1, |c| frame.size(v, c).max(1)),
        })
        .collect();
    let tolerance = match size_col {
        None => 1,
        Some(_) => {
            let mean = jobs.iter().map(|j| j.weight).sum::<u64>() as f64 / teams.len().max(1) as f64;
            (mean * rules.inspection.teams.tolerance).round() as u64
        }
    };
    let mut stream = Stream::for_stratum(&str_field(&draw, "seed_normalized"), "assign:");
    let a = teams::assign(&teams, &jobs, &frame, tolerance, &mut stream).map_err(Error::CheckFailed)?;

    let mut rows: Vec<AssignedRow> = jobs
        .iter()
        .zip(&a.team_of)
        .map(|(j, &t)| {
            let v = &frame.villages[j.village];
            AssignedRow {
                team: teams[t].id.clone(),
                form_id: String::new(),
                code: frame.code(j.village).to_string(),
                name: frame.name(j.village).to_string(),
                county_code: frame.counties[v.county].key.clone(),
                county: frame.counties[v.county].name.clone(),
                township: frame.townships[v.township].name.clone(),
            }
        })
        .collect();
    rows.sort_by(|x, y| {
        teams::natural_cmp(&x.team, &y.team)
            .then_with(|| (&x.county_code, &x.code).cmp(&(&y.county_code, &y.code)))
    });
    // A form id ties a form to this assignment: the team and a digest of
    // its villages.
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for t in &teams {
        let list: String = rows.iter().filter(|r| r.team == t.id).map(|r| format!("{}\n", r.code)).collect();
        ids.insert(
            t.id.clone(),
            format!("{}-{}", t.id, &sha256_hex(format!("{}\n{list}", t.id).as_bytes())[..8]),
        );
    }
    for r in &mut rows {
        r.form_id = ids[&r.team].clone();
    }
    let mut step = Step::new();
    let teams_out = step.write(format!("teams/{name}"), bytes);
    let assign_out = step.write(ASSIGNMENT, assignment_csv(&rows));
    let mut data = json!({ "teams_file": name, "teams": teams.len(), "villages": rows.len(), "outputs": [teams_out, assign_out] });
    if let Some(r) = redo {
        data["reason"] = json!(r);
    }
    ws.apply(step, "assign", data)?;
    let mut loads: Vec<(String, usize, u64)> = teams
        .iter()
        .enumerate()
        .map(|(t, team)| (team.id.clone(), a.team_of.iter().filter(|&&x| x == t).count(), a.loads[t]))
        .collect();
    loads.sort_by(|x, y| teams::natural_cmp(&x.0, &y.0));
    Ok(AssignOutcome { rows, loads, households: size_col.is_some(), already: None })
}

/// Writes one form per team (`.xlsx` and `.csv`) under `forms/`.
pub fn write_forms(ws: &mut Workspace) -> Result<Vec<String>> {
    let rules = ws.load_rules()?;
    let rows = assignment(ws)?;
    let mut by_team: BTreeMap<(String, String), Vec<FormRow>> = BTreeMap::new();
    for r in rows {
        let end = import::window_end(&rules, &r.county_code);
        by_team.entry((r.team.clone(), r.form_id.clone())).or_default().push(FormRow {
            code: r.code,
            name: r.name,
            county: r.county,
            township: r.township,
            window_end: end,
        });
    }
    let mut by_team: Vec<((String, String), Vec<FormRow>)> = by_team.into_iter().collect();
    by_team.sort_by(|a, b| teams::natural_cmp(&a.0.0, &b.0.0));
    let mut all_lists = household_lists(ws, &rules)?;
    let mut step = Step::new();
    let mut outputs = Vec::new();
    let mut written = Vec::new();
    let rounds = super::rounds::form_rounds(ws);
    for ((team, form_id), rows) in by_team {
        let stem = super::rounds::form_stem(&team, rounds.get(&form_id).copied().unwrap_or(1));
        let lists = rows.iter().filter_map(|r| all_lists.remove_entry(&r.code)).collect();
        let form = Form { team: team.clone(), form_id, rows, lists };
        let xlsx = forms::xlsx(&form, &rules)
            .map_err(|e| Error::CheckFailed(format!("cannot write the form of team {team}: {e}")))?;
        outputs.push(step.write(format!("{stem}.xlsx"), xlsx));
        outputs.push(step.write(format!("{stem}.csv"), forms::csv(&form, &rules)));
        written.push(format!("{stem}.xlsx"));
        written.push(format!("{stem}.csv"));
        if let Some(stage) = &rules.households {
            // The household CSV beside the team's form: 入户表-<team>[-第N轮].csv.
            let name = format!("{}.csv", stem.replacen("检查表", HOUSEHOLD_FORM, 1));
            outputs.push(step.write(name.clone(), household_forms::csv(&form, &rules, stage)));
            written.push(name);
        }
    }
    ws.apply(step, "forms", json!({ "outputs": outputs }))?;
    Ok(written)
}

/// A substitution: the village, its replacement, and when it was made if
/// it had been made before (then nothing was done).
pub struct Substituted {
    pub village: String,
    pub replacement: String,
    pub already: Option<String>,
}

/// Replaces an unreachable sampled village with the next unused reserve of
/// its stratum; the reserve joins the same team's form.
pub fn substitute(ws: &mut Workspace, village: &str, reason: &str) -> Result<Substituted> {
    if reason.trim().is_empty() {
        return Err(Error::Usage("--reason must say why the village cannot be reached".into()));
    }
    need_draw(ws)?;
    // Asked again for a substitution already made (for example after an
    // interruption), there is nothing to do.
    if let Some(e) = ws.journal.all("substitute").filter(|e| str_field(e, "village") == village).last()
        && str_field(e, "reason") == reason
    {
        return Ok(Substituted {
            village: village.to_string(),
            replacement: str_field(e, "replacement"),
            already: Some(e.at.clone()),
        });
    }
    let (active, inactive) = active(ws)?;
    let Some(target) = active.iter().find(|s| s.code == village) else {
        let why = inactive.get(village).cloned().unwrap_or_else(|| "is not in the sample".into());
        return Err(Error::Usage(format!("village {village} {why}")));
    };
    if let Some((file, _)) = current_findings(ws)
        .into_iter()
        .chain(current_household_findings(ws))
        .find(|(_, vs)| vs.iter().any(|v| v == village))
    {
        return Err(Error::Usage(format!(
            "village {village} already has findings in {file}: it was reached, and cannot be replaced"
        )));
    }
    let used: HashSet<String> = substitutions(ws).into_iter().map(|(_, b)| b).collect();
    let all = sampled(ws)?;
    let mut reserves: Vec<&Sampled> = all
        .iter()
        .filter(|s| s.stratum == target.stratum && s.reserve.is_some() && !used.contains(&s.code))
        .collect();
    reserves.sort_by_key(|s| s.reserve);
    let Some(next) = reserves.first() else {
        return Err(Error::CheckFailed(format!(
            "stratum {} has no reserve village left for {village}; the commission must decide how to proceed",
            target.stratum
        )));
    };
    let replacement = next.code.clone();
    let mut data = json!({ "village": village, "replacement": replacement, "reason": reason });
    let mut step = Step::new();
    if ws.path(ASSIGNMENT).exists() {
        let (_, frame) = ws.load_inputs()?;
        let mut rows = assignment(ws)?;
        if let Some(old) = rows.iter().find(|r| r.code == village).cloned() {
            let v = (0..frame.villages.len()).find(|&i| frame.code(i) == replacement).unwrap_or(0);
            let fv = &frame.villages[v];
            rows.push(AssignedRow {
                team: old.team.clone(),
                form_id: old.form_id.clone(),
                code: replacement.clone(),
                name: frame.name(v).to_string(),
                county_code: frame.counties[fv.county].key.clone(),
                county: frame.counties[fv.county].name.clone(),
                township: frame.townships[fv.township].name.clone(),
            });
            rows.retain(|r| r.code != village);
            rows.sort_by(|x, y| {
                teams::natural_cmp(&x.team, &y.team)
                    .then_with(|| (&x.county_code, &x.code).cmp(&(&y.county_code, &y.code)))
            });
            data["team"] = json!(old.team);
            data["outputs"] = json!([step.write(ASSIGNMENT, assignment_csv(&rows))]);
        }
    }
    ws.apply(step, "substitute", data)?;
    Ok(Substituted { village: village.to_string(), replacement, already: None })
}

/// The findings files now in force: file path → villages.
pub fn current_findings(ws: &Workspace) -> BTreeMap<String, Vec<String>> {
    in_force(ws, |e| {
        e.data
            .get("villages")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
            .unwrap_or_default()
    })
}

/// The files of the findings journal in force (a superseded file drops
/// out), each with the villages `villages` reads from its entry.
fn in_force(
    ws: &Workspace,
    villages: impl Fn(&super::journal::Entry) -> Vec<String>,
) -> BTreeMap<String, Vec<String>> {
    let mut cur = BTreeMap::new();
    for e in ws.journal.all(FINDINGS) {
        if let Some(old) = e.data.get("superseded").and_then(|s| s.get("file")).and_then(|f| f.as_str()) {
            cur.remove(old);
        }
        cur.insert(str_field(e, "file"), villages(e));
    }
    cur
}

/// The published household lists, by village code; empty without a
/// household stage.
pub fn household_lists(ws: &Workspace, rules: &Rules) -> Result<HashMap<String, List>> {
    if rules.households.is_none() {
        return Ok(HashMap::new());
    }
    let path = ws.path(super::draw::HOUSEHOLDS);
    let bytes = read(&path)?;
    let lists = crate::sample::households::read(&bytes)
        .map_err(|e| Error::CheckFailed(format!("{}: {e}", super::draw::HOUSEHOLDS)))?;
    Ok(lists.into_iter().map(|l| (l.code.clone(), l)).collect())
}

/// The files now in force that hold household findings: file path →
/// villages.
pub fn current_household_findings(ws: &Workspace) -> BTreeMap<String, Vec<String>> {
    let households = |e: &super::journal::Entry| -> Vec<String> {
        e.data
            .get("households")
            .and_then(|v| v.as_object())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    in_force(ws, households).into_iter().filter(|(_, v)| !v.is_empty()).collect()
}

/// The household findings of one file as it is in force: a team's
/// household CSV, or the household sheets of its workbook.
pub fn read_household_findings(
    name: &str,
    bytes: &[u8],
    ctx: &hh::Context<'_>,
    form_id: Option<&str>,
) -> std::result::Result<HouseholdFile, crate::error::Diags> {
    let is_xlsx = bytes.starts_with(b"PK\x03\x04");
    if !is_xlsx {
        let sheet = table::read(name, bytes, Encoding::Auto, None)?;
        return hh::validate_csv(&sheet, ctx);
    }
    let sheets = table::read_sheets(
        name,
        bytes,
        Encoding::Auto,
        |n| n.starts_with(household_forms::SHEET_PREFIX),
        false,
    )?;
    let form_id = form_id.unwrap_or_default();
    let mut out = HouseholdFile { team: String::new(), form_id: form_id.to_string(), villages: Vec::new() };
    let mut diags = crate::error::Diags::default();
    let mut seen: HashMap<String, String> = HashMap::new();
    for sheet in &sheets {
        match hh::validate_sheet(sheet, ctx, form_id) {
            Ok(Some(v)) => {
                let here = sheet.place();
                if let Some(first) = seen.insert(v.code.clone(), here.clone()) {
                    diags.push(crate::Diag::error(
                        &here,
                        None,
                        format!("village {} has a second household sheet (also {first})", v.code),
                    ));
                }
                out.villages.push(v);
            }
            Ok(None) => {}
            Err(d) => diags.extend(d),
        }
    }
    if diags.has_errors() { Err(diags) } else { Ok(out) }
}

/// A village's value of a frame size column, by code: what the rules'
/// `max_per_size` limits compare with. Only the `codes` given (the
/// assigned villages, which are all that findings may name) are known, and
/// only when a field has such a limit.
pub fn size_lookup<'f>(
    rules: &Rules,
    frame: &'f Frame,
    codes: impl IntoIterator<Item = &'f str>,
) -> impl Fn(&str, &str) -> Option<u64> + Sync + 'f {
    let needed = rules.inspection.fields.iter().any(|f| f.max_per_size.is_some());
    let index = if needed { frame.find_many(codes) } else { Default::default() };
    move |code, column| Some(frame.size(*index.get(code)?, frame.size_column(column)?))
}

/// One file's result.
pub struct FileResult {
    pub file: String,
    pub accepted: Option<(String, usize)>,
    /// With a household stage: villages with household findings in the
    /// file, and households visited.
    pub households: Option<(usize, usize)>,
    /// The file is already in force with the same content (given again,
    /// for example after an interruption): nothing was done.
    pub already: bool,
    pub problems: crate::error::Diags,
}

impl FileResult {
    /// A file not accepted: refused for `problems`, or `already` in force.
    fn not_accepted(file: String, already: bool, problems: crate::error::Diags) -> FileResult {
        FileResult { file, accepted: None, households: None, already, problems }
    }
}

/// Imports findings files, each all-or-nothing; the accepted ones are
/// written together, as one step with a journal line per file.
pub fn import_findings(
    ws: &mut Workspace,
    files: &[&Path],
    supersede: Option<&str>,
) -> Result<Vec<FileResult>> {
    need_draw(ws)?;
    let rules = ws.load_rules()?;
    let frame = if rules.inspection.fields.iter().any(|f| f.max_per_size.is_some()) {
        ws.load_inputs()?.1
    } else {
        Frame::default()
    };
    let (_, inactive) = active(ws)?;
    let assigned: HashMap<String, Assigned> = assignment(ws)?
        .into_iter()
        .map(|r| (r.code.clone(), Assigned { county: r.county_code, team: r.team, form_id: r.form_id }))
        .collect();
    let size = size_lookup(&rules, &frame, assigned.keys().map(String::as_str));
    let mut results = Vec::new();
    // The files in force, with those accepted earlier in this command: all
    // accepted files are written as one step, journaled a line per file.
    let mut current = current_findings(ws);
    let mut current_hh = current_household_findings(ws);
    let lists = household_lists(ws, &rules)?;
    let recorded = ws.recorded_outputs();
    let mut step = Step::new();
    let mut events: Vec<(String, serde_json::Value)> = Vec::new();
    let mut given = HashSet::new();
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let rel = format!("{FINDINGS}/{name}");
        let mut problems = crate::error::Diags::default();
        if !given.insert(rel.clone()) {
            problems.push(crate::Diag::error(
                &name,
                None,
                "given twice in this command; give each file once",
            ));
            results.push(FileResult::not_accepted(name, false, problems));
            continue;
        }
        let replacing = current.contains_key(&rel);
        let bytes = super::read_input(path)?;
        if replacing && recorded.get(&rel) == Some(&sha256_hex(&bytes)) {
            results.push(FileResult::not_accepted(name, true, problems));
            continue;
        }
        if replacing && supersede.is_some() {
            super::rounds::check_supersede(ws, &rel)?;
        }
        if replacing && supersede.is_none() {
            problems.push(crate::Diag::error(&name, None, format!("{rel} was already imported; a corrected file replaces it only with --supersede --reason \"…\"")));
            results.push(FileResult::not_accepted(name, false, problems));
            continue;
        }
        let covered: HashMap<String, String> = current
            .iter()
            .filter(|(f, _)| **f != rel)
            .flat_map(|(f, vs)| vs.iter().map(move |v| (v.clone(), f.clone())))
            .collect();
        let ctx = Context {
            rules: &rules,
            assigned: &assigned,
            inactive: &inactive,
            covered: &covered,
            size: &size,
        };
        let covered_hh: HashMap<String, String> = current_hh
            .iter()
            .filter(|(f, _)| **f != rel)
            .flat_map(|(f, vs)| vs.iter().map(move |v| (v.clone(), f.clone())))
            .collect();
        let hctx = rules.households.as_ref().map(|stage| hh::Context {
            rules: &rules,
            stage,
            lists: &lists,
            assigned: &assigned,
            inactive: &inactive,
            covered: &covered_hh,
        });
        match validate_file(&name, &bytes, &ctx, hctx.as_ref()) {
            Ok(ff) => {
                if replacing
                    && let Some(old) =
                        ws.journal.all("findings").filter(|e| str_field(e, "file") == rel).last()
                    && (str_field(old, "team") != ff.team || str_field(old, "form_id") != ff.form_id)
                {
                    problems.push(crate::Diag::error(
                        &name,
                        None,
                        format!(
                            "this is team {}'s form (form id {}), but {rel} holds team {}'s form (form id {}); a corrected file must carry the same team and form id as the file it replaces. Nothing was replaced; import another team's form under its own file name",
                            ff.team,
                            ff.form_id,
                            str_field(old, "team"),
                            str_field(old, "form_id")
                        ),
                    ));
                    results.push(FileResult::not_accepted(name, false, problems));
                    continue;
                }
                let mut outputs = Vec::new();
                let mut data = json!({
                    "file": rel, "team": ff.team, "form_id": ff.form_id, "villages": ff.villages,
                });
                // Each village's households: the register's count, visits and
                // skips by reason, journaled with the file.
                let households: serde_json::Map<String, serde_json::Value> =
                    ff.households.iter().map(|v| (v.code.clone(), v.summary())).collect();
                let visited: usize = ff.households.iter().map(|v| v.visited().count()).sum();
                if !households.is_empty() {
                    data["households"] = serde_json::Value::Object(households);
                }
                if replacing {
                    let old = read(&ws.path(&rel))?;
                    let seq = ws.journal.entries.len() + events.len() + 1;
                    let kept = format!("{FINDINGS}/superseded/{seq}-{name}");
                    data["superseded"] = json!({ "file": rel, "kept_as": kept, "sha256": sha256_hex(&old), "reason": supersede });
                    outputs.push(step.write(kept, old));
                }
                outputs.push(step.write(rel.clone(), bytes));
                data["outputs"] = json!(outputs);
                events.push(("findings".to_string(), data));
                current_hh.remove(&rel);
                if !ff.households.is_empty() {
                    current_hh.insert(rel.clone(), ff.households.iter().map(|v| v.code.clone()).collect());
                }
                let n = ff.villages.len();
                current.insert(rel, ff.villages);
                results.push(FileResult {
                    file: name,
                    accepted: Some((ff.team, n)),
                    already: false,
                    households: (rules.households.is_some()).then_some((ff.households.len(), visited)),
                    problems,
                });
            }
            Err(d) => results.push(FileResult::not_accepted(name, false, d)),
        }
    }
    if !events.is_empty() {
        ws.apply_all(step, events)?;
    }
    Ok(results)
}

/// A findings file as validated: the team and form id, the villages with
/// findings on its village sheet, and its household findings.
pub struct Validated {
    pub team: String,
    pub form_id: String,
    pub villages: Vec<String>,
    pub village_rows: Vec<import::Found>,
    pub households: Vec<hh::VillageHouseholds>,
}

/// Validates one findings file, all or nothing: a team's form (`.xlsx`,
/// its village sheet and any household sheets, or the village CSV), or a
/// team's household CSV.
pub fn validate_file(
    name: &str,
    bytes: &[u8],
    ctx: &Context<'_>,
    hctx: Option<&hh::Context<'_>>,
) -> std::result::Result<Validated, crate::error::Diags> {
    let is_xlsx = bytes.starts_with(b"PK\x03\x04");
    if let Some(h) = hctx
        && !is_xlsx
    {
        let sheet = table::read(name, bytes, Encoding::Auto, None)?;
        if hh::is_household_table(&sheet) {
            let f = hh::validate_csv(&sheet, h)?;
            return Ok(Validated {
                team: f.team,
                form_id: f.form_id,
                villages: Vec::new(),
                village_rows: Vec::new(),
                households: f.villages,
            });
        }
    }
    let sheet = table::read(name, bytes, Encoding::Auto, Some("检查表"))?;
    let village = import::validate(&sheet, ctx);
    let households = match (hctx, is_xlsx) {
        (Some(h), true) => {
            let form_id = village.as_ref().map(|f| f.form_id.clone()).ok();
            Some(read_household_findings(name, bytes, h, form_id.as_deref()))
        }
        _ => None,
    };
    match (village, households) {
        (Ok(f), None) => Ok(Validated {
            team: f.team,
            form_id: f.form_id,
            villages: f.rows.iter().map(|r| r.code.clone()).collect(),
            village_rows: f.rows,
            households: Vec::new(),
        }),
        (Ok(f), Some(Ok(h))) => Ok(Validated {
            team: f.team,
            form_id: f.form_id,
            villages: f.rows.iter().map(|r| r.code.clone()).collect(),
            village_rows: f.rows,
            households: h.villages,
        }),
        (Err(mut a), Some(Err(b))) => {
            a.extend(b);
            Err(a)
        }
        (Err(a), _) | (_, Some(Err(a))) => Err(a),
    }
}

/// Progress per county and per team.
pub struct Status {
    /// County code, name, sampled, findings received, substitutions,
    /// self-report rows.
    pub counties: Vec<(String, String, usize, usize, usize, usize)>,
    /// Team, assigned, received.
    pub teams: Vec<(String, usize, usize)>,
}

pub fn status(ws: &Workspace) -> Result<Status> {
    need_draw(ws)?;
    let (rules, frame) = ws.load_inputs()?;
    let (active, _) = active(ws)?;
    let received: HashSet<String> = current_findings(ws).into_values().flatten().collect();
    let subs = substitutions(ws);
    let mut report_rows: HashMap<usize, usize> = HashMap::new();
    super::reports::for_each(ws, &rules, &frame, |r| *report_rows.entry(r.county).or_default() += 1)?;
    let mut counties = Vec::new();
    for c in &frame.counties {
        let sampled: Vec<&Sampled> = active.iter().filter(|s| s.county == c.key).collect();
        let got = sampled.iter().filter(|s| received.contains(&s.code)).count();
        let subs_n = subs.iter().filter(|(v, _)| sampled_county(&frame, v) == c.key).count();
        let ci = frame.counties.iter().position(|x| x.key == c.key).unwrap_or(0);
        let rep = report_rows.get(&ci).copied().unwrap_or(0);
        counties.push((c.key.clone(), c.name.clone(), sampled.len(), got, subs_n, rep));
    }
    counties.sort();
    let mut teams: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    if ws.path(ASSIGNMENT).exists() {
        for r in assignment(ws)? {
            let e = teams.entry(r.team).or_default();
            e.0 += 1;
            e.1 += usize::from(received.contains(&r.code));
        }
    }
    let mut teams: Vec<(String, usize, usize)> = teams.into_iter().map(|(t, (a, r))| (t, a, r)).collect();
    teams.sort_by(|x, y| crate::findings::teams::natural_cmp(&x.0, &y.0));
    Ok(Status { counties, teams })
}

fn sampled_county(frame: &crate::frame::Frame, code: &str) -> String {
    (0..frame.villages.len())
        .find(|&i| frame.code(i) == code)
        .map(|i| frame.counties[frame.villages[i].county].key.clone())
        .unwrap_or_default()
}
