//! Importing counties' self-reports into a campaign, before the commitment.
//! All files are validated first; any problem and none is imported.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::json;

use super::step::Step;
use super::{FileRecord, Workspace, read};
use crate::error::{Diags, Error, Result};
use crate::findings::reports::{self, ReportFile, RowRef};
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

/// Where the snapshot of the `n`-th import (from 1) is kept. Numbered by
/// import, not by journal line: a recovery adds lines, and a command run
/// again after a kill must write what an uninterrupted run writes.
pub fn snapshot_path(n: usize) -> String {
    format!("snapshots/reports-{n}.bin")
}

/// What a reports snapshot is made from: the frozen frame and rules, and
/// the report files of its import, by hash.
fn snapshot_origin(ws: &Workspace, files: &[FileRecord]) -> String {
    let of = |role: &str| ws.frozen.iter().find(|f| f.role == role).map_or("", |f| f.sha256.as_str());
    let files: Vec<&str> = files.iter().map(|f| f.sha256.as_str()).collect();
    format!("reports frame {} rules {} files {}", of("frame"), of("rules"), files.join(" "))
}

/// Hands every row of the frozen self-reports to `visit`, in the order
/// they were imported. Each import's rows come from the snapshot it
/// recorded when that is there and intact; otherwise (a campaign made
/// before snapshots) its files are parsed and validated again, one at a
/// time, as they were accepted.
pub fn for_each(
    ws: &Workspace,
    rules: &Rules,
    frame: &Frame,
    mut visit: impl FnMut(&RowRef<'_>),
) -> Result<()> {
    let fields = reports::reported_fields(rules);
    let outputs = ws.recorded_outputs();
    // First every import's source, so that a file read again knows the
    // codes of all earlier imports.
    let mut sources: Vec<(Vec<FileRecord>, Option<Vec<u8>>)> = Vec::new();
    for e in ws.journal.all("reports") {
        let files: Vec<FileRecord> =
            serde_json::from_value(e.data.get("files").cloned().unwrap_or_default()).unwrap_or_default();
        // The snapshot this import's entry records, if any.
        let path = e
            .data
            .get("outputs")
            .and_then(|o| o.as_array())
            .into_iter()
            .flatten()
            .filter_map(|o| o.get("path")?.as_str())
            .find(|p| p.starts_with("snapshots/reports-"))
            .unwrap_or_default();
        let origin = snapshot_origin(ws, &files);
        let snapshot = if outputs.contains_key(path) {
            ws.load_recorded(path, |b| reports::check_snapshot(b, rules, frame, &origin).ok())?
                .map(|((), b)| b)
        } else {
            None
        };
        sources.push((files, snapshot));
    }
    let reparse = sources.iter().any(|(_, s)| s.is_none());
    let job = crate::progress::job(crate::progress::Task::ReadReports, sources.len() as u64);
    let mut seen: HashSet<String> = HashSet::new();
    let index = reparse.then(|| reports::CodeIndex::new(frame));
    for (files, snapshot) in &sources {
        job.inc(1);
        if let Some(bytes) = snapshot {
            let origin = snapshot_origin(ws, files);
            reports::decode_snapshot(bytes, rules, frame, &origin, &mut |row| {
                if reparse {
                    seen.insert(row.code(frame).to_string());
                }
                visit(row);
            })
            .map_err(|why| Error::CheckFailed(format!("a reports snapshot cannot be read: {why}")))?;
            continue;
        }
        let Some(index) = &index else { continue };
        for f in files {
            let bytes = read(&ws.path(&f.path))?;
            let sheet = table::read(&f.path, &bytes, Encoding::Auto, None).map_err(Error::Invalid)?;
            let rep: ReportFile =
                reports::validate(&sheet, rules, frame, index, &seen, reports::Reading::Frozen)
                    .map_err(Error::Invalid)?;
            for row in &rep.rows {
                let values = row.indexed(&fields);
                visit(&RowRef {
                    index: row.index,
                    county: row.county,
                    is_county: row.is_county,
                    values: &values,
                });
                seen.insert(row.code.clone());
            }
        }
    }
    Ok(())
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
    let mut seen: HashSet<String> = HashSet::new();
    for_each(ws, &rules, &frame, |row| {
        seen.insert(row.code(&frame).to_string());
    })?;
    let mut diags = Diags::default();
    let index = reports::CodeIndex::new(&frame);
    let fields = reports::reported_fields(&rules);
    let mut staged = Vec::new();
    let mut names = HashSet::new();
    let mut already = Vec::new();
    let mut rows = 0;
    // The accepted rows, for the snapshot later commands read instead of
    // the files.
    let mut snapshot = reports::SnapshotRows::default();
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
                for r in &rep.rows {
                    snapshot.add(&fields, r);
                }
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
        // The snapshot is written by the same step as the files, so that
        // recovery keeps or undoes both.
        let mut outputs = Vec::new();
        if let Some(bytes) = snapshot.finish(&rules, &snapshot_origin(ws, &records)) {
            let n = ws.journal.all("reports").count() + 1;
            outputs.push(step.write(snapshot_path(n), bytes));
        }
        ws.apply(step, "reports", json!({ "files": records, "outputs": outputs }))?;
        ws.frozen.extend(records.clone());
    }
    let coverage = reports::coverage(&frame, &seen);
    let silent = (0..frame.counties.len()).filter(|c| coverage.get(c).is_none_or(|e| e.0 == 0)).collect();
    Ok(Imported { files: records, already, rows, coverage, silent })
}
