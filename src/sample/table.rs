//! `sample.csv`, the published sample: UTF-8 with a byte-order mark so Excel
//! shows Chinese names, one row per sampled or reserve village, in stratum
//! order. Also the comparison that `verify` reports.

use std::collections::BTreeMap;

use super::design::Sample;
use crate::cell;
use crate::frame::tree::Population;

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

/// Renders the sample as the bytes of `sample.csv`.
pub fn to_csv(sample: &Sample, pop: &Population<'_>, text: TextFields) -> Vec<u8> {
    write_csv(sample, pop, text, None)
}

/// Renders a further round's sample (SAMPLING.md §15): the columns of
/// `sample.csv` and `round`, the round each row joined.
pub fn round_csv(rs: &super::rounds::RoundSample, pop: &Population<'_>) -> Vec<u8> {
    write_csv(&rs.sample, pop, TextFields::Defused, Some(&rs.joined))
}

fn write_csv(sample: &Sample, pop: &Population<'_>, text: TextFields, joined: Option<&[u32]>) -> Vec<u8> {
    // Borrowed unless a `'` is put in front: seven text fields a row, some
    // two hundred thousand for a national sample.
    fn field(s: &str, text: TextFields) -> std::borrow::Cow<'_, str> {
        match text {
            TextFields::AsIs => std::borrow::Cow::Borrowed(s),
            TextFields::Defused => cell::defuse(s),
        }
    }
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(&mut out);
        // Writing to a Vec cannot fail.
        let mut head = header(sample);
        if joined.is_some() {
            head.push("round".to_string());
        }
        w.write_record(head).expect("write to memory");
        let f = pop.frame;
        for (i, d) in sample.rows.iter().enumerate() {
            let v = &f.villages[d.village];
            let (c, t) = (&f.counties[v.county], &f.townships[v.township]);
            let texts = [f.code(d.village), f.name(d.village), &c.key, &c.name, &t.key, &t.name, &d.stratum];
            for t in texts {
                w.write_field(field(t, text).as_bytes()).expect("write to memory");
            }
            w.write_field(d.order.to_string()).expect("write to memory");
            for p in d.stage_pi.iter().chain([&d.pi]) {
                w.write_field(p.decimal(PI_PLACES)).expect("write to memory");
            }
            w.write_field(d.basis.flag()).expect("write to memory");
            w.write_field(d.reserve.map_or(String::new(), |r| r.to_string())).expect("write to memory");
            if let Some(j) = joined {
                w.write_field(j[i].to_string()).expect("write to memory");
            }
            w.write_record(None::<&[u8]>).expect("write to memory");
        }
        w.flush().expect("write to memory");
    }
    out
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
