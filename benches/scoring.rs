//! Benchmark of `spotcheck score` at national scale: the synthetic national
//! frame (500,000 villages, 2,800 counties), self-reports for every village,
//! 2 sampled villages per county (5,600), 200 teams, findings for all, and
//! every indicator of the example campaign. Scoring end to end is timed
//! against loading the same inputs, in the same run; each phase's peak
//! memory is measured in a child process of its own.
//!
//!     cargo bench --bench scoring

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use spotcheck::findings::table;
use spotcheck::frame::synth::{SynthSpec, synth_frame};
use spotcheck::text::Encoding;
use spotcheck::workspace::lock::Access;
use spotcheck::workspace::{self, Workspace, draw, inspection, reports, score};

const TEAMS: usize = 200;

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The national frame mapping and design, with the example's fields,
/// constraints, indicators and vetoes.
fn rules_text() -> String {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/cangzhou-2008-face-to-face.toml"),
    )
    .unwrap();
    let from = example.find("[[field]]").unwrap();
    // Drop the example's county-specific extension and its team rules.
    let mut tail = String::new();
    let mut skip = false;
    for line in example[from..].lines() {
        if line.starts_with("[[") || line.starts_with('[') {
            skip = line.starts_with("[[extension]]") || line.starts_with("[teams]");
        }
        if !skip {
            tail.push_str(line);
            tail.push('\n');
        }
    }
    format!(
        r#"[campaign]
name = "national scoring benchmark"
issuer = "spotcheck"
document = "BENCHMARKS.md"
issued = 2008-11-24
period = {{ start = 2008-12-01, end = 2009-01-24 }}
check_window = {{ start = 2009-02-01, end = 2009-03-31 }}

[frame]
code = "村代码"
name = "村名"
county_code = "县代码"
county = "县名"
township_code = "乡镇代码"
township = "乡镇名"
sizes = ["人口", "户数", "育龄妇女"]

[[stage]]
level = "county"
n = "all"

[[stage]]
level = "village"
n = 2
if_short = "take-all"

{tail}"#
    )
}

fn prepare(dir: &Path) -> PathBuf {
    let frame = dir.join("national.csv");
    std::fs::write(&frame, synth_frame(&SynthSpec::national(), 7)).unwrap();
    let rules = dir.join("national.toml");
    std::fs::write(&rules, rules_text()).unwrap();
    let camp = dir.join("camp");
    workspace::init(&camp, &rules, &frame, Encoding::Auto).unwrap();
    let mut ws = Workspace::open(&camp, &Access::write()).unwrap();
    let (_, f) = ws.load_inputs().unwrap();
    // Self-reports: every village, in 10 files; a county-level row each.
    let mut files = Vec::new();
    for part in 0..10 {
        let mut s = String::from(
            "村代码,births,married,long_acting_required,long_acting_done,fee_due,fee_collected,one_child_reward_paid,service_room\n",
        );
        for i in (part..f.villages.len()).step_by(10) {
            let b = f.size(i, 0) / 90;
            s.push_str(&format!("{},{b},{},30,27,6000,4500,是,是\n", f.code(i), b / 2));
        }
        let p = dir.join(format!("report-{part}.csv"));
        std::fs::write(&p, s).unwrap();
        files.push(p);
    }
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    reports::import(&mut ws, &refs).unwrap();
    ws.commit().unwrap();
    draw::draw(&mut ws, "39170245881266031954", None).unwrap();
    let mut teams = String::from("检查组,成员,籍贯县\n");
    for t in 0..TEAMS {
        teams.push_str(&format!("T{t:03},组员{t},{}\n", f.counties[t].key));
    }
    std::fs::write(dir.join("teams.csv"), teams).unwrap();
    inspection::assign(&mut ws, &dir.join("teams.csv"), None).unwrap();
    inspection::write_forms(&mut ws).unwrap();
    let mut filled = Vec::new();
    for t in 0..TEAMS {
        let form = camp.join(format!("forms/检查表-T{t:03}.csv"));
        let sheet = table::read("f.csv", &std::fs::read(&form).unwrap(), Encoding::Auto, None).unwrap();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&sheet.header).unwrap();
        for (k, r) in sheet.rows.iter().enumerate() {
            let mut c = r.cells.clone();
            c.resize(sheet.header.len(), String::new());
            c[6] = "检查员".into();
            c[7] = "2009-02-20".into();
            let births = 10 + (k % 7);
            let vals = [
                births.to_string(),
                "4".into(),
                "30".into(),
                "26".into(),
                "6000".into(),
                "4000".into(),
                "是".into(),
                "否".into(),
                "2".into(),
                "1".into(),
                "是".into(),
                "22".into(),
                "1".into(),
            ];
            for (j, v) in vals.iter().enumerate() {
                c[8 + j] = v.clone();
            }
            w.write_record(&c).unwrap();
        }
        let p = dir.join(format!("filled-{t}.csv"));
        std::fs::write(&p, w.into_inner().unwrap()).unwrap();
        filled.push(p);
    }
    let refs: Vec<&Path> = filled.iter().map(PathBuf::as_path).collect();
    let res = inspection::import_findings(&mut ws, &refs, None).unwrap();
    assert!(
        res.iter().all(|r| r.accepted.is_some()),
        "{}",
        res.iter().map(|r| r.problems.to_string()).collect::<String>()
    );
    camp
}

fn child(phase: &str, camp: &Path) -> u64 {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--child", phase, camp.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        let camp = PathBuf::from(&args[3]);
        let ws = Workspace::open(&camp, &Access::read()).unwrap();
        if args[2] == "load" {
            std::hint::black_box(score::inputs(&ws).unwrap());
        } else {
            let (rules, inputs) = score::inputs(&ws).unwrap();
            let cards: Vec<_> =
                inputs.iter().map(|c| spotcheck::score::card::card(&rules, c, 0.95)).collect();
            std::hint::black_box(cards);
        }
        println!("{}", peak_kib());
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let camp = prepare(tmp.path());
    let ws = Workspace::open(&camp, &Access::read()).unwrap();
    let (mut load, mut full) = (Vec::new(), Vec::new());
    let mut sampled = 0;
    for _ in 0..3 {
        let t = Instant::now();
        std::hint::black_box(score::inputs(&ws).unwrap());
        load.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let (rules, inputs) = score::inputs(&ws).unwrap();
        sampled = inputs.iter().map(|c| c.sampled.len()).sum();
        let cards: Vec<_> = inputs.iter().map(|c| spotcheck::score::card::card(&rules, c, 0.95)).collect();
        std::hint::black_box(cards);
        full.push(t.elapsed().as_secs_f64());
    }
    let med = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let (l, f) = (med(load), med(full));
    let (pl, pf) = (child("load", &camp), child("score", &camp));
    println!(
        "{sampled} sampled villages in 2,800 counties; 500,000 self-reported villages; median of 3 rounds"
    );
    println!("| phase | time (s) | ratio to loading | peak memory (MiB) |");
    println!("|---|---|---|---|");
    println!(
        "| load inputs (frame, sample, reports, findings) | {l:.3} | 1.00 | {:.1} |",
        pl as f64 / 1024.0
    );
    println!(
        "| score end to end (load + estimate + points) | {f:.3} | {:.2} | {:.1} |",
        f / l,
        pf as f64 / 1024.0
    );
}
