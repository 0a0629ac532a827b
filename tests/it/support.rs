//! Shared helpers: fixture folders with expected output next to each input,
//! and running the built binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel)
}

pub fn root(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// For every file in `dir` ending in `ext`, renders it with `render` and
/// compares with `<stem>.expected` beside it. `SPOTCHECK_BLESS=1` rewrites
/// the expected files instead. Fails listing every mismatch.
pub fn check_dir(dir: &Path, ext: &str, render: impl Fn(&Path) -> String) {
    let bless = std::env::var_os("SPOTCHECK_BLESS").is_some();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no fixtures in {}", dir.display());
    let mut failures = Vec::new();
    for input in &inputs {
        let got = render(input);
        let expected_path = input.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != want {
            failures.push(format!("{}:\n--- expected\n{want}--- got\n{got}", input.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) differ (SPOTCHECK_BLESS=1 to update):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spotcheck"))
}

/// Runs spotcheck with `args`, returning (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out: Output = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// Runs spotcheck with `-C dir` first.
pub fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["-C", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    run(&all)
}

/// The example campaign's files.
pub fn example_rules() -> PathBuf {
    root("rules/cangzhou-2008-face-to-face.toml")
}

pub fn example_frame() -> PathBuf {
    root("examples/cangzhou-2008/synthetic-frame.csv")
}

pub const SEED: &str = "3917 0245 8812 6603 1954";

/// `spotcheck init camp --rules rules --frame frame`.
pub fn init(camp: &Path, rules: &Path, frame: &Path) -> (i32, String, String) {
    run(&[
        "init",
        camp.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--frame",
        frame.to_str().unwrap(),
    ])
}

/// A fresh campaign of the example, committed and drawn, in a temp folder.
pub fn drawn_example() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    let (c, _, e) = init(&camp, &example_rules(), &example_frame());
    assert_eq!(c, 0, "{e}");
    assert_eq!(run_in(&camp, &["commit"]).0, 0);
    let (c, _, e) = run_in(&camp, &["draw", "--seed", SEED]);
    assert_eq!(c, 0, "{e}");
    (tmp, camp)
}

/// The example campaign with every round-1 finding in, as it stands just
/// before `escalate`: self-reports, commitment, draw, assignment, findings.
pub fn example_before_escalate() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let camp = tmp.path().join("camp");
    let (c, _, e) = init(&camp, &example_rules(), &example_frame());
    assert_eq!(c, 0, "{e}");
    let all_in = |cmd: &[&str], dir: &str| {
        let mut args: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
        for f in std::fs::read_dir(root(dir)).unwrap() {
            args.push(f.unwrap().path().to_string_lossy().to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (c, _, e) = run_in(&camp, &args);
        assert_eq!(c, 0, "{e}");
    };
    all_in(&["reports", "import"], "examples/cangzhou-2008/reports");
    assert_eq!(run_in(&camp, &["commit"]).0, 0);
    assert_eq!(run_in(&camp, &["draw", "--seed", SEED]).0, 0);
    let teams = root("examples/cangzhou-2008/teams.csv");
    assert_eq!(run_in(&camp, &["assign", "--teams", teams.to_str().unwrap()]).0, 0);
    all_in(&["findings", "import"], "examples/cangzhou-2008/findings");
    (tmp, camp)
}

/// Compares `got` with the snapshot file (`SPOTCHECK_BLESS=1` rewrites it).
pub fn check_snapshot(path: &Path, got: &str) -> Result<(), String> {
    if std::env::var_os("SPOTCHECK_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, got).unwrap();
        return Ok(());
    }
    let want = std::fs::read_to_string(path).unwrap_or_default();
    if want == got { Ok(()) } else { Err(format!("{}:\n--- expected\n{want}--- got\n{got}", path.display())) }
}

/// Every file under `dir` with its SHA-256, sorted: a fingerprint of a folder.
pub fn hash_tree(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                out.push((rel, spotcheck::hash::sha256_hex(&std::fs::read(&p).unwrap())));
            }
        }
    }
    out.sort();
    out
}

/// The example campaign as `run.sh` leaves it (two rounds, scored, with the
/// annual report), run once for every test that reads it. Tests that change
/// a campaign work on a copy (`copy_tree`).
pub fn example_campaign() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("spotcheck-example-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).unwrap();
        let camp = base.join("campaign");
        let out = Command::new("bash")
            .arg(root("examples/cangzhou-2008/run.sh"))
            .arg(&camp)
            .env("SPOTCHECK", env!("CARGO_BIN_EXE_spotcheck"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        camp
    })
}

/// Copies a folder tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// Changes one byte near the end of a file (a digit, in a CSV file).
pub fn tamper(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes.len() - 3;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(path, bytes).unwrap();
}
