//! `spotcheck escalate`: the sequential plan's decision after a round, and
//! the next round's draw for the counties it sends on; and the words of a
//! county's way through the plan, for `explain`.

use super::table::{Align, Table};
use super::{CmdResult, Folder, note, out};
use crate::lang::{self, Lang};
use crate::report::{points, words};
use crate::rules::Rules;
use crate::rules::names::Names;
use crate::rules::scoring::Indicator;
use crate::rules::sequential::{Sequential, Zone, decided};
use crate::score::card::Card;
use crate::score::measures::CountyInput;
use crate::score::sequential::{Decision, Outcome, veto_risks};
use crate::workspace::rounds;

/// Apply the sequential plan's published decision rule to the round now
/// scored: each county is accepted, vetoed (the bound proves it), or, when
/// a veto is suspect but not proven and a round is left, checked again.
///
/// For the counties sent on, draws the next round from the same seed (the
/// first draw fixed the order: SAMPLING.md §15), writes round-N.csv,
/// round-N.toml and round-N.xlsx, gives the new villages to the teams that
/// checked each county (never a team's home county) and writes their forms
/// (forms/检查表-<team>-第N轮): one step, journaled. `verify` re-derives the
/// round and re-applies the rule. Needs every finding of the round; run
/// again once the round is decided, it does nothing.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck -C camp-2009 escalate\n  spotcheck -C camp-2009 escalate --format json"
)]
pub struct Args {
    #[command(flatten)]
    pub at: super::At,
    #[command(flatten)]
    pub format: super::output::FormatArg,
}

/// The name of a decision for a table cell.
fn outcome_name(o: Outcome, lang: Lang) -> &'static str {
    match o {
        Outcome::Accept => lang.t("通过", "accept"),
        Outcome::Veto => lang.t("否决", "veto"),
        Outcome::Escalate => lang.t("扩大抽查", "escalate"),
        Outcome::NotProven => lang.t("未证实", "not proven"),
    }
}

/// A decision in a sentence.
fn outcome_words(o: Outcome, lang: Lang) -> &'static str {
    match o {
        Outcome::Accept => {
            lang.t("通过：没有已证实或可疑的一票否决", "accepted: no veto is proven or suspect")
        }
        Outcome::Veto => lang.t("一票否决：样本证实", "vetoed: the sample proves it"),
        Outcome::Escalate => lang.t(
            "介于两者之间：样本怀疑但不能证实，扩大抽查",
            "in between: the sample suspects a veto but does not prove it, so the county is checked again",
        ),
        Outcome::NotProven => lang.t(
            "最后一轮后仍介于两者之间：未证实，不否决",
            "still in between after the last round: not proven, so no veto",
        ),
    }
}

pub fn run(f: &Folder, a: &Args, lang: Lang) -> CmdResult {
    let mut ws = f.write()?;
    super::need_sample(&ws)?;
    let e = rounds::escalate(&mut ws, lang)?;
    let rows: Vec<serde_json::Value> = e
        .decisions
        .iter()
        .map(|d| {
            serde_json::json!({"code": d.county, "name": d.name, "decision": d.outcome, "reasons": d.reasons})
        })
        .collect();
    match a.format.format {
        super::output::Format::Table => {}
        super::output::Format::Csv => {
            out(&super::output::csv(&["code", "name", "decision", "reasons"], &rows));
        }
        super::output::Format::Json => out(&super::output::json(&serde_json::json!({
            "round": e.round,
            "rounds": e.rounds,
            "decisions": rows,
            "next_round": e.next.as_ref().map(|n| serde_json::json!({
                "round": n.record.round,
                "counties": n.record.counties,
                "villages": n.record.villages,
                "new_villages": n.record.new_villages,
                "reserves": n.record.reserves,
            })),
        }))),
    }
    let mut t = Table::new(&[
        (lang.t("县代码", "code"), Align::Left),
        (lang.t("县", "county"), Align::Left),
        (lang.t("决定", "decision"), Align::Left),
        (lang.t("理由", "why"), Align::Left),
    ]);
    for d in &e.decisions {
        let outcome = Outcome::parse(&d.outcome).unwrap_or(Outcome::Accept);
        t.row(vec![
            d.county.clone(),
            d.name.clone(),
            outcome_name(outcome, lang).to_string(),
            d.reasons.join(lang.clause_sep()),
        ]);
    }
    if a.format.format == super::output::Format::Table {
        out(&t.render());
    }
    if let Some(at) = &e.already {
        let at = crate::time::show(at, ws.offset);
        let drawn = e.decisions.iter().any(|d| d.outcome == Outcome::Escalate.name());
        let next = e.round + 1;
        note(&match lang {
            Lang::Zh => format!(
                "第{}轮（共{}轮）已于{at}作出决定，本次未做任何改动{}",
                e.round,
                e.rounds,
                if drawn {
                    format!("；第{next}轮当时已抽取，其检查结果通过 `spotcheck findings import` 导入")
                } else {
                    String::new()
                }
            ),
            Lang::En => format!(
                "round {} of {} was already decided on {at}; nothing was done{}",
                e.round,
                e.rounds,
                if drawn {
                    format!(
                        "; round {next} was drawn then, and its findings come back through `spotcheck findings import`"
                    )
                } else {
                    String::new()
                }
            ),
        });
        return Ok(0);
    }
    let count = |o: Outcome| e.decisions.iter().filter(|d| d.outcome == o.name()).count();
    let not_proven = count(Outcome::NotProven);
    note(&match lang {
        Lang::Zh => format!(
            "第{}轮（共{}轮）已决定：通过{}个，否决{}个，介于两者之间{}个{}",
            e.round,
            e.rounds,
            count(Outcome::Accept),
            count(Outcome::Veto),
            count(Outcome::Escalate),
            if not_proven > 0 {
                format!("，最后一轮后未证实{not_proven}个")
            } else {
                String::new()
            }
        ),
        Lang::En => format!(
            "round {} of {} decided: {} accepted, {} vetoed, {} in between{}",
            e.round,
            e.rounds,
            count(Outcome::Accept),
            count(Outcome::Veto),
            count(Outcome::Escalate),
            if not_proven > 0 {
                format!(", {not_proven} not proven after the last round")
            } else {
                String::new()
            }
        ),
    });
    match &e.next {
        Some(n) => {
            let r = &n.record;
            note(&match lang {
                Lang::Zh => format!(
                    "第{}轮已用同一种子为{}抽取：{}（{}个村，其中新入样{}个，备选{}个）及{}",
                    r.round,
                    r.counties.join("、"),
                    r.sample,
                    r.villages,
                    r.new_villages,
                    r.reserves,
                    rounds::record_name(r.round)
                ),
                Lang::En => format!(
                    "round {} drawn from the same seed for {}: {} ({} villages, {} of them new, {} reserves) and {}",
                    r.round,
                    r.counties.join(", "),
                    r.sample,
                    r.villages,
                    r.new_villages,
                    r.reserves,
                    rounds::record_name(r.round)
                ),
            });
            for (team, file, villages) in &n.forms {
                note(&match lang {
                    Lang::Zh => format!("  {team}：{villages}个村，见{file}"),
                    Lang::En => format!("  team {team}: {villages} village(s) on {file}"),
                });
            }
            note(lang.t(
                "请公布本轮记录及其样本；各组检查结果通过 `spotcheck findings import` 导入，然后运行 `spotcheck score`",
                "publish the round record and its sample; the teams' findings come back through `spotcheck findings import`, then `spotcheck score`",
            ));
        }
        None => note(
            lang.t("方案到此结束：没有县需要再次检查", "the plan stops here: no county is checked again"),
        ),
    }
    Ok(0)
}

/// A county's way through the plan, for `explain`: each round's villages and
/// confidence, the indicator's points and verdicts, the vetoes, and the
/// decision taken after the round.
pub(super) fn trail_text(
    plan: &Sequential,
    rules: &Rules,
    names: &Names,
    lang: Lang,
    ind: &Indicator,
    trail: &[(u32, CountyInput, Card, Decision)],
    decided_rounds: &[u32],
) -> String {
    let levels: Vec<String> = plan.confidence.iter().map(|c| lang::level(c.value())).collect();
    let vetoes: Vec<String> = decided(rules, plan)
        .iter()
        .map(|id| {
            if rules.scoring.vetoes.iter().any(|v| &v.id == id) {
                names.veto(id, lang)
            } else {
                names.indicator(id, lang)
            }
        })
        .collect();
    let mut s = String::new();
    if let Some((_, c, _, _)) = trail.first() {
        s.push_str(&match lang {
            Lang::Zh => format!("{} {} — 扩大抽查方案（SCORING.md §9）\n", c.code, c.name),
            Lang::En => format!("{} {} — the sequential plan (SCORING.md §9)\n", c.code, c.name),
        });
    }
    let zone = match (plan.zone, lang) {
        (Zone::Estimate, Lang::Zh) => "一票否决的估计值越过界线而置信限未越过",
        (Zone::Estimate, Lang::En) => "a veto's estimate is past its line but its bound is not",
        (Zone::Interval, Lang::Zh) => "一票否决的置信限既不能证实也不能排除",
        (Zone::Interval, Lang::En) => "a veto's bound neither proves nor clears its line",
    };
    s.push_str(&match lang {
        Lang::Zh => format!(
            "方案：共{}轮，置信度{}；扩大抽查的条件：{zone}；据以决定的一票否决：{}\n",
            plan.total_rounds(),
            levels.join("、"),
            vetoes.join("、")
        ),
        Lang::En => format!(
            "plan: {} rounds at {} confidence; escalation when {zone}; the vetoes it decides: {}\n",
            plan.total_rounds(),
            levels.join(", "),
            vetoes.join(", ")
        ),
    });
    for (r, input, card, d) in trail {
        let level = plan.level(*r);
        s.push_str(&match lang {
            Lang::Zh => format!(
                "\n第{r}轮（共{}轮）：样本村{}个，置信度{}\n",
                plan.total_rounds(),
                input.sampled.len(),
                lang::level(level)
            ),
            Lang::En => format!(
                "\nround {r} of {}: {} sampled villages, confidence {}\n",
                plan.total_rounds(),
                input.sampled.len(),
                lang::level(level)
            ),
        });
        if let Some(res) = card.results.iter().find(|x| x.id == ind.id) {
            s.push_str(&format!(
                "  {}{}{} / {}\n",
                names.indicator(&ind.id, lang),
                lang.t("：", ": "),
                points(res.total()),
                points(res.max)
            ));
            for v in &res.verdicts {
                s.push_str(&format!("  {}\n", words::verdict(v, names, lang, Some(level))));
            }
        }
        let risks = veto_risks(card, plan);
        for (v, risk) in card.vetoes.iter().zip(risks) {
            s.push_str(&format!(
                "  {}{}\n",
                lang.t("一票否决：", "veto: "),
                words::card_veto(v, names, lang, Some(level))
            ));
            if let (Some(total), true) = (risk, *r > 1) {
                s.push_str(&match lang {
                    Lang::Zh => format!(
                        "    全方案误判风险至多{}（此前各轮{}，本轮{}）\n",
                        lang::risk(total, lang),
                        lang::risk(plan.risk_through(r - 1), lang),
                        lang::risk((total - plan.risk_through(r - 1)).max(0.0), lang)
                    ),
                    Lang::En => format!(
                        "    risk of a wrong veto over the plan at most {} ({} in the rounds before, {} in this one)\n",
                        lang::risk(total, lang),
                        lang::risk(plan.risk_through(r - 1), lang),
                        lang::risk((total - plan.risk_through(r - 1)).max(0.0), lang)
                    ),
                });
            }
        }
        let settled =
            decided_rounds.contains(r) || *r == plan.total_rounds() || d.outcome != Outcome::Escalate;
        s.push_str(&format!(
            "  {}{}{}\n",
            lang.t("决定：", "decision: "),
            outcome_words(d.outcome, lang),
            if settled {
                ""
            } else {
                lang.t("（尚未执行：spotcheck escalate）", " — not yet applied: `spotcheck escalate`")
            }
        ));
        for why in words::decision_reasons(d, rules, names, lang) {
            s.push_str(&format!("    {why}\n"));
        }
        if d.outcome == Outcome::Escalate && decided_rounds.contains(r) {
            s.push_str(&format!(
                "    → {} ({}, {})\n",
                match lang {
                    Lang::Zh => format!("第{}轮", r + 1),
                    Lang::En => format!("round {}", r + 1),
                },
                rounds::record_name(r + 1),
                rounds::sample_name(r + 1)
            ));
        }
    }
    s
}
