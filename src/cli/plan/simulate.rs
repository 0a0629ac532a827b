//! `spotcheck plan simulate`: detection power of the campaign's own design.

use std::time::Instant;

use serde_json::json;

use super::rate;
use crate::cli::output::{self, Format, FormatArg};
use crate::cli::table::{Align, Table};
use crate::cli::{At, CmdResult, note, out, parse_count, parse_level};
use crate::error::Error;
use crate::frame::tree::Population;
use crate::lang::Lang;
use crate::plan::rate::Rate;
use crate::progress::{self, Task};
use crate::sample::power::{self, Pattern, Spec};
use crate::sample::{Design, excluded_codes};
use crate::score::simulate as verdict_sim;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
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

/// Detection power and verdict risks of the campaign's real multistage
/// design, by simulation.
///
/// With --rate: plants falsified villages at that rate in every county (at
/// least one), runs the campaign's actual draw with --replicates derived
/// seeds, and reports per county and overall how often the sample holds at
/// least one falsified village and how many it holds on average.
///
/// With --noise: takes the counties' self-reports as the truth and, for
/// each replicate, draws the sample and scores it twice by the real rules:
/// once for an honest county whose found figures differ from the truth by
/// unbiased noise (each count times 1 + u, u uniform in ±noise), and once
/// for a county that left --conceal of --field out of its report. It
/// reports how often each rule and veto fires in each case.
///
/// Every result is a frequency over replicates with its simulation standard
/// error. Results do not depend on --threads.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck -C camp-2009 plan simulate --rate 10% --pattern clustered \\\n      --replicates 10000\n  spotcheck -C camp-2009 plan simulate --noise 10% --conceal 12% \\\n      --replicates 1000"
)]
pub struct Args {
    #[command(flatten)]
    pub at: At,
    /// Share of each county's villages that are falsified: 10% or 0.10.
    #[arg(long, value_parser = rate, required_unless_present = "noise", conflicts_with = "noise")]
    pub rate: Option<Rate>,
    /// Honest recording noise for the verdict simulation: found figures
    /// are the reported ones times 1 + u, u uniform in ±noise.
    #[arg(long, value_parser = rate)]
    pub noise: Option<Rate>,
    /// Share of --field that the concealing county leaves out of its report.
    #[arg(long, value_parser = rate, default_value = "12%", requires = "noise")]
    pub conceal: Rate,
    /// The field the concealing county under-reports (default: the field of
    /// the first accuracy indicator).
    #[arg(long, requires = "noise")]
    pub field: Option<String>,
    /// Confidence of the bounds the rules read (as `score --confidence`):
    /// 95% or 0.95.
    #[arg(long, default_value = "95%", value_parser = parse_level, requires = "noise", value_name = "LEVEL")]
    pub confidence: f64,
    /// Where the falsified villages lie in each county.
    #[arg(long, value_enum, default_value = "random")]
    pub pattern: PatternArg,
    /// Simulated draws (10,000 and 10000 are both read).
    #[arg(long, default_value = "1000", value_parser = parse_count, value_name = "COUNT")]
    pub replicates: u64,
    /// Seed of the simulation (not of the campaign's draw): the same seed
    /// gives the same results.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Size column for --pattern small/large (default: the first PPS size, else the first size column).
    #[arg(long, value_name = "COLUMN")]
    pub size: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(f: &super::super::Folder, a: &Args, lang: Lang) -> CmdResult {
    if let Some(noise) = a.noise {
        return verdicts(f, a, noise, lang);
    }
    let Some(rate) = a.rate else {
        return Err(Error::Usage("give --rate (detection power) or --noise (verdict risks)".into()));
    };
    if !rate.is_proper() {
        return Err(Error::Usage(format!("--rate must be between 0 and 1 (exclusive), not {rate}")));
    }
    if a.replicates == 0 {
        return Err(Error::Usage("--replicates must be at least 1".into()));
    }
    // Read under the lock, which is released before the long simulation.
    let (rules, frame) = f.read()?.load_inputs()?;
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
    let spec = Spec { rate, pattern, replicates: a.replicates, seed: a.seed, threads, size_column };

    let started = Instant::now();
    let job = progress::job(Task::Simulate, a.replicates);
    let results = power::simulate(&design, &pop, &spec, &|done| job.set(done));
    drop(job);
    let secs = started.elapsed().as_secs_f64();
    note(&format!(
        "{} replicates on {threads} thread(s) in {secs:.1} s ({:.0} replicates/s)",
        a.replicates,
        a.replicates as f64 / secs.max(1e-9)
    ));

    let name = |c: Option<usize>| {
        c.map_or(("all".to_string(), lang.t("全市", "all").to_string()), |c| {
            (frame.counties[c].key.clone(), frame.counties[c].name.clone())
        })
    };
    match a.format.format {
        Format::Table => {
            let mut t = Table::new(&[
                (lang.t("县代码", "code"), Align::Left),
                (lang.t("县", "county"), Align::Left),
                (lang.t("村数", "villages"), Align::Right),
                (lang.t("造假村数", "planted"), Align::Right),
                (lang.t("平均抽查村数", "sampled"), Align::Right),
                (lang.t("至少查出一个的概率", "P(≥1 found)"), Align::Right),
                (lang.t("平均查出数", "expected found"), Align::Right),
            ]);
            for p in &results {
                let (code, county) = name(p.county);
                // The city's line: 全市 (or all) once, without the CSV's code.
                let code = if p.county.is_some() { code } else { String::new() };
                t.row(vec![
                    code,
                    county,
                    p.villages.to_string(),
                    p.planted.to_string(),
                    format!("{:.1}", p.sampled),
                    format!("{:.1}% ± {:.1}", p.detect * 100.0, p.detect_se * 100.0),
                    format!("{:.2} ± {:.2}", p.found, p.found_se),
                ]);
            }
            let mut s = t.render();
            s.push('\n');
            let how = match (pattern, lang) {
                (Pattern::Random, Lang::Zh) => "随机分布",
                (Pattern::Clustered, Lang::Zh) => "整乡镇集中",
                (Pattern::Small, Lang::Zh) => "集中在最小的村",
                (Pattern::Large, Lang::Zh) => "集中在最大的村",
                (Pattern::Random, Lang::En) => "at random",
                (Pattern::Clustered, Lang::En) => "by whole townships",
                (Pattern::Small, Lang::En) => "among the smallest villages",
                (Pattern::Large, Lang::En) => "among the largest villages",
            };
            for p in &results {
                let (_, county) = name(p.county);
                let share = p.planted as f64 / p.villages.max(1) as f64 * 100.0;
                s.push_str(&match lang {
                    Lang::Zh => format!(
                        "{county}：{}个村中有{}个（{share:.1}%）造假，{how}；平均抽查{:.1}个村，在{}次模拟抽样中至少查出一个的比例为{:.1}% ± {:.1}%。\n",
                        p.villages, p.planted, p.sampled, a.replicates, p.detect * 100.0, p.detect_se * 100.0
                    ),
                    Lang::En => format!(
                        "With {} of its {} villages ({share:.1}%) falsified {how}, checking {:.1} villages of {county} on average found at least one of them in {:.1}% ± {:.1}% of {} simulated draws.\n",
                        p.planted, p.villages, p.sampled, p.detect * 100.0, p.detect_se * 100.0, a.replicates
                    ),
                });
            }
            out(&s);
        }
        Format::Csv | Format::Json => {
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
            if a.format.format == Format::Csv {
                out(&output::csv(
                    &[
                        "code",
                        "county",
                        "villages",
                        "planted",
                        "sampled_mean",
                        "p_detect",
                        "p_detect_se",
                        "expected_found",
                        "expected_found_se",
                    ],
                    &rows,
                ));
            } else {
                out(&output::json(&json!({
                    "rate": rate.value(), "pattern": format!("{:?}", a.pattern).to_lowercase(),
                    "replicates": a.replicates, "seed": a.seed, "counties": rows,
                })));
            }
        }
    }
    Ok(0)
}

/// A frequency with its simulation error, as people read it.
fn freq(k: u64, n: u64) -> String {
    let (p, se) = verdict_sim::frequency(k, n);
    format!("{:.1}% ± {:.1}", p * 100.0, se * 100.0)
}

/// `plan simulate --noise`: how often the rules fire against honest and
/// concealing counties.
fn verdicts(f: &super::super::Folder, a: &Args, noise: Rate, lang: Lang) -> CmdResult {
    for (what, r) in [("--noise", noise), ("--conceal", a.conceal)] {
        if !r.is_proper() {
            return Err(Error::Usage(format!("{what} must be between 0 and 1 (exclusive), not {r}")));
        }
    }
    if a.replicates == 0 {
        return Err(Error::Usage("--replicates must be at least 1".into()));
    }
    let ws = f.read()?;
    let (rules, frame) = ws.load_inputs()?;
    let field = match &a.field {
        Some(f) => f.clone(),
        None => rules
            .scoring
            .indicators
            .iter()
            .find_map(|i| match &i.kind {
                crate::rules::scoring::IndicatorKind::Accuracy { field, .. } => Some(field.clone()),
                _ => None,
            })
            .ok_or_else(|| {
                Error::Usage(
                    "the rules have no accuracy indicator; name the concealed field with --field".into(),
                )
            })?,
    };
    match rules.inspection.fields.iter().find(|f| f.id == field) {
        Some(f) if f.reported && matches!(f.kind, crate::rules::Kind::Count | crate::rules::Kind::Amount) => {
        }
        Some(_) => {
            return Err(Error::Usage(format!("--field {field}: a reported count or amount field is needed")));
        }
        None => return Err(Error::Usage(format!("--field {field}: no such field in the rules"))),
    }
    let truth = crate::workspace::score::report_values(&ws, &rules, &frame)?;
    // The lock is released before the long simulation.
    drop(ws);
    let pop = Population::new(&frame, &excluded_codes(&rules));
    let (design, diags) = Design::prepare(&rules, &pop);
    let design = design.ok_or_else(|| Error::Invalid(diags.sorted()))?;
    let threads =
        a.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let spec = verdict_sim::Spec {
        noise: noise.value(),
        conceal: a.conceal.value(),
        field: field.clone(),
        replicates: a.replicates,
        seed: a.seed,
        threads,
        level: a.confidence,
    };
    let designs = verdict_sim::county_designs(&design, &pop);
    let started = Instant::now();
    let job = progress::job(Task::Simulate, a.replicates);
    let results = verdict_sim::simulate(&rules, &design, &pop, &truth, &spec, &|done| job.set(done));
    drop(job);
    note(&format!(
        "{} replicates on {threads} thread(s) in {:.1} s",
        a.replicates,
        started.elapsed().as_secs_f64()
    ));
    let name = |c: Option<usize>| {
        c.map_or(("all".to_string(), lang.t("全市", "all").to_string()), |c| {
            (frame.counties[c].key.clone(), frame.counties[c].name.clone())
        })
    };
    let names = crate::rules::names::Names::new(&rules);
    // A rule fired, by its display name: an indicator, its veto, or a veto.
    let rule_name = |id: &str| match id.strip_suffix(" (veto)") {
        Some(ind) => format!("{}{}", names.indicator(ind, lang), lang.t("（一票否决）", " (veto)")),
        None if rules.scoring.indicators.iter().any(|i| i.id == id) => names.indicator(id, lang),
        None => format!("{}{}", names.veto(id, lang), lang.t("（一票否决）", " (veto)")),
    };
    let df = |c: Option<usize>| designs.iter().find(|d| Some(d.county) == c).map(|d| d.df);
    let mut rule_ids: Vec<String> = results
        .iter()
        .flat_map(|r| r.honest.by_rule.keys().chain(r.concealing.by_rule.keys()).cloned())
        .collect();
    rule_ids.sort();
    rule_ids.dedup();
    match a.format.format {
        Format::Table => {
            let mut t = Table::new(&[
                (lang.t("县代码", "code"), Align::Left),
                (lang.t("县", "county"), Align::Left),
                (lang.t("自由度", "df"), Align::Right),
                (lang.t("诚实县被否决", "honest: vetoed"), Align::Right),
                (lang.t("瞒报县被否决", "concealing: vetoed"), Align::Right),
            ]);
            for r in &results {
                let (code, county) = name(r.county);
                // The city's line: 全市 (or all) once, without the CSV's code.
                let code = if r.county.is_some() { code } else { String::new() };
                t.row(vec![
                    code,
                    county,
                    df(r.county).map_or("".to_string(), |d| d.to_string()),
                    freq(r.honest.vetoed, r.trials),
                    freq(r.concealing.vetoed, r.trials),
                ]);
            }
            let mut s = t.render();
            let city = results.last().expect("the city's line");
            s.push_str(&match lang {
                Lang::Zh => format!("\n各项规则触发的频率（共{}个县次模拟抽样）：\n", city.trials),
                Lang::En => format!("\nhow often each rule fired, over {} county-draws:\n", city.trials),
            });
            let mut t = Table::new(&[
                (lang.t("规则", "rule"), Align::Left),
                (lang.t("诚实县", "honest"), Align::Right),
                (lang.t("瞒报县", "concealing"), Align::Right),
            ]);
            for id in &rule_ids {
                let get = |f: &verdict_sim::Fired| f.by_rule.get(id).copied().unwrap_or(0);
                t.row(vec![
                    rule_name(id),
                    freq(get(&city.honest), city.trials),
                    freq(get(&city.concealing), city.trials),
                ]);
            }
            s.push_str(&t.render());
            let field_name = names.field(&field, lang);
            s.push_str(&match lang {
                Lang::Zh => format!(
                    "\n核实数与上报数随机相差±{noise}以内的诚实县，在{}次县次模拟抽样中被一票否决的比例为{}；在上报中漏报{}“{field_name}”的县，被否决的比例为{}。\n",
                    city.trials,
                    freq(city.honest.vetoed, city.trials),
                    a.conceal,
                    freq(city.concealing.vetoed, city.trials),
                ),
                Lang::En => format!(
                    "\nAn honest county whose found figures differ from its report by up to ±{noise} at random was vetoed in {} of {} simulated county-draws; a county that left {} of its {field_name} out of its report was vetoed in {}.\n",
                    freq(city.honest.vetoed, city.trials),
                    city.trials,
                    a.conceal,
                    freq(city.concealing.vetoed, city.trials),
                ),
            });
            let thin: Vec<String> = designs
                .iter()
                .filter(|d| d.df < 2)
                .map(|d| {
                    format!(
                        "{} {} (df {})",
                        frame.counties[d.county].key, frame.counties[d.county].name, d.df
                    )
                })
                .collect();
            if !thin.is_empty() {
                s.push_str(&match lang {
                    Lang::Zh => format!(
                        "{}的判定所依据的自由度不足2：置信限很宽，依据置信限的一票否决在这些县很少触发。\n",
                        thin.join("、")
                    ),
                    Lang::En => format!(
                        "Verdicts in {} rest on fewer than 2 degrees of freedom: their bounds are very wide, so a bound-based veto rarely fires there.\n",
                        thin.join(", ")
                    ),
                });
            }
            out(&s);
        }
        Format::Csv => {
            let mut rows = Vec::new();
            for r in &results {
                let (code, county) = name(r.county);
                for (scenario, f) in [("honest", &r.honest), ("concealing", &r.concealing)] {
                    let mut fired = vec![("any veto".to_string(), f.vetoed)];
                    fired.extend(
                        rule_ids.iter().map(|id| (id.clone(), f.by_rule.get(id).copied().unwrap_or(0))),
                    );
                    for (rule, k) in fired {
                        let (p, se) = verdict_sim::frequency(k, r.trials);
                        rows.push(json!({
                            "code": code, "county": county, "df": df(r.county), "trials": r.trials,
                            "scenario": scenario, "rule": rule, "fired": k, "frequency": p, "frequency_se": se,
                        }));
                    }
                }
            }
            out(&output::csv(
                &["code", "county", "df", "trials", "scenario", "rule", "fired", "frequency", "frequency_se"],
                &rows,
            ));
        }
        Format::Json => {
            let fired = |f: &verdict_sim::Fired, n: u64| {
                json!({
                    "vetoed": f.vetoed,
                    "vetoed_frequency": verdict_sim::frequency(f.vetoed, n).0,
                    "vetoed_se": verdict_sim::frequency(f.vetoed, n).1,
                    "rules": f.by_rule,
                })
            };
            let rows: Vec<_> = results
                .iter()
                .map(|r| {
                    let (code, county) = name(r.county);
                    json!({
                        "code": code, "county": county, "df": df(r.county), "trials": r.trials,
                        "honest": fired(&r.honest, r.trials), "concealing": fired(&r.concealing, r.trials),
                    })
                })
                .collect();
            let doc = json!({
                "noise": noise.value(), "conceal": a.conceal.value(), "field": field, "confidence": a.confidence,
                "replicates": a.replicates, "seed": a.seed, "counties": rows,
            });
            out(&output::json(&doc));
        }
    }
    Ok(0)
}
