//! Counties' self-reports (自查): validated against the frame and the
//! rules' fields and constraints before they are frozen with the inputs.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::columns::{self, Role};
use super::table::Sheet;
use super::values::{self, Value};
use crate::error::{Diags, excerpt};
use crate::frame::Frame;
use crate::rules::{Field, FieldLevel, Kind, Rules};
use crate::snapshot::{Reader, Refused, Writer};

/// One reported row: a village (or a county, for county-level fields).
#[derive(Debug, Clone, PartialEq)]
pub struct Reported {
    pub code: String,
    /// The village's index in the frame, or the county's.
    pub index: usize,
    pub county: usize,
    pub is_county: bool,
    pub values: Vec<(String, Value)>,
}

/// A reported row as readers of frozen reports see it, from a snapshot or
/// from the file: the values by their field's place in [`reported_fields`].
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    /// The village's index in the frame, or the county's.
    pub index: usize,
    pub county: usize,
    pub is_county: bool,
    /// (index into the reported fields, value), in the rules' field order.
    pub values: &'a [(usize, Value)],
}

impl RowRef<'_> {
    /// The village's or county's code.
    pub fn code<'f>(&self, frame: &'f Frame) -> &'f str {
        if self.is_county { &frame.counties[self.index].key } else { frame.code(self.index) }
    }
}

/// The fields a self-report may hold, in the rules' order.
pub fn reported_fields(rules: &Rules) -> Vec<&Field> {
    rules.inspection.fields.iter().filter(|f| f.reported).collect()
}

impl Reported {
    /// The row's values by field place, in the rules' order.
    pub fn indexed(&self, fields: &[&Field]) -> Vec<(usize, Value)> {
        let mut out: Vec<(usize, Value)> = self
            .values
            .iter()
            .filter_map(|(id, v)| Some((fields.iter().position(|f| &f.id == id)?, v.clone())))
            .collect();
        out.sort_by_key(|(i, _)| *i);
        out
    }
}

/// A validated report file.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFile {
    pub rows: Vec<Reported>,
}

/// The frame's villages and counties by code, built once for many files.
pub struct CodeIndex<'f> {
    villages: HashMap<&'f str, usize>,
    counties: HashMap<&'f str, usize>,
}

impl<'f> CodeIndex<'f> {
    pub fn new(frame: &'f Frame) -> CodeIndex<'f> {
        CodeIndex {
            villages: (0..frame.villages.len()).map(|i| (frame.code(i), i)).collect(),
            counties: frame.counties.iter().enumerate().map(|(i, c)| (c.key.as_str(), i)).collect(),
        }
    }

    /// A village's value of a frame size column, or a county's total.
    pub fn size(&self, frame: &Frame, code: &str, is_county: bool, column: &str) -> Option<u64> {
        let col = frame.size_column(column)?;
        if is_county {
            let c = *self.counties.get(code)?;
            Some(
                (0..frame.villages.len())
                    .filter(|&v| frame.villages[v].county == c)
                    .map(|v| frame.size(v, col))
                    .sum(),
            )
        } else {
            self.villages.get(code).map(|&v| frame.size(v, col))
        }
    }
}

/// How a report is read: on import, with every check; or frozen, as it was
/// accepted. A frozen report cannot be changed, so checks added since its
/// import (figures present, plausible values) are not made again: a
/// campaign frozen earlier stays readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Import,
    Frozen,
}

/// Validates a report sheet. `already` holds codes reported by files
/// imported earlier; a code reported twice is an error.
pub fn validate(
    sheet: &Sheet,
    rules: &Rules,
    frame: &Frame,
    index: &CodeIndex<'_>,
    already: &HashSet<String>,
    reading: Reading,
) -> Result<ReportFile, Diags> {
    let import = reading == Reading::Import;
    let fields = reported_fields(rules);
    let roles = [Role {
        name: "code",
        headers: vec![rules.frame.code.clone(), "code".into(), "村代码".into(), "代码".into()],
        required: true,
    }];
    let ignore = [
        rules.frame.name.clone(),
        rules.frame.county.clone(),
        rules.frame.township.clone(),
        "name".into(),
        "村名".into(),
        "备注".into(),
        "note".into(),
    ];
    let cols = columns::map(sheet, &roles, &fields, &ignore)?;
    let code_col = cols.role("code").unwrap_or(0);
    let (villages, counties) = (&index.villages, &index.counties);

    let mut diags = Diags::default();
    // A report without figures would be frozen as if the county had
    // reported: refused, so that its villages count as left out instead.
    if import && cols.fields.is_empty() {
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        diags.push(sheet.diag(
            sheet.header_row,
            None,
            format!("no column holds a figure the rules ask for (expected some of: {})", names.join(", ")),
        ));
        return Err(diags);
    }
    if import && sheet.rows.is_empty() {
        diags.push(sheet.diag(sheet.header_row, None, "the file has a header but no rows"));
        return Err(diags);
    }
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut rows = Vec::new();
    for row in &sheet.rows {
        let code = sheet.cell(row, code_col).to_string();
        if code.is_empty() {
            diags.push(sheet.diag(row.number, Some(code_col), "empty code"));
            continue;
        }
        let (at, county, is_county) = match (villages.get(code.as_str()), counties.get(code.as_str())) {
            (Some(&v), _) => (v, frame.villages[v].county, false),
            (None, Some(&c)) => (c, c, true),
            (None, None) => {
                let msg = if crate::error::looks_like_scientific(&code) {
                    crate::error::scientific_hint("code", &code)
                } else {
                    format!("code {} is not a village or county of the frame", excerpt(&code))
                };
                diags.push(sheet.diag(row.number, Some(code_col), msg));
                continue;
            }
        };
        if let Some(first) = seen.get(&code) {
            diags.push(sheet.diag(
                row.number,
                Some(code_col),
                format!("code {code} is reported twice (also on row {first})"),
            ));
            continue;
        }
        if already.contains(&code) {
            diags.push(sheet.diag(
                row.number,
                Some(code_col),
                format!("code {code} was already reported in an earlier file"),
            ));
            continue;
        }
        seen.insert(code.clone(), row.number);
        let mut values = Vec::new();
        for &(col, f) in &cols.fields {
            let raw = sheet.cell(row, col);
            if raw.is_empty() {
                continue;
            }
            let wrong_level = (f.level == FieldLevel::County) != is_county;
            if wrong_level {
                let which = if is_county { "a county" } else { "a village" };
                diags.push(sheet.diag(
                    row.number,
                    Some(col),
                    format!(
                        "`{}` is a {}-level field, but this row is {which}",
                        f.name,
                        if f.level == FieldLevel::County { "county" } else { "village" }
                    ),
                ));
                continue;
            }
            let size = |column: &str| index.size(frame, &code, is_county, column);
            let plausible =
                |v: Value| if import { values::plausible(f, raw, &v, &size).map(|_| v) } else { Ok(v) };
            match values::parse(f.kind, raw).and_then(plausible) {
                Ok(v) => values.push((f.id.clone(), v)),
                Err(why) => diags.push(sheet.diag(row.number, Some(col), format!("`{}`: {why}", f.name))),
            }
        }
        let blank = cols.fields.iter().all(|&(col, _)| sheet.cell(row, col).is_empty());
        if import && blank {
            diags.push(sheet.diag(
                row.number,
                None,
                format!(
                    "{} {code} has no figures; fill them in, or leave the row out (a village left out counts as the worst case)",
                    if is_county { "county" } else { "village" }
                ),
            ));
            continue;
        }
        check_constraints(sheet, row.number, rules, &values, &mut diags);
        rows.push(Reported { code, index: at, county, is_county, values });
    }
    if diags.has_errors() { Err(diags) } else { Ok(ReportFile { rows }) }
}

/// Checks the rules' constraints on one row's values.
pub fn check_constraints(
    sheet: &Sheet,
    row: u64,
    rules: &Rules,
    values: &[(String, Value)],
    diags: &mut Diags,
) {
    let get = |id: &str| values.iter().find(|(f, _)| f == id).and_then(|(_, v)| v.number());
    for c in &rules.inspection.constraints {
        if c.holds(&get) == Some(false) {
            let why = if c.message.is_empty() { String::new() } else { format!(" ({})", c.message) };
            diags.push(sheet.diag(row, None, format!("violates `{}`{why}", c.text)));
        }
    }
}

/// The snapshot kind in the header of a reports snapshot.
pub const SNAPSHOT_KIND: &str = "reports";

fn kind_byte(k: Kind) -> u8 {
    match k {
        Kind::Count => 1,
        Kind::Amount => 2,
        Kind::YesNo => 3,
        Kind::Date => 4,
        Kind::Text => 5,
        Kind::Choice => 6,
    }
}

/// The rows of the reports one import accepted, gathered file by file into
/// a snapshot (layout in [`crate::snapshot`]): the fields, then per row the
/// village or county by its index in the frame and the values present,
/// integers in as few bytes as they need.
pub struct SnapshotRows {
    body: Writer<'static>,
    rows: u64,
}

impl Default for SnapshotRows {
    fn default() -> SnapshotRows {
        SnapshotRows { body: Writer::raw(), rows: 0 }
    }
}

impl SnapshotRows {
    pub fn add(&mut self, fields: &[&Field], r: &Reported) {
        self.body.var((r.index as u64) << 1 | u64::from(r.is_county));
        let values = r.indexed(fields);
        self.body.var(values.len() as u64);
        for (i, v) in &values {
            self.body.var(*i as u64);
            match v {
                Value::Count(x) | Value::Amount(x) => self.body.var(*x),
                Value::YesNo(b) => self.body.u8(u8::from(*b)),
                Value::Date(t) | Value::Text(t) | Value::Choice(t) => self.body.str(t),
            }
        }
        self.rows += 1;
    }

    /// The snapshot, made from the inputs `origin` names.
    pub fn finish(self, rules: &Rules, origin: &str) -> Option<Vec<u8>> {
        let fields = reported_fields(rules);
        let mut w = Writer::new(SNAPSHOT_KIND, origin, 0);
        w.u32(u32::try_from(fields.len()).ok()?);
        for f in &fields {
            w.str(&f.id);
            w.u8(kind_byte(f.kind));
        }
        w.u64(self.rows);
        w.bytes(&self.body.finish());
        Some(w.finish())
    }
}

/// Checks a reports snapshot through, without reading any row out.
pub fn check_snapshot(bytes: &[u8], rules: &Rules, frame: &Frame, origin: &str) -> Result<(), Refused> {
    read_snapshot(bytes, rules, frame, origin, None)
}

/// Hands each row of a reports snapshot to `visit`. Check the snapshot
/// through with [`check_snapshot`] first: rows are handed over as they are
/// read.
pub fn decode_snapshot(
    bytes: &[u8],
    rules: &Rules,
    frame: &Frame,
    origin: &str,
    visit: &mut dyn FnMut(&RowRef<'_>),
) -> Result<(), Refused> {
    read_snapshot(bytes, rules, frame, origin, Some(visit))
}

fn read_snapshot(
    bytes: &[u8],
    rules: &Rules,
    frame: &Frame,
    origin: &str,
    mut visit: Option<&mut dyn FnMut(&RowRef<'_>)>,
) -> Result<(), Refused> {
    let fields = reported_fields(rules);
    let mut r = Reader::new(bytes, SNAPSHOT_KIND, origin)?;
    let nf = r.count(9)?;
    if nf != fields.len() {
        return Err("made for other fields".into());
    }
    for f in &fields {
        if r.str()? != f.id || r.u8()? != kind_byte(f.kind) {
            return Err("made for other fields".into());
        }
    }
    let n = r.u64()?;
    let mut values: Vec<(usize, Value)> = Vec::with_capacity(fields.len());
    for _ in 0..n {
        let target = r.var()?;
        let (index, is_county) =
            (usize::try_from(target >> 1).map_err(|_| "index too large")?, target & 1 == 1);
        let county = if is_county {
            frame.counties.get(index).ok_or("an unknown county")?;
            index
        } else {
            frame.villages.get(index).ok_or("an unknown village")?.county
        };
        values.clear();
        let k = r.var()?;
        if k > fields.len() as u64 {
            return Err("more values than fields".into());
        }
        for _ in 0..k {
            let i = usize::try_from(r.var()?).map_err(|_| "field index too large")?;
            let f = fields.get(i).ok_or("an unknown field")?;
            let v = match f.kind {
                Kind::Count => Value::Count(r.var()?),
                Kind::Amount => Value::Amount(r.var()?),
                Kind::YesNo => Value::YesNo(r.u8()? != 0),
                Kind::Date => Value::Date(r.str()?.to_string()),
                Kind::Text => Value::Text(r.str()?.to_string()),
                Kind::Choice => Value::Choice(r.str()?.to_string()),
            };
            values.push((i, v));
        }
        if let Some(visit) = visit.as_mut() {
            visit(&RowRef { index, county, is_county, values: &values });
        }
    }
    r.done()
}

/// Per county: reported villages and the frame's villages left out.
pub fn coverage(frame: &Frame, reported: &HashSet<String>) -> BTreeMap<usize, (usize, Vec<String>)> {
    let mut out: BTreeMap<usize, (usize, Vec<String>)> = BTreeMap::new();
    for &i in &frame.by_code {
        let i = i as usize;
        let e = out.entry(frame.villages[i].county).or_default();
        if reported.contains(frame.code(i)) {
            e.0 += 1;
        } else {
            e.1.push(frame.code(i).to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::table;
    use crate::text::Encoding;

    /// A blank row or an absurd figure is refused on import; a frozen report
    /// is read as it was accepted.
    #[test]
    fn frozen_reports_are_read_as_accepted() {
        let rules_text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rules/ok/minimal.toml"))
                .unwrap()
                .replace(
                    "[[stage]]",
                    "[[field]]\nid = \"births\"\nname = \"出生\"\nkind = \"count\"\n\n[[stage]]",
                );
        let (rules, d) = crate::rules::parse("r.toml", &rules_text);
        assert!(!d.has_errors(), "{d}");
        let rules = rules.unwrap();
        let (frame, d) =
            crate::frame::parse("f.csv", "code,name,county,township\n1,a,A,t\n2,b,A,t\n", &rules.frame);
        assert!(!d.has_errors(), "{d}");
        let index = CodeIndex::new(&frame);
        for (text, why) in
            [("code,births\n1,\n2,3\n", "has no figures"), ("code,births\n1,99999999\n", "more than 1000000")]
        {
            let sheet = table::read("r.csv", text.as_bytes(), Encoding::Auto, None).unwrap();
            let err = validate(&sheet, &rules, &frame, &index, &HashSet::new(), Reading::Import).unwrap_err();
            assert!(err.to_string().contains(why), "{err}");
            assert!(validate(&sheet, &rules, &frame, &index, &HashSet::new(), Reading::Frozen).is_ok());
        }
    }
}
