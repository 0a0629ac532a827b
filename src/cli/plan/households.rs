//! `spotcheck plan households`: households to visit in each sampled village
//! for a county's household rate within a margin (SCORING.md §12).

use serde_json::json;

use super::{Format, rate};
use crate::cli::output::{self, FormatArg};
use crate::cli::table::{Align, Table};
use crate::cli::{At, CmdResult, out};
use crate::error::Error;
use crate::lang::Lang;
use crate::plan::households::{Need, households_per_village, icc};
use crate::plan::rate::Rate;
use crate::score::estimate::t_quantile;

/// Households to visit per village so that a county's household rate (a
/// share of households answering yes, or favourably) is known within
/// --margin at --confidence.
///
/// With --deff: the rate's design effect, observed with --at households per
/// village (its intra-village correlation follows), for --villages villages
/// per county and an expected --rate (50%, the most demanding, unless
/// given). In a campaign folder without --deff: each county's design effect
/// and rate are estimated from its own household findings for --field, and
/// each county's villages and degrees of freedom are its own.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck plan households --margin 5% --villages 25 --deff 2 --at 20\n  spotcheck -C camp-2009 plan households --margin 5% --field satisfaction"
)]
pub struct Args {
    #[command(flatten)]
    pub campaign: At,
    /// The half-width wanted, in percentage points: 5% for ±5 points.
    #[arg(long, value_parser = rate)]
    pub margin: Rate,
    /// The confidence of the interval (95% or 0.95).
    #[arg(long, value_parser = rate, default_value = "0.95")]
    pub confidence: Rate,
    /// The design effect of the rate (given instead of estimated).
    #[arg(long)]
    pub deff: Option<f64>,
    /// Households per village at which --deff was observed.
    #[arg(long, default_value_t = 20, requires = "deff")]
    pub at: u64,
    /// Villages per county (with --deff).
    #[arg(long, requires = "deff")]
    pub villages: Option<u64>,
    /// The expected rate (with --deff; default 50%).
    #[arg(long, value_parser = rate, requires = "deff")]
    pub rate: Option<Rate>,
    /// Degrees of freedom of the interval (with --deff; default: the normal).
    #[arg(long, requires = "deff")]
    pub df: Option<usize>,
    /// The household field (in a campaign folder; default: the first).
    #[arg(long, conflicts_with = "deff")]
    pub field: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

/// The columns of `plan households --format csv`, and the keys of each
/// county in its JSON.
const KEYS: [&str; 9] =
    ["code", "county", "villages", "answering", "rate", "deff", "icc", "df", "households_per_village"];

/// One county's plan.
struct Row {
    code: String,
    name: String,
    villages: u64,
    answered: u64,
    rate: f64,
    deff: f64,
    rho: f64,
    df: Option<usize>,
    need: Need,
    /// Households visited per household answering the field.
    per_answer: f64,
}

impl Row {
    fn visit(&self) -> Option<u64> {
        match self.need {
            Need::Households(k) => Some((k as f64 * self.per_answer - 1e-9).ceil().max(1.0) as u64),
            Need::MoreVillages { .. } => None,
        }
    }
}

fn quantile(confidence: f64, df: Option<usize>) -> f64 {
    t_quantile(0.5 + confidence / 2.0, df.unwrap_or(0))
}

pub fn run(f: &crate::cli::Folder, a: &Args, lang: Lang) -> CmdResult {
    let margin = a.margin.value();
    if !(margin > 0.0 && margin < 1.0) {
        return Err(Error::Usage(format!("--margin must be between 0 and 1, not {}", a.margin)));
    }
    if !a.confidence.is_proper() {
        return Err(Error::Usage(format!("--confidence must be between 0 and 1, not {}", a.confidence)));
    }
    let conf = a.confidence.value();
    let (rows, field_name) = match a.deff {
        Some(d) => {
            if !(d.is_finite() && d > 0.0) {
                return Err(Error::Usage(format!("--deff must be a number above 0, not {d}")));
            }
            let Some(villages) = a.villages.filter(|v| *v > 0) else {
                return Err(Error::Usage("--deff needs --villages, the villages per county".into()));
            };
            let p = a.rate.map_or(0.5, |r| r.value());
            let rho = icc(d, a.at as f64);
            let need = households_per_village(p, margin, villages, rho, quantile(conf, a.df));
            let row = Row {
                code: String::new(),
                name: String::new(),
                villages,
                answered: 0,
                rate: p,
                deff: d,
                rho,
                df: a.df,
                need,
                per_answer: 1.0,
            };
            (vec![row], lang.t("户比例", "household rate").to_string())
        }
        None => from_campaign(f, a, margin, conf, lang)?,
    };
    render(a, &rows, &field_name, margin, conf, lang);
    Ok(0)
}

/// Each county's design effect, correlation and rate from its household
/// findings for the field.
fn from_campaign(
    f: &crate::cli::Folder,
    a: &Args,
    margin: f64,
    conf: f64,
    lang: Lang,
) -> Result<(Vec<Row>, String), Error> {
    let ws = f.read()?;
    let (rules, inputs) = crate::workspace::score::inputs(&ws)?;
    drop(ws);
    if rules.households.is_none() {
        return Err(Error::Usage(
            "the rules have no [households] stage; give --deff and --villages to plan without one".into(),
        ));
    }
    let fields = crate::findings::households::household_fields(&rules);
    let field = match &a.field {
        Some(id) => fields.iter().find(|f| &f.id == id).ok_or_else(|| {
            let ids: Vec<&str> = fields.iter().map(|f| f.id.as_str()).collect();
            Error::Usage(format!("no household field `{id}`; the rules have: {}", ids.join(", ")))
        })?,
        None => fields.first().ok_or_else(|| Error::Usage("the rules have no household field".into()))?,
    };
    if !matches!(field.kind, crate::rules::Kind::YesNo | crate::rules::Kind::Choice) {
        return Err(Error::Usage(format!(
            "`{}` is a count; a household plan is for a rate (a yesno field, or a choice with favourable answers)",
            field.id
        )));
    }
    let names = crate::rules::names::Names::new(&rules);
    let mut rows = Vec::new();
    for c in &inputs {
        let m = crate::score::measures::measure(&rules, c, conf).map_err(
            |crate::score::estimate::LonelyStratum(h)| {
                Error::CheckFailed(format!(
                    "county {}: stratum {h} has a single PSU and the rules say lonely_psu = \"fail\"",
                    c.code
                ))
            },
        )?;
        let Some(e) = m.households.get(&field.id) else { continue };
        let Some(p) = &e.rate else { continue };
        let villages = e.villages.iter().filter(|v| v.answered > 0).count() as u64;
        let visited: u64 = e.villages.iter().map(|v| v.visited).sum();
        if p.n == 0 || villages == 0 {
            continue;
        }
        let srs = p.p * (1.0 - p.p) / p.n as f64;
        let deff = if srs > 0.0 { (p.se * p.se / srs).max(0.0) } else { 1.0 };
        let rho = icc(deff, p.n as f64 / villages as f64);
        let df = (p.df > 0).then_some(p.df);
        rows.push(Row {
            code: c.code.clone(),
            name: c.name.clone(),
            villages,
            answered: p.n,
            rate: p.p,
            deff,
            rho,
            df,
            need: households_per_village(p.p, margin, villages, rho, quantile(conf, df)),
            per_answer: visited as f64 / p.n as f64,
        });
    }
    if rows.is_empty() {
        return Err(Error::Usage(format!(
            "no county has household findings for `{}` yet: import them, or plan with --deff",
            field.id
        )));
    }
    // One county's design effect rests on its few PSUs; pooled over the
    // counties (weighted by households answering) it is steadier.
    let n: f64 = rows.iter().map(|r| r.answered as f64).sum();
    let mean = |f: &dyn Fn(&Row) -> f64| rows.iter().map(|r| r.answered as f64 * f(r)).sum::<f64>() / n;
    let (rho, p, deff, per_answer) =
        (mean(&|r| r.rho), mean(&|r| r.rate), mean(&|r| r.deff), mean(&|r| r.per_answer));
    let mut villages: Vec<u64> = rows.iter().map(|r| r.villages).collect();
    villages.sort_unstable();
    let mut dfs: Vec<usize> = rows.iter().filter_map(|r| r.df).collect();
    dfs.sort_unstable();
    let (m, df) = (villages[villages.len() / 2], dfs.get(dfs.len() / 2).copied());
    rows.push(Row {
        code: "all".into(),
        name: lang.t("全市（合并）", "all (pooled)").into(),
        villages: m,
        answered: n as u64,
        rate: p,
        deff,
        rho,
        df,
        need: households_per_village(p, margin, m, rho, quantile(conf, df)),
        per_answer,
    });
    Ok((rows, names.field(&field.id, lang)))
}

fn render(a: &Args, rows: &[Row], field: &str, margin: f64, conf: f64, lang: Lang) {
    let need = |r: &Row| match r.visit() {
        Some(k) => k.to_string(),
        None => lang.t("需增加村数", "more villages").to_string(),
    };
    match a.format.format {
        Format::Table => {
            let mut t = Table::new(&[
                (lang.t("县代码", "code"), Align::Left),
                (lang.t("县", "county"), Align::Left),
                (lang.t("村数", "villages"), Align::Right),
                (lang.t("作答户数", "answering"), Align::Right),
                (lang.t("户比例", "rate"), Align::Right),
                (lang.t("设计效应", "deff"), Align::Right),
                ("ρ", Align::Right),
                (lang.t("自由度", "df"), Align::Right),
                (lang.t("每村入户数", "households per village"), Align::Right),
            ]);
            for r in rows {
                t.row(vec![
                    r.code.clone(),
                    r.name.clone(),
                    r.villages.to_string(),
                    if r.answered > 0 { r.answered.to_string() } else { String::new() },
                    crate::lang::pct(r.rate),
                    format!("{:.2}", r.deff),
                    format!("{:.3}", r.rho),
                    r.df.map_or("—".into(), |d| d.to_string()),
                    need(r),
                ]);
            }
            let mut s = t.render();
            s.push('\n');
            s.push_str(&sentence(rows, field, margin, conf, lang));
            s.push('\n');
            out(&s);
        }
        Format::Csv => out(&output::csv(&KEYS, &json_rows(rows))),
        Format::Json => out(&output::json(&json!({
            "margin": margin,
            "confidence": conf,
            "field": field,
            "counties": json_rows(rows),
            "sentence": sentence(rows, field, margin, conf, lang),
        }))),
    }
}

/// Each county's plan (and the pooled one, code `all`) as JSON: the
/// households per village null where the county needs more villages.
fn json_rows(rows: &[Row]) -> Vec<serde_json::Value> {
    rows.iter()
        .map(|r| {
            json!({
                "code": r.code, "county": r.name, "villages": r.villages, "answering": r.answered,
                "rate": r.rate, "deff": r.deff, "icc": r.rho, "df": r.df,
                "households_per_village": r.visit(),
            })
        })
        .collect()
}

/// The plan in sentences: the pooled plan, the most households any county
/// needs, and the counties that need more villages.
fn sentence(rows: &[Row], field: &str, margin: f64, conf: f64, lang: Lang) -> String {
    let points = margin * 100.0;
    let level = conf * 100.0;
    let counties: Vec<&Row> = rows.iter().filter(|r| r.code != "all").collect();
    let pooled = rows.iter().find(|r| r.code == "all");
    let short: Vec<&Row> = counties.iter().copied().filter(|r| r.visit().is_none()).collect();
    let most = counties.iter().filter_map(|r| r.visit().map(|k| (k, *r))).max_by_key(|(k, _)| *k);
    let mut s = match (pooled, most, lang) {
        (Some(all), Some((k, r)), Lang::Zh) => format!(
            "按全市合并估计的设计效应{:.2}（ρ = {:.3}），{}个村的县要使{field}的{level:.0}%区间半宽不超过{points:.1}个百分点，每村需入户{}；各县分别估计时，最多需{k}户（{}{}，设计效应{:.2}）。",
            all.deff,
            all.rho,
            all.villages,
            all.visit().map_or("—（需增加村数）".to_string(), |k| format!("{k}户")),
            r.code,
            r.name,
            r.deff
        ),
        (Some(all), Some((k, r)), Lang::En) => format!(
            "With the design effect pooled over the counties, {:.2} (ρ = {:.3}), a county of {} villages knows its {field} within ±{points:.1} points at {level:.0}% with {} per village; county by county, the most needed is {k} ({} {}, design effect {:.2}).",
            all.deff,
            all.rho,
            all.villages,
            all.visit().map_or("— (more villages)".to_string(), |k| format!("{k} households")),
            r.code,
            r.name,
            r.deff
        ),
        (_, Some((k, r)), Lang::Zh) => format!(
            "{}个村、设计效应{:.2}（ρ = {:.3}）时，要使{field}的{level:.0}%区间半宽不超过{points:.1}个百分点，每村需入户{k}户。",
            r.villages, r.deff, r.rho
        ),
        (_, Some((k, r)), Lang::En) => format!(
            "With {} villages and a design effect of {:.2} (ρ = {:.3}), visit {k} households per village to know the {field} within ±{points:.1} points at {level:.0}%.",
            r.villages, r.deff, r.rho
        ),
        (_, None, _) => String::new(),
    };
    for r in short {
        s.push('\n');
        let floor = match r.need {
            Need::MoreVillages { floor } => floor * 100.0,
            Need::Households(_) => 0.0,
        };
        s.push_str(&match lang {
            Lang::Zh => format!(
                "{}{}：{}个村不够，入户再多区间半宽也不低于{floor:.1}个百分点，需增加抽查村数。",
                r.code, r.name, r.villages
            ),
            Lang::En => format!(
                "{}{}: {} villages are too few; however many households are visited the half-width stays above {floor:.1} points, so more villages are needed.",
                if r.code.is_empty() { "" } else { &r.code },
                if r.name.is_empty() { String::new() } else { format!(" {}", r.name) },
                r.villages
            ),
        });
    }
    s
}
