//! Everything in a campaign folder is accounted for: audit lists files the
//! journal does not record, symbolic links and dropped journal lines;
//! writes never go through a link or over an unrecorded file; a superseding
//! findings file must be the same team's form; published files follow the
//! umask; a command run again after it completed does nothing.

use std::path::Path;

use crate::small::{self, assert_audit_clean};
use crate::support::{hash_tree, run, run_in};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Was: stray files in findings/ and reports/ were never flagged.
#[test]
fn stray_files_in_findings_and_reports_are_audited() {
    let tmp = small::tempdir();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 11);
    assert_audit_clean(&camp, "the pipeline");
    std::fs::write(camp.join("findings/检查表-九组.csv"), "村代码\n").unwrap();
    std::fs::write(camp.join("reports/late.csv"), "村代码\n").unwrap();
    std::fs::write(camp.join("notes.txt"), "x").unwrap();
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1, "{e}");
    for f in ["findings/检查表-九组.csv", "reports/late.csv", "notes.txt"] {
        assert!(
            e.contains(&format!("{f}: not recorded in the journal (spotcheck did not write it)")),
            "{f}: {e}"
        );
    }
    assert!(e.contains("audit failed: 3 problem(s)"), "{e}");
    // Other commands go on: stray files do not change what is recorded.
    assert_eq!(run_in(&camp, &["status"]).0, 0);
}

/// Was: a symlinked subfolder sent writes outside the campaign.
#[cfg(unix)]
#[test]
fn a_symlinked_subfolder_is_never_written_through() {
    let tmp = small::tempdir();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 10);
    let filled = small::fill(&camp, "一组", &tmp.path().join("filled"), "5");
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, camp.join("findings")).unwrap();
    let before = hash_tree(&camp);
    let (c, _, e) = run_in(&camp, &["findings", "import", s(&filled)]);
    assert_eq!(c, 2, "{e}");
    assert!(
        e.contains("findings in") && e.contains("is a symbolic link; spotcheck never writes through a link"),
        "{e}"
    );
    assert!(e.contains("nothing was written"), "{e}");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0, "nothing went out of the campaign");
    assert_eq!(hash_tree(&camp), before);
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("findings: a symbolic link (to "), "{e}");
    // The score folder as a link: score refuses too.
    std::fs::remove_file(camp.join("findings")).unwrap();
    std::os::unix::fs::symlink(&outside, camp.join("score")).unwrap();
    let (c, _, e) = run_in(&camp, &["score"]);
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("score in") && e.contains("symbolic link"), "{e}");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

/// A file spotcheck did not write is never overwritten.
#[test]
fn an_unrecorded_file_in_the_way_is_not_overwritten() {
    let tmp = small::tempdir();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 10);
    let filled = small::fill(&camp, "一组", &tmp.path().join("filled"), "5");
    std::fs::create_dir_all(camp.join("findings")).unwrap();
    std::fs::write(camp.join("findings/检查表-一组.csv"), "put here by hand\n").unwrap();
    let before = hash_tree(&camp);
    let (c, _, e) = run_in(&camp, &["findings", "import", s(&filled)]);
    assert_eq!(c, 2, "{e}");
    assert!(
        e.contains("findings/检查表-一组.csv exists, but the journal does not record it; spotcheck does not overwrite a file it did not write"),
        "{e}"
    );
    assert_eq!(hash_tree(&camp), before);
}

/// Was: dropping the last journal lines went unnoticed unless a head was
/// published.
#[test]
fn dropped_last_journal_lines_are_detected() {
    let tmp = small::tempdir();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 13);
    let journal = camp.join("journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let n = lines.len();
    // Cut the score line and the draw's cross-check has nothing to say.
    // A leftover temporary file must not make recovery write over the cut.
    std::fs::write(&journal, lines[..n - 1].join("\n") + "\n").unwrap();
    std::fs::write(camp.join(".spotcheck-left.tmp"), "x").unwrap();
    let before = hash_tree(&camp);
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1, "{e}");
    assert!(
        e.contains(&format!(
            "journal.jsonl has {} line(s), but journal.head records line {n} as the last: 1 line(s) were removed from its end",
            n - 1
        )),
        "{e}"
    );
    let (c, _, e) = run_in(&camp, &["status"]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("removed from its end"), "{e}");
    for args in [&["score"][..], &["recover"]] {
        let (c, _, e) = run_in(&camp, args);
        assert_eq!(c, 1, "{args:?}: {e}");
        assert!(
            e.contains("journal.head does not agree with journal.jsonl (were lines removed from its end?)"),
            "{args:?}: {e}"
        );
    }
    assert_eq!(hash_tree(&camp), before, "nothing was written onto the cut journal");
    // Lines appended by hand show too.
    std::fs::remove_file(camp.join(".spotcheck-left.tmp")).unwrap();
    std::fs::write(&journal, &text).unwrap();
    assert_audit_clean(&camp, "restored");
    let hash = spotcheck::hash::sha256_hex(lines[n - 3].as_bytes());
    std::fs::write(camp.join("journal.head"), format!("{} {hash}\n", n - 2)).unwrap();
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1, "{e}");
    assert!(
        e.contains(&format!("lines {}–{n} follow the last line that journal.head records", n - 1)),
        "{e}"
    );
    std::fs::remove_file(camp.join("journal.head")).unwrap();
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("journal.head is missing") && e.contains("--adopt-head"), "{e}");
}

/// A folder made before journal.head existed is refused until it adopts
/// one, checked against the journal head the commission published.
#[test]
fn a_folder_without_a_head_record_adopts_the_published_head() {
    let tmp = small::tempdir();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 13);
    let text = std::fs::read_to_string(camp.join("journal.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::remove_file(camp.join("journal.head")).unwrap();
    let (c, _, e) = run_in(&camp, &["score"]);
    assert_eq!(c, 1, "{e}");
    let (c, _, e) = run_in(&camp, &["recover", "--adopt-head", &"0".repeat(64)]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("is not the hash of any line"), "{e}");
    assert!(!camp.join("journal.head").exists());
    // The head published after the draw: two lines before the end.
    let published = spotcheck::hash::sha256_hex(lines[lines.len() - 3].as_bytes());
    let (c, _, e) = run_in(&camp, &["recover", "--adopt-head", &published]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains(&format!("line {}", lines.len() - 2)), "{e}");
    assert_audit_clean(&camp, "adopted");
    let journal = std::fs::read_to_string(camp.join("journal.jsonl")).unwrap();
    assert!(journal.lines().last().unwrap().contains("head adopted"), "{journal}");
    let (c, _, e) = run_in(&camp, &["recover", "--adopt-head", &published]);
    assert_eq!(c, 2, "a second adoption is refused: {e}");
}

/// Was: `--supersede` replaced by file name, so team one's form saved under
/// team two's name silently dropped team one's villages.
#[test]
fn superseding_with_another_teams_form_is_refused() {
    let tmp = small::tempdir();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 10);
    let first = small::fill(&camp, "一组", &tmp.path().join("filled"), "5");
    assert_eq!(run_in(&camp, &["findings", "import", s(&first)]).0, 0);
    // Team 二组's form (not yet imported), saved under 一组's file name.
    let other = small::fill(&camp, "二组", &tmp.path().join("other"), "7");
    let renamed = tmp.path().join("renamed/检查表-一组.csv");
    std::fs::create_dir_all(renamed.parent().unwrap()).unwrap();
    std::fs::copy(&other, &renamed).unwrap();
    let before = hash_tree(&camp);
    let (c, _, e) = run_in(&camp, &["findings", "import", s(&renamed), "--supersede", "--reason", "改正"]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("this is team 二组's form (form id 二组-"), "{e}");
    assert!(e.contains("but findings/检查表-一组.csv holds team 一组's form (form id 一组-"), "{e}");
    assert!(
        e.contains("a corrected file must carry the same team and form id as the file it replaces"),
        "{e}"
    );
    assert!(e.contains("refused (1 problem); nothing of it was imported"), "{e}");
    assert_eq!(hash_tree(&camp), before, "the folder is unchanged");
    // The same team's corrected form is accepted.
    let corrected = small::fill(&camp, "一组", &tmp.path().join("corrected"), "6");
    let (c, _, e) = run_in(&camp, &["findings", "import", s(&corrected), "--supersede", "--reason", "改正"]);
    assert_eq!(c, 0, "{e}");
}

/// Was: files spotcheck wrote were mode 0600 (the temporary file's).
#[cfg(unix)]
#[test]
fn published_files_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = small::tempdir();
    let work = tmp.path();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for (umask, want) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let camp = work.join(format!("camp{umask}"));
        let mut script = String::new();
        for i in 0..4 {
            let a: Vec<String> = small::args(i, &camp, work).iter().map(|a| format!("'{a}'")).collect();
            script.push_str(&format!(
                "'{}' {} >/dev/null 2>&1 || exit 9\n",
                env!("CARGO_BIN_EXE_spotcheck"),
                a.join(" ")
            ));
        }
        let st = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("umask {umask}\n{script}"))
            .status()
            .unwrap();
        assert!(st.success());
        for f in [
            "sample.csv",
            "draw.toml",
            "sample.xlsx",
            "journal.jsonl",
            "journal.head",
            "frame/frame.csv",
            "reports/130921-沧县自查.csv",
        ] {
            assert_eq!(mode(&camp.join(f)), want, "{f} with umask {umask}");
        }
    }
}

/// A command run again after it completed (as after an interruption whose
/// step had reached the journal) does nothing and says so.
#[test]
fn a_completed_command_run_again_does_nothing() {
    let tmp = small::tempdir();
    let work = tmp.path();
    let camp = work.join("camp");
    for i in 0..small::STEPS.len() {
        let a = small::args(i, &camp, work);
        let (c, _, e) = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(c, 0, "{}: {e}", small::STEPS[i]);
        let journal = std::fs::read_to_string(camp.join("journal.jsonl")).unwrap();
        let before = hash_tree(&camp);
        let (c, _, e) = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(c, 0, "{} again: {e}", small::STEPS[i]);
        // Regression: `assign` said when it was done as a stored timestamp
        // (2026-12-01T12:51:58+08:00); times show as everywhere else.
        let stored = e
            .as_bytes()
            .windows(11)
            .any(|w| w[..4].iter().all(u8::is_ascii_digit) && w[4] == b'-' && w[7] == b'-' && w[10] == b'T');
        assert!(!stored, "{} again: {e}", small::STEPS[i]);
        if e.contains("already") && e.contains(" on ") {
            assert!(e.contains(" (UTC+08:00)"), "{} again: {e}", small::STEPS[i]);
        }
        if ["forms", "forms again", "score"].contains(&small::STEPS[i]) {
            continue;
        }
        assert!(
            e.contains("nothing to do") || e.contains("unchanged") || e.contains("nothing to write"),
            "{} again: {e}",
            small::STEPS[i]
        );
        assert_eq!(
            std::fs::read_to_string(camp.join("journal.jsonl")).unwrap(),
            journal,
            "{}",
            small::STEPS[i]
        );
        assert_eq!(hash_tree(&camp), before, "{}", small::STEPS[i]);
    }
    // A different seed is still refused.
    let (c, _, e) = run_in(&camp, &["draw", "--seed", "11112222333344445555"]);
    assert_eq!(c, 2, "{e}");
    let (c, _, e) = run_in(&camp, &["draw", "--redraw", "--reason", "again", "--seed", small::SEED2]);
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("with this very seed"), "{e}");
}

/// A campaign folder on read-only media (a published copy, an archive): the
/// reading commands work, and a writing one refuses with a plain reason,
/// changing nothing. Root ignores file permissions, so as root the commands
/// run as `nobody` through setpriv (skipped, saying so, without it).
#[cfg(unix)]
#[test]
fn a_read_only_folder_is_read_and_never_written() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let camp = tmp.path().join("camp");
    small::build(&camp, tmp.path(), 13);
    let root = std::process::Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    if root && std::process::Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: running as root without setpriv, so permissions cannot be tested");
        return;
    }
    let mut dirs = vec![camp.clone()];
    for (rel, _) in hash_tree(&camp) {
        let p = camp.join(&rel);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
        let mut d = p.parent().unwrap().to_path_buf();
        while d != camp {
            dirs.push(d.clone());
            d = d.parent().unwrap().to_path_buf();
        }
    }
    for d in &dirs {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let before = hash_tree(&camp);
    let as_reader = |args: &[&str]| {
        let bin = env!("CARGO_BIN_EXE_spotcheck");
        let mut cmd = if root {
            let mut c = std::process::Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
            c
        } else {
            std::process::Command::new(bin)
        };
        let out = cmd.arg("-C").arg(&camp).args(args).output().unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).to_string())
    };
    for args in [&["status"][..], &["audit"], &["verify"], &["explain", "130921", "birth_accuracy"]] {
        let (c, e) = as_reader(args);
        assert_eq!(c, 0, "{args:?} on a read-only folder: {e}");
    }
    let (c, e) = as_reader(&["score"]);
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("cannot write to the campaign folder") && e.contains("needs write access"), "{e}");
    assert_eq!(hash_tree(&camp), before, "nothing changed");
    for d in &dirs {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}
