//! The measures a county's indicators read, computed from its sampled
//! villages: reported and verified totals, accuracy and error rates, case
//! counts, proportions, credibility p-values. SCORING.md §3 defines each.

use std::collections::BTreeMap;

use statrs::distribution::{ContinuousCDF, Normal};

use super::estimate::{self, Estimate, Obs};
use crate::findings::values::Value;
use crate::plan::attribute::binomial_cdf;
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
    /// The county's self-report for the village, if any.
    pub reported: Option<BTreeMap<String, Value>>,
    /// The team's findings, if they have come in.
    pub found: Option<BTreeMap<String, Value>>,
}

/// A county's inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct CountyInput {
    pub code: String,
    pub name: String,
    /// Totals of each field over every village row of the county's report.
    pub reported_totals: BTreeMap<String, f64>,
    pub report_submitted: bool,
    pub sampled: Vec<Sampled>,
}

/// One field's estimates for a county, kept for explanations.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldEstimate {
    pub field: String,
    pub reported_total: f64,
    /// The ratio estimate of the true total (HT when nothing was reported).
    pub verified: Estimate,
    pub ht: Estimate,
    /// Weighted sums over the sample: found and reported.
    pub found_sample: f64,
    pub reported_sample: f64,
    /// Villages used: code, weight, reported (worst case 0 when missing), found.
    pub villages: Vec<(String, f64, f64, f64)>,
}

/// A county's measures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measures {
    pub values: BTreeMap<String, f64>,
    pub fields: BTreeMap<String, FieldEstimate>,
    pub missing_findings: Vec<String>,
    pub missing_reports: Vec<String>,
}

impl Measures {
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied()
    }
}

pub use crate::rules::scoring::measure_names;

fn num(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::number)
}

/// Computes every measure of a county at confidence `level`.
pub fn measure(rules: &Rules, c: &CountyInput, level: f64) -> Measures {
    let mut m = Measures::default();
    let with_findings: Vec<&Sampled> = c.sampled.iter().filter(|s| s.found.is_some()).collect();
    m.missing_findings = c.sampled.iter().filter(|s| s.found.is_none()).map(|s| s.code.clone()).collect();
    m.missing_reports = c.sampled.iter().filter(|s| s.reported.is_none()).map(|s| s.code.clone()).collect();
    let put = |m: &mut Measures, k: String, v: f64| {
        // No NaN or infinity reaches an output.
        m.values.insert(k, if v.is_finite() { v } else { 0.0 });
    };
    put(&mut m, "sampled".into(), c.sampled.len() as f64);
    let (nf, nr) = (m.missing_findings.len() as f64, m.missing_reports.len() as f64);
    put(&mut m, "findings_missing".into(), nf);
    put(&mut m, "reports_missing".into(), nr);
    put(&mut m, "report_submitted".into(), f64::from(u8::from(c.report_submitted)));
    let normal = Normal::new(0.0, 1.0).ok();

    for f in &rules.inspection.fields {
        // The villages with a finding for this field: a blank cell (an
        // optional field left empty) is missing, not zero or "no".
        let has = |s: &Sampled| s.found.as_ref().and_then(|v| v.get(&f.id)).and_then(Value::number).is_some();
        let present: Vec<&Sampled> = with_findings.iter().copied().filter(|s| has(s)).collect();
        if present.is_empty() {
            // Nothing found to measure: the indicators that need this field
            // get no value (and no points), never a perfect score by default.
            continue;
        }
        let obs =
            |reported_value: &dyn Fn(&Sampled) -> f64, found_value: &dyn Fn(&Sampled) -> f64| -> Vec<Obs> {
                present
                    .iter()
                    .map(|s| Obs {
                        stratum: s.stratum.clone(),
                        psu: s.psu.clone(),
                        w: s.w,
                        y: found_value(s),
                        x: reported_value(s),
                    })
                    .collect()
            };
        let found = |s: &Sampled| num(s.found.as_ref().and_then(|v| v.get(&f.id))).unwrap_or(0.0);
        // A missing self-report counts as the worst case: nothing reported.
        let reported = |s: &Sampled| num(s.reported.as_ref().and_then(|v| v.get(&f.id))).unwrap_or(0.0);
        match (f.kind, f.reported) {
            (Kind::Count | Kind::Amount, true) => {
                let o = obs(&reported, &found);
                let ht = estimate::total(&o, level);
                let rt = c.reported_totals.get(&f.id).copied().unwrap_or(0.0);
                let (fs, rs): (f64, f64) =
                    o.iter().fold((0.0, 0.0), |(a, b), x| (a + x.w * x.y, b + x.w * x.x));
                let ratio = estimate::ratio(&o, level);
                let verified = match &ratio {
                    Some(r) => Estimate {
                        value: rt * r.value,
                        se: rt * r.se,
                        lo: rt * r.lo,
                        hi: rt * r.hi,
                        ..r.clone()
                    },
                    None => ht.clone(),
                };
                let error = if fs > 0.0 {
                    (fs - rs).abs() / fs
                } else if rs > 0.0 {
                    1.0
                } else {
                    0.0
                };
                let under = if fs > 0.0 { (fs - rs).max(0.0) / fs } else { 0.0 };
                let over = if fs > 0.0 {
                    (rs - fs).max(0.0) / fs
                } else if rs > 0.0 {
                    1.0
                } else {
                    0.0
                };
                let (uc, oc) = o
                    .iter()
                    .fold((0.0, 0.0), |(u, v), x| (u + (x.y - x.x).max(0.0), v + (x.x - x.y).max(0.0)));
                // Credibility: z = (R̂ − 1) / SE(R̂); one-sided p-values.
                let (p_under, p_over) = match (&ratio, normal) {
                    (Some(r), Some(n)) if r.se > 0.0 => {
                        let z = (r.value - 1.0) / r.se;
                        (1.0 - n.cdf(z), n.cdf(z))
                    }
                    (Some(r), _) => {
                        (if r.value > 1.0 { 0.0 } else { 1.0 }, if r.value < 1.0 { 0.0 } else { 1.0 })
                    }
                    (None, _) => (if fs > 0.0 { 0.0 } else { 1.0 }, 1.0),
                };
                let id = &f.id;
                for (k, v) in [
                    ("reported", rt),
                    ("verified", verified.value),
                    ("verified_lo", verified.lo),
                    ("verified_hi", verified.hi),
                    ("ht", ht.value),
                    ("ratio", ratio.as_ref().map_or(0.0, |r| r.value)),
                    ("found_sample", fs),
                    ("reported_sample", rs),
                    ("accuracy", 1.0 - error),
                    ("error_rate", error),
                    ("under_rate", under),
                    ("over_rate", over),
                    ("under_cases", uc),
                    ("over_cases", oc),
                    ("p_under", p_under),
                    ("p_over", p_over),
                ] {
                    put(&mut m, format!("{id}_{k}"), v);
                }
                let villages = present.iter().map(|s| (s.code.clone(), s.w, reported(s), found(s))).collect();
                m.fields.insert(
                    f.id.clone(),
                    FieldEstimate {
                        field: f.id.clone(),
                        reported_total: rt,
                        verified,
                        ht,
                        found_sample: fs,
                        reported_sample: rs,
                        villages,
                    },
                );
            }
            (Kind::Count | Kind::Amount, false) => {
                let o = obs(&|_| 0.0, &found);
                let ht = estimate::total(&o, level);
                put(&mut m, format!("{}_found_sample", f.id), o.iter().map(|x| x.y).sum());
                put(&mut m, format!("{}_ht", f.id), ht.value);
            }
            (Kind::YesNo, true) => {
                let o = obs(&reported, &found);
                let prop = estimate::proportion(&o, level, rules.scoring.proportion_interval);
                let reported_rate = {
                    let tw: f64 = o.iter().map(|x| x.w).sum();
                    if tw > 0.0 { o.iter().map(|x| x.w * x.x).sum::<f64>() / tw } else { 0.0 }
                };
                let found_no = o.iter().filter(|x| x.y < 0.5).count() as u64;
                // Exact: the chance of so few "yes" if the reported rate were true.
                let n = o.len() as u64;
                let yes = n - found_no;
                let p_over = if n == 0 { 1.0 } else { binomial_cdf(n, yes, reported_rate.clamp(0.0, 1.0)) };
                let id = &f.id;
                let (p, lo, hi) = prop.map_or((0.0, 0.0, 1.0), |p| (p.p, p.lo, p.hi));
                for (k, v) in [
                    ("found_rate", p),
                    ("found_rate_lo", lo),
                    ("found_rate_hi", hi),
                    ("reported_rate", reported_rate),
                    ("found_no", found_no as f64),
                    ("p_over", p_over),
                ] {
                    put(&mut m, format!("{id}_{k}"), v);
                }
            }
            _ => {}
        }
    }
    m
}
