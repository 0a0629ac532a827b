//! The command line's conventions: help on every argument, completions and
//! manual pages, -C and the folder found upward, --quiet, progress only on
//! a terminal, values as people write them, and the step that comes first.

use std::path::Path;

use clap::CommandFactory;

use crate::support::{SEED, bin, data, drawn_example, example_frame, example_rules, init, root, run, run_in};

/// Every argument of every command says what it is for.
#[test]
fn every_argument_has_help() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for a in cmd.get_arguments() {
            let id = a.get_id().as_str();
            if ["help", "version"].contains(&id) || a.is_hide_set() {
                continue;
            }
            if a.get_help().is_none_or(|h| h.to_string().trim().is_empty()) {
                missing.push(format!("{path}: {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&spotcheck::cli::Cli::command(), "spotcheck", &mut missing);
    assert!(missing.is_empty(), "arguments without help:\n{}", missing.join("\n"));
}

/// A drawn example campaign with its teams assigned, and the shipped
/// filled-in form of 第一组 as text.
fn assigned() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let (tmp, camp) = drawn_example();
    let teams = root("examples/cangzhou-2008/teams.csv");
    assert_eq!(run_in(&camp, &["assign", "--teams", teams.to_str().unwrap()]).0, 0);
    let form = std::fs::read_to_string(root("examples/cangzhou-2008/findings/检查表-第一组.csv")).unwrap();
    (tmp, camp, form)
}

/// Writes `text` as a findings file named like the team's form.
fn write_form(dir: &Path, sub: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(sub).join("检查表-第一组.csv");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn completions_and_manual_pages_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (c, out, e) = run(&["completions", shell]);
        assert_eq!(c, 0, "{shell}: {e}");
        for word in ["substitute", "findings", "lock-timeout", "format"] {
            assert!(out.contains(word), "{shell} completions lack {word}");
        }
    }
    // The bash script is valid bash.
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("spotcheck.bash");
    std::fs::write(&script, run(&["completions", "bash"]).1).unwrap();
    if let Ok(st) = std::process::Command::new("bash").arg("-n").arg(&script).status() {
        assert!(st.success(), "bash -n rejects the completion script");
    }
    let (c, page, _) = run(&["man"]);
    assert_eq!(c, 0);
    assert!(page.contains(".TH spotcheck 1") && page.contains("spotcheck\\-draw"), "{}", &page[..200]);
    let dir = tmp.path().join("man1");
    let (c, _, e) = run(&["man", "--out", dir.to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
    let draw = std::fs::read_to_string(dir.join("spotcheck-draw.1")).unwrap();
    assert!(draw.contains("\\-\\-redraw") && draw.contains("3917 0245"), "{draw}");
    assert!(dir.join("spotcheck-plan-simulate.1").is_file());
    assert!(dir.join("spotcheck-findings-import.1").is_file());
    // Again: nothing to do; a page that differs is replaced only with --force.
    assert_eq!(run(&["man", "--out", dir.to_str().unwrap()]).0, 0);
    std::fs::write(dir.join("spotcheck-draw.1"), "edited").unwrap();
    let (c, _, e) = run(&["man", "--out", dir.to_str().unwrap()]);
    assert_eq!(c, 2, "{e}");
    assert!(e.contains("spotcheck-draw.1") && e.contains("--force"), "{e}");
    assert_eq!(run(&["man", "--out", dir.to_str().unwrap(), "--force"]).0, 0);
    assert_eq!(std::fs::read_to_string(dir.join("spotcheck-draw.1")).unwrap(), draw);
}

/// Without -C, a command finds its campaign from any folder inside it, as
/// git finds its repository; outside any campaign it says so.
#[test]
fn the_campaign_folder_is_found_upward_from_the_current_one() {
    let (tmp, camp) = drawn_example();
    let deep = camp.join("frame");
    let out = bin().args(["--lang", "en", "status"]).current_dir(&deep).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("沧县") && text.contains("sampled"), "{text}");
    // verify, also from inside; and a folder of published files is found
    // by its draw record.
    let out = bin().arg("verify").current_dir(&deep).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = bin().arg("status").current_dir(tmp.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("no campaign folder") && e.contains("-C DIR"), "{e}");
    // -C after the command name works as before it.
    let (c, _, e) = run(&["status", "-C", camp.to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
}

/// -C is refused where it means nothing, and when given twice differently.
#[test]
fn dash_c_only_where_a_campaign_folder_is_used() {
    let (c, _, e) = run(&["-C", "x", "init", "y", "--rules", "r.toml", "--frame", "f.csv"]);
    assert_eq!(c, 2);
    assert!(e.contains("`spotcheck init` does not work in a campaign folder"), "{e}");
    let (c, _, e) = run(&["check", "-C", "x", "--rules", "r.toml", "--frame", "f.csv"]);
    assert_eq!(c, 2, "{e}");
    let (c, _, e) = run(&["-C", "x", "plan", "limit", "--n", "10", "--deviations", "0"]);
    assert_eq!(c, 2);
    assert!(e.contains("only `plan simulate`"), "{e}");
    let (c, _, e) = run(&["-C", "a", "status", "-C", "b"]);
    assert_eq!(c, 2);
    assert!(e.contains("-C is given twice"), "{e}");
    let (_, help, _) = run(&["init", "--help"]);
    assert!(!help.contains("-C <DIR>"), "{help}");
    let (_, help, _) = run(&["draw", "--help"]);
    assert!(help.contains("-C <DIR>"), "{help}");
}

/// --quiet leaves the data, warnings and errors, and nothing else.
#[test]
fn quiet_leaves_data_warnings_and_errors() {
    let (_tmp, camp) = drawn_example();
    let (c, out, e) = run_in(&camp, &["--quiet", "verify"]);
    assert_eq!((c, out.as_str(), e.as_str()), (0, "", ""));
    let (c, out, e) = run_in(&camp, &["-q", "score", "--provisional"]);
    assert_eq!(c, 0);
    assert!(out.contains("沧县"), "the table is data: {out}");
    assert!(!e.contains("wrote"), "{e}");
    assert!(e.contains("临时结果"), "a warning stays: {e}");
    let rules = example_rules();
    let frame = example_frame();
    let (c, _, e) =
        run(&["check", "-q", "--rules", rules.to_str().unwrap(), "--frame", frame.to_str().unwrap()]);
    assert_eq!(c, 0);
    assert!(e.contains("warning:") && !e.contains("ok:"), "{e}");
    let (c, _, e) = run_in(&camp, &["-q", "draw", "--seed", "1234 5678 9012 3456 7890"]);
    assert_eq!(c, 2);
    assert!(e.contains("error:"), "{e}");
}

/// Progress shows on a terminal (here a pseudo-terminal made by `script`)
/// and never when stderr is redirected.
#[test]
fn progress_shows_on_a_terminal_only() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("`script` (util-linux) not found; skipping the terminal test");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let frame = tmp.path().join("national.csv");
    let (c, _, e) =
        run(&["synth", "--preset", "national", "--villages", "30,000", "--out", frame.to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
    let rules = root("benches/national.toml");
    let cmd = format!(
        "'{}' --lang en check --rules '{}' --frame '{}' > /dev/null",
        env!("CARGO_BIN_EXE_spotcheck"),
        rules.display(),
        frame.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("SPOTCHECK_PROGRESS_DELAY_MS", "0")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("reading the frame") && shown.contains("MiB"), "{shown}");
    // Redirected: no bar, whatever the delay.
    let out = bin()
        .args([
            "--lang",
            "en",
            "check",
            "--rules",
            rules.to_str().unwrap(),
            "--frame",
            frame.to_str().unwrap(),
        ])
        .env("SPOTCHECK_PROGRESS_DELAY_MS", "0")
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !e.contains("reading the frame"), "{e}");
}

/// 95% and 0.95 are the same confidence everywhere; 95 is refused.
#[test]
fn a_confidence_is_read_as_a_percentage_or_a_fraction() {
    // The example's rules without their sequential plan, which fixes the
    // confidence of each round itself.
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(example_rules()).unwrap();
    let cut = text.find("[sequential]").expect("the example has a sequential plan");
    let rules = tmp.path().join("rules.toml");
    std::fs::write(&rules, &text[..cut]).unwrap();
    std::fs::create_dir_all(tmp.path().join("lists")).unwrap();
    std::fs::copy(
        root("rules/lists/population-survey-2009.csv"),
        tmp.path().join("lists/population-survey-2009.csv"),
    )
    .unwrap();
    let camp = tmp.path().join("camp");
    let (c, _, e) = init(&camp, &rules, &example_frame());
    assert_eq!(c, 0, "{e}");
    assert_eq!(run_in(&camp, &["commit"]).0, 0);
    assert_eq!(run_in(&camp, &["draw", "--seed", SEED]).0, 0);
    let pct = run_in(&camp, &["score", "--provisional", "--confidence", "90%", "--format", "json"]);
    let frac = run_in(&camp, &["score", "--provisional", "--confidence", "0.90", "--format", "json"]);
    assert_eq!(pct.0, 0, "{}", pct.2);
    assert_eq!(pct.1, frac.1);
    assert!(pct.1.contains("\"confidence\": 0.9"), "{}", pct.1);
    let a = run_in(&camp, &["explain", "130921", "birth_accuracy", "--confidence", "99%"]);
    let b = run_in(&camp, &["explain", "130921", "birth_accuracy", "--confidence", ".99"]);
    assert_eq!(a.0, 0, "{}", a.2);
    assert_eq!(a.1, b.1);
    let (c, _, e) = run_in(&camp, &["score", "--confidence", "95"]);
    assert_eq!(c, 2);
    assert!(e.contains("more than 1") || e.contains("between 0 and 1"), "{e}");
    let (c, _, e) = run(&["plan", "limit", "--n", "1,412", "--deviations", "0", "--confidence", "0.95"]);
    assert_eq!(c, 0, "{e}");
}

/// Regression: a count written as Excel shows it (`28,942`) was refused.
/// Thousands separators in groups of three are read; anything else is
/// refused with what a separator must look like.
#[test]
fn thousands_separators_in_findings_are_read_when_grouped_in_threes() {
    let (tmp, camp, form) = assigned();
    assert!(form.contains(",28942,"));
    let ok = write_form(tmp.path(), "grouped", &form.replace(",28942,", ",\"28,942\","));
    let (c, _, e) = run_in(&camp, &["findings", "import", ok.to_str().unwrap()]);
    assert_eq!(c, 0, "{e}");
    let (tmp2, camp2, _) = assigned();
    let bad = write_form(tmp2.path(), "bad", &form.replace(",28942,", ",\"2,89,42\","));
    let (c, _, e) = run_in(&camp2, &["findings", "import", bad.to_str().unwrap()]);
    assert_eq!(c, 1, "{e}");
    assert!(e.contains("`2,89,42` is not a number") && e.contains("groups of three digits"), "{e}");
}

/// Regression: a village code Excel had turned into `1.30925E+11` was
/// called "not in the sample". Now the message says what happened.
#[test]
fn a_code_in_scientific_notation_is_blamed_on_excel() {
    let (tmp, camp, form) = assigned();
    let bad = write_form(tmp.path(), "sci", &form.replacen(",130925100228,", ",1.30925E+11,", 1));
    let (c, _, e) = run_in(&camp, &["findings", "import", bad.to_str().unwrap()]);
    assert_eq!(c, 1, "{e}");
    assert!(
        e.contains("`1.30925E+11` is in scientific notation: Excel turned the code into a number"),
        "{e}"
    );
    assert!(e.contains("format the column as Text (文本)"), "{e}");
    let (c, _, e) = run_in(&camp, &["explain", "1.30921E+05", "birth_accuracy"]);
    assert_eq!(c, 2);
    assert!(e.contains("scientific notation"), "{e}");
}

/// County codes and names, indicator ids and measure names: a near miss
/// gets the nearest known one.
#[test]
fn near_misses_get_a_did_you_mean() {
    let (_tmp, camp) = drawn_example();
    let (c, _, e) = run_in(&camp, &["explain", "1309211", "birth_accuracy"]);
    assert_eq!(c, 2);
    assert!(e.contains("no county `1309211`; did you mean `130921`?"), "{e}");
    let (_, _, e) = run_in(&camp, &["explain", "仓县", "birth_accuracy"]);
    assert!(e.contains("did you mean `沧县`?"), "{e}");
    let (_, _, e) = run_in(&camp, &["explain", "130921", "birth_acuracy"]);
    assert!(e.contains("no indicator `birth_acuracy` in the rules; did you mean `birth_accuracy`?"), "{e}");
    let text = std::fs::read_to_string(example_rules()).unwrap();
    let typo = text.replacen("measure = \"married_accuracy\"", "measure = \"maried_accuracy\"", 1);
    assert_ne!(typo, text, "the example rules name married_accuracy as a measure");
    let (_, d) = spotcheck::rules::parse("r.toml", &typo);
    assert!(
        d.to_string()
            .contains("`maried_accuracy` is not a measure of these rules; did you mean `married_accuracy`?"),
        "{d}"
    );
}

/// Each step run too early names the step that comes first.
#[test]
fn a_step_out_of_order_names_the_step_before_it() {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    assert_eq!(init(&camp, &example_rules(), &example_frame()).0, 0);
    for (args, says) in [
        (vec!["score"], "no sample yet: run `spotcheck commit`"),
        (vec!["explain", "130921", "birth_accuracy"], "no sample yet"),
        (vec!["verify"], "no sample yet"),
        (vec!["draw", "--seed", SEED], "no commitment yet: run `spotcheck commit`"),
        (vec!["status"], "run `spotcheck draw`"),
        (vec!["forms"], "run `spotcheck"),
    ] {
        let (c, _, e) = run_in(&camp, &args);
        assert_eq!(c, 2, "{args:?}: {e}");
        assert!(e.contains(says), "{args:?}: {e}");
    }
    assert_eq!(run_in(&camp, &["commit"]).0, 0);
    let (_, _, e) = run_in(&camp, &["score"]);
    assert!(e.contains("no sample yet: run `spotcheck draw --seed …`"), "{e}");
    let (_, _, e) = run(&["findings", "import", data("crash/frame.csv").to_str().unwrap()]);
    assert!(e.contains("no campaign folder"), "{e}");
}
