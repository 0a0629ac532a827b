//! Household findings (SAMPLING.md §16, SCORING.md §11): what a team
//! recorded at each door of a village's household list. One village is a
//! household sheet of the team's `.xlsx` form, or the village's rows of the
//! team's household CSV. Validated against the published list: numbers in
//! the list's order and equal to it, a reason for every household passed
//! over, at most k households unless a reason is given, the register's count
//! recorded and no smaller than the numbers used, and no larger than the
//! list's cap. Only numbers and answers are read: the forms have no cell for
//! a name.

use std::collections::{BTreeMap, HashMap};

use super::columns::strip_unit;
use super::import::Assigned;
use super::table::{Row, Sheet};
use super::values::{self, Value};
use crate::cell;
use crate::error::{Diags, excerpt};
use crate::frame::normalize_header;
use crate::rules::{Field, FieldLevel, HouseholdStage, Rules};
use crate::sample::households::List;

/// Why a listed household was not visited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    /// The number is above the register's count: there is no such household.
    Beyond,
    /// 空户: nobody lives there.
    Vacant,
    /// 两次未遇: nobody at home at two visits.
    Absent,
    /// 拒绝入户: the household refused.
    Refused,
}

impl Skip {
    pub const ALL: [Skip; 4] = [Skip::Beyond, Skip::Vacant, Skip::Absent, Skip::Refused];

    /// The code in the journal and in measures.
    pub fn id(self) -> &'static str {
        match self {
            Skip::Beyond => "beyond",
            Skip::Vacant => "vacant",
            Skip::Absent => "absent",
            Skip::Refused => "refused",
        }
    }

    /// The words on the form's list.
    pub fn zh(self) -> &'static str {
        match self {
            Skip::Beyond => "超出户数",
            Skip::Vacant => "空户",
            Skip::Absent => "两次未遇",
            Skip::Refused => "拒绝入户",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Skip::Beyond => "beyond the register",
            Skip::Vacant => "vacant",
            Skip::Absent => "absent at two visits",
            Skip::Refused => "refused",
        }
    }

    /// A reason as typed: the form's words, the id, or 拒访 for refused.
    pub fn parse(raw: &str) -> Option<Skip> {
        let t = raw.trim();
        Skip::ALL.into_iter().find(|s| s.zh() == t || s.id() == t.to_ascii_lowercase()).or(match t {
            "拒访" => Some(Skip::Refused),
            "两次不在家" => Some(Skip::Absent),
            _ => None,
        })
    }
}

/// What happened at one number of the list.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Visited, with the answers given (a blank optional answer is absent).
    Visited(Vec<(String, Value)>),
    Skipped(Skip),
    /// Nothing recorded: not reached, or above the register's count.
    Blank,
}

/// One row of a village's household list as the team returned it.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    /// 1-based position in the list.
    pub position: u64,
    pub number: u64,
    pub outcome: Outcome,
}

/// A village's household findings.
#[derive(Debug, Clone, PartialEq)]
pub struct VillageHouseholds {
    pub code: String,
    /// The register's actual count H.
    pub register: u64,
    /// Why more than k households were visited, when they were.
    pub extra_reason: String,
    pub rows: Vec<Household>,
}

impl VillageHouseholds {
    /// The households visited, in list order.
    pub fn visited(&self) -> impl Iterator<Item = (&Household, &[(String, Value)])> {
        self.rows.iter().filter_map(|h| match &h.outcome {
            Outcome::Visited(v) => Some((h, v.as_slice())),
            _ => None,
        })
    }

    /// Households skipped, by reason (numbers above the register counted
    /// under `beyond` whether marked or left blank).
    pub fn skipped(&self) -> BTreeMap<Skip, u64> {
        let mut out = BTreeMap::new();
        for h in &self.rows {
            let why = match h.outcome {
                Outcome::Skipped(s) => Some(s),
                Outcome::Blank if h.number > self.register => Some(Skip::Beyond),
                _ => None,
            };
            if let Some(s) = why {
                *out.entry(s).or_default() += 1;
            }
        }
        out
    }

    /// What the journal records of the village: the register's count, the
    /// households visited and the skips by reason.
    pub fn summary(&self) -> serde_json::Value {
        let skipped: serde_json::Map<String, serde_json::Value> =
            self.skipped().into_iter().map(|(s, n)| (s.id().to_string(), n.into())).collect();
        serde_json::json!({
            "register": self.register,
            "visited": self.visited().count(),
            "skipped": skipped,
        })
    }
}

/// The household fields of the rules, in rules order.
pub fn household_fields(rules: &Rules) -> Vec<&Field> {
    rules.inspection.fields.iter().filter(|f| f.level == FieldLevel::Household).collect()
}

/// The columns of a household table: position, number, the category the
/// form prints, the skip reason, then the household fields.
pub const POSITION: &str = "顺序";
pub const NUMBER: &str = "户号";
pub const CATEGORY: &str = "类别";
pub const REASON: &str = "未入户原因";
/// The categories printed beside each number.
pub const MAIN: &str = "正选";
pub const SPARE: &str = "备用";

/// The label of the register's count on a form: `户籍册总户数`.
pub fn register_label(stage: &HouseholdStage) -> String {
    format!("{}总户数", stage.register)
}

/// The label of the reason for visiting more than k households.
pub fn extra_label(stage: &HouseholdStage) -> String {
    format!("超过{}户的说明", stage.k)
}

/// The category of each position: the first k numbers within the frame's
/// count are 正选, the rest 备用 (with a register of the frame's size the
/// team visits exactly the 正选).
pub fn categories(list: &List, k: u64) -> Vec<&'static str> {
    let ranks = list.ranks();
    let last_main = ranks.iter().position(|r| *r == Some(k)).unwrap_or(ranks.len());
    (0..list.numbers.len()).map(|i| if i <= last_main { MAIN } else { SPARE }).collect()
}

/// The columns of a household table, found by header.
pub struct HouseholdColumns<'r> {
    pub position: usize,
    pub number: usize,
    pub reason: usize,
    pub fields: Vec<(usize, &'r Field)>,
}

/// Maps a household table's headers: the fixed columns, the household
/// fields (by id or name, units ignored), and `extra` columns the caller
/// reads itself; anything else is an error.
pub fn columns<'r>(
    sheet: &Sheet,
    fields: &[&'r Field],
    extra: &[&str],
) -> Result<(HouseholdColumns<'r>, Vec<(String, usize)>), Diags> {
    let mut diags = Diags::default();
    let (mut position, mut number, mut reason) = (None, None, None);
    let mut found = Vec::new();
    let mut others = Vec::new();
    for (i, h) in sheet.header.iter().enumerate() {
        let norm = normalize_header(strip_unit(cell::restore(h)));
        if norm.is_empty() {
            continue;
        }
        let is = |s: &str| normalize_header(s) == norm;
        if is(POSITION) || is("position") {
            position = Some(i);
        } else if is(NUMBER) || is("household") {
            number = Some(i);
        } else if is(REASON) || is("skip") {
            reason = Some(i);
        } else if is(CATEGORY) {
        } else if let Some(f) =
            fields.iter().find(|f| normalize_header(&f.id) == norm || normalize_header(&f.name) == norm)
        {
            if found.iter().any(|(_, g): &(usize, &Field)| g.id == f.id) {
                diags.push(sheet.diag(
                    sheet.header_row,
                    Some(i),
                    format!("duplicate column for `{}`", f.name),
                ));
            }
            found.push((i, *f));
        } else if let Some(x) = extra.iter().find(|x| normalize_header(x) == norm) {
            others.push((x.to_string(), i));
        } else {
            let known: Vec<&str> = [POSITION, NUMBER, CATEGORY, REASON]
                .into_iter()
                .chain(fields.iter().map(|f| f.name.as_str()))
                .chain(extra.iter().copied())
                .collect();
            diags.push(sheet.diag(
                sheet.header_row,
                Some(i),
                format!("unknown header `{}` (expected: {})", excerpt(h), known.join(", ")),
            ));
        }
    }
    for (col, name) in [(position, POSITION), (number, NUMBER), (reason, REASON)] {
        if col.is_none() {
            diags.push(sheet.diag(sheet.header_row, None, format!("missing column `{name}`")));
        }
    }
    for f in fields.iter().filter(|f| f.required && !found.iter().any(|(_, g)| g.id == f.id)) {
        diags.push(sheet.diag(
            sheet.header_row,
            None,
            format!("missing column for the household field `{}`", f.name),
        ));
    }
    match (position, number, reason) {
        (Some(position), Some(number), Some(reason)) if !diags.has_errors() => {
            Ok((HouseholdColumns { position, number, reason, fields: found }, others))
        }
        _ => Err(diags),
    }
}

/// Where a village's register count and extra-households reason were
/// written: a cell with its row and column, for messages.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    pub row: u64,
    pub col: Option<usize>,
}

/// Validates one village's household rows against its published list.
/// Returns `Ok(None)` when nothing at all was recorded for the village (no
/// household findings), and every problem otherwise.
pub fn check_village(
    sheet: &Sheet,
    rows: &[&Row],
    cols: &HouseholdColumns<'_>,
    list: &List,
    stage: &HouseholdStage,
    (register, extra): (&Cell, &Cell),
    diags: &mut Diags,
) -> Option<VillageHouseholds> {
    let start = diags.0.len();
    let code = &list.code;
    let mut households = Vec::new();
    let mut expected = 1u64;
    let mut ordered = true;
    for row in rows {
        let n = row.number;
        let raw_pos = sheet.cell(row, cols.position);
        let raw_num = sheet.cell(row, cols.number);
        let Ok(pos) = raw_pos.parse::<u64>() else {
            diags.push(sheet.diag(
                n,
                Some(cols.position),
                format!("village {code}: position `{}` is not a whole number", excerpt(raw_pos)),
            ));
            ordered = false;
            continue;
        };
        if pos != expected {
            diags.push(sheet.diag(
                n,
                Some(cols.position),
                format!(
                    "village {code}: position {pos} where the list's position {expected} belongs; the rows keep the list's order, none inserted, removed or sorted"
                ),
            ));
            ordered = false;
        }
        expected = pos + 1;
        let Some(&listed) = list.numbers.get(pos.saturating_sub(1) as usize).filter(|_| pos >= 1) else {
            diags.push(sheet.diag(
                n,
                Some(cols.position),
                format!("village {code}: the list has {} numbers, not a position {pos}", list.numbers.len()),
            ));
            ordered = false;
            continue;
        };
        if raw_num != listed.to_string() {
            diags.push(sheet.diag(
                n,
                Some(cols.number),
                format!(
                    "village {code}: household number `{}` at position {pos}, but the published list has {listed} there; the numbers are the draw's and cannot be changed",
                    excerpt(raw_num)
                ),
            ));
            ordered = false;
        }
        let reason_raw = sheet.cell(row, cols.reason);
        let answered: Vec<&(usize, &Field)> =
            cols.fields.iter().filter(|(c, _)| !sheet.cell(row, *c).is_empty()).collect();
        // A row in error still counts as used below, so that one mistake
        // is reported once; the village is refused either way.
        let outcome = match (reason_raw.is_empty(), answered.is_empty()) {
            (true, true) => Outcome::Blank,
            (false, true) => match Skip::parse(reason_raw) {
                Some(s) => Outcome::Skipped(s),
                None => {
                    diags.push(sheet.diag(
                        n,
                        Some(cols.reason),
                        format!(
                            "village {code}, household {listed}: `{}` is not a reason on the list ({})",
                            excerpt(reason_raw),
                            Skip::ALL.map(Skip::zh).join("、")
                        ),
                    ));
                    Outcome::Skipped(Skip::Refused)
                }
            },
            (no_reason, false) => {
                if !no_reason {
                    diags.push(sheet.diag(
                        n,
                        Some(cols.reason),
                        format!(
                            "village {code}, household {listed}: a reason for not visiting (`{}`) and answers from a visit; keep one",
                            excerpt(reason_raw)
                        ),
                    ));
                }
                let mut vals = Vec::new();
                for &(c, f) in &cols.fields {
                    let raw = sheet.cell(row, c);
                    if raw.is_empty() {
                        if f.required {
                            diags.push(sheet.diag(
                                n,
                                Some(c),
                                format!("village {code}, household {listed}: missing `{}`", f.name),
                            ));
                        }
                        continue;
                    }
                    let none = |_: &str| None;
                    match values::parse_field(f, raw)
                        .and_then(|v| values::plausible(f, raw, &v, &none).map(|_| v))
                    {
                        Ok(v) => vals.push((f.id.clone(), v)),
                        Err(why) => diags.push(sheet.diag(
                            n,
                            Some(c),
                            format!("village {code}, household {listed}: `{}`: {why}", f.name),
                        )),
                    }
                }
                Outcome::Visited(vals)
            }
        };
        households.push(Household { position: pos, number: listed, outcome });
    }
    let nothing = households.iter().all(|h| h.outcome == Outcome::Blank);
    if nothing && register.text.is_empty() && extra.text.is_empty() && diags.0.len() == start {
        return None;
    }
    let reg_at = |diags: &mut Diags, msg: String| diags.push(sheet.diag(register.row, register.col, msg));
    let register_count = if register.text.is_empty() {
        reg_at(
            diags,
            format!(
                "village {code}: missing the {} (H), counted in the register; the numbers are taken within it",
                register_label(stage)
            ),
        );
        None
    } else {
        match register.text.parse::<u64>() {
            Ok(h) if u128::from(h) > u128::from(list.cap) => {
                reg_at(
                    diags,
                    format!(
                        "village {code}: the {} is {h}, above the list's cap {}: households {}–{h} could never be drawn, so the list is no random sample of this register; check the count, or the commission substitutes the village",
                        register_label(stage),
                        list.cap,
                        list.cap + 1
                    ),
                );
                None
            }
            Ok(h) => Some(h),
            Err(_) => {
                reg_at(
                    diags,
                    format!(
                        "village {code}: the {} `{}` is not a whole number",
                        register_label(stage),
                        excerpt(&register.text)
                    ),
                );
                None
            }
        }
    };
    let (Some(h), true) = (register_count, ordered) else {
        return None;
    };
    // Every row against the register's count H.
    let at = |p: u64| rows.iter().zip(&households).find(|(_, x)| x.position == p).map(|(r, _)| r.number);
    let above: Vec<&Household> = households
        .iter()
        .filter(|x| {
            x.number > h
                && matches!(
                    x.outcome,
                    Outcome::Visited(_) | Outcome::Skipped(Skip::Vacant | Skip::Absent | Skip::Refused)
                )
        })
        .collect();
    if let Some(first) = above.first() {
        let shown: Vec<String> = above.iter().take(10).map(|x| x.number.to_string()).collect();
        diags.push(sheet.diag(
            at(first.position).unwrap_or(register.row),
            Some(cols.number),
            format!(
                "village {code}: the {} is {h}, but the register count is smaller than the numbers used: household{} {}{} (a number above the count is passed over, {})",
                register_label(stage),
                if above.len() == 1 { "" } else { "s" },
                shown.join(", "),
                if above.len() > 10 { format!(" and {} more", above.len() - 10) } else { String::new() },
                Skip::Beyond.zh()
            ),
        ));
    }
    for x in &households {
        let row = at(x.position).unwrap_or(register.row);
        match x.outcome {
            Outcome::Skipped(Skip::Beyond) if x.number <= h => {
                diags.push(sheet.diag(
                    row,
                    Some(cols.reason),
                    format!(
                        "village {code}: household {} is marked {}, but the register has {h} households, so it has that household",
                        x.number,
                        Skip::Beyond.zh()
                    ),
                ));
            }
            _ => {}
        }
    }
    // Taken in order: no household within the register passed over in
    // silence before one taken later; at most k visited unless a reason is
    // given; fewer only when the list is used up.
    let used = |x: &Household| match x.outcome {
        Outcome::Visited(_) => true,
        Outcome::Skipped(s) => s != Skip::Beyond,
        Outcome::Blank => false,
    };
    let last_used = households.iter().filter(|x| used(x)).map(|x| x.position).max().unwrap_or(0);
    let silent: Vec<&Household> = households
        .iter()
        .filter(|x| x.outcome == Outcome::Blank && x.number <= h && x.position < last_used)
        .collect();
    for x in &silent {
        diags.push(sheet.diag(
            at(x.position).unwrap_or(register.row),
            Some(cols.reason),
            format!(
                "village {code}: household {} (position {}) was passed over without a reason, though position {last_used} was taken after it; take the numbers in the list's order and give the reason for each household not visited ({})",
                x.number,
                x.position,
                Skip::ALL[1..].iter().map(|s| s.zh()).collect::<Vec<_>>().join("、")
            ),
        ));
    }
    let visited: Vec<&Household> =
        households.iter().filter(|x| matches!(x.outcome, Outcome::Visited(_))).collect();
    let k = stage.k as usize;
    if extra.text.is_empty() {
        if visited.len() > k {
            diags.push(sheet.diag(
                at(visited[k].position).unwrap_or(register.row),
                Some(cols.number),
                format!(
                    "village {code}: {} households visited, more than the k = {k} the rules set; a visit beyond them needs a reason in `{}`",
                    visited.len(),
                    extra_label(stage)
                ),
            ));
        } else if visited.len() == k {
            let kth = visited[k - 1].position;
            for x in households.iter().filter(|x| used(x) && x.position > kth) {
                diags.push(sheet.diag(
                    at(x.position).unwrap_or(register.row),
                    Some(cols.reason),
                    format!(
                        "village {code}: household {} is recorded after the {k}th household visited (position {kth}); the list stops there unless `{}` gives a reason",
                        x.number,
                        extra_label(stage)
                    ),
                ));
            }
        }
    }
    if visited.len() < k
        && silent.is_empty()
        && let Some(p) = (last_used as usize..list.numbers.len()).find(|&i| list.numbers[i] <= h)
    {
        diags.push(sheet.diag(
            at(p as u64 + 1).unwrap_or(register.row),
            Some(cols.number),
            format!(
                "village {code}: {} of {k} households visited, but the list goes on with household {} (position {}): continue down the list, or give the reason each household was not visited",
                visited.len(),
                list.numbers[p],
                p + 1
            ),
        ));
    }
    if diags.0[start..].iter().any(|d| d.is_error()) {
        return None;
    }
    Some(VillageHouseholds {
        code: code.clone(),
        register: h,
        extra_reason: extra.text.clone(),
        rows: households,
    })
}

/// What household findings are checked against.
pub struct Context<'a> {
    pub rules: &'a Rules,
    pub stage: &'a HouseholdStage,
    /// The published lists, by village code.
    pub lists: &'a HashMap<String, List>,
    /// The active sample (after substitutions), by village code.
    pub assigned: &'a HashMap<String, Assigned>,
    /// Sampled codes that are not active, with why.
    pub inactive: &'a HashMap<String, String>,
    /// Villages whose household findings came in another file, and that file.
    pub covered: &'a HashMap<String, String>,
}

/// A file's household findings: the team, its form id, and each village
/// that has any.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HouseholdFile {
    pub team: String,
    pub form_id: String,
    pub villages: Vec<VillageHouseholds>,
}

/// Whether a table is a household table (it has 顺序 and 户号 columns).
pub fn is_household_table(sheet: &Sheet) -> bool {
    let has = |name: &str| {
        sheet.header.iter().any(|h| normalize_header(strip_unit(cell::restore(h))) == normalize_header(name))
    };
    has(POSITION) && has(NUMBER)
}

/// The village a code names, checked against the sample, the form and the
/// other files; its list.
fn village<'c>(
    sheet: &Sheet,
    row: u64,
    col: Option<usize>,
    code: &str,
    form_id: &str,
    ctx: &'c Context<'_>,
    diags: &mut Diags,
) -> Option<(&'c Assigned, &'c List)> {
    let Some(a) = ctx.assigned.get(code) else {
        let why = ctx.inactive.get(code).cloned().unwrap_or_else(|| "is not in the sample".into());
        diags.push(sheet.diag(row, col, format!("village {} {why}", excerpt(code))));
        return None;
    };
    if a.form_id != form_id {
        diags.push(sheet.diag(
            row,
            col,
            format!(
                "village {code} is assigned to team {} (form {}), not to form `{}`",
                a.team,
                a.form_id,
                excerpt(form_id)
            ),
        ));
        return None;
    }
    if let Some(other) = ctx.covered.get(code) {
        diags.push(sheet.diag(
            row,
            col,
            format!("village {code} already has household findings in {other}; correct that file and import it with --supersede"),
        ));
        return None;
    }
    let Some(list) = ctx.lists.get(code) else {
        diags.push(sheet.diag(
            row,
            col,
            format!("village {code} has no published household list (households.csv)"),
        ));
        return None;
    };
    Some((a, list))
}

/// A household sheet of a team's workbook: title rows with the form id and
/// the village code, a row with the register's count and the reason for
/// more than k households, then the list. `Ok(None)` when nothing was
/// recorded.
pub fn validate_sheet(
    sheet: &Sheet,
    ctx: &Context<'_>,
    form_id: &str,
) -> Result<Option<VillageHouseholds>, Diags> {
    let mut sheet = sheet.clone();
    let above = sheet.header_at(|cells| {
        cells.iter().any(|c| normalize_header(cell::restore(c)) == normalize_header(POSITION))
            && cells.iter().any(|c| normalize_header(cell::restore(c)) == normalize_header(NUMBER))
    });
    let sheet = &sheet;
    let mut diags = Diags::default();
    if !is_household_table(sheet) {
        diags.push(sheet.diag(
            sheet.header_row,
            None,
            format!("no household table: expected a header row with `{POSITION}` and `{NUMBER}`"),
        ));
        return Err(diags);
    }
    let fields = household_fields(ctx.rules);
    let (cols, _) = columns(sheet, &fields, &[])?;
    // The title rows: the form id, the village, the register's count.
    let text_of = |r: &Row| r.cells.iter().map(|c| c.as_str()).collect::<Vec<_>>().join("\u{3000}");
    let sheet_form = above.iter().find_map(|r| super::forms::form_id_in(&text_of(r)));
    if let Some(id) = &sheet_form
        && id != form_id
    {
        diags.push(sheet.diag(
            1,
            None,
            format!("form id `{}` differs from the workbook's `{}`", excerpt(id), excerpt(form_id)),
        ));
    }
    let label = format!("{}：", super::household_forms::VILLAGE_LABEL);
    let code = above.iter().find_map(|r| {
        let t = text_of(r);
        let rest = t.split_once(&label)?.1;
        let c = rest.split('\u{3000}').next()?.trim();
        (!c.is_empty()).then(|| c.to_string())
    });
    let Some(code) = code else {
        diags.push(sheet.diag(1, None, format!("no `{label}` line above the table: which village is this?")));
        return Err(diags);
    };
    let labels = [register_label(ctx.stage), extra_label(ctx.stage)];
    let find = |want: &str| -> Cell {
        for r in &above {
            if let Some(i) = r.cells.iter().position(|c| normalize_header(c) == normalize_header(want)) {
                let value = r.cells[i + 1..]
                    .iter()
                    .enumerate()
                    .take_while(|(_, c)| !labels.iter().any(|l| normalize_header(c) == normalize_header(l)))
                    .find(|(_, c)| !c.trim().is_empty());
                return match value {
                    Some((j, c)) => Cell { text: c.trim().to_string(), row: r.number, col: Some(i + 1 + j) },
                    None => Cell { text: String::new(), row: r.number, col: Some(i + 1) },
                };
            }
        }
        Cell { text: String::new(), row: sheet.header_row, col: None }
    };
    let (register, extra) = (find(&labels[0]), find(&labels[1]));
    if register.col.is_none() {
        diags.push(sheet.diag(sheet.header_row, None, format!("no `{}` cell above the table", labels[0])));
    }
    let Some((_, list)) = village(sheet, 1, None, &code, form_id, ctx, &mut diags) else {
        return Err(diags);
    };
    let rows: Vec<&Row> = sheet
        .rows
        .iter()
        .filter(|r| {
            let filled: Vec<&str> = r.cells.iter().map(|c| c.trim()).filter(|c| !c.is_empty()).collect();
            !(filled.is_empty() || filled.iter().all(|c| c.starts_with(super::household_forms::SIGN_OFF)))
        })
        .collect();
    let found = check_village(sheet, &rows, &cols, list, ctx.stage, (&register, &extra), &mut diags);
    if diags.has_errors() { Err(diags) } else { Ok(found) }
}

/// A team's household CSV: the fixed columns of
/// [`super::household_forms::csv_fixed`], then the household fields; each
/// village's rows in the list's order, the register's count and the reason
/// on any of its rows (the same wherever given).
pub fn validate_csv(sheet: &Sheet, ctx: &Context<'_>) -> Result<HouseholdFile, Diags> {
    let fields = household_fields(ctx.rules);
    let labels = [register_label(ctx.stage), extra_label(ctx.stage)];
    let extra_cols =
        ["表单编号", "检查组", "村代码", "村名", "form_id", "team", "code", &labels[0], &labels[1]];
    let (cols, others) = columns(sheet, &fields, &extra_cols)?;
    let col = |names: &[&str]| others.iter().find(|(n, _)| names.contains(&n.as_str())).map(|(_, c)| *c);
    let mut diags = Diags::default();
    let (form_col, code_col) = (col(&["表单编号", "form_id"]), col(&["村代码", "code"]));
    let (reg_col, extra_col) = (col(&[&labels[0]]), col(&[&labels[1]]));
    for (c, name) in [(form_col, "表单编号"), (code_col, "村代码"), (reg_col, labels[0].as_str())] {
        if c.is_none() {
            diags.push(sheet.diag(sheet.header_row, None, format!("missing column `{name}`")));
        }
    }
    let (Some(form_col), Some(code_col), Some(reg_col)) = (form_col, code_col, reg_col) else {
        return Err(diags);
    };
    // The rows of each village, in file order; villages in order of first row.
    let mut order: Vec<String> = Vec::new();
    let mut by_village: HashMap<String, Vec<&Row>> = HashMap::new();
    let mut form_id: Option<(String, u64)> = None;
    for row in &sheet.rows {
        let fid = cell::restore(sheet.cell(row, form_col)).to_string();
        match &form_id {
            None => form_id = Some((fid, row.number)),
            Some((first, at)) if *first != fid => diags.push(sheet.diag(
                row.number,
                Some(form_col),
                format!(
                    "form id `{}` differs from `{}` on row {at}; one file holds one team's form",
                    excerpt(&fid),
                    excerpt(first)
                ),
            )),
            _ => {}
        }
        let code = cell::restore(sheet.cell(row, code_col)).to_string();
        if code.is_empty() {
            diags.push(sheet.diag(row.number, Some(code_col), "empty village code"));
            continue;
        }
        if !by_village.contains_key(&code) {
            order.push(code.clone());
        }
        by_village.entry(code).or_default().push(row);
    }
    let form_id = form_id.map(|f| f.0).unwrap_or_default();
    let mut team = String::new();
    let mut villages = Vec::new();
    for code in &order {
        let rows = &by_village[code];
        let first = rows[0].number;
        let Some((a, list)) = village(sheet, first, Some(code_col), code, &form_id, ctx, &mut diags) else {
            continue;
        };
        team = a.team.clone();
        // The register's count and the reason: the same on every row that
        // gives them.
        let one = |c: Option<usize>, what: &str, diags: &mut Diags| -> Cell {
            let Some(c) = c else { return Cell { text: String::new(), row: first, col: None } };
            let mut got: Option<Cell> = None;
            for r in rows {
                let t = sheet.cell(r, c);
                if t.is_empty() {
                    continue;
                }
                match &got {
                    None => got = Some(Cell { text: t.to_string(), row: r.number, col: Some(c) }),
                    Some(g) if g.text != t => diags.push(sheet.diag(
                        r.number,
                        Some(c),
                        format!(
                            "village {code}: `{what}` is `{}` here but `{}` on row {}",
                            excerpt(t),
                            excerpt(&g.text),
                            g.row
                        ),
                    )),
                    _ => {}
                }
            }
            got.unwrap_or(Cell { text: String::new(), row: first, col: Some(c) })
        };
        let register = one(Some(reg_col), &labels[0], &mut diags);
        let extra = one(extra_col, &labels[1], &mut diags);
        if let Some(v) = check_village(sheet, rows, &cols, list, ctx.stage, (&register, &extra), &mut diags) {
            villages.push(v);
        }
    }
    if sheet.rows.is_empty() && !diags.has_errors() {
        diags.push(sheet.diag(sheet.header_row, None, "the file has no household rows"));
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(HouseholdFile { team, form_id, villages })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_parse_from_the_forms_words_and_ids() {
        assert_eq!(Skip::parse("空户"), Some(Skip::Vacant));
        assert_eq!(Skip::parse(" refused "), Some(Skip::Refused));
        assert_eq!(Skip::parse("拒访"), Some(Skip::Refused));
        assert_eq!(Skip::parse("超出户数"), Some(Skip::Beyond));
        assert_eq!(Skip::parse("不在"), None);
    }

    #[test]
    fn categories_mark_the_first_k_within_the_frames_count() {
        let list =
            List { code: "V".into(), households: 8, cap: 12, numbers: vec![7, 11, 12, 8, 10, 3, 1, 5, 4] };
        // 7, 8, 3 and 1 are the first four within 8: everything up to the 1.
        assert_eq!(categories(&list, 4), [MAIN, MAIN, MAIN, MAIN, MAIN, MAIN, MAIN, SPARE, SPARE]);
    }
}
