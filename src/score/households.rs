//! The household stage in a county's measures (SCORING.md §11). Each
//! household a team visited stands for the register's count over the
//! households visited in its village (H / k); the village stands for its
//! weight 1/π as always. So a household's weight is w · H / k, and a
//! household field gives village totals and rates and then county estimates
//! with three-stage weights, under the same ultimate-cluster variance, t on
//! the design's degrees of freedom and exact fallbacks as every other
//! measure. A household whose answer contradicts its village's report (a
//! reward reported paid that the household did not receive) is a case of
//! its own, named in `explain`.

use super::estimate::{self, Estimate, LonelyStratum, Obs, Proportion, Settings};
use super::measures::{Bounded, Measures, Sampled, Transform, reweight};
use crate::findings::households::{Outcome, Skip, VillageHouseholds};
use crate::findings::values::Value;
use crate::rules::{Field, FieldLevel, Kind, Rules};

/// One village behind a household estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct VillageLine {
    pub code: String,
    /// The village's weight 1/π, after any nonresponse adjustment.
    pub w: f64,
    /// The register's count H and the households visited k.
    pub register: u64,
    pub visited: u64,
    /// Households that answered the field, and the sum of their answers (the
    /// "是" or favourable answers, or the count).
    pub answered: u64,
    pub sum: f64,
}

impl VillageLine {
    /// The village's estimated total: H / k × the sum over its households.
    pub fn total(&self) -> f64 {
        if self.visited == 0 { 0.0 } else { self.register as f64 / self.visited as f64 * self.sum }
    }
}

/// A household field's estimates for a county, kept for explanations.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdEstimate {
    pub field: String,
    /// The share (yes/no, the favourable answers of a choice) or the mean
    /// per household (a count).
    pub rate: Option<Proportion>,
    pub mean: Option<Estimate>,
    /// The estimated number of households answering "是" in the county (or
    /// the county total of a count).
    pub total: Option<Estimate>,
    pub villages: Vec<VillageLine>,
    /// Households whose answer contradicts their village's report: village
    /// code and household number.
    pub contradictions: Vec<(String, u64)>,
}

/// A household's value for one measure: `None` when it did not answer.
fn value_of(f: &Field, v: &Value, option: Option<&str>) -> Option<f64> {
    match (v, option) {
        (Value::Choice(id), Some(o)) => Some(f64::from(u8::from(id == o))),
        (Value::Choice(id), None) => Some(f64::from(u8::from(f.favourable.contains(id)))),
        (v, _) => v.number(),
    }
}

/// What a measure of a household field counts: a yes/no answer, one option
/// of a choice, the favourable options, or a count.
#[derive(Clone, Copy)]
enum Target<'a> {
    Field,
    Option(&'a str),
}

/// The household observations of one target: every visited household of
/// every village with household findings, y its value (0 if it did not
/// answer) and x = 1 if it answered; the village's weight after the
/// adjustment for villages without household findings.
fn observations(
    f: &Field,
    target: Target<'_>,
    sampled: &[&Sampled],
    weights: &[f64],
) -> (Vec<Obs>, Vec<VillageLine>) {
    let mut obs = Vec::new();
    let mut lines = Vec::new();
    for (s, &w) in sampled.iter().zip(weights) {
        let Some(h) = &s.households else { continue };
        if w <= 0.0 {
            continue;
        }
        let visited: Vec<_> = h.visited().collect();
        if visited.is_empty() {
            continue;
        }
        let k = visited.len() as f64;
        let within = h.register as f64 / k;
        // The households are the first units drawn at random below a village
        // taken with certainty (weight 1 at every stage).
        let certain = s.w == 1.0;
        let mut line = VillageLine {
            code: s.code.clone(),
            w,
            register: h.register,
            visited: visited.len() as u64,
            answered: 0,
            sum: 0.0,
        };
        for (house, answers) in visited {
            let v = answers.iter().find(|(id, _)| *id == f.id).and_then(|(_, v)| {
                value_of(
                    f,
                    v,
                    match target {
                        Target::Field => None,
                        Target::Option(o) => Some(o),
                    },
                )
            });
            if let Some(y) = v {
                line.answered += 1;
                line.sum += y;
            }
            obs.push(Obs {
                stratum: s.stratum.clone(),
                psu: s.psu.clone(),
                w: w * within,
                y: v.unwrap_or(0.0),
                x: f64::from(u8::from(v.is_some())),
                ssu: certain.then(|| format!("{}#{}", s.code, house.number)),
            });
        }
        lines.push(line);
    }
    (obs, lines)
}

/// Computes the household measures of a county into `m` (SCORING.md §11).
pub fn measure(
    rules: &Rules,
    sampled: &[Sampled],
    s: &Settings,
    m: &mut Measures,
) -> Result<(), LonelyStratum> {
    if rules.households.is_none() {
        return Ok(());
    }
    let all: Vec<&Sampled> = sampled.iter().collect();
    m.missing_households =
        all.iter().filter(|s| s.listed && s.households.is_none()).map(|s| s.code.clone()).collect();
    let visited: usize = all.iter().filter_map(|s| s.households.as_ref()).map(|h| h.visited().count()).sum();
    let skipped: u64 = all
        .iter()
        .filter_map(|s| s.households.as_ref())
        .flat_map(|h| h.skipped())
        .filter(|(why, _)| *why != Skip::Beyond)
        .map(|(_, n)| n)
        .sum();
    m.put("visited_households", visited as f64);
    m.put("skipped_households", skipped as f64);
    m.put("villages_without_households", m.missing_households.len() as f64);
    // A village without household findings passes its weight to its cell,
    // whatever `missing_findings` says: the worst answer to a household
    // question depends on the question.
    let has = |s: &Sampled| s.households.as_ref().is_some_and(|h| h.visited().next().is_some());
    let weights = reweight(&all, &has);
    let method = rules.scoring.proportion_interval;
    for f in rules.inspection.fields.iter().filter(|f| f.level == FieldLevel::Household) {
        let id = &f.id;
        let (obs, villages) = observations(f, Target::Field, &all, &weights);
        if !obs.iter().any(|o| o.x > 0.5) {
            // Nothing answered: the field's indicators get no value.
            continue;
        }
        let answered = obs.iter().filter(|o| o.x > 0.5).count();
        m.put(format!("{id}_answered"), answered as f64);
        let mut est = HouseholdEstimate {
            field: id.clone(),
            rate: None,
            mean: None,
            total: None,
            villages,
            contradictions: Vec::new(),
        };
        match f.kind {
            Kind::YesNo => {
                let yes = obs.iter().filter(|o| o.x > 0.5 && o.y > 0.5).count();
                m.put(format!("{id}_yes"), yes as f64);
                m.put(format!("{id}_no"), (answered - yes) as f64);
                if let Some(p) = estimate::domain_proportion(&obs, s, method)? {
                    m.put(format!("{id}_df"), p.df as f64);
                    m.put_bounded(
                        &format!("{id}_rate"),
                        Bounded { pivot: p.pivot.clone(), transform: Transform::Identity },
                    );
                    est.rate = Some(p);
                }
                let t = estimate::total(&obs, s, true)?;
                m.put_bounded(
                    &format!("{id}_ht"),
                    Bounded { pivot: t.pivot.clone(), transform: Transform::Identity },
                );
                est.total = Some(t);
                if let Some(village_field) = &f.checks {
                    est.contradictions = contradictions(f, village_field, &all);
                    m.put(format!("{id}_contradictions"), est.contradictions.len() as f64);
                }
            }
            Kind::Choice => {
                for o in &f.options {
                    let (obs, _) = observations(f, Target::Option(&o.id), &all, &weights);
                    let n = obs.iter().filter(|x| x.x > 0.5 && x.y > 0.5).count();
                    m.put(format!("{id}_{}_count", o.id), n as f64);
                    if let Some(p) = estimate::domain_proportion(&obs, s, method)? {
                        m.put_bounded(
                            &format!("{id}_{}_rate", o.id),
                            Bounded { pivot: p.pivot, transform: Transform::Identity },
                        );
                    }
                }
                if let Some(p) = estimate::domain_proportion(&obs, s, method)? {
                    m.put(format!("{id}_df"), p.df as f64);
                    if !f.favourable.is_empty() {
                        m.put_bounded(
                            &format!("{id}_favourable_rate"),
                            Bounded { pivot: p.pivot.clone(), transform: Transform::Identity },
                        );
                        est.rate = Some(p);
                    }
                }
            }
            _ => {
                m.put(format!("{id}_sum"), obs.iter().map(|o| o.y).sum());
                if let Some(mean) = estimate::domain_mean(&obs, s)? {
                    m.put(format!("{id}_df"), mean.df as f64);
                    m.put_bounded(
                        &format!("{id}_mean"),
                        Bounded { pivot: mean.pivot.clone(), transform: Transform::Identity },
                    );
                    est.mean = Some(mean);
                }
                let t = estimate::total(&obs, s, true)?;
                m.put_bounded(
                    &format!("{id}_ht"),
                    Bounded { pivot: t.pivot.clone(), transform: Transform::Identity },
                );
                est.total = Some(t);
            }
        }
        m.households.insert(id.clone(), est);
    }
    Ok(())
}

/// Households answering "否" in villages whose report says "是" for the
/// village field the household field checks.
fn contradictions(f: &Field, village_field: &str, sampled: &[&Sampled]) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for s in sampled {
        let reported_yes =
            s.reported.as_ref().and_then(|r| r.get(village_field)).is_some_and(|v| *v == Value::YesNo(true));
        let Some(h) = s.households.as_ref().filter(|_| reported_yes) else { continue };
        out.extend(contradicting(f, h).map(|n| (s.code.clone(), n)));
    }
    out
}

fn contradicting<'a>(f: &'a Field, h: &'a VillageHouseholds) -> impl Iterator<Item = u64> + 'a {
    h.rows.iter().filter_map(move |x| match &x.outcome {
        Outcome::Visited(a) if a.iter().any(|(id, v)| *id == f.id && *v == Value::YesNo(false)) => {
            Some(x.number)
        }
        _ => None,
    })
}

/// The county-wide household measures (SCORING.md §11).
pub const COUNTY_MEASURES: [&str; 3] =
    ["visited_households", "skipped_households", "villages_without_households"];

/// A household field's measures: those without sampling error and those
/// with it.
pub fn field_measures(f: &Field) -> (Vec<String>, Vec<String>) {
    let id = &f.id;
    let mut exact: Vec<String> = vec![format!("{id}_answered"), format!("{id}_df")];
    let mut bounded = Vec::new();
    match f.kind {
        Kind::YesNo => {
            exact.extend([format!("{id}_yes"), format!("{id}_no")]);
            if f.checks.is_some() {
                exact.push(format!("{id}_contradictions"));
            }
            bounded.extend([format!("{id}_rate"), format!("{id}_ht")]);
        }
        Kind::Choice => {
            for o in &f.options {
                exact.push(format!("{id}_{}_count", o.id));
                bounded.push(format!("{id}_{}_rate", o.id));
            }
            if !f.favourable.is_empty() {
                bounded.push(format!("{id}_favourable_rate"));
            }
        }
        _ => {
            exact.push(format!("{id}_sum"));
            bounded.extend([format!("{id}_mean"), format!("{id}_ht")]);
        }
    }
    (exact, bounded)
}

/// Village-level sums of a household estimate for `explain`: the villages'
/// weighted totals over their weighted register counts (the rate's
/// numerator and denominator).
pub fn weighted_totals(e: &HouseholdEstimate) -> (f64, f64) {
    e.villages.iter().fold((0.0, 0.0), |(t, a), v| {
        let per = if v.visited == 0 { 0.0 } else { v.register as f64 / v.visited as f64 };
        (t + v.w * v.total(), a + v.w * per * v.answered as f64)
    })
}
