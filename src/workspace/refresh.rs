//! Snapshots of an older layout, written again.
//!
//! A snapshot is a cache (see [`crate::snapshot`]): a spotcheck that reads a
//! newer layout passes an older snapshot over and parses the files it was
//! made from. That is correct but slow, on every command, at national
//! scale. So the first command that writes to such a folder first makes
//! those snapshots again from the frozen files, as checked as ever, in a
//! step of its own, journaled as `snapshots`; then it does its own work.
//! A snapshot of a newer layout than this spotcheck reads is left alone.

use std::collections::BTreeSet;

use serde_json::json;

use super::step::Step;
use super::{FRAME_SNAPSHOT, SNAPSHOTS, Workspace, frame_origin};
use crate::error::Result;
use crate::snapshot::VERSION;

/// The journal event of the step that writes snapshots again.
pub const EVENT: &str = "snapshots";

/// The recorded snapshots whose header names an older layout than this
/// spotcheck's, with that layout.
pub fn stale(ws: &Workspace) -> Vec<(String, u32)> {
    use std::io::Read;
    let mut out = Vec::new();
    for rel in ws.recorded_outputs().into_keys().filter(|p| p.starts_with(SNAPSHOTS)) {
        let mut head = Vec::with_capacity(32);
        let read = std::fs::File::open(ws.path(&rel)).and_then(|f| f.take(32).read_to_end(&mut head));
        if let (Ok(_), Some(layout)) = (read, crate::snapshot::layout(&head))
            && layout < VERSION
        {
            out.push((rel, layout));
        }
    }
    out
}

/// Writes the [`stale`] snapshots again, in one step; returns their paths
/// with the layout each had (nothing, when none is stale). The folder
/// must be open for writing. The frame is read from its CSV for it, and a
/// self-report import's files are read again as when its snapshot is
/// missing, so any problem they have now stops the command as it would
/// anyway.
pub fn refresh(ws: &mut Workspace) -> Result<Vec<(String, u32)>> {
    let stale = stale(ws);
    if stale.is_empty() {
        return Ok(stale);
    }
    let paths: BTreeSet<String> = stale.iter().map(|(p, _)| p.clone()).collect();
    let rules = ws.load_rules()?;
    let frame = ws.load_frame(&rules)?;
    // The self-reports first: reading their files again takes the most
    // memory, which the frame's snapshot, held until the step, would add to.
    let mut made = super::reports::rebuild(ws, &rules, &frame, &paths)?;
    if paths.contains(FRAME_SNAPSHOT)
        && let Some(bytes) = crate::frame::snapshot::encode(&frame, &frame_origin(&ws.frozen))
    {
        made.push((FRAME_SNAPSHOT.to_string(), bytes));
    }
    drop(frame);
    if made.is_empty() {
        return Ok(Vec::new());
    }
    let done: Vec<(String, u32)> =
        stale.into_iter().filter(|(p, _)| made.iter().any(|(m, _)| m == p)).collect();
    let was: serde_json::Map<String, serde_json::Value> =
        done.iter().map(|(p, l)| (p.clone(), json!(l))).collect();
    let mut step = Step::new();
    let outputs: Vec<serde_json::Value> = made.into_iter().map(|(p, b)| step.write(p, b)).collect();
    ws.apply(step, EVENT, json!({ "layout": VERSION, "replaced_layouts": was, "outputs": outputs }))?;
    // Bytes kept from opening are those of the files just replaced.
    ws.forget_snapshots();
    Ok(done)
}
