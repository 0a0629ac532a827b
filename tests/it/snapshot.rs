//! Validated snapshots: `init` keeps the validated frame, later commands
//! load it; a snapshot is a recorded file like any other, and a campaign
//! without one (made before snapshots) still works from its CSV.

use spotcheck::frame;
use spotcheck::text::Encoding;
use spotcheck::workspace::lock::Access;
use spotcheck::workspace::{FRAME_SNAPSHOT, Workspace, journal::Journal};

use crate::support::{SEED, drawn_example, example_frame, example_rules, init, run_in};

/// The journal's lines with `edit` applied to each entry, chained again
/// (and its head record rewritten):
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
    let head = spotcheck::workspace::step::head_text(j.entries.len(), &j.head);
    std::fs::write(camp.join(spotcheck::workspace::step::HEAD), head).unwrap();
}

#[test]
fn init_records_the_frame_snapshot_and_it_loads_as_the_csv_parses() {
    let (_tmp, camp) = drawn_example();
    let ws = Workspace::open(&camp, &Access::read()).unwrap();
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
        let mut said = Vec::new();
        for args in [
            &["commit"][..],
            &["audit"],
            &["status"],
            &["draw", "--redraw", "--reason", "x", "--seed", "5521 0987 3346 1208 7765"],
        ] {
            let (c, _, e) = run_in(&camp, args);
            assert_eq!(c, 1, "{args:?}: {e}");
            assert!(e.contains(FRAME_SNAPSHOT), "{args:?}: {e}");
            said.push(e);
        }
        // `draw`, which checks the snapshot as it loads it (a new seed, so
        // that it does), says what a command that checks it on opening
        // says.
        assert_eq!(said[3], said[0]);
    }
    std::fs::write(&snap, good).unwrap();
    assert_eq!(run_in(&camp, &["audit"]).0, 0);
}

/// `open_deferred` leaves the frame CSV and its snapshot for `settle`: a
/// folder whose frame changed opens, and settling says what opening says,
/// once. With another file changed too, opening says it all at once.
#[test]
fn a_deferred_frame_is_reported_when_settled() {
    let (_tmp, camp) = drawn_example();
    crate::support::tamper(&camp.join("frame/synthetic-frame.csv"));
    let opened = Workspace::open(&camp, &Access::write()).unwrap_err().to_string();
    let ws = Workspace::open_deferred(&camp, &Access::write()).unwrap();
    assert_eq!(ws.settle().unwrap_err().to_string(), opened);
    assert!(ws.settle().is_ok(), "settled twice");
    drop(ws);
    crate::support::tamper(&camp.join("sample.csv"));
    let opened = Workspace::open(&camp, &Access::write()).unwrap_err().to_string();
    assert!(opened.contains("frame/synthetic-frame.csv") && opened.contains("sample.csv"), "{opened}");
    assert_eq!(Workspace::open_deferred(&camp, &Access::write()).unwrap_err().to_string(), opened);
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

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The example campaign run to the end by its script.
fn scored_example() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("campaign");
    let out = std::process::Command::new("bash")
        .arg(crate::support::root("examples/cangzhou-2008/run.sh"))
        .arg(&camp)
        .env("SPOTCHECK", env!("CARGO_BIN_EXE_spotcheck"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (tmp, camp)
}

/// Scores and status read from the snapshots are those read from the
/// files: the same campaign without its snapshots (as an earlier spotcheck
/// left it) gives the same bytes. A changed snapshot stops them.
#[test]
fn scores_from_snapshots_equal_scores_from_the_files() {
    let (tmp, camp) = scored_example();
    let ws = Workspace::open(&camp, &Access::read()).unwrap();
    assert!(
        ws.recorded_outputs().keys().any(|p| p.starts_with("snapshots/reports-")),
        "reports import records a snapshot"
    );
    drop(ws);
    let old = tmp.path().join("old");
    copy_dir(&camp, &old);
    std::fs::remove_dir_all(old.join("snapshots")).unwrap();
    rewrite_journal(&old, |d| {
        if let Some(list) = d.get_mut("outputs").and_then(|o| o.as_array_mut()) {
            list.retain(|o| !o["path"].as_str().unwrap_or("").starts_with("snapshots/"));
        }
    });
    for dir in [&camp, &old] {
        let (c, _, e) = run_in(dir, &["score"]);
        assert_eq!(c, 0, "{e}");
    }
    for f in ["score/scorecards.csv", "score/summary.csv", "score/scorecards.json"] {
        assert_eq!(std::fs::read(camp.join(f)).unwrap(), std::fs::read(old.join(f)).unwrap(), "{f}");
    }
    assert_eq!(run_in(&camp, &["status"]).1, run_in(&old, &["status"]).1);

    // A changed reports snapshot is a changed recorded file.
    let snap = std::fs::read_dir(camp.join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("reports-"))
        .unwrap();
    let mut bytes = std::fs::read(&snap).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x40;
    std::fs::write(&snap, bytes).unwrap();
    for args in [&["score"][..], &["status"], &["audit"]] {
        let (c, _, e) = run_in(&camp, args);
        assert_eq!(c, 1, "{args:?}: {e}");
        assert!(e.contains("snapshots/reports-"), "{args:?}: {e}");
    }
}

/// A second import reads the first from its snapshot and still refuses a
/// village reported twice.
#[test]
fn a_village_reported_in_an_earlier_import_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    assert_eq!(init(&camp, &example_rules(), &example_frame()).0, 0);
    let reports = crate::support::root("examples/cangzhou-2008/reports");
    let mut files: Vec<_> = std::fs::read_dir(&reports).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let (c, _, e) = run_in(&camp, &["reports", "import", files[0].to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
    let again = tmp.path().join("again.csv");
    std::fs::copy(&files[0], &again).unwrap();
    let (c, _, e) = run_in(&camp, &["reports", "import", again.to_str().unwrap()]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("already reported in an earlier file"), "{e}");
}

/// The reports snapshots of two imports, byte for byte as spotcheck wrote
/// them before the rows were packed file by file, and the summary and the
/// refusals the imports print: rows of every kind of reported field,
/// values left blank, a county's own row, a second import that knows the
/// first from its snapshot, and problems in two files at once (a village
/// in a refused file is not "already reported" by it). A change of layout
/// needs a new `snapshot::VERSION` and new fixtures.
#[test]
fn reports_snapshots_keep_their_bytes() {
    let dir = crate::support::data("reports/snapshot");
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    assert_eq!(init(&camp, &dir.join("rules.toml"), &dir.join("frame.csv")).0, 0);
    let import = |files: &[&str]| {
        let mut args = vec!["reports".to_string(), "import".into()];
        args.extend(files.iter().map(|f| dir.join(f).to_string_lossy().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_in(&camp, &args)
    };
    let (c, _, first) = import(&["沧县自查.csv", "青县自查.csv"]);
    assert_eq!(c, 0, "{first}");
    let before = crate::support::hash_tree(&camp);
    let (c, _, refused) = import(&["坏-1.csv", "坏-2.csv", "东光县自查.csv"]);
    assert_eq!(c, 1, "{refused}");
    assert_eq!(before, crate::support::hash_tree(&camp), "a refused import changes nothing");
    crate::support::check_snapshot(&dir.join("refused.expected"), &refused).unwrap();
    let (c, _, second) = import(&["东光县自查.csv"]);
    assert_eq!(c, 0, "{second}");
    crate::support::check_snapshot(&dir.join("import.expected"), &format!("{first}{second}")).unwrap();
    for n in [1, 2] {
        let name = format!("reports-{n}.bin");
        assert!(
            std::fs::read(camp.join("snapshots").join(&name)).unwrap()
                == std::fs::read(dir.join(&name)).unwrap(),
            "snapshots/{name} differs from tests/data/reports/snapshot/{name}"
        );
    }
}

/// Sets the layout named in the header of each snapshot in `paths` to
/// `layout`, and the journal's record of them to their new hashes, as a
/// spotcheck of that layout would have left them. Returns the bytes they
/// had.
fn relayout(camp: &std::path::Path, paths: &[std::path::PathBuf], layout: u32) -> Vec<Vec<u8>> {
    let mut hashes = std::collections::HashMap::new();
    let mut kept = Vec::new();
    for p in paths {
        let mut bytes = std::fs::read(p).unwrap();
        kept.push(bytes.clone());
        let at = spotcheck::snapshot::MAGIC.len();
        bytes[at..at + 4].copy_from_slice(&layout.to_le_bytes());
        std::fs::write(p, &bytes).unwrap();
        let rel = p.strip_prefix(camp).unwrap().to_string_lossy().to_string();
        hashes.insert(rel, spotcheck::hash::sha256_hex(&bytes));
    }
    rewrite_journal(camp, |d| {
        for o in d.get_mut("outputs").and_then(|o| o.as_array_mut()).into_iter().flatten() {
            if let Some(h) = o["path"].as_str().and_then(|p| hashes.get(p)) {
                o["sha256"] = serde_json::json!(h);
            }
        }
    });
    kept
}

fn snapshots_of(camp: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> =
        std::fs::read_dir(camp.join("snapshots")).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

fn events(camp: &std::path::Path, event: &str) -> usize {
    let text = std::fs::read_to_string(camp.join("journal.jsonl")).unwrap();
    text.lines().filter(|l| l.contains(&format!("\"event\":\"{event}\""))).count()
}

/// Snapshots of an older layout, as an earlier spotcheck left them, are
/// passed over by commands that read (which work from the files and write
/// nothing), and written again by the first command that writes, in a
/// step of their own, byte for byte as this layout writes them; once. A
/// snapshot of a newer layout is left alone.
#[test]
fn snapshots_of_an_older_layout_are_written_again_once() {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    crate::support::copy_tree(crate::support::example_campaign(), &camp);
    let snaps = snapshots_of(&camp);
    assert!(snaps.len() >= 2, "the frame's and the self-reports' snapshots: {snaps:?}");
    let (c, scored, e) = run_in(&camp, &["score", "--format", "json"]);
    assert_eq!(c, 0, "{e}");
    let fresh = relayout(&camp, &snaps, 1);
    assert_eq!(run_in(&camp, &["audit"]).0, 0, "the older folder is intact");
    let before = crate::support::hash_tree(&camp);
    let (c, _, e) = run_in(&camp, &["status"]);
    assert_eq!(c, 0, "{e}");
    assert_eq!(crate::support::hash_tree(&camp), before, "status wrote something");
    let (c, out, e) = run_in(&camp, &["score", "--format", "json"]);
    assert_eq!(c, 0, "{e}");
    assert_eq!(out, scored);
    assert!(e.contains("snapshots/frame.bin, snapshots/reports-1.bin"), "{e}");
    assert!(e.contains("of an older layout (1); written again in layout 2"), "{e}");
    for (p, bytes) in snaps.iter().zip(&fresh) {
        assert!(std::fs::read(p).unwrap() == *bytes, "{} is not as this layout writes it", p.display());
    }
    assert_eq!(events(&camp, "snapshots"), 1);
    assert_eq!(run_in(&camp, &["audit"]).0, 0);
    let (c, _, e) = run_in(&camp, &["score"]);
    assert_eq!(c, 0, "{e}");
    assert!(!e.contains("older layout"), "{e}");
    assert_eq!(events(&camp, "snapshots"), 1, "written again twice");
    // A newer layout than this spotcheck reads.
    let newer = relayout(&camp, &snaps[..1], spotcheck::snapshot::VERSION + 1);
    let frame_bin = std::fs::read(&snaps[0]).unwrap();
    assert_ne!(frame_bin, newer[0]);
    let (c, out, e) = run_in(&camp, &["score", "--format", "json"]);
    assert_eq!((c, out), (0, scored), "{e}");
    assert!(!e.contains("older layout"), "{e}");
    assert_eq!(std::fs::read(&snaps[0]).unwrap(), frame_bin, "a newer snapshot was replaced");
    assert_eq!(events(&camp, "snapshots"), 1);
}

/// The step that writes older snapshots again, killed at each of its file
/// operations: `recover` leaves the folder as before or complete, and the
/// command run again finishes it; audit is clean either way.
#[test]
fn a_kill_while_older_snapshots_are_written_again_is_recovered() {
    let (tmp, camp) = drawn_example();
    let snaps = snapshots_of(&camp);
    let fresh = relayout(&camp, &snaps, 1);
    let older = crate::support::hash_tree(&camp);
    let mut k = 0;
    loop {
        assert!(k < 100, "no end to its file operations");
        let copy = tmp.path().join(format!("k{k}"));
        crate::support::copy_tree(&camp, &copy);
        let out = crate::support::bin()
            .args(["-C", copy.to_str().unwrap(), "commit"])
            .env("SPOTCHECK_CRASH_AFTER", k.to_string())
            .output()
            .unwrap();
        if out.status.code() == Some(0) {
            break;
        }
        assert_eq!(out.status.code(), None, "commit failed instead of dying at {k}");
        if k % 2 == 0 {
            let (c, _, e) = run_in(&copy, &["recover"]);
            assert_eq!(c, 0, "{k}: {e}");
            if events(&copy, "snapshots") == 0 {
                // As before, but for the journal's line saying what recover did.
                let files = |t: Vec<(String, String)>| -> Vec<(String, String)> {
                    t.into_iter()
                        .filter(|(p, _)| !p.starts_with("journal.") && !p.contains(".lock"))
                        .collect()
                };
                assert_eq!(
                    files(crate::support::hash_tree(&copy)),
                    files(older.clone()),
                    "{k}: undone, but not as before"
                );
            }
        }
        let (c, _, e) = run_in(&copy, &["commit"]);
        assert_eq!(c, 0, "{k}: {e}");
        assert_eq!(run_in(&copy, &["audit"]).0, 0, "{k}");
        for (p, bytes) in snaps.iter().zip(&fresh) {
            let p = copy.join(p.strip_prefix(&camp).unwrap());
            assert!(std::fs::read(&p).unwrap() == *bytes, "{k}: {}", p.display());
        }
        assert_eq!(events(&copy, "snapshots"), 1, "{k}");
        k += 1;
    }
    assert!(k >= 4, "only {k} file operations");
}
