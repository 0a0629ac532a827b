//! One writer at a time: commands started together on one campaign folder
//! wait for each other and lose nothing; a writer that cannot get the lock
//! in time gives up with exit 2 and leaves the folder as it was.

use std::path::Path;
use std::process::{Child, Stdio};

use crate::small::{self, assert_audit_clean, copy_dir};
use crate::support::{bin, hash_tree, run_in};

fn spawn(args: &[String]) -> Child {
    bin().args(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap()
}

fn finish(c: Child) -> (i32, String) {
    let out = c.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).to_string())
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// Was: of two `findings import` runs for different teams started at once,
/// both said "accepted", but one file never reached the journal or the
/// chain broke.
#[test]
fn concurrent_findings_imports_keep_both_files_and_the_chain() {
    let tmp = small::tempdir();
    let base = tmp.path().join("base");
    small::build(&base, tmp.path(), 10);
    let a = small::fill(&base, "一组", &tmp.path().join("filled"), "5");
    let b = small::fill(&base, "二组", &tmp.path().join("filled"), "5");
    for trial in 0..5 {
        let camp = tmp.path().join(format!("t{trial}"));
        copy_dir(&base, &camp);
        let args = |f: &Path| vec!["-C".into(), s(&camp), "findings".into(), "import".into(), s(f)];
        let (one, two) = (spawn(&args(&a)), spawn(&args(&b)));
        for (c, e) in [finish(one), finish(two)] {
            assert_eq!(c, 0, "trial {trial}: {e}");
            assert!(e.contains("accepted"), "trial {trial}: {e}");
        }
        assert_audit_clean(&camp, &format!("trial {trial}"));
        let journal = std::fs::read_to_string(camp.join("journal.jsonl")).unwrap();
        for f in ["findings/检查表-一组.csv", "findings/检查表-二组.csv"] {
            assert!(journal.contains(&format!("\"file\":\"{f}\"")), "trial {trial}: {f} is not journaled");
            assert!(camp.join(f).exists(), "trial {trial}: {f}");
        }
        let (c, out, e) = run_in(&camp, &["status"]);
        assert_eq!(c, 0, "{e}");
        let received: Vec<&str> =
            out.lines().filter(|l| l.starts_with("一组") || l.starts_with("二组")).collect();
        assert!(received.iter().all(|l| l.split_whitespace().nth(3) == Some("0")), "{out}");
    }
}

/// Was: two `score` runs at once broke the chain 6 times in 20.
#[test]
fn concurrent_score_runs_keep_the_chain() {
    let tmp = small::tempdir();
    let base = tmp.path().join("base");
    small::build(&base, tmp.path(), 12);
    for trial in 0..5 {
        let camp = tmp.path().join(format!("t{trial}"));
        copy_dir(&base, &camp);
        let args = vec!["-C".to_string(), s(&camp), "score".into()];
        let (one, two) = (spawn(&args), spawn(&args));
        for (c, e) in [finish(one), finish(two)] {
            assert_eq!(c, 0, "trial {trial}: {e}");
        }
        assert_audit_clean(&camp, &format!("trial {trial}"));
        let journal = std::fs::read_to_string(camp.join("journal.jsonl")).unwrap();
        assert_eq!(journal.matches("\"event\":\"score\"").count(), 2, "trial {trial}");
    }
}

/// Holds the folder's lock as another spotcheck command would.
fn hold(camp: &Path, exclusive: bool) -> std::fs::File {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(camp.join(".spotcheck.lock"))
        .unwrap();
    if exclusive {
        f.lock().unwrap()
    } else {
        f.lock_shared().unwrap()
    }
    f
}

#[test]
fn a_second_writer_waits_then_gives_up_with_exit_2() {
    let tmp = small::tempdir();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 8);
    let before = hash_tree(&camp);
    let lock = hold(&camp, true);
    let (c, _, e) = run_in(&camp, &["--lock-timeout", "0.3", "forms"]);
    assert_eq!(c, 2, "{e}");
    assert_eq!(
        e.matches("waiting for another spotcheck command on this folder").count(),
        1,
        "one message: {e}"
    );
    assert!(e.contains("gave up after 0.3 s: another spotcheck command is still working on"), "{e}");
    assert!(e.contains("--lock-timeout"), "{e}");
    // The environment sets the timeout too; readers wait for a writer.
    let out = bin().args(["-C", &s(&camp), "status"]).env("SPOTCHECK_LOCK_TIMEOUT", "0.2").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(hash_tree(&camp), before, "a writer that gave up leaves the folder as it was");
    // Released: the writer goes on after waiting.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(lock);
    });
    let (c, _, e) = run_in(&camp, &["--lock-timeout", "30", "forms"]);
    releaser.join().unwrap();
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("waiting for another spotcheck command"), "{e}");
}

#[test]
fn readers_share_the_lock_and_writers_wait_for_them() {
    let tmp = small::tempdir();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 8);
    let reading = hold(&camp, false);
    let (c, _, e) = run_in(&camp, &["--lock-timeout", "0", "status"]);
    assert_eq!(c, 0, "a reader beside a reader: {e}");
    assert!(!e.contains("waiting"), "{e}");
    assert_eq!(run_in(&camp, &["--lock-timeout", "0", "audit"]).0, 0);
    assert_eq!(run_in(&camp, &["--lock-timeout", "0", "verify"]).0, 0);
    let (c, _, e) = run_in(&camp, &["--lock-timeout", "0.1", "score", "--provisional"]);
    assert_eq!(c, 2, "a writer waits for readers: {e}");
    drop(reading);
    assert_eq!(run_in(&camp, &["--lock-timeout", "0", "score", "--provisional"]).0, 0);
}

#[test]
fn a_bad_lock_timeout_is_a_usage_error() {
    let tmp = small::tempdir();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 1);
    let (c, _, e) = run_in(&camp, &["--lock-timeout", "soon", "status"]);
    assert_eq!(c, 2);
    assert!(e.contains("--lock-timeout: `soon` is not a number of seconds"), "{e}");
    let out = bin().args(["-C", &s(&camp), "audit"]).env("SPOTCHECK_LOCK_TIMEOUT", "-1").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SPOTCHECK_LOCK_TIMEOUT: `-1`"));
}
