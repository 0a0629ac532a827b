//! Scorecards as CSV (UTF-8 with BOM, for Excel): one row per county and
//! indicator; and the one-table summary of all counties.

use super::{Render, points};
use crate::score::card::Card;

pub struct Csv;
pub struct SummaryCsv;

fn bom_csv(rows: Vec<Vec<String>>) -> Vec<u8> {
    crate::cell::excel_csv(rows)
}

/// Whether a card is final, or provisional while findings are missing.
pub fn status(c: &Card) -> &'static str {
    if c.provisional { "临时结果 provisional: 有样本村缺少检查结果" } else { "" }
}

/// The evidence standard of each threshold verdict an indicator made,
/// with its risk.
fn evidence(c: &Card, r: &crate::score::points::Scored) -> String {
    r.verdicts.iter().map(|v| v.words(Some(c.measures.level))).collect::<Vec<_>>().join("; ")
}

impl Render for Csv {
    fn file_name(&self) -> &'static str {
        "scorecards.csv"
    }

    fn render(&self, cards: &[Card]) -> Vec<u8> {
        let header = [
            "县代码",
            "县",
            "指标",
            "指标名称",
            "活动",
            "满分",
            "得分",
            "加分",
            "上报数",
            "核实估计",
            "区间下限",
            "区间上限",
            "自由度",
            "区间方法",
            "差异率",
            "证据标准",
            "扣分说明",
            "否决",
            "状态",
        ];
        let mut rows = vec![header.map(String::from).to_vec()];
        for c in cards {
            for r in &c.results {
                let trail: Vec<String> =
                    r.lines.iter().map(|l| format!("{} ({:+.2})", l.text, l.delta)).collect();
                let mut row = vec![
                    c.code.clone(),
                    c.name.clone(),
                    r.id.clone(),
                    r.name.clone(),
                    r.activity.clone(),
                    points(r.max),
                    points(r.earned),
                    points(r.bonus),
                ];
                match c.figures(r) {
                    Some(f) => row.extend([
                        format!("{:.2}", f.reported),
                        format!("{:.2}", f.verified),
                        format!("{:.2}", f.lo),
                        if f.hi.is_finite() { format!("{:.2}", f.hi) } else { "无上界".to_string() },
                        f.df.to_string(),
                        f.method.to_string(),
                        format!("{:.2}%", f.discrepancy * 100.0),
                    ]),
                    None => row.extend(std::iter::repeat_n(String::new(), 7)),
                }
                row.push(evidence(c, r));
                row.push(trail.join("; "));
                row.push(r.veto.clone().unwrap_or_default());
                row.push(status(c).to_string());
                rows.push(row);
            }
        }
        bom_csv(rows)
    }
}

impl Render for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn render(&self, cards: &[Card]) -> Vec<u8> {
        let mut header = vec!["县代码".to_string(), "县".to_string()];
        if let Some(c) = cards.first() {
            header.extend(c.activities.iter().map(|a| a.0.clone()));
        }
        header.extend(["总分", "满分", "一票否决", "状态"].map(String::from));
        let mut rows = vec![header];
        for c in cards {
            let mut r = vec![c.code.clone(), c.name.clone()];
            r.extend(c.activities.iter().map(|a| points(a.1)));
            r.push(points(c.total));
            r.push(points(c.max));
            r.push(c.vetoes.join("; "));
            r.push(status(c).to_string());
            rows.push(r);
        }
        bom_csv(rows)
    }
}
