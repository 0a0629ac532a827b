//! Counties' self-reports (自查): validated against the frame and the
//! rules' fields and constraints before they are frozen with the inputs.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use super::columns::{self, Role};
use super::table::{Sheet, Table};
use super::values::{self, Value};
use crate::error::{Diags, excerpt};
use crate::frame::Frame;
use crate::rules::{Field, FieldLevel, Kind, Rules};
use crate::snapshot::{Reader, Refused, Writer};

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

/// A validated report file: its accepted rows packed as a reports snapshot
/// holds them (see [`SnapshotRows`]), a few bytes a row. A national import
/// is half a million rows; held as rows of strings and values, they took
/// several times the frame's memory.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFile {
    rows: u64,
    packed: Vec<u8>,
}

impl ReportFile {
    /// The rows accepted.
    pub fn len(&self) -> usize {
        self.rows as usize
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Hands each accepted row to `visit`, in the file's order.
    pub fn rows(
        &self,
        rules: &Rules,
        frame: &Frame,
        visit: &mut dyn FnMut(&RowRef<'_>),
    ) -> Result<(), Refused> {
        let mut r = Reader::raw(&self.packed);
        read_rows(&mut r, self.rows, &reported_fields(rules), frame, Some(visit))?;
        r.done()
    }
}

/// The frame's villages and counties by code, built once for many files.
/// Villages are found through a table of their indices, open addressing by
/// the code's hash, compared against the frame's own codes: 4 bytes a slot
/// where a map of string keys takes 24, for half a million villages.
pub struct CodeIndex<'f> {
    frame: &'f Frame,
    /// A village's index + 1 at the first free slot from its code's hash;
    /// 0 marks a free slot. At most half full.
    slots: Vec<u32>,
    counties: HashMap<&'f str, usize>,
}

fn code_hash(code: &str) -> usize {
    rustc_hash::FxBuildHasher.hash_one(code) as usize
}

impl<'f> CodeIndex<'f> {
    pub fn new(frame: &'f Frame) -> CodeIndex<'f> {
        let n = frame.villages.len();
        let mut index = CodeIndex {
            frame,
            slots: vec![0; (2 * n).next_power_of_two().max(16)],
            counties: frame.counties.iter().enumerate().map(|(i, c)| (c.key.as_str(), i)).collect(),
        };
        let mask = index.slots.len() - 1;
        for v in 0..n {
            let code = frame.code(v);
            let mut at = code_hash(code) & mask;
            loop {
                match index.slots[at] {
                    0 => {
                        // A frame holds fewer than 2^32 villages (its code
                        // order is a list of u32).
                        index.slots[at] = v as u32 + 1;
                        break;
                    }
                    // A code given twice (never in a validated frame): the
                    // last one, as a map built in file order keeps it.
                    s if frame.code(s as usize - 1) == code => {
                        index.slots[at] = v as u32 + 1;
                        break;
                    }
                    _ => at = (at + 1) & mask,
                }
            }
        }
        index
    }

    /// The village with this code.
    pub fn village(&self, code: &str) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let mut at = code_hash(code) & mask;
        loop {
            match self.slots[at] {
                0 => return None,
                s if self.frame.code(s as usize - 1) == code => return Some(s as usize - 1),
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// The county with this code.
    pub fn county(&self, code: &str) -> Option<usize> {
        self.counties.get(code).copied()
    }

    /// A village's value of a frame size column, or a county's total.
    pub fn size(&self, frame: &Frame, code: &str, is_county: bool, column: &str) -> Option<u64> {
        let col = frame.size_column(column)?;
        if is_county {
            let c = self.county(code)?;
            Some(
                (0..frame.villages.len())
                    .filter(|&v| frame.villages[v].county == c)
                    .map(|v| frame.size(v, col))
                    .sum(),
            )
        } else {
            self.village(code).map(|v| frame.size(v, col))
        }
    }
}

/// The villages and counties reported, by their place in the frame: by
/// files accepted earlier, or by a row of the file being validated (which
/// a duplicate names). One mark each, so that neither the codes nor the
/// rows of a national file are held as strings. Made for one frame, and
/// used only with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedSet {
    /// Villages, then counties: [`NOT_REPORTED`], [`ACCEPTED`], or 2 + the
    /// row that reports it in the file being validated.
    marks: Vec<u64>,
    villages: usize,
}

const NOT_REPORTED: u64 = 0;
const ACCEPTED: u64 = 1;

impl ReportedSet {
    /// Nothing reported yet.
    pub fn new(frame: &Frame) -> ReportedSet {
        let villages = frame.villages.len();
        ReportedSet { marks: vec![NOT_REPORTED; villages + frame.counties.len()], villages }
    }

    fn slot(&self, is_county: bool, index: usize) -> usize {
        if is_county { self.villages + index } else { index }
    }

    /// Marks a village or county as reported by an accepted file.
    pub fn insert(&mut self, is_county: bool, index: usize) {
        let slot = self.slot(is_county, index);
        if let Some(m) = self.marks.get_mut(slot) {
            *m = ACCEPTED;
        }
    }

    /// Whether an accepted file reports the village or county.
    pub fn contains(&self, is_county: bool, index: usize) -> bool {
        self.marks.get(self.slot(is_county, index)) == Some(&ACCEPTED)
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

/// Validates a report sheet. `reported` holds what files accepted earlier
/// reported; a village or county reported twice is an error. An accepted
/// file's villages and counties are added to it; a refused file leaves it
/// as it was.
pub fn validate(
    table: &Table<'_>,
    rules: &Rules,
    frame: &Frame,
    index: &CodeIndex<'_>,
    reported: &mut ReportedSet,
    reading: Reading,
) -> Result<ReportFile, Diags> {
    let import = reading == Reading::Import;
    let sheet = &table.sheet;
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
    // Each field's column, with the field's place among the reported fields.
    let placed: Vec<(usize, &Field, usize)> = cols
        .fields
        .iter()
        .filter_map(|&(col, f)| Some((col, f, fields.iter().position(|g| g.id == f.id)?)))
        .collect();

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
    // The marks this file set in `reported`, to be made accepted or undone.
    let mut marked: Vec<usize> = Vec::new();
    let mut out = ReportFile { rows: 0, packed: Vec::new() };
    let mut packed = Writer::raw();
    let mut values: Vec<(usize, Value)> = Vec::with_capacity(fields.len());
    let mut rows = table.rows();
    let mut any = false;
    while let Some(row) = rows.next_row() {
        any = true;
        let code = sheet.cell(row, code_col);
        if code.is_empty() {
            diags.push(sheet.diag(row.number, Some(code_col), "empty code"));
            continue;
        }
        let found = index.village(code).map(|v| (v, false)).or_else(|| Some((index.county(code)?, true)));
        let (at, is_county) = match found {
            Some(found) => found,
            None => {
                let msg = if crate::error::looks_like_scientific(code) {
                    crate::error::scientific_hint("code", code)
                } else {
                    format!("code {} is not a village or county of the frame", excerpt(code))
                };
                diags.push(sheet.diag(row.number, Some(code_col), msg));
                continue;
            }
        };
        let slot = reported.slot(is_county, at);
        match reported.marks[slot] {
            NOT_REPORTED => {}
            ACCEPTED => {
                diags.push(sheet.diag(
                    row.number,
                    Some(code_col),
                    format!("code {code} was already reported in an earlier file"),
                ));
                continue;
            }
            mark => {
                diags.push(sheet.diag(
                    row.number,
                    Some(code_col),
                    format!("code {code} is reported twice (also on row {})", mark - 2),
                ));
                continue;
            }
        }
        reported.marks[slot] = row.number.saturating_add(2);
        marked.push(slot);
        let target = (at as u64) << 1 | u64::from(is_county);
        values.clear();
        for &(col, f, i) in &placed {
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
            let size = |column: &str| index.size(frame, code, is_county, column);
            let plausible =
                |v: Value| if import { values::plausible(f, raw, &v, &size).map(|_| v) } else { Ok(v) };
            match values::parse(f.kind, raw).and_then(plausible) {
                Ok(v) => values.push((i, v)),
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
        let get = |id: &str| {
            let i = fields.iter().position(|f| f.id == id)?;
            values.iter().find(|(j, _)| *j == i).and_then(|(_, v)| v.number())
        };
        constraints(sheet, row.number, rules, &get, &mut diags);
        // Once a file has a problem nothing of it is kept: packing stops.
        if !diags.has_errors() {
            values.sort_by_key(|(i, _)| *i);
            pack_row(&mut packed, target, &values);
            out.rows += 1;
        }
    }
    if import && !any {
        diags.push(sheet.diag(sheet.header_row, None, "the file has a header but no rows"));
    }
    let refused = diags.has_errors();
    for slot in marked {
        reported.marks[slot] = if refused { NOT_REPORTED } else { ACCEPTED };
    }
    if refused {
        return Err(diags);
    }
    out.packed = packed.finish();
    Ok(out)
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
    constraints(sheet, row, rules, &get, diags);
}

/// Checks the rules' constraints on one row, its values given by field id.
fn constraints(sheet: &Sheet, row: u64, rules: &Rules, get: &dyn Fn(&str) -> Option<f64>, diags: &mut Diags) {
    for c in &rules.inspection.constraints {
        if c.holds(get) == Some(false) {
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

/// One row as a reports snapshot holds it: the village or county by its
/// index in the frame (`index << 1 | is a county`), the number of values,
/// then each value's field place and the value, integers in as few bytes
/// as they need.
fn pack_row(w: &mut Writer<'_>, target: u64, values: &[(usize, Value)]) {
    w.var(target);
    w.var(values.len() as u64);
    for (i, v) in values {
        w.var(*i as u64);
        match v {
            Value::Count(x) | Value::Amount(x) => w.var(*x),
            Value::YesNo(b) => w.u8(u8::from(*b)),
            Value::Date(t) | Value::Text(t) | Value::Choice(t) => w.str(t),
        }
    }
}

/// The rows of the reports one import accepted, gathered file by file into
/// a snapshot (layout in [`crate::snapshot`]): the fields, then per row the
/// village or county by its index in the frame and the values present.
#[derive(Default)]
pub struct SnapshotRows {
    body: Vec<u8>,
    rows: u64,
}

impl SnapshotRows {
    /// Adds an accepted file's rows, already packed.
    pub fn add(&mut self, file: &ReportFile) {
        self.body.extend_from_slice(&file.packed);
        self.rows += file.rows;
    }

    /// The snapshot, made from the inputs `origin` names.
    pub fn finish(self, rules: &Rules, origin: &str) -> Option<Vec<u8>> {
        let fields = reported_fields(rules);
        let head: usize = fields.iter().map(|f| 9 + f.id.len()).sum::<usize>() + 12 + origin.len() + 32;
        let mut w = Writer::new(SNAPSHOT_KIND, origin, head + self.body.len());
        w.u32(u32::try_from(fields.len()).ok()?);
        for f in &fields {
            w.str(&f.id);
            w.u8(kind_byte(f.kind));
        }
        w.u64(self.rows);
        w.bytes(&self.body);
        Some(w.finish())
    }
}

/// Whether a reports snapshot is of this layout, made from `origin` for
/// the rules' reported fields: what decides between the snapshot and the
/// files. Its rows are not read here: the snapshot is used only when its
/// bytes hash to what the journal recorded, so they are the rows this
/// layout wrote, and reading half a million of them twice cost a tenth of
/// a national `score`.
pub fn check_snapshot(bytes: &[u8], rules: &Rules, origin: &str) -> Result<(), Refused> {
    snapshot_rows(bytes, rules, origin).map(|_| ())
}

/// Hands each row of a reports snapshot to `visit`, as they are read. A
/// snapshot that [`check_snapshot`] passes and that fails here was not
/// written by this layout: the caller stops with an error.
pub fn decode_snapshot(
    bytes: &[u8],
    rules: &Rules,
    frame: &Frame,
    origin: &str,
    visit: &mut dyn FnMut(&RowRef<'_>),
) -> Result<(), Refused> {
    let fields = reported_fields(rules);
    let (mut r, n) = snapshot_rows(bytes, rules, origin)?;
    read_rows(&mut r, n, &fields, frame, Some(visit))?;
    r.done()
}

/// The snapshot's header and fields checked; the reader at its rows, and
/// their count.
fn snapshot_rows<'b>(bytes: &'b [u8], rules: &Rules, origin: &str) -> Result<(Reader<'b>, u64), Refused> {
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
    Ok((r, n))
}

/// Reads `n` rows packed by [`pack_row`], checking every index against the
/// frame and the fields.
fn read_rows(
    r: &mut Reader<'_>,
    n: u64,
    fields: &[&Field],
    frame: &Frame,
    mut visit: Option<&mut dyn FnMut(&RowRef<'_>)>,
) -> Result<(), Refused> {
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
    Ok(())
}

/// A county's villages in the self-reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Villages reported.
    pub reported: usize,
    /// The frame's villages left out.
    pub left_out: usize,
    /// The first of them in code order, as many as asked for: a national
    /// frame's villages left out would be hundreds of thousands of codes.
    pub first_left_out: Vec<String>,
}

/// Per county: reported villages and the frame's villages left out, the
/// first `shown` of them by code.
pub fn coverage(frame: &Frame, reported: &ReportedSet, shown: usize) -> BTreeMap<usize, Coverage> {
    let mut out: BTreeMap<usize, Coverage> = BTreeMap::new();
    for &i in &frame.by_code {
        let i = i as usize;
        let e = out.entry(frame.villages[i].county).or_default();
        if reported.contains(false, i) {
            e.reported += 1;
        } else {
            e.left_out += 1;
            if e.first_left_out.len() < shown {
                e.first_left_out.push(frame.code(i).to_string());
            }
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
            let sheet = table::Table::read("r.csv", text.as_bytes(), Encoding::Auto, None).unwrap();
            let mut reported = ReportedSet::new(&frame);
            let err = validate(&sheet, &rules, &frame, &index, &mut reported, Reading::Import).unwrap_err();
            assert!(err.to_string().contains(why), "{err}");
            assert_eq!(reported, ReportedSet::new(&frame), "a refused file marks nothing");
            assert!(validate(&sheet, &rules, &frame, &index, &mut reported, Reading::Frozen).is_ok());
            assert!(reported.contains(false, 0), "an accepted file marks its villages");
        }
    }

    /// The code index finds every village of the frame and no other code,
    /// however the codes collide in its table.
    #[test]
    fn the_code_index_finds_every_village_and_nothing_else() {
        let mut text = String::from("code,name,county,township\n");
        for i in 0..3000 {
            text.push_str(&format!("13{:010},v{i},C{},t\n", i * 7, i % 3));
        }
        let (frame, d) = crate::frame::parse("f.csv", &text, &crate::frame::FrameSchema::default());
        assert!(!d.has_errors(), "{d}");
        let index = CodeIndex::new(&frame);
        for v in 0..frame.villages.len() {
            assert_eq!(index.village(frame.code(v)), Some(v));
        }
        for other in ["", "13", "130000000001", "1300000000070", "C0"] {
            assert_eq!(index.village(other), None, "{other}");
        }
        assert_eq!(index.county("C1"), Some(frame.counties.iter().position(|c| c.key == "C1").unwrap()));
        assert_eq!(index.county("C3"), None);
    }
}
