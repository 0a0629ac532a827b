//! Benchmark of the draw on a national-scale frame (500,000 villages in
//! about 2,800 counties): the whole path a `spotcheck draw` takes — read,
//! decode, parse and validate the frame, check the rules against it, draw a
//! three-stage sample with PPS at the last stage and render sample.csv —
//! against the baseline of reading the same CSV with the csv crate alone.
//!
//! spotcheck's own frame loading (decode, parse, validate) is timed too, so
//! the cost of the draw itself can be read off. All are timed in the same
//! run, alternating, and each phase's peak memory
//! is measured in a child process of its own (VmHWM from /proc).
//!
//!     cargo bench --bench draw            # full size
//!     cargo bench --bench draw -- 50000   # a smaller frame

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use spotcheck::frame::synth::{SynthSpec, synth_frame};
use spotcheck::text::Encoding;
use spotcheck::{frame, rules, sample};

const SEED: &str = "39170245881266031954";
const ROUNDS: usize = 5;

/// The baseline: every record of the file through the csv crate.
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

/// spotcheck's frame loading alone: decode, parse and validate.
fn load_only(path: &Path, rules_path: &Path) -> usize {
    let r = rules::load(rules_path, "national.toml").unwrap();
    frame::load(path, "national.csv", &r.frame, Encoding::Auto).unwrap().villages.len()
}

/// The end-to-end draw.
fn end_to_end(path: &Path, rules_path: &Path) -> usize {
    let r = rules::load(rules_path, "national.toml").unwrap();
    let f = frame::load(path, "national.csv", &r.frame, Encoding::Auto).unwrap();
    // derive checks the rules against the frame before drawing.
    let (s, bytes) = sample::derive(&r, &f, SEED).unwrap();
    s.rows.len() + bytes.len()
}

fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Runs one phase in a child process and returns its peak resident memory.
fn child_peak(phase: &str, frame: &Path, rules_path: &Path) -> u64 {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--child", phase, frame.to_str().unwrap(), rules_path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        let (frame, rules_path) = (PathBuf::from(&args[3]), PathBuf::from(&args[4]));
        let n = match args[2].as_str() {
            "parse" => parse_only(&frame),
            "load" => load_only(&frame, &rules_path),
            _ => end_to_end(&frame, &rules_path),
        };
        assert!(n > 0);
        println!("{}", peak_kib());
        return;
    }
    let villages: usize = args.iter().skip(1).find_map(|a| a.parse().ok()).unwrap_or(500_000);
    let dir = tempfile::tempdir().unwrap();
    let frame = dir.path().join("national.csv");
    let spec = SynthSpec { villages, ..SynthSpec::national() };
    std::fs::write(&frame, synth_frame(&spec, 7)).unwrap();
    let rules_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/national.toml");
    let size = std::fs::metadata(&frame).unwrap().len();

    let (mut base, mut load, mut full) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let t = Instant::now();
        std::hint::black_box(parse_only(&frame));
        base.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(load_only(&frame, &rules_path));
        load.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(end_to_end(&frame, &rules_path));
        full.push(t.elapsed().as_secs_f64());
    }
    let (b, l, f) = (median(base), median(load), median(full));
    let peak = |phase| child_peak(phase, &frame, &rules_path);
    let (pb, pl, pf) = (peak("parse"), peak("load"), peak("draw"));
    let mib = |kib: u64| kib as f64 / 1024.0;
    let file_mib = size as f64 / (1024.0 * 1024.0);
    println!("frame: {villages} villages, {file_mib:.1} MiB; median of {ROUNDS} rounds, alternating");
    println!("| phase | time (s) | ratio to parse | peak memory (MiB) | peak / file size |");
    println!("|---|---|---|---|---|");
    println!("| csv parse only (baseline) | {b:.3} | 1.00 | {:.1} | {:.2} |", mib(pb), mib(pb) / file_mib);
    println!(
        "| frame load: decode, parse, validate | {l:.3} | {:.2} | {:.1} | {:.2} |",
        l / b,
        mib(pl),
        mib(pl) / file_mib
    );
    println!("| end-to-end draw | {f:.3} | {:.2} | {:.1} | {:.2} |", f / b, mib(pf), mib(pf) / file_mib);
}
