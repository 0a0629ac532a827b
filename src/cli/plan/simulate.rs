//! `spotcheck plan simulate`: detection power of the campaign's own design.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use serde_json::json;

use super::{Format, rate};
use crate::cli::{CmdResult, out, say};
use crate::error::Error;
use crate::frame::tree::Population;
use crate::plan::rate::Rate;
use crate::sample::power::{self, Pattern, Spec};
use crate::sample::{Design, excluded_codes};
use crate::workspace::Workspace;

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum PatternArg {
    /// Villages at random within each county.
    Random,
    /// Whole townships together, which is what really happens.
    Clustered,
    /// The smallest villages of each county.
    Small,
    /// The largest villages of each county.
    Large,
}

/// Detection power of the campaign's real multistage design, by simulation.
///
/// Plants falsified villages at --rate in every county (at least one),
/// runs the campaign's actual draw with --replicates derived seeds, and
/// reports per county and overall the probability that the sample holds at
/// least one falsified village and the expected number it holds, with
/// Monte Carlo standard errors. Results do not depend on --threads.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck -C camp-2009 plan simulate --rate 10% --pattern clustered --replicates 10000"
)]
pub struct Args {
    /// Share of each county's villages that are falsified.
    #[arg(long, value_parser = rate)]
    pub rate: Rate,
    #[arg(long, value_enum, default_value = "random")]
    pub pattern: PatternArg,
    #[arg(long, default_value_t = 1000)]
    pub replicates: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Size column for --pattern small/large (default: the first PPS size, else the first size column).
    #[arg(long)]
    pub size: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

pub fn run(dir: &Path, a: &Args) -> CmdResult {
    if !a.rate.is_proper() {
        return Err(Error::Usage(format!("--rate must be between 0 and 1 (exclusive), not {}", a.rate)));
    }
    if a.replicates == 0 {
        return Err(Error::Usage("--replicates must be at least 1".into()));
    }
    let ws = Workspace::open(dir)?;
    let (rules, frame) = ws.load_inputs()?;
    let pop = Population::new(&frame, &excluded_codes(&rules));
    let (design, diags) = Design::prepare(&rules, &pop);
    let design = design.ok_or_else(|| Error::Invalid(diags.sorted()))?;
    let size_name = a
        .size
        .clone()
        .or_else(|| rules.stages.iter().find_map(|s| s.size.clone()))
        .or_else(|| frame.size_names.first().cloned());
    let pattern = match a.pattern {
        PatternArg::Random => Pattern::Random,
        PatternArg::Clustered => Pattern::Clustered,
        PatternArg::Small => Pattern::Small,
        PatternArg::Large => Pattern::Large,
    };
    let size_column = match (pattern, &size_name) {
        (Pattern::Small | Pattern::Large, None) => {
            return Err(Error::Usage("--pattern small/large needs a size column; the frame has none".into()));
        }
        (_, Some(name)) => frame
            .size_column(name)
            .ok_or_else(|| Error::Usage(format!("no size column `{name}` in the frame")))?,
        (_, None) => 0,
    };
    let threads =
        a.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let spec = Spec { rate: a.rate, pattern, replicates: a.replicates, seed: a.seed, threads, size_column };

    let started = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let last_shown = Mutex::new(0u64);
    let progress = |done: u64| {
        let mut last = last_shown.lock().unwrap_or_else(|e| e.into_inner());
        // A line per 10% when not on a terminal; an updating line when on one.
        if tty {
            eprint!("\rsimulated {done}/{} replicates", a.replicates);
        } else if done * 10 / a.replicates > *last * 10 / a.replicates || done == a.replicates {
            say(&format!("simulated {done}/{} replicates", a.replicates));
        }
        *last = done;
    };
    let results = power::simulate(&design, &pop, &spec, &progress);
    if tty {
        eprintln!();
    }
    let secs = started.elapsed().as_secs_f64();
    say(&format!(
        "{} replicates on {threads} thread(s) in {secs:.1} s ({:.0} replicates/s)",
        a.replicates,
        a.replicates as f64 / secs.max(1e-9)
    ));

    let name = |c: Option<usize>| {
        c.map_or(("all".to_string(), "全市 (all)".to_string()), |c| {
            (frame.counties[c].key.clone(), frame.counties[c].name.clone())
        })
    };
    match a.format {
        Format::Text => {
            let mut s = format!(
                "{:<8} {:<16} {:>8} {:>7} {:>8} {:>16} {:>16}\n",
                "code", "county", "villages", "planted", "sampled", "P(≥1 found)", "expected found"
            );
            for p in &results {
                let (code, county) = name(p.county);
                s.push_str(&format!(
                    "{code:<8} {county:<16} {:>8} {:>7} {:>8.1} {:>9.1}% ± {:>4.1} {:>9.2} ± {:>4.2}\n",
                    p.villages,
                    p.planted,
                    p.sampled,
                    p.detect * 100.0,
                    p.detect_se * 100.0,
                    p.found,
                    p.found_se
                ));
            }
            s.push('\n');
            let how = match pattern {
                Pattern::Random => "at random",
                Pattern::Clustered => "by whole townships",
                Pattern::Small => "among the smallest villages",
                Pattern::Large => "among the largest villages",
            };
            for p in &results {
                let (_, county) = name(p.county);
                s.push_str(&format!(
                    "Checking {:.0} of {} villages in {county} finds at least one falsified village with {:.0}% probability if {} of its villages ({}) are falsified {how}.\n",
                    p.sampled,
                    p.villages,
                    p.detect * 100.0,
                    a.rate,
                    p.planted
                ));
            }
            out(&s);
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record([
                "code",
                "county",
                "villages",
                "planted",
                "sampled_mean",
                "p_detect",
                "p_detect_se",
                "expected_found",
                "expected_found_se",
            ]);
            for p in &results {
                let (code, county) = name(p.county);
                let _ = w.write_record([
                    crate::cell::defuse(&code).into_owned(),
                    crate::cell::defuse(&county).into_owned(),
                    p.villages.to_string(),
                    p.planted.to_string(),
                    format!("{:.4}", p.sampled),
                    format!("{:.6}", p.detect),
                    format!("{:.6}", p.detect_se),
                    format!("{:.6}", p.found),
                    format!("{:.6}", p.found_se),
                ]);
            }
            let mut bytes = b"\xEF\xBB\xBF".to_vec();
            bytes.extend(w.into_inner().unwrap_or_default());
            out(&String::from_utf8_lossy(&bytes));
        }
        Format::Json => {
            let rows: Vec<_> = results
                .iter()
                .map(|p| {
                    let (code, county) = name(p.county);
                    json!({
                        "code": code, "county": county, "villages": p.villages, "planted": p.planted,
                        "sampled_mean": p.sampled, "p_detect": p.detect, "p_detect_se": p.detect_se,
                        "expected_found": p.found, "expected_found_se": p.found_se,
                    })
                })
                .collect();
            let doc = json!({
                "rate": a.rate.value(), "pattern": format!("{:?}", a.pattern).to_lowercase(),
                "replicates": a.replicates, "seed": a.seed, "counties": rows,
            });
            out(&format!("{doc}\n"));
        }
    }
    Ok(0)
}
