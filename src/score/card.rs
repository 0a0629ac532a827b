//! A county's scorecard: every indicator with its trail, totals per activity
//! and overall, and vetoes with their reasons.

use super::estimate::LonelyStratum;
use super::measures::{self, CountyInput, Measures};
use super::points::{self, Scored, Verdict, VetoResult};
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
    /// Every veto that fired: the indicators' and the rules' `[[veto]]`s.
    pub vetoes: Vec<CardVeto>,
    pub measures: Measures,
    /// Sampled villages (not replaced) without accepted findings, or with a
    /// household stage without household findings: the card is provisional
    /// while there are any (SCORING.md §7), and while a sequential plan
    /// still has to look at the county again.
    pub provisional: bool,
    /// Under a sequential plan: the round the card scores, and the plan's
    /// number of rounds (SCORING.md §9).
    pub round: Option<(u32, u32)>,
    /// Why the card is not final although its findings are in: the plan
    /// sends the county to a round not yet drawn.
    pub pending: Option<String>,
}

/// A one-vote veto on a scorecard.
#[derive(Debug, Clone, PartialEq)]
pub enum CardVeto {
    /// An `accuracy` indicator's `veto_beyond`.
    Indicator { indicator: String, verdict: Verdict },
    /// A `[[veto]]` of the rules, with what it read.
    Rule(VetoResult),
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
    /// Degrees of freedom of the interval, and how it was obtained (`t`, or
    /// the name of the exact bound used instead).
    pub df: usize,
    pub method: &'static str,
}

impl Card {
    pub fn figures(&self, r: &Scored) -> Option<Figures> {
        let field = self
            .measures
            .fields
            .keys()
            .find(|f| r.used.iter().any(|(k, _)| k.starts_with(&format!("{f}_"))))?;
        let get = |s: &str| self.measures.get(&format!("{field}_{s}")).unwrap_or(0.0);
        let est = &self.measures.fields[field].verified;
        Some(Figures {
            field: field.clone(),
            reported: get("reported"),
            verified: est.value,
            lo: est.lo,
            hi: est.hi,
            discrepancy: get("error_rate"),
            df: est.df,
            method: est.pivot.method(),
        })
    }
}

/// Scores a county at confidence `level`. Fails only when a stratum has a
/// single PSU and the rules say `lonely_psu = "fail"`.
pub fn card(rules: &Rules, c: &CountyInput, level: f64) -> Result<Card, LonelyStratum> {
    let m = measures::measure(rules, c, level)?;
    let results: Vec<Scored> = rules.scoring.indicators.iter().map(|i| points::score(i, &m)).collect();
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
    let mut veto_results = points::vetoes(&rules.scoring.vetoes, &m);
    for v in &mut veto_results {
        // The villages behind the verdict, so that a county can check each.
        for (field, est) in &m.fields {
            if v.parts.iter().any(|(c, _, _)| c.name.starts_with(&format!("{field}_"))) {
                v.cases.extend(est.villages.iter().filter_map(|(code, _, rep, found)| {
                    rep.filter(|r| found > r).map(|r| (code.clone(), r, *found))
                }));
            }
        }
    }
    let mut vetoes: Vec<CardVeto> = results
        .iter()
        .filter_map(|r| {
            r.veto.clone().map(|verdict| CardVeto::Indicator { indicator: r.id.clone(), verdict })
        })
        .collect();
    vetoes.extend(veto_results.into_iter().map(CardVeto::Rule));
    Ok(Card {
        code: c.code.clone(),
        name: c.name.clone(),
        total: results.iter().map(Scored::total).sum(),
        max: results.iter().map(|r| r.max).sum(),
        results,
        activities,
        vetoes,
        provisional: !m.missing_findings.is_empty() || !m.missing_households.is_empty(),
        round: None,
        pending: None,
        measures: m,
    })
}

/// Scores every county; a stratum with a single PSU under
/// `lonely_psu = "fail"` stops it with a message naming the stratum.
pub fn cards(rules: &Rules, inputs: &[CountyInput], level: f64) -> crate::error::Result<Vec<Card>> {
    let job = crate::progress::job(crate::progress::Task::Score, inputs.len() as u64);
    let job = &job;
    let one = |c: &CountyInput| {
        job.inc(1);
        card(rules, c, level).map_err(|LonelyStratum(h)| {
            crate::error::Error::CheckFailed(format!(
                "county {} {}: variance stratum {h} has a single PSU in the sample, and the rules say lonely_psu = \"fail\" (SCORING.md §2); choose certainty, adjust or average, or give the stratum more PSUs",
                c.code, c.name
            ))
        })
    };
    // Counties are scored apart from each other, so a national campaign's
    // are shared out between the cores; the cards come back in order, and
    // the first county in order that fails is the one reported.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads < 2 || inputs.len() < 64 {
        return inputs.iter().map(one).collect();
    }
    let chunk = inputs.len().div_ceil(threads);
    let parts: Vec<Vec<crate::error::Result<Card>>> = std::thread::scope(|s| {
        let handles: Vec<_> =
            inputs.chunks(chunk).map(|part| s.spawn(move || part.iter().map(one).collect())).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    parts.into_iter().flatten().collect()
}
