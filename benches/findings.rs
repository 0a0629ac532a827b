//! Benchmark of `spotcheck findings import` at national scale: a sample of
//! about 5,600 villages in 2,800 counties, assigned to 200 teams, whose 200
//! filled-in CSV forms are imported in one call. The baseline, measured in
//! the same run, is reading and parsing the same 200 files as tables.
//!
//!     cargo bench --bench findings

use std::path::{Path, PathBuf};
use std::time::Instant;

use spotcheck::findings::table;
use spotcheck::frame::synth::{SynthSpec, synth_frame};
use spotcheck::text::Encoding;
use spotcheck::workspace::lock::Access;
use spotcheck::workspace::{self, Workspace, draw, inspection};

const TEAMS: usize = 200;

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let frame = dir.join("national.csv");
    std::fs::write(&frame, synth_frame(&SynthSpec::national(), 7)).unwrap();
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/national-findings.toml");
    let camp = dir.join("camp");
    workspace::init(&camp, &rules, &frame, Encoding::Auto).unwrap();
    let mut ws = Workspace::open(&camp, &Access::write()).unwrap();
    ws.commit().unwrap();
    draw::draw(&mut ws, "39170245881266031954", None).unwrap();

    // 200 teams; team t comes from the county at position t of the frame's
    // first 200 counties, so every team has a home county to avoid.
    let (_, f) = ws.load_inputs().unwrap();
    let mut teams = String::from("检查组,成员,籍贯县\n");
    for t in 0..TEAMS {
        teams.push_str(&format!("T{t:03},组员{t},{}\n", f.counties[t].key));
    }
    let teams_path = dir.join("teams.csv");
    std::fs::write(&teams_path, teams).unwrap();
    inspection::assign(&mut ws, &teams_path, None).unwrap();
    inspection::write_forms(&mut ws).unwrap();

    // Fill in every team's CSV form.
    let mut files: Vec<PathBuf> = Vec::new();
    let mut villages = 0;
    for t in 0..TEAMS {
        let form = camp.join(format!("forms/检查表-T{t:03}.csv"));
        let sheet = table::read("form.csv", &std::fs::read(&form).unwrap(), Encoding::Auto, None).unwrap();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&sheet.header).unwrap();
        for r in &sheet.rows {
            let mut cells = r.cells.clone();
            cells.resize(sheet.header.len(), String::new());
            cells[6] = "检查员".into();
            cells[7] = "2026-02-10".into();
            for (i, v) in ["3", "12", "10", "1500.5", "是", "22"].iter().enumerate() {
                cells[8 + i] = v.to_string();
            }
            w.write_record(&cells).unwrap();
            villages += 1;
        }
        let path = dir.join(format!("filled-T{t:03}.csv"));
        std::fs::write(&path, w.into_inner().unwrap()).unwrap();
        files.push(path);
    }

    // Baseline: read and parse the same files as tables.
    let t = Instant::now();
    let mut rows = 0;
    for p in &files {
        rows += table::read("f.csv", &std::fs::read(p).unwrap(), Encoding::Auto, None).unwrap().rows.len();
    }
    let base = t.elapsed().as_secs_f64();
    assert_eq!(rows, villages);

    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let t = Instant::now();
    let results = inspection::import_findings(&mut ws, &refs, None).unwrap();
    let import = t.elapsed().as_secs_f64();
    assert!(results.iter().all(|r| r.accepted.is_some()), "every file is accepted");

    let per_k = |s: f64| s / villages as f64 * 1000.0;
    println!(
        "{villages} villages in {} counties, {TEAMS} team files, imported in one call",
        f.counties.len()
    );
    println!("| step | total (s) | per 1,000 villages (s) | ratio |");
    println!("|---|---|---|---|");
    println!("| read + parse the files (baseline) | {base:.3} | {:.4} | 1.00 |", per_k(base));
    println!(
        "| findings import (validate, copy, journal) | {import:.3} | {:.4} | {:.1} |",
        per_k(import),
        import / base
    );
}
