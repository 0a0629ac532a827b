//! Scorecards as Markdown: a summary table, then each county's card with its
//! deductions and vetoes.

use super::{Render, View, interval, points, words};
use crate::cell::markdown as md;
use crate::lang;
use crate::score::card::Card;

pub struct Markdown;

impl Render for Markdown {
    fn file_name(&self) -> &'static str {
        "scorecards.md"
    }

    fn render(&self, cards: &[Card], v: View<'_>) -> Vec<u8> {
        let mut s = format!(
            "# {}\n\n",
            md(&format!("{} {}", v.names.campaign.get(v.lang), v.t("评分", "scorecards")))
        );
        let codes = |waiting: bool| -> Vec<&str> {
            cards
                .iter()
                .filter(|c| c.provisional && c.pending.is_some() == waiting)
                .map(|c| c.code.as_str())
                .collect()
        };
        for (list, why) in [
            (codes(false), v.t("：以下县有样本村尚无检查结果：", ": sampled villages without findings in ")),
            (
                codes(true),
                v.t(
                    "：扩大抽查方案还要再次检查以下县：",
                    ": the sequential plan checks these counties again: ",
                ),
            ),
        ] {
            if !list.is_empty() {
                s.push_str(&format!(
                    "**{}**{}\n\n",
                    v.t("临时结果", "PROVISIONAL"),
                    md(&format!("{why}{}", list.join(v.lang.list_sep())))
                ));
            }
        }
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n|---|---|---:|---:|---|---|\n",
            v.t("县代码", "code"),
            v.t("县", "county"),
            v.t("得分", "points"),
            v.t("满分", "max"),
            v.t("一票否决", "veto"),
            v.t("状态", "status")
        ));
        for c in cards {
            let vetoes: Vec<String> =
                c.vetoes.iter().map(|x| words::card_veto_short(x, v.names, v.lang)).collect();
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                md(&c.code),
                md(&c.name),
                points(c.total),
                points(c.max),
                if vetoes.is_empty() { "—".to_string() } else { md(&vetoes.join(v.lang.clause_sep())) },
                if c.provisional { v.t("临时", "provisional") } else { "" }
            ));
        }
        for c in cards {
            let level = Some(c.measures.level);
            s.push_str(&format!(
                "\n## {} {}{}\n\n",
                md(&c.code),
                md(&c.name),
                if c.provisional { v.t("（临时结果）", " (provisional)") } else { "" }
            ));
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n|---|---|---:|---:|---|---|\n",
                v.t("指标", "indicator"),
                v.t("活动", "activity"),
                v.t("满分", "max"),
                v.t("得分", "points"),
                v.t("上报 / 核实（区间）", "reported / verified (interval)"),
                v.t("说明", "trail")
            ));
            for r in &c.results {
                let figures = c.figures(r).map_or(String::new(), |f| {
                    format!(
                        "{:.0} / {:.0} ({}, {}), {} {}",
                        f.reported,
                        f.verified,
                        interval(f.lo, f.hi, v.lang),
                        lang::method(f.method, f.df, v.lang),
                        v.t("差异", "discrepancy"),
                        lang::pct(f.discrepancy)
                    )
                });
                s.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    md(&v.names.indicator(&r.id, v.lang)),
                    md(&v.names.activity(&r.id, v.lang)),
                    points(r.max),
                    points(r.total()),
                    md(&figures),
                    md(&words::trail(&r.lines, v.names, v.lang, level))
                ));
            }
            s.push_str(&format!(
                "\n| {} | {} | {} |\n|---|---:|---:|\n",
                v.t("活动", "activity"),
                v.t("得分", "points"),
                v.t("满分", "max")
            ));
            for (a, got, max) in &c.activities {
                s.push_str(&format!(
                    "| {} | {} | {} |\n",
                    md(&v.names.activity_named(a, v.lang)),
                    points(*got),
                    points(*max)
                ));
            }
            s.push_str(&format!("\n**{} {} / {}**\n", v.t("总分", "Total"), points(c.total), points(c.max)));
            for x in &c.vetoes {
                s.push_str(&format!(
                    "\n**{}**{}{}\n",
                    v.t("一票否决", "One-vote veto"),
                    v.t("：", ": "),
                    md(&words::card_veto(x, v.names, v.lang, level))
                ));
            }
            if !c.measures.missing_findings.is_empty() {
                s.push_str(&format!(
                    "\n{}{}\n",
                    v.t("缺少检查结果的样本村：", "Sampled villages without findings: "),
                    md(&c.measures.missing_findings.join(v.lang.list_sep()))
                ));
            }
        }
        s.into_bytes()
    }
}
