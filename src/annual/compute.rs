//! Computing the annual table: component scores scaled into their weights,
//! bonus and deduction items within their caps, vetoes, grades and
//! competition ranks ("1, 1, 3") within each ranking group.

use std::collections::{BTreeMap, HashMap};

use super::rules::{AnnualRules, Source, VetoRule};
use crate::error::{Error, Result};
use crate::rules::names::Name;
use crate::rules::scoring::Evidence;
use crate::score::card::{Card, CardVeto};
use crate::score::estimate::Side;
use crate::score::points::{Lookup, Verdict};

/// A source of scores: a campaign's scorecards, or a CSV's county → score.
pub enum Input {
    Campaign(Vec<Card>),
    Csv(HashMap<String, f64>),
}

/// One component of a county's total.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub id: String,
    pub name: String,
    /// The source's score and its full score.
    pub raw: f64,
    pub out_of: f64,
    /// raw / out_of × weight.
    pub points: f64,
    pub weight: f64,
}

/// Why a county's annual result is vetoed.
#[derive(Debug, Clone, PartialEq)]
pub enum AnnualVeto {
    /// A veto the campaign fed by `source` raised.
    Campaign { source: String, veto: CardVeto },
    /// A measure of the campaign `source` past the annual rules' limit.
    Measure { source: String, verdict: Verdict, reason: Name },
    /// The total below the floor.
    Floor { total: f64, floor: f64, reason: Name },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub code: String,
    pub name: String,
    pub parts: Vec<Part>,
    /// Bonus and deduction items: id, name, points (deductions negative).
    pub items: Vec<(String, String, f64)>,
    pub total: f64,
    pub vetoes: Vec<AnnualVeto>,
    pub grade: String,
    pub grade_en: String,
    pub group: String,
    pub rank: usize,
    /// A campaign feeding the row is provisional: findings are missing, or
    /// its sequential plan checks the county again (`waiting`).
    pub provisional: bool,
    /// A campaign feeding the row waits for a further round of its
    /// sequential plan for this county, with no findings missing.
    pub waiting: bool,
}

/// Computes the annual table. `inputs` maps source names to their data;
/// `counties` lists every county (code, name) to assess, in order.
pub fn compute(
    rules: &AnnualRules,
    inputs: &BTreeMap<String, Input>,
    counties: &[(String, String)],
) -> Result<Vec<Row>> {
    let mut missing = Vec::new();
    let lookup = |source: &str,
                  code: &str,
                  missing: &mut Vec<String>|
     -> Option<(f64, f64, Vec<CardVeto>, Option<&Card>)> {
        match inputs.get(source) {
            None => {
                missing.push(format!(
                    "no input named `{source}` was given (--input {source}=FILE or --campaign {source}=DIR)"
                ));
                None
            }
            Some(Input::Campaign(cards)) => match cards.iter().find(|c| c.code == code) {
                Some(c) => Some((c.total, c.max, c.vetoes.clone(), Some(c))),
                None => {
                    missing.push(format!("county {code} is not in campaign `{source}`"));
                    None
                }
            },
            Some(Input::Csv(m)) => match m.get(code) {
                Some(v) => Some((*v, 0.0, Vec::new(), None)),
                None => {
                    missing.push(format!("county {code} is not in `{source}`"));
                    None
                }
            },
        }
    };
    let mut rows = Vec::new();
    for (code, name) in counties {
        let mut parts = Vec::new();
        let mut vetoes = Vec::new();
        let mut cards: Vec<(&str, &Card)> = Vec::new();
        for c in &rules.components {
            let (src, out_of) = match &c.source {
                Source::Campaign(s) => (s.as_str(), None),
                Source::Csv(s) => (s.as_str(), Some(c.out_of)),
            };
            let mut miss = Vec::new();
            let (raw, max) = match lookup(src, code, &mut miss) {
                Some((raw, max, v, card)) => {
                    if let Some(card) = card {
                        cards.push((src, card));
                        if rules.vetoes.iter().any(|(r, _)| *r == VetoRule::CampaignVeto) {
                            vetoes.extend(
                                v.into_iter()
                                    .map(|veto| AnnualVeto::Campaign { source: src.to_string(), veto }),
                            );
                        }
                    }
                    (raw, out_of.unwrap_or(max))
                }
                None if rules.missing_as_zero => (0.0, out_of.unwrap_or(1.0)),
                None => {
                    missing.extend(miss);
                    continue;
                }
            };
            if max <= 0.0 {
                missing.push(format!("component `{}`: source `{src}` has no points to scale by (a campaign without indicators?)", c.id));
                continue;
            }
            let points = (raw / max).clamp(0.0, 1.0) * c.weight;
            parts.push(Part {
                id: c.id.clone(),
                name: c.name.clone(),
                raw,
                out_of: max,
                points,
                weight: c.weight,
            });
        }
        let mut items = Vec::new();
        for (list, sign) in [(&rules.bonuses, 1.0), (&rules.deductions, -1.0)] {
            for it in list.iter() {
                let mut miss = Vec::new();
                let v = match lookup(&it.source, code, &mut miss) {
                    Some((v, ..)) if v < 0.0 => {
                        missing.push(format!(
                            "`{}` gives county {code} {v}: item values are 0 or more (a deduction is entered as a positive number)",
                            it.source
                        ));
                        continue;
                    }
                    Some((v, ..)) => v,
                    None if rules.missing_as_zero
                        || matches!(inputs.get(&it.source), Some(Input::Csv(_))) =>
                    {
                        0.0
                    }
                    None => {
                        missing.extend(miss);
                        continue;
                    }
                };
                items.push((it.id.clone(), it.name.clone(), sign * v.clamp(0.0, it.cap)));
            }
        }
        let total = parts.iter().map(|p| p.points).sum::<f64>() + items.iter().map(|i| i.2).sum::<f64>();
        let total = total.clamp(0.0, rules.points + rules.bonuses.iter().map(|b| b.cap).sum::<f64>());
        // Totals are decided as they are printed: to 2 decimals, once, for
        // vetoes, grades and ranks alike.
        let total = (total * 100.0).round() / 100.0 + 0.0;
        for (rule, reason) in &rules.vetoes {
            match rule {
                VetoRule::CampaignVeto => {}
                VetoRule::Floor(f) => {
                    if total < *f {
                        vetoes.push(AnnualVeto::Floor { total, floor: *f, reason: reason.clone() });
                    }
                }
                VetoRule::MeasureAbove { campaign, measure, limit, evidence } => {
                    let Some((_, card)) = cards.iter().find(|(s, _)| s == campaign) else { continue };
                    let m = &card.measures;
                    let (Some(v), Some(used)) = (
                        m.get(measure),
                        match evidence {
                            Evidence::Estimate => m.get(measure),
                            Evidence::Bound => m.bound(measure, Side::Lower),
                        },
                    ) else {
                        continue;
                    };
                    if used > *limit {
                        let verdict = Verdict {
                            measure: measure.clone(),
                            estimate: v,
                            used,
                            op: ">",
                            line: *limit,
                            evidence: *evidence,
                            risk: m.risk(measure, *limit, Side::Lower),
                            veto: true,
                        };
                        vetoes.push(AnnualVeto::Measure {
                            source: campaign.clone(),
                            verdict,
                            reason: reason.clone(),
                        });
                    }
                }
            }
        }
        let grade = if vetoes.is_empty() {
            rules.grades.iter().find(|g| total >= g.min).cloned().unwrap_or_else(|| rules.veto_grade.clone())
        } else {
            rules.veto_grade.clone()
        };
        let group = rules.group_of(code).map_or(String::new(), |g| g.name.clone());
        rows.push(Row {
            code: code.clone(),
            name: name.clone(),
            parts,
            items,
            total,
            vetoes,
            grade: grade.name,
            grade_en: grade.name_en,
            group,
            rank: 0,
            provisional: cards.iter().any(|(_, c)| c.provisional),
            waiting: cards.iter().any(|(_, c)| c.pending.is_some())
                && cards.iter().all(|(_, c)| c.measures.missing_findings.is_empty()),
        });
    }
    if !missing.is_empty() {
        missing.sort();
        missing.dedup();
        return Err(Error::CheckFailed(format!(
            "{}\n(set `missing = \"zero\"` in [annual] to score absent counties as 0)",
            missing.join("\n")
        )));
    }
    rank(&mut rows);
    Ok(rows)
}

/// Competition ranking within each group: equal totals share a rank and the
/// next rank skips ("1, 1, 3"). Vetoed counties rank after all others.
/// Totals are compared at 2 decimals, as they are printed.
pub fn rank(rows: &mut [Row]) {
    let key = |r: &Row| ((r.total * 100.0).round() as i64, r.vetoes.is_empty());
    let groups: Vec<String> = {
        let mut g: Vec<String> = rows.iter().map(|r| r.group.clone()).collect();
        g.sort();
        g.dedup();
        g
    };
    for g in groups {
        let mut idx: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].group == g).collect();
        idx.sort_by(|&a, &b| {
            let (ka, kb) = (key(&rows[a]), key(&rows[b]));
            kb.1.cmp(&ka.1).then(kb.0.cmp(&ka.0))
        });
        for (pos, &i) in idx.iter().enumerate() {
            let tied = pos > 0 && key(&rows[idx[pos - 1]]) == key(&rows[i]);
            rows[i].rank = if tied { rows[idx[pos - 1]].rank } else { pos + 1 };
        }
    }
}
