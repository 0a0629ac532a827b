//! The command end to end, on real files in temporary folders: the
//! commit → seed → draw → verify flow, refusals, tampering, exit codes.

use crate::support::{
    SEED, copy_tree, data, drawn_example, example_campaign, example_frame, example_rules, hash_tree, init,
    root, run, run_in, tamper,
};

#[test]
fn commit_seed_draw_verify() {
    let (_tmp, camp) = drawn_example();
    let (c, _, e) = run_in(&camp, &["verify"]);
    assert_eq!(c, 0, "{e}");
    assert!(e.contains("re-derives identically"), "{e}");
    // The journal's events by their Chinese names; CSV keeps the ids.
    let (c, out, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 0, "{e}");
    assert!(out.contains("初始化") && out.contains("承诺") && out.contains("抽样"), "{out}");
    assert!(!out.contains("init") && !out.contains("draw"), "{out}");
    let (c, out, e) = run_in(&camp, &["audit", "--format", "csv"]);
    assert_eq!(c, 0, "{e}");
    assert!(out.contains(",init,") && out.contains(",commit,") && out.contains(",draw,"), "{out}");
    let sample = std::fs::read(camp.join("sample.csv")).unwrap();
    assert!(sample.starts_with(b"\xEF\xBB\xBF"), "sample.csv needs a BOM for Excel");
    assert!(String::from_utf8_lossy(&sample).contains("沧县"));
    // The same list for people, in Excel with Chinese headings, recorded.
    let xlsx = std::fs::read(camp.join("sample.xlsx")).unwrap();
    let mut sheet =
        spotcheck::findings::table::read("sample.xlsx", &xlsx, spotcheck::text::Encoding::Auto, None)
            .unwrap();
    // Title rows above the table: the campaign, the seed and the commitment.
    let above = sheet.header_at(|cells| cells.first().is_some_and(|c| c == "村代码"));
    assert!(above[0].cells[0].contains("抽样名单"), "{above:?}");
    assert!(above[1].cells[0].contains("39170245881266031954"), "{above:?}");
    assert_eq!(sheet.header[0], "村代码");
    assert_eq!(sheet.rows.len(), String::from_utf8_lossy(&sample).lines().count() - 1);
    // Why a village is certain reads as words in the workbook; sample.csv,
    // which verify re-derives, keeps the ids.
    let why = sheet.header.iter().position(|h| h == "必选原因").unwrap();
    let reasons: std::collections::BTreeSet<&str> =
        sheet.rows.iter().map(|r| sheet.cell(r, why)).filter(|v| !v.is_empty()).collect();
    assert_eq!(reasons, ["全部入样", "指定入样"].into(), "{reasons:?}");
    let csv = String::from_utf8_lossy(&sample);
    assert!(csv.contains(",all,") && csv.contains(",forced,") && !csv.contains("全部入样"));
    std::fs::write(camp.join("sample.xlsx"), b"not a workbook").unwrap();
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1, "an edited sample.xlsx is found: {e}");
}

#[test]
fn two_campaigns_with_the_same_seed_draw_identical_bytes() {
    let (_a, one) = drawn_example();
    let (_b, two) = drawn_example();
    assert_eq!(
        std::fs::read(one.join("sample.csv")).unwrap(),
        std::fs::read(two.join("sample.csv")).unwrap()
    );
}

#[test]
fn a_second_draw_is_refused_and_a_redraw_is_journaled() {
    let (_tmp, camp) = drawn_example();
    let before = std::fs::read(camp.join("sample.csv")).unwrap();
    let (c, _, e) = run_in(&camp, &["draw", "--seed", "11112222333344445555"]);
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("--redraw"), "{e}");
    assert_eq!(
        before,
        std::fs::read(camp.join("sample.csv")).unwrap(),
        "a refused draw must not touch the sample"
    );

    let (c, _, e) = run_in(&camp, &["draw", "--redraw", "--seed", "11112222333344445555"]);
    assert_eq!(c, 2, "--redraw without --reason: {e}");
    let (c, _, e) = run_in(
        &camp,
        &["draw", "--redraw", "--reason", "frame error in 青县", "--seed", "11112222333344445555"],
    );
    assert_eq!(c, 0, "{e}");
    let journal = std::fs::read_to_string(camp.join("journal.jsonl")).unwrap();
    let last = journal.lines().last().unwrap();
    assert!(last.contains("\"event\":\"redraw\"") && last.contains(SEED), "both seeds are journaled: {last}");
    assert!(last.contains("11112222333344445555") && last.contains("frame error in 青县"), "{last}");
    let kept = std::fs::read(camp.join("superseded/draw-3/sample.csv")).unwrap();
    assert_eq!(kept, before, "the replaced sample is kept");
    assert_eq!(run_in(&camp, &["verify"]).0, 0);
    assert_eq!(run_in(&camp, &["audit"]).0, 0);
}

#[test]
fn draw_needs_a_commitment_and_a_policy_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("c");
    let rules = example_rules();
    let frame = example_frame();
    assert_eq!(init(&camp, &rules, &frame).0, 0);
    let (c, _, e) = run_in(&camp, &["draw", "--seed", SEED]);
    assert_eq!(c, 2);
    assert!(e.contains("commit"), "{e}");
    assert_eq!(run_in(&camp, &["commit"]).0, 0);
    let (c, _, e) = run_in(&camp, &["draw", "--seed", "12345"]);
    assert_eq!(c, 2);
    assert!(e.contains("at least 20"), "{e}");
    let (c, _, e) = run_in(&camp, &["draw", "--seed", "1234567890123456789x"]);
    assert_eq!(c, 2);
    assert!(e.contains("digits only"), "{e}");
    assert!(!camp.join("sample.csv").exists());
}

#[test]
fn commit_is_stable_and_matches_sha256sum_text() {
    let (_tmp, camp) = drawn_example();
    let (c, out, e) = run_in(&camp, &["commit", "--show"]);
    assert_eq!(c, 0);
    assert!(e.contains("already committed"), "{e}");
    // Recompute the commitment from the files, as SAMPLING.md §2 says.
    let mut lines: Vec<String> = [
        "frame/synthetic-frame.csv",
        "rules/cangzhou-2008-face-to-face.toml",
        "rules/lists/population-survey-2009.csv",
    ]
    .iter()
    .map(|p| format!("{}  {p}\n", spotcheck::hash::sha256_hex(&std::fs::read(camp.join(p)).unwrap())))
    .collect();
    lines.sort_by(|a, b| a[66..].cmp(&b[66..]));
    let text = format!("spotcheck-commitment-v1\n{}", lines.concat());
    assert_eq!(out.trim(), spotcheck::hash::sha256_hex(text.as_bytes()));
}

#[test]
fn a_changed_frozen_file_stops_every_command() {
    let (_tmp, camp) = drawn_example();
    tamper(&camp.join("frame/synthetic-frame.csv"));
    for args in
        [&["commit"][..], &["verify"], &["audit"], &["draw", "--redraw", "--reason", "x", "--seed", SEED]]
    {
        let (c, _, e) = run_in(&camp, args);
        assert_eq!(c, 1, "{args:?}: {e}");
        assert!(e.contains("frame/synthetic-frame.csv"), "{args:?}: {e}");
    }
}

/// `score` and `draw` work from the frame's snapshot, never reading its
/// CSV: a changed CSV still stops them, with the message opening gives,
/// and nothing written.
#[test]
fn a_changed_frame_stops_score_and_draw_with_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let refused = |camp: &std::path::Path, args: &[&str]| {
        let before = hash_tree(camp);
        let (c, _, e) = run_in(camp, args);
        assert_eq!(c, 1, "{args:?}: {e}");
        assert!(
            e.contains("frame/synthetic-frame.csv: frozen input changed since it was recorded"),
            "{args:?}: {e}"
        );
        assert!(e.contains("has been changed outside spotcheck; nothing was done"), "{args:?}: {e}");
        assert_eq!(hash_tree(camp), before, "{args:?} wrote something");
    };
    // Scoring a whole campaign.
    let scored = tmp.path().join("scored");
    copy_tree(example_campaign(), &scored);
    assert_eq!(run_in(&scored, &["score"]).0, 0);
    tamper(&scored.join("frame/synthetic-frame.csv"));
    refused(&scored, &["score"]);
    refused(&scored, &["score", "--provisional"]);
    // The first draw, and a draw asked again with its seed (nothing to do,
    // said only of an intact folder).
    let camp = tmp.path().join("camp");
    assert_eq!(init(&camp, &example_rules(), &example_frame()).0, 0);
    assert_eq!(run_in(&camp, &["commit"]).0, 0);
    let intact = tmp.path().join("intact");
    copy_tree(&camp, &intact);
    tamper(&camp.join("frame/synthetic-frame.csv"));
    refused(&camp, &["draw", "--seed", SEED]);
    assert!(!camp.join("sample.csv").exists());
    // `draw` checks the frame while it draws: the change still comes
    // before a refused seed, and is reported with any other change found
    // on opening.
    refused(&camp, &["draw", "--seed", "12"]);
    let rules = camp.join("rules").join(example_rules().file_name().unwrap());
    let kept = std::fs::read(&rules).unwrap();
    std::fs::write(&rules, [&kept[..], b"\n"].concat()).unwrap();
    let (c, _, e) = run_in(&camp, &["draw", "--seed", SEED]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("frame/synthetic-frame.csv: frozen input changed") && e.contains("rules/"), "{e}");
    // In the order and the words of a command that checks everything on
    // opening.
    assert_eq!(e, run_in(&camp, &["commit"]).2);
    std::fs::write(&rules, kept).unwrap();
    assert_eq!(run_in(&intact, &["draw", "--seed", SEED]).0, 0);
    tamper(&intact.join("frame/synthetic-frame.csv"));
    refused(&intact, &["draw", "--seed", SEED]);
    refused(&intact, &["draw", "--redraw", "--reason", "r", "--seed", "5521 0987 3346 1208 7765"]);
}

/// A changed or missing self-report or reports snapshot, alone or with
/// other changed files (the frame among them, which `draw` checks while it
/// draws), stops `score` and `draw` with nothing written, in the words and
/// the order of a command that checks everything on opening.
#[test]
fn a_changed_self_report_stops_score_and_draw_as_opening_would() {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("scored");
    copy_tree(example_campaign(), &camp);
    let listed = |dir: &str, prefix: &str| -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(camp.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .collect();
        v.sort();
        v
    };
    let reports = listed("reports", "");
    let snapshot = listed("snapshots", "reports-").remove(0);
    let (first, last) = (&reports[0], &reports[reports.len() - 1]);
    let frame = camp.join("frame/synthetic-frame.csv");
    let (sample, assignment) = (camp.join("sample.csv"), camp.join("assignment.csv"));
    let rel = |p: &std::path::Path| p.strip_prefix(&camp).unwrap().to_string_lossy().to_string();
    let redraw = ["draw", "--redraw", "--reason", "r", "--seed", "5521 0987 3346 1208 7765"];
    let refused = |camp: &std::path::Path, changed: &[&std::path::PathBuf], args: &[&str]| {
        let before = hash_tree(camp);
        let (c, _, e) = run_in(camp, args);
        assert_eq!(c, 1, "{args:?}: {e}");
        for p in changed {
            assert!(e.contains(&format!("{}: ", rel(p))), "{args:?} does not name {}: {e}", rel(p));
        }
        assert!(e.contains("has been changed outside spotcheck; nothing was done"), "{args:?}: {e}");
        assert_eq!(hash_tree(camp), before, "{args:?} wrote something");
        assert_eq!(e, run_in(camp, &["commit"]).2, "{args:?}");
    };
    let cases: [&[&std::path::PathBuf]; 5] = [
        &[first],
        &[&snapshot],
        &[last, &sample],
        &[&assignment, first, &snapshot],
        &[&frame, &snapshot, last, &sample],
    ];
    for changed in cases {
        let kept: Vec<Vec<u8>> = changed.iter().map(|p| std::fs::read(p).unwrap()).collect();
        for p in changed {
            tamper(p);
        }
        refused(&camp, changed, &["score"]);
        refused(&camp, changed, &redraw);
        for (p, bytes) in changed.iter().zip(kept) {
            std::fs::write(p, bytes).unwrap();
        }
    }
    let kept = std::fs::read(last).unwrap();
    std::fs::remove_file(last).unwrap();
    refused(&camp, &[last], &["score"]);
    std::fs::write(last, kept).unwrap();
    assert_eq!(run_in(&camp, &["audit"]).0, 0);
    // The first draw of a committed campaign.
    let undrawn = tmp.path().join("undrawn");
    assert_eq!(init(&undrawn, &example_rules(), &example_frame()).0, 0);
    let (c, _, e) = run_in(&undrawn, &["reports", "import", first.to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
    assert_eq!(run_in(&undrawn, &["commit"]).0, 0);
    let copied = undrawn.join("reports").join(first.file_name().unwrap());
    let frame = undrawn.join("frame/synthetic-frame.csv");
    tamper(&copied);
    tamper(&frame);
    let before = hash_tree(&undrawn);
    let (c, _, e) = run_in(&undrawn, &["draw", "--seed", SEED]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("frame/synthetic-frame.csv: ") && e.contains("自查.csv: "), "{e}");
    assert_eq!(e, run_in(&undrawn, &["commit"]).2);
    assert_eq!(hash_tree(&undrawn), before);
}

#[test]
fn a_tampered_sample_is_detected_by_verify_and_audit() {
    let (_tmp, camp) = drawn_example();
    let path = camp.join("sample.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Swap one sampled village for another village code.
    let victim = lines[5].split(',').next().unwrap().to_string();
    lines[5] = lines[5].replacen(&victim, "130921999999", 1);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1);
    assert!(e.contains("sample.csv"), "{e}");
    let (c, _, e) = run_in(&camp, &["verify"]);
    assert_eq!(c, 1);
    assert!(e.contains(&victim) && e.contains("130921999999"), "{e}");
}

#[test]
fn a_tampered_journal_is_detected() {
    let (_tmp, camp) = drawn_example();
    let path = camp.join("journal.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Remove the commit line.
    std::fs::write(&path, format!("{}\n{}\n", lines[0], lines[2])).unwrap();
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1);
    assert!(e.contains("chain broken"), "{e}");
    // Edit the seed in the draw line.
    let edited = text.replace("39170245881266031954", "39170245881266031999");
    std::fs::write(&path, edited).unwrap();
    let (c, _, e) = run_in(&camp, &["audit"]);
    assert_eq!(c, 1, "{e}");
}

#[test]
fn an_outside_auditor_verifies_from_published_files_alone() {
    let (tmp, camp) = drawn_example();
    let public = tmp.path().join("published");
    for rel in [
        "rules/cangzhou-2008-face-to-face.toml",
        "rules/lists/population-survey-2009.csv",
        "frame/synthetic-frame.csv",
        "draw.toml",
        "sample.csv",
        "households.csv",
    ] {
        let dest = public.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(camp.join(rel), dest).unwrap();
    }
    let (c, _, e) = run_in(&public, &["verify"]);
    assert_eq!(c, 0, "{e}");
    // A changed probability is reported as a difference.
    let s = std::fs::read_to_string(public.join("sample.csv")).unwrap();
    // The first probability below 1 in the file.
    let pi = s
        .split([',', '\n', '\r'])
        .find(|f| f.len() == 14 && f.starts_with("0.") && f[2..].bytes().all(|b| b.is_ascii_digit()))
        .unwrap()
        .to_string();
    let other = if pi == "0.250000000000" { "0.125000000000" } else { "0.250000000000" };
    let tampered = s.replacen(&pi, other, 1);
    assert_ne!(s, tampered);
    std::fs::write(public.join("sample.csv"), tampered).unwrap();
    let (c, _, e) = run_in(&public, &["verify"]);
    assert_eq!(c, 1);
    assert!(e.contains(&format!("re-derives as `{pi}`")), "{e}");
}

#[test]
fn init_refuses_bad_input_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("c");
    let bad = data("frame/err/many_problems.csv");
    let rules = data("rules/ok/minimal.toml");
    // The minimal rules map only code/name/county/township: many headers are unknown.
    let (c, _, e) = init(&camp, &rules, &bad);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("many_problems.csv:1: unknown header"), "{e}");
    assert!(!camp.exists(), "nothing may be created when init fails");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0, "no temp files left behind");
}

#[test]
fn init_never_overwrites_a_campaign() {
    let (_tmp, camp) = drawn_example();
    let before = hash_tree(&camp);
    let (c, _, e) = init(&camp, &example_rules(), &example_frame());
    assert_eq!(c, 2, "{e}");
    assert_eq!(before, hash_tree(&camp));
}

#[test]
fn a_gb18030_frame_draws_the_same_sample() {
    let (_tmp, utf8_camp) = drawn_example();
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(example_frame()).unwrap();
    let (gbk, _, bad) = encoding_rs::GB18030.encode(&text);
    assert!(!bad);
    let frame = tmp.path().join("frame-gbk.csv");
    std::fs::write(&frame, &gbk).unwrap();
    let camp = tmp.path().join("c");
    let (c, _, e) = init(&camp, &example_rules(), &frame);
    assert_eq!(c, 0, "{e}");
    assert_eq!(run_in(&camp, &["commit"]).0, 0);
    assert_eq!(run_in(&camp, &["draw", "--seed", SEED]).0, 0);
    assert_eq!(
        std::fs::read(camp.join("sample.csv")).unwrap(),
        std::fs::read(utf8_camp.join("sample.csv")).unwrap()
    );
    assert!(
        std::fs::read_to_string(camp.join("draw.toml")).unwrap().contains("frame_encoding = \"gb18030\"")
    );
    assert_eq!(run_in(&camp, &["verify"]).0, 0);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["frobnicate"]).0, 2);
    assert_eq!(run(&["draw"]).0, 2);
    let tmp = tempfile::tempdir().unwrap();
    let (c, _, e) = run_in(tmp.path(), &["commit"]);
    assert_eq!(c, 2);
    assert!(e.contains("not a campaign folder"), "{e}");
    let (c, _, e) = run(&["check", "--rules", "/nonexistent.toml", "--frame", "/nonexistent.csv"]);
    assert_eq!(c, 2, "{e}");
}

#[test]
fn every_subcommand_help_ends_with_an_example() {
    let paths = crate::examples::command_paths();
    assert!(paths.len() >= 27, "{paths:?}");
    for sub in paths {
        let mut args: Vec<&str> = sub.split(' ').collect();
        args.push("--help");
        let (c, out, _) = run(&args);
        assert_eq!(c, 0);
        assert!(
            out.contains("Example:\n  spotcheck") || out.contains("Examples:\n  spotcheck"),
            "{sub} --help has no example"
        );
    }
}

#[test]
fn synth_is_deterministic_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.csv");
    let b = tmp.path().join("b.csv");
    assert_eq!(run(&["synth", "--preset", "city", "--seed", "2008", "--out", a.to_str().unwrap()]).0, 0);
    assert_eq!(run(&["synth", "--preset", "city", "--seed", "2008", "--out", b.to_str().unwrap()]).0, 0);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // The shipped example frame is this very output.
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(example_frame()).unwrap());
    assert_eq!(run(&["synth", "--preset", "city", "--out", a.to_str().unwrap()]).0, 2);
}

#[test]
fn the_example_script_runs_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("bash")
        .arg(root("examples/cangzhou-2008/run.sh"))
        .arg(tmp.path().join("campaign"))
        .env("SPOTCHECK", env!("CARGO_BIN_EXE_spotcheck"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("verified"), "{err}");
    // The household checks and the 征求意见 questionnaire are scored in
    // every county, each rate with its interval and degrees of freedom, from
    // every village's household findings.
    let cards: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("campaign/score/scorecards.json")).unwrap(),
    )
    .unwrap();
    let cards = cards.as_array().unwrap();
    assert_eq!(cards.len(), 18);
    for card in cards {
        assert_eq!(card["provisional"], false, "{}", card["code"]);
        let m = &card["measures"];
        for rate in [
            "reward_received_rate",
            "long_acting_as_recorded_rate",
            "satisfaction_favourable_rate",
            "door_hard_rate",
            "face_cold_rate",
            "task_hard_rate",
            "bribery_rate",
        ] {
            let (v, lo, hi) = (&m[rate], &m[format!("{rate}_lo")], &m[format!("{rate}_hi")]);
            assert!(
                v.is_number() && lo.is_number() && hi.is_number(),
                "{} {rate}: {v} [{lo}, {hi}]",
                card["code"]
            );
            assert!(lo.as_f64() < hi.as_f64(), "{} {rate}: an interval of positive width", card["code"]);
            let field = rate.trim_end_matches("_favourable_rate").trim_end_matches("_rate");
            assert!(m[format!("{field}_df")].as_f64().unwrap() >= 1.0, "{} {field}_df", card["code"]);
        }
        let ids: Vec<&str> =
            card["indicators"].as_array().unwrap().iter().filter_map(|i| i["id"].as_str()).collect();
        for id in ["reward_received", "long_acting_checked", "satisfaction", "conduct", "bribery"] {
            assert!(ids.contains(&id), "{} has no {id}: {ids:?}", card["code"]);
        }
    }
}

#[test]
fn the_independent_python_verifier_agrees() {
    if std::process::Command::new("python3").arg("--version").output().is_err() {
        eprintln!("python3 not found; skipping the independent verifier");
        return;
    }
    let (_tmp, camp) = drawn_example();
    let script = root("tools/verify_draw.py");
    let out = std::process::Command::new("python3").arg(&script).arg(&camp).output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg("--vectors")
        .arg(data("vectors"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    // Every vector of SAMPLING.md §12 was re-derived, the published draws
    // from their own files.
    for v in [
        "multistage.toml",
        "pps.toml",
        "rivest.toml",
        "plan.toml",
        "allocate/",
        "names-gb18030/",
        "attribute-rate/",
        "forced-collision/",
        "defused-names/",
        "pps-forced/",
        "allocate-equal/",
        "allocate-units/",
        "allocate-zero-weight/",
    ] {
        assert!(stdout.contains(&format!("OK: vector {v}\n")), "vector {v} not checked:\n{stdout}");
    }
    // The refused design is refused by the verifier too, for the same reason.
    assert!(
        stdout.contains("OK: vector short-error/ refused: stage 2: 160102 has 2 units for n = 3\n"),
        "vector short-error not refused:\n{stdout}"
    );
}

/// Regression: the Python verifier refused a rate written with TOML digit
/// separators (`0.9_0`), which the toml crate reads as 0.90 and spotcheck
/// draws with (SAMPLING.md §7).
#[test]
fn the_python_verifier_reads_rates_with_digit_separators() {
    if std::process::Command::new("python3").arg("--version").output().is_err() {
        eprintln!("python3 not found; skipping the independent verifier");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let vector = data("vectors/attribute-rate");
    let rules = tmp.path().join("plan.toml");
    let text = std::fs::read_to_string(vector.join("rules/plan.toml")).unwrap();
    assert!(text.contains("confidence = 0.90,"));
    std::fs::write(&rules, text.replace("confidence = 0.90,", "confidence = 0.9_0,")).unwrap();
    let camp = tmp.path().join("camp");
    let (c, _, e) = init(&camp, &rules, &vector.join("frame/frame.csv"));
    assert_eq!(c, 0, "{e}");
    assert_eq!(run_in(&camp, &["commit"]).0, 0);
    let (c, _, e) = run_in(&camp, &["draw", "--seed", "12345678901234567890"]);
    assert_eq!(c, 0, "{e}");
    // The same sample as with 0.90: the separator changes nothing.
    assert_eq!(
        std::fs::read(camp.join("sample.csv")).unwrap(),
        std::fs::read(vector.join("sample.csv")).unwrap()
    );
    let out =
        std::process::Command::new("python3").arg(root("tools/verify_draw.py")).arg(&camp).output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// SAMPLING.md §12, vector 14: a design with `if_short = "error"` and a
/// county too small for its n is refused by `check` and `init` with the
/// message the vector records, and nothing is created.
#[test]
fn the_refused_vector_is_refused_with_its_documented_message() {
    let dir = data("vectors/short-error");
    let want = std::fs::read_to_string(dir.join("refused.txt")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    for args in [
        vec!["check", "--rules", "rules/short.toml", "--frame", "frame/frame.csv"],
        vec!["init", camp.to_str().unwrap(), "--rules", "rules/short.toml", "--frame", "frame/frame.csv"],
    ] {
        let out = crate::support::bin().current_dir(&dir).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), want, "{args:?}");
    }
    assert!(!camp.exists(), "a refused init must create nothing");
}

/// Regression: verify passed a draw record whose counts of villages,
/// reserves and strata misstated the sample.
#[test]
fn verify_checks_the_counts_in_the_draw_record() {
    let tmp = tempfile::tempdir().unwrap();
    let public = tmp.path().join("allocate");
    for rel in
        ["draw.toml", "sample.csv", "frame/frame.csv", "rules/allocate.toml", "rules/lists/excluded.csv"]
    {
        let dest = public.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(data("vectors/allocate").join(rel), dest).unwrap();
    }
    assert_eq!(run_in(&public, &["verify"]).0, 0);
    let text = std::fs::read_to_string(public.join("draw.toml")).unwrap();
    for (from, to, said) in [
        ("villages = 9", "villages = 10", "villages is 10, but the draw gives 9"),
        ("reserves = 2", "reserves = 1", "reserves is 1, but the draw gives 2"),
        ("strata_per_stage = [1, 2]", "strata_per_stage = [1, 3]", "strata_per_stage is [1, 3]"),
    ] {
        std::fs::write(public.join("draw.toml"), text.replace(from, to)).unwrap();
        let (c, _, e) = run_in(&public, &["verify"]);
        assert_eq!(c, 1, "{e}");
        assert!(e.contains(said), "{e}");
    }
}

/// The README's set-up is exactly the two commands that CI and these tests run.
#[test]
fn readme_setup_is_two_commands_that_ci_runs() {
    let readme = std::fs::read_to_string(root("README.md")).unwrap();
    let setup = readme.split("## Set-up").nth(1).unwrap();
    let block = setup.split("```sh").nth(1).unwrap().split("```").next().unwrap();
    let commands: Vec<&str> =
        block.lines().map(|l| l.split('#').next().unwrap().trim()).filter(|l| !l.is_empty()).collect();
    assert_eq!(commands, ["bash examples/cangzhou-2008/run.sh", "cargo test --locked"]);
    let ci = std::fs::read_to_string(root(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == "cargo test --locked"),
        ".ci/run must run the README's test command"
    );
}

/// Regression: verify accepted rules the commitment did not cover.
#[test]
fn verify_refuses_rules_outside_the_commitment() {
    let (_tmp, camp) = drawn_example();
    let other = camp.join("rules/other.toml");
    std::fs::copy(camp.join("rules/cangzhou-2008-face-to-face.toml"), &other).unwrap();
    let draw = camp.join("draw.toml");
    let text = std::fs::read_to_string(&draw)
        .unwrap()
        .replace("rules = \"rules/cangzhou-2008-face-to-face.toml\"", "rules = \"rules/other.toml\"");
    // Outside a campaign folder, as an auditor would check it.
    let public = _tmp.path().join("pub");
    for rel in [
        "rules/cangzhou-2008-face-to-face.toml",
        "rules/other.toml",
        "rules/lists/population-survey-2009.csv",
        "frame/synthetic-frame.csv",
        "sample.csv",
    ] {
        let dest = public.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(camp.join(rel), dest).unwrap();
    }
    std::fs::write(public.join("draw.toml"), text).unwrap();
    let (c, _, e) = run_in(&public, &["verify"]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("not among the committed"), "{e}");
}

/// Regression: an infinite number in the rules was silently dropped.
#[test]
fn non_finite_numbers_in_rules_are_errors() {
    let text = std::fs::read_to_string(example_rules()).unwrap().replace("per_point = 4", "per_point = inf");
    let (_, d) = spotcheck::rules::parse("r.toml", &text);
    assert!(d.to_string().contains("`per_point` must be a finite number"), "{d}");
}

/// Regression: verify exited 2 (an I/O error) when sample.csv was deleted;
/// a missing sample is a failed check, exit 1, in a campaign and in a
/// folder of published files.
#[test]
fn verify_without_the_sample_is_a_failed_check() {
    let (tmp, camp) = drawn_example();
    let published = tmp.path().join("published");
    std::fs::create_dir(&published).unwrap();
    for f in ["rules", "frame"] {
        let (from, to) = (camp.join(f), published.join(f));
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(&from).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                std::fs::create_dir_all(to.join(p.file_name().unwrap())).unwrap();
                for l in std::fs::read_dir(&p).unwrap() {
                    let l = l.unwrap().path();
                    std::fs::copy(&l, to.join(p.file_name().unwrap()).join(l.file_name().unwrap())).unwrap();
                }
            } else {
                std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    std::fs::copy(camp.join("draw.toml"), published.join("draw.toml")).unwrap();
    std::fs::remove_file(camp.join("sample.csv")).unwrap();
    for dir in [&camp, &published] {
        let (c, _, e) = run_in(dir, &["verify"]);
        assert_eq!(c, 1, "{e}");
        assert!(e.contains("sample.csv:") && e.contains("cannot be read"), "{e}");
    }
}

/// Regression: the first line of a list of problems was printed with an
/// `error:` prefix even when it was a warning. Now each diagnostic is its
/// own line and the verdict comes last.
#[test]
fn a_warning_first_in_the_list_is_not_called_an_error() {
    let rules = data("rules/err/weak_seed.toml");
    let (c, _, e) = run(&[
        "check",
        "--rules",
        rules.to_str().unwrap(),
        "--frame",
        data("design/frame.csv").to_str().unwrap(),
    ]);
    assert_eq!(c, 1, "{e}");
    let lines: Vec<&str> = e.lines().collect();
    assert!(lines[0].ends_with("weak_seed.toml:17:14: warning: fewer than 20 digits can be guessed by brute force once the sample is known; public audits roll at least 20"), "{e}");
    assert!(!lines[0].starts_with("error"), "{e}");
    assert!(lines[1].ends_with("weak_seed.toml:21:5: `n` must be at least 1"), "{e}");
    assert_eq!(lines.last(), Some(&"error: 1 problem found"), "{e}");
}
