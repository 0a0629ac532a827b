//! A small campaign (tests/data/crash: three counties of twelve villages)
//! and its whole pipeline, for the tests that run commands many times:
//! crash recovery, concurrency, the folder audit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{data, run_in};

pub const SEED: &str = "12345678901234567890";
pub const SEED2: &str = "98765432109876543210";

/// The writing commands of the pipeline, in order.
pub const STEPS: [&str; 14] = [
    "init",
    "reports import",
    "commit",
    "draw",
    "draw --redraw",
    "assign",
    "assign --reassign",
    "forms",
    "substitute",
    "forms again",
    "findings import",
    "findings import --supersede",
    "score",
    "annual",
];

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// The arguments of pipeline step `i` for the campaign `camp`, whose state
/// is the one before the step; inputs the step needs (filled-in forms) are
/// written under `work`. `init` has no `-C`; every other step runs in
/// `camp`.
pub fn args(i: usize, camp: &Path, work: &Path) -> Vec<String> {
    let d = |f: &str| s(&data(&format!("crash/{f}")));
    let v: Vec<String> = match STEPS[i] {
        "init" => {
            return ["init", &s(camp), "--rules", &d("rules.toml"), "--frame", &d("frame.csv")]
                .map(String::from)
                .to_vec();
        }
        "reports import" => {
            vec!["reports".into(), "import".into(), d("130921-沧县自查.csv"), d("130922-青县自查.csv")]
        }
        "commit" => vec!["commit".into()],
        "draw" => vec!["draw".into(), "--seed".into(), SEED.into()],
        "draw --redraw" => {
            ["draw", "--redraw", "--reason", "框架有误", "--seed", SEED2].map(String::from).to_vec()
        }
        "assign" => vec!["assign".into(), "--teams".into(), d("teams.csv")],
        "assign --reassign" => {
            vec![
                "assign".into(),
                "--teams".into(),
                d("teams.csv"),
                "--reassign".into(),
                "--reason".into(),
                "调整".into(),
            ]
        }
        "forms" | "forms again" => vec!["forms".into()],
        "substitute" => {
            let village = assignment(camp)[0].1.clone();
            vec!["substitute".into(), village, "--reason".into(), "道路不通".into()]
        }
        "findings import" => {
            let mut v = vec!["findings".to_string(), "import".to_string()];
            for team in ["一组", "二组", "三组"] {
                v.push(s(&fill(camp, team, &work.join("filled"), "5")));
            }
            v
        }
        "findings import --supersede" => {
            let a = fill(camp, "一组", &work.join("corrected"), "6");
            ["findings", "import", &s(&a), "--supersede", "--reason", "改正出生人数"]
                .map(String::from)
                .to_vec()
        }
        "score" => vec!["score".into()],
        "annual" => [
            "annual",
            "--rules",
            &d("annual.toml"),
            "--campaign",
            &format!("check={}", s(camp)),
            "--out",
            &s(&camp.join("annual")),
        ]
        .map(String::from)
        // annual names its campaigns itself; -C would be refused.
        .to_vec(),
        other => panic!("no step {other}"),
    };
    if v[0] == "annual" {
        return v;
    }
    let mut all = vec!["-C".to_string(), s(camp)];
    all.extend(v);
    all
}

/// A temporary folder, in memory where the system has one: the crash tests
/// run each command hundreds of times, and what they test is the order of
/// file operations, not the speed of a disk's flushes.
pub fn tempdir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(t) = tempfile::tempdir_in(shm)
    {
        return t;
    }
    tempfile::tempdir().unwrap()
}

/// (team, village code) of every row of assignment.csv.
pub fn assignment(camp: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(camp.join("assignment.csv")).unwrap();
    text.trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[0].to_string(), c[2].to_string())
        })
        .collect()
}

/// The team's CSV form, filled in (every village: `births` births, a
/// service room), written to `dir/检查表-<team>.csv`.
pub fn fill(camp: &Path, team: &str, dir: &Path, births: &str) -> PathBuf {
    let name = format!("检查表-{team}.csv");
    let text = std::fs::read_to_string(camp.join("forms").join(&name)).unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let mut out = format!("\u{feff}{}\r\n", lines.next().unwrap());
    for l in lines {
        let mut c: Vec<&str> = l.split(',').collect();
        c.truncate(6);
        let row = format!("{},张三,2009-02-20,{births},是", c.join(","));
        out.push_str(&row);
        out.push_str("\r\n");
    }
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, out).unwrap();
    p
}

/// Runs the pipeline's steps `0..n` on a new campaign `camp`.
pub fn build(camp: &Path, work: &Path, n: usize) {
    for i in 0..n {
        build_one(camp, work, i);
    }
}

/// Runs the pipeline's step `i` on the campaign `camp`.
pub fn build_one(camp: &Path, work: &Path, i: usize) {
    let a = args(i, camp, work);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (c, _, e) = crate::support::run(&a);
    assert_eq!(c, 0, "{}: {e}", STEPS[i]);
}

/// Copies a folder.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

/// A fingerprint of a campaign folder to compare the state two runs leave:
/// every file but the journal, its head and the lock, by content. What
/// legitimately differs between runs is left out: the draw's time in
/// draw.toml, the creation time inside .xlsx files, the journal line
/// number in the names of superseded findings files, and the folder paths
/// and journal heads an annual run records (only its outputs count).
pub fn state(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (rel, _) in crate::support::hash_tree(dir) {
        let rel = rel.replace('\\', "/");
        if ["journal.jsonl", "journal.head", ".spotcheck.lock"].contains(&rel.as_str()) {
            continue;
        }
        let bytes = std::fs::read(dir.join(&rel)).unwrap();
        let content = if rel.ends_with("annual-inputs.json") {
            // Paths and journal heads of the run; what it wrote must agree.
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            v["outputs"].to_string()
        } else if rel.ends_with("draw.toml") {
            String::from_utf8(bytes).unwrap().lines().filter(|l| !l.starts_with("drawn_at")).collect()
        } else if rel.ends_with(".xlsx") {
            let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
            let mut parts = String::new();
            for i in 0..z.len() {
                let mut f = z.by_index(i).unwrap();
                let name = f.name().unwrap().to_string();
                if name == "docProps/core.xml" {
                    continue;
                }
                let mut b = Vec::new();
                std::io::Read::read_to_end(&mut f, &mut b).unwrap();
                parts.push_str(&format!("{name} {}\n", spotcheck::hash::sha256_hex(&b)));
            }
            parts
        } else {
            spotcheck::hash::sha256_hex(&bytes)
        };
        let key = match rel.strip_prefix("findings/superseded/") {
            Some(rest) => format!("findings/superseded/N-{}", rest.split_once('-').map_or(rest, |x| x.1)),
            None => rel,
        };
        out.insert(key, content);
    }
    out
}

/// The journal's lines other than recoveries.
pub fn journal_steps(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.contains("\"event\":\"recover\""))
        .map(|l| {
            // The chain links and line numbers shift when recoveries are
            // journaled between steps; what happened must not.
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!("{} {} {}", v["event"], v["at"], v["data"])
        })
        .collect()
}

/// Runs `audit` and asserts that it is clean.
pub fn assert_audit_clean(camp: &Path, what: &str) {
    let (c, _, e) = run_in(camp, &["audit"]);
    assert_eq!(c, 0, "{what}: audit: {e}");
}
