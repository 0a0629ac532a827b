//! Importing counties' self-reports into a campaign, before the commitment.
//! All files are validated first; any problem and none is imported.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::json;

use super::step::Step;
use super::{FileRecord, Workspace, read};
use crate::error::{Diags, Error, Result};
use crate::findings::reports::{self, ReportFile, Reported};
use crate::findings::table;
use crate::frame::Frame;
use crate::hash::sha256_hex;
use crate::rules::Rules;
use crate::text::Encoding;

/// The folder of frozen self-reports.
pub const REPORTS: &str = "reports";

/// What an import did.
pub struct Imported {
    pub files: Vec<FileRecord>,
    /// Files given again with the same content as already imported (the
    /// command was run again, for example after an interruption).
    pub already: Vec<String>,
    pub rows: usize,
    /// Per county: villages reported, and the frame's villages left out.
    pub coverage: BTreeMap<usize, (usize, Vec<String>)>,
    /// Counties with no self-report at all.
    pub silent: Vec<usize>,
}

/// Parses the frozen report files one at a time, handing each row to
/// `visit`, and returns every reported code. A file's text is dropped before
/// the next is read: reports of a whole country are large.
pub fn for_each(
    ws: &Workspace,
    rules: &Rules,
    frame: &Frame,
    mut visit: impl FnMut(&Reported),
) -> Result<HashSet<String>> {
    let mut seen = HashSet::new();
    let index = reports::CodeIndex::new(frame);
    let files: Vec<_> = ws.frozen.iter().filter(|f| f.role == "report").collect();
    let job = crate::progress::job(crate::progress::Task::ReadReports, files.len() as u64);
    for f in files {
        job.inc(1);
        let bytes = read(&ws.path(&f.path))?;
        let sheet = table::read(&f.path, &bytes, Encoding::Auto, None).map_err(Error::Invalid)?;
        let rep: ReportFile =
            reports::validate(&sheet, rules, frame, &index, &seen, reports::Reading::Frozen)
                .map_err(Error::Invalid)?;
        for row in &rep.rows {
            visit(row);
            seen.insert(row.code.clone());
        }
    }
    Ok(seen)
}

/// Validates and freezes report files. Refused once the commitment exists.
pub fn import(ws: &mut Workspace, files: &[&Path]) -> Result<Imported> {
    if let Some(c) = ws.journal.last("commit") {
        return Err(Error::Usage(format!(
            "self-reports are closed: the commitment of {} fixed the inputs before the draw; a late or altered report cannot be accepted",
            crate::time::show(&c.at, ws.offset)
        )));
    }
    let (rules, frame) = ws.load_inputs()?;
    let mut seen: HashSet<String> = for_each(ws, &rules, &frame, |_| {})?;
    let mut diags = Diags::default();
    let index = reports::CodeIndex::new(&frame);
    let mut staged = Vec::new();
    let mut names = HashSet::new();
    let mut already = Vec::new();
    let mut rows = 0;
    for path in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .ok_or_else(|| Error::Usage(format!("{} is not a file", path.display())))?;
        let rel = format!("{REPORTS}/{name}");
        let bytes = super::read_input(path)?;
        if ws.frozen.iter().any(|f| f.path == rel && f.sha256 == sha256_hex(&bytes)) {
            already.push(rel);
            continue;
        }
        if ws.path(&rel).exists() || !names.insert(name.clone()) {
            return Err(Error::Usage(format!("{rel} already exists; give the file a new name")));
        }
        match table::read(&name, &bytes, Encoding::Auto, None)
            .and_then(|s| reports::validate(&s, &rules, &frame, &index, &seen, reports::Reading::Import))
        {
            Ok(rep) => {
                seen.extend(rep.rows.iter().map(|r| r.code.clone()));
                rows += rep.rows.len();
                staged.push((rel, bytes));
            }
            Err(d) => diags.extend(d),
        }
    }
    diags.into_result()?;
    let mut records = Vec::new();
    let mut step = Step::new();
    for (rel, bytes) in staged {
        records.push(FileRecord { path: rel.clone(), sha256: sha256_hex(&bytes), role: "report".into() });
        step.write(rel, bytes);
    }
    if !records.is_empty() {
        ws.apply(step, "reports", json!({ "files": records }))?;
        ws.frozen.extend(records.clone());
    }
    let coverage = reports::coverage(&frame, &seen);
    let silent = (0..frame.counties.len()).filter(|c| coverage.get(c).is_none_or(|e| e.0 == 0)).collect();
    Ok(Imported { files: records, already, rows, coverage, silent })
}
