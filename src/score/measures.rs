//! The measures a county's indicators read, computed from its sampled
//! villages: reported and verified totals, accuracy and error rates, case
//! counts, proportions, credibility p-values, each estimate with its
//! interval and one-sided bounds. SCORING.md §3 defines each.

use std::collections::BTreeMap;

use super::estimate::{self, Estimate, LonelyStratum, Obs, Pivot, Proportion, Settings, Side};
use crate::findings::values::Value;
use crate::rules::scoring::MissingFindings;
use crate::rules::{Kind, Rules};

/// One sampled village of a county, with what was reported and found.
#[derive(Debug, Clone, PartialEq)]
pub struct Sampled {
    pub code: String,
    pub name: String,
    pub stratum: String,
    pub psu: String,
    /// Design weight 1/π.
    pub w: f64,
    /// The county's self-report for the village; `None` when the report has
    /// no row for it (a village left out of the report, 漏报村).
    pub reported: Option<BTreeMap<String, Value>>,
    /// The team's findings, if they have come in.
    pub found: Option<BTreeMap<String, Value>>,
    /// The team's household findings (SCORING.md §11), if they have come in.
    pub households: Option<crate::findings::households::VillageHouseholds>,
    /// Whether the village has a published household list to visit. The
    /// villages a further round of a sequential plan adds have none
    /// (SAMPLING.md §16), so they are never missing household findings.
    pub listed: bool,
}

/// A county's inputs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CountyInput {
    pub code: String,
    pub name: String,
    /// Totals of each field over every village row of the county's report.
    pub reported_totals: BTreeMap<String, f64>,
    pub report_submitted: bool,
    /// The county's villages in the frame, and how many of them its
    /// self-report has a row for.
    pub villages: usize,
    pub reported_villages: usize,
    pub sampled: Vec<Sampled>,
}

/// How a bounded measure follows from its pivot (for the ratio-derived
/// rates, ρ is the ratio of found to reported).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Transform {
    /// The pivot itself.
    Identity,
    /// a + b·ρ, b ≥ 0 (the verified total: the reported total times ρ, plus
    /// what was found in villages the report left out).
    Linear(f64, f64),
    /// The under-report rate max(0, 1 − 1/ρ), increasing in ρ.
    Under,
    /// The over-report rate min(1, max(0, 1/ρ − 1)), decreasing in ρ.
    Over,
    /// The error rate min(1, |1 − 1/ρ|).
    Error,
    /// The accuracy 1 − the error rate.
    Accuracy,
}

fn under(r: f64) -> f64 {
    if r <= 1.0 { 0.0 } else { 1.0 - 1.0 / r }
}

/// The over-report rate (X − F)/F, at most 1: a claim more than twice what
/// was found, or one where nothing was found, counts as 100% (SCORING.md §3).
fn over(r: f64) -> f64 {
    if r >= 1.0 {
        0.0
    } else if r <= 0.5 {
        1.0
    } else {
        1.0 / r - 1.0
    }
}

fn flip(s: Side) -> Side {
    match s {
        Side::Lower => Side::Upper,
        Side::Upper => Side::Lower,
    }
}

/// A measure with sampling error: its pivot and how it follows from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounded {
    pub pivot: Pivot,
    pub transform: Transform,
}

impl Bounded {
    pub fn value(&self) -> f64 {
        let r = self.pivot.estimate();
        match self.transform {
            Transform::Identity => r,
            Transform::Linear(a, b) => a + b * r,
            Transform::Under => under(r),
            Transform::Over => over(r),
            Transform::Error => under(r).max(over(r)),
            Transform::Accuracy => 1.0 - under(r).max(over(r)),
        }
    }

    /// The one-sided bound at `level` (SCORING.md §6.4). The error rate's
    /// lower bound is the larger of the under- and over-report rates' lower
    /// bounds; its upper bound comes from the two-sided interval of ρ, so
    /// that it holds at `level` whichever way the county errs.
    pub fn bound(&self, level: f64, side: Side) -> f64 {
        let p = |s: Side| self.pivot.bound(level, s);
        match self.transform {
            Transform::Identity => p(side),
            Transform::Linear(a, b) => a + b * p(side),
            Transform::Under => under(p(side)),
            Transform::Over => over(p(flip(side))),
            Transform::Error | Transform::Accuracy => {
                let err = match (self.transform, side) {
                    (Transform::Error, Side::Lower) | (Transform::Accuracy, Side::Upper) => {
                        under(p(Side::Lower)).max(over(p(Side::Upper)))
                    }
                    _ => {
                        let (lo, hi) = self.pivot.interval(level);
                        under(hi).max(over(lo))
                    }
                };
                if self.transform == Transform::Accuracy { 1.0 - err } else { err }
            }
        }
    }

    /// The two-sided interval at `level`.
    pub fn interval(&self, level: f64) -> (f64, f64) {
        let one = 0.5 + level / 2.0;
        match self.transform {
            Transform::Error => (self.bound(one, Side::Lower), self.bound(level, Side::Upper)),
            Transform::Accuracy => (self.bound(level, Side::Lower), self.bound(one, Side::Upper)),
            _ => (self.bound(one, Side::Lower), self.bound(one, Side::Upper)),
        }
    }

    /// The risk of a verdict that the measure is beyond `line` on `side`
    /// (above it for `Side::Lower`: the lower bound must pass the line): the
    /// smallest α for which the one-sided bound at 1 − α still passes it. It
    /// is the one-sided p-value of the test against the line; 0.5 or more
    /// means the estimate itself does not pass it.
    pub fn risk(&self, line: f64, side: Side) -> f64 {
        let passes = |level: f64| {
            let b = self.bound(level, side);
            match side {
                Side::Lower => b > line,
                Side::Upper => b < line,
            }
        };
        if !passes(0.5) {
            return 0.5;
        }
        let (mut lo, mut hi) = (0.5f64, 1.0f64);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if passes(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        1.0 - lo
    }
}

/// One field's estimates for a county, kept for explanations.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldEstimate {
    pub field: String,
    pub reported_total: f64,
    /// The estimate of the true total: the ratio estimate over the reported
    /// villages plus the Horvitz–Thompson total of villages the report left
    /// out (the Horvitz–Thompson total of all when nothing was reported).
    pub verified: Estimate,
    /// Found over reported (None when nothing was reported in the sample).
    pub ratio: Option<Estimate>,
    pub ht: Estimate,
    /// Weighted sums over the villages with both a report and a finding.
    pub found_weighted: f64,
    pub reported_weighted: f64,
    /// Villages used: code, weight (after any nonresponse adjustment),
    /// reported (None: left out of the report), found.
    pub villages: Vec<(String, f64, Option<f64>, f64)>,
}

/// A county's measures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measures {
    pub values: BTreeMap<String, f64>,
    /// The measures with sampling error, by name.
    pub bounded: BTreeMap<String, Bounded>,
    /// The confidence of every interval and bound.
    pub level: f64,
    pub fields: BTreeMap<String, FieldEstimate>,
    /// Yes/no fields: the found rate with its interval.
    pub rates: BTreeMap<String, Proportion>,
    /// Sampled villages without accepted findings.
    pub missing_findings: Vec<String>,
    /// Sampled villages the self-report has no row for.
    pub missing_reports: Vec<String>,
    /// Sampled villages whose weight went to others of their cell because
    /// their findings are missing (`missing_findings = "reweight"`).
    pub reweighted: Vec<String>,
    /// Household fields: their estimates, villages and contradicting
    /// households (SCORING.md §11).
    pub households: BTreeMap<String, super::households::HouseholdEstimate>,
    /// Sampled villages without household findings, with a household stage.
    pub missing_households: Vec<String>,
}

impl Measures {
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied()
    }

    pub(super) fn put(&mut self, k: impl Into<String>, v: f64) {
        // No NaN or infinity reaches an output.
        self.values.insert(k.into(), if v.is_finite() { v } else { 0.0 });
    }

    /// Records a measure with sampling error: its value, two-sided
    /// interval (`_lo`, `_hi`) and one-sided bounds (`_lcb`, `_ucb`). A
    /// bound that does not exist (an over-report rate when the sample
    /// cannot rule out that nothing exists) is left out, never made finite.
    pub(super) fn put_bounded(&mut self, name: &str, b: Bounded) {
        let level = self.level;
        let (lo, hi) = b.interval(level);
        let v = b.value();
        // A rate held at its limit by the interval of ρ (an over-report rate of
        // 0 when the whole interval lies above 1) has no two-sided interval
        // to show: its one-sided bounds say it.
        let collapsed = lo == hi;
        for (suffix, x) in [
            ("", v),
            ("_lo", if collapsed { f64::NAN } else { lo }),
            ("_hi", if collapsed { f64::NAN } else { hi }),
            ("_lcb", b.bound(level, Side::Lower)),
            ("_ucb", b.bound(level, Side::Upper)),
        ] {
            if x.is_finite() {
                self.values.insert(format!("{name}{suffix}"), x);
            }
        }
        self.bounded.insert(name.to_string(), b);
    }
}

pub use crate::rules::scoring::measure_names;

fn num(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::number)
}

/// The nonresponse cell of a sampled village: its PSU when the PSU is a unit
/// above the village (a township), else its variance stratum.
fn cell(s: &Sampled) -> (&str, &str) {
    if s.psu == s.code { (s.stratum.as_str(), "") } else { (s.stratum.as_str(), s.psu.as_str()) }
}

/// Weights after the nonresponse adjustment (SCORING.md §1.1): in each
/// cell the villages with a value carry the weight of those without; a cell
/// with none passes its weight to the rest of its stratum, and a stratum
/// with none to the rest of the county, in proportion to their weights.
pub(super) fn reweight(sampled: &[&Sampled], has: &dyn Fn(&Sampled) -> bool) -> Vec<f64> {
    let mut cells: BTreeMap<(&str, &str), (f64, f64)> = BTreeMap::new();
    for s in sampled {
        let e = cells.entry(cell(s)).or_default();
        e.0 += s.w;
        if has(s) {
            e.1 += s.w;
        }
    }
    let mut adj: Vec<f64> = sampled
        .iter()
        .map(|s| {
            let (all, resp) = cells[&cell(s)];
            if has(s) { s.w * all / resp } else { 0.0 }
        })
        .collect();
    let mut orphaned: BTreeMap<&str, f64> = BTreeMap::new();
    for ((h, _), (all, resp)) in &cells {
        if *resp == 0.0 {
            *orphaned.entry(h).or_default() += all;
        }
    }
    let mut county_orphaned = 0.0;
    for (h, extra) in orphaned {
        let idx: Vec<usize> = (0..sampled.len()).filter(|&i| sampled[i].stratum == h).collect();
        let carried: f64 = idx.iter().map(|&i| adj[i]).sum();
        if carried > 0.0 {
            for i in idx {
                adj[i] *= (carried + extra) / carried;
            }
        } else {
            county_orphaned += extra;
        }
    }
    let total: f64 = adj.iter().sum();
    if county_orphaned > 0.0 && total > 0.0 {
        for a in &mut adj {
            *a *= (total + county_orphaned) / total;
        }
    }
    adj
}

/// Computes every measure of a county (SCORING.md §3).
pub fn measure(rules: &Rules, c: &CountyInput, level: f64) -> Result<Measures, LonelyStratum> {
    let s = Settings { level, lonely: rules.scoring.lonely_psu };
    let policy = rules.scoring.missing_findings;
    let mut m = Measures { level, ..Measures::default() };
    m.missing_findings = c.sampled.iter().filter(|s| s.found.is_none()).map(|s| s.code.clone()).collect();
    m.missing_reports = c.sampled.iter().filter(|s| s.reported.is_none()).map(|s| s.code.clone()).collect();
    m.put("sampled", c.sampled.len() as f64);
    m.put("findings_missing", m.missing_findings.len() as f64);
    m.put("reports_missing", m.missing_reports.len() as f64);
    m.put("report_submitted", f64::from(u8::from(c.report_submitted)));
    let omitted =
        if c.report_submitted { c.villages.saturating_sub(c.reported_villages) } else { c.villages };
    m.put("omitted_villages", omitted as f64);
    let all: Vec<&Sampled> = c.sampled.iter().collect();
    let mut reweighted = std::collections::BTreeSet::new();

    for f in rules.inspection.fields.iter().filter(|f| f.level != crate::rules::FieldLevel::Household) {
        let value = |s: &Sampled| num(s.found.as_ref().and_then(|v| v.get(&f.id)));
        let has = |s: &Sampled| value(s).is_some();
        if !all.iter().any(|s| has(s)) {
            // Nothing found to measure: the indicators that need this field
            // get no value (and no points), never a perfect score by default.
            continue;
        }
        // The villages in the estimate, with their weights: under
        // "reweight", those with a value carry the others of their cell;
        // under "worst", a missing value counts as 0 (否).
        let (weights, found): (Vec<f64>, Vec<f64>) = match policy {
            MissingFindings::Reweight => {
                let w = reweight(&all, &has);
                (w, all.iter().map(|s| value(s).unwrap_or(0.0)).collect())
            }
            MissingFindings::Worst => {
                (all.iter().map(|s| s.w).collect(), all.iter().map(|s| value(s).unwrap_or(0.0)).collect())
            }
        };
        let used: Vec<usize> = (0..all.len())
            .filter(|&i| policy == MissingFindings::Worst || has(all[i]))
            .filter(|&i| weights[i] > 0.0)
            .collect();
        if policy == MissingFindings::Reweight {
            reweighted.extend(all.iter().filter(|s| !has(s)).map(|s| s.code.clone()));
        }
        let reported_of = |s: &Sampled| s.reported.as_ref().map(|v| num(v.get(&f.id)).unwrap_or(0.0));
        let obs_of =
            |i: usize, x: f64| Obs::new(all[i].stratum.clone(), all[i].psu.clone(), weights[i], found[i], x);
        // Villages with a report row are compared; the others are the
        // county's left-out villages (SCORING.md §1.2).
        let paired: Vec<Obs> =
            used.iter().filter_map(|&i| reported_of(all[i]).map(|x| obs_of(i, x))).collect();
        let left_out: Vec<Obs> =
            used.iter().filter(|&&i| all[i].reported.is_none()).map(|&i| obs_of(i, 0.0)).collect();
        let every: Vec<Obs> = used.iter().map(|&i| obs_of(i, reported_of(all[i]).unwrap_or(0.0))).collect();
        let id = &f.id;
        match (f.kind, f.reported) {
            (Kind::Count | Kind::Amount, true) => {
                let counts = f.kind == Kind::Count;
                let ht = estimate::total(&every, &s, counts)?;
                let rt = c.reported_totals.get(id).copied().unwrap_or(0.0);
                let (fw, xw) = paired.iter().fold((0.0, 0.0), |(a, b), o| (a + o.w * o.y, b + o.w * o.x));
                let (fs, xs) = paired.iter().fold((0.0, 0.0), |(a, b), o| (a + o.y, b + o.x));
                let ratio = estimate::ratio(&paired, &s)?;
                let omitted_ht = estimate::total(&left_out, &s, counts)?;
                let (verified, verified_b) = verified_total(&paired, &left_out, ratio.as_ref(), rt, &ht, &s)?;
                m.put(format!("{id}_reported"), rt);
                m.put(format!("{id}_found_weighted"), fw);
                m.put(format!("{id}_reported_weighted"), xw);
                m.put(format!("{id}_found_sample"), fs);
                m.put(format!("{id}_reported_sample"), xs);
                m.put(format!("{id}_found_omitted"), left_out.iter().map(|o| o.y).sum());
                m.put(format!("{id}_omitted_ht"), omitted_ht.value);
                m.put(format!("{id}_df"), ht.df as f64);
                m.put(format!("{id}_verified_se"), verified.se);
                m.put(format!("{id}_ht_se"), ht.se);
                m.put_bounded(
                    &format!("{id}_ht"),
                    Bounded { pivot: ht.pivot.clone(), transform: Transform::Identity },
                );
                m.put_bounded(&format!("{id}_verified"), verified_b);
                let (uc, oc) = paired
                    .iter()
                    .fold((0.0, 0.0), |(u, v), o| (u + (o.y - o.x).max(0.0), v + (o.x - o.y).max(0.0)));
                m.put(format!("{id}_under_cases"), uc);
                m.put(format!("{id}_over_cases"), oc);
                match &ratio {
                    Some(r) => {
                        m.put(format!("{id}_ratio_se"), r.se);
                        for (k, t) in [
                            ("ratio", Transform::Identity),
                            ("accuracy", Transform::Accuracy),
                            ("error_rate", Transform::Error),
                            ("under_rate", Transform::Under),
                            ("over_rate", Transform::Over),
                        ] {
                            m.put_bounded(
                                &format!("{id}_{k}"),
                                Bounded { pivot: r.pivot.clone(), transform: t },
                            );
                        }
                        m.put(format!("{id}_p_under"), estimate::ratio_p(&paired, r, Side::Upper));
                        m.put(format!("{id}_p_over"), estimate::ratio_p(&paired, r, Side::Lower));
                    }
                    None => {
                        // Nothing reported for the compared villages: any
                        // case found is unreported (SCORING.md §3.1).
                        let any = fw > 0.0;
                        m.put(format!("{id}_ratio"), 0.0);
                        m.put(format!("{id}_accuracy"), if any { 0.0 } else { 1.0 });
                        m.put(format!("{id}_error_rate"), if any { 1.0 } else { 0.0 });
                        m.put(format!("{id}_under_rate"), if any { 1.0 } else { 0.0 });
                        m.put(format!("{id}_over_rate"), 0.0);
                        let up = paired.iter().filter(|o| o.y > o.x).count() as u64;
                        m.put(format!("{id}_p_under"), estimate::sign_test(up, 0));
                        m.put(format!("{id}_p_over"), 1.0);
                    }
                }
                let villages = used
                    .iter()
                    .map(|&i| (all[i].code.clone(), weights[i], reported_of(all[i]), found[i]))
                    .collect();
                m.fields.insert(
                    id.clone(),
                    FieldEstimate {
                        field: id.clone(),
                        reported_total: rt,
                        verified,
                        ratio,
                        ht,
                        found_weighted: fw,
                        reported_weighted: xw,
                        villages,
                    },
                );
            }
            (Kind::Count | Kind::Amount, false) => {
                let ht = estimate::total(&every, &s, f.kind == Kind::Count)?;
                m.put(format!("{id}_found_sample"), every.iter().map(|o| o.y).sum());
                m.put(format!("{id}_ht_se"), ht.se);
                m.put(format!("{id}_df"), ht.df as f64);
                m.put_bounded(
                    &format!("{id}_ht"),
                    Bounded { pivot: ht.pivot, transform: Transform::Identity },
                );
            }
            (Kind::YesNo, rep) => {
                let Some(prop) = estimate::proportion(&every, &s, rules.scoring.proportion_interval)? else {
                    continue;
                };
                if rep {
                    let tw: f64 = paired.iter().map(|o| o.w).sum();
                    let reported_rate =
                        if tw > 0.0 { paired.iter().map(|o| o.w * o.x).sum::<f64>() / tw } else { 0.0 };
                    m.put(format!("{id}_reported_rate"), reported_rate);
                    // Over-claimed: reported "yes" more often than found,
                    // paired village by village (SCORING.md §6.5).
                    m.put(format!("{id}_p_over"), estimate::paired_p(&paired, &s, Side::Lower)?);
                }
                m.put(format!("{id}_found_no"), every.iter().filter(|o| o.y < 0.5).count() as f64);
                m.put(format!("{id}_found_yes"), every.iter().filter(|o| o.y >= 0.5).count() as f64);
                m.put(format!("{id}_df"), prop.df as f64);
                m.put_bounded(
                    &format!("{id}_found_rate"),
                    Bounded { pivot: prop.pivot.clone(), transform: Transform::Identity },
                );
                if rules.scoring.proportion_interval == estimate::PropMethod::Wilson {
                    // Wilson is a two-sided interval of its own.
                    m.put(format!("{id}_found_rate_lo"), prop.lo);
                    m.put(format!("{id}_found_rate_hi"), prop.hi);
                }
                m.rates.insert(id.clone(), prop);
            }
            _ => {}
        }
    }
    m.reweighted = reweighted.into_iter().collect();
    super::households::measure(rules, &c.sampled, &s, &mut m)?;
    Ok(m)
}

/// The verified total: R·ρ̂ over the reported villages plus the HT total of
/// the left-out ones, with the variance of the sum (one linearised score
/// per village); without a reported figure in the sample, the HT total.
/// Where the design gives no usable variance, the ratio's exact bound is
/// mapped through R·ρ plus the left-out villages' total.
fn verified_total(
    paired: &[Obs],
    left_out: &[Obs],
    ratio: Option<&Estimate>,
    rt: f64,
    ht: &Estimate,
    s: &Settings,
) -> Result<(Estimate, Bounded), LonelyStratum> {
    let Some(r) = ratio else {
        return Ok((ht.clone(), Bounded { pivot: ht.pivot.clone(), transform: Transform::Identity }));
    };
    let tx: f64 = paired.iter().map(|o| o.w * o.x).sum();
    let om: f64 = left_out.iter().map(|o| o.w * o.y).sum();
    let scores: Vec<Obs> = paired
        .iter()
        .map(|o| Obs { y: rt * o.w * (o.y - r.value * o.x) / tx, ..o.clone() })
        .chain(left_out.iter().map(|o| Obs { y: o.w * o.y, ..o.clone() }))
        .collect();
    let var = estimate::variance(&scores, |o| o.y, s.lonely)?;
    let value = rt * r.value + om;
    let se = var.v.unwrap_or(0.0).max(0.0).sqrt();
    let b = if r.pivot.design_based() && se > 0.0 && var.df > 0 {
        Bounded { pivot: Pivot::T { est: value, se, df: var.df }, transform: Transform::Identity }
    } else {
        Bounded { pivot: r.pivot.clone(), transform: Transform::Linear(om, rt) }
    };
    let (lo, hi) = b.interval(s.level);
    let e = Estimate {
        value,
        se,
        lo,
        hi,
        lcb: b.bound(s.level, Side::Lower),
        ucb: b.bound(s.level, Side::Upper),
        n: paired.len() + left_out.len(),
        psus: var.psus,
        df: var.df,
        lonely: var.lonely,
        pivot: b.pivot.clone(),
    };
    Ok((e, b))
}

impl super::points::Lookup for Measures {
    fn value(&self, name: &str) -> Option<f64> {
        self.get(name)
    }

    fn bound(&self, name: &str, side: Side) -> Option<f64> {
        match self.bounded.get(name) {
            Some(b) => Some(b.bound(self.level, side)),
            None => self.get(name),
        }
    }

    fn risk(&self, name: &str, line: f64, side: Side) -> Option<f64> {
        match self.bounded.get(name) {
            Some(b) => Some(b.risk(line, side)),
            None => self.get(name).map(|_| 0.0),
        }
    }

    fn level(&self) -> Option<f64> {
        Some(self.level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() < tol
    }

    fn all_close(got: &[f64], want: &[f64], tol: f64) {
        assert!(got.len() == want.len() && got.iter().zip(want).all(|(a, b)| close(*a, *b, tol)), "{got:?}");
    }

    /// ρ = est ± t(10) · 0.1. Quantiles of t with 10 degrees of freedom
    /// from the printed tables: t(0.95) = 1.8124611, t(0.975) = 2.2281389.
    fn rho(est: f64, transform: Transform) -> Bounded {
        Bounded { pivot: Pivot::T { est, se: 0.1, df: 10 }, transform }
    }

    const T95: f64 = 1.812_461_122_8;
    const T975: f64 = 2.228_138_852;

    #[test]
    fn the_rates_follow_from_the_ratio_of_found_to_reported() {
        let at = |r: f64, t: Transform| rho(r, t).value();
        // A quarter more found than reported: a fifth of the truth went unreported.
        assert!(close(at(1.25, Transform::Under), 0.2, 1e-12));
        assert_eq!(at(1.25, Transform::Over), 0.0);
        assert!(close(at(1.25, Transform::Error), 0.2, 1e-12));
        assert!(close(at(1.25, Transform::Accuracy), 0.8, 1e-12));
        // A fifth less found: the claim was a quarter over what exists.
        assert!(close(at(0.8, Transform::Over), 0.25, 1e-12));
        assert_eq!(at(0.8, Transform::Under), 0.0);
        assert!(close(at(0.8, Transform::Error), 0.25, 1e-12));
        // Twice what was found or more counts as 100%.
        assert_eq!(at(0.5, Transform::Over), 1.0);
        assert_eq!(at(0.4, Transform::Over), 1.0);
        assert!(close(at(0.51, Transform::Over), 1.0 / 0.51 - 1.0, 1e-12));
        assert_eq!((at(1.0, Transform::Under), at(1.0, Transform::Over)), (0.0, 0.0));
        assert_eq!(at(1.1, Transform::Linear(100.0, 50.0)), 155.0);
    }

    #[test]
    fn each_rate_takes_its_bounds_from_the_side_of_the_ratio_that_makes_it_larger_or_smaller() {
        let (lo, hi) = (1.2 - T95 * 0.1, 1.2 + T95 * 0.1);
        let b = |t: Transform, side: Side| rho(1.2, t).bound(0.95, side);
        assert!(close(b(Transform::Identity, Side::Lower), lo, 1e-7));
        assert!(close(b(Transform::Identity, Side::Upper), hi, 1e-7));
        assert!(close(b(Transform::Linear(100.0, 50.0), Side::Lower), 100.0 + 50.0 * lo, 1e-5));
        assert!(close(b(Transform::Under, Side::Lower), 1.0 - 1.0 / lo, 1e-7));
        assert!(close(b(Transform::Under, Side::Upper), 1.0 - 1.0 / hi, 1e-7));
        // The over-report rate falls as ρ rises: its upper bound is at ρ's lower.
        let lo = 0.9 - T95 * 0.1;
        let b = |t: Transform, side: Side| rho(0.9, t).bound(0.95, side);
        assert!(close(b(Transform::Over, Side::Upper), 1.0 / lo - 1.0, 1e-7));
        assert_eq!(b(Transform::Over, Side::Lower), 0.0);
        // The error rate: its lower bound is the larger of the two rates'
        // lower bounds (both 0 here, ρ's interval holding 1); its upper
        // bound comes from ρ's two-sided interval, whichever way the county errs.
        let (lo2, hi2) = (0.9 - T975 * 0.1, 0.9 + T975 * 0.1);
        let worst = (1.0 / lo2 - 1.0).max(1.0 - 1.0 / hi2);
        assert_eq!(b(Transform::Error, Side::Lower), 0.0);
        assert!(close(b(Transform::Error, Side::Upper), worst, 1e-7));
        assert!(close(b(Transform::Accuracy, Side::Lower), 1.0 - worst, 1e-7));
        assert_eq!(b(Transform::Accuracy, Side::Upper), 1.0);
        // Its two-sided interval: the lower end at (1 + 0.95) / 2, the upper at 0.95.
        let e = rho(1.5, Transform::Error);
        let (l, h) = e.interval(0.95);
        assert!(close(l, 1.0 - 1.0 / (1.5 - T975 * 0.1), 1e-7), "{l}");
        assert!(close(h, e.bound(0.95, Side::Upper), 1e-12));
        assert!(h > l);
        let a = rho(1.5, Transform::Accuracy);
        let (l, h) = a.interval(0.95);
        assert!(close(l, 1.0 - e.bound(0.95, Side::Upper), 1e-12));
        assert!(close(h, 1.0 - (1.0 - 1.0 / (1.5 - T975 * 0.1)), 1e-7));
        let (l, h) = rho(1.5, Transform::Identity).interval(0.95);
        assert!(close(l, 1.5 - T975 * 0.1, 1e-7) && close(h, 1.5 + T975 * 0.1, 1e-7));
    }

    #[test]
    fn the_risk_of_a_verdict_is_its_one_sided_p_value() {
        // (1.2 − 1.0) / 0.1 = 2 standard errors; P(t₁₀ > 2) = 0.0366940
        // (R: pt(2, 10, lower.tail = FALSE)).
        let r = rho(1.2, Transform::Identity);
        assert!(close(r.risk(1.0, Side::Lower), 0.036_694_017, 1e-7), "{}", r.risk(1.0, Side::Lower));
        assert!(close(r.risk(1.4, Side::Upper), 0.036_694_017, 1e-7));
        // An estimate at or short of the line: 0.5.
        assert_eq!(r.risk(1.2, Side::Lower), 0.5);
        assert_eq!(r.risk(1.3, Side::Lower), 0.5);
        assert_eq!(r.risk(1.1, Side::Upper), 0.5);
        // Further from the line, less risk.
        assert!(r.risk(0.9, Side::Lower) < r.risk(1.0, Side::Lower));
    }

    fn village(code: &str, stratum: &str, psu: &str, w: f64) -> Sampled {
        Sampled {
            code: code.into(),
            name: code.into(),
            stratum: stratum.into(),
            psu: psu.into(),
            w,
            reported: None,
            found: None,
            households: None,
            listed: true,
        }
    }

    #[test]
    fn missing_findings_pass_their_weight_to_their_cell_then_stratum_then_county() {
        // The weights of villages (code, stratum, PSU, weight) when only
        // those named in `found` have findings.
        let weights = |vs: &[(&str, &str, &str, f64)], found: &dyn Fn(&str) -> bool| {
            let vs: Vec<Sampled> = vs.iter().map(|&(c, h, p, w)| village(c, h, p, w)).collect();
            reweight(&vs.iter().collect::<Vec<_>>(), &|s| found(&s.code))
        };
        let layout = [
            ("v1", "A", "P1", 2.0),
            ("v2", "A", "P1", 3.0),
            ("v3", "A", "P2", 5.0),
            ("v5", "A", "P4", 1.0),
            ("v4", "B", "P3", 4.0),
        ];
        let w = weights(&layout, &|c| c == "v1" || c == "v5");
        // v1 carries its cell (5); P2 has no finding, so its 5 go to the
        // rest of A in proportion (5 and 1 → ×11/6); B has none, so its 4
        // go to the whole county (×15/11).
        all_close(&w, &[12.5, 0.0, 0.0, 2.5, 0.0], 1e-12);
        assert!(close(w.iter().sum::<f64>(), 15.0, 1e-12));
        // Everyone found: the weights as they were; no one: nothing to carry.
        assert_eq!(weights(&layout, &|_| true), vec![2.0, 3.0, 5.0, 1.0, 4.0]);
        assert_eq!(weights(&layout, &|_| false), vec![0.0; 5]);
        // A stratum's orphaned cell goes to its own stratum only; a stratum
        // with no finding at all goes to every village of the county.
        let layout =
            [("a1", "A", "P1", 2.0), ("a2", "A", "P2", 4.0), ("b1", "B", "P3", 3.0), ("c1", "C", "P5", 5.0)];
        let w = weights(&layout, &|c| c == "a1" || c == "b1");
        all_close(&w, &[6.0 * 14.0 / 9.0, 0.0, 3.0 * 14.0 / 9.0, 0.0], 1e-12);
    }

    #[test]
    fn a_measure_keeps_only_the_bounds_that_exist() {
        let mut m = Measures { level: 0.95, ..Measures::default() };
        m.put_bounded("x", rho(1.2, Transform::Identity));
        let names: Vec<&str> = m.values.keys().map(String::as_str).collect();
        assert_eq!(names, ["x", "x_hi", "x_lcb", "x_lo", "x_ucb"]);
        assert!(close(m.values["x_lo"], 1.2 - T975 * 0.1, 1e-7));
        assert!(close(m.values["x_ucb"], 1.2 + T95 * 0.1, 1e-7));
        // An over-report rate held at 0 by ρ's whole interval above 1 has
        // no two-sided interval to show.
        m.put_bounded("o", rho(2.0, Transform::Over));
        assert!(
            m.values.contains_key("o_lcb")
                && !m.values.contains_key("o_lo")
                && !m.values.contains_key("o_hi")
        );
        // An amount with nothing found has no upper bound: left out, not made finite.
        m.put_bounded(
            "a",
            Bounded { pivot: Pivot::Amount { est: 0.0, n: 5 }, transform: Transform::Identity },
        );
        assert!(m.values.contains_key("a_lcb") && !m.values.contains_key("a_ucb"));
        m.put("nan", f64::NAN);
        assert_eq!(m.get("nan"), Some(0.0));
        assert!(m.bounded.contains_key("o"));
    }

    /// Reported figures: births and the service room.
    fn row(births: u64, room: bool) -> Option<BTreeMap<String, Value>> {
        Some(BTreeMap::from([
            ("births".to_string(), Value::Count(births)),
            ("service_room".to_string(), Value::YesNo(room)),
        ]))
    }

    /// Found: the same, with complaints (a field no report gives).
    fn found(births: u64, room: bool, complaints: u64) -> Option<BTreeMap<String, Value>> {
        let mut r = row(births, room);
        r.as_mut().map(|r| r.insert("complaints".to_string(), Value::Count(complaints)));
        r
    }

    /// A sampled village of weight 10 in the county's one stratum.
    fn at(
        code: &str,
        psu: &str,
        reported: Option<BTreeMap<String, Value>>,
        found: Option<BTreeMap<String, Value>>,
    ) -> Sampled {
        Sampled { reported, found, listed: false, ..village(code, "S", psu, 10.0) }
    }

    /// The shipped campaign's rules and a county of five sampled villages
    /// in two townships, worked by hand in the tests below.
    fn county() -> (Rules, CountyInput) {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/cangzhou-2008-face-to-face.toml");
        let rules = crate::rules::load(&path, "rules.toml").unwrap();
        let c = CountyInput {
            code: "C".into(),
            name: "C".into(),
            reported_totals: BTreeMap::from([("births".to_string(), 100.0)]),
            report_submitted: true,
            villages: 40,
            reported_villages: 36,
            sampled: vec![
                at("v1", "T1", row(5, true), found(6, true, 1)),
                at("v2", "T1", row(3, true), found(4, true, 0)),
                at("v3", "T2", row(6, false), found(5, false, 2)),
                // Left out of the report.
                at("v4", "T2", None, found(2, true, 0)),
                // No findings: v3 and v4, of its township, carry its weight (15 each).
                at("v5", "T2", row(3, true), None),
            ],
        };
        (rules, c)
    }

    #[test]
    fn a_countys_measures_from_its_sampled_villages() {
        let (rules, c) = county();
        let m = measure(&rules, &c, 0.95).unwrap();
        let get = |k: &str| m.get(k).unwrap_or_else(|| panic!("no {k}"));
        assert_eq!(
            (m.missing_findings.clone(), m.missing_reports.clone()),
            (vec!["v5".to_string()], vec!["v4".to_string()])
        );
        assert_eq!(m.reweighted, ["v5"]);
        for (k, v) in [
            ("sampled", 5.0),
            ("findings_missing", 1.0),
            ("reports_missing", 1.0),
            ("report_submitted", 1.0),
            ("omitted_villages", 4.0),
            ("births_reported", 100.0),
            ("births_found_weighted", 175.0),
            ("births_reported_weighted", 170.0),
            ("births_found_sample", 15.0),
            ("births_reported_sample", 14.0),
            ("births_found_omitted", 2.0),
            ("births_omitted_ht", 30.0),
            ("births_under_cases", 2.0),
            ("births_over_cases", 1.0),
            ("births_over_rate", 0.0),
            ("service_room_found_no", 1.0),
            ("service_room_found_yes", 3.0),
            // Reported yes by v1 and v2 (20 of 35 in weight), no by v3.
            ("service_room_reported_rate", 20.0 / 35.0),
        ] {
            assert!(close(get(k), v, 1e-9), "{k}: {} against {v}", get(k));
        }
        // ρ = 175 / 170; the verified total is the report times ρ plus the
        // left-out village's HT total; the verified total is over four villages.
        let rho = 175.0 / 170.0;
        assert!(close(get("births_ratio"), rho, 1e-12));
        assert!(close(get("births_verified"), 100.0 * rho + 30.0, 1e-9));
        assert!(close(get("births_under_rate"), 1.0 - 1.0 / rho, 1e-12));
        assert!(close(get("births_error_rate"), 1.0 - 1.0 / rho, 1e-12));
        assert!(close(get("births_accuracy"), 1.0 / rho, 1e-12));
        assert_eq!(m.fields["births"].verified.n, 4);
        // 35 of 50 in weight said yes.
        assert!(close(get("service_room_found_rate"), 0.7, 1e-12));
        // A field only found: its sample sum and HT total (10 × 1 + 15 × 2).
        assert_eq!((get("complaints_found_sample"), get("complaints_ht")), (3.0, 40.0));
        assert!(!m.values.contains_key("complaints_ratio"));
        // The verified total's standard error, from one linearised score a
        // village (rt·w·(y − ρx)/Σwx for the compared, w·y for the left out)
        // summed by township: 10.3806228 and 19.6193772, so with two
        // townships the standard error is their difference, 9.2387543, on 1
        // df (t(0.95; 1) = 6.3137515 from the tables).
        let se = 19.619_377_2 - 10.380_622_8;
        assert!(close(get("births_verified_se"), se, 1e-6), "{}", get("births_verified_se"));
        let lcb = 100.0 * rho + 30.0 - 6.313_751_5 * se;
        assert!(close(get("births_verified_lcb"), lcb, 1e-5), "{}", get("births_verified_lcb"));
        // What points read: the measures, a bounded one's bound and risk at
        // the campaign's confidence, an unbounded one's value and no risk.
        use super::super::points::Lookup;
        let b = &m.bounded["births_ratio"];
        assert_eq!(Lookup::value(&m, "births_ratio"), Some(rho));
        assert_eq!(Lookup::bound(&m, "births_ratio", Side::Upper), Some(b.bound(0.95, Side::Upper)));
        assert_eq!(Lookup::risk(&m, "births_ratio", 1.2, Side::Upper), Some(b.risk(1.2, Side::Upper)));
        assert!(Lookup::risk(&m, "births_ratio", 1.2, Side::Upper).is_some_and(|r| r > 0.0 && r < 0.5));
        assert_eq!(Lookup::bound(&m, "sampled", Side::Lower), Some(5.0));
        assert_eq!(Lookup::risk(&m, "sampled", 1.0, Side::Lower), Some(0.0));
        assert_eq!(
            (Lookup::value(&m, "nothing"), Lookup::risk(&m, "nothing", 1.0, Side::Lower)),
            (None, None)
        );
        assert_eq!(Lookup::level(&m), Some(0.95));
        // Bounds at the campaign's confidence.
        assert_eq!(m.level, 0.95);
        assert!(get("births_ratio_lcb") < rho && get("births_ratio_ucb") > rho);
    }

    #[test]
    fn under_worst_a_village_without_findings_counts_as_nothing_found() {
        // Under "worst", the village without findings counts, as 0 and 否,
        // at its own weight: ρ = 150 / 170, v5's 3 reported over-reported.
        let (mut worst, c) = county();
        worst.scoring.missing_findings = MissingFindings::Worst;
        let m = measure(&worst, &c, 0.95).unwrap();
        let get = |k: &str| m.get(k).unwrap_or_else(|| panic!("no {k}"));
        assert!(close(get("births_ratio"), 150.0 / 170.0, 1e-12));
        assert_eq!((get("births_over_cases"), get("births_omitted_ht")), (4.0, 20.0));
        assert_eq!((get("service_room_found_no"), get("service_room_found_rate")), (2.0, 0.6));
        assert!(m.reweighted.is_empty());
    }

    #[test]
    fn nothing_reported_in_the_compared_villages_makes_every_case_unreported() {
        let (rules, c) = county();
        // Nothing reported in the compared villages: every case found is
        // unreported, and the sign test has all three against the report.
        let nil = |found_births: u64| CountyInput {
            sampled: ["v1", "v2", "v3"]
                .iter()
                .map(|v| at(v, v, row(0, true), found(found_births, true, 0)))
                .collect(),
            ..c.clone()
        };
        let births = |m: &Measures, keys: &[&str]| -> Vec<f64> {
            keys.iter().map(|k| m.get(&format!("births_{k}")).unwrap()).collect()
        };
        let m = measure(&rules, &nil(2), 0.95).unwrap();
        let got =
            births(&m, &["ratio", "accuracy", "error_rate", "under_rate", "over_rate", "p_under", "p_over"]);
        all_close(&got, &[0.0, 0.0, 1.0, 1.0, 0.0, 0.125, 1.0], 1e-12);
        let m = measure(&rules, &nil(0), 0.95).unwrap();
        assert_eq!(births(&m, &["accuracy", "error_rate", "under_rate", "p_under"]), [1.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn a_count_with_no_usable_variance_takes_the_exact_poisson_bound() {
        let (rules, c) = county();
        // Two townships that found the same: no usable variance, so a count's
        // total takes the exact Poisson bound on the cases found, scaled by
        // the mean weight. The one-sided 95% upper bounds for 6 and 2 cases
        // are 11.8424 and 6.2958 (χ²(0.95; 14) / 2 and χ²(0.95; 6) / 2).
        let even = CountyInput {
            sampled: vec![
                at("v1", "T1", row(3, true), found(3, true, 1)),
                at("v2", "T2", row(3, true), found(3, true, 1)),
            ],
            ..c.clone()
        };
        let m = measure(&rules, &even, 0.95).unwrap();
        assert!(close(m.get("births_ht_ucb").unwrap(), 118.424, 1e-3), "{:?}", m.get("births_ht_ucb"));
        assert!(close(m.get("complaints_ht_ucb").unwrap(), 62.958, 1e-3), "{:?}", m.get("complaints_ht_ucb"));
        // The verified total then follows the ratio's exact bound through
        // R·ρ plus the left-out villages (none here).
        assert_eq!(m.get("births_verified_se"), Some(0.0));
        let ratio_lcb = m.get("births_ratio_lcb").unwrap();
        assert!(ratio_lcb < 1.0 && close(m.get("births_verified_lcb").unwrap(), 100.0 * ratio_lcb, 1e-9));
    }

    #[test]
    fn wilsons_interval_is_shown_as_its_own() {
        // Wilson's interval is shown as its own, not as two one-sided bounds.
        let (mut wilson, c) = county();
        wilson.scoring.proportion_interval = estimate::PropMethod::Wilson;
        let m = measure(&wilson, &c, 0.95).unwrap();
        let (lo, hi) = (m.rates["service_room"].lo, m.rates["service_room"].hi);
        assert_eq!(
            (m.get("service_room_found_rate_lo"), m.get("service_room_found_rate_hi")),
            (Some(lo), Some(hi))
        );
        assert_ne!(lo, m.bounded["service_room_found_rate"].interval(0.95).0);
    }
}
