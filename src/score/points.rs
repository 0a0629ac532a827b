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
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub text: String,
    pub delta: f64,
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

impl Verdict {
    /// The decision in words a county official can follow.
    pub fn words(&self, level: Option<f64>) -> String {
        let shown = |v: f64| show(&self.measure, v);
        let basis = match self.evidence {
            Evidence::Estimate => format!("estimate {}", shown(self.estimate)),
            Evidence::Bound => format!(
                "estimate {}, {}one-sided {} bound {}",
                shown(self.estimate),
                level.map_or(String::new(), |l| format!("{:.0}% ", l * 100.0)),
                if self.op.starts_with('>') { "lower" } else { "upper" },
                shown(self.used)
            ),
        };
        let risk = self.risk.map_or(String::new(), |r| format!("; risk of a wrong verdict {}", risk_text(r)));
        format!(
            "{} {basis} {} {} (evidence: {}{risk})",
            self.measure,
            self.op,
            shown(self.line),
            self.evidence.name()
        )
    }
}

/// A risk as a percentage people read.
pub fn risk_text(r: f64) -> String {
    if r < 0.0001 {
        "below 0.01%".to_string()
    } else if r >= 0.5 {
        "50% or more".to_string()
    } else {
        format!("{:.2}%", r * 100.0)
    }
}

/// Rates and shares print as percentages, other measures as numbers.
fn show(measure: &str, v: f64) -> String {
    let rate = ["_rate", "_accuracy", "_share"].iter().any(|s| measure.contains(s))
        && !measure.ends_with("_p_under")
        && !measure.ends_with("_p_over");
    if rate { pct(v) } else { format!("{v:.4}") }
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
    pub veto: Option<String>,
}

impl Scored {
    pub fn total(&self) -> f64 {
        self.earned + self.bonus
    }
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
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
    let level = l.level();
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
    let deduct = |s: &mut Scored, amount: f64, why: String| {
        let d = amount.min(s.earned).max(0.0);
        s.earned -= d;
        s.lines.push(Line { text: why, delta: -d });
    };
    let missing = |s: &mut Scored, name: &str| {
        let all = s.earned;
        s.earned = 0.0;
        s.lines.push(Line {
            text: format!("no value for {name} (no findings, no report, or no bound): no points"),
            delta: -all,
        });
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
                deduct(
                    &mut s,
                    per_point * pp,
                    format!("{}: {pp:.2} points below the target: −{per_point} per point", vd.words(level)),
                );
                s.verdicts.push(vd);
            } else if *bonus_per_point > 0.0 && down > *target {
                let pp = (down - target) * 100.0;
                s.bonus = (bonus_per_point * pp).min(*bonus_cap).max(0.0);
                s.lines.push(Line {
                    text: format!(
                        "{measure} = {}{} is {pp:.2} points above the target {}: +{bonus_per_point} per point, at most {bonus_cap}",
                        pct(v),
                        if ev == Evidence::Bound { format!(" (lower bound {})", pct(down)) } else { String::new() },
                        pct(*target)
                    ),
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
            let mut text = format!(
                "{measure} = {}{} earns {got} points by the bands",
                pct(v),
                if ev == Evidence::Bound { format!(" (upper bound {})", pct(up)) } else { String::new() }
            );
            // The band above the one reached is the line the county missed.
            let next = match reached {
                Some(0) => None,
                Some(i) => Some(bands[i - 1].0),
                None => bands.last().map(|b| b.0),
            };
            if let Some(line) = next.filter(|_| got < ind.points) {
                let vd = verdict(measure, v, up, "<", line, ev, false);
                text = format!("{text}: {}", vd.words(level));
                s.verdicts.push(vd);
            }
            deduct(&mut s, ind.points - got, text);
        }
        IndicatorKind::Range { measure, min, max } => {
            let (Some((v, up)), Some(down)) =
                (read_at(&mut s, measure, ev, Side::Upper), at(l, measure, ev, Side::Lower))
            else {
                missing(&mut s, measure);
                return s;
            };
            if up < *min {
                let vd = verdict(measure, v, up, "<", *min, ev, false);
                deduct(&mut s, ind.points, format!("{}: outside [{min}, {max}], no points", vd.words(level)));
                s.verdicts.push(vd);
            } else if down > *max {
                let vd = verdict(measure, v, down, ">", *max, ev, false);
                deduct(&mut s, ind.points, format!("{}: outside [{min}, {max}], no points", vd.words(level)));
                s.verdicts.push(vd);
            }
        }
        IndicatorKind::ProRata { achieved, due } => {
            let (an, dn) = (format!("{achieved}_{suffix}"), format!("{due}_{suffix}"));
            let (Some(a), Some(d)) = (read(&mut s, &an), read(&mut s, &dn)) else {
                missing(&mut s, &an);
                return s;
            };
            let share = if d > 0.0 { (a / d).clamp(0.0, 1.0) } else { 1.0 };
            deduct(
                &mut s,
                ind.points * (1.0 - share),
                format!("{an} / {dn} = {a:.2} / {d:.2} = {}: points × that share", pct(share)),
            );
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
                    format!(
                        "{v} case(s) of {measure} found in the sampled villages: −{per_case} each, until exhausted"
                    ),
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
                    Some(v) => {
                        let villages = l
                            .value(&no)
                            .map_or(String::new(), |n| format!("{n} sampled village(s) not meeting it; "));
                        deduct(
                            &mut s,
                            *per_missing,
                            format!(
                                "{item}: {villages}estimated share of the county's villages meeting it {}, not all: −{per_missing}",
                                pct(v)
                            ),
                        )
                    }
                    None => deduct(&mut s, *per_missing, format!("{item}: no value: −{per_missing}")),
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
                deduct(&mut s, ind.points, format!("{}: no points", vd.words(level)));
                s.verdicts.push(vd);
            } else if down > *tolerance {
                let pp = (down - tolerance) * 100.0;
                let vd = verdict(&name, e, down, ">", *tolerance, ev, false);
                deduct(
                    &mut s,
                    per_point * pp,
                    format!("{}: {pp:.2} points over the tolerance, −{per_point} per point", vd.words(level)),
                );
                s.verdicts.push(vd);
            } else {
                s.lines.push(Line {
                    text: format!(
                        "{name} = {}{} is within the tolerance {}: full marks",
                        pct(e),
                        if ev == Evidence::Bound {
                            format!(" (lower bound {})", pct(down))
                        } else {
                            String::new()
                        },
                        pct(*tolerance)
                    ),
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
                        s.veto = Some(format!("{}: one-vote veto", vd.words(level)));
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
            let cross = |s: &mut Scored| -> String {
                match first.filter(|f| down > *f) {
                    Some(f) => {
                        let vd = verdict(&name, d, down, ">", f, ev, false);
                        let w = vd.words(level);
                        s.verdicts.push(vd);
                        format!(" ({w})")
                    }
                    None => String::new(),
                }
            };
            match tiers.iter().find(|(upto, _)| down <= *upto) {
                Some((upto, factor)) if *factor == 0.0 => s.lines.push(Line {
                    text: format!("discrepancy {} ≤ {}: the claim stands", pct(down), pct(*upto)),
                    delta: 0.0,
                }),
                Some((upto, factor)) => {
                    let w = cross(&mut s);
                    deduct(
                        &mut s,
                        ind.points * (factor * down).min(1.0),
                        format!(
                            "discrepancy {} ≤ {}: penalty {factor} × the discrepancy{w}",
                            pct(down),
                            pct(*upto)
                        ),
                    )
                }
                None => {
                    let w = cross(&mut s);
                    deduct(
                        &mut s,
                        ind.points,
                        format!("discrepancy {} is beyond every tier: no points{w}", pct(down)),
                    )
                }
            }
        }
        IndicatorKind::Formula { expr, text } => {
            for n in expr.names() {
                read(&mut s, n);
            }
            match expr.eval(&|n| l.value(n)) {
                Ok(v) => {
                    let got = v.clamp(0.0, ind.points);
                    deduct(&mut s, ind.points - got, format!("{text} = {v:.4}, within [0, {}]", ind.points));
                }
                Err(why) => deduct(&mut s, ind.points, format!("{text}: {why}: no points")),
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

impl VetoResult {
    /// One line in words: the reason, what each part read, and the risk.
    pub fn words(&self, level: Option<f64>) -> String {
        let read = |c: &Comparison| match self.evidence {
            Evidence::Estimate => "estimate".to_string(),
            Evidence::Bound => format!(
                "{}one-sided {} bound",
                level.map_or(String::new(), |l| format!("{:.0}% ", l * 100.0)),
                if c.above() { "lower" } else { "upper" }
            ),
        };
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|(c, v, _)| {
                format!(
                    "{} = {} ({}) {} {}",
                    c.name,
                    show(&c.name, *v),
                    read(c),
                    c.op_text(),
                    show(&c.name, c.line)
                )
            })
            .collect();
        let risk = self.risk.map_or(String::new(), |r| format!("; risk of a wrong verdict {}", risk_text(r)));
        let cases = if self.cases.is_empty() {
            String::new()
        } else {
            let list: Vec<String> =
                self.cases.iter().map(|(c, r, f)| format!("{c} reported {r} found {f}")).collect();
            format!("; documented cases ({}): {}", self.cases.len(), list.join(", "))
        };
        format!(
            "{}: {} [{}] (evidence: {}{risk}){cases}",
            self.id,
            self.reason,
            parts.join(" AND "),
            self.evidence.name()
        )
    }
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
