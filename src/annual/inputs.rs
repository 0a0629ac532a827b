//! The other departments' score files (`--input NAME=FILE`): one row per
//! county, its code and its score. Validated whole before anything is
//! computed: the headers must be known, every score inside the range of
//! what reads it (0 … `out_of` for a component, 0 or more for a bonus or
//! deduction, which its cap then limits), every code a county being
//! assessed. A score outside its range is refused, never clamped.

use std::collections::{HashMap, HashSet};

use super::rules::{AnnualRules, Source};
use crate::error::{Diags, excerpt};
use crate::findings::columns::{self, Role};
use crate::findings::table::Sheet;

/// A score file, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// Where the scores came from, for messages: `file` or `file[sheet]`.
    pub place: String,
    /// County code → score.
    pub values: HashMap<String, f64>,
    /// County code → the row it is on, for messages.
    pub rows: HashMap<String, u64>,
}

/// Headers a score file's code column may have.
const CODE_HEADERS: [&str; 5] = ["县代码", "代码", "code", "county_code", "county"];
/// Columns that may be present and are not read.
const IGNORED: [&str; 6] = ["县名", "县", "县（市、区）", "name", "备注", "note"];
/// Score headers that name no particular component or item.
const GENERIC: [&str; 6] = ["得分", "分数", "加分", "扣分", "score", "points"];

/// The range a source's scores must lie in, and who sets it: the tightest
/// `out_of` of the components reading it, or no upper bound when only
/// bonus and deduction items read it.
fn range(rules: &AnnualRules, source: &str) -> (f64, Option<(f64, String)>) {
    let upper = rules
        .components
        .iter()
        .filter(|c| c.source == Source::Csv(source.to_string()))
        .map(|c| (c.out_of, format!("component `{}` (out_of)", c.id)))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    (0.0, upper)
}

/// The headers that name the score column of `source`: the id or name of
/// a component or item reading it, alone or followed by 得分, 分, 加分 or
/// 扣分, and the generic ones.
fn score_headers(rules: &AnnualRules, source: &str) -> Vec<String> {
    let src = Source::Csv(source.to_string());
    let names = rules
        .components
        .iter()
        .filter(|c| c.source == src)
        .flat_map(|c| [c.name.clone(), c.id.clone()])
        .chain(
            rules
                .bonuses
                .iter()
                .chain(&rules.deductions)
                .filter(|i| i.source == source)
                .flat_map(|i| [i.name.clone(), i.id.clone()]),
        );
    let mut out: Vec<String> = Vec::new();
    for n in names {
        for suffix in ["", "得分", "分", "加分", "扣分"] {
            out.push(format!("{n}{suffix}"));
        }
    }
    out.extend(GENERIC.iter().map(|g| g.to_string()));
    out
}

/// Reads the score file of source `source`: the rows that could be read
/// (a score out of range is kept, so that its code can still be checked)
/// beside every problem. Err only when the columns cannot be found.
pub fn parse_all(sheet: &Sheet, source: &str, rules: &AnnualRules) -> Result<(Scores, Diags), Diags> {
    let roles = [
        Role { name: "code", headers: CODE_HEADERS.iter().map(|h| h.to_string()).collect(), required: true },
        Role { name: "score", headers: score_headers(rules, source), required: true },
    ];
    let ignore: Vec<String> = IGNORED.iter().map(|h| h.to_string()).collect();
    let cols = columns::map(sheet, &roles, &[], &ignore)?;
    let (code_col, score_col) = (cols.role("code").unwrap_or(0), cols.role("score").unwrap_or(1));
    let (low, high) = range(rules, source);
    let mut diags = Diags::default();
    let mut scores = Scores { place: sheet.place(), values: HashMap::new(), rows: HashMap::new() };
    for r in &sheet.rows {
        let (code, raw) = (sheet.cell(r, code_col), sheet.cell(r, score_col));
        if code.is_empty() {
            diags.push(sheet.diag(r.number, Some(code_col), "empty county code"));
            continue;
        }
        if crate::error::looks_like_scientific(code) {
            diags.push(sheet.diag(
                r.number,
                Some(code_col),
                crate::error::scientific_hint("county code", code),
            ));
            continue;
        }
        let plain = match crate::findings::values::ungroup(raw) {
            Ok(p) => p,
            Err(why) => {
                diags.push(sheet.diag(r.number, Some(score_col), why));
                continue;
            }
        };
        let v = match plain.parse::<f64>() {
            Ok(x) if x.is_finite() => x,
            _ => {
                diags.push(sheet.diag(
                    r.number,
                    Some(score_col),
                    format!("`{}` is not a score", excerpt(raw)),
                ));
                continue;
            }
        };
        match &high {
            Some((h, who)) if !(low..=*h).contains(&v) => diags.push(sheet.diag(
                r.number,
                Some(score_col),
                format!("{} is outside 0 … {h}, the range of {who}; a score is refused, not clamped", excerpt(raw)),
            )),
            None if v < low => diags.push(sheet.diag(
                r.number,
                Some(score_col),
                format!(
                    "{} is negative: bonus and deduction values are 0 or more (a deduction is entered as a positive number)",
                    excerpt(raw)
                ),
            )),
            _ => {}
        }
        if let Some(first) = scores.rows.get(code) {
            diags.push(sheet.diag(
                r.number,
                Some(code_col),
                format!("county {} appears twice (also on row {first})", excerpt(code)),
            ));
            continue;
        }
        scores.rows.insert(code.to_string(), r.number);
        scores.values.insert(code.to_string(), v);
    }
    if scores.values.is_empty() && !diags.has_errors() {
        diags.push(sheet.diag(sheet.header_row, None, "the file lists no county"));
    }
    Ok((scores, diags))
}

/// Codes of a score file that are not among the counties assessed.
pub fn unknown_codes(scores: &Scores, known: &HashSet<&str>) -> Diags {
    let mut diags = Diags::default();
    for (code, row) in &scores.rows {
        if !known.contains(code.as_str()) {
            diags.push(crate::Diag::at_line(
                &scores.place,
                *row,
                format!(
                    "county {} is not among the counties assessed{}",
                    excerpt(code),
                    crate::error::did_you_mean(code, known.iter().copied())
                ),
            ));
        }
    }
    diags
}
