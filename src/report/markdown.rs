//! Scorecards as Markdown: a summary table, then each county's card with its
//! deductions and vetoes.

use super::{Render, points};
use crate::cell::markdown as md;
use crate::score::card::Card;

pub struct Markdown;

impl Render for Markdown {
    fn file_name(&self) -> &'static str {
        "scorecards.md"
    }

    fn render(&self, cards: &[Card]) -> Vec<u8> {
        let mut s = String::from("# 验收抽查评分 Scorecards\n\n");
        let open: Vec<&str> = cards.iter().filter(|c| c.provisional).map(|c| c.code.as_str()).collect();
        if !open.is_empty() {
            s.push_str(&format!(
                "**临时结果 PROVISIONAL**: 以下县有样本村尚无检查结果 (sampled villages without findings): {}\n\n",
                md(&open.join(", "))
            ));
        }
        s.push_str("| 县代码 | 县 | 得分 | 满分 | 一票否决 | 状态 |\n|---|---|---:|---:|---|---|\n");
        for c in cards {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                md(&c.code),
                md(&c.name),
                points(c.total),
                points(c.max),
                if c.vetoes.is_empty() { "—".to_string() } else { "否决".to_string() },
                if c.provisional { "临时" } else { "" }
            ));
        }
        for c in cards {
            s.push_str(&format!(
                "\n## {} {}{}\n\n",
                md(&c.code),
                md(&c.name),
                if c.provisional { " (临时结果 provisional)" } else { "" }
            ));
            s.push_str(
                "| 指标 | 活动 | 满分 | 得分 | 上报 / 核实（区间） | 说明 |\n|---|---|---:|---:|---|---|\n",
            );
            for r in &c.results {
                let trail: Vec<String> =
                    r.lines.iter().map(|l| format!("{} ({:+.2})", l.text, l.delta)).collect();
                let figures = c.figures(r).map_or(String::new(), |f| {
                    format!(
                        "{:.0} / {:.0} ({:.0}–{}, {}), 差异 {:.2}%",
                        f.reported,
                        f.verified,
                        f.lo,
                        if f.hi.is_finite() { format!("{:.0}", f.hi) } else { "无上界".into() },
                        if f.method == "t" { format!("t, df {}", f.df) } else { f.method.to_string() },
                        f.discrepancy * 100.0
                    )
                });
                s.push_str(&format!(
                    "| {} {} | {} | {} | {} | {figures} | {} |\n",
                    md(&r.id),
                    md(&r.name),
                    md(&r.activity),
                    points(r.max),
                    points(r.total()),
                    md(&trail.join("; "))
                ));
            }
            s.push_str("\n| 活动 | 得分 | 满分 |\n|---|---:|---:|\n");
            for (a, got, max) in &c.activities {
                s.push_str(&format!("| {} | {} | {} |\n", md(a), points(*got), points(*max)));
            }
            s.push_str(&format!("\n**总分 {} / {}**\n", points(c.total), points(c.max)));
            for v in &c.vetoes {
                s.push_str(&format!("\n**一票否决**: {}\n", md(v)));
            }
            if !c.measures.missing_findings.is_empty() {
                s.push_str(&format!(
                    "\n缺少检查结果的样本村 (missing findings): {}\n",
                    md(&c.measures.missing_findings.join(", "))
                ));
            }
        }
        s.into_bytes()
    }
}
