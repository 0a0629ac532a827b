//! spotcheck beside what a commission's statistician would use instead, on
//! the same national-scale synthetic frame, as whole processes, alternating,
//! in one run: R `sampling` and pandas for the two-stage draw, pandas
//! (pyarrow) and R `fread` for parsing alone, the csv crate's bare parse,
//! and R `survey`'s `svyby(svyratio)` for the county ratio estimates that
//! `spotcheck score` makes, on spotcheck's own sample.
//!
//! The peers are the scripts of a peer folder (`gen_frame.py`,
//! `to_spotcheck.py`, `peer_sampling.R`, `peer_pandas.py`, `peer_survey.R`,
//! `parse_only.py`, `parse_only.R`): `$SPOTCHECK_PEERS`, or `shared/peers`
//! beside the repository. Missing R packages or Python modules are
//! installed with apt-get and pip; when that fails, the benchmark says so
//! and stops (exit 0).
//!
//!     cargo bench --bench peers                 # 500,000 villages, 3 rounds
//!     cargo bench --bench peers -- 100000 5     # villages, rounds
//!
//! `SPOTCHECK_BASELINE=<binary>` times an earlier spotcheck beside this one
//! (the pipeline and `score`); `SPOTCHECK_SURVEY_ROUNDS` sets the rounds of
//! R `survey`, which takes minutes at national scale;
//! `SPOTCHECK_BENCH_DIR=<new folder>` works there and keeps it (the frame,
//! the campaigns, the peers' outputs) instead of a temporary folder.
//!
//! Wall time is measured here around each process; peak memory is GNU
//! time's maximum resident set and CPU time its user and system seconds
//! (`/usr/bin/time -f "%M %U %S"`). CPU time is printed beside wall time:
//! on a shared machine it moves less with what else runs, but it counts
//! work on both cores at once as twice the time.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const SEED: &str = "39170245881266031954";

/// One whole-process run: wall seconds, peak resident MiB and CPU seconds
/// (user and system; 0 unknown).
#[derive(Clone, Copy, Default)]
struct Run {
    secs: f64,
    mib: f64,
    cpu: f64,
}

impl std::ops::Add for Run {
    type Output = Run;
    fn add(self, o: Run) -> Run {
        Run { secs: self.secs + o.secs, mib: self.mib.max(o.mib), cpu: self.cpu + o.cpu }
    }
}

/// Runs a command to completion and measures it; panics with its output
/// when it fails (a benchmark of a failing command measures nothing).
fn timed(cmd: &[&str], dir: &Path) -> Run {
    let gnu_time = Path::new("/usr/bin/time").exists();
    let mem = dir.join(".peak");
    let mut c = if gnu_time {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "%M %U %S", "-o", mem.to_str().unwrap()]).args(cmd);
        c
    } else {
        let mut c = Command::new(cmd[0]);
        c.args(&cmd[1..]);
        c
    };
    c.current_dir(dir).stdout(Stdio::piped()).stderr(Stdio::piped());
    let t = Instant::now();
    let out = c.output().unwrap_or_else(|e| panic!("{}: {e}", cmd[0]));
    let secs = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{} failed:\n{}{}",
        cmd.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // GNU time's last line (a failing command adds one before it).
    let said = std::fs::read_to_string(&mem).unwrap_or_default();
    let nums: Vec<f64> =
        said.lines().last().unwrap_or("").split_whitespace().filter_map(|x| x.parse().ok()).collect();
    match nums[..] {
        [kib, user, sys] => Run { secs, mib: kib / 1024.0, cpu: user + sys },
        _ => Run { secs, mib: 0.0, cpu: 0.0 },
    }
}

/// Runs a setup step (not timed).
fn run(cmd: &[&str], dir: &Path) -> String {
    let out = Command::new(cmd[0])
        .args(&cmd[1..])
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", cmd[0]));
    assert!(
        out.status.success(),
        "{} failed:\n{}{}",
        cmd.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn ok(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn have_r() -> bool {
    ok(Command::new("Rscript").args([
        "-e",
        "suppressPackageStartupMessages({library(sampling); library(survey); library(data.table)})",
    ]))
}

fn have_pandas() -> bool {
    ok(Command::new("python3").args(["-c", "import pandas, pyarrow"]))
}

/// The peers, installed if they are missing; `Err` says what is missing.
fn peers_ready() -> Result<(), String> {
    if !have_r() {
        eprintln!("installing R sampling, survey and data.table with apt-get …");
        let _ = ok(Command::new("apt-get").arg("update"));
        let _ = ok(Command::new("apt-get").args([
            "install",
            "-y",
            "r-base-core",
            "r-cran-sampling",
            "r-cran-survey",
            "r-cran-data.table",
        ]));
    }
    if !have_pandas() {
        eprintln!("installing pandas and pyarrow with pip …");
        let _ = ok(Command::new("python3").args(["-m", "pip", "install", "pandas", "pyarrow"]));
    }
    let mut missing = Vec::new();
    if !have_r() {
        missing.push("R with the sampling, survey and data.table packages");
    }
    if !have_pandas() {
        missing.push("python3 with pandas and pyarrow");
    }
    if missing.is_empty() { Ok(()) } else { Err(missing.join(" and ")) }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

/// Runs of one contender, in the order measured.
#[derive(Default)]
struct Series {
    runs: Vec<Run>,
}

impl Series {
    fn secs(&self) -> f64 {
        median(&self.runs.iter().map(|r| r.secs).collect::<Vec<_>>())
    }
    fn mib(&self) -> f64 {
        median(&self.runs.iter().map(|r| r.mib).collect::<Vec<_>>())
    }
    fn cpu(&self) -> f64 {
        median(&self.runs.iter().map(|r| r.cpu).collect::<Vec<_>>())
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The peers' design (`peer-design.toml`) with a births field and an
/// accuracy indicator, so that `score` estimates what `peer_survey.R` does.
fn scoring_rules(peers: &Path) -> String {
    let design = std::fs::read_to_string(peers.join("peer-design.toml")).unwrap();
    format!(
        r#"{design}
[[field]]
id = "births"
name = "出生人数"
kind = "count"
basis = "benchmark: births = round(women_15_49 × 0.05), as peer_survey.R reports them"

[[indicator]]
id = "birth_accuracy"
name = "出生统计求实率"
activity = "摸清底数"
points = 20
kind = "accuracy"
field = "births"
tolerance = 0.05
per_point = 4
zero_beyond = 0.10
rule = "误差率5%以内不扣分，每超过1个百分点扣4分，超过10%不得分"
basis = "benchmark"
"#
    )
}

/// The births a village reports and the births found there, as
/// `peer_survey.R` computes them from the code and women 15–49 (R rounds
/// half to even).
fn births(code: &str, women: f64) -> (f64, f64) {
    let u = (code.parse::<u64>().unwrap() % 9973) as f64 / 9973.0;
    let reported = (women * 0.05).round_ties_even();
    (reported, (reported * (1.0 + 0.2 * u - 0.02)).round_ties_even())
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_path(path).unwrap();
    let mut rows: Vec<Vec<String>> = r
        .records()
        .map(|r| r.unwrap().iter().map(|c| c.trim_start_matches('\u{feff}').to_string()).collect())
        .collect();
    let header = rows.remove(0);
    (header, rows)
}

/// A campaign with self-reports for every village, drawn, assigned, and
/// with every team's findings imported: ready for `score`. Returns it with
/// `sample_R.csv`-like input for `peer_survey.R` on the same sample.
fn scoring_campaign(bin: &str, peers: &Path, work: &Path) -> (PathBuf, PathBuf) {
    std::fs::write(work.join("scoring.toml"), scoring_rules(peers)).unwrap();
    let camp = work.join("scoring");
    run(&[bin, "init", camp.to_str().unwrap(), "--rules", "scoring.toml", "--frame", "sc.csv"], work);
    let (h, frame) = read_csv(&work.join("sc.csv"));
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (c_code, c_county, c_town, c_women) =
        (col("code"), col("county"), col("township"), col("women_15_49"));
    // Self-reports in ten files, as counties send them in batches.
    let mut files = Vec::new();
    for part in 0..10 {
        let mut s = String::from("code,births\n");
        for r in frame.iter().skip(part).step_by(10) {
            let (rep, _) = births(&r[c_code], r[c_women].parse().unwrap());
            s.push_str(&format!("{},{rep}\n", r[c_code]));
        }
        let name = format!("report-{part}.csv");
        std::fs::write(work.join(&name), s).unwrap();
        files.push(work.join(name).to_string_lossy().to_string());
    }
    let mut args = vec![bin, "-C", camp.to_str().unwrap(), "reports", "import"];
    args.extend(files.iter().map(String::as_str));
    run(&args, work);
    run(&[bin, "-C", camp.to_str().unwrap(), "commit"], work);
    run(&[bin, "-C", camp.to_str().unwrap(), "draw", "--seed", SEED], work);
    // Teams from the first hundred counties, each checking elsewhere.
    let mut counties: Vec<&str> = frame.iter().map(|r| r[c_county].as_str()).collect();
    counties.sort_unstable();
    counties.dedup();
    let mut teams = String::from("检查组,成员,籍贯县\n");
    for (t, c) in counties.iter().take(100).enumerate() {
        teams.push_str(&format!("T{t:03},组员{t},{c}\n"));
    }
    std::fs::write(work.join("teams.csv"), teams).unwrap();
    run(&[bin, "-C", camp.to_str().unwrap(), "assign", "--teams", "teams.csv"], work);
    run(&[bin, "-C", camp.to_str().unwrap(), "forms"], work);
    let women: std::collections::HashMap<&str, f64> =
        frame.iter().map(|r| (r[c_code].as_str(), r[c_women].parse().unwrap())).collect();
    let mut filled = Vec::new();
    for e in std::fs::read_dir(camp.join("forms")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "csv") {
            continue;
        }
        let (header, rows) = read_csv(&p);
        let at = |n: &str| header.iter().position(|x| x == n).unwrap();
        let (c_v, c_who, c_date, c_births) = (at("村代码"), at("检查人"), at("检查日期"), at("出生人数"));
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&header).unwrap();
        for mut r in rows {
            let (_, found) = births(&r[c_v], women[r[c_v].as_str()]);
            r[c_who] = "检查员".into();
            r[c_date] = "2026-02-10".into();
            r[c_births] = found.to_string();
            w.write_record(&r).unwrap();
        }
        let out = work.join(format!("filled-{}", p.file_name().unwrap().to_string_lossy()));
        std::fs::write(&out, w.into_inner().unwrap()).unwrap();
        filled.push(out.to_string_lossy().to_string());
    }
    let mut args = vec![bin, "-C", camp.to_str().unwrap(), "findings", "import"];
    args.extend(filled.iter().map(String::as_str));
    run(&args, work);
    // The same sample for R survey: its weights, and the sizes its finite
    // population corrections need.
    let mut townships_in: std::collections::HashMap<&str, std::collections::HashSet<&str>> =
        Default::default();
    let mut villages_in: std::collections::HashMap<&str, usize> = Default::default();
    for r in &frame {
        townships_in.entry(r[c_county].as_str()).or_default().insert(r[c_town].as_str());
        *villages_in.entry(r[c_town].as_str()).or_default() += 1;
    }
    let (sh, sample) = read_csv(&camp.join("sample.csv"));
    let s = |n: &str| sh.iter().position(|x| x == n).unwrap();
    let mut out = String::from("code,county,township,women_15_49,pi,M_county,N_township\n");
    for r in sample.iter().filter(|r| r[s("reserve_rank")].is_empty()) {
        let (code, county, town) = (&r[s("code")], &r[s("county_code")], &r[s("township_code")]);
        out.push_str(&format!(
            "{code},{county},{town},{},{},{},{}\n",
            women[code.as_str()],
            r[s("pi")],
            townships_in[county.as_str()].len(),
            villages_in[town.as_str()]
        ));
    }
    let for_r = work.join("sample_sc.csv");
    std::fs::write(&for_r, out).unwrap();
    (camp, for_r)
}

/// The baseline the draw is held to: every record through the csv crate.
fn parse_only(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let mut rdr = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let mut rec = csv::StringRecord::new();
    let mut n = 0;
    while rdr.read_record(&mut rec).unwrap() {
        n += rec.len();
    }
    n
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--parse") {
        println!("{}", parse_only(Path::new(&args[2])));
        return;
    }
    let numbers: Vec<usize> = args.iter().skip(1).filter_map(|a| a.parse().ok()).collect();
    let villages = numbers.first().copied().unwrap_or(500_000);
    let rounds = numbers.get(1).copied().unwrap_or(3).max(1);
    let survey_rounds: usize =
        std::env::var("SPOTCHECK_SURVEY_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(rounds).max(1);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let peers = std::env::var_os("SPOTCHECK_PEERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../shared/peers"));
    if !peers.join("compare.sh").exists() {
        println!("skipped: no peer scripts in {} (set SPOTCHECK_PEERS)", peers.display());
        return;
    }
    if let Err(missing) = peers_ready() {
        println!("skipped: {missing} could not be installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_spotcheck");
    let baseline = std::env::var("SPOTCHECK_BASELINE").ok();
    let me = std::env::current_exe().unwrap();
    let me = me.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let kept = std::env::var_os("SPOTCHECK_BENCH_DIR").map(PathBuf::from);
    if let Some(k) = &kept {
        std::fs::create_dir_all(k).unwrap();
    }
    let work = kept.as_deref().unwrap_or(tmp.path());
    let p = |f: &str| peers.join(f).to_string_lossy().to_string();
    let n = villages.to_string();
    run(&["python3", &p("gen_frame.py"), &n, "peer.csv"], work);
    run(&["python3", &p("to_spotcheck.py"), "peer.csv", "sc.csv"], work);
    std::fs::create_dir_all(work.join("out")).unwrap();
    for old in ["committed", "new", "old", "fresh", "scoring"] {
        let _ = std::fs::remove_dir_all(work.join(old));
    }
    // pandas' ratio step reads R's sample.
    run(&["Rscript", &p("peer_sampling.R"), "peer.csv", "out"], work);
    let file_mib = std::fs::metadata(work.join("sc.csv")).unwrap().len() as f64 / (1024.0 * 1024.0);
    let design = p("peer-design.toml");

    // A committed campaign to draw in, copied afresh for every draw.
    run(&[bin, "init", "committed", "--rules", &design, "--frame", "sc.csv"], work);
    run(&[bin, "-C", "committed", "commit"], work);

    let pipeline = |b: &str, name: &str| -> (Run, Run, Run) {
        let _ = std::fs::remove_dir_all(work.join(name));
        let i = timed(&[b, "init", name, "--rules", &design, "--frame", "sc.csv"], work);
        let c = timed(&[b, "-C", name, "commit"], work);
        let d = timed(&[b, "-C", name, "draw", "--seed", SEED], work);
        (i, c, d)
    };
    let names = [
        "spotcheck init + commit + draw",
        "  init",
        "  commit",
        "  draw",
        "baseline spotcheck init + commit + draw",
        "R sampling, two-stage draw (whole)",
        "pandas, two-stage draw + ratio (whole)",
        "pandas parse only (pyarrow)",
        "R fread parse only",
        "spotcheck draw on an initialised campaign",
        "csv crate parse of the frame (whole process)",
    ];
    let mut s: Vec<Series> = names.iter().map(|_| Series::default()).collect();
    for round in 0..rounds {
        eprintln!("pipeline round {} of {rounds}", round + 1);
        let (i, c, d) = pipeline(bin, "new");
        s[0].runs.push(i + c + d);
        s[1].runs.push(i);
        s[2].runs.push(c);
        s[3].runs.push(d);
        if let Some(b) = &baseline {
            let (i, c, d) = pipeline(b, "old");
            s[4].runs.push(i + c + d);
        }
        s[5].runs.push(timed(&["Rscript", &p("peer_sampling.R"), "peer.csv", "out"], work));
        s[6].runs
            .push(timed(&["python3", &p("peer_pandas.py"), "peer.csv", "out/sample_R.csv", "out"], work));
        s[7].runs.push(timed(&["python3", &p("parse_only.py"), "pyarrow", "peer.csv"], work));
        s[8].runs.push(timed(&["Rscript", &p("parse_only.R"), "fread", "peer.csv"], work));
        let _ = std::fs::remove_dir_all(work.join("fresh"));
        copy_dir(&work.join("committed"), &work.join("fresh"));
        s[9].runs.push(timed(&[bin, "-C", "fresh", "draw", "--seed", SEED], work));
        s[10].runs.push(timed(&[me, "--parse", "sc.csv"], work));
    }

    eprintln!("preparing the scoring campaign …");
    let (camp, for_r) = scoring_campaign(bin, &peers, work);
    let camp = camp.to_string_lossy().to_string();
    let for_r = for_r.to_string_lossy().to_string();
    let score_names = ["spotcheck score", "baseline spotcheck score", "R survey svyby(svyratio) (whole)"];
    let mut t: Vec<Series> = score_names.iter().map(|_| Series::default()).collect();
    for round in 0..rounds.max(survey_rounds) {
        eprintln!("score round {} of {}", round + 1, rounds.max(survey_rounds));
        if round < rounds {
            t[0].runs.push(timed(&[bin, "-C", &camp, "score"], work));
            if let Some(b) = &baseline {
                t[1].runs.push(timed(&[b, "-C", &camp, "score"], work));
            }
        }
        if round < survey_rounds {
            t[2].runs.push(timed(&["Rscript", &p("peer_survey.R"), &for_r, "out"], work));
        }
    }
    // The county ratios both computed, compared.
    let agreement =
        ratio_agreement(&Path::new(&camp).join("score/scorecards.json"), &work.join("out/ratio_R.csv"));

    println!(
        "{villages} villages, frame {file_mib:.1} MiB; medians of {rounds} alternating rounds (R survey: {survey_rounds})\n"
    );
    println!("| whole process | wall (s) | CPU (s) | peak memory (MiB) | peak / frame file |");
    println!("|---|---|---|---|---|");
    for (name, x) in names.iter().zip(&s).chain(score_names.iter().zip(&t)) {
        if x.runs.is_empty() {
            continue;
        }
        println!(
            "| {name} | {:.3} | {:.3} | {:.1} | {:.2} |",
            x.secs(),
            x.cpu(),
            x.mib(),
            x.mib() / file_mib
        );
    }
    println!("\n| ratio | wall | CPU | target (wall) |");
    println!("|---|---|---|---|");
    let ratio = |a: &Series, b: &Series| (a.secs() / b.secs(), a.cpu() / b.cpu());
    let line =
        |name: &str, (w, c): (f64, f64), target: &str| println!("| {name} | {w:.2} | {c:.2} | {target} |");
    line("pandas whole / spotcheck pipeline", ratio(&s[6], &s[0]), "≥ 5");
    line("R sampling whole / spotcheck pipeline", ratio(&s[5], &s[0]), "≥ 25");
    line("spotcheck draw / csv crate parse", ratio(&s[9], &s[10]), "≤ 2");
    line("R survey / spotcheck score", ratio(&t[2], &t[0]), "≥ 100");
    if baseline.is_some() {
        line("baseline pipeline / spotcheck pipeline", ratio(&s[4], &s[0]), "");
        line("baseline score / spotcheck score", ratio(&t[1], &t[0]), "≥ 10");
    }
    println!("\n{agreement}");
}

/// How far spotcheck's county ratios of found to reported births (and
/// their standard errors) are from R survey's, on the same sample.
fn ratio_agreement(cards: &Path, theirs: &Path) -> String {
    let cards: serde_json::Value = serde_json::from_slice(&std::fs::read(cards).unwrap()).unwrap();
    let (th, trows) = read_csv(theirs);
    let at = |n: &str| th.iter().position(|x| x == n).unwrap();
    let (tc, tr, ts) = (at("county"), at("ratio"), at("se"));
    let r: std::collections::HashMap<&str, (f64, f64)> = trows
        .iter()
        .filter_map(|r| Some((r[tc].as_str(), (r[tr].parse().ok()?, r[ts].parse().ok()?))))
        .collect();
    let (mut n, mut ratio, mut se) = (0, 0.0f64, 0.0f64);
    for c in cards.as_array().into_iter().flatten() {
        let m = &c["measures"];
        let (Some(code), Some(x), Some(e)) =
            (c["code"].as_str(), m["births_ratio"].as_f64(), m["births_ratio_se"].as_f64())
        else {
            continue;
        };
        if let Some(&(y, f)) = r.get(code) {
            n += 1;
            ratio = ratio.max((x - y).abs() / y.abs().max(1e-300));
            se = se.max((e - f).abs() / f.abs().max(1e-12));
        }
    }
    format!(
        "county ratios of found to reported births, spotcheck against R survey on the same sample: {n} counties; \
         largest relative difference {ratio:.1e} in the ratio, {se:.1e} in its standard error"
    )
}
