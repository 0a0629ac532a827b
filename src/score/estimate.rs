//! Design-based estimation from the sampled villages: Horvitz–Thompson
//! totals, ratio estimates, weighted proportions, their standard errors for
//! the stratified multistage design (ultimate-cluster, with-replacement
//! approximation), and intervals. SCORING.md states every formula; these
//! agree with R's `survey` package (svytotal, svyratio, svyciprop) on the
//! shared fixture in tests/data/score/.

use std::collections::BTreeMap;

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::plan::limit::{cp_lower, cp_upper};

/// One sampled village's data for an estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Obs {
    /// The variance stratum (a county, or a certainty PSU).
    pub stratum: String,
    /// The ultimate cluster (the first sampled unit above the village, or
    /// the village itself).
    pub psu: String,
    /// Design weight 1/π.
    pub w: f64,
    /// The studied value (found).
    pub y: f64,
    /// The auxiliary value (reported), for ratios.
    pub x: f64,
}

/// An estimate with its standard error and interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub se: f64,
    pub lo: f64,
    pub hi: f64,
    /// Villages and PSUs used.
    pub n: usize,
    pub psus: usize,
    /// Strata with a single PSU (they add nothing to the variance).
    pub lonely: Vec<String>,
}

/// The normal quantile for a two-sided interval at `level`.
pub fn z_value(level: f64) -> f64 {
    Normal::new(0.0, 1.0).map(|n| n.inverse_cdf(0.5 + level / 2.0)).unwrap_or(1.959_963_984_540_054)
}

/// Σ_h n_h/(n_h − 1) Σ_i (z_hi − z̄_h)², z_hi the PSU totals of `score`;
/// strata with one PSU add 0 and are listed.
pub fn variance(obs: &[Obs], score: impl Fn(&Obs) -> f64) -> (f64, usize, Vec<String>) {
    let mut strata: BTreeMap<&str, BTreeMap<&str, f64>> = BTreeMap::new();
    for o in obs {
        *strata.entry(&o.stratum).or_default().entry(&o.psu).or_default() += score(o);
    }
    let mut v = 0.0;
    let mut lonely = Vec::new();
    let mut psus = 0;
    for (h, z) in &strata {
        let n = z.len();
        psus += n;
        if n < 2 {
            lonely.push((*h).to_string());
            continue;
        }
        let mean = z.values().sum::<f64>() / n as f64;
        v += n as f64 / (n as f64 - 1.0) * z.values().map(|zi| (zi - mean).powi(2)).sum::<f64>();
    }
    (v, psus, lonely)
}

fn finish(
    value: f64,
    var: f64,
    half_width_per_se: f64,
    n: usize,
    psus: usize,
    lonely: Vec<String>,
) -> Estimate {
    let se = var.max(0.0).sqrt();
    Estimate {
        value,
        se,
        lo: value - half_width_per_se * se,
        hi: value + half_width_per_se * se,
        n,
        psus,
        lonely,
    }
}

/// Horvitz–Thompson total of y: Σ w y.
pub fn total(obs: &[Obs], level: f64) -> Estimate {
    let t: f64 = obs.iter().map(|o| o.w * o.y).sum();
    let (v, psus, lonely) = variance(obs, |o| o.w * o.y);
    finish(t, v, z_value(level), obs.len(), psus, lonely)
}

/// The ratio Σ w y / Σ w x, linearised: u = w (y − R x) / Σ w x.
/// `None` when Σ w x = 0.
pub fn ratio(obs: &[Obs], level: f64) -> Option<Estimate> {
    let (ty, tx): (f64, f64) = obs.iter().fold((0.0, 0.0), |(a, b), o| (a + o.w * o.y, b + o.w * o.x));
    if tx == 0.0 {
        return None;
    }
    let r = ty / tx;
    let (v, psus, lonely) = variance(obs, |o| o.w * (o.y - r * o.x) / tx);
    Some(finish(r, v, z_value(level), obs.len(), psus, lonely))
}

/// Degrees of freedom of the design: PSUs minus strata.
pub fn degrees_of_freedom(obs: &[Obs]) -> usize {
    let strata: std::collections::BTreeSet<&str> = obs.iter().map(|o| o.stratum.as_str()).collect();
    let psus: std::collections::BTreeSet<(&str, &str)> =
        obs.iter().map(|o| (o.stratum.as_str(), o.psu.as_str())).collect();
    psus.len().saturating_sub(strata.len())
}

/// Interval methods for a proportion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PropMethod {
    /// Exact binomial on the unweighted count.
    ClopperPearson,
    /// Wilson score on the unweighted count.
    Wilson,
    /// Design-based: the weighted mean and its linearised standard error on
    /// the logit scale with t(df) quantiles (R's svyciprop, method "logit").
    #[default]
    Design,
}

/// A proportion with its interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Proportion {
    pub p: f64,
    pub lo: f64,
    pub hi: f64,
    pub se: f64,
    /// Unweighted: units with y = 1, and units.
    pub x: u64,
    pub n: u64,
}

/// Two-sided Clopper–Pearson interval for x of n.
pub fn clopper_pearson(x: u64, n: u64, level: f64) -> (f64, f64) {
    let one_sided = 0.5 + level / 2.0;
    (cp_lower(n, x, one_sided), cp_upper(n, x, one_sided))
}

/// Wilson score interval for x of n.
pub fn wilson(x: u64, n: u64, level: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = z_value(level);
    let (nf, p) = (n as f64, x as f64 / n as f64);
    let denom = 1.0 + z * z / nf;
    let centre = (p + z * z / (2.0 * nf)) / denom;
    let half = z / denom * (p * (1.0 - p) / nf + z * z / (4.0 * nf * nf)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The proportion of weighted units with y = 1 (x is ignored).
pub fn proportion(obs: &[Obs], level: f64, method: PropMethod) -> Option<Proportion> {
    if obs.is_empty() {
        return None;
    }
    let ones: Vec<Obs> = obs.iter().map(|o| Obs { x: 1.0, ..o.clone() }).collect();
    let est = ratio(&ones, level)?;
    let (x, n) = (obs.iter().filter(|o| o.y > 0.5).count() as u64, obs.len() as u64);
    let p = est.value;
    let (lo, hi) = match method {
        PropMethod::ClopperPearson => clopper_pearson(x, n, level),
        PropMethod::Wilson => wilson(x, n, level),
        PropMethod::Design => {
            if p <= 0.0 || p >= 1.0 {
                // The logit interval is undefined at 0 and 1: fall back to
                // the exact interval on the count (SCORING.md).
                clopper_pearson(x, n, level)
            } else {
                let df = degrees_of_freedom(obs).max(1) as f64;
                let t = StudentsT::new(0.0, 1.0, df)
                    .map(|d| d.inverse_cdf(0.5 + level / 2.0))
                    .unwrap_or(z_value(level));
                let logit = (p / (1.0 - p)).ln();
                let se_logit = est.se / (p * (1.0 - p));
                let expit = |v: f64| 1.0 / (1.0 + (-v).exp());
                (expit(logit - t * se_logit), expit(logit + t * se_logit))
            }
        }
    };
    Some(Proportion { p, lo, hi, se: est.se, x, n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_reference_values() {
        let close = |a: f64, b: f64| (a - b).abs() < 5e-7;
        let (lo, hi) = wilson(1, 20, 0.95);
        assert!(close(lo, 0.008881) && close(hi, 0.236131), "{lo} {hi}");
        let (lo, hi) = wilson(10, 100, 0.95);
        assert!(close(lo, 0.055229) && close(hi, 0.174366), "{lo} {hi}");
        let (lo, hi) = clopper_pearson(1, 20, 0.95);
        assert!(close(lo, 0.001265) && close(hi, 0.248733), "{lo} {hi}");
    }

    #[test]
    fn lonely_strata_add_nothing_and_are_listed() {
        let o = |h: &str, p: &str, y: f64| Obs { stratum: h.into(), psu: p.into(), w: 2.0, y, x: 1.0 };
        let obs = [o("a", "1", 1.0), o("a", "2", 3.0), o("b", "1", 5.0)];
        let (v, psus, lonely) = variance(&obs, |x| x.w * x.y);
        // Stratum a: z = 2, 6; mean 4; 2/1 × (4 + 4) = 16.
        assert_eq!((v, psus, lonely), (16.0, 3, vec!["b".to_string()]));
    }
}
