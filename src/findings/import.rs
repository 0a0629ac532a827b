//! Validating a findings file: every row a village of the active sample,
//! assigned to the team the form belongs to; values of the right kind;
//! constraints met; dates inside the county's check window; an inspector
//! named. A file with any problem is refused whole.

use std::collections::HashMap;

use super::columns::{self, Role, strip_unit};
use super::forms::{SIGN_OFF, VILLAGE_SIGNATURE, form_fields, form_id_in};
use super::reports::check_constraints;
use super::table::Sheet;
use super::values::{self, Value};
use crate::cell;
use crate::error::{Diags, excerpt};
use crate::frame::normalize_header;
use crate::rules::Rules;

/// An active sampled village and who inspects it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    pub county: String,
    pub team: String,
    pub form_id: String,
}

/// What a findings file is checked against.
pub struct Context<'a> {
    pub rules: &'a Rules,
    /// The active sample (after substitutions), by village code.
    pub assigned: &'a HashMap<String, Assigned>,
    /// Sampled codes that are not active, with why (a reserve not called, a
    /// replaced village).
    pub inactive: &'a HashMap<String, String>,
    /// Villages whose findings came in another file, and that file.
    pub covered: &'a HashMap<String, String>,
    /// A village's value of a frame size column, by code and column, for
    /// the rules' `max_per_size` limits (None when not known).
    pub size: &'a (dyn Fn(&str, &str) -> Option<u64> + Sync),
}

/// One village's findings.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub code: String,
    pub inspector: String,
    pub date: String,
    pub values: Vec<(String, Value)>,
}

/// A validated findings file.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingsFile {
    pub team: String,
    pub form_id: String,
    pub rows: Vec<Found>,
}

/// The last day of a county's check window (later with an extension).
pub fn window_end(rules: &Rules, county: &str) -> String {
    rules
        .inspection
        .extensions
        .iter()
        .filter(|e| e.county == county)
        .map(|e| e.until.clone())
        .chain([rules.campaign.check_window.1.clone()])
        .max()
        .unwrap_or_default()
}

/// Finds the table of a form: the `.xlsx` form has title rows above its
/// header, with the form id in them. Returns the form id the title gives.
pub fn locate_table(sheet: &mut Sheet, rules: &Rules) -> Option<String> {
    let code_headers =
        [normalize_header("村代码"), normalize_header("code"), normalize_header(&rules.frame.code)];
    let above = sheet.header_at(|cells| {
        cells.iter().any(|c| code_headers.contains(&normalize_header(strip_unit(cell::restore(c)))))
    });
    above.iter().flat_map(|r| r.cells.iter()).find_map(|c| form_id_in(c))
}

pub fn validate(sheet: &Sheet, ctx: &Context<'_>) -> Result<FindingsFile, Diags> {
    let mut sheet = sheet.clone();
    let title_id = locate_table(&mut sheet, ctx.rules);
    let sheet = &sheet;
    let rules = ctx.rules;
    let fields = form_fields(rules);
    let roles = [
        Role {
            name: "form",
            headers: vec!["表单编号".into(), "form_id".into()],
            required: title_id.is_none(),
        },
        Role { name: "team", headers: vec!["检查组".into(), "team".into()], required: false },
        Role {
            name: "code",
            headers: vec!["村代码".into(), "code".into(), rules.frame.code.clone()],
            required: true,
        },
        Role { name: "inspector", headers: vec!["检查人".into(), "inspector".into()], required: true },
        Role { name: "date", headers: vec!["检查日期".into(), "date".into()], required: true },
    ];
    let ignore =
        ["村名".into(), "县".into(), "乡镇".into(), "备注".into(), "note".into(), VILLAGE_SIGNATURE.into()];
    let cols = columns::map(sheet, &roles, &fields, &ignore)?;
    let col = |r: &str| cols.role(r).unwrap_or(0);
    // The form id of a row: its 表单编号 cell, or the title's.
    let row_form_id = |row: &super::table::Row| match cols.role("form") {
        Some(c) => cell::restore(sheet.cell(row, c)).to_string(),
        None => title_id.clone().unwrap_or_default(),
    };
    let mut diags = Diags::default();
    let present: Vec<&str> = cols.fields.iter().map(|(_, f)| f.id.as_str()).collect();
    for f in fields.iter().filter(|f| f.required && !present.contains(&f.id.as_str())) {
        diags.push(sheet.diag(
            sheet.header_row,
            None,
            format!("missing column for the required field `{}`", f.name),
        ));
    }

    let mut form_id: Option<(String, u64)> = None;
    let mut team = String::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut rows = Vec::new();
    for row in &sheet.rows {
        let n = row.number;
        // The inspector's sign-off line below the table.
        if row.cells.iter().filter(|c| !c.trim().is_empty()).all(|c| c.trim().starts_with(SIGN_OFF)) {
            continue;
        }
        // A form's CSV came from spotcheck with its cells defused; Excel may
        // keep the quote when it saves the file again.
        let fid = row_form_id(row);
        match &form_id {
            None => form_id = Some((fid.clone(), n)),
            Some((first, at)) if *first != fid => {
                diags.push(sheet.diag(
                    n,
                    Some(col("form")),
                    format!(
                        "form id `{}` differs from `{}` on row {at}; one file holds one team's form",
                        excerpt(&fid),
                        excerpt(first)
                    ),
                ));
            }
            _ => {}
        }
        let code = cell::restore(sheet.cell(row, col("code"))).to_string();
        if code.is_empty() {
            diags.push(sheet.diag(n, Some(col("code")), "empty village code"));
            continue;
        }
        if let Some(first) = seen.insert(code.clone(), n) {
            diags.push(sheet.diag(
                n,
                Some(col("code")),
                format!("village {} appears twice (also on row {first})", excerpt(&code)),
            ));
            continue;
        }
        let Some(a) = ctx.assigned.get(&code) else {
            let msg = if crate::error::looks_like_scientific(&code) {
                crate::error::scientific_hint("village code", &code)
            } else {
                let why = ctx.inactive.get(&code).cloned().unwrap_or_else(|| "is not in the sample".into());
                format!("village {} {why}", excerpt(&code))
            };
            diags.push(sheet.diag(n, Some(col("code")), msg));
            continue;
        };
        if a.form_id != fid {
            diags.push(sheet.diag(
                n,
                Some(col("form")),
                format!(
                    "village {code} is assigned to team {} (form {}), not to form `{}`",
                    a.team,
                    a.form_id,
                    excerpt(&fid)
                ),
            ));
            continue;
        }
        team = a.team.clone();
        if let Some(other) = ctx.covered.get(&code) {
            diags.push(sheet.diag(n, Some(col("code")), format!("village {code} already has findings in {other}; correct that file and import it with --supersede")));
        }
        let inspector = sheet.cell(row, col("inspector")).to_string();
        if inspector.is_empty() {
            diags.push(sheet.diag(n, Some(col("inspector")), "missing inspector name (检查人)"));
        }
        let raw_date = sheet.cell(row, col("date"));
        let date = if raw_date.is_empty() {
            diags.push(sheet.diag(n, Some(col("date")), "missing inspection date (检查日期)"));
            String::new()
        } else {
            match values::parse_date(raw_date) {
                Ok(d) => {
                    let (start, end) = (&rules.campaign.check_window.0, window_end(rules, &a.county));
                    if d < *start || d > end {
                        diags.push(sheet.diag(
                            n,
                            Some(col("date")),
                            format!(
                                "date {d} is outside the check window {start} – {end} for county {}",
                                a.county
                            ),
                        ));
                    }
                    d
                }
                Err(why) => {
                    diags.push(sheet.diag(n, Some(col("date")), why));
                    String::new()
                }
            }
        };
        let mut vals = Vec::new();
        for &(c, f) in &cols.fields {
            let raw = sheet.cell(row, c);
            if raw.is_empty() {
                if f.required {
                    diags.push(sheet.diag(n, Some(c), format!("missing `{}`", f.name)));
                }
                continue;
            }
            let size = |column: &str| (ctx.size)(&code, column);
            match values::parse(f.kind, raw).and_then(|v| values::plausible(f, raw, &v, &size).map(|_| v)) {
                Ok(v) => vals.push((f.id.clone(), v)),
                Err(why) => diags.push(sheet.diag(n, Some(c), format!("`{}`: {why}", f.name))),
            }
        }
        check_constraints(sheet, n, rules, &vals, &mut diags);
        rows.push(Found { code, inspector, date, values: vals });
    }
    if rows.is_empty() && !diags.has_errors() {
        diags.push(sheet.diag(sheet.header_row, None, "the file has no findings rows"));
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(FindingsFile { team, form_id: form_id.map(|f| f.0).unwrap_or_default(), rows })
}
