//! Importing counties' self-reports into a campaign, before the commitment.
//! All files are validated first; any problem and none is imported.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use serde_json::json;

use super::step::Step;
use super::{FileRecord, Workspace, read};
use crate::error::{Diags, Error, Result};
use crate::findings::reports::{self, Coverage, ReportedSet, RowRef};
use crate::findings::table::Table;
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
    /// Counties with villages reported, in the frame's order: code, name,
    /// and their villages reported and left out.
    pub coverage: Vec<(String, String, Coverage)>,
    /// Counties with no village reported: code and name.
    pub silent: Vec<(String, String)>,
}

/// The villages left out that the summary of an import names, per county.
pub const LEFT_OUT_SHOWN: usize = 5;

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
pub fn for_each(ws: &Workspace, rules: &Rules, frame: &Frame, visit: impl FnMut(&RowRef<'_>)) -> Result<()> {
    walk(ws, rules, frame, visit, &BTreeSet::new()).map(|_| ())
}

/// The reports snapshots among `stale` (recorded, of an older layout) made
/// again from their imports' frozen files, read and validated as
/// [`for_each`] reads them: path and bytes of each.
pub(super) fn rebuild(
    ws: &Workspace,
    rules: &Rules,
    frame: &Frame,
    stale: &BTreeSet<String>,
) -> Result<Vec<(String, Vec<u8>)>> {
    walk(ws, rules, frame, |_| {}, stale)
}

/// An import's files, the path of the snapshot its entry records (empty
/// if none), and that snapshot's bytes when it can be read.
type Source<'j> = (Vec<FileRecord>, &'j str, Option<Vec<u8>>);

/// [`for_each`], also making again the snapshots named in `rebuild` of the
/// imports whose files it reads.
fn walk(
    ws: &Workspace,
    rules: &Rules,
    frame: &Frame,
    mut visit: impl FnMut(&RowRef<'_>),
    rebuild: &BTreeSet<String>,
) -> Result<Vec<(String, Vec<u8>)>> {
    let outputs = ws.recorded_outputs();
    // First every import's source, so that a file read again knows the
    // codes of all earlier imports.
    let mut sources: Vec<Source<'_>> = Vec::new();
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
            ws.load_recorded(path, |b| reports::check_snapshot(b, rules, &origin).ok())?.map(|((), b)| b)
        } else {
            None
        };
        sources.push((files, path, snapshot));
    }
    let reparse = sources.iter().any(|(_, _, s)| s.is_none());
    let job = crate::progress::job(crate::progress::Task::ReadReports, sources.len() as u64);
    // What a file read again needs (every earlier import's villages, a code
    // index), made only when some import has no snapshot.
    let mut seen = reparse.then(|| ReportedSet::new(frame));
    let index = reparse.then(|| reports::CodeIndex::new(frame));
    let mut made = Vec::new();
    for (files, path, snapshot) in &sources {
        job.inc(1);
        if let Some(bytes) = snapshot {
            let origin = snapshot_origin(ws, files);
            reports::decode_snapshot(bytes, rules, frame, &origin, &mut |row| {
                if let Some(seen) = &mut seen {
                    seen.insert(row.is_county, row.index);
                }
                visit(row);
            })
            .map_err(|why| Error::CheckFailed(format!("a reports snapshot cannot be read: {why}")))?;
            continue;
        }
        let (Some(index), Some(seen)) = (&index, &mut seen) else { continue };
        let mut rows = rebuild.contains(*path).then(reports::SnapshotRows::default);
        for f in files {
            let bytes = read(&ws.path(&f.path))?;
            let table = Table::read(&f.path, &bytes, Encoding::Auto, None).map_err(Error::Invalid)?;
            let rep = reports::validate(&table, rules, frame, index, seen, reports::Reading::Frozen)
                .map_err(Error::Invalid)?;
            rep.rows(rules, frame, &mut visit).map_err(|why| {
                Error::CheckFailed(format!("{}: its rows cannot be read back: {why}", f.path))
            })?;
            if let Some(rows) = &mut rows {
                rows.add(&rep);
            }
        }
        if let Some(bytes) = rows.and_then(|r| r.finish(rules, &snapshot_origin(ws, files))) {
            made.push((path.to_string(), bytes));
        }
    }
    Ok(made)
}

/// Validates and freezes report files. Refused once the commitment exists.
///
/// The files are read and validated one at a time, a CSV row by row: of an
/// accepted file only its bytes (to freeze) and its rows packed for the
/// snapshot are kept, and villages are marked by their place in the frame,
/// not by their codes. Problems are gathered across all files, and with any
/// problem nothing is written.
pub fn import(ws: &mut Workspace, files: &[&Path]) -> Result<Imported> {
    if let Some(c) = ws.journal.last("commit") {
        return Err(Error::Usage(format!(
            "self-reports are closed: the commitment of {} fixed the inputs before the draw; a late or altered report cannot be accepted",
            crate::time::show(&c.at, ws.offset)
        )));
    }
    let (rules, frame) = ws.load_inputs()?;
    let mut seen = ReportedSet::new(&frame);
    for_each(ws, &rules, &frame, |row| seen.insert(row.is_county, row.index))?;
    let mut diags = Diags::default();
    let index = reports::CodeIndex::new(&frame);
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
        let sha256 = sha256_hex(&bytes);
        if ws.frozen.iter().any(|f| f.path == rel && f.sha256 == sha256) {
            already.push(rel);
            continue;
        }
        if ws.path(&rel).exists() || !names.insert(name.clone()) {
            return Err(Error::Usage(format!("{rel} already exists; give the file a new name")));
        }
        let checked = Table::read(&name, &bytes, Encoding::Auto, None)
            .and_then(|t| reports::validate(&t, &rules, &frame, &index, &mut seen, reports::Reading::Import));
        match checked {
            Ok(rep) => {
                rows += rep.len();
                snapshot.add(&rep);
                staged.push((FileRecord { path: rel, sha256, role: "report".into() }, bytes));
            }
            Err(d) => diags.extend(d),
        }
    }
    diags.into_result()?;
    drop(index);
    let mut records = Vec::new();
    let mut step = Step::new();
    for (record, bytes) in staged {
        step.write(record.path.clone(), bytes);
        records.push(record);
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
    let mut coverage = Vec::new();
    let mut silent = Vec::new();
    let mut counted = reports::coverage(&frame, &seen, LEFT_OUT_SHOWN);
    for (c, county) in frame.counties.iter().enumerate() {
        let names = (county.key.clone(), county.name.clone());
        match counted.remove(&c) {
            Some(v) if v.reported > 0 => coverage.push((names.0, names.1, v)),
            _ => silent.push(names),
        }
    }
    Ok(Imported { files: records, already, rows, coverage, silent })
}
