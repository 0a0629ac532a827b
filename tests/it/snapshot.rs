//! Validated snapshots: `init` keeps the validated frame, later commands
//! load it; a snapshot is a recorded file like any other, and a campaign
//! without one (made before snapshots) still works from its CSV.

use spotcheck::frame;
use spotcheck::text::Encoding;
use spotcheck::workspace::{FRAME_SNAPSHOT, Workspace, journal::Journal};

use crate::support::{SEED, drawn_example, example_frame, example_rules, init, run_in};

/// The journal's lines with `edit` applied to each entry, chained again:
/// how a campaign written by an earlier spotcheck looks.
fn rewrite_journal(camp: &std::path::Path, edit: impl Fn(&mut serde_json::Value)) {
    let path = camp.join("journal.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut j = Journal::new();
    let mut out = String::new();
    for line in text.lines() {
        let mut e: spotcheck::workspace::journal::Entry = serde_json::from_str(line).unwrap();
        edit(&mut e.data);
        let (entry, line) = j.next_line(&e.at, &e.event, e.data);
        j.head = spotcheck::hash::sha256_hex(line.trim_end_matches('\n').as_bytes());
        j.entries.push(entry);
        out.push_str(&line);
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn init_records_the_frame_snapshot_and_it_loads_as_the_csv_parses() {
    let (_tmp, camp) = drawn_example();
    let ws = Workspace::open(&camp).unwrap();
    let outputs = ws.recorded_outputs();
    let want = outputs.get(FRAME_SNAPSHOT).expect("init records the snapshot");
    let bytes = std::fs::read(camp.join(FRAME_SNAPSHOT)).unwrap();
    assert_eq!(&spotcheck::hash::sha256_hex(&bytes), want);
    let (rules, from_snapshot) = ws.load_inputs().unwrap();
    let from_csv =
        frame::load(&ws.path(&ws.frame_path), &ws.frame_path, &rules.frame, Encoding::Auto).unwrap();
    assert_eq!(from_snapshot, from_csv);
    // The snapshot is not an input: the commitment covers the CSV only.
    assert!(ws.committed_files().iter().all(|f| !f.path.starts_with("snapshots/")));
}

#[test]
fn a_changed_or_missing_snapshot_stops_every_command() {
    let (_tmp, camp) = drawn_example();
    let snap = camp.join(FRAME_SNAPSHOT);
    let good = std::fs::read(&snap).unwrap();
    let mut bad = good.clone();
    let at = bad.len() - 5;
    bad[at] ^= 1;
    for damage in [Some(bad), None] {
        match &damage {
            Some(b) => std::fs::write(&snap, b).unwrap(),
            None => std::fs::remove_file(&snap).unwrap(),
        }
        for args in
            [&["commit"][..], &["audit"], &["status"], &["draw", "--redraw", "--reason", "x", "--seed", SEED]]
        {
            let (c, _, e) = run_in(&camp, args);
            assert_eq!(c, 1, "{args:?}: {e}");
            assert!(e.contains(FRAME_SNAPSHOT), "{args:?}: {e}");
        }
    }
    std::fs::write(&snap, good).unwrap();
    assert_eq!(run_in(&camp, &["audit"]).0, 0);
}

/// A campaign made before snapshots (no snapshot recorded) reads its frame
/// from the CSV and draws the same sample.
#[test]
fn a_campaign_without_a_snapshot_draws_the_same_sample() {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("old");
    assert_eq!(init(&camp, &example_rules(), &example_frame()).0, 0);
    std::fs::remove_file(camp.join(FRAME_SNAPSHOT)).unwrap();
    rewrite_journal(&camp, |d| {
        if let Some(o) = d.as_object_mut() {
            o.remove("outputs");
        }
    });
    assert_eq!(run_in(&camp, &["commit"]).0, 0);
    let (c, _, e) = run_in(&camp, &["draw", "--seed", SEED]);
    assert_eq!(c, 0, "{e}");
    let (_t, new) = drawn_example();
    assert_eq!(
        std::fs::read(camp.join("sample.csv")).unwrap(),
        std::fs::read(new.join("sample.csv")).unwrap()
    );
    let (c, _, e) = run_in(&camp, &["verify"]);
    assert_eq!(c, 0, "{e}");
}
