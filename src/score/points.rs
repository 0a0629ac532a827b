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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Loc;
    use std::collections::HashMap;

    /// Measures as a test sets them. Its risk names the line and side it
    /// was asked about (line / 1000, plus 0.5 for the upper side), so a
    /// test sees which were passed.
    #[derive(Default)]
    struct Fake {
        value: HashMap<String, f64>,
        lower: HashMap<String, f64>,
        upper: HashMap<String, f64>,
    }

    impl Fake {
        fn with(mut self, name: &str, lower: f64, value: f64, upper: f64) -> Fake {
            self.value.insert(name.to_string(), value);
            self.lower.insert(name.to_string(), lower);
            self.upper.insert(name.to_string(), upper);
            self
        }

        fn value(mut self, name: &str, value: f64) -> Fake {
            self.value.insert(name.to_string(), value);
            self
        }
    }

    impl Lookup for Fake {
        fn value(&self, name: &str) -> Option<f64> {
            self.value.get(name).copied()
        }
        fn bound(&self, name: &str, side: Side) -> Option<f64> {
            match side {
                Side::Lower => &self.lower,
                Side::Upper => &self.upper,
            }
            .get(name)
            .copied()
        }
        fn risk(&self, name: &str, line: f64, side: Side) -> Option<f64> {
            self.value.get(name)?;
            Some(line / 1000.0 + if side == Side::Upper { 0.5 } else { 0.0 })
        }
        fn level(&self) -> Option<f64> {
            Some(0.95)
        }
    }

    fn indicator(kind: IndicatorKind, evidence: Evidence) -> Indicator {
        Indicator {
            id: "i1".into(),
            name: "指标".into(),
            name_en: None,
            activity: "a".into(),
            activity_en: None,
            points: 10.0,
            rule: "r".into(),
            rule_en: None,
            basis: "b".into(),
            source: Source::Verified,
            kind,
            evidence,
            veto_evidence: evidence,
            evidence_stated: true,
            loc: Loc::default(),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn target(target: f64, bonus_per_point: f64, bonus_cap: f64) -> IndicatorKind {
        IndicatorKind::Target { measure: "rate".into(), target, per_point: 1.0, bonus_per_point, bonus_cap }
    }

    #[test]
    fn a_shortfall_is_charged_as_far_as_the_evidence_falls_short() {
        let l = Fake::default().with("rate", 0.80, 0.85, 0.88);
        // Under the bound standard, from the upper bound: 2 points below.
        let s = score(&indicator(target(0.90, 0.0, 0.0), Evidence::Bound), &l);
        assert!(close(s.earned, 8.0), "{s:?}");
        assert!(close(s.lines[0].delta, -2.0));
        assert_eq!(s.used, vec![("rate".to_string(), 0.85), ("rate_ucb".to_string(), 0.88)]);
        let v = &s.verdicts[0];
        assert_eq!((v.estimate, v.used, v.op, v.line, v.veto), (0.85, 0.88, "<", 0.90, false));
        assert_eq!(v.risk, Some(0.90 / 1000.0 + 0.5));
        let Step::BelowTarget { points_below, .. } = &s.lines[0].step else { panic!("{s:?}") };
        assert!(close(*points_below, 2.0));
        // Under the estimate standard, from the estimate: 5 points below.
        let s = score(&indicator(target(0.90, 0.0, 0.0), Evidence::Estimate), &l);
        assert!(close(s.earned, 5.0), "{s:?}");
        assert_eq!(s.used, vec![("rate".to_string(), 0.85)]);
        // Exactly at the target, nothing is charged.
        let s = score(&indicator(target(0.88, 0.0, 0.0), Evidence::Bound), &l);
        assert_eq!((s.earned, s.lines.len(), s.verdicts.len()), (10.0, 0, 0));
    }

    #[test]
    fn a_bonus_is_paid_as_far_as_the_evidence_exceeds_the_target_up_to_its_cap() {
        let l = Fake::default().with("rate", 0.93, 0.95, 0.97);
        let s = score(&indicator(target(0.90, 2.0, 10.0), Evidence::Bound), &l);
        assert!(close(s.bonus, 6.0), "{s:?}");
        assert!(close(s.total(), 16.0));
        let Step::AboveTarget { bound, points_above, value, .. } = &s.lines[0].step else { panic!("{s:?}") };
        assert_eq!((*bound, *value), (Some(0.93), 0.95));
        assert!(close(*points_above, 3.0));
        assert!(close(s.lines[0].delta, 6.0));
        // From the estimate: 5 points above, capped at 8.
        let s = score(&indicator(target(0.90, 2.0, 8.0), Evidence::Estimate), &l);
        assert!(close(s.bonus, 8.0), "{s:?}");
        let Step::AboveTarget { bound, .. } = &s.lines[0].step else { panic!("{s:?}") };
        assert_eq!(*bound, None);
        // No bonus at the target itself, nor without a bonus rate.
        let s = score(&indicator(target(0.93, 2.0, 10.0), Evidence::Bound), &l);
        assert_eq!((s.bonus, s.lines.len()), (0.0, 0));
        let s = score(&indicator(target(0.90, 0.0, 10.0), Evidence::Bound), &l);
        assert_eq!((s.bonus, s.lines.len()), (0.0, 0));
    }

    #[test]
    fn a_band_gives_its_points_and_names_the_line_of_the_band_above() {
        let bands = |b: &[(f64, f64)]| IndicatorKind::Bands { measure: "rate".into(), bands: b.to_vec() };
        let ladder = [(0.9, 10.0), (0.8, 6.0), (0.7, 3.0)];
        // An estimate above its own upper bound, which no real measure has,
        // puts the two standards in different bands with one lookup.
        let l = Fake::default().with("rate", 0.80, 0.91, 0.85);
        let s = score(&indicator(bands(&ladder), Evidence::Bound), &l);
        assert_eq!(s.earned, 6.0);
        assert!(close(s.lines[0].delta, -4.0));
        let Step::Bands { got, bound, missed: Some(m), .. } = &s.lines[0].step else { panic!("{s:?}") };
        assert_eq!((*got, *bound, m.line, m.used), (6.0, Some(0.85), 0.9, 0.85));
        assert_eq!(s.verdicts, vec![m.clone()]);
        // From the estimate, the top band: nothing missed.
        let s = score(&indicator(bands(&ladder), Evidence::Estimate), &l);
        let Step::Bands { got, bound, missed, .. } = &s.lines[0].step else { panic!("{s:?}") };
        assert_eq!((*got, *bound, missed.is_none(), s.earned), (10.0, None, true, 10.0));
        // Below every band: the lowest band's line is the one missed.
        let low = Fake::default().with("rate", 0.5, 0.6, 0.65);
        let s = score(&indicator(bands(&ladder), Evidence::Bound), &low);
        let Step::Bands { got, missed: Some(m), .. } = &s.lines[0].step else { panic!("{s:?}") };
        assert_eq!((*got, m.line, s.earned), (0.0, 0.7, 0.0));
        // A band below the top that already gives full points misses nothing.
        let s = score(&indicator(bands(&[(0.9, 10.0), (0.8, 10.0)]), Evidence::Bound), &l);
        assert_eq!((s.earned, s.verdicts.len()), (10.0, 0), "{s:?}");
    }

    #[test]
    fn a_range_is_kept_up_to_its_ends_and_lost_beyond_them() {
        let range = IndicatorKind::Range { measure: "r".into(), min: 0.1, max: 0.2 };
        let ind = indicator(range, Evidence::Bound);
        // Touching either end is inside.
        for (lower, upper) in [(0.05, 0.1), (0.2, 0.3)] {
            let s = score(&ind, &Fake::default().with("r", lower, 0.15, upper));
            assert_eq!((s.earned, s.verdicts.len()), (10.0, 0), "{lower} {upper}: {s:?}");
        }
        let s = score(&ind, &Fake::default().with("r", 0.01, 0.05, 0.09));
        let Step::OutsideRange { verdict: v, .. } = &s.lines[0].step else { panic!("{s:?}") };
        assert_eq!((v.op, v.line, v.used, s.earned), ("<", 0.1, 0.09, 0.0));
        let s = score(&ind, &Fake::default().with("r", 0.21, 0.25, 0.3));
        let Step::OutsideRange { verdict: v, .. } = &s.lines[0].step else { panic!("{s:?}") };
        assert_eq!((v.op, v.line, v.used, s.earned), (">", 0.2, 0.21, 0.0));
        assert_eq!(v.risk, Some(0.2 / 1000.0));
    }

    #[test]
    fn pro_rata_gives_the_share_achieved_of_what_was_due() {
        let kind = || IndicatorKind::ProRata { achieved: "done".into(), due: "due".into() };
        let l = Fake::default().value("done_verified", 6.0).value("due_verified", 8.0);
        let s = score(&indicator(kind(), Evidence::Estimate), &l);
        assert_eq!((s.earned, s.lines[0].delta), (7.5, -2.5));
        let want = Step::ProRata {
            achieved: "done_verified".into(),
            due: "due_verified".into(),
            a: 6.0,
            d: 8.0,
            share: 0.75,
        };
        assert_eq!(s.lines[0].step, want);
        // More than due, or nothing due: full points.
        let s = score(&indicator(kind(), Evidence::Estimate), &l.value("done_verified", 10.0));
        assert_eq!(s.earned, 10.0);
        let l = Fake::default().value("done_verified", 0.0).value("due_verified", 0.0);
        assert_eq!(score(&indicator(kind(), Evidence::Estimate), &l).earned, 10.0);
        // From the report, under its own names; without them, nothing.
        let mut ind = indicator(kind(), Evidence::Estimate);
        ind.source = Source::Reported;
        let l = Fake::default().value("done_reported", 2.0).value("due_reported", 8.0);
        assert_eq!(score(&ind, &l).earned, 2.5);
        let s = score(&ind, &Fake::default().value("done_reported", 2.0));
        assert_eq!(s.lines[0].step, Step::Missing { measure: "done_reported".into() });
    }

    #[test]
    fn cases_cost_their_points_and_none_costs_nothing() {
        let ind =
            indicator(IndicatorKind::PerCase { measure: "c".into(), per_case: 3.0 }, Evidence::Estimate);
        let s = score(&ind, &Fake::default().value("c", 0.0));
        assert_eq!((s.earned, s.lines.len()), (10.0, 0));
        let s = score(&ind, &Fake::default().value("c", 2.0));
        assert_eq!((s.earned, s.lines[0].delta), (4.0, -6.0));
        let s = score(&ind, &Fake::default().value("c", 5.0));
        assert_eq!((s.earned, s.lines[0].delta), (0.0, -10.0));
        let s = score(&ind, &Fake::default());
        assert_eq!(s.lines, vec![Line { step: Step::Missing { measure: "c".into() }, delta: -10.0 }]);
        assert_eq!(s.earned, 0.0);
    }

    #[test]
    fn a_checklist_charges_each_item_short_of_everywhere() {
        let kind =
            IndicatorKind::Checklist { items: vec!["a".into(), "b".into(), "c".into()], per_missing: 2.0 };
        let l =
            Fake::default().value("a_found_rate", 1.0).value("b_found_rate", 0.5).value("b_found_no", 3.0);
        let s = score(&indicator(kind, Evidence::Estimate), &l);
        assert_eq!(s.earned, 6.0);
        assert_eq!(
            s.lines.iter().map(|l| &l.step).collect::<Vec<_>>(),
            vec![
                &Step::ChecklistShort { item: "b".into(), villages: Some(3.0), share: 0.5, per_missing: 2.0 },
                &Step::ChecklistMissing { item: "c".into(), per_missing: 2.0 },
            ]
        );
    }

    #[test]
    fn accuracy_is_charged_beyond_its_tolerance_zeroed_beyond_its_limit_and_vetoed_on_its_own_evidence() {
        let kind = |veto: Option<f64>| IndicatorKind::Accuracy {
            field: "f".into(),
            tolerance: 0.05,
            per_point: 0.5,
            zero_beyond: Some(0.2),
            veto_beyond: veto,
        };
        let at = |lower: f64| Fake::default().with("f_error_rate", lower, lower + 0.01, lower + 0.02);
        // At the tolerance: within, the bound recorded.
        let s = score(&indicator(kind(None), Evidence::Bound), &at(0.05));
        assert_eq!(s.earned, 10.0);
        let Step::AccuracyWithin { bound, .. } = &s.lines[0].step else { panic!("{s:?}") };
        assert_eq!(*bound, Some(0.05));
        // At the zero line: charged per point, not zeroed (15 points over).
        let s = score(&indicator(kind(None), Evidence::Bound), &at(0.2));
        assert!(close(s.earned, 2.5), "{s:?}");
        let Step::AccuracyOver { verdict: v, .. } = &s.lines[0].step else { panic!("{s:?}") };
        assert_eq!((v.op, v.line, v.risk), (">", 0.05, Some(0.05 / 1000.0)));
        // Beyond it: zero.
        let s = score(&indicator(kind(None), Evidence::Bound), &at(0.21));
        assert!(matches!(&s.lines[0].step, Step::AccuracyZero { verdict } if verdict.line == 0.2), "{s:?}");
        assert_eq!(s.earned, 0.0);
        // A veto on the bound while deductions read the estimate: the bound
        // it used is recorded; at the limit itself there is no veto.
        let mut ind = indicator(kind(Some(0.3)), Evidence::Estimate);
        ind.veto_evidence = Evidence::Bound;
        let s = score(&ind, &at(0.3));
        assert!(s.veto.is_none(), "{s:?}");
        assert!(s.used.contains(&("f_error_rate_lcb".to_string(), 0.3)), "{s:?}");
        let s = score(&ind, &at(0.31));
        let v = s.veto.as_ref().unwrap();
        assert_eq!((v.used, v.veto, v.evidence, v.estimate), (0.31, true, Evidence::Bound, 0.32));
        assert_eq!(s.verdicts.last(), Some(v));
        // Both on the bound: the bound is recorded once.
        let s = score(&indicator(kind(Some(0.3)), Evidence::Bound), &at(0.31));
        assert_eq!(s.used.iter().filter(|(n, _)| n == "f_error_rate_lcb").count(), 1, "{s:?}");
    }

    #[test]
    fn a_discrepancy_takes_the_penalty_of_its_tier_and_names_the_first_line_crossed() {
        let kind =
            |tiers: &[(f64, f64)]| IndicatorKind::Verification { field: "f".into(), tiers: tiers.to_vec() };
        let ladder = [(0.05, 0.0), (0.1, 1.0), (0.2, 2.0)];
        let at = |lower: f64| Fake::default().with("f_error_rate", lower, lower + 0.01, lower + 0.02);
        let ind = indicator(kind(&ladder), Evidence::Bound);
        let s = score(&ind, &at(0.05));
        assert_eq!(
            s.lines[0],
            Line { step: Step::ClaimStands { discrepancy: 0.05, upto: 0.05 }, delta: 0.0 }
        );
        assert_eq!((s.earned, s.verdicts.len()), (10.0, 0));
        // At a tier's upper end: that tier, 10 × 1.0 × 0.1.
        let s = score(&ind, &at(0.1));
        let Step::TierPenalty { upto, factor, crossed: Some(v), .. } = &s.lines[0].step else {
            panic!("{s:?}")
        };
        assert_eq!((*upto, *factor, v.line, v.used, v.op), (0.1, 1.0, 0.05, 0.1, ">"));
        assert!(close(s.earned, 9.0), "{s:?}");
        assert_eq!(s.verdicts, vec![v.clone()]);
        let s = score(&ind, &at(0.08));
        assert!(close(s.earned, 9.2), "{s:?}");
        let s = score(&ind, &at(0.3));
        let Step::BeyondTiers { crossed: Some(v), .. } = &s.lines[0].step else { panic!("{s:?}") };
        assert_eq!((v.line, s.earned), (0.05, 0.0));
        // A first tier with a penalty, reached at its end, crosses no line.
        let s = score(&indicator(kind(&[(0.1, 2.0)]), Evidence::Bound), &at(0.1));
        let Step::TierPenalty { crossed, .. } = &s.lines[0].step else { panic!("{s:?}") };
        assert!(crossed.is_none() && s.verdicts.is_empty(), "{s:?}");
        assert!(close(s.earned, 8.0), "{s:?}");
        // A penalty never takes more than the points.
        let s = score(&indicator(kind(&[(0.5, 5.0)]), Evidence::Bound), &at(0.4));
        assert_eq!(s.earned, 0.0);
    }

    #[test]
    fn a_formula_is_held_to_the_points_and_a_failed_one_gives_none() {
        let formula = |text: &str| IndicatorKind::Formula {
            expr: crate::score::expr::Expr::parse(text).unwrap(),
            text: text.into(),
        };
        let l = Fake::default().value("a", 3.0);
        let s = score(&indicator(formula("a * 2"), Evidence::Estimate), &l);
        assert_eq!((s.earned, s.lines[0].delta), (6.0, -4.0));
        assert_eq!(s.lines[0].step, Step::Formula { value: 6.0, max: 10.0, read: vec![("a".into(), 3.0)] });
        let s = score(&indicator(formula("a * 5"), Evidence::Estimate), &l);
        assert_eq!((s.earned, s.lines[0].delta), (10.0, 0.0));
        let s = score(&indicator(formula("0 - a"), Evidence::Estimate), &l);
        assert_eq!(s.earned, 0.0);
        let s = score(&indicator(formula("a + b"), Evidence::Estimate), &l);
        assert!(
            matches!(&s.lines[0].step, Step::FormulaFailed { read, .. } if read == &[("a".to_string(), 3.0)])
        );
        assert_eq!(s.earned, 0.0);
    }

    fn veto(when: &str, evidence: Evidence) -> Veto {
        Veto {
            id: "v1".into(),
            name: None,
            name_en: None,
            when: crate::score::expr::Expr::parse(when).unwrap(),
            text: when.into(),
            reason: "r".into(),
            reason_en: None,
            evidence,
            evidence_stated: true,
            loc: Loc::default(),
        }
    }

    #[test]
    fn a_veto_fires_on_its_evidence_with_the_risk_of_its_parts() {
        let l =
            Fake::default().with("x", 0.12, 0.15, 0.18).with("y", 0.3, 0.4, 0.45).value("x_p_under", 0.01);
        let fired = |when: &str, evidence: Evidence| vetoes(&[veto(when, evidence)], &l);
        // On the bound, "above" reads the lower bound and "below" the upper.
        let v = fired("x > 0.1", Evidence::Bound);
        assert_eq!((v.len(), v[0].parts[0].1, v[0].risk), (1, 0.12, Some(0.1 / 1000.0)));
        assert!(fired("x > 0.12", Evidence::Bound).is_empty());
        assert_eq!(fired("x > 0.12", Evidence::Estimate)[0].parts[0].1, 0.15);
        let v = fired("y < 0.5", Evidence::Bound);
        assert_eq!((v[0].parts[0].1, v[0].risk), (0.45, Some(0.5 / 1000.0 + 0.5)));
        // AND takes the largest risk, OR the sum of the parts that hold.
        assert_eq!(fired("x > 0.1 AND y < 0.5", Evidence::Bound)[0].risk, Some(0.5 / 1000.0 + 0.5));
        let v = fired("x > 0.1 OR y < 0.2", Evidence::Bound);
        assert_eq!(v[0].risk, Some(0.1 / 1000.0));
        // A p-value is its own risk.
        assert_eq!(fired("x_p_under < 0.05", Evidence::Estimate)[0].risk, Some(0.01));
        // A condition that is no plain comparison, under the estimate
        // standard: evaluated as a formula, with no parts and no risk.
        let v = fired("x + y > 0.5", Evidence::Estimate);
        assert_eq!((v.len(), v[0].parts.len(), v[0].risk), (1, 0, None));
        assert!(fired("x + y > 0.6", Evidence::Estimate).is_empty());
        // Under the bound standard it decides nothing, nor does a bound not known.
        assert!(fired("x + y > 0.5", Evidence::Bound).is_empty());
        assert!(fired("z > 0.1", Evidence::Bound).is_empty());
        let v = fired("x > 0.1", Evidence::Bound);
        assert_eq!(
            (v[0].id.as_str(), v[0].condition.as_str(), v[0].evidence),
            ("v1", "x > 0.1", Evidence::Bound)
        );
    }
}
