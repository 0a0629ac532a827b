//! Scorecards as CSV (UTF-8 with BOM, for Excel): one row per county and
//! indicator; and the one-table summary of all counties.

use super::{Render, View, points, words};
use crate::lang;
use crate::score::card::Card;

pub struct Csv;
pub struct SummaryCsv;

/// Whether a card is final, or provisional while findings are missing.
pub fn status(c: &Card, v: View<'_>) -> String {
    if c.pending.is_some() {
        v.t("临时结果：等待扩大抽查的下一轮", "provisional: waits for a further round of the sequential plan")
            .to_string()
    } else if c.provisional {
        v.t("临时结果：有样本村缺少检查结果", "provisional: sampled villages without findings").to_string()
    } else {
        String::new()
    }
}

/// The evidence standard of each threshold verdict an indicator made,
/// with its risk.
fn evidence(c: &Card, r: &crate::score::points::Scored, v: View<'_>) -> String {
    r.verdicts
        .iter()
        .map(|x| words::verdict(x, v.names, v.lang, Some(c.measures.level)))
        .collect::<Vec<_>>()
        .join(v.lang.clause_sep())
}

impl Render for Csv {
    fn file_name(&self) -> &'static str {
        "scorecards.csv"
    }

    fn render(&self, cards: &[Card], v: View<'_>) -> Vec<u8> {
        let header = [
            v.t("县代码", "county code"),
            v.t("县", "county"),
            v.t("指标代码", "indicator id"),
            v.t("指标", "indicator"),
            v.t("活动", "activity"),
            v.t("满分", "max"),
            v.t("得分", "points"),
            v.t("加分", "bonus"),
            v.t("上报数", "reported"),
            v.t("核实估计", "verified"),
            v.t("区间下限", "interval low"),
            v.t("区间上限", "interval high"),
            v.t("自由度", "df"),
            v.t("区间方法", "interval method"),
            v.t("差异率", "discrepancy"),
            v.t("证据与判定", "evidence and verdicts"),
            v.t("扣分说明", "trail"),
            v.t("否决", "veto"),
            v.t("状态", "status"),
        ];
        let mut rows = vec![header.map(String::from).to_vec()];
        for c in cards {
            let level = Some(c.measures.level);
            for r in &c.results {
                let mut row = vec![
                    c.code.clone(),
                    c.name.clone(),
                    r.id.clone(),
                    v.names.indicator(&r.id, v.lang),
                    v.names.activity(&r.id, v.lang),
                    points(r.max),
                    points(r.earned),
                    points(r.bonus),
                ];
                match c.figures(r) {
                    Some(f) => row.extend([
                        format!("{:.2}", f.reported),
                        format!("{:.2}", f.verified),
                        format!("{:.2}", f.lo),
                        if f.hi.is_finite() {
                            format!("{:.2}", f.hi)
                        } else {
                            v.t("无上界", "none").to_string()
                        },
                        f.df.to_string(),
                        f.method.to_string(),
                        lang::pct(f.discrepancy),
                    ]),
                    None => row.extend(std::iter::repeat_n(String::new(), 7)),
                }
                row.push(evidence(c, r, v));
                row.push(words::trail(&r.lines, v.names, v.lang, level));
                row.push(
                    r.veto.as_ref().map_or(String::new(), |x| words::verdict(x, v.names, v.lang, level)),
                );
                row.push(status(c, v));
                rows.push(row);
            }
        }
        crate::cell::excel_csv(rows)
    }
}

impl Render for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn render(&self, cards: &[Card], v: View<'_>) -> Vec<u8> {
        let mut header = vec![v.t("县代码", "county code").to_string(), v.t("县", "county").to_string()];
        if let Some(c) = cards.first() {
            header.extend(c.activities.iter().map(|a| v.names.activity_named(&a.0, v.lang)));
        }
        header.extend(
            [v.t("总分", "total"), v.t("满分", "max"), v.t("一票否决", "veto"), v.t("状态", "status")]
                .map(String::from),
        );
        let mut rows = vec![header];
        for c in cards {
            let mut r = vec![c.code.clone(), c.name.clone()];
            r.extend(c.activities.iter().map(|a| points(a.1)));
            r.push(points(c.total));
            r.push(points(c.max));
            r.push(
                c.vetoes
                    .iter()
                    .map(|x| words::card_veto(x, v.names, v.lang, Some(c.measures.level)))
                    .collect::<Vec<_>>()
                    .join(v.lang.clause_sep()),
            );
            r.push(status(c, v));
            rows.push(r);
        }
        crate::cell::excel_csv(rows)
    }
}
