//! `sample.csv`, the published sample: UTF-8 with a byte-order mark so Excel
//! shows Chinese names, one row per sampled or reserve village, in stratum
//! order. Also the comparison that `verify` reports.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::design::Sample;
use crate::cell;
use crate::frame::Frame;
use crate::frame::tree::Population;

/// From this many rows on, a sample's table is made on two threads.
const PARALLEL_ROWS: usize = 2_000;

/// Digits after the decimal point for probabilities.
pub const PI_PLACES: usize = 12;

/// The header row, given the design's stage levels.
pub fn header(sample: &Sample) -> Vec<String> {
    let mut h: Vec<String> =
        ["code", "name", "county_code", "county", "township_code", "township", "stratum", "order"]
            .map(String::from)
            .to_vec();
    h.extend(sample.levels.iter().map(|l| format!("pi_{}", l.name())));
    h.extend(["pi", "certainty", "reserve_rank"].map(String::from));
    h
}

/// How `sample.csv` writes its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFields {
    /// As they are (algorithm v1).
    AsIs,
    /// A field beginning with `=`, `+`, `-`, `@`, tab, CR or `'` (and not a
    /// number) gets a `'` in front, so a spreadsheet shows it as text.
    Defused,
}

/// Renders a further round's sample (SAMPLING.md §15): the columns of
/// `sample.csv` and `round`, the round each row joined.
pub fn round_csv(rs: &super::rounds::RoundSample, pop: &Population<'_>) -> Vec<u8> {
    Table::new(&rs.sample, pop.frame, TextFields::Defused, Some(&rs.joined)).to_csv()
}

/// The fields of `sample.csv` before they are written: its header and a
/// row of texts per village. `draw` makes `sample.xlsx` from the same rows
/// while the CSV is written.
pub struct Table<'a> {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cow<'a, str>>>,
}

impl<'a> Table<'a> {
    /// The rows of `sample` (with the round each row joined, for a further
    /// round's sample). Text fields are borrowed unless a `'` is put in
    /// front: seven a row, some two hundred thousand for a national sample.
    pub fn new(sample: &'a Sample, f: &'a Frame, text: TextFields, joined: Option<&[u32]>) -> Table<'a> {
        let mut header = header(sample);
        if joined.is_some() {
            header.push("round".to_string());
        }
        let width = header.len();
        let row = |i: usize| {
            let field = |s: &'a str| match text {
                TextFields::AsIs => Cow::Borrowed(s),
                TextFields::Defused => cell::defuse(s),
            };
            let d = &sample.rows[i];
            let v = &f.villages[d.village];
            let (c, t) = (&f.counties[v.county], &f.townships[v.township]);
            let texts = [f.code(d.village), f.name(d.village), &c.key, &c.name, &t.key, &t.name, &d.stratum];
            let mut row = Vec::with_capacity(width);
            row.extend(texts.into_iter().map(field));
            row.push(Cow::Owned(d.order.to_string()));
            row.extend(d.stage_pi.iter().chain([&d.pi]).map(|p| Cow::Owned(p.decimal(PI_PLACES))));
            row.push(Cow::Borrowed(d.basis.flag()));
            row.push(d.reserve.map_or(Cow::Borrowed(""), |r| Cow::Owned(r.to_string())));
            if let Some(j) = joined {
                row.push(Cow::Owned(j[i].to_string()));
            }
            row
        };
        let n = sample.rows.len();
        // A national sample's rows are made in two halves on two threads:
        // each row reads villages, areas and names scattered over the frame.
        let rows = if n >= PARALLEL_ROWS {
            std::thread::scope(|sc| {
                let second = sc.spawn(|| (n / 2..n).map(row).collect::<Vec<_>>());
                let mut rows: Vec<_> = (0..n / 2).map(row).collect();
                rows.extend(second.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
                rows
            })
        } else {
            (0..n).map(row).collect()
        };
        Table { header, rows }
    }

    /// The bytes of the file: UTF-8 with a byte-order mark, `\n` line ends.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = b"\xEF\xBB\xBF".to_vec();
        {
            let mut w =
                csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(&mut out);
            // Writing to a Vec cannot fail.
            w.write_record(&self.header).expect("write to memory");
            for row in &self.rows {
                w.write_record(row.iter().map(|c| c.as_bytes())).expect("write to memory");
            }
            w.flush().expect("write to memory");
        }
        out
    }
}

/// Rows of a sample file keyed by (code, reserve rank), for comparison.
pub type Rows = BTreeMap<(String, String), Vec<(String, String)>>;

/// Reads `sample.csv` bytes into rows keyed by code and reserve rank.
pub fn read_rows(bytes: &[u8]) -> Result<(Vec<String>, Rows), String> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new().from_reader(body);
    let header: Vec<String> = rdr.headers().map_err(|e| e.to_string())?.iter().map(String::from).collect();
    let code = header.iter().position(|h| h == "code").ok_or("no `code` column")?;
    let rank = header.iter().position(|h| h == "reserve_rank").ok_or("no `reserve_rank` column")?;
    let mut rows = Rows::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        let key = (rec.get(code).unwrap_or("").to_string(), rec.get(rank).unwrap_or("").to_string());
        let fields = header.iter().cloned().zip(rec.iter().map(String::from)).collect();
        if rows.insert(key.clone(), fields).is_some() {
            return Err(format!("village {} appears twice", key.0));
        }
    }
    Ok((header, rows))
}

/// Lists the differences between the published sample and the re-derived
/// one, unit by unit. Empty when they agree.
pub fn diff(published: &[u8], derived: &[u8]) -> Vec<String> {
    if published == derived {
        return Vec::new();
    }
    let (ph, p) = match read_rows(published) {
        Ok(x) => x,
        Err(e) => return vec![format!("the published sample cannot be read: {e}")],
    };
    let (dh, d) = match read_rows(derived) {
        Ok(x) => x,
        Err(e) => {
            return vec![format!("internal: the re-derived sample cannot be read: {e}")];
        }
    };
    let mut out = Vec::new();
    if ph != dh {
        out.push(format!("columns differ: published [{}], re-derived [{}]", ph.join(","), dh.join(",")));
    }
    let what = |k: &(String, String)| {
        if k.1.is_empty() { format!("village {}", k.0) } else { format!("reserve {} (rank {})", k.0, k.1) }
    };
    for (k, fields) in &d {
        match p.get(k) {
            None => out.push(format!("{} is missing from the published sample", what(k))),
            Some(pf) => {
                for (name, value) in fields {
                    let theirs = pf.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str());
                    if theirs != value {
                        out.push(format!("{}: {name} is `{theirs}` but re-derives as `{value}`", what(k)));
                    }
                }
            }
        }
    }
    for k in p.keys().filter(|k| !d.contains_key(*k)) {
        out.push(format!("{} is in the published sample but not in the re-derived one", what(k)));
    }
    if out.is_empty() {
        out.push(
            "the files differ in row order or formatting; rows must be in the order SAMPLING.md gives"
                .to_string(),
        );
    }
    out
}
