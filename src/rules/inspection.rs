//! The inspection part of the rules: the fields counties report and teams
//! find, cross-field constraints, county extensions of the check window, and
//! how teams are balanced.

use std::collections::HashSet;

use super::reader::{Reader, Table};
use crate::error::{Diag, Loc, excerpt};
use crate::frame::FrameSchema;

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A whole number ≥ 0 (people, births, households).
    Count,
    /// Yuan, ≥ 0, at most two decimals.
    Amount,
    /// 是 / 否.
    YesNo,
    /// A date (YYYY-MM-DD).
    Date,
    Text,
    /// One of the field's `options` (a household's answer: 满意 / 基本满意 /
    /// 不满意).
    Choice,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Count => "count",
            Kind::Amount => "amount",
            Kind::YesNo => "yesno",
            Kind::Date => "date",
            Kind::Text => "text",
            Kind::Choice => "choice",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "count" => Kind::Count,
            "amount" => Kind::Amount,
            "yesno" => Kind::YesNo,
            "date" => Kind::Date,
            "text" => Kind::Text,
            "choice" => Kind::Choice,
            _ => return None,
        })
    }
}

/// Whether a field is about a village, a whole county, or one household
/// a team visits (SAMPLING.md §16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldLevel {
    Village,
    County,
    Household,
}

impl FieldLevel {
    pub fn name(self) -> &'static str {
        match self {
            FieldLevel::Village => "village",
            FieldLevel::County => "county",
            FieldLevel::Household => "household",
        }
    }
}

/// One answer of a `choice` field: an id for measures and files, and the
/// words on the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
}

/// A reported figure and its inspected twin, or a findings-only field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The id used in files and formulas (ASCII).
    pub id: String,
    /// The Chinese name shown on forms and in reports.
    pub name: String,
    /// The English name for `--lang en` (the Chinese name when absent).
    pub name_en: Option<String>,
    pub unit: String,
    pub level: FieldLevel,
    pub kind: Kind,
    /// Counties report it (false: only teams record it).
    pub reported: bool,
    /// Teams must fill it in.
    pub required: bool,
    pub hint: String,
    /// The largest plausible value in one row (`max`); without it, the
    /// default of [`Field::max_value`].
    pub max: Option<f64>,
    /// At most `factor` × the row's value of a frame size column
    /// (`max_per_size`): births at most 0.1 × 人口.
    pub max_per_size: Option<PerSize>,
    /// A `choice` field's answers, in form order.
    pub options: Vec<Choice>,
    /// The ids of the answers that count as favourable (满意, 基本满意): the
    /// field's `favourable_rate` is their share.
    pub favourable: Vec<String>,
    /// A household field: the village-level yes/no field whose report a
    /// household's "否" contradicts (a reward reported paid that the
    /// household says it did not receive).
    pub checks: Option<String>,
    pub loc: Loc,
}

/// `max_per_size = { size = "人口", factor = 0.1 }`.
#[derive(Debug, Clone, PartialEq)]
pub struct PerSize {
    pub size: String,
    pub factor: f64,
}

/// The largest value a count or amount may have in one row when the rules
/// set no `max`: far above any real village or county, so that only an
/// absurd figure (a typo, 18446744073709551615 births) is refused.
pub const DEFAULT_MAX: [(Kind, FieldLevel, f64); 4] = [
    (Kind::Count, FieldLevel::Village, 1e6),
    (Kind::Count, FieldLevel::County, 1e8),
    (Kind::Amount, FieldLevel::Village, 1e9),
    (Kind::Amount, FieldLevel::County, 1e11),
];

impl Field {
    /// The largest value one row may hold, and whether the rules set it:
    /// `max`, or [`DEFAULT_MAX`] for counts and amounts.
    pub fn max_value(&self) -> Option<(f64, bool)> {
        if let Some(m) = self.max {
            return Some((m, true));
        }
        DEFAULT_MAX.iter().find(|d| d.0 == self.kind && d.1 == self.level).map(|d| (d.2, false))
    }
}

/// A comparison between sums of fields and numbers, e.g.
/// `long_acting_done <= long_acting_required`.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    pub text: String,
    pub left: Side,
    pub op: Op,
    pub right: Side,
    pub message: String,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    Field(String),
    Number(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Le,
    Lt,
    Ge,
    Gt,
    Eq,
    Ne,
}

impl Constraint {
    /// Evaluates with the given field values; `None` when a field is absent.
    pub fn holds(&self, value: &dyn Fn(&str) -> Option<f64>) -> Option<bool> {
        let sum = |side: &[(f64, Term)]| -> Option<f64> {
            side.iter().try_fold(0.0, |acc, (sign, t)| {
                let v = match t {
                    Term::Field(f) => value(f)?,
                    Term::Number(n) => *n,
                };
                Some(acc + sign * v)
            })
        };
        let (l, r) = (sum(&self.left)?, sum(&self.right)?);
        // Counts and yuan with two decimals: compare with a cent's tolerance.
        let eps = 1e-9;
        Some(match self.op {
            Op::Le => l <= r + eps,
            Op::Lt => l < r - eps,
            Op::Ge => l + eps >= r,
            Op::Gt => l > r + eps,
            Op::Eq => (l - r).abs() <= eps,
            Op::Ne => (l - r).abs() > eps,
        })
    }

    /// The fields it mentions.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.left.iter().chain(&self.right).filter_map(|(_, t)| match t {
            Term::Field(f) => Some(f.as_str()),
            Term::Number(_) => None,
        })
    }
}

/// A county allowed to finish later (the notice: 可视情况适当延长).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub county: String,
    /// The last day of that county's check window.
    pub until: String,
    pub reason: String,
    pub loc: Loc,
}

/// How `assign` balances teams.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamRules {
    /// Balance by households (a frame size column) instead of villages.
    pub households: Option<String>,
    /// Relative tolerance for household balance.
    pub tolerance: f64,
}

impl Default for TeamRules {
    fn default() -> TeamRules {
        TeamRules { households: None, tolerance: 0.10 }
    }
}

/// A payment the notice sets, checked for a sampled family: the amount due
/// and the yes/no field that records whether it was paid in full.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub id: String,
    pub name: String,
    pub amount: f64,
    /// How the amount is due: 每人每月, 一次性每人, 每户 …
    pub per: String,
    pub field: Option<String>,
    pub loc: Loc,
}

/// Everything above, as read from the rules.
#[derive(Debug, Clone, Default)]
pub struct Inspection {
    pub policies: Vec<Policy>,
    pub fields: Vec<Field>,
    pub constraints: Vec<Constraint>,
    pub extensions: Vec<Extension>,
    pub teams: TeamRules,
}

impl Inspection {
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }
}

const FIELD: &[&str] = &[
    "id",
    "name",
    "name_en",
    "unit",
    "level",
    "kind",
    "reported",
    "required",
    "hint",
    "basis",
    "max",
    "max_per_size",
    "options",
    "favourable",
    "checks",
];
const CONSTRAINT: &[&str] = &["rule", "message"];
const EXTENSION: &[&str] = &["county", "until", "reason"];
const POLICY: &[&str] = &["id", "name", "amount", "per", "field", "basis"];
const TEAMS: &[&str] = &["balance", "size", "tolerance", "basis"];

/// Reads `[[field]]`, `[[constraint]]`, `[[extension]]` and `[teams]`.
pub fn read(r: &mut Reader<'_>, top: Table<'_, '_>, frame: &FrameSchema) -> Inspection {
    let mut ins = Inspection::default();
    let mut seen = HashSet::new();
    for t in r.tables(top, "field", "field") {
        r.known_keys(t, FIELD);
        let loc = r.loc(t.span.0);
        let id = r.string(t, "id", true);
        let name = r.string(t, "name", true).map(|v| v.0).unwrap_or_default();
        let name_en = r.string(t, "name_en", false).map(|v| v.0);
        let unit = r.string(t, "unit", false).map(|v| v.0).unwrap_or_default();
        let hint = r.string(t, "hint", false).map(|v| v.0).unwrap_or_default();
        r.string(t, "basis", false);
        let level = match r.string(t, "level", false) {
            None => Some(FieldLevel::Village),
            Some((s, l)) => match s.as_str() {
                "village" => Some(FieldLevel::Village),
                "county" => Some(FieldLevel::County),
                "household" => Some(FieldLevel::Household),
                _ => {
                    r.diags.push(Diag::error(
                        &r.file,
                        Some(l),
                        format!("unknown field level `{s}`; expected village, county or household"),
                    ));
                    None
                }
            },
        };
        let kind = match r.string(t, "kind", true) {
            None => None,
            Some((s, l)) => Kind::parse(&s).or_else(|| {
                r.diags.push(Diag::error(
                    &r.file,
                    Some(l),
                    format!("unknown field kind `{s}`; expected count, amount, yesno, date, text or choice"),
                ));
                None
            }),
        };
        let reported = r.boolean(t, "reported").is_none_or(|v| v.0);
        let required = r.boolean(t, "required").is_none_or(|v| v.0);
        let (max, max_per_size) = read_limits(r, t, kind, frame);
        let (options, favourable) = read_options(r, t, kind);
        let checks = r.string(t, "checks", false).map(|v| v.0);
        let Some((id, id_loc)) = id else { continue };
        if id.is_empty()
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || id.starts_with(|c: char| c.is_ascii_digit())
        {
            r.diags.push(Diag::error(
                &r.file,
                Some(id_loc),
                format!("field id `{id}` must be letters, digits and _ (not starting with a digit)"),
            ));
            continue;
        }
        if !seen.insert(id.clone()) {
            r.diags.push(Diag::error(&r.file, Some(id_loc), format!("field id `{id}` is defined twice")));
            continue;
        }
        if let (Some(level), Some(kind)) = (level, kind) {
            ins.fields.push(Field {
                id,
                name,
                name_en,
                unit,
                level,
                kind,
                reported,
                required,
                hint,
                max,
                max_per_size,
                options,
                favourable,
                checks,
                loc,
            });
        }
    }
    for t in r.tables(top, "constraint", "constraint") {
        r.known_keys(t, CONSTRAINT);
        let message = r.string(t, "message", false).map(|v| v.0).unwrap_or_default();
        let Some((text, loc)) = r.string(t, "rule", true) else { continue };
        match parse_constraint(&text) {
            Ok((left, op, right)) => {
                let c = Constraint { text: text.clone(), left, op, right, message, loc };
                let unknown: Vec<&str> = c.fields().filter(|f| !seen.contains(*f)).collect();
                if unknown.is_empty() {
                    ins.constraints.push(c);
                } else {
                    r.diags.push(Diag::error(
                        &r.file,
                        Some(loc),
                        format!(
                            "constraint `{}` names unknown field(s): {}",
                            excerpt(&text),
                            unknown.join(", ")
                        ),
                    ));
                }
            }
            Err(why) => r.diags.push(Diag::error(
                &r.file,
                Some(loc),
                format!("constraint `{}`: {why}", excerpt(&text)),
            )),
        }
    }
    for t in r.tables(top, "policy", "policy") {
        r.known_keys(t, POLICY);
        r.string(t, "basis", false);
        let loc = r.loc(t.span.0);
        let id = r.string(t, "id", true).map(|v| v.0);
        let name = r.string(t, "name", true).map(|v| v.0).unwrap_or_default();
        let per = r.string(t, "per", true).map(|v| v.0).unwrap_or_default();
        let amount = r.rate_or_number(t, "amount", true);
        let field = r.string(t, "field", false);
        if let Some((f, fl)) = &field {
            match ins.fields.iter().find(|x| &x.id == f) {
                Some(x) if x.kind == Kind::YesNo => {}
                Some(_) => r.diags.push(Diag::error(
                    &r.file,
                    Some(*fl),
                    format!("policy field `{f}` must be a yes/no field (paid in full or not)"),
                )),
                None => r.diags.push(Diag::error(
                    &r.file,
                    Some(*fl),
                    format!("policy field `{f}` is not a [[field]]"),
                )),
            }
        }
        if let (Some(id), Some(amount)) = (id, amount) {
            ins.policies.push(Policy { id, name, amount, per, field: field.map(|f| f.0), loc });
        }
    }
    for t in r.tables(top, "extension", "extension") {
        r.known_keys(t, EXTENSION);
        let loc = r.loc(t.span.0);
        let county = r.string(t, "county", true).map(|v| v.0);
        let until = r.date(t, "until", true).map(|v| v.0);
        let reason = r.string(t, "reason", true).map(|v| v.0).unwrap_or_default();
        if let (Some(county), Some(until)) = (county, until) {
            ins.extensions.push(Extension { county, until, reason, loc });
        }
    }
    if let Some(t) = r.table(top, "teams", "teams", false) {
        r.known_keys(t, TEAMS);
        r.string(t, "basis", false);
        match r.string(t, "balance", false) {
            None => {}
            Some((s, _)) if s == "villages" => {}
            Some((s, l)) if s == "households" => match r.string(t, "size", true) {
                Some((col, cl)) => {
                    if frame.size_index(&col).is_none() {
                        r.diags.push(Diag::error(
                            &r.file,
                            Some(cl),
                            format!("size column `{col}` is not among [frame] sizes"),
                        ));
                    }
                    ins.teams.households = Some(col);
                }
                None => {
                    r.diags.push(Diag::error(
                        &r.file,
                        Some(l),
                        "balance = \"households\" needs `size`, the frame's household column",
                    ));
                }
            },
            Some((s, l)) => r.diags.push(Diag::error(
                &r.file,
                Some(l),
                format!("unknown balance `{s}`; expected \"villages\" or \"households\""),
            )),
        }
        if let Some((rate, _)) = r.rate(t, "tolerance", false) {
            ins.teams.tolerance = rate.value();
        }
    }
    ins
}

/// A `choice` field's `options` (`[{ id, name, name_en }, …]`, at least
/// two, ids unique) and `favourable` (ids among them); neither is allowed on
/// another kind.
fn read_options(r: &mut Reader<'_>, t: Table<'_, '_>, kind: Option<Kind>) -> (Vec<Choice>, Vec<String>) {
    let mut options: Vec<Choice> = Vec::new();
    let here = |r: &Reader<'_>, key: &str| r.get(t, key).map(|v| v.span());
    if kind.is_some() && kind != Some(Kind::Choice) {
        for key in ["options", "favourable"] {
            if let Some(span) = here(r, key) {
                r.err_at(span, format!("`{key}` applies to kind = \"choice\" only"));
            }
        }
        return (options, Vec::new());
    }
    if kind.is_none() {
        return (options, Vec::new());
    }
    for o in r.tables(t, "options", "field.options") {
        r.known_keys(o, &["id", "name", "name_en"]);
        let id = r.string(o, "id", true);
        let name = r.string(o, "name", true).map(|v| v.0).unwrap_or_default();
        let name_en = r.string(o, "name_en", false).map(|v| v.0);
        let Some((id, l)) = id else { continue };
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            r.diags.push(Diag::error(
                &r.file,
                Some(l),
                format!("option id `{id}` must be letters, digits and _"),
            ));
            continue;
        }
        if options.iter().any(|c| c.id == id || (!name.is_empty() && c.name == name)) {
            r.diags.push(Diag::error(&r.file, Some(l), format!("option `{id}` is given twice")));
            continue;
        }
        options.push(Choice { id, name, name_en });
    }
    if options.len() < 2 {
        r.err_at(t.span.0..t.span.1, "kind = \"choice\" needs `options` with at least two answers");
    }
    let mut favourable = Vec::new();
    for (f, l) in r.strings(t, "favourable", false).unwrap_or_default() {
        if !options.iter().any(|c| c.id == f) {
            r.diags.push(Diag::error(
                &r.file,
                Some(l),
                format!("`favourable`: `{f}` is not one of the options' ids"),
            ));
        } else if !favourable.contains(&f) {
            favourable.push(f);
        }
    }
    (options, favourable)
}

/// A field's `max` and `max_per_size`, for counts and amounts only.
fn read_limits(
    r: &mut Reader<'_>,
    t: Table<'_, '_>,
    kind: Option<Kind>,
    frame: &FrameSchema,
) -> (Option<f64>, Option<PerSize>) {
    let numeric = matches!(kind, Some(Kind::Count | Kind::Amount));
    let here = |r: &Reader<'_>, key: &str| r.get(t, key).map(|v| v.span());
    let mut max = r.rate_or_number(t, "max", false);
    if let Some(span) = here(r, "max") {
        if !numeric && kind.is_some() {
            r.err_at(span, "`max` applies to count and amount fields only");
            max = None;
        } else if max.is_some_and(|m| m < 0.0) {
            r.err_at(span, "`max` must be 0 or more");
            max = None;
        }
    }
    let mut per = None;
    if let Some(span) = here(r, "max_per_size")
        && let Some(pt) = r.table(t, "max_per_size", "field.max_per_size", false)
    {
        r.known_keys(pt, &["size", "factor"]);
        let size = r.string(pt, "size", true);
        let factor = r.rate_or_number(pt, "factor", true);
        if !numeric && kind.is_some() {
            r.err_at(span.clone(), "`max_per_size` applies to count and amount fields only");
        } else if let (Some((size, sl)), Some(factor)) = (size, factor) {
            if frame.size_index(&size).is_none() {
                r.diags.push(Diag::error(
                    &r.file,
                    Some(sl),
                    format!("size column `{}` is not among [frame] sizes", excerpt(&size)),
                ));
            } else if factor <= 0.0 {
                r.err_at(span, "`factor` in `max_per_size` must be more than 0");
            } else {
                per = Some(PerSize { size, factor });
            }
        }
    }
    (max, per)
}

/// One side of a constraint: signed terms.
type Side = Vec<(f64, Term)>;

/// Parses `a + b - 3 <= c`.
fn parse_constraint(text: &str) -> Result<(Side, Op, Side), String> {
    const OPS: [(&str, Op); 6] =
        [("<=", Op::Le), (">=", Op::Ge), ("==", Op::Eq), ("!=", Op::Ne), ("<", Op::Lt), (">", Op::Gt)];
    let (at, len, op) = OPS
        .iter()
        .filter_map(|(s, op)| text.find(s).map(|i| (i, s.len(), *op)))
        .min_by_key(|(i, len, _)| (*i, std::cmp::Reverse(*len)))
        .ok_or("expected a comparison: <=, <, >=, >, == or !=")?;
    let side = |s: &str| -> Result<Side, String> {
        let mut out = Vec::new();
        let mut sign = 1.0;
        let mut expect_term = true;
        for tok in s.replace('+', " + ").replace('-', " - ").split_whitespace() {
            match (tok, expect_term) {
                ("+", false) => {
                    sign = 1.0;
                    expect_term = true;
                }
                ("-", false) => {
                    sign = -1.0;
                    expect_term = true;
                }
                ("-", true) => sign = -sign,
                (t, true) => {
                    let term = match t.parse::<f64>() {
                        Ok(n) => Term::Number(n),
                        Err(_) if t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                            Term::Field(t.to_string())
                        }
                        Err(_) => return Err(format!("`{t}` is neither a field id nor a number")),
                    };
                    out.push((sign, term));
                    sign = 1.0;
                    expect_term = false;
                }
                (t, false) => return Err(format!("expected + or - before `{t}`")),
            }
        }
        if expect_term {
            return Err("an operand is missing".into());
        }
        Ok(out)
    };
    let rest = &text[at + len..];
    if OPS.iter().any(|(s, _)| rest.contains(s)) {
        return Err("only one comparison is allowed".into());
    }
    Ok((side(&text[..at])?, op, side(rest)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_parse_and_evaluate() {
        let (l, op, r) = parse_constraint("done + pending <= required - 1").unwrap();
        let c = Constraint {
            text: String::new(),
            left: l,
            op,
            right: r,
            message: String::new(),
            loc: Loc::default(),
        };
        let vals = |f: &str| match f {
            "done" => Some(3.0),
            "pending" => Some(1.0),
            "required" => Some(5.0),
            _ => None,
        };
        assert_eq!(c.holds(&vals), Some(true));
        assert!(parse_constraint("a <= b <= c").is_err());
        assert!(parse_constraint("a b").is_err());
        assert!(parse_constraint("a <=").is_err());
        assert!(parse_constraint("a$ <= 3").is_err());
    }
}
