//! `spotcheck check`: validate rules and a frame without creating anything.

use serde_json::json;

use super::output::{self, Format, FormatArg};
use super::table::{Align, Table};
use super::{CmdResult, Inputs, note, out, print_warnings, say};
use crate::frame::tree::Population;
use crate::rules::scoring::IndicatorKind;
use crate::sample::{Design, excluded_codes};
use crate::score::simulate::county_designs;
use crate::{frame, rules, sample};

/// Check a rules file and a frame without creating a campaign.
///
/// Reports every problem at once, each as file:line[:column]: message.
/// Then prints, for each county, how many villages and PSUs the design will
/// sample and the degrees of freedom its verdicts will rest on (PSUs minus
/// strata; they follow from the rules and the frame, not from the seed),
/// and warns where they are fewer than 2.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck check --rules rules/cangzhou-2008-face-to-face.toml \\\n                  --frame examples/cangzhou-2008/synthetic-frame.csv\n  spotcheck check --format csv --rules rules/template-campaign.toml \\\n                  --frame examples/cangzhou-2008/synthetic-frame.csv"
)]
pub struct Args {
    #[command(flatten)]
    pub inputs: Inputs,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(a: &Args, lang: crate::lang::Lang) -> CmdResult {
    let rules = rules::load(&a.inputs.rules, &a.inputs.rules.display().to_string())?;
    let frame =
        frame::load(&a.inputs.frame, &a.inputs.frame.display().to_string(), &rules.frame, a.inputs.encoding)?;
    let mut warnings = sample::check(&rules, &frame)?;
    warnings.0.extend(rules.warnings.iter().cloned());
    let warnings = warnings.sorted();
    print_warnings(&warnings);
    let mut said: Vec<String> = warnings.warnings().map(|w| w.to_string()).collect();
    let mut warn = |text: String| {
        say(&text);
        said.push(text);
    };
    for i in &rules.scoring.indicators {
        let threshold = matches!(
            i.kind,
            IndicatorKind::Target { .. }
                | IndicatorKind::Bands { .. }
                | IndicatorKind::Range { .. }
                | IndicatorKind::Accuracy { .. }
                | IndicatorKind::Verification { .. }
        );
        if threshold && !i.evidence_stated {
            warn(format!(
                "warning: {}:{}: indicator `{}` states no `evidence`; its thresholds read the point estimate (SCORING.md §5)",
                rules.file, i.loc.line, i.id
            ));
        }
    }
    for v in rules.scoring.vetoes.iter().filter(|v| !v.evidence_stated) {
        warn(format!(
            "warning: {}:{}: veto `{}` states no `evidence`; it reads the point estimate (SCORING.md §5)",
            rules.file, v.loc.line, v.id
        ));
    }
    let pop = Population::new(&frame, &excluded_codes(&rules));
    let (design, _) = Design::prepare(&rules, &pop);
    if let Some(design) = design {
        let mut designs = county_designs(&design, &pop);
        designs.sort_by(|a, b| frame.counties[a.county].key.cmp(&frame.counties[b.county].key));
        let rows: Vec<serde_json::Value> = designs
            .iter()
            .map(|d| {
                let c = &frame.counties[d.county];
                json!({"code": c.key, "name": c.name, "villages": d.villages, "psus": d.psus,
                    "strata": d.strata, "df": d.df})
            })
            .collect();
        let thin: Vec<String> = designs
            .iter()
            .filter(|d| d.df < 2)
            .map(|d| {
                format!("{} {} (df {})", frame.counties[d.county].key, frame.counties[d.county].name, d.df)
            })
            .collect();
        match a.format.format {
            Format::Table => {
                let mut t = Table::new(&[
                    (lang.t("县代码", "code"), Align::Left),
                    (lang.t("县", "county"), Align::Left),
                    (lang.t("抽查村数", "villages"), Align::Right),
                    (lang.t("初级单元数", "PSUs"), Align::Right),
                    (lang.t("层数", "strata"), Align::Right),
                    (lang.t("自由度", "df"), Align::Right),
                ]);
                for d in &designs {
                    let c = &frame.counties[d.county];
                    t.row(vec![
                        c.key.clone(),
                        c.name.clone(),
                        d.villages.to_string(),
                        d.psus.to_string(),
                        d.strata.to_string(),
                        d.df.to_string(),
                    ]);
                }
                out(&t.render());
            }
            Format::Csv => out(&output::csv(&["code", "name", "villages", "psus", "strata", "df"], &rows)),
            Format::Json => {}
        }
        if !thin.is_empty() {
            warn(format!(
                "warning: verdicts in {} would rest on fewer than 2 degrees of freedom: their intervals are very wide (t(1) is 12.7 at 95%), so a veto on a bound can hardly fire; give these counties more PSUs (SCORING.md §8)",
                thin.join(", ")
            ));
        }
        if a.format.format == Format::Json {
            out(&output::json(&json!({
                "villages": frame.villages.len(),
                "townships": frame.townships.len(),
                "counties": rows,
                "warnings": said,
            })));
        }
    }
    note(&format!(
        "ok: {} villages in {} townships and {} counties; the rules' {} stage(s) fit the frame",
        frame.villages.len(),
        frame.townships.len(),
        frame.counties.len(),
        rules.stages.len()
    ));
    Ok(0)
}
