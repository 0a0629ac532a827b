//! The decision a sequential plan takes after each round, from a county's
//! scorecard alone (SCORING.md §9): a veto the bound proves is decided
//! against the county; a veto the sample makes suspect but cannot prove
//! sends the county to the next round; anything else stops, and a county
//! still in between after the last round is not vetoed. The rules fix all
//! of it before the draw, so nobody chooses who is looked at again.

use super::card::{Card, CardVeto};
use super::estimate::Side;
use super::expr::Comparison;
use super::points::Lookup;
use crate::rules::Rules;
use crate::rules::scoring::IndicatorKind;
use crate::rules::sequential::{Sequential, Zone, decided};

/// What the plan decides for a county after a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// No veto the plan decides on is proven or suspect: the county stops.
    Accept,
    /// A veto is proven at the round's confidence: the county stops, vetoed.
    Veto,
    /// A veto is suspect but not proven, and a round is left.
    Escalate,
    /// Still suspect after the last round: not proven, so no veto.
    NotProven,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Accept => "accept",
            Outcome::Veto => "veto",
            Outcome::Escalate => "escalate",
            Outcome::NotProven => "not-proven",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Some(match s {
            "accept" => Outcome::Accept,
            "veto" => Outcome::Veto,
            "escalate" => Outcome::Escalate,
            "not-proven" => Outcome::NotProven,
            _ => return None,
        })
    }

    /// In words, for the county and the public.
    pub fn words(self) -> &'static str {
        match self {
            Outcome::Accept => "accepted: no veto is proven or suspect (停止，不否决)",
            Outcome::Veto => "vetoed: the sample proves it (停止，一票否决)",
            Outcome::Escalate => {
                "in between: the sample suspects a veto but does not prove it, so the county is checked again (扩大抽查)"
            }
            Outcome::NotProven => "still in between after the last round: not proven, so no veto (不否决)",
        }
    }
}

/// A county's decision after one round, with its reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub county: String,
    pub name: String,
    pub round: u32,
    pub outcome: Outcome,
    /// The round's confidence, and the zone the plan reads.
    pub level: f64,
    pub zone: Zone,
    /// One for each decided veto that was proven or suspect.
    pub reasons: Vec<Reason>,
}

/// Why a decided veto counted: proven, or suspect with what it read.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    /// The `[[veto]]` or `accuracy` indicator.
    pub veto: String,
    pub proven: bool,
    /// For a suspect veto, each comparison that held.
    pub parts: Vec<Part>,
}

/// A comparison of a suspect veto: the value read (the estimate, or the
/// bound least favourable to the county), the line, and the bound that
/// favours the county, which does not pass it.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub measure: String,
    pub read: f64,
    pub op: &'static str,
    pub line: f64,
    pub favourable: Option<f64>,
}

/// How one decided veto stands after a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Proven,
    Suspect,
    Clear,
}

/// Applies the plan's rule to a county's card of round `round`, scored at
/// the plan's confidence for that round.
pub fn decide(rules: &Rules, plan: &Sequential, card: &Card, round: u32) -> Decision {
    let m = &card.measures;
    let mut reasons = Vec::new();
    let mut standings = Vec::new();
    let favourable = |name: &str, above: bool| m.bound(name, if above { Side::Lower } else { Side::Upper });
    for id in decided(rules, plan) {
        let proven = |reasons: &mut Vec<Reason>| {
            reasons.push(Reason { veto: id.clone(), proven: true, parts: Vec::new() })
        };
        if let Some(v) = rules.scoring.vetoes.iter().find(|v| v.id == id) {
            if card.vetoes.iter().any(|v| matches!(v, CardVeto::Rule(r) if r.id == id)) {
                standings.push(Standing::Proven);
                proven(&mut reasons);
                continue;
            }
            // Read each comparison at the estimate, or at the bound least
            // favourable to the county, as the plan's zone says.
            let pick = |c: &Comparison| match plan.zone {
                Zone::Estimate => m.value(&c.name),
                Zone::Interval => m.bound(&c.name, if c.above() { Side::Upper } else { Side::Lower }),
            };
            match v.when.decide(&pick) {
                Ok(d) if d.holds => {
                    let parts = d
                        .parts
                        .iter()
                        .filter(|p| p.2)
                        .map(|(c, x, _)| Part {
                            measure: c.name.clone(),
                            read: *x,
                            op: c.op_text(),
                            line: c.line,
                            favourable: favourable(&c.name, c.above()),
                        })
                        .collect();
                    standings.push(Standing::Suspect);
                    reasons.push(Reason { veto: id.clone(), proven: false, parts });
                }
                _ => standings.push(Standing::Clear),
            }
            continue;
        }
        let Some(ind) = rules.scoring.indicators.iter().find(|i| i.id == id) else { continue };
        let IndicatorKind::Accuracy { field, veto_beyond: Some(limit), .. } = &ind.kind else { continue };
        if card.vetoes.iter().any(|v| matches!(v, CardVeto::Indicator { indicator, .. } if *indicator == id))
        {
            standings.push(Standing::Proven);
            proven(&mut reasons);
            continue;
        }
        let name = format!("{field}_error_rate");
        let read = match plan.zone {
            Zone::Estimate => m.value(&name),
            Zone::Interval => m.bound(&name, Side::Upper),
        };
        match read {
            Some(x) if x > *limit => {
                standings.push(Standing::Suspect);
                let part = Part {
                    measure: name.clone(),
                    read: x,
                    op: ">",
                    line: *limit,
                    favourable: favourable(&name, true),
                };
                reasons.push(Reason { veto: id.clone(), proven: false, parts: vec![part] });
            }
            _ => standings.push(Standing::Clear),
        }
    }
    let outcome = if standings.contains(&Standing::Proven) {
        Outcome::Veto
    } else if standings.contains(&Standing::Suspect) {
        if round < plan.total_rounds() { Outcome::Escalate } else { Outcome::NotProven }
    } else {
        Outcome::Accept
    };
    if outcome == Outcome::Veto {
        // Only the proven vetoes explain a veto.
        reasons.retain(|r| r.proven);
    }
    Decision {
        county: card.code.clone(),
        name: card.name.clone(),
        round,
        outcome,
        level: m.level,
        zone: plan.zone,
        reasons,
    }
}

/// The risk a veto at round `round` carries over the whole plan: every
/// earlier round's risk, which an honest county at the line ran whatever
/// happened, plus this verdict's own.
pub fn plan_risk(plan: &Sequential, round: u32, own: f64) -> f64 {
    (plan.risk_through(round.saturating_sub(1)) + own).min(1.0)
}

/// Marks a county's card with the round it scores and the plan's number of
/// rounds.
pub fn annotate(card: &mut Card, plan: &Sequential, round: u32) {
    card.round = Some((round, plan.total_rounds()));
}

/// The risk of each veto on a card over the plan (SCORING.md §9): the rounds
/// before the card's at their full risk, its own at its p-value.
pub fn veto_risks(card: &Card, plan: &Sequential) -> Vec<Option<f64>> {
    let round = card.round.map_or(1, |r| r.0);
    card.vetoes
        .iter()
        .map(|v| {
            let own = match v {
                CardVeto::Indicator { verdict, .. } => verdict.risk,
                CardVeto::Rule(r) => r.risk,
            };
            own.map(|o| plan_risk(plan, round, o))
        })
        .collect()
}
