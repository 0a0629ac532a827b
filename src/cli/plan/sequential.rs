//! `spotcheck plan sequential`: the operating characteristic of a double or
//! multiple sampling plan (exact), or of the campaign's own sequential plan
//! (by simulation of the whole procedure).

use serde_json::json;

use super::{Format, rate};
use crate::cli::{CmdResult, out};
use crate::error::Error;
use crate::frame::tree::Population;
use crate::lang::{self, Lang};
use crate::plan::rate::Rate;
use crate::plan::sequential::{self as plan_seq, Lot, Stage};
use crate::sample::{Design, excluded_codes};
use crate::score::sequential_sim::{self as sim, Spec};

/// What a sequential plan does, before anyone looks at data.
///
/// With --n, --accept and --reject: a double or multiple sampling plan for
/// attributes as ISO 2859-1 and ANSI/ASQ Z1.4 write them (at stage i inspect
/// n_i more units; with x_i deviating so far, accept if x_i ≤ Ac_i, reject
/// if x_i ≥ Re_i, else go on; `#` for no acceptance yet). Prints, exactly,
/// the chance of acceptance and rejection at each rate (--p), the average
/// number of units inspected, the worst case, and the rates accepted with
/// probability 99%, 95%, …, 1% as ISO 2859-1's operating-characteristic
/// tables give them. --population makes the lot finite (⌈p·N⌉ deviating
/// units, drawn without replacement).
///
/// Without --n, in a campaign folder with self-reports: the rules' own
/// [sequential] plan, by simulation of the whole procedure with the real
/// draw, the real scoring and the real decision rule, for an honest county
/// (±--noise recording noise) and for counties hiding each --conceal share
/// of --field: how often a county is vetoed, sent on, and how many villages
/// it gets, on average and at worst; and the plan's bound on a wrong veto.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck plan sequential --n 13,13 --accept 0,1 --reject 2,2 --p 5%,10%,18%\n  spotcheck plan sequential --n 50,100 --accept 1,3 --reject 4,4 \\\n      --population 200 --p 5%\n  spotcheck -C camp-2009 plan sequential --noise 10% --conceal 4%,8%,12% \\\n      --replicates 200"
)]
pub struct Args {
    #[command(flatten)]
    pub at: crate::cli::At,
    /// Units inspected at each stage, comma-separated (not cumulative).
    #[arg(long, requires_all = ["accept", "reject"])]
    pub n: Option<String>,
    /// Cumulative acceptance numbers, one per stage (`#`: none yet).
    #[arg(long, requires = "n")]
    pub accept: Option<String>,
    /// Cumulative rejection numbers, one per stage.
    #[arg(long, requires = "n")]
    pub reject: Option<String>,
    /// A finite lot of this many units (type A; default: a large lot, type B).
    #[arg(long, requires = "n")]
    pub population: Option<u64>,
    /// Deviation rates to tabulate, comma-separated.
    #[arg(long, value_parser = rate, value_delimiter = ',', requires = "n")]
    pub p: Vec<Rate>,
    /// Honest recording noise of the campaign simulation (found = reported × (1 + u), u in ±noise).
    #[arg(long, value_parser = rate, default_value = "10%", conflicts_with = "n")]
    pub noise: Rate,
    /// Shares of --field the concealing counties leave out of their reports.
    #[arg(long, value_parser = rate, value_delimiter = ',', conflicts_with = "n")]
    pub conceal: Vec<Rate>,
    /// The field concealed (default: the field of the first accuracy indicator).
    #[arg(long, conflicts_with = "n")]
    pub field: Option<String>,
    /// Simulated campaigns (1,000 and 1000 are both read).
    #[arg(long, default_value = "200", value_parser = crate::cli::parse_count, conflicts_with = "n")]
    pub replicates: u64,
    /// Seed of the simulation (not of the campaign's draw).
    #[arg(long, default_value_t = 1, conflicts_with = "n")]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long, conflicts_with = "n")]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub format: crate::cli::output::FormatArg,
}

/// ISO 2859-1 tabulates the operating characteristic at these chances of
/// acceptance.
pub const TABULATED_PA: [f64; 9] = [0.99, 0.95, 0.90, 0.75, 0.50, 0.25, 0.10, 0.05, 0.01];

const DEFAULT_P: [&str; 10] = ["0.5%", "1%", "2%", "3%", "5%", "7%", "10%", "15%", "20%", "30%"];

pub fn run(f: &crate::cli::Folder, a: &Args, lang: Lang) -> CmdResult {
    match (&a.n, &a.accept, &a.reject) {
        (Some(n), Some(ac), Some(re)) => attribute(a, n, ac, re),
        _ => campaign(f, a, lang),
    }
}

fn pct(p: f64) -> String {
    format!("{:.2}%", p * 100.0)
}

fn attribute(a: &Args, n: &str, ac: &str, re: &str) -> CmdResult {
    let plan = plan_seq::parse(n, ac, re).map_err(Error::Usage)?;
    let lot = match a.population {
        Some(0) => return Err(Error::Usage("--population must be at least 1".into())),
        Some(size) => Lot::Finite { size },
        None => Lot::Binomial,
    };
    plan_seq::check(&plan, lot).map_err(Error::Usage)?;
    let ps: Vec<Rate> = if a.p.is_empty() {
        DEFAULT_P.iter().map(|p| Rate::parse(p).expect("the default rates parse")).collect()
    } else {
        a.p.clone()
    };
    let rounds = plan.len();
    let rows: Vec<(Rate, u64, plan_seq::Oc)> = ps
        .iter()
        .map(|p| {
            let bad = match lot {
                Lot::Finite { size } => p.ceil_times(size),
                Lot::Binomial => 0,
            };
            (*p, bad, plan_seq::oc(&plan, lot, p.value(), bad))
        })
        .collect();
    let worst = plan_seq::worst_case(&plan);
    let describe = |s: &Stage| {
        format!("n {} Ac {} Re {}", s.n, s.accept.map_or("#".to_string(), |x| x.to_string()), s.reject)
    };
    let stages: Vec<String> =
        plan.iter().enumerate().map(|(i, s)| format!("stage {}: {}", i + 1, describe(s))).collect();
    let model = match lot {
        Lot::Binomial => "binomial (a large lot)".to_string(),
        Lot::Finite { size } => format!("hypergeometric (a lot of {size})"),
    };
    let tabulated: Vec<(f64, f64)> = match lot {
        Lot::Binomial => TABULATED_PA.iter().map(|&pa| (pa, plan_seq::rate_at(&plan, pa))).collect(),
        Lot::Finite { .. } => Vec::new(),
    };
    match a.format.format {
        Format::Json => {
            let points: Vec<serde_json::Value> = rows
                .iter()
                .map(|(p, bad, o)| {
                    json!({
                        "p": p.value(),
                        "deviating_units": matches!(lot, Lot::Finite { .. }).then_some(*bad),
                        "accept": o.accept,
                        "reject": o.reject,
                        "reach": o.reach,
                        "accept_at": o.accept_at,
                        "reject_at": o.reject_at,
                        "asn": o.asn,
                    })
                })
                .collect();
            let tab: Vec<serde_json::Value> =
                tabulated.iter().map(|(pa, p)| json!({ "accept": pa, "p": p })).collect();
            out(&format!(
                "{}\n",
                json!({ "stages": plan.iter().map(|s| json!({"n": s.n, "accept": s.accept, "reject": s.reject})).collect::<Vec<_>>(),
                        "model": model, "worst_case": worst, "points": points, "rates_at": tab })
            ));
        }
        Format::Csv => {
            let mut head = vec!["p".to_string(), "deviating_units".into(), "accept".into(), "reject".into()];
            for i in 2..=rounds {
                head.push(format!("reach_stage_{i}"));
            }
            head.push("asn".into());
            head.push("worst_case".into());
            let body = rows.iter().map(|(p, bad, o)| {
                let mut r = vec![
                    format!("{}", p.value()),
                    if matches!(lot, Lot::Finite { .. }) { bad.to_string() } else { String::new() },
                    format!("{:.10}", o.accept),
                    format!("{:.10}", o.reject),
                ];
                r.extend(o.reach.iter().skip(1).map(|x| format!("{x:.10}")));
                r.push(format!("{:.4}", o.asn));
                r.push(worst.to_string());
                r
            });
            out(&crate::cli::output::csv_rows(std::iter::once(head).chain(body)));
        }
        Format::Table => {
            let mut s = format!("plan: {}; {model}; at most {worst} units\n\n", stages.join("; "));
            s.push_str(&format!(
                "{:>8} {:>6} {:>10} {:>10} {:>12} {:>9}\n",
                "p",
                "D",
                "P(accept)",
                "P(reject)",
                if rounds > 1 { "P(stage 2)" } else { "" },
                "ASN"
            ));
            for (p, bad, o) in &rows {
                s.push_str(&format!(
                    "{:>8} {:>6} {:>10} {:>10} {:>12} {:>9.1}\n",
                    pct(p.value()),
                    if matches!(lot, Lot::Finite { .. }) { bad.to_string() } else { "—".into() },
                    pct(o.accept),
                    pct(o.reject),
                    o.reach.get(1).map_or(String::new(), |x| pct(*x)),
                    o.asn
                ));
            }
            if !tabulated.is_empty() {
                s.push_str("\nrates accepted with each probability (as ISO 2859-1's OC tables list them):\n");
                for (pa, p) in &tabulated {
                    s.push_str(&format!("  P(accept) = {:>3.0}%  at p = {}\n", pa * 100.0, pct(*p)));
                }
            }
            if let Some((p, _, o)) = rows.first() {
                s.push_str(&format!(
                    "\nAt {} deviating units the plan accepts {} of lots and rejects {}; it inspects {:.1} units on average and never more than {worst}.\n",
                    pct(p.value()),
                    pct(o.accept),
                    pct(o.reject),
                    o.asn
                ));
            }
            out(&s);
        }
    }
    Ok(0)
}

fn campaign(f: &crate::cli::Folder, a: &Args, lang: Lang) -> CmdResult {
    if a.replicates == 0 {
        return Err(Error::Usage("--replicates must be at least 1".into()));
    }
    let ws = f.read()?;
    let (rules, frame) = ws.load_inputs()?;
    let Some(plan) = rules.sequential.clone() else {
        return Err(Error::Usage(
            "the rules have no [sequential] plan; give --n, --accept and --reject for a double or multiple sampling plan".into(),
        ));
    };
    let field = match &a.field {
        Some(f) => f.clone(),
        None => crate::score::simulate::default_field(&rules).ok_or_else(|| {
            Error::Usage("no accuracy indicator names a field to conceal; give --field".into())
        })?,
    };
    if !rules.inspection.fields.iter().any(|f| f.id == field) {
        return Err(Error::Usage(format!("no field `{field}` in the rules")));
    }
    let pop = Population::new(&frame, &excluded_codes(&rules));
    let (design, diags) = Design::prepare(&rules, &pop);
    let design = design.ok_or_else(|| Error::Invalid(diags.sorted()))?;
    let truth = crate::workspace::score::report_values(&ws, &rules, &frame)?;
    // The lock is released before the long simulation.
    drop(ws);
    let mut shares: Vec<f64> = vec![0.0];
    shares.extend(a.conceal.iter().map(|r| r.value()).filter(|s| *s > 0.0));
    let threads =
        a.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let spec = Spec {
        noise: a.noise.value(),
        shares: shares.clone(),
        field: field.clone(),
        replicates: a.replicates,
        seed: a.seed,
        threads,
    };
    let started = std::time::Instant::now();
    let job = crate::progress::job(crate::progress::Task::Simulate, a.replicates);
    let res = sim::simulate(&rules, &plan, &design, &pop, &truth, &spec, &|done| job.set(done));
    drop(job);
    crate::cli::note(&format!(
        "{} replicates on {threads} thread(s) in {:.1} s",
        a.replicates,
        started.elapsed().as_secs_f64()
    ));
    let levels: Vec<String> = plan.confidence.iter().map(|c| lang::level(c.value())).collect();
    let bound = plan.risk_through(plan.total_rounds());
    // The computed risks: each county's rounds as nested samples, in the
    // normal limit, with information in proportion to villages.
    let raw: Vec<f64> = plan.confidence.iter().map(|c| c.value()).collect();
    let estimate_zone = plan.zone == crate::rules::sequential::Zone::Estimate;
    let per_county: Vec<(usize, Vec<f64>)> = sim::villages_by_round(&design, &pop, &plan)
        .into_iter()
        .map(|(c, n)| (c, n.iter().map(|&k| k as f64 / n[0].max(1) as f64).collect()))
        .collect();
    let at_line: Vec<f64> = per_county
        .iter()
        .map(|(_, info)| {
            plan_seq::bound_oc(&plan_seq::BoundPlan::normal(&raw, info.clone(), estimate_zone), 0.0).veto
        })
        .collect();
    let mean_info: Vec<f64> = (0..plan.total_rounds() as usize)
        .map(|r| per_county.iter().map(|(_, i)| i[r]).sum::<f64>() / per_county.len().max(1) as f64)
        .collect();
    let curve: Vec<(f64, f64)> = [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
        .iter()
        .map(|&d| {
            (
                d,
                plan_seq::bound_oc(&plan_seq::BoundPlan::normal(&raw, mean_info.clone(), estimate_zone), d)
                    .veto,
            )
        })
        .collect();
    let lines = lines_of(&rules, &plan, &field);
    let mean_at_line = at_line.iter().sum::<f64>() / at_line.len().max(1) as f64;
    for (share, id, v, se) in disagreeing(&res, &lines, mean_at_line) {
        crate::cli::say(&format!(
            "warning: hiding {} of {field} is on the line of `{id}`; the whole procedure, simulated, vetoed {} ± {} of such counties, the computation {}{}. The computation assumes each round's bound holds its level; on this design it does not (few townships per county; SCORING.md §9), so state the simulated risk, or give counties more townships in round 1",
            pct(share),
            pct(v),
            pct(se),
            pct(mean_at_line),
            if v - 2.0 * se > bound {
                format!(", and more than the plan's stated most of {}", pct(bound))
            } else {
                String::new()
            }
        ));
    }
    let (lo, hi) = at_line.iter().fold((1.0f64, 0.0f64), |(a, b), x| (a.min(*x), b.max(*x)));
    match a.format.format {
        Format::Table => {
            let mut s = format!(
                "plan: {} rounds at {}; a county exactly at a veto's line is vetoed with a chance of at most {} over the plan (the rounds' risks added; SCORING.md §9)\n\n",
                plan.total_rounds(),
                levels.join(", "),
                lang::risk(bound, lang)
            );
            s.push_str(&format!(
                "{:<22} {:>16} {:>16} {:>10} {:>10} {:>10}\n",
                "county", "vetoed", "sent on", "villages", "worst", "of plan"
            ));
            for r in &res {
                let who = if r.share == 0.0 {
                    format!("honest (±{})", pct(a.noise.value()))
                } else if on_line(r.share, &lines).is_some() {
                    format!("hiding {} (line)", pct(r.share))
                } else {
                    format!("hiding {} of {field}", pct(r.share))
                };
                let t = &r.city;
                let (v, vse) = sim::frequency(t.vetoed, t.trials);
                let (e, ese) = sim::frequency(t.escalated, t.trials);
                s.push_str(&format!(
                    "{:<22} {:>16} {:>16} {:>10.1} {:>10} {:>10.1}\n",
                    who,
                    format!("{} ± {}", pct(v), pct(vse)),
                    format!("{} ± {}", pct(e), pct(ese)),
                    t.villages as f64 / t.trials.max(1) as f64,
                    t.max_villages,
                    r.worst_mean,
                ));
            }
            s.push_str("\nvetoed: share of county-replicates vetoed by the end of the plan; sent on: checked in a second round; villages: mean sampled villages per county over the plan; worst: the most any county got; of plan: mean villages per county if every county went through every round.\n");
            s.push_str(&format!(
                "\ncomputed (the rounds as nested samples in the normal limit, information in proportion to villages; SCORING.md §9): a county exactly at a veto's line is vetoed with probability {} (counties {} – {}); at most {} whatever the information.\n",
                pct(mean_at_line),
                pct(lo),
                pct(hi),
                pct(bound)
            ));
            let points: Vec<String> = curve.iter().map(|(d, v)| format!("{d:+.0}: {}", pct(*v))).collect();
            s.push_str(&format!(
                "P(veto) by the truth's distance from the line, in round-1 standard errors: {}\n",
                points.join(", ")
            ));
            out(&s);
        }
        Format::Csv | Format::Json => {
            let rows: Vec<serde_json::Value> = res
                .iter()
                .map(|r| {
                    let t = &r.city;
                    json!({
                        "share_hidden": r.share,
                        "trials": t.trials,
                        "vetoed": sim::frequency(t.vetoed, t.trials).0,
                        "vetoed_se": sim::frequency(t.vetoed, t.trials).1,
                        "sent_on": sim::frequency(t.escalated, t.trials).0,
                        "mean_villages": t.villages as f64 / t.trials.max(1) as f64,
                        "max_villages": t.max_villages,
                        "plan_villages_mean": r.worst_mean,
                        "vetoed_by_round": t.vetoed_at,
                    })
                })
                .collect();
            if a.format.format == Format::Json {
                let curve: Vec<serde_json::Value> =
                    curve.iter().map(|(d, v)| json!({ "delta": d, "veto": v })).collect();
                out(&format!(
                    "{}\n",
                    json!({
                        "risk_bound_at_line": bound,
                        "computed_at_line": mean_at_line,
                        "computed_by_delta": curve,
                        "confidence": raw,
                        "results": rows,
                    })
                ));
            } else {
                let head: Vec<String> = [
                    "share_hidden",
                    "trials",
                    "vetoed",
                    "vetoed_se",
                    "sent_on",
                    "mean_villages",
                    "max_villages",
                    "plan_villages_mean",
                    "risk_bound_at_line",
                ]
                .map(String::from)
                .to_vec();
                let body = rows.iter().map(|r| {
                    let mut v: Vec<String> = head[..8].iter().map(|k| r[k.as_str()].to_string()).collect();
                    v.push(bound.to_string());
                    v
                });
                out(&crate::cli::output::csv_rows(std::iter::once(head.clone()).chain(body)));
            }
        }
    }
    Ok(0)
}

/// The lines, as shares of `field` hidden, of the vetoes the plan decides
/// that read how much of `field` a county left out: a `[[veto]]` comparing
/// `<field>_under_rate` (or `<field>_error_rate`) with a number, or an
/// `accuracy` indicator on `field` with `veto_beyond`. A county hiding
/// exactly that share sits on the line, where the plan states its risk.
fn lines_of(
    rules: &crate::rules::Rules,
    plan: &crate::rules::sequential::Sequential,
    field: &str,
) -> Vec<(String, f64)> {
    use crate::rules::scoring::IndicatorKind;
    use crate::score::expr::BinOp;
    let decided = crate::rules::sequential::decided(rules, plan);
    let mut out = Vec::new();
    for v in rules.scoring.vetoes.iter().filter(|v| decided.contains(&v.id)) {
        for c in v.when.comparisons().unwrap_or_default() {
            let reads = c.name == format!("{field}_under_rate") || c.name == format!("{field}_error_rate");
            if reads && matches!(c.op, BinOp::Gt | BinOp::Ge) {
                out.push((v.id.clone(), c.line));
            }
        }
    }
    for i in rules.scoring.indicators.iter().filter(|i| decided.contains(&i.id)) {
        if let IndicatorKind::Accuracy { field: f, veto_beyond: Some(b), .. } = &i.kind
            && f == field
        {
            out.push((i.id.clone(), *b));
        }
    }
    out
}

/// The veto whose line a share hidden sits on, if any (shares are given in
/// percent, so equal to within rounding).
fn on_line(share: f64, lines: &[(String, f64)]) -> Option<&(String, f64)> {
    lines.iter().find(|(_, l)| (share - l).abs() < 1e-9)
}

/// The rows at a veto's line where the simulated whole procedure and the
/// computed risk disagree by more than three simulation errors: (share,
/// the line's veto, vetoed, its error).
fn disagreeing(
    res: &[sim::ShareResult],
    lines: &[(String, f64)],
    computed: f64,
) -> Vec<(f64, String, f64, f64)> {
    let mut out = Vec::new();
    for r in res {
        let Some((id, _)) = on_line(r.share, lines) else { continue };
        let (v, se) = sim::frequency(r.city.vetoed, r.city.trials);
        if (v - computed).abs() > 3.0 * se.max(1e-12) {
            out.push((r.share, id.clone(), v, se));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> crate::rules::Rules {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/cangzhou-2008-face-to-face.toml");
        crate::rules::load(std::path::Path::new(path), "rules.toml").unwrap()
    }

    fn row(share: f64, vetoed: u64, trials: u64) -> sim::ShareResult {
        sim::ShareResult {
            share,
            city: sim::Tally { trials, vetoed, ..Default::default() },
            by_county: Vec::new(),
            worst_mean: 0.0,
        }
    }

    #[test]
    fn the_shipped_plans_lines_are_found_in_its_vetoes() {
        let rules = shipped();
        let plan = rules.sequential.clone().unwrap();
        let lines = lines_of(&rules, &plan, "births");
        // The concealment veto (births_under_rate > 4%) and the accuracy
        // indicator's veto beyond 7%.
        assert!(lines.iter().any(|(_, l)| (*l - 0.04).abs() < 1e-12), "{lines:?}");
        assert!(lines.iter().any(|(_, l)| (*l - 0.07).abs() < 1e-12), "{lines:?}");
        assert!(lines_of(&rules, &plan, "deaths").is_empty());
    }

    #[test]
    fn a_share_is_on_a_line_only_when_equal_to_it() {
        let lines = vec![("a".to_string(), 0.04), ("b".to_string(), 0.07)];
        assert_eq!(on_line(0.04, &lines).map(|l| l.0.as_str()), Some("a"));
        assert_eq!(on_line(0.07 + 1e-12, &lines).map(|l| l.0.as_str()), Some("b"));
        for off in [0.0, 0.039, 0.041, -0.04, 0.11, 0.0016] {
            assert!(on_line(off, &lines).is_none(), "{off}");
        }
    }

    #[test]
    fn a_row_on_the_line_that_disagrees_with_the_computation_is_named() {
        let lines = vec![("concealment".to_string(), 0.04)];
        // 8.2% of 3,600 (SE 0.46%) against 6.2% computed: named.
        let res = [row(0.0, 2, 3600), row(0.04, 295, 3600), row(0.08, 2800, 3600)];
        let got = disagreeing(&res, &lines, 0.062);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0, got[0].1.as_str()), (0.04, "concealment"));
        assert!((got[0].2 - 295.0 / 3600.0).abs() < 1e-12);
        // Below it as far: named too. Within three errors: not named.
        assert_eq!(disagreeing(&[row(0.04, 150, 3600)], &lines, 0.062).len(), 1);
        assert!(disagreeing(&[row(0.04, 250, 3600)], &lines, 0.062).is_empty());
        // Off the line, however far: not named (that is detection, not risk).
        assert!(disagreeing(&[row(0.05, 3000, 3600)], &lines, 0.062).is_empty());
    }
}
