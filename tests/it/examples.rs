//! Every example the program and its documents show runs as written: the
//! examples of every `--help`, the commands of README.md's code blocks and
//! command tables, and OUTPUT.md's commands, whose output must have the
//! documented shape. They run in bash from a folder where `rules/` and
//! `examples/` are the project's own, so a renamed file fails here rather
//! than for a user. They run in the order of a campaign (whatever order a
//! document shows them in); a command that changes what later ones rely on
//! (a redraw, a substitution, a corrected file) runs on a copy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::CommandFactory;
use serde_json::Value;

use crate::support::root;

/// Every command path (`draw`, `plan simulate`, …), from the program's own
/// definition.
pub fn command_paths() -> Vec<String> {
    fn walk(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let path = if prefix.is_empty() {
                sub.get_name().to_string()
            } else {
                format!("{prefix} {}", sub.get_name())
            };
            out.push(path.clone());
            walk(sub, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&spotcheck::cli::Cli::command(), "", &mut out);
    out
}

/// A command as a document shows it, and where.
#[derive(Debug, Clone)]
struct Example {
    line: String,
    from: String,
}

/// Lines beginning with `spotcheck ` in `text`, after `start`, joining
/// lines continued with `\`.
fn commands_in(text: &str, from: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let t = l.trim();
        if !(t.starts_with("spotcheck ") || (t.starts_with("cd ") && t.contains("&& spotcheck "))) {
            continue;
        }
        let mut line = t.to_string();
        while line.ends_with('\\') {
            line.pop();
            match lines.next() {
                Some(next) => {
                    line.push(' ');
                    line.push_str(next.trim());
                }
                None => break,
            }
        }
        out.push(Example { line: normal(&line), from: from.to_string() });
    }
    out
}

/// A command without its trailing comment and with single spaces, so that
/// the same command shown twice runs once.
fn normal(line: &str) -> String {
    let mut quoted = false;
    let mut cut = line.len();
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted && prev == ' ' => {
                cut = i;
                break;
            }
            _ => {}
        }
        prev = c;
    }
    line[..cut].split_whitespace().collect::<Vec<_>>().join(" ")
}

fn help_examples() -> Vec<Example> {
    let mut out = Vec::new();
    let mut paths = vec![String::new()];
    paths.extend(command_paths());
    for p in paths {
        let mut args: Vec<&str> = p.split(' ').filter(|s| !s.is_empty()).collect();
        args.push("--help");
        // At 80 columns, as a small terminal shows it: an example that
        // wraps there breaks when it is copied.
        let o = crate::support::bin().args(&args).env("COLUMNS", "80").output().unwrap();
        let (c, text, e) = (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        );
        assert_eq!(c, 0, "{p} --help: {e}");
        let from = format!("spotcheck {p} --help");
        // The examples follow "Example:" (and, at the top, the campaign
        // from start to finish).
        let tail = text.split_once("Example:").or_else(|| text.split_once("start to finish")).map(|x| x.1);
        let tail = tail.unwrap_or("");
        // Every line is a command or continues one: none was wrapped.
        let mut continued = false;
        for l in tail.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            assert!(
                l.starts_with("  spotcheck ") || (continued && l.starts_with("    ")),
                "{from}: an example line wraps at 80 columns: `{l}`"
            );
            continued = l.ends_with('\\');
        }
        out.extend(commands_in(tail, &from));
    }
    out
}

fn readme_examples() -> Vec<Example> {
    let readme = std::fs::read_to_string(root("README.md")).unwrap();
    let mut out = Vec::new();
    for (i, block) in readme.split("```sh\n").enumerate().skip(1) {
        let code = block.split("```").next().unwrap();
        out.extend(commands_in(code, &format!("README.md, code block {i}")));
    }
    for row in readme.lines().filter(|l| l.starts_with("| `spotcheck ")) {
        let cmd = row.trim_start_matches("| `").split('`').next().unwrap();
        out.push(Example { line: normal(cmd), from: "README.md, a command table".into() });
    }
    out
}

/// OUTPUT.md's commands, each with the JSON or CSV it documents.
fn output_examples() -> Vec<(Example, String, String)> {
    let doc = std::fs::read_to_string(root("OUTPUT.md")).unwrap();
    let mut out = Vec::new();
    for section in doc.split("\n### `").skip(1) {
        let cmd = normal(section.split('`').next().unwrap());
        for kind in ["json", "csv"] {
            if let Some(body) = section.split(&format!("```{kind}\n")).nth(1) {
                let body = body.split("```").next().unwrap().to_string();
                out.push((Example { line: cmd.clone(), from: "OUTPUT.md".into() }, kind.to_string(), body));
            }
        }
    }
    out
}

/// The subcommand an example runs, skipping global options and -C.
fn words(line: &str) -> Vec<String> {
    let after = line.split("spotcheck ").nth(1).unwrap_or("");
    let mut it = after.split_whitespace();
    let mut w = Vec::new();
    while let Some(x) = it.next() {
        match x {
            "-C" | "--lang" | "--lock-timeout" => {
                it.next();
            }
            "-q" | "--quiet" => {}
            _ => w.push(x.to_string()),
        }
    }
    w
}

/// When an example runs in a campaign's life, and whether on a copy. The
/// example campaign has a sequential plan: round 1's findings leave one
/// county in between, `escalate` draws round 2, and its findings decide it
/// (a corrected round-1 file must come before that decision).
fn stage(line: &str) -> (u8, bool) {
    let w = words(line);
    let has = |f: &str| w.iter().any(|x| x == f);
    let second = w.get(1).map(String::as_str).unwrap_or("");
    match w.first().map(String::as_str).unwrap_or("") {
        "synth" | "check" | "completions" | "man" | "test" => (0, false),
        "plan" if second == "sequential" && has("--n") => (0, false),
        "plan" if second == "households" && !has("--deff") => (15, false),
        "plan" if second != "simulate" && second != "sequential" => (0, false),
        "init" => (1, false),
        "reports" => (2, false),
        "plan" => (3, false),
        "commit" => (4, false),
        "draw" if has("--redraw") => (6, true),
        "draw" => (5, false),
        "verify" => (6, false),
        "assign" if has("--reassign") => (7, true),
        "assign" => (7, false),
        "forms" => (8, false),
        "substitute" => (8, true),
        "findings" if has("--supersede") => (10, true),
        "findings" if line.contains("round-2") => (13, false),
        "findings" => (9, false),
        "score" if has("--provisional") => (11, false),
        "escalate" if has("--format") => (14, false),
        "escalate" => (12, false),
        "status" | "score" => (15, false),
        "explain" => (16, false),
        "annual" if has("--check") => (17, false),
        "annual" => (16, false),
        "audit" => (17, false),
        "recover" if has("--adopt-head") => (17, true),
        "recover" => (17, false),
        other => panic!("{line}: no stage for `{other}`"),
    }
}

/// A folder like the project's top level: `rules/` and `examples/` are the
/// shipped ones.
fn workdir(at: &Path) {
    std::fs::create_dir_all(at).unwrap();
    for d in ["rules", "examples"] {
        std::os::unix::fs::symlink(root(d), at.join(d)).unwrap();
    }
}

/// Copies a work folder (its own files; the links are made again).
fn copy_work(from: &Path, to: &Path) {
    workdir(to);
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_symlink() {
            continue;
        }
        let st = Command::new("cp").arg("-a").arg(e.path()).arg(to).status().unwrap();
        assert!(st.success());
    }
}

/// The journal head of the example campaign in `work`.
fn head(work: &Path) -> String {
    let (c, out, e) = bash(work, "spotcheck -C camp-2009 audit --format json");
    assert_eq!(c, 0, "{e}");
    let v: Value = serde_json::from_str(&out).unwrap();
    v["head"].as_str().unwrap().to_string()
}

fn bash(dir: &Path, line: &str) -> (i32, String, String) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_spotcheck"));
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("SPOTCHECK_LOCK_TIMEOUT")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// The JSON shape `doc` documents, against `got`: the same keys in every
/// object (an object whose documented key is `<…>` maps any keys), arrays
/// whose every element has the shape of the documented first one, and
/// the same kinds of scalar (null stands for a value that may be absent).
fn shape(doc: &Value, got: &Value, at: &str, errs: &mut Vec<String>) {
    match (doc, got) {
        (Value::Object(d), Value::Object(g)) => {
            if let Some((k, v)) = d.iter().find(|(k, _)| k.starts_with('<')) {
                for (gk, gv) in g {
                    shape(v, gv, &format!("{at}.{gk} (as {k})"), errs);
                }
                return;
            }
            for k in d.keys().filter(|k| !g.contains_key(*k)) {
                errs.push(format!("{at}: documented key `{k}` is missing"));
            }
            for k in g.keys().filter(|k| !d.contains_key(*k)) {
                errs.push(format!("{at}: key `{k}` is not documented"));
            }
            for (k, v) in d {
                if let Some(gv) = g.get(k) {
                    shape(v, gv, &format!("{at}.{k}"), errs);
                }
            }
        }
        (Value::Array(d), Value::Array(g)) => {
            if let Some(d0) = d.first() {
                for (i, gv) in g.iter().enumerate() {
                    shape(d0, gv, &format!("{at}[{i}]"), errs);
                }
            }
        }
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Number(_), Value::Number(_)) | (Value::String(_), Value::String(_)) => {}
        (Value::Bool(_), Value::Bool(_)) => {}
        (d, g) => errs.push(format!("{at}: documented as {d}, printed {g}")),
    }
}

/// Runs an example in `dir`, with the one change made for speed (fewer
/// simulated draws) and the journal head of the campaign in `work` for
/// `<HEAD>`, the head the commission published.
fn run_example(dir: &Path, work: &Path, ex: &Example) -> (i32, String, String) {
    let mut line = ex.line.clone();
    if let Some(i) = line.find("--replicates ") {
        let rest = &line[i + "--replicates ".len()..];
        let n = rest.split_whitespace().next().unwrap_or("").to_string();
        line = line.replacen(&format!("--replicates {n}"), "--replicates 2", 1);
    }
    if line.contains("<HEAD>") {
        line = line.replace("<HEAD>", &head(work));
    }
    let placeholder = line.split('<').skip(1).find(|s| {
        let name = s.split('>').next().unwrap_or("");
        s.contains('>') && !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
    });
    assert!(placeholder.is_none(), "{}: an unknown placeholder in `{line}`", ex.from);
    bash(dir, &line)
}

/// The examples before any campaign exists: synth, check, plan, man, …
#[test]
fn every_example_without_a_campaign_runs() {
    run_stages(0..=0);
}

/// The examples of a campaign's life, from init to the annual assessment.
#[test]
fn every_example_of_a_campaign_runs() {
    run_stages(1..=u8::MAX);
}

/// Runs every example of the help, README.md and OUTPUT.md whose stage is
/// in `stages`, in order, and checks OUTPUT.md's shapes.
fn run_stages(stages: std::ops::RangeInclusive<u8>) {
    let tmp = crate::small::tempdir();
    let work = tmp.path().join("work");
    workdir(&work);
    let help = help_examples();
    let readme = readme_examples();
    let outputs = output_examples();
    assert!(help.len() >= 40, "{} help examples", help.len());
    assert!(readme.len() >= 30, "{} README commands", readme.len());
    assert!(outputs.len() >= 14, "{} OUTPUT.md examples", outputs.len());
    // Each distinct command once, in the order of a campaign.
    let mut by_stage: BTreeMap<u8, Vec<(Example, bool)>> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for ex in help.iter().chain(&readme).chain(outputs.iter().map(|o| &o.0)) {
        let (s, side) = stage(&ex.line);
        if stages.contains(&s) && seen.insert(ex.line.clone()) {
            by_stage.entry(s).or_default().push((ex.clone(), side));
        }
    }
    let documented: BTreeMap<&str, Vec<(&str, &str)>> =
        outputs.iter().fold(BTreeMap::new(), |mut m, (ex, kind, body)| {
            m.entry(ex.line.as_str()).or_default().push((kind.as_str(), body.as_str()));
            m
        });
    let mut failures = Vec::new();
    let mut timings = Vec::new();
    let mut sides = 0;
    for (s, list) in &by_stage {
        for (ex, side) in list {
            let dir = if *side {
                sides += 1;
                let copy = tmp.path().join(format!("side-{sides}"));
                copy_work(&work, &copy);
                if ex.line.contains("--adopt-head") {
                    // A folder made before journal.head existed.
                    std::fs::remove_file(copy.join("camp-2009/journal.head")).unwrap();
                }
                copy
            } else {
                work.clone()
            };
            let started = std::time::Instant::now();
            let (c, out, e) = run_example(&dir, &work, ex);
            timings.push((started.elapsed().as_secs_f64(), ex.line.clone()));
            if c != 0 {
                failures.push(format!("{} (stage {s}): `{}` exited {c}\n{e}", ex.from, ex.line));
                continue;
            }
            for (kind, body) in documented.get(ex.line.as_str()).into_iter().flatten() {
                if *kind == "csv" {
                    let want = body.lines().next().unwrap_or("");
                    let got = out.lines().next().unwrap_or("");
                    if want != got {
                        failures
                            .push(format!("OUTPUT.md: `{}` prints the columns\n{got}\nnot\n{want}", ex.line));
                    }
                    continue;
                }
                let doc: Value = serde_json::from_str(body)
                    .unwrap_or_else(|err| panic!("OUTPUT.md: the JSON of `{}`: {err}", ex.line));
                let got: Value = serde_json::from_str(&out)
                    .unwrap_or_else(|err| panic!("`{}` printed no JSON: {err}\n{out}", ex.line));
                let mut errs = Vec::new();
                shape(&doc, &got, "", &mut errs);
                if !errs.is_empty() {
                    failures.push(format!("OUTPUT.md: `{}`:\n  {}", ex.line, errs.join("\n  ")));
                }
            }
        }
        if *s == 5 {
            // An outside auditor's folder of published files, as the
            // README describes it, for `spotcheck -C published-files verify`.
            let (c, _, e) = bash(
                &work,
                "mkdir published-files && cd camp-2009 && cp -r rules frame reports draw.toml sample.csv households.csv ../published-files/",
            );
            assert_eq!(c, 0, "{e}");
        }
    }
    timings.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (t, l) in timings.iter().take(5) {
        eprintln!("{t:6.2} s  {l}");
    }
    assert!(failures.is_empty(), "{} example(s) failed:\n{}", failures.len(), failures.join("\n\n"));
}
