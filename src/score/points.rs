//! Points: each indicator of the rules applied to a county's measures, with
//! every deduction and bonus written down as it happens, and every
//! threshold verdict with the evidence it rests on and its risk of being
//! wrong. SCORING.md §4 and §5.

use super::estimate::Side;
use super::expr::Comparison;
use crate::rules::scoring::{Evidence, Indicator, IndicatorKind, Source, Veto};

/// Where points read measures: a value, a one-sided bound and the risk of a
/// verdict against a line.
pub trait Lookup {
    /// The measure's value (its point estimate).
    fn value(&self, name: &str) -> Option<f64>;
    /// The one-sided bound at the campaign's confidence on `side`; for a
    /// measure without sampling error, its value. `None` when the measure
    /// has sampling error but no bound is known.
    fn bound(&self, name: &str, side: Side) -> Option<f64>;
    /// The chance of a verdict this strong if the measure were at `line`:
    /// the one-sided p-value of the estimate against the line (`Side::Lower`
    /// for "above the line"). 0 for a measure without sampling error.
    fn risk(&self, name: &str, line: f64, side: Side) -> Option<f64>;
    /// The campaign's confidence, if known.
    fn level(&self) -> Option<f64>;
}

/// One step of the trail: what happened and how many points it moved.
/// The words are the report's (`report::words`), in either language.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub step: Step,
    pub delta: f64,
}

/// What a step of the trail did, with the numbers it used.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// No value for a measure (no findings, no report, or no bound).
    Missing { measure: String },
    /// `target`: a shortfall below the target.
    BelowTarget { verdict: Verdict, points_below: f64, per_point: f64 },
    /// `target`: a bonus above the target.
    AboveTarget {
        measure: String,
        value: f64,
        /// The lower bound the bonus was paid on, under `evidence = "bound"`.
        bound: Option<f64>,
        target: f64,
        points_above: f64,
        per_point: f64,
        cap: f64,
    },
    /// `bands`: the points of the band reached, and the line missed.
    Bands { measure: String, value: f64, bound: Option<f64>, got: f64, missed: Option<Verdict> },
    /// `range`: outside the range.
    OutsideRange { verdict: Verdict, min: f64, max: f64 },
    /// `pro_rata`: points × achieved / due.
    ProRata { achieved: String, due: String, a: f64, d: f64, share: f64 },
    /// `per_case`: cases found in the sampled villages.
    PerCase { measure: String, cases: f64, per_case: f64 },
    /// `checklist`: an item not met everywhere.
    ChecklistShort { item: String, villages: Option<f64>, share: f64, per_missing: f64 },
    /// `checklist`: an item without a value.
    ChecklistMissing { item: String, per_missing: f64 },
    /// `accuracy`: beyond `zero_beyond`.
    AccuracyZero { verdict: Verdict },
    /// `accuracy`: over the tolerance.
    AccuracyOver { verdict: Verdict, points_over: f64, per_point: f64 },
    /// `accuracy`: within the tolerance.
    AccuracyWithin { measure: String, value: f64, bound: Option<f64>, tolerance: f64 },
    /// `verification`: within the first tier; the claim stands.
    ClaimStands { discrepancy: f64, upto: f64 },
    /// `verification`: a tier's penalty.
    TierPenalty { discrepancy: f64, upto: f64, factor: f64, crossed: Option<Verdict> },
    /// `verification`: beyond every tier.
    BeyondTiers { discrepancy: f64, crossed: Option<Verdict> },
    /// `formula`: its value, clamped to the points; the measures it read.
    Formula { value: f64, max: f64, read: Vec<(String, f64)> },
    /// `formula`: it could not be evaluated.
    FormulaFailed { why: String, read: Vec<(String, f64)> },
}

/// A threshold decision: what it read, the line, the evidence standard and
/// the risk that it is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub measure: String,
    pub estimate: f64,
    /// The value the decision used: the estimate or a one-sided bound.
    pub used: f64,
    pub op: &'static str,
    pub line: f64,
    pub evidence: Evidence,
    /// The one-sided p-value against the line; `None` when unknown.
    pub risk: Option<f64>,
    pub veto: bool,
}

/// An indicator's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub id: String,
    pub name: String,
    pub activity: String,
    pub rule: String,
    pub max: f64,
    /// Points earned, within [0, max], bonus excluded.
    pub earned: f64,
    pub bonus: f64,
    pub lines: Vec<Line>,
    /// The measures read, and their values.
    pub used: Vec<(String, f64)>,
    pub verdicts: Vec<Verdict>,
    /// The one-vote veto an `accuracy` indicator raised.
    pub veto: Option<Verdict>,
}

impl Scored {
    pub fn total(&self) -> f64 {
        self.earned + self.bonus
    }
}

/// Reads the value a threshold test uses: under `Evidence::Bound`, the
/// one-sided bound on `side` (the lower bound for "the measure is too high",
/// the upper for "too low"), else the estimate.
fn at(l: &dyn Lookup, name: &str, evidence: Evidence, side: Side) -> Option<f64> {
    match evidence {
        Evidence::Estimate => l.value(name),
        Evidence::Bound => l.bound(name, side),
    }
}

/// Scores one indicator.
pub fn score(ind: &Indicator, l: &dyn Lookup) -> Scored {
    let mut s = Scored {
        id: ind.id.clone(),
        name: ind.name.clone(),
        activity: ind.activity.clone(),
        rule: ind.rule.clone(),
        max: ind.points,
        earned: ind.points,
        bonus: 0.0,
        lines: Vec::new(),
        used: Vec::new(),
        verdicts: Vec::new(),
        veto: None,
    };
    let suffix = match ind.source {
        Source::Verified => "verified",
        Source::Reported => "reported",
    };
    let ev = ind.evidence;
    let read = |s: &mut Scored, name: &str| -> Option<f64> {
        let v = l.value(name);
        if let Some(v) = v {
            s.used.push((name.to_string(), v));
        }
        v
    };
    // The value a threshold reads, recorded with its bound when one is used.
    let read_at = |s: &mut Scored, name: &str, evidence: Evidence, side: Side| -> Option<(f64, f64)> {
        let v = read(s, name)?;
        let used = at(l, name, evidence, side)?;
        if evidence == Evidence::Bound {
            let suffix = if side == Side::Lower { "lcb" } else { "ucb" };
            s.used.push((format!("{name}_{suffix}"), used));
        }
        Some((v, used))
    };
    let verdict =
        |name: &str, v: f64, used: f64, op: &'static str, line: f64, evidence: Evidence, veto: bool| {
            let side = if op.starts_with('>') { Side::Lower } else { Side::Upper };
            Verdict {
                measure: name.to_string(),
                estimate: v,
                used,
                op,
                line,
                evidence,
                risk: l.risk(name, line, side),
                veto,
            }
        };
    let deduct = |s: &mut Scored, amount: f64, step: Step| {
        let d = amount.min(s.earned).max(0.0);
        s.earned -= d;
        s.lines.push(Line { step, delta: -d });
    };
    let missing = |s: &mut Scored, name: &str| {
        let all = s.earned;
        s.earned = 0.0;
        s.lines.push(Line { step: Step::Missing { measure: name.to_string() }, delta: -all });
    };
    match &ind.kind {
        IndicatorKind::Target { measure, target, per_point, bonus_per_point, bonus_cap } => {
            // Higher is better: a shortfall is charged only as far as the
            // upper bound falls short, a bonus paid only as far as the lower
            // bound exceeds the target.
            let (Some((v, up)), Some(down)) =
                (read_at(&mut s, measure, ev, Side::Upper), at(l, measure, ev, Side::Lower))
            else {
                missing(&mut s, measure);
                return s;
            };
            if up < *target {
                let pp = (target - up) * 100.0;
                let vd = verdict(measure, v, up, "<", *target, ev, false);
                s.verdicts.push(vd.clone());
                deduct(
                    &mut s,
                    per_point * pp,
                    Step::BelowTarget { verdict: vd, points_below: pp, per_point: *per_point },
                );
            } else if *bonus_per_point > 0.0 && down > *target {
                let pp = (down - target) * 100.0;
                s.bonus = (bonus_per_point * pp).min(*bonus_cap).max(0.0);
                s.lines.push(Line {
                    step: Step::AboveTarget {
                        measure: measure.clone(),
                        value: v,
                        bound: (ev == Evidence::Bound).then_some(down),
                        target: *target,
                        points_above: pp,
                        per_point: *bonus_per_point,
                        cap: *bonus_cap,
                    },
                    delta: s.bonus,
                });
            }
        }
        IndicatorKind::Bands { measure, bands } => {
            let Some((v, up)) = read_at(&mut s, measure, ev, Side::Upper) else {
                missing(&mut s, measure);
                return s;
            };
            let reached = bands.iter().position(|(t, _)| up >= *t);
            let got = reached.map_or(0.0, |i| bands[i].1).min(ind.points);
            // The band above the one reached is the line the county missed.
            let next = match reached {
                Some(0) => None,
                Some(i) => Some(bands[i - 1].0),
                None => bands.last().map(|b| b.0),
            };
            let missed =
                next.filter(|_| got < ind.points).map(|line| verdict(measure, v, up, "<", line, ev, false));
            s.verdicts.extend(missed.clone());
            let step = Step::Bands {
                measure: measure.clone(),
                value: v,
                bound: (ev == Evidence::Bound).then_some(up),
                got,
                missed,
            };
            deduct(&mut s, ind.points - got, step);
        }
        IndicatorKind::Range { measure, min, max } => {
            let (Some((v, up)), Some(down)) =
                (read_at(&mut s, measure, ev, Side::Upper), at(l, measure, ev, Side::Lower))
            else {
                missing(&mut s, measure);
                return s;
            };
            let out = if up < *min {
                Some(verdict(measure, v, up, "<", *min, ev, false))
            } else if down > *max {
                Some(verdict(measure, v, down, ">", *max, ev, false))
            } else {
                None
            };
            if let Some(vd) = out {
                s.verdicts.push(vd.clone());
                deduct(&mut s, ind.points, Step::OutsideRange { verdict: vd, min: *min, max: *max });
            }
        }
        IndicatorKind::ProRata { achieved, due } => {
            let (an, dn) = (format!("{achieved}_{suffix}"), format!("{due}_{suffix}"));
            let (Some(a), Some(d)) = (read(&mut s, &an), read(&mut s, &dn)) else {
                missing(&mut s, &an);
                return s;
            };
            let share = if d > 0.0 { (a / d).clamp(0.0, 1.0) } else { 1.0 };
            deduct(&mut s, ind.points * (1.0 - share), Step::ProRata { achieved: an, due: dn, a, d, share });
        }
        IndicatorKind::PerCase { measure, per_case } => {
            let Some(v) = read(&mut s, measure) else {
                missing(&mut s, measure);
                return s;
            };
            if v > 0.0 {
                deduct(
                    &mut s,
                    per_case * v,
                    Step::PerCase { measure: measure.clone(), cases: v, per_case: *per_case },
                );
            }
        }
        IndicatorKind::Checklist { items, per_missing } => {
            for item in items {
                let (name, no) = match ind.source {
                    Source::Verified => (format!("{item}_found_rate"), format!("{item}_found_no")),
                    Source::Reported => (format!("{item}_reported_rate"), format!("{item}_found_no")),
                };
                match read(&mut s, &name) {
                    Some(v) if v >= 1.0 => {}
                    Some(v) => deduct(
                        &mut s,
                        *per_missing,
                        Step::ChecklistShort {
                            item: item.clone(),
                            villages: l.value(&no),
                            share: v,
                            per_missing: *per_missing,
                        },
                    ),
                    None => deduct(
                        &mut s,
                        *per_missing,
                        Step::ChecklistMissing { item: item.clone(), per_missing: *per_missing },
                    ),
                }
            }
        }
        IndicatorKind::Accuracy { field, tolerance, per_point, zero_beyond, veto_beyond } => {
            let name = format!("{field}_error_rate");
            let Some((e, down)) = read_at(&mut s, &name, ev, Side::Lower) else {
                missing(&mut s, &name);
                return s;
            };
            if let Some(z) = zero_beyond.filter(|z| down > *z) {
                let vd = verdict(&name, e, down, ">", z, ev, false);
                s.verdicts.push(vd.clone());
                deduct(&mut s, ind.points, Step::AccuracyZero { verdict: vd });
            } else if down > *tolerance {
                let pp = (down - tolerance) * 100.0;
                let vd = verdict(&name, e, down, ">", *tolerance, ev, false);
                s.verdicts.push(vd.clone());
                deduct(
                    &mut s,
                    per_point * pp,
                    Step::AccuracyOver { verdict: vd, points_over: pp, per_point: *per_point },
                );
            } else {
                s.lines.push(Line {
                    step: Step::AccuracyWithin {
                        measure: name.clone(),
                        value: e,
                        bound: (ev == Evidence::Bound).then_some(down),
                        tolerance: *tolerance,
                    },
                    delta: 0.0,
                });
            }
            if let Some(limit) = veto_beyond {
                let ve = ind.veto_evidence;
                if let Some(used) = at(l, &name, ve, Side::Lower) {
                    if ve == Evidence::Bound && ev != Evidence::Bound {
                        s.used.push((format!("{name}_lcb"), used));
                    }
                    if used > *limit {
                        let vd = verdict(&name, e, used, ">", *limit, ve, true);
                        s.veto = Some(vd.clone());
                        s.verdicts.push(vd);
                    }
                }
            }
        }
        IndicatorKind::Verification { field, tiers } => {
            let name = format!("{field}_error_rate");
            let Some((d, down)) = read_at(&mut s, &name, ev, Side::Lower) else {
                missing(&mut s, &name);
                return s;
            };
            let first = tiers.first().map(|t| t.0);
            let cross = |s: &mut Scored| -> Option<Verdict> {
                let f = first.filter(|f| down > *f)?;
                let vd = verdict(&name, d, down, ">", f, ev, false);
                s.verdicts.push(vd.clone());
                Some(vd)
            };
            match tiers.iter().find(|(upto, _)| down <= *upto) {
                Some((upto, factor)) if *factor == 0.0 => s
                    .lines
                    .push(Line { step: Step::ClaimStands { discrepancy: down, upto: *upto }, delta: 0.0 }),
                Some((upto, factor)) => {
                    let crossed = cross(&mut s);
                    deduct(
                        &mut s,
                        ind.points * (factor * down).min(1.0),
                        Step::TierPenalty { discrepancy: down, upto: *upto, factor: *factor, crossed },
                    )
                }
                None => {
                    let crossed = cross(&mut s);
                    deduct(&mut s, ind.points, Step::BeyondTiers { discrepancy: down, crossed })
                }
            }
        }
        IndicatorKind::Formula { expr, .. } => {
            for n in expr.names() {
                read(&mut s, n);
            }
            let read = s.used.clone();
            match expr.eval(&|n| l.value(n)) {
                Ok(v) => {
                    let got = v.clamp(0.0, ind.points);
                    deduct(&mut s, ind.points - got, Step::Formula { value: v, max: ind.points, read });
                }
                Err(why) => deduct(&mut s, ind.points, Step::FormulaFailed { why, read }),
            }
        }
    }
    s
}

/// A veto that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct VetoResult {
    pub id: String,
    pub reason: String,
    pub condition: String,
    pub evidence: Evidence,
    /// Each comparison: the measure, the value it read and whether it held.
    pub parts: Vec<(Comparison, f64, bool)>,
    pub risk: Option<f64>,
    /// The documented cases behind it: the sampled villages of the fields it
    /// reads where more was found than reported (code, reported, found).
    pub cases: Vec<(String, f64, f64)>,
}

/// The vetoes whose condition holds, each read as its evidence says.
pub fn vetoes(list: &[Veto], l: &dyn Lookup) -> Vec<VetoResult> {
    let mut out = Vec::new();
    for v in list {
        let pick = |c: &Comparison| match v.evidence {
            Evidence::Estimate => l.value(&c.name),
            Evidence::Bound => l.bound(&c.name, if c.above() { Side::Lower } else { Side::Upper }),
        };
        // A condition that is not a plain AND/OR of comparisons (allowed
        // under the estimate standard) is evaluated as a formula.
        let (holds, parts) = match v.when.decide(&pick) {
            Ok(d) => (d.holds, d.parts),
            Err(_) if v.evidence == Evidence::Estimate => {
                (v.when.eval(&|n| l.value(n)).is_ok_and(|x| x != 0.0), Vec::new())
            }
            // A bound that is not known decides nothing against the county.
            Err(_) => (false, Vec::new()),
        };
        if !holds {
            continue;
        }
        let risk = if parts.is_empty() {
            None
        } else {
            v.when.risk(&|c| {
                let used = pick(c)?;
                if !c.holds(used) {
                    return None;
                }
                if c.name.ends_with("_p_under") || c.name.ends_with("_p_over") {
                    // A p-value is itself the risk.
                    return Some(used);
                }
                l.risk(&c.name, c.line, if c.above() { Side::Lower } else { Side::Upper })
            })
        };
        out.push(VetoResult {
            id: v.id.clone(),
            reason: v.reason.clone(),
            condition: v.text.clone(),
            evidence: v.evidence,
            parts,
            risk,
            cases: Vec::new(),
        });
    }
    out
}
