//! The trail in words: every verdict, deduction, bonus and veto as a
//! sentence in Chinese or English, with the rules' display names and
//! numbers formatted for people. Every report, and the terminal, says them
//! through these functions, so the two languages cannot drift apart.

use crate::annual::compute::AnnualVeto;
use crate::annual::rules::AnnualRules;
use crate::lang::{self, Lang};
use crate::rules::names::Names;
use crate::rules::scoring::Evidence;
use crate::score::card::CardVeto;
use crate::score::points::{Line, Step, Verdict, VetoResult};

/// A line a threshold is drawn at: `7%`, `95.5%`, `12`.
fn line_value(names: &Names, measure: &str, v: f64, lang: Lang) -> String {
    if names.is_share(measure) {
        let s = format!("{:.2}", v * 100.0);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        format!("{s}%")
    } else {
        names.value(measure, v, lang)
    }
}

/// `95%` for a confidence of 0.95.
fn level_text(level: Option<f64>) -> String {
    level.map_or(String::new(), |l| {
        let s = format!("{:.1}", l * 100.0);
        format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
    })
}

/// The bound a verdict read: the lower one when the measure is said to be
/// too high.
fn bound_name(above: bool, lang: Lang) -> &'static str {
    match above {
        true => lang::bound_word("lcb", lang).unwrap_or_default(),
        false => lang::bound_word("ucb", lang).unwrap_or_default(),
    }
}

/// The evidence standard and the risk of a wrong verdict, in brackets.
fn evidence_note(evidence: Evidence, risk: Option<f64>, lang: Lang) -> String {
    evidence_note_with(evidence, risk, "", lang)
}

/// As [`evidence_note`], with `more` (its own clause) before the bracket
/// closes.
fn evidence_note_with(evidence: Evidence, risk: Option<f64>, more: &str, lang: Lang) -> String {
    let ev = lang::evidence(evidence == Evidence::Bound, lang);
    match (lang, risk) {
        (Lang::Zh, Some(r)) => format!("（证据标准：{ev}；误判风险{}{more}）", lang::risk(r, lang)),
        (Lang::Zh, None) => format!("（证据标准：{ev}{more}）"),
        (Lang::En, Some(r)) => {
            format!(" (evidence: {ev}; risk of a wrong verdict {}{more})", lang::risk(r, lang))
        }
        (Lang::En, None) => format!(" (evidence: {ev}{more})"),
    }
}

/// A threshold verdict: `出生统计误差率 估计19.48%，95%单侧置信下限15.64%，超过7%`.
fn verdict_core(v: &Verdict, names: &Names, lang: Lang, level: Option<f64>) -> String {
    let m = names.measure(&v.measure, lang);
    let est = names.value(&v.measure, v.estimate, lang);
    let line = line_value(names, &v.measure, v.line, lang);
    let op = lang::op(v.op, lang);
    let above = v.op.starts_with('>');
    match (lang, v.evidence) {
        (Lang::Zh, Evidence::Estimate) => format!("{m} 估计{est}，{op}{line}"),
        (Lang::Zh, Evidence::Bound) => format!(
            "{m} 估计{est}，{}{}{}，{op}{line}",
            level_text(level),
            bound_name(above, lang),
            names.value(&v.measure, v.used, lang)
        ),
        (Lang::En, Evidence::Estimate) => format!("{m}: estimate {est}, {op} {line}"),
        (Lang::En, Evidence::Bound) => format!(
            "{m}: estimate {est}, {} {} {}, {op} {line}",
            level_text(level),
            bound_name(above, lang),
            names.value(&v.measure, v.used, lang)
        ),
    }
}

/// A threshold verdict with its evidence standard and risk.
pub fn verdict(v: &Verdict, names: &Names, lang: Lang, level: Option<f64>) -> String {
    judged(v, "", names, lang, level)
}

/// A verdict, what followed from it, then its evidence and risk.
fn judged(v: &Verdict, then: &str, names: &Names, lang: Lang, level: Option<f64>) -> String {
    format!("{}{then}{}", verdict_core(v, names, lang, level), evidence_note(v.evidence, v.risk, lang))
}

/// `：一票否决` after a verdict.
fn veto_suffix(lang: Lang) -> &'static str {
    lang.t("：一票否决", ": one-vote veto")
}

/// A value and, under `evidence = "bound"`, the bound it was judged on.
fn with_bound(
    names: &Names,
    measure: &str,
    value: f64,
    bound: Option<f64>,
    above: bool,
    lang: Lang,
) -> String {
    let v = names.value(measure, value, lang);
    match bound {
        None => v,
        Some(b) => match lang {
            Lang::Zh => format!("{v}（{}{}）", bound_name(above, lang), names.value(measure, b, lang)),
            Lang::En => format!("{v} ({} {})", bound_name(above, lang), names.value(measure, b, lang)),
        },
    }
}

/// One step of the trail, without the points it moved.
pub fn step(s: &Step, names: &Names, lang: Lang, level: Option<f64>) -> String {
    let m = |x: &str| names.measure(x, lang);
    let p = lang::points;
    let pp = |x: f64| format!("{x:.2}");
    let j = |x: &Verdict, then: String| judged(x, &then, names, lang, level);
    match (s, lang) {
        (Step::Missing { measure }, Lang::Zh) => {
            format!("没有{}的数值（无检查结果、无上报或无置信限），不得分", m(measure))
        }
        (Step::Missing { measure }, Lang::En) => {
            format!("no value for {} (no findings, no report, or no bound): no points", m(measure))
        }
        (Step::BelowTarget { verdict, points_below, per_point }, Lang::Zh) => {
            j(verdict, format!("，差{}个百分点，每个百分点扣{}分", pp(*points_below), p(*per_point)))
        }
        (Step::BelowTarget { verdict, points_below, per_point }, Lang::En) => {
            j(verdict, format!(", {} points short, −{} per point", pp(*points_below), p(*per_point)))
        }
        (Step::AboveTarget { measure, value, bound, target, points_above, per_point, cap }, _) => {
            let val = with_bound(names, measure, *value, *bound, true, lang);
            let t = line_value(names, measure, *target, lang);
            match lang {
                Lang::Zh => format!(
                    "{} {val}，高于目标{t} {}个百分点，每个百分点加{}分，最多加{}分",
                    m(measure),
                    pp(*points_above),
                    p(*per_point),
                    p(*cap)
                ),
                Lang::En => format!(
                    "{} {val}, {} points above the target {t}: +{} per point, at most {}",
                    m(measure),
                    pp(*points_above),
                    p(*per_point),
                    p(*cap)
                ),
            }
        }
        (Step::Bands { measure, value, bound, got, missed }, _) => match (missed, lang) {
            (Some(x), Lang::Zh) => j(x, format!("，按分档得{}分", p(*got))),
            (Some(x), Lang::En) => j(x, format!(": {} points by the bands", p(*got))),
            (None, _) => {
                let val = with_bound(names, measure, *value, *bound, false, lang);
                match lang {
                    Lang::Zh => format!("{} {val}，按分档得{}分", m(measure), p(*got)),
                    Lang::En => format!("{} {val} earns {} points by the bands", m(measure), p(*got)),
                }
            }
        },
        (Step::OutsideRange { verdict, min, max }, _) => {
            let (lo, hi) = (
                line_value(names, &verdict.measure, *min, lang),
                line_value(names, &verdict.measure, *max, lang),
            );
            match lang {
                Lang::Zh => j(verdict, format!("，不在{lo}至{hi}之间，不得分")),
                Lang::En => j(verdict, format!(", outside {lo} – {hi}: no points")),
            }
        }
        (Step::ProRata { achieved, due, a, d, share }, Lang::Zh) => format!(
            "{} {} ÷ {} {} = {}，按此比例得分",
            m(achieved),
            names.value(achieved, *a, lang),
            m(due),
            names.value(due, *d, lang),
            lang::pct(*share)
        ),
        (Step::ProRata { achieved, due, a, d, share }, Lang::En) => format!(
            "{} {} / {} {} = {}: points × that share",
            m(achieved),
            names.value(achieved, *a, lang),
            m(due),
            names.value(due, *d, lang),
            lang::pct(*share)
        ),
        (Step::PerCase { measure, cases, per_case }, Lang::Zh) => {
            format!("{}{}，每例扣{}分，扣完为止", m(measure), lang::number(*cases), p(*per_case))
        }
        (Step::PerCase { measure, cases, per_case }, Lang::En) => {
            format!("{}: {}, −{} each, until exhausted", m(measure), lang::number(*cases), p(*per_case))
        }
        (Step::ChecklistShort { item, villages, share, .. }, Lang::Zh) => format!(
            "{}：{}未全部落实（估计全县落实的村比例{}）",
            names.field(item, lang),
            villages.map_or(String::new(), |n| format!("{}个样本村", lang::number(n))),
            lang::pct(*share)
        ),
        (Step::ChecklistShort { item, villages, share, .. }, Lang::En) => format!(
            "{}: not met everywhere{} (estimated share of the county's villages meeting it {})",
            names.field(item, lang),
            villages.map_or(String::new(), |n| format!(
                ", {} sampled village(s) not meeting it",
                lang::number(n)
            )),
            lang::pct(*share)
        ),
        (Step::ChecklistMissing { item, .. }, Lang::Zh) => format!("{}：没有数值", names.field(item, lang)),
        (Step::ChecklistMissing { item, .. }, Lang::En) => format!("{}: no value", names.field(item, lang)),
        (Step::AccuracyZero { verdict }, Lang::Zh) => j(verdict, "，不得分".to_string()),
        (Step::AccuracyZero { verdict }, Lang::En) => j(verdict, ": no points".to_string()),
        (Step::AccuracyOver { verdict, points_over, per_point }, Lang::Zh) => {
            j(verdict, format!("，超出容许误差{}个百分点，每个百分点扣{}分", pp(*points_over), p(*per_point)))
        }
        (Step::AccuracyOver { verdict, points_over, per_point }, Lang::En) => j(
            verdict,
            format!(", {} points over the tolerance, −{} per point", pp(*points_over), p(*per_point)),
        ),
        (Step::AccuracyWithin { measure, value, bound, tolerance }, _) => {
            let val = with_bound(names, measure, *value, *bound, true, lang);
            let t = line_value(names, measure, *tolerance, lang);
            match lang {
                Lang::Zh => format!("{} {val}，在容许误差{t}以内，不扣分", m(measure)),
                Lang::En => format!("{} {val} is within the tolerance {t}: full marks", m(measure)),
            }
        }
        (Step::ClaimStands { discrepancy, upto }, Lang::Zh) => {
            format!("上报与核实差异{}，不超过{}，上报数成立", lang::pct(*discrepancy), lang::pct(*upto))
        }
        (Step::ClaimStands { discrepancy, upto }, Lang::En) => {
            format!("discrepancy {} ≤ {}: the claim stands", lang::pct(*discrepancy), lang::pct(*upto))
        }
        (Step::TierPenalty { discrepancy, upto, factor, crossed }, _) => {
            let then = match lang {
                Lang::Zh => format!("，不超过{}，按差异的{}倍扣分", lang::pct(*upto), lang::number(*factor)),
                Lang::En => format!(
                    ", at most {}: penalty {} × the discrepancy",
                    lang::pct(*upto),
                    lang::number(*factor)
                ),
            };
            match (crossed, lang) {
                (Some(x), _) => j(x, then),
                (None, Lang::Zh) => format!("上报与核实差异{}{then}", lang::pct(*discrepancy)),
                (None, Lang::En) => format!("discrepancy {}{then}", lang::pct(*discrepancy)),
            }
        }
        (Step::BeyondTiers { discrepancy, crossed }, _) => {
            let then = lang.t("，超出各档，不得分", ", beyond every tier: no points").to_string();
            match (crossed, lang) {
                (Some(x), _) => j(x, then),
                (None, Lang::Zh) => format!("上报与核实差异{}{then}", lang::pct(*discrepancy)),
                (None, Lang::En) => format!("discrepancy {}{then}", lang::pct(*discrepancy)),
            }
        }
        (Step::Formula { value, max, read }, _) => {
            let read = bracketed(read_list(read, names, lang), lang);
            let clamped = *value < 0.0 || *value > *max;
            match lang {
                Lang::Zh => format!(
                    "按规则计算得{}分{}{read}",
                    p(*value),
                    if clamped { format!("，计入0至{}分之间", p(*max)) } else { String::new() }
                ),
                Lang::En => format!(
                    "the rule gives {}{}{read}",
                    p(*value),
                    if clamped { format!(", kept within 0 – {}", p(*max)) } else { String::new() }
                ),
            }
        }
        (Step::FormulaFailed { read, .. }, Lang::Zh) => {
            format!("规则无法计算（缺少数值），不得分{}", bracketed(read_list(read, names, lang), lang))
        }
        (Step::FormulaFailed { why, read }, Lang::En) => {
            format!(
                "the rule cannot be computed ({why}): no points{}",
                bracketed(read_list(read, names, lang), lang)
            )
        }
    }
}

/// Text in brackets, or nothing for no text.
fn bracketed(s: String, lang: Lang) -> String {
    match (s.is_empty(), lang) {
        (true, _) => String::new(),
        (false, Lang::Zh) => format!("（{s}）"),
        (false, Lang::En) => format!(" ({s})"),
    }
}

/// The measures a formula read: `群众反映问题件数抽查合计 3件`.
fn read_list(read: &[(String, f64)], names: &Names, lang: Lang) -> String {
    read.iter()
        .map(|(k, x)| match lang {
            Lang::Zh => format!("{} {}", names.measure(k, lang), names.value(k, *x, lang)),
            Lang::En => format!("{} = {}", names.measure(k, lang), names.value(k, *x, lang)),
        })
        .collect::<Vec<_>>()
        .join(lang.clause_sep())
}

/// A step with the points it moved: `…，扣2.50分` / `… (−2.50)`.
pub fn line(l: &Line, names: &Names, lang: Lang, level: Option<f64>) -> String {
    let text = step(&l.step, names, lang, level);
    match (lang::delta(l.delta, lang), lang) {
        (None, _) => text,
        (Some(d), Lang::Zh) => format!("{text}（{d}）"),
        (Some(d), Lang::En) => format!("{text} ({d})"),
    }
}

/// An indicator's whole trail, one sentence after another.
pub fn trail(lines: &[Line], names: &Names, lang: Lang, level: Option<f64>) -> String {
    lines.iter().map(|l| line(l, names, lang, level)).collect::<Vec<_>>().join(lang.clause_sep())
}

/// A `[[veto]]` that fired: its name and reason, what each part read, the
/// evidence and the risk, and the documented cases behind it.
pub fn veto_rule(v: &VetoResult, names: &Names, lang: Lang, level: Option<f64>) -> String {
    veto_rule_with(v, names, lang, level, &cases(v, lang, true))
}

/// The documented cases of a veto: every sampled village where more was
/// found than reported, or only how many there are.
fn cases(v: &VetoResult, lang: Lang, list: bool) -> String {
    if v.cases.is_empty() {
        return String::new();
    }
    let n = v.cases.len();
    let each = |(code, r, f): &(String, f64, f64)| match lang {
        Lang::Zh => format!("{code} 上报{} 核实{}", lang::number(*r), lang::number(*f)),
        Lang::En => format!("{code} reported {} found {}", lang::number(*r), lang::number(*f)),
    };
    match (lang, list) {
        (Lang::Zh, true) => {
            format!(
                "；有据可查的样本村（{n}个）：{}",
                v.cases.iter().map(each).collect::<Vec<_>>().join("、")
            )
        }
        (Lang::En, true) => {
            format!("; documented cases ({n}): {}", v.cases.iter().map(each).collect::<Vec<_>>().join(", "))
        }
        (Lang::Zh, false) => format!("；有据可查的样本村{n}个"),
        (Lang::En, false) => format!("; {n} documented cases"),
    }
}

/// As [`veto_rule`], with the number of documented cases instead of the
/// list, for a page that shows every county.
pub fn veto_rule_counted(v: &VetoResult, names: &Names, lang: Lang, level: Option<f64>) -> String {
    veto_rule_with(v, names, lang, level, &cases(v, lang, false))
}

fn veto_rule_with(v: &VetoResult, names: &Names, lang: Lang, level: Option<f64>, more: &str) -> String {
    let parts: Vec<String> = v
        .parts
        .iter()
        .map(|(c, value, _)| {
            let read = match v.evidence {
                Evidence::Estimate => lang.t("估计", "estimate").to_string(),
                Evidence::Bound => format!("{}{}", level_text(level), bound_name(c.above(), lang)),
            };
            let line = line_value(names, &c.name, c.line, lang);
            match lang {
                Lang::Zh => format!(
                    "{} {read}{}，{}{line}",
                    names.measure(&c.name, lang),
                    names.value(&c.name, *value, lang),
                    lang::op(c.op_text(), lang)
                ),
                Lang::En => format!(
                    "{}: {read} {}, {} {line}",
                    names.measure(&c.name, lang),
                    names.value(&c.name, *value, lang),
                    lang::op(c.op_text(), lang)
                ),
            }
        })
        .collect();
    let name = names.veto(&v.id, lang);
    let reason = names.veto_reason(&v.id, lang);
    let head = if reason.is_empty() || reason == name {
        name
    } else {
        format!("{name}{}{reason}", lang.t("：", ": "))
    };
    let read = if parts.is_empty() {
        String::new()
    } else {
        match lang {
            Lang::Zh => format!("（{}）", parts.join("，且")),
            Lang::En => format!(" ({})", parts.join(" and ")),
        }
    };
    format!("{head}{read}{}", evidence_note_with(v.evidence, v.risk, more, lang))
}

/// A scorecard's veto in full.
pub fn card_veto(v: &CardVeto, names: &Names, lang: Lang, level: Option<f64>) -> String {
    match v {
        CardVeto::Indicator { verdict: x, .. } => {
            format!("{}{}", verdict(x, names, lang, level), veto_suffix(lang))
        }
        CardVeto::Rule(r) => veto_rule(r, names, lang, level),
    }
}

/// As [`card_veto`], counting the documented cases instead of listing them.
pub fn card_veto_counted(v: &CardVeto, names: &Names, lang: Lang, level: Option<f64>) -> String {
    match v {
        CardVeto::Rule(r) => veto_rule_counted(r, names, lang, level),
        other => card_veto(other, names, lang, level),
    }
}

/// A scorecard's veto in a few words, for a table cell: the veto's name, or
/// `出生统计误差率超过7%`.
pub fn card_veto_short(v: &CardVeto, names: &Names, lang: Lang) -> String {
    match v {
        CardVeto::Indicator { verdict: x, .. } => short_verdict(x, names, lang),
        CardVeto::Rule(r) => names.veto(&r.id, lang),
    }
}

fn short_verdict(x: &Verdict, names: &Names, lang: Lang) -> String {
    let line = line_value(names, &x.measure, x.line, lang);
    match lang {
        Lang::Zh => format!("{}{}{line}", names.measure(&x.measure, lang), lang::op(x.op, lang)),
        Lang::En => format!("{} {} {line}", names.measure(&x.measure, lang), lang::op(x.op, lang)),
    }
}

/// The names the annual report reads a campaign's vetoes with.
pub struct AnnualNames<'a> {
    pub rules: &'a AnnualRules,
    /// Each campaign source's names, by the name given with `--campaign`.
    pub campaigns: &'a [(String, Names, f64)],
}

impl AnnualNames<'_> {
    /// The component a campaign source feeds, by its display name.
    pub fn source(&self, source: &str, lang: Lang) -> String {
        self.rules
            .components
            .iter()
            .find(|c| c.source == crate::annual::rules::Source::Campaign(source.to_string()))
            .map_or_else(
                || source.to_string(),
                |c| c.name_en.as_ref().filter(|_| lang == Lang::En).unwrap_or(&c.name).clone(),
            )
    }

    fn campaign(&self, source: &str) -> (Names, Option<f64>) {
        self.campaigns
            .iter()
            .find(|c| c.0 == source)
            .map_or_else(|| (Names::default(), None), |c| (c.1.clone(), Some(c.2)))
    }

    /// An annual veto in full.
    pub fn veto(&self, v: &AnnualVeto, lang: Lang) -> String {
        let colon = lang.t("：", ": ");
        match v {
            AnnualVeto::Campaign { source, veto } => {
                let (names, level) = self.campaign(source);
                format!(
                    "{}{colon}{}",
                    self.source(source, lang),
                    card_veto_counted(veto, &names, lang, level)
                )
            }
            AnnualVeto::Measure { source, verdict: x, reason } => {
                let (names, level) = self.campaign(source);
                format!(
                    "{}{colon}{}{colon}{}",
                    self.source(source, lang),
                    reason.get(lang),
                    verdict(x, &names, lang, level)
                )
            }
            AnnualVeto::Floor { total, floor, .. } => match lang {
                Lang::Zh => format!("总分{}，低于{}分", lang::points(*total), lang::number(*floor)),
                Lang::En => format!("total {} is below {}", lang::points(*total), lang::number(*floor)),
            },
        }
    }

    /// An annual veto in a few words, for a table cell.
    pub fn veto_short(&self, v: &AnnualVeto, lang: Lang) -> String {
        match v {
            AnnualVeto::Campaign { source, veto } => card_veto_short(veto, &self.campaign(source).0, lang),
            AnnualVeto::Measure { reason, .. } | AnnualVeto::Floor { reason, .. } => {
                reason.get(lang).to_string()
            }
        }
    }

    /// A row's vetoes without an annual measure veto that says what a
    /// campaign's own veto on the same measure and line already says.
    fn distinct<'v>(&self, list: &'v [AnnualVeto]) -> impl Iterator<Item = &'v AnnualVeto> {
        let said = |source: &str, x: &Verdict| {
            list.iter().any(|v| match v {
                AnnualVeto::Campaign { source: s, veto: CardVeto::Indicator { verdict: y, .. } } => {
                    s == source && y.measure == x.measure && y.line == x.line && y.used == x.used
                }
                _ => false,
            })
        };
        list.iter().filter(
            move |v| !matches!(v, AnnualVeto::Measure { source, verdict, .. } if said(source, verdict)),
        )
    }

    /// A row's vetoes in full (see [`Self::distinct`]).
    pub fn vetoes_full(&self, list: &[AnnualVeto], lang: Lang) -> Vec<String> {
        self.distinct(list).map(|v| self.veto(v, lang)).collect()
    }

    /// A row's vetoes in a few words (see [`Self::distinct`]). Two vetoes
    /// whose short names coincide are listed once only when they coincide
    /// in both languages, so that Chinese and English list the same set.
    pub fn vetoes_short(&self, list: &[AnnualVeto], lang: Lang) -> String {
        let mut seen: Vec<(String, String)> = Vec::new();
        let mut out: Vec<String> = Vec::new();
        for v in self.distinct(list) {
            let key = (self.veto_short(v, Lang::Zh), self.veto_short(v, Lang::En));
            if !seen.contains(&key) {
                out.push(self.veto_short(v, lang));
                seen.push(key);
            }
        }
        out.join(lang.clause_sep())
    }
}

/// Why a sequential plan decided as it did, one sentence per decided veto
/// that was proven or suspect (SCORING.md §9).
pub fn decision_reasons(
    d: &crate::score::sequential::Decision,
    rules: &crate::rules::Rules,
    names: &Names,
    lang: Lang,
) -> Vec<String> {
    use crate::rules::sequential::Zone;
    let level = level_text(Some(d.level));
    d.reasons
        .iter()
        .map(|r| {
            let veto = if rules.scoring.vetoes.iter().any(|v| v.id == r.veto) {
                names.veto(&r.veto, lang)
            } else {
                format!("{}{}", names.indicator(&r.veto, lang), lang.t("（一票否决）", " (veto)"))
            };
            if r.proven {
                return match lang {
                    Lang::Zh => format!("{veto}：在{level}置信度下已证实"),
                    Lang::En => format!("{veto}: proven at {level}"),
                };
            }
            let parts: Vec<String> = r
                .parts
                .iter()
                .map(|p| {
                    let above = p.op.starts_with('>');
                    let m = names.measure(&p.measure, lang);
                    let read = names.value(&p.measure, p.read, lang);
                    let line = line_value(names, &p.measure, p.line, lang);
                    let op = lang::op(p.op, lang);
                    let fav = p.favourable.map_or_else(
                        || lang.t("（无）", "(none)").to_string(),
                        |b| names.value(&p.measure, b, lang),
                    );
                    let side = bound_name(above, lang);
                    let other = bound_name(!above, lang);
                    match (lang, d.zone) {
                        (Lang::Zh, Zone::Estimate) => {
                            format!("{m} 估计{read}，{op}{line}，但{level}{side}{fav}未{op}")
                        }
                        (Lang::Zh, Zone::Interval) => {
                            format!("{m} {level}{other}{read}，{op}{line}，但{level}{side}{fav}未{op}")
                        }
                        (Lang::En, Zone::Estimate) => {
                            format!("{m}: estimate {read}, {op} {line}, but its {level} {side} {fav} is not")
                        }
                        (Lang::En, Zone::Interval) => format!(
                            "{m}: {level} {other} {read}, {op} {line}, but its {level} {side} {fav} is not"
                        ),
                    }
                })
                .collect();
            format!("{veto}{}{}", lang.t("：", ": "), parts.join(lang.clause_sep()))
        })
        .collect()
}
