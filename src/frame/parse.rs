//! Parsing and validation of frame CSV text. Pure: takes text, returns the
//! frame and every problem found, each with the file and line.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use super::{Area, Frame, FrameSchema, Village};
use crate::error::{Diag, Diags, excerpt};

/// Header matching ignores case and all white space (including the
/// ideographic space Excel users type), so `Women 15-49` equals `women15-49`.
pub fn normalize_header(h: &str) -> String {
    h.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

/// Column roles other than sizes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Code,
    Name,
    County,
    CountyCode,
    Township,
    TownshipCode,
    Size(usize),
    Extra,
}

const TOTAL_WORDS: [&str; 4] = ["合计", "总计", "小计", "共计"];

fn looks_like_total(cell: &str) -> bool {
    // All four words end in 计 (E8 AE A1 in UTF-8), so one byte scan rules out
    // most cells; a substring search per word would cost more than the rest
    // of the row.
    if cell.as_bytes().windows(3).any(|w| w == "计".as_bytes())
        && TOTAL_WORDS.iter().any(|w| cell.contains(w))
    {
        return true;
    }
    let t = cell.trim();
    ["total", "subtotal", "sum"].iter().any(|w| t.eq_ignore_ascii_case(w))
        || t.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("total "))
}

/// Excel turns long numeric codes into `1.30921E+11` unless the column is text.
fn looks_like_scientific(code: &str) -> bool {
    let c = code.trim();
    let Some(e) = c.find(['e', 'E']) else {
        return false;
    };
    let (mant, exp) = (&c[..e], &c[e + 1..]);
    !mant.is_empty()
        && mant.chars().all(|ch| ch.is_ascii_digit() || ch == '.')
        && exp.trim_start_matches(['+', '-']).chars().all(|ch| ch.is_ascii_digit())
        && !exp.is_empty()
}

/// Parses frame CSV text against a schema. Returns the rows that parsed and
/// every problem found; callers treat any error as fatal.
pub fn parse(file: &str, text: &str, schema: &FrameSchema) -> (Frame, Diags) {
    let mut diags = Diags::default();
    let mut frame = Frame { file: file.to_string(), size_names: schema.sizes.clone(), ..Frame::default() };
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();

    // The header row.
    let header_line = match rdr.read_record(&mut record) {
        Ok(true) => record.position().map_or(1, |p| p.line()),
        Ok(false) => {
            diags.push(Diag::error(file, None, "the file is empty: expected a header row"));
            return (frame, diags);
        }
        Err(e) => {
            diags.push(csv_error(file, &e));
            return (frame, diags);
        }
    };
    let Some(columns) = map_headers(file, header_line, &record, schema, &mut diags) else {
        return (frame, diags);
    };
    let width = record.len();
    let nsizes = schema.sizes.len();

    // Presize from the line count: a frame is mostly villages, and growing
    // vectors by doubling would briefly hold twice their memory.
    let expect_rows = text.bytes().filter(|&b| b == b'\n').count();
    frame.villages.reserve_exact(expect_rows);
    frame.sizes.reserve_exact(expect_rows * nsizes);
    frame.arena.reserve(text.len() / 3);
    let col_of = |role: Role| columns.iter().position(|r| *r == role);
    let (c_code, c_name, c_county, c_township) =
        (col_of(Role::Code), col_of(Role::Name), col_of(Role::County), col_of(Role::Township));
    let (c_ccode, c_tcode) = (col_of(Role::CountyCode), col_of(Role::TownshipCode));
    let c_sizes: Vec<Option<usize>> = (0..nsizes).map(|k| col_of(Role::Size(k))).collect();

    let mut county_ix: FxHashMap<String, usize> = FxHashMap::default();
    let mut township_ix: FxHashMap<String, usize> = FxHashMap::default();
    // For the "last row is the sum of the others" check.
    let mut sums = vec![0u128; nsizes];
    let mut rows = 0u64;
    let mut sizes_row = vec![0u64; nsizes];
    let mut tkey_buf = String::new();
    // Trimmed byte ranges of the current record's cells: each cell is
    // trimmed once, however often it is looked at.
    let mut cells: Vec<std::ops::Range<usize>> = Vec::with_capacity(width);
    let mapped: Vec<(usize, Role)> =
        columns.iter().copied().enumerate().filter(|(_, r)| *r != Role::Extra).collect();

    let job = crate::progress::job(crate::progress::Task::ReadFrame, text.len() as u64);
    let mut read = 0u64;
    loop {
        match rdr.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                diags.push(csv_error(file, &e));
                continue;
            }
        }
        read += 1;
        if read.is_multiple_of(8192) {
            job.set(record.position().map_or(0, |p| p.byte()));
        }
        let line = crate::text::record_line(text.as_bytes(), record.position());
        let all = record.as_slice();
        cells.clear();
        for i in 0..record.len() {
            let r = record.range(i).unwrap_or(0..0);
            let raw = &all[r.clone()];
            let t = raw.trim_start();
            let start = r.start + (raw.len() - t.len());
            cells.push(start..start + t.trim_end().len());
        }
        if cells.iter().all(|r| r.is_empty()) {
            continue; // blank lines, including the ",,,," Excel leaves behind
        }
        if record.len() != width {
            diags.push(Diag::at_line(
                file,
                line,
                format!("expected {width} fields as in the header, found {}", record.len()),
            ));
            continue;
        }
        rows += 1;
        let cell = |c: Option<usize>| c.and_then(|i| cells.get(i)).map_or("", |r| &all[r.clone()]);
        let (code, name, county, township) = (cell(c_code), cell(c_name), cell(c_county), cell(c_township));

        let labels_total = [code, name, county, township].iter().any(|c| looks_like_total(c));
        let unlabelled_numbers =
            code.is_empty() && cells.iter().all(|r| r.is_empty() || all[r.clone()].parse::<u64>().is_ok());
        if labels_total || unlabelled_numbers {
            diags.push(Diag::at_line(
                file,
                line,
                "this row looks like a totals row (合计/总计/小计/total); a frame lists villages only",
            ));
            continue;
        }
        let mut row_ok = true;
        for &(i, role) in &mapped {
            if cells[i].is_empty() {
                diags.push(Diag::at_line(
                    file,
                    line,
                    format!("empty cell in column `{}`", &record_header(schema, role)),
                ));
                row_ok = false;
            }
        }
        if looks_like_scientific(code) {
            diags.push(Diag::at_line(
                file,
                line,
                format!(
                    "village code `{}` looks like Excel scientific notation; format the code column as text and export again",
                    excerpt(code)
                ),
            ));
            row_ok = false;
        }
        for (k, slot) in sizes_row.iter_mut().enumerate() {
            let raw = cell(c_sizes[k]);
            if raw.is_empty() {
                continue;
            }
            match parse_size(raw) {
                Ok(v) => *slot = v,
                Err(why) => {
                    diags.push(Diag::at_line(file, line, format!("`{}`: {why}", schema.sizes[k])));
                    row_ok = false;
                }
            }
        }

        // Hierarchy: a county key has one name, a township one county.
        let ckey = if c_ccode.is_some() { cell(c_ccode) } else { county };
        let ci = match county_ix.get(ckey) {
            Some(&ci) => {
                let known = &frame.counties[ci];
                if c_ccode.is_some() && known.name != county && !county.is_empty() {
                    diags.push(Diag::at_line(
                        file,
                        line,
                        format!(
                            "county code {} is named `{}` here but `{}` earlier",
                            excerpt(ckey),
                            excerpt(county),
                            excerpt(&known.name)
                        ),
                    ));
                }
                ci
            }
            None => {
                frame.counties.push(Area {
                    key: ckey.to_string(),
                    name: county.to_string(),
                    parent: usize::MAX,
                });
                county_ix.insert(ckey.to_string(), frame.counties.len() - 1);
                frame.counties.len() - 1
            }
        };
        let tkey: &str = if c_tcode.is_some() {
            cell(c_tcode)
        } else {
            tkey_buf.clear();
            tkey_buf.push_str(ckey);
            tkey_buf.push('/');
            tkey_buf.push_str(township);
            &tkey_buf
        };
        let ti = match township_ix.get(tkey) {
            Some(&ti) => {
                let known = &frame.townships[ti];
                if known.parent != ci {
                    diags.push(Diag::at_line(
                        file,
                        line,
                        format!(
                            "township {} ({}) is under county {} here but under county {} earlier; a township belongs to one county",
                            excerpt(tkey),
                            excerpt(township),
                            excerpt(&frame.counties[ci].key),
                            excerpt(&frame.counties[known.parent].key)
                        ),
                    ));
                } else if c_tcode.is_some() && known.name != township && !township.is_empty() {
                    diags.push(Diag::at_line(
                        file,
                        line,
                        format!(
                            "township code {} is named `{}` here but `{}` earlier",
                            excerpt(tkey),
                            excerpt(township),
                            excerpt(&known.name)
                        ),
                    ));
                }
                ti
            }
            None => {
                frame.townships.push(Area { key: tkey.to_string(), name: township.to_string(), parent: ci });
                township_ix.insert(tkey.to_string(), frame.townships.len() - 1);
                frame.townships.len() - 1
            }
        };
        if !row_ok {
            continue;
        }
        for (k, v) in sizes_row.iter().enumerate() {
            sums[k] += u128::from(*v);
        }
        let (code, name) = (frame.intern(code), frame.intern(name));
        frame.villages.push(Village { code, name, county: ci, township: ti, line });
        frame.sizes.extend_from_slice(&sizes_row);
    }

    // A row equal to the sum of all the others is a totals row whose label
    // cells were filled with something innocent (a numeric code, real
    // names), wherever it stands. Columns the row leaves at 0 are not
    // compared: a totals row may sum only some of them. At least three other
    // villages, so that 10 + 20 = 30 is not taken for a total.
    if frame.villages.len() >= 4 && nsizes > 0 {
        for v in 0..frame.villages.len() {
            let (mut equal, mut differ) = (false, false);
            for (k, total) in sums.iter().enumerate() {
                let x = u128::from(frame.size(v, k));
                if x > 0 {
                    if 2 * x == *total { equal = true } else { differ = true }
                }
            }
            if equal && !differ {
                diags.push(Diag::at_line(
                    file,
                    frame.villages[v].line,
                    "this row equals the sum of all other rows in every size column it fills; it looks like a totals row",
                ));
            }
        }
    }
    // A subtotal row often carries its county's or township's own code.
    if c_ccode.is_some() || c_tcode.is_some() {
        let areas: FxHashMap<&str, (&str, &Area)> = frame
            .counties
            .iter()
            .filter(|_| c_ccode.is_some())
            .map(|a| (a.key.as_str(), ("county", a)))
            .chain(
                frame
                    .townships
                    .iter()
                    .filter(|_| c_tcode.is_some())
                    .map(|a| (a.key.as_str(), ("township", a))),
            )
            .collect();
        for v in &frame.villages {
            let code = frame.text(v.code);
            if let Some((what, area)) = areas.get(code) {
                diags.push(Diag::at_line(
                    file,
                    v.line,
                    format!(
                        "village code {} is the code of {what} {} too; a frame lists villages only, not totals of a {what}",
                        excerpt(code),
                        excerpt(&area.name)
                    ),
                ));
            }
        }
    }
    if rows == 0 && diags.is_empty() {
        diags.push(Diag::error(file, None, "the file has a header but no villages"));
    }
    frame.by_code = sort_by_code(&frame);
    report_duplicates(file, &frame, &mut diags);
    (frame, diags)
}

/// A sort key that orders like the code's bytes: the first 16 bytes packed
/// big-endian (a shorter code is zero-padded, and codes hold no NUL bytes).
/// Ties, rare, fall back to the full bytes.
fn code_prefix(code: &str) -> u128 {
    let mut buf = [0u8; 16];
    let n = code.len().min(16);
    buf[..n].copy_from_slice(&code.as_bytes()[..n]);
    u128::from_be_bytes(buf)
}

/// Village indices sorted by code (byte order), then by line.
fn sort_by_code(frame: &Frame) -> Vec<u32> {
    let mut keyed: Vec<(u128, u32)> =
        (0..frame.villages.len()).map(|i| (code_prefix(frame.code(i)), i as u32)).collect();
    keyed.sort_unstable();
    // Runs with an equal prefix (codes longer than 16 bytes, or duplicates)
    // are put in full code order, then line order.
    let full = |a: &(u128, u32), b: &(u128, u32)| {
        let (x, y) = (a.1 as usize, b.1 as usize);
        frame.code(x).cmp(frame.code(y)).then(frame.villages[x].line.cmp(&frame.villages[y].line))
    };
    for run in keyed.chunk_by_mut(|a, b| a.0 == b.0) {
        if run.len() > 1 {
            run.sort_unstable_by(full);
        }
    }
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// Equal codes sit together in code order; each repeat is an error on its
/// own line, naming the first.
fn report_duplicates(file: &str, frame: &Frame, diags: &mut Diags) {
    let village = |j: usize| &frame.villages[frame.by_code[j] as usize];
    let mut run_start = 0;
    for j in 1..frame.by_code.len() {
        let (first, b) = (village(run_start), village(j));
        let code = frame.text(b.code);
        if frame.text(first.code) != code {
            run_start = j;
            continue;
        }
        let msg = if first.township != b.township {
            format!(
                "village {} is listed under two townships: {} here and {} on line {}",
                excerpt(code),
                excerpt(&frame.townships[b.township].key),
                excerpt(&frame.townships[first.township].key),
                first.line
            )
        } else {
            format!("duplicate village code {} (also on line {})", excerpt(code), first.line)
        };
        diags.push(Diag::at_line(file, b.line, msg));
    }
}

fn record_header(schema: &FrameSchema, role: Role) -> String {
    match role {
        Role::Code => schema.code.clone(),
        Role::Name => schema.name.clone(),
        Role::County => schema.county.clone(),
        Role::CountyCode => schema.county_code.clone().unwrap_or_default(),
        Role::Township => schema.township.clone(),
        Role::TownshipCode => schema.township_code.clone().unwrap_or_default(),
        Role::Size(k) => schema.sizes[k].clone(),
        Role::Extra => String::new(),
    }
}

fn parse_size(raw: &str) -> Result<u64, String> {
    if let Ok(v) = raw.parse::<u64>() {
        return Ok(v);
    }
    if raw.starts_with('-') && raw[1..].parse::<u64>().is_ok() {
        return Err(format!("negative size {}; sizes count people or households and are ≥ 0", excerpt(raw)));
    }
    if raw.contains(',') && raw.replace(',', "").parse::<u64>().is_ok() {
        // Unlike findings and reports, a frame's sizes have no separators:
        // SAMPLING.md fixes how its bytes become numbers for every verifier.
        return Err(format!(
            "`{}` has a thousands separator, which a frame may not have (SAMPLING.md); write the number without it (in Excel: format the column as General (常规), or as Number without the 1000 separator, and save again)",
            excerpt(raw)
        ));
    }
    Err(format!("`{}` is not a whole number", excerpt(raw)))
}

fn csv_error(file: &str, e: &csv::Error) -> Diag {
    let line = e.position().map(|p| p.line());
    let msg = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 text".to_string(),
        _ => format!("unreadable CSV: {e}"),
    };
    match line {
        Some(l) => Diag::at_line(file, l, msg),
        None => Diag::error(file, None, msg),
    }
}

/// Maps each header to its role. Returns `None` when a required column is
/// missing, since no row can then be read.
fn map_headers(
    file: &str,
    line: u64,
    headers: &csv::StringRecord,
    schema: &FrameSchema,
    diags: &mut Diags,
) -> Option<Vec<Role>> {
    let mut wanted: Vec<(String, Role, &str)> = vec![
        (normalize_header(&schema.code), Role::Code, &schema.code),
        (normalize_header(&schema.name), Role::Name, &schema.name),
        (normalize_header(&schema.county), Role::County, &schema.county),
        (normalize_header(&schema.township), Role::Township, &schema.township),
    ];
    if let Some(c) = &schema.county_code {
        wanted.push((normalize_header(c), Role::CountyCode, c));
    }
    if let Some(c) = &schema.township_code {
        wanted.push((normalize_header(c), Role::TownshipCode, c));
    }
    for (k, s) in schema.sizes.iter().enumerate() {
        wanted.push((normalize_header(s), Role::Size(k), s));
    }
    for s in &schema.extra {
        wanted.push((normalize_header(s), Role::Extra, s));
    }

    let mut roles = Vec::with_capacity(headers.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim_start_matches('\u{feff}');
        let norm = normalize_header(h);
        if let Some(first) = seen.get(&norm) {
            diags.push(Diag::at_line(
                file,
                line,
                format!(
                    "duplicate header `{}` in column {} (same as column {})",
                    excerpt(h),
                    i + 1,
                    first + 1
                ),
            ));
            roles.push(Role::Extra);
            continue;
        }
        seen.insert(norm.clone(), i);
        match wanted.iter().find(|w| w.0 == norm) {
            Some(w) => roles.push(w.1),
            None => {
                let expected: Vec<&str> = wanted.iter().map(|w| w.2).collect();
                diags.push(Diag::at_line(
                    file,
                    line,
                    format!(
                        "unknown header `{}` in column {} (expected: {})",
                        excerpt(h),
                        i + 1,
                        expected.join(", ")
                    ),
                ));
                roles.push(Role::Extra);
            }
        }
    }
    let mut complete = true;
    for (norm, role, shown) in &wanted {
        if *role != Role::Extra && !seen.contains_key(norm) {
            diags.push(Diag::at_line(file, line, format!("missing column `{shown}`")));
            complete = false;
        }
    }
    complete.then_some(roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> FrameSchema {
        FrameSchema { sizes: vec!["population".into()], ..FrameSchema::default() }
    }

    #[test]
    fn parses_a_small_frame() {
        let text = "code,name,county,township,population\n3,c,A,t1,30\n1,a,A,t1,10\n2,b,B,t2,20\n";
        let (f, d) = parse("f.csv", text, &schema());
        assert!(d.is_empty(), "{d}");
        assert_eq!(f.villages.len(), 3);
        assert_eq!(f.counties.len(), 2);
        assert_eq!(f.size(1, 0), 10);
        assert_eq!(f.villages[2].line, 4);
    }

    #[test]
    fn headers_match_ignoring_case_and_space() {
        let text = " Code ,NAME,County,Town ship,Popu lation\n1,a,A,t,1\n";
        let s = FrameSchema { township: "township".into(), ..schema() };
        let (f, d) = parse("f.csv", text, &s);
        assert!(d.is_empty(), "{d}");
        assert_eq!(f.villages.len(), 1);
    }

    #[test]
    fn scientific_codes_are_caught() {
        assert!(looks_like_scientific("1.30921E+11"));
        assert!(!looks_like_scientific("130921104203"));
        assert!(!looks_like_scientific("E1"));
    }

    #[test]
    fn totals_words() {
        assert!(looks_like_total("合计"));
        assert!(looks_like_total(" Total "));
        assert!(!looks_like_total("王家庄"));
    }
}
