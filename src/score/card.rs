//! A county's scorecard: every indicator with its trail, totals per activity
//! and overall, and vetoes with their reasons.

use super::measures::{self, CountyInput, Measures};
use super::points::{self, Scored};
use crate::rules::Rules;

#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub code: String,
    pub name: String,
    pub results: Vec<Scored>,
    /// Activity, points earned (with bonus), points possible; in rules order.
    pub activities: Vec<(String, f64, f64)>,
    pub total: f64,
    pub max: f64,
    pub vetoes: Vec<String>,
    pub measures: Measures,
}

/// The reported and verified figures behind an indicator, when it reads a
/// reported count or amount field.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub field: String,
    pub reported: f64,
    pub verified: f64,
    pub lo: f64,
    pub hi: f64,
    /// |found − reported| / found over the sample.
    pub discrepancy: f64,
}

impl Card {
    pub fn figures(&self, r: &Scored) -> Option<Figures> {
        let field = self
            .measures
            .fields
            .keys()
            .find(|f| r.used.iter().any(|(k, _)| k.starts_with(&format!("{f}_"))))?;
        let get = |s: &str| self.measures.get(&format!("{field}_{s}")).unwrap_or(0.0);
        Some(Figures {
            field: field.clone(),
            reported: get("reported"),
            verified: get("verified"),
            lo: get("verified_lo"),
            hi: get("verified_hi"),
            discrepancy: get("error_rate"),
        })
    }
}

/// Scores a county at confidence `level`.
pub fn card(rules: &Rules, c: &CountyInput, level: f64) -> Card {
    let m = measures::measure(rules, c, level);
    let get = |n: &str| m.get(n);
    let results: Vec<Scored> = rules.scoring.indicators.iter().map(|i| points::score(i, &get)).collect();
    let mut activities: Vec<(String, f64, f64)> = Vec::new();
    for r in &results {
        match activities.iter_mut().find(|a| a.0 == r.activity) {
            Some(a) => {
                a.1 += r.total();
                a.2 += r.max;
            }
            None => activities.push((r.activity.clone(), r.total(), r.max)),
        }
    }
    let mut vetoes: Vec<String> = results.iter().filter_map(|r| r.veto.clone()).collect();
    vetoes.extend(points::vetoes(&rules.scoring.vetoes, &get));
    Card {
        code: c.code.clone(),
        name: c.name.clone(),
        total: results.iter().map(Scored::total).sum(),
        max: results.iter().map(|r| r.max).sum(),
        results,
        activities,
        vetoes,
        measures: m,
    }
}
