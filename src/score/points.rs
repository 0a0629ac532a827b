//! Points: each indicator of the rules applied to a county's measures, with
//! every deduction and bonus written down as it happens. SCORING.md §4.

use crate::rules::scoring::{Indicator, IndicatorKind, Source, Veto};

/// One step of the trail: what happened and how many points it moved.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub text: String,
    pub delta: f64,
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

/// Scores one indicator. `get` returns a measure by name.
pub fn score(ind: &Indicator, get: &dyn Fn(&str) -> Option<f64>) -> Scored {
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
        veto: None,
    };
    let suffix = match ind.source {
        Source::Verified => "verified",
        Source::Reported => "reported",
    };
    let read = |s: &mut Scored, name: &str| -> Option<f64> {
        let v = get(name);
        if let Some(v) = v {
            s.used.push((name.to_string(), v));
        }
        v
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
            text: format!("no value for {name} (no findings or no report): no points"),
            delta: -all,
        });
    };
    match &ind.kind {
        IndicatorKind::Target { measure, target, per_point, bonus_per_point, bonus_cap } => {
            let Some(v) = read(&mut s, measure) else {
                missing(&mut s, measure);
                return s;
            };
            if v < *target {
                let pp = (target - v) * 100.0;
                deduct(
                    &mut s,
                    per_point * pp,
                    format!(
                        "{measure} = {} is {pp:.2} points below the target {}: −{per_point} per point",
                        pct(v),
                        pct(*target)
                    ),
                );
            } else if *bonus_per_point > 0.0 {
                let pp = (v - target) * 100.0;
                s.bonus = (bonus_per_point * pp).min(*bonus_cap).max(0.0);
                s.lines.push(Line { text: format!("{measure} = {} is {pp:.2} points above the target: +{bonus_per_point} per point, at most {bonus_cap}", pct(v)), delta: s.bonus });
            }
        }
        IndicatorKind::Bands { measure, bands } => {
            let Some(v) = read(&mut s, measure) else {
                missing(&mut s, measure);
                return s;
            };
            let got = bands.iter().find(|(t, _)| v >= *t).map_or(0.0, |b| b.1).min(ind.points);
            deduct(
                &mut s,
                ind.points - got,
                format!("{measure} = {} earns {got} points by the bands", pct(v)),
            );
        }
        IndicatorKind::Range { measure, min, max } => {
            let Some(v) = read(&mut s, measure) else {
                missing(&mut s, measure);
                return s;
            };
            if v < *min || v > *max {
                deduct(
                    &mut s,
                    ind.points,
                    format!("{measure} = {v:.4} is outside [{min}, {max}]: no points"),
                );
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
                    format!("{v} case(s) of {measure}: −{per_case} each, until exhausted"),
                );
            }
        }
        IndicatorKind::Checklist { items, per_missing } => {
            for item in items {
                let name = match ind.source {
                    Source::Verified => format!("{item}_found_rate"),
                    Source::Reported => format!("{item}_reported_rate"),
                };
                match read(&mut s, &name) {
                    Some(v) if v >= 1.0 => {}
                    Some(v) => deduct(
                        &mut s,
                        *per_missing,
                        format!("{item}: met in {} of villages, not all: −{per_missing}", pct(v)),
                    ),
                    None => deduct(&mut s, *per_missing, format!("{item}: no value: −{per_missing}")),
                }
            }
        }
        IndicatorKind::Accuracy { field, tolerance, per_point, zero_beyond, veto_beyond } => {
            let name = format!("{field}_error_rate");
            let Some(e) = read(&mut s, &name) else {
                missing(&mut s, &name);
                return s;
            };
            if let Some(z) = zero_beyond.filter(|z| e > *z) {
                deduct(&mut s, ind.points, format!("{name} = {} is beyond {}: no points", pct(e), pct(z)));
            } else if e > *tolerance {
                let pp = (e - tolerance) * 100.0;
                deduct(
                    &mut s,
                    per_point * pp,
                    format!(
                        "{name} = {} exceeds the tolerance {} by {pp:.2} points: −{per_point} per point",
                        pct(e),
                        pct(*tolerance)
                    ),
                );
            } else {
                s.lines.push(Line {
                    text: format!(
                        "{name} = {} is within the tolerance {}: full marks",
                        pct(e),
                        pct(*tolerance)
                    ),
                    delta: 0.0,
                });
            }
            if let Some(v) = veto_beyond.filter(|v| e > *v) {
                s.veto = Some(format!("{} error rate {} exceeds {}: one-vote veto", field, pct(e), pct(v)));
            }
        }
        IndicatorKind::Verification { field, tiers } => {
            let name = format!("{field}_error_rate");
            let Some(d) = read(&mut s, &name) else {
                missing(&mut s, &name);
                return s;
            };
            match tiers.iter().find(|(upto, _)| d <= *upto) {
                Some((upto, factor)) if *factor == 0.0 => s.lines.push(Line {
                    text: format!("discrepancy {} ≤ {}: the claim stands", pct(d), pct(*upto)),
                    delta: 0.0,
                }),
                Some((upto, factor)) => deduct(
                    &mut s,
                    ind.points * (factor * d).min(1.0),
                    format!("discrepancy {} ≤ {}: penalty {factor} × the discrepancy", pct(d), pct(*upto)),
                ),
                None => deduct(
                    &mut s,
                    ind.points,
                    format!("discrepancy {} is beyond every tier: no points", pct(d)),
                ),
            }
        }
        IndicatorKind::Formula { expr, text } => {
            for n in expr.names() {
                read(&mut s, n);
            }
            match expr.eval(get) {
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

/// The vetoes whose condition holds, with their reasons.
pub fn vetoes(list: &[Veto], get: &dyn Fn(&str) -> Option<f64>) -> Vec<String> {
    list.iter()
        .filter(|v| v.when.eval(get).is_ok_and(|x| x != 0.0))
        .map(|v| format!("{}: {} ({})", v.id, v.reason, v.text))
        .collect()
}
