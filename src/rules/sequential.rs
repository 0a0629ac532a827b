//! The sequential plan (`[sequential]`): a first round and at most R further
//! rounds, how many more townships and villages an escalated county gets in
//! each, the confidence every round's verdicts rest on, and which vetoes
//! decide. Published with the rules before the draw, so that whether a
//! county is looked at again follows from the data and this text alone
//! (SCORING.md §9, SAMPLING.md §15).

use toml::de::DeValue;

use super::Rules;
use super::reader::{Reader, Table};
use super::scoring::{Evidence, IndicatorKind};
use crate::error::{Diag, Loc};
use crate::frame::tree::Level;
use crate::plan::Rate;

/// The most further rounds a plan may have: every round is a new trip for
/// the teams, and a plan that needs more is a plan for a bigger first round.
pub const MAX_FURTHER_ROUNDS: usize = 5;

/// When a county whose veto is not proven goes on to the next round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    /// The estimate is past the line, the bound is not: suspicion without
    /// proof.
    #[default]
    Estimate,
    /// The bound neither proves the line passed nor does the bound on the
    /// other side clear it.
    Interval,
}

impl Zone {
    pub fn name(self) -> &'static str {
        match self {
            Zone::Estimate => "estimate",
            Zone::Interval => "interval",
        }
    }
}

/// One further round: the units an escalated county gets at each stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    /// (stage level, units more per stratum of that stage).
    pub more: Vec<(Level, u64)>,
    pub basis: Option<String>,
    pub loc: Loc,
}

impl Round {
    /// The units more per stratum at `level` (0 when the round adds none).
    pub fn more_at(&self, level: Level) -> u64 {
        self.more.iter().find(|(l, _)| *l == level).map_or(0, |m| m.1)
    }
}

/// The plan as the rules state it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequential {
    /// One-sided confidence of the verdicts of round 1, 2, …, as written.
    pub confidence: Vec<Rate>,
    pub zone: Zone,
    /// The vetoes that decide, by id: `[[veto]]`s and `accuracy`
    /// indicators with a `veto_beyond`. All of them with evidence "bound"
    /// when the rules name none.
    pub decide: Vec<(String, Loc)>,
    /// Rounds 2, 3, …
    pub rounds: Vec<Round>,
    pub basis: Option<String>,
    pub loc: Loc,
}

impl Sequential {
    /// The number of rounds, the first included.
    pub fn total_rounds(&self) -> u32 {
        self.rounds.len() as u32 + 1
    }

    /// The confidence of round `r` (1-based).
    pub fn level(&self, r: u32) -> f64 {
        self.confidence[(r.max(1) - 1) as usize].value()
    }

    /// The units more per stratum at `level` in round `r` ≥ 2.
    pub fn more(&self, r: u32, level: Level) -> u64 {
        if r < 2 {
            return 0;
        }
        self.rounds.get(r as usize - 2).map_or(0, |round| round.more_at(level))
    }

    /// Whether some round adds units at `level`.
    pub fn escalates(&self, level: Level) -> bool {
        self.rounds.iter().any(|r| r.more_at(level) > 0)
    }

    /// The chance, at most, that a county exactly at a veto's line is
    /// vetoed by the time round `r` is decided: the risks of rounds 1…r
    /// added up. Each round's combined sample is a fixed-size sample of the
    /// seed's order, whatever was decided before, so each round's verdict
    /// is wrong with at most its own risk, and the union of the rounds with
    /// at most their sum.
    pub fn risk_through(&self, r: u32) -> f64 {
        (1..=r.min(self.total_rounds())).map(|j| 1.0 - self.level(j)).sum()
    }
}

const SEQUENTIAL: &[&str] = &["confidence", "zone", "decide", "round", "basis"];
const ROUND: &[&str] = &["township", "village", "basis"];

/// Reads `[sequential]`, if present.
pub fn read(r: &mut Reader<'_>, top: Table<'_, '_>) -> Option<Sequential> {
    let t = r.table(top, "sequential", "sequential", false)?;
    r.known_keys(t, SEQUENTIAL);
    let loc = r.loc(t.span.0);
    let basis = r.string(t, "basis", false).map(|v| v.0);
    let zone = match r.string(t, "zone", false) {
        None => Zone::Estimate,
        Some((z, l)) => match z.as_str() {
            "estimate" => Zone::Estimate,
            "interval" => Zone::Interval,
            _ => {
                r.diags.push(Diag::error(
                    &r.file,
                    Some(l),
                    format!("unknown zone `{z}`; expected \"estimate\" or \"interval\""),
                ));
                Zone::Estimate
            }
        },
    };
    let decide = r.strings(t, "decide", false).unwrap_or_default();
    let confidence = confidences(r, t);
    let mut rounds = Vec::new();
    for rt in r.tables(t, "round", "sequential.round") {
        r.known_keys(rt, ROUND);
        let rloc = r.loc(rt.span.0);
        let mut more = Vec::new();
        for level in [Level::Township, Level::Village] {
            if let Some((n, _)) = r.uint(rt, level.name(), false) {
                more.push((level, n));
            }
        }
        if more.iter().all(|m| m.1 == 0) {
            r.err_at(
                rt.span.0..rt.span.1,
                "a [[sequential.round]] must add units: `township = …` or `village = …` above 0",
            );
        }
        let basis = r.string(rt, "basis", false).map(|v| v.0);
        rounds.push(Round { more, basis, loc: rloc });
    }
    if rounds.is_empty() {
        r.err_at(t.span.0..t.span.1, "[sequential] needs at least one [[sequential.round]]: what a county gets when it is looked at again");
    }
    if rounds.len() > MAX_FURTHER_ROUNDS {
        r.err_at(
            t.span.0..t.span.1,
            format!("[sequential] has {} further rounds; at most {MAX_FURTHER_ROUNDS}", rounds.len()),
        );
    }
    if let Some(c) = &confidence
        && !rounds.is_empty()
        && c.len() != rounds.len() + 1
    {
        r.err_at(
            t.span.0..t.span.1,
            format!(
                "`confidence` gives {} value(s), but the plan has {} rounds (the first and {} [[sequential.round]])",
                c.len(),
                rounds.len() + 1,
                rounds.len()
            ),
        );
    }
    Some(Sequential { confidence: confidence.unwrap_or_default(), zone, decide, rounds, basis, loc })
}

/// `confidence = [0.95, 0.975]`: one rate per round, each strictly between
/// 0 and 1.
fn confidences(r: &mut Reader<'_>, t: Table<'_, '_>) -> Option<Vec<Rate>> {
    let Some(v) = r.get(t, "confidence") else {
        r.err_at(
            t.span.0..t.span.1,
            "missing key `confidence` in [sequential]: one confidence per round, e.g. [0.95, 0.975]",
        );
        return None;
    };
    let DeValue::Array(a) = v.get_ref() else {
        r.err_at(v.span(), "`confidence` must be an array of rates, one per round, e.g. [0.95, 0.975]");
        return None;
    };
    let mut out = Vec::new();
    for e in a.iter() {
        let text = match e.get_ref() {
            DeValue::Float(f) => f.as_str().to_string(),
            DeValue::Integer(i) if i.radix() == 10 => i.as_str().to_string(),
            DeValue::String(s) => s.to_string(),
            other => {
                r.err_at(
                    e.span(),
                    format!("`confidence` holds rates like 0.95 or \"95%\", found {}", other.type_str()),
                );
                return None;
            }
        };
        match Rate::parse(&text) {
            Ok(rate) if rate.is_proper() => out.push(rate),
            Ok(_) => {
                r.err_at(e.span(), format!("`confidence` {text} must lie strictly between 0 and 1"));
                return None;
            }
            Err(why) => {
                r.err_at(e.span(), format!("`confidence`: {why}"));
                return None;
            }
        }
    }
    Some(out)
}

/// The ids of the vetoes a plan decides on: `[[veto]]`s and `accuracy`
/// indicators.
pub fn decided(rules: &Rules, plan: &Sequential) -> Vec<String> {
    if !plan.decide.is_empty() {
        return plan.decide.iter().map(|d| d.0.clone()).collect();
    }
    let mut out: Vec<String> = rules
        .scoring
        .indicators
        .iter()
        .filter(|i| {
            matches!(i.kind, IndicatorKind::Accuracy { veto_beyond: Some(_), .. })
                && i.veto_evidence == Evidence::Bound
        })
        .map(|i| i.id.clone())
        .collect();
    out.extend(rules.scoring.vetoes.iter().filter(|v| v.evidence == Evidence::Bound).map(|v| v.id.clone()));
    out
}

/// Checks the plan against the rest of the rules: the design it extends
/// and the vetoes it decides on.
pub fn check(rules: &Rules) -> Vec<Diag> {
    let Some(plan) = &rules.sequential else { return Vec::new() };
    let mut out = Vec::new();
    let mut err = |loc: Loc, msg: String| out.push(Diag::error(&rules.file, Some(loc), msg));
    match rules.stages.first() {
        Some(s) if s.level == Level::County && s.n == super::StageN::All => {}
        _ => err(
            plan.loc,
            "a sequential plan escalates counties one by one, so stage 1 must take every county (level = \"county\", n = \"all\")".to_string(),
        ),
    }
    for round in &plan.rounds {
        for (level, n) in &round.more {
            if *n == 0 {
                continue;
            }
            match rules.stages.iter().position(|s| s.level == *level) {
                None => err(
                    round.loc,
                    format!("the round adds {} but no [[stage]] samples {}", level.plural(), level.plural()),
                ),
                Some(i) if rules.stages[i].method == super::Method::Pps => err(
                    round.loc,
                    format!(
                        "the round adds {} at stage {}, which samples by systematic PPS: systematic PPS fixes no order of further units (SAMPLING.md §15); add units at an srs or rivest stage",
                        level.plural(),
                        i + 1
                    ),
                ),
                Some(_) => {}
            }
        }
    }
    let ids = decided(rules, plan);
    if ids.is_empty() {
        err(
            plan.loc,
            "the plan has nothing to decide on: no [[veto]] or accuracy veto states evidence = \"bound\" (name them in `decide`)".to_string(),
        );
    }
    for (id, at) in &plan.decide {
        let at = *at;
        let veto = rules.scoring.vetoes.iter().find(|v| &v.id == id);
        let acc = rules.scoring.indicators.iter().find(|i| &i.id == id);
        match (veto, acc) {
            (Some(v), _) if v.evidence == Evidence::Bound => {}
            (Some(_), _) => err(
                at,
                format!(
                    "`decide` names veto `{id}`, whose evidence is \"estimate\": only a bound leaves room between proof and doubt"
                ),
            ),
            (None, Some(i)) => match i.kind {
                IndicatorKind::Accuracy { veto_beyond: Some(_), .. }
                    if i.veto_evidence == Evidence::Bound => {}
                IndicatorKind::Accuracy { veto_beyond: Some(_), .. } => err(
                    at,
                    format!(
                        "`decide` names `{id}`, whose veto evidence is \"estimate\"; it needs veto_evidence = \"bound\""
                    ),
                ),
                _ => err(at, format!("`decide` names indicator `{id}`, which has no veto (veto_beyond)")),
            },
            (None, None) => {
                err(at, format!("`decide` names `{id}`, which is no [[veto]] or indicator of these rules"))
            }
        }
    }
    out
}
