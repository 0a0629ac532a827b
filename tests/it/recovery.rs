//! Crash recovery. Each writing command of the small campaign's pipeline is
//! killed at each of its file operations in turn (`SPOTCHECK_CRASH_AFTER`).
//! Then either `spotcheck recover` runs and the folder must be exactly as
//! before the command (the step undone) or complete, or the command is
//! retried at once and must recover by itself; either way the retried
//! command succeeds, leaves the same files as an uninterrupted run, and
//! audit is clean.

use std::process::Command;

use crate::small::{self, STEPS, assert_audit_clean, copy_dir, journal_steps, state};
use crate::support::{bin, run, run_in};

/// Runs spotcheck with `SPOTCHECK_CRASH_AFTER=k`; `None` when it was
/// killed by the injected crash, else its exit code and stderr.
fn crashing(args: &[String], k: u64) -> Option<(i32, String)> {
    let out = bin().args(args).env("SPOTCHECK_CRASH_AFTER", k.to_string()).output().unwrap();
    out.status.code().map(|c| (c, String::from_utf8_lossy(&out.stderr).to_string()))
}

fn strs(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

/// Kills pipeline step `i` at every file operation; returns how many
/// crash points it has.
fn sweep(i: usize) -> u64 {
    let tmp = small::tempdir();
    let work = tmp.path().join("work");
    let clean = tmp.path().join("clean/camp");
    small::build(&clean, &work, i);
    let pre = tmp.path().join("pre/camp");
    if i > 0 {
        copy_dir(&clean, &pre);
    }
    let before = if i > 0 { state(&pre) } else { Default::default() };
    let before_journal = journal_steps(&pre);
    small::build_one(&clean, &work, i);
    let after = state(&clean);
    let mut k = 0;
    loop {
        assert!(k < 1000, "{}: no end to its file operations", STEPS[i]);
        let parent = tmp.path().join(format!("k{k}"));
        let camp = parent.join("camp");
        if i > 0 {
            copy_dir(&pre, &camp);
        } else {
            std::fs::create_dir_all(&parent).unwrap();
        }
        let a = small::args(i, &camp, &work);
        match crashing(&a, k) {
            Some((0, _)) => break,
            Some((c, e)) => panic!("{} crashed at {k} exits {c} instead of dying: {e}", STEPS[i]),
            None => {}
        }
        let what = format!("{} killed after {k} file operation(s)", STEPS[i]);
        let left_step = camp.join(".spotcheck-step/intent.json").exists();
        if i > 0 && k % 2 == 0 {
            // Recover alone: the step is either undone, leaving the folder
            // exactly as before, or complete.
            let (c, _, e) = run_in(&camp, &["recover"]);
            assert_eq!(c, 0, "{what}: recover: {e}");
            assert!(!camp.join(".spotcheck-step").exists(), "{what}: {e}");
            if journal_steps(&camp) == before_journal {
                assert_eq!(state(&camp), before, "{what}: undone, but not as before: {e}");
            }
        }
        let (c, _, e) = run(&strs(&a));
        assert_eq!(c, 0, "{what}: the retried command: {e}");
        if left_step && k % 2 == 1 {
            assert!(e.contains("recovered"), "{what}: the retry says what it recovered: {e}");
        }
        assert_audit_clean(&camp, &what);
        assert_eq!(state(&camp), after, "{what}: the retry leaves other files than a clean run");
        if i == 0 {
            let names: Vec<String> = std::fs::read_dir(&parent)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect();
            assert_eq!(names, ["camp"], "{what}: leftovers of the killed init beside the campaign");
        }
        std::fs::remove_dir_all(&parent).unwrap();
        k += 1;
    }
    assert!(k > 5, "{}: only {k} file operations: is the crash point reached?", STEPS[i]);
    eprintln!("{}: {k} crash points", STEPS[i]);
    k
}

#[test]
fn a_kill_at_any_file_operation_of_init_is_recovered() {
    sweep(0);
}

#[test]
fn a_kill_at_any_file_operation_of_reports_import_is_recovered() {
    sweep(1);
}

#[test]
fn a_kill_at_any_file_operation_of_commit_is_recovered() {
    sweep(2);
}

/// Was: "sample.csv exists but the journal records no draw", and every
/// command refused, a retry too.
#[test]
fn a_kill_at_any_file_operation_of_draw_is_recovered() {
    sweep(3);
}

/// Was: a retried redraw hit "superseded/…/sample.csv already exists".
#[test]
fn a_kill_at_any_file_operation_of_a_redraw_is_recovered() {
    sweep(4);
}

#[test]
fn a_kill_at_any_file_operation_of_assign_is_recovered() {
    sweep(5);
}

#[test]
fn a_kill_at_any_file_operation_of_a_reassign_is_recovered() {
    sweep(6);
}

#[test]
fn a_kill_at_any_file_operation_of_forms_is_recovered() {
    sweep(7);
}

#[test]
fn a_kill_at_any_file_operation_of_substitute_is_recovered() {
    sweep(8);
}

#[test]
fn a_kill_at_any_file_operation_of_forms_after_substitute_is_recovered() {
    sweep(9);
}

#[test]
fn a_kill_at_any_file_operation_of_findings_import_is_recovered() {
    sweep(10);
}

#[test]
fn a_kill_at_any_file_operation_of_a_supersede_is_recovered() {
    sweep(11);
}

#[test]
fn a_kill_at_any_file_operation_of_score_is_recovered() {
    sweep(12);
}

#[test]
fn a_kill_at_any_file_operation_of_annual_into_a_campaign_is_recovered() {
    sweep(13);
}

/// The recovery says in plain words what it did and is journaled.
#[test]
fn recover_says_what_it_did_and_journals_it() {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 3);
    let before = state(&camp);
    let a = small::args(3, &camp, tmp.path());
    // Killed after the outputs were written, before the journal line: the
    // state the old code could not get out of ("sample.csv exists but the
    // journal records no draw").
    let pre = tmp.path().join("pre");
    copy_dir(&camp, &pre);
    let mut k = 1;
    loop {
        std::fs::remove_dir_all(&camp).unwrap();
        copy_dir(&pre, &camp);
        assert!(crashing(&a, k).is_none(), "draw finished before its journal line");
        let journal = std::fs::read_to_string(camp.join("journal.jsonl")).unwrap();
        if camp.join("sample.xlsx").exists() && !journal.contains("\"event\":\"draw\"") {
            break;
        }
        k += 1;
    }
    let (c, _, e) = run_in(&camp, &["status"]);
    assert_eq!(c, 2, "a reader refuses a half-applied step: {e}");
    assert!(e.contains("interrupted `draw` step") && e.contains("spotcheck recover"), "{e}");
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("interrupted `draw` step"), "{e}");
    assert!(!e.contains("journal records no draw"), "{e}");

    let (c, _, e) = run_in(&camp, &["recover"]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("had not been recorded in the journal, so it was undone"), "{e}");
    assert!(e.contains("removed what it had written: sample.xlsx, draw.toml, sample.csv"), "{e}");
    assert!(e.contains("recorded in the journal, line 4"), "{e}");
    assert_eq!(state(&camp), before, "undone: the folder is as before the draw");
    let journal = std::fs::read_to_string(camp.join("journal.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(journal.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "recover");
    assert_eq!(last["data"]["outcome"], "undone");
    assert_eq!(last["data"]["step"], "draw");
    let (c, _, e) = run_in(&camp, &["recover"]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("nothing to recover"), "{e}");
    let (c, _, e) = run(&strs(&a));
    assert_eq!(c, 0, "the retried draw: {e}");
    assert_audit_clean(&camp, "after the retried draw");
    assert_eq!(run_in(&camp, &["verify"]).0, 0);
}

/// Temporary files of interrupted writes are listed by audit and removed
/// by recover.
#[test]
fn leftover_temporary_files_are_audited_and_recovered() {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 3);
    std::fs::write(camp.join(".spotcheck-AbC123.tmp"), b"half").unwrap();
    std::fs::create_dir_all(camp.join("reports")).unwrap();
    std::fs::write(camp.join("reports/.spotcheck-x1.tmp"), b"half").unwrap();
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains(".spotcheck-AbC123.tmp: a temporary file left by an interrupted command"), "{e}");
    assert!(e.contains("reports/.spotcheck-x1.tmp"), "{e}");
    assert_eq!(run_in(&camp, &["status"]).0, 2, "no draw yet, but no refusal over temporary files");
    let (c, _, e) = run_in(&camp, &["recover"]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("removed 2 temporary file(s)"), "{e}");
    assert_audit_clean(&camp, "after recover");
}

/// A command killed by Ctrl-C (SIGINT) mid-way is recovered like any kill.
#[cfg(unix)]
#[test]
fn an_interrupt_mid_command_is_recovered() {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 12);
    // Interrupt score at a few moments; whatever state it leaves, the
    // retry recovers and completes.
    for delay_ms in [0u64, 2, 5, 10] {
        let a = small::args(12, &camp, tmp.path());
        let mut child = Command::new(env!("CARGO_BIN_EXE_spotcheck")).args(&a).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
        let _ = child.wait();
        let (c, _, e) = run(&strs(&a));
        assert_eq!(c, 0, "score after an interrupt at {delay_ms} ms: {e}");
        assert_audit_clean(&camp, "after an interrupt");
    }
}

/// An intent record edited to name a file outside the folder is refused:
/// recovery never removes or restores anything outside the campaign.
#[test]
fn an_edited_intent_cannot_lead_recovery_out_of_the_folder() {
    let tmp = small::tempdir();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 3);
    let a = small::args(3, &camp, tmp.path());
    let pre = tmp.path().join("pre");
    copy_dir(&camp, &pre);
    let mut k = 1;
    while !camp.join(".spotcheck-step/intent.json").exists() || !camp.join("sample.csv").exists() {
        std::fs::remove_dir_all(&camp).unwrap();
        copy_dir(&pre, &camp);
        assert!(crashing(&a, k).is_none());
        k += 1;
    }
    let outside = tmp.path().join("outside.csv");
    std::fs::write(&outside, std::fs::read(camp.join("sample.csv")).unwrap()).unwrap();
    let intent = camp.join(".spotcheck-step/intent.json");
    let text = std::fs::read_to_string(&intent).unwrap();
    std::fs::write(&intent, text.replace("\"path\": \"sample.csv\"", "\"path\": \"../outside.csv\""))
        .unwrap();
    let before = crate::support::hash_tree(tmp.path());
    for args in [&["recover"][..], &["score"]] {
        let (c, _, e) = run_in(&camp, args);
        assert_eq!(c, 1, "{e}");
        assert!(
            e.contains("names `../outside.csv`, which is not a plain path inside the campaign folder"),
            "{e}"
        );
    }
    assert_eq!(crate::support::hash_tree(tmp.path()), before, "nothing was touched");
}

/// `recover` killed at any of its own file operations: the next `recover`
/// finishes the job, and the folder is as before the interrupted step.
#[test]
fn a_kill_at_any_file_operation_of_recover_is_recovered() {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 3);
    let before = state(&camp);
    let a = small::args(3, &camp, tmp.path());
    // A draw killed after its outputs were written, before its journal line.
    let clean = tmp.path().join("clean");
    copy_dir(&camp, &clean);
    let mut k = 1;
    loop {
        std::fs::remove_dir_all(&camp).unwrap();
        copy_dir(&clean, &camp);
        assert!(crashing(&a, k).is_none(), "draw finished before its journal line");
        let journal = std::fs::read_to_string(camp.join("journal.jsonl")).unwrap();
        if camp.join("sample.xlsx").exists() && !journal.contains("\"event\":\"draw\"") {
            break;
        }
        k += 1;
    }
    let interrupted = tmp.path().join("interrupted");
    copy_dir(&camp, &interrupted);
    let recover = vec!["-C".to_string(), camp.to_string_lossy().to_string(), "recover".to_string()];
    let mut k = 0;
    loop {
        assert!(k < 1000, "recover: no end to its file operations");
        std::fs::remove_dir_all(&camp).unwrap();
        copy_dir(&interrupted, &camp);
        match crashing(&recover, k) {
            Some((0, _)) => break,
            Some((c, e)) => panic!("recover crashed at {k} exits {c} instead of dying: {e}"),
            None => {}
        }
        let what = format!("recover killed after {k} file operation(s)");
        let (c, _, e) = run(&strs(&recover));
        assert_eq!(c, 0, "{what}: recover again: {e}");
        assert!(!camp.join(".spotcheck-step").exists(), "{what}: {e}");
        assert_audit_clean(&camp, &what);
        // `state` leaves the journal out: its recover lines are the only
        // difference allowed.
        assert_eq!(state(&camp), before, "{what}: not as before the draw");
        let journal = std::fs::read_to_string(camp.join("journal.jsonl")).unwrap();
        assert!(!journal.contains("\"event\":\"draw\""), "{what}");
        let (c, _, e) = run(&strs(&a));
        assert_eq!(c, 0, "{what}: the retried draw: {e}");
        k += 1;
    }
    assert!(k > 3, "only {k} file operations in recover: is the crash point reached?");
    eprintln!("recover: {k} crash points");
}

/// `escalate` (the example's round 1 decided, round 2 drawn, the
/// assignment extended and the round's forms written, as one step) killed
/// at each of its file operations: recovered like every other step, and
/// the retry draws the same round 2 as an uninterrupted run.
#[test]
fn a_kill_at_any_file_operation_of_escalate_is_recovered() {
    let (tmp, pre) = crate::support::example_before_escalate();
    let clean = tmp.path().join("clean");
    copy_dir(&pre, &clean);
    assert_eq!(run_in(&clean, &["escalate"]).0, 0);
    let same = ["round-2.csv", "assignment.csv", "forms/检查表-第八组-第2轮.csv"];
    let want: Vec<Vec<u8>> = same.iter().map(|f| std::fs::read(clean.join(f)).unwrap()).collect();
    let camp = tmp.path().join("k");
    let a = vec!["-C".to_string(), camp.to_string_lossy().to_string(), "escalate".to_string()];
    let mut k = 0;
    loop {
        assert!(k < 1000, "escalate: no end to its file operations");
        if camp.exists() {
            std::fs::remove_dir_all(&camp).unwrap();
        }
        copy_dir(&pre, &camp);
        match crashing(&a, k) {
            Some((0, _)) => break,
            Some((c, e)) => panic!("escalate crashed at {k} exits {c} instead of dying: {e}"),
            None => {}
        }
        let what = format!("escalate killed after {k} file operation(s)");
        if k % 2 == 0 {
            let (c, _, e) = run_in(&camp, &["recover"]);
            assert_eq!(c, 0, "{what}: recover: {e}");
        }
        let (c, _, e) = run(&strs(&a));
        assert_eq!(c, 0, "{what}: the retried escalate: {e}");
        assert_audit_clean(&camp, &what);
        for (f, w) in same.iter().zip(&want) {
            assert_eq!(&std::fs::read(camp.join(f)).unwrap(), w, "{what}: {f} differs from a clean run");
        }
        k += 1;
    }
    assert!(k > 5, "escalate: only {k} file operations: is the crash point reached?");
    eprintln!("escalate: {k} crash points");
}

/// A replaced output is kept aside as a second name of the same file. A
/// program that ignores the lock and rewrites the output in place while a
/// step is under way changes the kept file too: the undo then refuses,
/// says why and what to do, and changes nothing.
#[test]
fn an_output_changed_in_place_during_a_step_stops_its_undo_with_a_reason() {
    let tmp = small::tempdir();
    let base = tmp.path().join("base");
    crate::support::copy_tree(crate::support::example_campaign(), &base);
    let target = "score/scorecards.csv";
    let old = std::fs::read(base.join(target)).unwrap();
    // Kill a re-score (in English: other bytes) after its intent is written
    // and before it replaces the file.
    let camp = tmp.path().join("camp");
    let args: Vec<String> =
        ["-C", camp.to_str().unwrap(), "--lang", "en", "score"].iter().map(|s| s.to_string()).collect();
    let mut k = 0;
    loop {
        assert!(k < 200, "no point after the intent and before the outputs");
        let _ = std::fs::remove_dir_all(&camp);
        crate::support::copy_tree(&base, &camp);
        assert!(crashing(&args, k).is_none(), "the score ran to its end at {k}");
        if camp.join(".spotcheck-step/intent.json").exists() {
            break;
        }
        k += 1;
    }
    assert_eq!(std::fs::read(camp.join(target)).unwrap(), old, "the file was already replaced");
    // Rewritten in place, as an editor that keeps the file's identity would.
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(camp.join(target)).unwrap();
        f.write_all(b"edited\n").unwrap();
    }
    let before = state(&camp);
    let (c, _, e) = run_in(&camp, &["recover"]);
    assert_eq!(c, 1, "{e}");
    assert!(
        e.contains(&format!("the saved copy of {target} no longer holds what the journal records")),
        "{e}"
    );
    assert!(
        e.contains("a program other than spotcheck changed the file") && e.contains("spotcheck recover"),
        "{e}"
    );
    assert_eq!(state(&camp), before, "the refused undo changed something");
}
