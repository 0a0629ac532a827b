//! `spotcheck plan`: sample sizes, limits, LQAS rules and the detection
//! power of the campaign's design, each with a plain sentence per result.

use clap::{Subcommand, ValueEnum};
use serde_json::json;

use super::output::Format;
use super::{At, CmdResult, out, parse_count};
use crate::error::Error;
use crate::plan::attribute::{self, Expected, Model, PlanError};
use crate::plan::limit::{cp_lower, cp_upper, round_up_tenth_percent};
use crate::plan::lqas;
use crate::plan::rate::Rate;

mod households;
mod sequential;
mod simulate;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelArg {
    /// Deviations independent, as in an infinite population.
    Binomial,
    /// Drawing without replacement from --population units.
    Hypergeometric,
    /// The Poisson approximation that printed AICPA tables use.
    Poisson,
}

/// Plan the check: how many units to inspect, and what a result can say.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck plan attribute --tolerable 10% --confidence 90% --population 212\n  spotcheck -C camp-2009 plan simulate --rate 10% --pattern clustered \\\n      --replicates 10000\n  spotcheck plan sequential --n 13,13 --accept 0,1 --reject 2,2\n  spotcheck -C camp-2009 plan households --margin 5% --field satisfaction"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: PlanCommand,
}

impl Args {
    /// The -C of the planning commands that read a campaign: `plan
    /// simulate`, `plan sequential` and `plan households`.
    pub fn at(&self) -> Option<&At> {
        match &self.command {
            PlanCommand::Simulate(a) => Some(&a.at),
            PlanCommand::Sequential(a) => Some(&a.at),
            PlanCommand::Households(a) => Some(&a.campaign),
            _ => None,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum PlanCommand {
    Attribute(AttributeArgs),
    Limit(LimitArgs),
    Lqas(LqasArgs),
    Simulate(simulate::Args),
    Sequential(sequential::Args),
    Households(households::Args),
}

fn rate(s: &str) -> Result<Rate, String> {
    Rate::parse(s)
}

/// The smallest sample that, with no more than the expected deviations,
/// shows the deviation rate is below the tolerable rate at the confidence.
///
/// The rule: the smallest n whose one-sided upper bound, given ⌈expected × n⌉
/// deviations (or --expected-count), is at most the tolerable rate. Rates are
/// exact decimals. With --population the model is hypergeometric, with
/// ⌈tolerable × N⌉ deviating units in the population.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck plan attribute --tolerable 5% --expected 1% --confidence 95%\n  spotcheck plan attribute --tolerable 10% --expected-count 0 \\\n      --population 1,412"
)]
pub struct AttributeArgs {
    /// The tolerable deviation rate, e.g. 5% or 0.05.
    #[arg(long, value_parser = rate)]
    pub tolerable: Rate,
    /// The expected deviation rate (default 0).
    #[arg(long, value_parser = rate, conflicts_with = "expected_count")]
    pub expected: Option<Rate>,
    /// The expected number of deviations, instead of a rate.
    #[arg(long, value_parser = parse_count, value_name = "COUNT")]
    pub expected_count: Option<u64>,
    /// The confidence that the rate is below --tolerable: 95% or 0.95.
    #[arg(long, value_parser = rate, default_value = "95%", value_name = "LEVEL")]
    pub confidence: Rate,
    /// The population size N (makes the model hypergeometric by default);
    /// 1,412 and 1412 are both read.
    #[arg(long, value_parser = parse_count, value_name = "N")]
    pub population: Option<u64>,
    /// The probability model (default: hypergeometric with --population,
    /// else binomial).
    #[arg(long, value_enum)]
    pub model: Option<ModelArg>,
    #[command(flatten)]
    pub format: super::output::FormatArg,
}

/// The upper deviation limit for x deviations in n inspected units
/// (one-sided Clopper–Pearson).
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck plan limit --n 93 --deviations 1 --confidence 95%\n  spotcheck plan limit --n 20 --deviations 1 --confidence 97.5% \\\n      --lower --table-rounding"
)]
pub struct LimitArgs {
    /// Units inspected.
    #[arg(long, value_parser = parse_count)]
    pub n: u64,
    /// Deviations found.
    #[arg(long, value_parser = parse_count, value_name = "COUNT")]
    pub deviations: u64,
    /// The confidence of the limit: 95% or 0.95.
    #[arg(long, value_parser = rate, default_value = "95%", value_name = "LEVEL")]
    pub confidence: Rate,
    /// Also give the one-sided lower limit.
    #[arg(long)]
    pub lower: bool,
    /// Round the upper limit up to 0.1%, as printed evaluation tables do.
    #[arg(long)]
    pub table_rounding: bool,
    #[command(flatten)]
    pub format: super::output::FormatArg,
}

/// An LQAS decision rule: pass an area if at least d of n comply.
///
/// With --n, the rule for that n and its two risks. Without it, the smallest n
/// whose rule keeps α ≤ --alpha and β ≤ --beta.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck plan lqas --n 19 --upper 80% --lower 50%\n  spotcheck plan lqas --upper 80% --lower 50% --alpha 10% --beta 10%"
)]
pub struct LqasArgs {
    /// The sample size to give the rule for (default: the smallest that
    /// keeps both risks within --alpha and --beta).
    #[arg(long, value_parser = parse_count)]
    pub n: Option<u64>,
    /// Compliance an area should reach (an area this good should pass).
    #[arg(long, value_parser = rate)]
    pub upper: Rate,
    /// Compliance that is not acceptable (an area this bad should fail).
    #[arg(long, value_parser = rate)]
    pub lower: Rate,
    /// Largest acceptable risk of failing an area at the upper threshold.
    #[arg(long, value_parser = rate, default_value = "0.10")]
    pub alpha: Rate,
    /// Largest acceptable risk of passing an area at the lower threshold.
    #[arg(long, value_parser = rate, default_value = "0.10")]
    pub beta: Rate,
    #[command(flatten)]
    pub format: super::output::FormatArg,
}

pub fn run(f: &super::Folder, a: &Args, lang: crate::lang::Lang) -> CmdResult {
    match &a.command {
        PlanCommand::Attribute(x) => attribute(x, x.format.format),
        PlanCommand::Limit(x) => limit(x, x.format.format),
        PlanCommand::Lqas(x) => lqas(x, x.format.format),
        PlanCommand::Simulate(x) => simulate::run(f, x, lang),
        PlanCommand::Sequential(x) => sequential::run(f, x, lang),
        PlanCommand::Households(x) => households::run(f, x, lang),
    }
}

fn pct(p: f64) -> String {
    format!("{:.2}%", p * 100.0)
}

/// Prints one result in the chosen format.
fn emit(format: Format, fields: &[(&str, serde_json::Value)], sentence: &str) {
    match format {
        Format::Table => {
            let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
            let mut s = String::new();
            for (k, v) in fields {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                s.push_str(&format!("{k:<width$}  {v}\n"));
            }
            s.push('\n');
            s.push_str(sentence);
            s.push('\n');
            out(&s);
        }
        Format::Csv => {
            let mut keys: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
            keys.push("sentence");
            let mut row: serde_json::Map<String, serde_json::Value> =
                fields.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect();
            row.insert("sentence".into(), json!(sentence));
            out(&super::output::csv(&keys, &[serde_json::Value::Object(row)]));
        }
        Format::Json => {
            let mut m = serde_json::Map::new();
            for (k, v) in fields {
                m.insert((*k).to_string(), v.clone());
            }
            m.insert("sentence".into(), json!(sentence));
            out(&super::output::json(&serde_json::Value::Object(m)));
        }
    }
}

fn attribute(a: &AttributeArgs, format: Format) -> CmdResult {
    let expected = match (a.expected, a.expected_count) {
        (_, Some(k)) => Expected::Count(k),
        (Some(r), None) => Expected::Rate(r),
        (None, None) => Expected::Rate(Rate::zero()),
    };
    let model = match (a.model, a.population) {
        (Some(ModelArg::Hypergeometric), None) => {
            return Err(Error::Usage("--model hypergeometric needs --population N".into()));
        }
        (Some(ModelArg::Hypergeometric), Some(n)) | (None, Some(n)) => {
            Model::Hypergeometric { population: n }
        }
        (Some(ModelArg::Poisson), _) => Model::Poisson,
        (Some(ModelArg::Binomial), _) | (None, None) => Model::Binomial,
    };
    if let Model::Hypergeometric { population: 0 } = model {
        return Err(Error::Usage("--population must be at least 1".into()));
    }
    let plan = attribute::sample_size(a.tolerable, expected, a.confidence, model).map_err(|e| match e {
        PlanError::Invalid(m) => Error::Usage(m),
        PlanError::NoPlan { limit } => Error::Usage(match model {
            Model::Hypergeometric { population } => format!(
                "no sample of at most N = {population} units meets this plan; the population is smaller than the sample it needs"
            ),
            _ => format!("no sample of up to {limit} units meets this plan; raise the tolerable rate or lower the expected rate"),
        }),
    })?;
    let model_name = match model {
        Model::Binomial => "binomial".to_string(),
        Model::Hypergeometric { population } => format!("hypergeometric, N = {population}"),
        Model::Poisson => "Poisson".to_string(),
    };
    let of = match model {
        Model::Hypergeometric { population } => format!("{} of {population} units", plan.n),
        _ => format!("{} units", plan.n),
    };
    let found = match plan.deviations {
        0 => "if none deviates".to_string(),
        1 => "if at most 1 deviates".to_string(),
        d => format!("if at most {d} deviate"),
    };
    let sentence = format!(
        "Check {of}: {found}, the deviation rate is below {} with {} confidence ({} model{}).",
        a.tolerable,
        a.confidence,
        model_name.split(',').next().unwrap_or(""),
        model_name.split_once(',').map_or(String::new(), |(_, rest)| format!(",{rest}"))
    );
    emit(
        format,
        &[
            ("sample_size", json!(plan.n)),
            ("deviations_allowed", json!(plan.deviations)),
            ("tolerable", json!(a.tolerable.value())),
            ("confidence", json!(a.confidence.value())),
            ("model", json!(model_name)),
            ("risk_at_tolerable", json!(plan.risk)),
        ],
        &sentence,
    );
    Ok(0)
}

fn limit(a: &LimitArgs, format: Format) -> CmdResult {
    if a.n == 0 {
        return Err(Error::Usage("--n must be at least 1".into()));
    }
    if a.deviations > a.n {
        return Err(Error::Usage(format!("{} deviations cannot be found in {} units", a.deviations, a.n)));
    }
    if !a.confidence.is_proper() {
        return Err(Error::Usage(format!("the confidence must be between 0 and 1, not {}", a.confidence)));
    }
    let conf = a.confidence.value();
    let mut upper = cp_upper(a.n, a.deviations, conf);
    if a.table_rounding {
        upper = round_up_tenth_percent(upper);
    }
    let mut fields = vec![
        ("n", json!(a.n)),
        ("deviations", json!(a.deviations)),
        ("confidence", json!(conf)),
        ("upper_limit", json!(upper)),
    ];
    let mut sentence = format!(
        "{} deviation{} in {} units: the deviation rate is at most {} with {} confidence (one-sided Clopper–Pearson{}).",
        a.deviations,
        if a.deviations == 1 { "" } else { "s" },
        a.n,
        pct(upper),
        a.confidence,
        if a.table_rounding { ", rounded up to 0.1% as printed tables do" } else { "" }
    );
    if a.lower {
        let lower = cp_lower(a.n, a.deviations, conf);
        fields.push(("lower_limit", json!(lower)));
        if a.deviations == 0 {
            // Finding nothing bounds the rate from above only.
            sentence.push_str(" With no deviation found, the sample sets no lower limit above 0: it cannot show that any deviation exists.");
        } else {
            sentence.push_str(&format!(
                " It is at least {} with {} confidence: the {} deviation(s) found show that the rate is above 0.",
                pct(lower),
                a.confidence,
                a.deviations
            ));
        }
    }
    emit(format, &fields, &sentence);
    Ok(0)
}

fn lqas(a: &LqasArgs, format: Format) -> CmdResult {
    let (upper, lower) = (a.upper.value(), a.lower.value());
    lqas::check_thresholds(upper, lower).map_err(Error::Usage)?;
    let rule = match a.n {
        Some(0) => return Err(Error::Usage("--n must be at least 1".into())),
        Some(n) => lqas::rule_for(n, upper, lower),
        None => lqas::smallest(upper, lower, a.alpha.value(), a.beta.value(), 1000).ok_or_else(|| {
            Error::Usage("no sample of up to 1,000 units keeps both risks within the limits".into())
        })?,
    };
    let sentence = format!(
        "Check {} units; the area passes if at least {} comply. An area at {} compliance fails with probability {} (α); an area at only {} passes with probability {} (β).",
        rule.n,
        rule.d,
        a.upper,
        pct(rule.alpha),
        a.lower,
        pct(rule.beta)
    );
    emit(
        format,
        &[
            ("n", json!(rule.n)),
            ("decision_rule", json!(rule.d)),
            ("upper", json!(upper)),
            ("lower", json!(lower)),
            ("alpha", json!(rule.alpha)),
            ("beta", json!(rule.beta)),
        ],
        &sentence,
    );
    Ok(0)
}
