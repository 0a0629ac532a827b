//! `spotcheck score`, `spotcheck explain` and `spotcheck test`.

use std::path::PathBuf;

use serde_json::json;

use super::output::{self, Format, FormatArg};
use super::table::{Align, Table};
use super::{At, CmdResult, Folder, note, out, parse_level, say};
use crate::error::Error;
use crate::lang::{self, Lang};
use crate::report::{points, words};
use crate::rules::names::Names;
use crate::rules::scoring::{Evidence, MissingFindings};
use crate::score::{card, cases};
use crate::workspace::score;

/// Score every county by the rules: compare self-reports with findings,
/// estimate the county totals with intervals, apply the indicators and
/// vetoes. Writes score/scorecards.{csv,md,json} and score/summary.csv.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "While any sampled village (not replaced) has no accepted findings, the scorecards are written \
marked provisional (临时结果) and the command exits with code 3; --provisional accepts that and exits 0.\n\n\
Example:\n  spotcheck -C camp-2009 score\n  spotcheck -C camp-2009 score --format json"
)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub at: At,
    /// Confidence of the intervals and of the one-sided bounds that
    /// `evidence = "bound"` rules read: 95% or 0.95 (default 95%; a
    /// sequential plan fixes it round by round).
    #[arg(long, value_parser = parse_level, value_name = "LEVEL")]
    pub confidence: Option<f64>,
    /// Accept provisional results (some sampled villages have no findings
    /// yet): exit 0 instead of 3. The files are marked provisional either way.
    #[arg(long)]
    pub provisional: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

/// The exit code of a `score` whose results are provisional (README).
pub const PROVISIONAL_EXIT: i32 = 3;

/// Print the full trail behind one county's points for one indicator: the
/// rule, the measures, the estimate with its interval, the sampled villages
/// and findings behind it, and every deduction.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  spotcheck -C camp-2009 explain 130921 birth_accuracy\n  spotcheck -C camp-2009 explain 沧县 birth_accuracy --format csv"
)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub at: At,
    /// The county: its code or its name.
    #[arg(value_name = "COUNTY")]
    pub county: String,
    /// The indicator's id in the rules.
    #[arg(value_name = "INDICATOR")]
    pub indicator: String,
    /// Confidence of the intervals and bounds shown: 95% or 0.95 (default
    /// 95%; a sequential plan fixes it round by round).
    #[arg(long, value_parser = parse_level, value_name = "LEVEL")]
    pub confidence: Option<f64>,
    #[command(flatten)]
    pub format: FormatArg,
}

/// Run the scoring cases (TOML files with [[case]]) under a folder.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  spotcheck test rules/")]
pub struct TestArgs {
    /// The folder whose TOML files (searched recursively) hold the cases.
    #[arg(value_name = "FOLDER")]
    pub folder: PathBuf,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn score_cmd(f: &Folder, a: &ScoreArgs, lang: Lang) -> CmdResult {
    let mut ws = f.write()?;
    super::need_sample(&ws)?;
    // The process ends with this command: the operating system takes back
    // the scorecards' memory at once, where freeing their many small maps
    // one by one took tens of milliseconds at national scale.
    let scored = std::mem::ManuallyDrop::new(score::score(&mut ws, a.confidence, lang)?);
    let (cards, names) = (&scored.cards, &scored.names);
    let vetoes = |c: &card::Card| -> Vec<String> {
        c.vetoes.iter().map(|v| words::card_veto_short(v, names, lang)).collect()
    };
    let rows = || -> Vec<serde_json::Value> {
        cards
        .iter()
        .map(|c| {
            json!({
                "code": c.code,
                "name": c.name,
                "points": round2(c.total),
                "max": round2(c.max),
                "provisional": c.provisional,
                "missing_findings": c.measures.missing_findings.len(),
                "vetoes": vetoes(c),
                "activities": c.activities.iter().map(|(name, points, max)| {
                    json!({"name": names.activity_named(name, lang), "points": round2(*points), "max": round2(*max)})
                }).collect::<Vec<_>>(),
                "indicators": c.results.iter().map(|r| {
                    json!({"id": r.id, "name": names.indicator(&r.id, lang), "points": round2(r.total()), "max": round2(r.max)})
                }).collect::<Vec<_>>(),
            })
        })
        .collect()
    };
    match a.format.format {
        Format::Table => out(&score_table(cards, names, lang)),
        Format::Csv => out(&output::csv(
            &["code", "name", "points", "max", "provisional", "missing_findings", "vetoes"],
            &rows(),
        )),
        Format::Json => out(&output::json(&json!({
            "confidence": a.confidence,
            "provisional": cards.iter().any(|c| c.provisional),
            "counties": rows(),
        }))),
    }
    note(&format!(
        "wrote {} (and scorecards.md, scorecards.json, summary.csv)",
        ws.path("score/scorecards.csv").display()
    ));
    let later: Vec<String> = cards
        .iter()
        .filter_map(|c| {
            c.round.filter(|r| r.0 > 1).map(|(r, of)| match lang {
                Lang::Zh => format!("{} {}（第{r}轮，共{of}轮）", c.code, c.name),
                Lang::En => format!("{} {} (round {r} of {of})", c.code, c.name),
            })
        })
        .collect();
    if !later.is_empty() {
        say(&format!(
            "{}{}",
            lang.t("按扩大抽查方案的后续轮次评分：", "scored on a later round of the sequential plan: "),
            later.join(lang.list_sep())
        ));
    }
    for c in cards.iter().filter_map(|c| c.pending.as_ref().map(|p| (c, p))) {
        say(&format!(
            "{}{} {}{}{}",
            lang.t("介于两者之间：", "IN BETWEEN: "),
            c.0.code,
            c.0.name,
            lang.t("：", ": "),
            c.1
        ));
    }
    let open: Vec<String> = cards
        .iter()
        .filter(|c| !c.measures.missing_findings.is_empty() || !c.measures.missing_households.is_empty())
        .map(|c| {
            let m = &c.measures;
            match (lang, m.missing_findings.len(), m.missing_households.len()) {
                (Lang::Zh, v, 0) => format!("{} {}（{v}个村）", c.code, c.name),
                (Lang::Zh, 0, h) => format!("{} {}（{h}个村缺少入户检查结果）", c.code, c.name),
                (Lang::Zh, v, h) => format!("{} {}（{v}个村；{h}个村缺少入户检查结果）", c.code, c.name),
                (Lang::En, v, 0) => format!("{} {} ({v} village(s))", c.code, c.name),
                (Lang::En, 0, h) => {
                    format!("{} {} ({h} village(s) without household findings)", c.code, c.name)
                }
                (Lang::En, v, h) => {
                    format!("{} {} ({v} village(s); {h} without household findings)", c.code, c.name)
                }
            }
        })
        .collect();
    let pending = cards.iter().filter(|c| c.pending.is_some()).count();
    if open.is_empty() && pending == 0 {
        return Ok(0);
    }
    if !open.is_empty() {
        say(&match lang {
            Lang::Zh => format!(
                "临时结果：{}有样本村尚无已接受的检查结果；所有输出文件均已标注。\
请导入缺少的检查结果（`spotcheck status` 列出这些村），或用 `spotcheck substitute` 替换无法到达的村。",
                open.join("、")
            ),
            Lang::En => format!(
                "PROVISIONAL: sampled villages without accepted findings in {}; every file is marked. \
Import the missing findings (spotcheck status lists them) or replace unreachable villages with `spotcheck substitute`.",
                open.join(", ")
            ),
        });
    }
    if pending > 0 {
        say(&match lang {
            Lang::Zh => format!(
                "临时结果：扩大抽查方案将再次检查{pending}个县，其输出文件均已标注。本轮检查结果全部导入后，运行 `spotcheck escalate`。"
            ),
            Lang::En => format!(
                "PROVISIONAL: the sequential plan checks {pending} county(ies) again; their files are marked. Run `spotcheck escalate` once every finding of the round is in."
            ),
        });
    }
    if a.provisional {
        Ok(0)
    } else {
        say(lang.t(
            "退出码 3：结果为临时结果（加 --provisional 可接受）",
            "exit code 3: the results are provisional (pass --provisional to accept them)",
        ));
        Ok(PROVISIONAL_EXIT)
    }
}

/// Points as printed, as a JSON number (two decimals).
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

/// The scorecards' summary for the terminal.
fn score_table(cards: &[card::Card], names: &Names, lang: Lang) -> String {
    let mut t = Table::new(&[
        (lang.t("县代码", "code"), Align::Left),
        (lang.t("县", "county"), Align::Left),
        (lang.t("得分", "points"), Align::Right),
        (lang.t("满分", "of"), Align::Right),
        (lang.t("状态", "status"), Align::Left),
        (lang.t("一票否决", "veto"), Align::Left),
    ]);
    for c in cards {
        t.row(vec![
            c.code.clone(),
            c.name.clone(),
            points(c.total),
            points(c.max),
            if c.provisional { lang.t("临时", "provisional") } else { "" }.to_string(),
            c.vetoes
                .iter()
                .map(|v| words::card_veto_short(v, names, lang))
                .collect::<Vec<_>>()
                .join(lang.clause_sep()),
        ]);
    }
    t.render()
}

pub fn explain(f: &Folder, a: &ExplainArgs, lang: Lang) -> CmdResult {
    let ws = f.read()?;
    super::need_sample(&ws)?;
    let (rules, inputs) = score::inputs(&ws)?;
    let c = super::find_county(&a.county, inputs.iter().map(|c| (c.code.as_str(), c.name.as_str())))
        .map(|i| &inputs[i])?;
    let Some(ind) = rules.scoring.indicators.iter().find(|i| i.id == a.indicator) else {
        let ids: Vec<&str> = rules.scoring.indicators.iter().map(|i| i.id.as_str()).collect();
        let hint = crate::error::did_you_mean(&a.indicator, ids.iter().copied());
        let the = if hint.is_empty() { "; the" } else { " The" };
        return Err(Error::Usage(format!(
            "no indicator `{}` in the rules{hint}{the} rules have: {}",
            a.indicator,
            ids.join(", ")
        )));
    };
    let names = Names::new(&rules);
    if let Some(plan) = &rules.sequential {
        if a.confidence.is_some() {
            return Err(Error::Usage(
                "the sequential plan fixes the confidence of each round; explain takes no --confidence"
                    .into(),
            ));
        }
        let trail = crate::workspace::rounds::trail(&ws, &rules, &c.code)?;
        let decided = crate::workspace::rounds::decided(&ws);
        let Some((r, input, card, _)) = trail.last() else {
            return Err(Error::Usage(format!("county {} has no sampled villages", c.code)));
        };
        let res = card.results.iter().find(|x| x.id == ind.id).expect("every indicator is scored");
        let level = plan.level(*r);
        if a.format.format != Format::Table {
            // The data of the last round; the trail through the rounds is
            // words, for people.
            return explain_out(a.format.format, &names, lang, input, ind, card, res, level);
        }
        let mut s = super::escalate::trail_text(plan, &rules, &names, lang, ind, &trail, &decided);
        s.push_str(lang.t(&format!("\n第{r}轮详情：\n"), &format!("\nround {r} in full:\n")));
        s.push_str(&explain_text(&rules, &names, lang, input, ind, card, res, level));
        out(&s);
        return Ok(0);
    }
    let level = a.confidence.unwrap_or(score::DEFAULT_LEVEL);
    let card = card::cards(&rules, std::slice::from_ref(c), level)?.remove(0);
    let r = card.results.iter().find(|r| r.id == ind.id).expect("every indicator is scored");
    if a.format.format == Format::Table {
        out(&explain_text(&rules, &names, lang, c, ind, &card, r, level));
        return Ok(0);
    }
    explain_out(a.format.format, &names, lang, c, ind, &card, r, level)
}

/// `explain --format csv|json`.
#[allow(clippy::too_many_arguments)]
fn explain_out(
    format: Format,
    names: &Names,
    lang: Lang,
    c: &crate::score::measures::CountyInput,
    ind: &crate::rules::scoring::Indicator,
    card: &card::Card,
    r: &crate::score::points::Scored,
    level: f64,
) -> CmdResult {
    let doc = explain_json(names, lang, c, ind, card, r, level);
    match format {
        Format::Csv => {
            let rows: Vec<serde_json::Value> = doc["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|f| {
                    f["villages"].as_array().into_iter().flatten().map(move |v| {
                        let mut v = v.clone();
                        v["field"] = f["id"].clone();
                        v
                    })
                })
                .collect();
            out(&output::csv(
                &["field", "code", "name", "weight", "reported", "found", "left_out", "reweighted"],
                &rows,
            ));
        }
        _ => out(&output::json(&doc)),
    }
    Ok(0)
}

/// An estimate as JSON: value, interval, standard error, df and method.
fn estimate_json(e: &crate::score::estimate::Estimate) -> serde_json::Value {
    json!({"value": e.value, "lo": e.lo, "hi": e.hi, "se": e.se, "df": e.df, "method": e.pivot.method()})
}

/// `explain --format json`: the same trail as data.
#[allow(clippy::too_many_arguments)]
fn explain_json(
    names: &Names,
    lang: Lang,
    c: &crate::score::measures::CountyInput,
    ind: &crate::rules::scoring::Indicator,
    card: &card::Card,
    r: &crate::score::points::Scored,
    level: f64,
) -> serde_json::Value {
    let m = &card.measures;
    let reads = |field: &str| r.used.iter().any(|(k, _)| k.starts_with(&format!("{field}_")));
    let measures: Vec<_> = r
        .used
        .iter()
        .map(|(k, v)| {
            let (lo, hi, method) = match m.bounded.get(k) {
                Some(b) => {
                    let (lo, hi) = b.interval(level);
                    (json!(lo), json!(hi), json!(b.pivot.method()))
                }
                None => (json!(null), json!(null), json!(null)),
            };
            json!({"id": k, "name": names.measure(k, lang), "value": v, "lo": lo, "hi": hi, "method": method})
        })
        .collect();
    let fields: Vec<_> = m
        .fields
        .iter()
        .filter(|(field, _)| reads(field))
        .map(|(field, est)| {
            let villages: Vec<_> = est
                .villages
                .iter()
                .map(|(code, w, rep, found)| {
                    let name = c.sampled.iter().find(|v| &v.code == code).map_or("", |v| v.name.as_str());
                    json!({
                        "code": code, "name": name, "weight": w, "reported": rep, "found": found,
                        "left_out": rep.is_none(), "reweighted": m.reweighted.contains(code),
                    })
                })
                .collect();
            json!({
                "id": field,
                "name": names.field(field, lang),
                "reported_total": est.reported_total,
                "verified": estimate_json(&est.verified),
                "ratio": est.ratio.as_ref().map(estimate_json),
                "ht": estimate_json(&est.ht),
                "villages": villages,
            })
        })
        .collect();
    let rates: Vec<_> = m
        .rates
        .iter()
        .filter(|(field, _)| reads(field))
        .map(|(field, p)| {
            json!({
                "id": field, "name": names.field(field, lang), "villages": p.n, "yes": p.x,
                "share": p.p, "lo": p.lo, "hi": p.hi, "df": p.df, "method": p.pivot.method(),
            })
        })
        .collect();
    json!({
        "code": c.code,
        "name": c.name,
        "indicator": {
            "id": ind.id,
            "name": names.indicator(&ind.id, lang),
            "activity": names.activity(&ind.id, lang),
            "rule": names.rule(&ind.id, lang),
            "basis": ind.basis,
            "evidence": if ind.evidence == Evidence::Bound { "bound" } else { "estimate" },
        },
        "confidence": level,
        "points": round2(r.total()),
        "max": round2(r.max),
        "provisional": card.provisional,
        "veto": r.veto.as_ref().map(|v| words::verdict(v, names, lang, Some(level))),
        "measures": measures,
        "steps": r.lines.iter().map(|l| json!({
            "points": round2(l.delta),
            "text": words::step(&l.step, names, lang, Some(level)),
        })).collect::<Vec<_>>(),
        "verdicts": r.verdicts.iter().map(|v| words::verdict(v, names, lang, Some(level))).collect::<Vec<_>>(),
        "fields": fields,
        "rates": rates,
        "missing_findings": m.missing_findings,
    })
}

/// The interval of an estimate in words: the interval, SE, df and method.
fn interval_text(e: &crate::score::estimate::Estimate, level: f64, lang: Lang) -> String {
    let how = if e.pivot.design_based() {
        lang::method("t", e.df, lang)
    } else {
        match lang {
            Lang::Zh => format!(
                "{}：{}",
                lang::method_name(e.pivot.method(), lang),
                if e.df == 0 { "抽样设计没有自由度" } else { "抽样设计给出的方差为0" }
            ),
            Lang::En => format!(
                "{}: the design gives {}",
                lang::method_name(e.pivot.method(), lang),
                if e.df == 0 { "no degrees of freedom" } else { "a variance of 0" }
            ),
        }
    };
    let hi = if e.hi.is_finite() {
        format!("{:.2}", e.hi)
    } else {
        lang.t("无上界", "no upper bound").to_string()
    };
    match lang {
        Lang::Zh => format!(
            "{:.2}，{}区间 {:.2} – {hi}（标准误 {:.2}；{how}）",
            e.value,
            lang::level(level),
            e.lo,
            e.se
        ),
        Lang::En => format!(
            "{:.2}, {} interval {:.2} – {hi} (SE {:.2}; {how})",
            e.value,
            lang::level(level),
            e.lo,
            e.se
        ),
    }
}

/// The full trail behind one indicator of one county.
#[allow(clippy::too_many_arguments)]
fn explain_text(
    rules: &crate::rules::Rules,
    names: &Names,
    lang: Lang,
    c: &crate::score::measures::CountyInput,
    ind: &crate::rules::scoring::Indicator,
    card: &card::Card,
    r: &crate::score::points::Scored,
    level: f64,
) -> String {
    let m = &card.measures;
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let colon = t("：", ": ");
    let mut s = format!(
        "{} {} — {}（{}）\n",
        c.code,
        c.name,
        names.indicator(&ind.id, lang),
        names.activity(&ind.id, lang)
    );
    if let Some(p) = &card.pending {
        s.push_str(&format!("{}{colon}{p}\n", t("临时结果", "PROVISIONAL")));
    } else if card.provisional {
        s.push_str(&format!(
            "{}{}{}\n",
            t(
                "临时结果：以下样本村尚无检查结果",
                "PROVISIONAL: sampled villages without accepted findings yet"
            ),
            colon,
            m.missing_findings.join(lang.list_sep())
        ));
    }
    s.push_str(&format!("{}{colon}{}\n", t("规则", "rule"), names.rule(&ind.id, lang)));
    if !ind.basis.is_empty() {
        s.push_str(&format!("{}{colon}{}\n", t("依据", "basis"), ind.basis));
    }
    s.push_str(&format!(
        "{}{colon}{}{}\n",
        t("证据标准", "evidence"),
        lang::evidence(ind.evidence == Evidence::Bound, lang),
        if ind.veto_evidence != ind.evidence {
            format!(
                "{}{}{}",
                t("（一票否决：", " (veto: "),
                lang::evidence(ind.veto_evidence == Evidence::Bound, lang),
                t("）", ")")
            )
        } else {
            String::new()
        }
    ));
    s.push_str(&format!(
        "{}{colon}{} / {}{}\n\n",
        t("得分", "points"),
        points(r.total()),
        points(r.max),
        r.veto.as_ref().map_or(String::new(), |v| format!(
            "{}{}",
            t("；一票否决：", "; VETO: "),
            words::verdict(v, names, lang, Some(level))
        ))
    ));
    s.push_str(&format!("{}{colon}\n", t("读取的测量值", "measures read")));
    for (k, v) in &r.used {
        let bounds = match m.bounded.get(k) {
            Some(b) => {
                let (lo, hi) = b.interval(level);
                if lo == hi {
                    match lang {
                        Lang::Zh => {
                            format!(
                                "  （在界限上，置信度{}；{}）",
                                lang::level(level),
                                lang::method_name(b.pivot.method(), lang)
                            )
                        }
                        Lang::En => {
                            format!(
                                "  (at its limit with {} confidence; {})",
                                lang::level(level),
                                lang::method_name(b.pivot.method(), lang)
                            )
                        }
                    }
                } else {
                    let hi = if hi.is_finite() {
                        format!("{hi:.6}")
                    } else {
                        t("无上界", "no upper bound").into()
                    };
                    format!(
                        "  ({} {} {lo:.6} – {hi}; {})",
                        lang::level(level),
                        t("区间", "interval"),
                        lang::method(b.pivot.method(), b.pivot.df(), lang)
                    )
                }
            }
            None => String::new(),
        };
        s.push_str(&format!("  {}（{k}）= {v:.6}{bounds}\n", names.measure(k, lang)));
    }
    s.push_str(&format!("\n{}{colon}\n", t("计分步骤", "steps")));
    for l in &r.lines {
        s.push_str(&format!(
            "  {:>8}  {}\n",
            lang::delta(l.delta, lang).unwrap_or_default(),
            words::step(&l.step, names, lang, Some(level))
        ));
    }
    if !r.verdicts.is_empty() {
        s.push_str(&format!(
            "\n{}{colon}\n",
            t(
                "判定（误判风险：若该县恰在界线上，得出这样强的判定的概率）",
                "verdicts (a risk is the chance of a verdict this strong if the county were exactly at the line)"
            )
        ));
        for v in &r.verdicts {
            s.push_str(&format!("  {}\n", words::verdict(v, names, lang, Some(level))));
        }
    }
    for (field, est) in &m.fields {
        if !r.used.iter().any(|(k, _)| k.starts_with(&format!("{field}_"))) {
            continue;
        }
        s.push_str(&format!(
            "\n{}{colon}{} {:.2}\n",
            names.field(field, lang),
            t("上报合计", "reported total"),
            est.reported_total
        ));
        s.push_str(&format!(
            "  {}{colon}{}\n",
            t("核实估计", "verified total"),
            interval_text(&est.verified, level, lang)
        ));
        if let Some(ratio) = &est.ratio {
            s.push_str(&format!(
                "  {}{colon}{}\n",
                t("核实与上报之比", "found / reported (ratio)"),
                interval_text(ratio, level, lang)
            ));
        }
        s.push_str(&format!(
            "  {}{colon}{}\n",
            t("HT估计", "Horvitz–Thompson total"),
            interval_text(&est.ht, level, lang)
        ));
        if !est.verified.lonely.is_empty() {
            s.push_str(&format!(
                "  {} (lonely_psu = {}){colon}{}\n",
                t("只有一个初级单元的层", "strata with one PSU"),
                rules.scoring.lonely_psu.name(),
                est.verified.lonely.join(", ")
            ));
        }
        s.push_str(&format!(
            "  {}{colon}\n",
            t(
                "背后的样本村（村代码、村名、权数 1/π、上报、核实）",
                "sampled villages behind it (code, name, weight 1/π, reported, found)"
            )
        ));
        for (code, w, rep, found) in &est.villages {
            let name = c.sampled.iter().find(|v| &v.code == code).map_or("", |v| v.name.as_str());
            let (rep, note) = match rep {
                Some(x) => (x.to_string(), String::new()),
                None => (
                    "—".to_string(),
                    t(
                        "  （自查报告遗漏的村，计入核实估计）",
                        "  (left out of the self-report, counted in the verified total)",
                    )
                    .to_string(),
                ),
            };
            let note = if m.reweighted.contains(code) {
                format!(
                    "{note}{}",
                    t("  （无检查结果：权数由同组村承担）", "  (no finding: weight carried by its cell)")
                )
            } else {
                note
            };
            s.push_str(&format!("    {code} {name} {w:.3} {rep} {found}{note}\n"));
        }
    }
    for (field, p) in &m.rates {
        if !r.used.iter().any(|(k, _)| k.starts_with(&format!("{field}_"))) {
            continue;
        }
        s.push_str(&match lang {
            Lang::Zh => format!(
                "\n{}：{}个样本村中{}个为“是”；估计全县为“是”的村比例{:.2}%，{}区间 {:.2}% – {:.2}%（{}）\n",
                names.field(field, lang), p.n, p.x, p.p * 100.0, lang::level(level), p.lo * 100.0, p.hi * 100.0, lang::method(p.pivot.method(), p.df, lang)
            ),
            Lang::En => format!(
                "\n{}: found \"yes\" in {} of {} sampled villages; estimated share of the county's villages {:.2}%, {} interval {:.2}% – {:.2}% ({})\n",
                names.field(field, lang), p.x, p.n, p.p * 100.0, lang::level(level), p.lo * 100.0, p.hi * 100.0, lang::method(p.pivot.method(), p.df, lang)
            ),
        });
    }
    for (field, e) in &m.households {
        if !r.used.iter().any(|(k, _)| k.starts_with(&format!("{field}_"))) {
            continue;
        }
        s.push_str(&household_text(names, lang, c, field, e, level));
    }
    if !m.missing_households.is_empty()
        && r.used.iter().any(|(k, _)| m.households.keys().any(|f| k.starts_with(&format!("{f}_"))))
    {
        s.push_str(&match lang {
            Lang::Zh => format!(
                "\n缺少入户核查结果的样本村（其权数由同组有结果的村承担）：{}\n",
                m.missing_households.join("、")
            ),
            Lang::En => format!(
                "\nsampled villages without household findings (their weight is carried by the villages of their cell): {}\n",
                m.missing_households.join(", ")
            ),
        });
    }
    if !m.missing_findings.is_empty() {
        let how = match (rules.scoring.missing_findings, lang) {
            (MissingFindings::Reweight, Lang::Zh) => "其权数由同组有结果的村承担",
            (MissingFindings::Reweight, Lang::En) => "their weight is carried by the villages of their cell",
            (MissingFindings::Worst, Lang::Zh) => "每村按最不利情况计（0，否）",
            (MissingFindings::Worst, Lang::En) => "each counts as the worst case (0, 否)",
        };
        s.push_str(&match lang {
            Lang::Zh => {
                format!("\n缺少检查结果的样本村（{how}；从不悄悄按0计）：{}\n", m.missing_findings.join("、"))
            }
            Lang::En => format!(
                "\nsampled villages without findings ({how}; never counted as zero silently): {}\n",
                m.missing_findings.join(", ")
            ),
        });
    }
    s
}

/// A household field behind an indicator: the county estimate, each
/// village's register, visits, answers and total, and the households whose
/// answer contradicts their village's report (SCORING.md §11).
fn household_text(
    names: &Names,
    lang: Lang,
    c: &crate::score::measures::CountyInput,
    field: &str,
    e: &crate::score::households::HouseholdEstimate,
    level: f64,
) -> String {
    let name = names.field(field, lang);
    let visited: u64 = e.villages.iter().map(|v| v.visited).sum();
    let answered: u64 = e.villages.iter().map(|v| v.answered).sum();
    let mut s = match lang {
        Lang::Zh => {
            format!("\n{name}（入户核查）：{}个样本村入户{visited}户，{answered}户作答\n", e.villages.len())
        }
        Lang::En => format!(
            "\n{name} (at the door): {visited} households visited in {} sampled villages, {answered} answering\n",
            e.villages.len()
        ),
    };
    if let Some(p) = &e.rate {
        s.push_str(&match lang {
            Lang::Zh => format!(
                "  估计全县户比例{:.2}%，{:.0}%区间 {:.2}% – {:.2}%（{}，自由度{}；每户权数为村权数 × 户籍册户数 / 入户户数）\n",
                p.p * 100.0, level * 100.0, p.lo * 100.0, p.hi * 100.0, p.pivot.method(), p.df
            ),
            Lang::En => format!(
                "  estimated share of the county's households {:.2}%, {:.0}% interval {:.2}% – {:.2}% ({}, {} df; each household weighs its village's weight × register / households visited)\n",
                p.p * 100.0, level * 100.0, p.lo * 100.0, p.hi * 100.0, p.pivot.method(), p.df
            ),
        });
    }
    if let Some(m) = &e.mean {
        s.push_str(&format!(
            "  {}{}{}\n",
            lang.t("户均", "mean per household"),
            lang.t("：", ": "),
            interval_text(m, level, lang)
        ));
    }
    if let Some(t) = &e.total {
        let what = if e.mean.is_some() {
            lang.t("估计全县合计（HT）", "estimated county total (Horvitz–Thompson)")
        } else {
            lang.t(
                "估计全县答“是”的户数（HT）",
                "estimated households answering yes in the county (Horvitz–Thompson)",
            )
        };
        s.push_str(&format!("  {what}{}{}\n", lang.t("：", ": "), interval_text(t, level, lang)));
    }
    s.push_str(&format!(
        "  {}\n",
        lang.t(
            "背后的样本村（村代码、村名、权数 1/π、户籍册户数、入户户数、作答户数、合计、村估计数 = 户籍册户数 / 入户户数 × 合计）：",
            "sampled villages behind it (code, name, weight 1/π, register, households visited, answering, sum, village total = register / visited × sum):"
        )
    ));
    for v in &e.villages {
        let vname = c.sampled.iter().find(|x| x.code == v.code).map_or("", |x| x.name.as_str());
        s.push_str(&format!(
            "    {} {vname} {:.3} {} {} {} {} {:.1}\n",
            v.code,
            v.w,
            v.register,
            v.visited,
            v.answered,
            lang::number(v.sum),
            v.total()
        ));
    }
    if !e.contradictions.is_empty() {
        s.push_str(&format!(
            "  {}\n",
            lang.t(
                "与村上报不符的户（村上报“是”，该户答“否”），可逐户核对：",
                "households contradicting their village's report (reported 是, the household answered 否), each to be checked:"
            )
        ));
        let mut by: Vec<(&str, Vec<u64>)> = Vec::new();
        for (code, n) in &e.contradictions {
            match by.iter_mut().find(|(c, _)| c == code) {
                Some((_, v)) => v.push(*n),
                None => by.push((code, vec![*n])),
            }
        }
        for (code, nums) in by {
            let vname = c.sampled.iter().find(|x| x.code == code).map_or("", |x| x.name.as_str());
            let list: Vec<String> = nums
                .iter()
                .map(|n| match lang {
                    Lang::Zh => format!("第{n}户"),
                    Lang::En => format!("no. {n}"),
                })
                .collect();
            s.push_str(&format!("    {code} {vname}{}{}\n", lang.t("：", ": "), list.join(lang.list_sep())));
        }
    }
    s
}

pub fn test(a: &TestArgs, lang: Lang) -> CmdResult {
    let outcomes = cases::run(&a.folder)?;
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    let rows: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| {
            json!({
                "name": o.name, "file": o.file, "passed": o.passed,
                "detail": if o.passed { json!(null) } else { json!(case_detail(&o.detail, lang)) },
            })
        })
        .collect();
    match a.format.format {
        Format::Table => {
            let mut s = String::new();
            for o in &outcomes {
                s.push_str(&format!("{} {} — {}\n", if o.passed { "ok  " } else { "FAIL" }, o.name, o.file));
                if !o.passed {
                    s.push_str(&format!("     {}\n", case_detail(&o.detail, lang)));
                }
            }
            out(&s);
        }
        Format::Csv => out(&output::csv(&["name", "file", "passed", "detail"], &rows)),
        Format::Json => out(&output::json(&json!({
            "passed": outcomes.len() - failed, "failed": failed, "cases": rows,
        }))),
    }
    // Failures are told even with --quiet.
    let line = format!("{} passed, {} failed", outcomes.len() - failed, failed);
    if failed > 0 {
        say(&line)
    } else {
        note(&line)
    }
    Ok(if failed == 0 { 0 } else { 1 })
}

/// Why a scoring case failed, in words.
fn case_detail(d: &cases::Detail, lang: Lang) -> String {
    match d {
        cases::Detail::NoIndicator(id) => format!("no indicator `{id}` in the rules"),
        cases::Detail::Scored { expected, expected_veto, got, vetoed, lines, names } => format!(
            "expected {expected} points{}, got {got:.4}{}: {}",
            if *expected_veto { " and a veto" } else { "" },
            if *vetoed { " and a veto" } else { "" },
            words::trail(lines, names, lang, None)
        ),
    }
}
