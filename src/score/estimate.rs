//! Design-based estimation from the sampled villages: Horvitz–Thompson
//! totals, ratio estimates, weighted proportions, their standard errors for
//! the stratified multistage design (ultimate-cluster, with-replacement
//! approximation), and intervals with Student's t on the design's degrees
//! of freedom. Where the sample cannot support a design-based interval (no
//! degrees of freedom, or a variance of exactly zero) an exact, conservative
//! bound takes its place, so no interval ever has zero width. SCORING.md §6
//! states every formula; the design-based parts agree with R's `survey`
//! package (svytotal, svyratio, svyciprop, confint with df = degf) on the
//! shared fixture in tests/data/score/.

use std::collections::BTreeMap;

use statrs::distribution::{Continuous, ContinuousCDF, Normal, StudentsT};
use statrs::function::gamma::gamma_lr;

use crate::plan::attribute::binomial_cdf;
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
    /// Below a unit taken with certainty (weight 1 at every stage above), the
    /// unit drawn at random inside it: a household of such a village. The
    /// stratum's variance is then that of these units within its PSU, with
    /// replacement (SCORING.md §11); `None` everywhere else.
    pub ssu: Option<String>,
}

impl Obs {
    /// An observation of a village (no unit drawn below it).
    pub fn new(stratum: impl Into<String>, psu: impl Into<String>, w: f64, y: f64, x: f64) -> Obs {
        Obs { stratum: stratum.into(), psu: psu.into(), w, y, x, ssu: None }
    }
}

/// What to do with a stratum that has a single PSU in the sample, whose
/// variance the sample cannot estimate. The names and meanings are those of
/// R `survey`'s `options(survey.lonely.psu = …)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LonelyPsu {
    /// The stratum adds nothing, as if its PSU had been taken with certainty.
    Certainty,
    /// The PSU is centred at the mean of all PSU totals of the estimate
    /// instead of its stratum's mean (conservative).
    #[default]
    Adjust,
    /// The stratum gets the average variance of the strata that have one.
    Average,
    /// Scoring stops and names the stratum.
    Fail,
}

impl LonelyPsu {
    pub fn parse(s: &str) -> Option<LonelyPsu> {
        Some(match s {
            "certainty" => LonelyPsu::Certainty,
            "adjust" => LonelyPsu::Adjust,
            "average" => LonelyPsu::Average,
            "fail" => LonelyPsu::Fail,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            LonelyPsu::Certainty => "certainty",
            LonelyPsu::Adjust => "adjust",
            LonelyPsu::Average => "average",
            LonelyPsu::Fail => "fail",
        }
    }
}

/// The settings every estimate of a scoring run shares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Confidence of two-sided intervals and of one-sided bounds, in (0, 1).
    pub level: f64,
    pub lonely: LonelyPsu,
}

impl Settings {
    pub fn new(level: f64) -> Settings {
        Settings { level, lonely: LonelyPsu::default() }
    }
}

/// A stratum with a single PSU under `lonely = "fail"`.
#[derive(Debug, Clone, PartialEq)]
pub struct LonelyStratum(pub String);

/// Which side of an estimate a one-sided bound is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Lower,
    Upper,
}

/// What an interval rests on; it gives a bound at any confidence, so an
/// interval, a one-sided bound and the risk of a verdict all come from the
/// same place.
#[derive(Debug, Clone, PartialEq)]
pub enum Pivot {
    /// est ± t(df) · se: the design-based interval.
    T { est: f64, se: f64, df: usize },
    /// The proportion's design-based interval on the logit scale (R's
    /// svyciprop, method "logit").
    Logit { p: f64, se: f64, df: usize },
    /// Clopper–Pearson on x of n villages.
    Binomial { p: f64, x: u64, n: u64 },
    /// The ratio of found to reported when the design gives no usable
    /// variance: a Stringer-type attribute bound on the share of villages
    /// that differ from their report (SCORING.md §6.3). Taints are the
    /// villages' discrepancies over the mean reported value, each direction
    /// sorted from the largest; `tau` is the most an unseen discrepant
    /// village is assumed to misstate.
    Stringer { est: f64, n: u64, under: Vec<f64>, over: Vec<f64>, tau: f64 },
    /// A total of counts when the design gives no usable variance: the exact
    /// Poisson (Garwood) interval on the unweighted sum, times the mean
    /// weight.
    Poisson { est: f64, sum: u64, scale: f64 },
    /// A total of amounts with no usable variance: the Stringer-type bound
    /// relative to the sample mean; no upper bound when everything found is 0.
    Amount { est: f64, n: u64 },
}

impl Pivot {
    /// The point estimate.
    pub fn estimate(&self) -> f64 {
        match self {
            Pivot::T { est, .. }
            | Pivot::Stringer { est, .. }
            | Pivot::Poisson { est, .. }
            | Pivot::Amount { est, .. } => *est,
            Pivot::Logit { p, .. } | Pivot::Binomial { p, .. } => *p,
        }
    }

    /// The one-sided bound at `level`: the true value is above the lower
    /// bound (or below the upper) with at least that confidence.
    pub fn bound(&self, level: f64, side: Side) -> f64 {
        let sign = match side {
            Side::Lower => -1.0,
            Side::Upper => 1.0,
        };
        match self {
            Pivot::T { est, se, df } => est + sign * t_quantile(level, *df) * se,
            Pivot::Logit { p, se, df } => {
                let logit = (p / (1.0 - p)).ln();
                let se_logit = se / (p * (1.0 - p));
                let v = logit + sign * t_quantile(level, *df) * se_logit;
                1.0 / (1.0 + (-v).exp())
            }
            Pivot::Binomial { x, n, .. } => match side {
                Side::Lower => cp_lower(*n, *x, level),
                Side::Upper => cp_upper(*n, *x, level),
            },
            Pivot::Stringer { est, n, under, over, tau } => match side {
                Side::Upper => (1.0 + stringer(*n, under, *tau, level)).max(*est),
                Side::Lower => (1.0 - stringer(*n, over, *tau, level)).min(*est).max(0.0),
            },
            Pivot::Poisson { sum, scale, .. } => scale * poisson_bound(*sum, level, side),
            Pivot::Amount { est, n } => {
                let share = cp_upper(*n, 0, level);
                match side {
                    Side::Lower => est * (1.0 - share),
                    Side::Upper if *est > 0.0 => est * (1.0 + share),
                    Side::Upper => f64::INFINITY,
                }
            }
        }
    }

    /// The two-sided interval at `level`: two one-sided bounds at (1 + level)/2.
    pub fn interval(&self, level: f64) -> (f64, f64) {
        let one = 0.5 + level / 2.0;
        (self.bound(one, Side::Lower), self.bound(one, Side::Upper))
    }

    /// The method, as SCORING.md names it.
    pub fn method(&self) -> &'static str {
        match self {
            Pivot::T { .. } => "t",
            Pivot::Logit { .. } => "logit-t",
            Pivot::Binomial { .. } => "clopper-pearson",
            Pivot::Stringer { .. } => "stringer",
            Pivot::Poisson { .. } => "poisson-exact",
            Pivot::Amount { .. } => "attribute",
        }
    }

    /// The degrees of freedom of a design-based pivot; 0 for an exact one.
    pub fn df(&self) -> usize {
        match self {
            Pivot::T { df, .. } | Pivot::Logit { df, .. } => *df,
            _ => 0,
        }
    }

    /// Whether the interval is design-based (t on the design's degrees of
    /// freedom) rather than an exact fallback.
    pub fn design_based(&self) -> bool {
        matches!(self, Pivot::T { .. } | Pivot::Logit { .. })
    }
}

/// The Stringer-type upper bound on the mean taint in one direction: the
/// basic precision p(0)·τ for discrepancies not seen, plus the increments
/// (p(j) − p(j−1))·t_(j) for the j-th largest seen, p(j) the one-sided
/// Clopper–Pearson upper bound for j of n at `level`.
pub fn stringer(n: u64, taints: &[f64], tau: f64, level: f64) -> f64 {
    if n == 0 {
        return f64::INFINITY;
    }
    let mut prev = cp_upper(n, 0, level);
    let mut total = prev * tau;
    for (j, t) in taints.iter().enumerate() {
        let p = cp_upper(n, (j as u64 + 1).min(n), level);
        total += (p - prev) * t;
        prev = p;
    }
    total
}

/// The exact (Garwood) one-sided bound on a Poisson mean after observing
/// `sum` events.
pub fn poisson_bound(sum: u64, level: f64, side: Side) -> f64 {
    // Counts of cases are small numbers that many counties share, asked
    // for at the same few levels; each costs a bisection on the gamma
    // function.
    thread_local! {
        static SEEN: std::cell::RefCell<rustc_hash::FxHashMap<(u64, u64, bool), f64>> =
            std::cell::RefCell::new(rustc_hash::FxHashMap::default());
    }
    let key = (sum, level.to_bits(), side == Side::Upper);
    if let Some(b) = SEEN.with(|m| m.borrow().get(&key).copied()) {
        return b;
    }
    let b = poisson_bound_uncached(sum, level, side);
    SEEN.with(|m| {
        let mut m = m.borrow_mut();
        // A bound on memory for long runs with many distinct levels.
        if m.len() > 100_000 {
            m.clear();
        }
        m.insert(key, b);
    });
    b
}

fn poisson_bound_uncached(sum: u64, level: f64, side: Side) -> f64 {
    let alpha = 1.0 - level;
    match side {
        // P(X ≥ sum | μ) = α; 0 when nothing was seen.
        Side::Lower if sum == 0 => 0.0,
        Side::Lower => bisect_up(|mu| gamma_lr(sum as f64, mu) < alpha, sum as f64),
        // P(X ≤ sum | μ) = α, with P(X ≤ s | μ) = 1 − P(s + 1, μ) (regularised).
        Side::Upper => bisect_up(|mu| 1.0 - gamma_lr(sum as f64 + 1.0, mu) > alpha, sum as f64 + 1.0),
    }
}

/// The boundary in (0, ∞) where `below(μ)` turns from true to false,
/// searching up from a bracket around `start`.
fn bisect_up(below: impl Fn(f64) -> bool, start: f64) -> f64 {
    let mut hi = start.max(1.0);
    while below(hi) {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if below(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The `p` quantile of Student's t with `df` degrees of freedom (the normal
/// when df = 0 is asked for, which callers avoid). Exact for 1 and 2
/// degrees of freedom; otherwise Newton's method on statrs' distribution
/// function, kept inside a bracket, from the normal quantile. The tests
/// check it against R's qt.
pub fn t_quantile(p: f64, df: usize) -> f64 {
    // Scoring asks for the same few quantiles over and over (every bound of
    // every measure, the risk bisections, whole simulations of a plan), and
    // each costs a Newton search on the incomplete beta function.
    thread_local! {
        static SEEN: std::cell::RefCell<rustc_hash::FxHashMap<(u64, usize), f64>> =
            std::cell::RefCell::new(rustc_hash::FxHashMap::default());
    }
    if let Some(q) = SEEN.with(|m| m.borrow().get(&(p.to_bits(), df)).copied()) {
        return q;
    }
    let q = t_quantile_uncached(p, df);
    SEEN.with(|m| {
        let mut m = m.borrow_mut();
        // A bound on memory for long runs with many distinct levels.
        if m.len() > 100_000 {
            m.clear();
        }
        m.insert((p.to_bits(), df), q);
    });
    q
}

fn t_quantile_uncached(p: f64, df: usize) -> f64 {
    if df == 0 {
        return z_quantile(p);
    }
    if df == 1 {
        // Cauchy.
        return (std::f64::consts::PI * (p - 0.5)).tan();
    }
    if df == 2 {
        return (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
    }
    let Ok(t) = StudentsT::new(0.0, 1.0, df as f64) else { return z_quantile(p) };
    let (mut lo, mut hi) = (-1.0f64, 1.0f64);
    while t.cdf(lo) > p {
        lo *= 2.0;
    }
    while t.cdf(hi) < p {
        hi *= 2.0;
    }
    let mut x = z_quantile(p).clamp(lo, hi);
    for _ in 0..100 {
        let f = t.cdf(x) - p;
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let step = f / t.pdf(x);
        let next = x - step;
        let next = if next > lo && next < hi && step.is_finite() { next } else { 0.5 * (lo + hi) };
        if (next - x).abs() <= 1e-14 * x.abs().max(1.0) || hi - lo <= 1e-15 * x.abs().max(1.0) {
            return next;
        }
        x = next;
    }
    x
}

/// Student's t distribution function with `df` degrees of freedom (normal
/// for df = 0).
pub fn t_cdf(x: f64, df: usize) -> f64 {
    if df == 0 {
        return Normal::new(0.0, 1.0).map_or(0.5, |n| n.cdf(x));
    }
    StudentsT::new(0.0, 1.0, df as f64).map_or(0.5, |t| t.cdf(x))
}

fn z_quantile(p: f64) -> f64 {
    Normal::new(0.0, 1.0).map(|n| n.inverse_cdf(p)).unwrap_or(1.959_963_984_540_054)
}

/// The normal quantile for a two-sided interval at `level`.
pub fn z_value(level: f64) -> f64 {
    z_quantile(0.5 + level / 2.0)
}

/// An estimate with its standard error, interval and bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub value: f64,
    /// The design-based standard error (0 when it is not estimable; the
    /// interval then comes from an exact bound: see `pivot`).
    pub se: f64,
    /// The two-sided interval at the settings' confidence.
    pub lo: f64,
    pub hi: f64,
    /// One-sided bounds at the settings' confidence.
    pub lcb: f64,
    pub ucb: f64,
    /// Villages used.
    pub n: usize,
    /// PSUs and degrees of freedom (PSUs minus strata).
    pub psus: usize,
    pub df: usize,
    /// Strata with a single PSU, and what was done with them.
    pub lonely: Vec<String>,
    pub pivot: Pivot,
}

impl Estimate {
    fn new(pivot: Pivot, se: f64, n: usize, var: &Var, s: &Settings) -> Estimate {
        let (lo, hi) = pivot.interval(s.level);
        Estimate {
            value: pivot.estimate(),
            se,
            lo,
            hi,
            lcb: pivot.bound(s.level, Side::Lower),
            ucb: pivot.bound(s.level, Side::Upper),
            n,
            psus: var.psus,
            df: var.df,
            lonely: var.lonely.clone(),
            pivot,
        }
    }
}

/// A variance with what it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Var {
    /// `None` when the sample cannot estimate it (every stratum lonely under
    /// `average`).
    pub v: Option<f64>,
    pub psus: usize,
    pub strata: usize,
    /// PSUs minus strata.
    pub df: usize,
    pub lonely: Vec<String>,
}

/// Σ_h n_h/(n_h − 1) Σ_i (z_hi − z̄_h)², z_hi the PSU totals of `score`;
/// strata with one PSU are treated as `lonely` says and listed, except a
/// unit taken with certainty (every weight 1), which adds nothing.
pub fn variance(obs: &[Obs], score: impl Fn(&Obs) -> f64, lonely: LonelyPsu) -> Result<Var, LonelyStratum> {
    let mut strata: BTreeMap<&str, BTreeMap<&str, f64>> = BTreeMap::new();
    // Strata whose villages all have weight 1: units taken with certainty
    // (a forced village), which add no sampling variance of their own and
    // are not lonely; the units drawn inside them (`ssu`) add theirs.
    let mut certain: BTreeMap<&str, bool> = BTreeMap::new();
    let mut inside: BTreeMap<(&str, &str), BTreeMap<&str, f64>> = BTreeMap::new();
    for o in obs {
        let z = score(o);
        *strata.entry(&o.stratum).or_default().entry(&o.psu).or_default() += z;
        *certain.entry(&o.stratum).or_insert(true) &= o.w == 1.0 || o.ssu.is_some();
        if let Some(u) = &o.ssu {
            *inside.entry((&o.stratum, &o.psu)).or_default().entry(u).or_default() += z;
        }
    }
    let psus: usize = strata.values().map(BTreeMap::len).sum();
    let grand = strata.values().flat_map(|z| z.values()).sum::<f64>() / psus.max(1) as f64;
    let mut v = 0.0;
    // The variance of the units drawn inside certainty units: a later stage,
    // added after the lonely-PSU rule, which concerns the first.
    let mut below = 0.0;
    let mut names = Vec::new();
    let mut ok_strata = 0usize;
    for (h, z) in &strata {
        let n = z.len();
        if n < 2 && certain[h] {
            ok_strata += 1;
            // With replacement among the units drawn inside the certainty
            // unit, as R's survey computes a later stage below a PSU whose
            // sampling fraction is 1.
            for p in z.keys() {
                if let Some(u) = inside.get(&(*h, *p)).filter(|u| u.len() > 1) {
                    let m = u.len() as f64;
                    let mean = u.values().sum::<f64>() / m;
                    below += m / (m - 1.0) * u.values().map(|x| (x - mean).powi(2)).sum::<f64>();
                }
            }
            continue;
        }
        if n < 2 {
            names.push((*h).to_string());
            match lonely {
                LonelyPsu::Fail => return Err(LonelyStratum((*h).to_string())),
                LonelyPsu::Adjust => v += z.values().map(|zi| (zi - grand).powi(2)).sum::<f64>(),
                LonelyPsu::Certainty | LonelyPsu::Average => {}
            }
            continue;
        }
        ok_strata += 1;
        let mean = z.values().sum::<f64>() / n as f64;
        v += n as f64 / (n as f64 - 1.0) * z.values().map(|zi| (zi - mean).powi(2)).sum::<f64>();
    }
    let v = match lonely {
        LonelyPsu::Average if !names.is_empty() => {
            (ok_strata > 0).then(|| v * strata.len() as f64 / ok_strata as f64 + below)
        }
        _ => Some(v + below),
    };
    Ok(Var { v, psus, strata: strata.len(), df: psus.saturating_sub(strata.len()), lonely: names })
}

/// The design-based variance is usable: estimable, above zero, and with at
/// least one degree of freedom.
fn usable(var: &Var) -> Option<f64> {
    var.v.filter(|v| *v > 0.0 && v.is_finite() && var.df > 0)
}

/// Horvitz–Thompson total of y: Σ w y. Without a usable variance: for counts
/// (`counts`), the exact Poisson interval on the unweighted sum scaled by the
/// mean weight; for amounts, the attribute bound.
pub fn total(obs: &[Obs], s: &Settings, counts: bool) -> Result<Estimate, LonelyStratum> {
    let t: f64 = obs.iter().map(|o| o.w * o.y).sum();
    let var = variance(obs, |o| o.w * o.y, s.lonely)?;
    let n = obs.len();
    let pivot = match usable(&var) {
        Some(v) => Pivot::T { est: t, se: v.sqrt(), df: var.df },
        None if counts => {
            let sum = obs.iter().map(|o| o.y.max(0.0)).sum::<f64>().round() as u64;
            let scale = obs.iter().map(|o| o.w).sum::<f64>() / n.max(1) as f64;
            Pivot::Poisson { est: t, sum, scale }
        }
        None => Pivot::Amount { est: t, n: n as u64 },
    };
    let se = var.v.unwrap_or(0.0).max(0.0).sqrt();
    Ok(Estimate::new(pivot, se, n, &var, s))
}

/// The ratio Σ w y / Σ w x, linearised: u = w (y − R x) / Σ w x. `None`
/// when Σ w x = 0. Without a usable variance, the Stringer-type bound on the
/// villages' discrepancies.
pub fn ratio(obs: &[Obs], s: &Settings) -> Result<Option<Estimate>, LonelyStratum> {
    let (ty, tx): (f64, f64) = obs.iter().fold((0.0, 0.0), |(a, b), o| (a + o.w * o.y, b + o.w * o.x));
    if tx == 0.0 {
        return Ok(None);
    }
    let r = ty / tx;
    let var = variance(obs, |o| o.w * (o.y - r * o.x) / tx, s.lonely)?;
    let pivot = match usable(&var) {
        Some(v) => Pivot::T { est: r, se: v.sqrt(), df: var.df },
        None => stringer_pivot(obs, r, tx),
    };
    let se = var.v.unwrap_or(0.0).max(0.0).sqrt();
    Ok(Some(Estimate::new(pivot, se, obs.len(), &var, s)))
}

/// The attribute (Stringer-type) pivot of a ratio: taints relative to the
/// weighted mean reported value per village.
fn stringer_pivot(obs: &[Obs], r: f64, tx: f64) -> Pivot {
    let tw: f64 = obs.iter().map(|o| o.w).sum();
    let mean_x = tx / tw;
    let mut under: Vec<f64> = obs.iter().filter(|o| o.y > o.x).map(|o| (o.y - o.x) / mean_x).collect();
    let mut over: Vec<f64> = obs.iter().filter(|o| o.y < o.x).map(|o| (o.x - o.y) / mean_x).collect();
    under.sort_by(|a, b| b.total_cmp(a));
    over.sort_by(|a, b| b.total_cmp(a));
    let tau = under.iter().chain(&over).fold(1.0f64, |m, t| m.max(*t));
    Pivot::Stringer { est: r, n: obs.len() as u64, under, over, tau }
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
    pub lcb: f64,
    pub ucb: f64,
    pub se: f64,
    pub df: usize,
    /// Unweighted: units with y = 1, and units.
    pub x: u64,
    pub n: u64,
    pub pivot: Pivot,
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

/// The proportion of weighted units with y = 1 (x is ignored). The design
/// method falls back to Clopper–Pearson where the logit interval does not
/// exist (p̂ = 0 or 1) or the design gives no usable variance.
pub fn proportion(
    obs: &[Obs],
    s: &Settings,
    method: PropMethod,
) -> Result<Option<Proportion>, LonelyStratum> {
    if obs.is_empty() {
        return Ok(None);
    }
    let tw: f64 = obs.iter().map(|o| o.w).sum();
    if tw == 0.0 {
        return Ok(None);
    }
    let p = obs.iter().map(|o| o.w * o.y).sum::<f64>() / tw;
    let var = variance(obs, |o| o.w * (o.y - p) / tw, s.lonely)?;
    let se = var.v.unwrap_or(0.0).max(0.0).sqrt();
    let (x, n) = (obs.iter().filter(|o| o.y > 0.5).count() as u64, obs.len() as u64);
    Ok(Some(finish_proportion(p, se, &var, x, n, s, method)))
}

/// A proportion p with its design variance and the unweighted count x of
/// n behind it: the logit interval on the design's df (design method, p
/// strictly inside 0…1 and a usable variance), else Clopper–Pearson on x of
/// n, or Wilson when asked for.
fn finish_proportion(
    p: f64,
    se: f64,
    var: &Var,
    x: u64,
    n: u64,
    s: &Settings,
    method: PropMethod,
) -> Proportion {
    let pivot = match (method, usable(var)) {
        (PropMethod::Design, Some(v)) if p > 0.0 && p < 1.0 => Pivot::Logit { p, se: v.sqrt(), df: var.df },
        _ => Pivot::Binomial { p, x, n },
    };
    let (lo, hi) = match method {
        PropMethod::Wilson => wilson(x, n, s.level),
        PropMethod::ClopperPearson | PropMethod::Design => pivot.interval(s.level),
    };
    Proportion {
        p,
        lo,
        hi,
        lcb: pivot.bound(s.level, Side::Lower),
        ucb: pivot.bound(s.level, Side::Upper),
        se,
        df: var.df,
        x,
        n,
        pivot,
    }
}

/// The share of y = 1 in a domain: Σ w y / Σ w x, with x = 1 for the units
/// in the domain (a household that answered the question) and 0 for the
/// others, whose y is 0. The others keep their PSUs in the variance, as a
/// domain estimate should (R's `svymean(…, na.rm = TRUE)`); the linearised
/// score is w (y − p x) / Σ w x. The design interval falls back to
/// Clopper–Pearson on the unweighted count of the domain as
/// [`proportion`] does.
pub fn domain_proportion(
    obs: &[Obs],
    s: &Settings,
    method: PropMethod,
) -> Result<Option<Proportion>, LonelyStratum> {
    let tw: f64 = obs.iter().map(|o| o.w * o.x).sum();
    if tw == 0.0 {
        return Ok(None);
    }
    let p = obs.iter().map(|o| o.w * o.y).sum::<f64>() / tw;
    let var = variance(obs, |o| o.w * (o.y - p * o.x) / tw, s.lonely)?;
    let se = var.v.unwrap_or(0.0).max(0.0).sqrt();
    let members = obs.iter().filter(|o| o.x > 0.5);
    let (x, n) = (members.clone().filter(|o| o.y > 0.5).count() as u64, members.count() as u64);
    Ok(Some(finish_proportion(p, se, &var, x, n, s, method)))
}

/// The mean of y in a domain (x = 1 for its units, y = 0 outside it), a
/// count per household: Σ w y / Σ w x with its linearised standard error and
/// t interval. Without a usable variance, the exact Poisson interval on the
/// domain's unweighted sum, divided by its number of units. `None` when the
/// domain is empty.
pub fn domain_mean(obs: &[Obs], s: &Settings) -> Result<Option<Estimate>, LonelyStratum> {
    let tw: f64 = obs.iter().map(|o| o.w * o.x).sum();
    if tw == 0.0 {
        return Ok(None);
    }
    let m = obs.iter().map(|o| o.w * o.y).sum::<f64>() / tw;
    let var = variance(obs, |o| o.w * (o.y - m * o.x) / tw, s.lonely)?;
    let n = obs.iter().filter(|o| o.x > 0.5).count();
    let pivot = match usable(&var) {
        Some(v) => Pivot::T { est: m, se: v.sqrt(), df: var.df },
        None => {
            let sum = obs.iter().map(|o| o.y.max(0.0)).sum::<f64>().round() as u64;
            Pivot::Poisson { est: m, sum, scale: 1.0 / n.max(1) as f64 }
        }
    };
    let se = var.v.unwrap_or(0.0).max(0.0).sqrt();
    Ok(Some(Estimate::new(pivot, se, n, &var, s)))
}

/// The one-sided p-value of a paired difference: is y systematically above
/// x (`Side::Upper`) or below? Design-based, t = mean(w(y − x))/SE on the
/// design's degrees of freedom, relative to Σ w; without a usable variance,
/// the exact sign test on the villages that differ.
pub fn paired_p(obs: &[Obs], s: &Settings, side: Side) -> Result<f64, LonelyStratum> {
    let tw: f64 = obs.iter().map(|o| o.w).sum();
    if tw == 0.0 {
        return Ok(1.0);
    }
    let d = obs.iter().map(|o| o.w * (o.y - o.x)).sum::<f64>() / tw;
    let var = variance(obs, |o| o.w * ((o.y - o.x) - d) / tw, s.lonely)?;
    Ok(match usable(&var) {
        Some(v) => {
            let t = d / v.sqrt();
            match side {
                Side::Upper => 1.0 - t_cdf(t, var.df),
                Side::Lower => t_cdf(t, var.df),
            }
        }
        None => {
            let up = obs.iter().filter(|o| o.y > o.x).count() as u64;
            let down = obs.iter().filter(|o| o.y < o.x).count() as u64;
            match side {
                Side::Upper => sign_test(up, down),
                Side::Lower => sign_test(down, up),
            }
        }
    })
}

/// The ratio's one-sided p-value against R = 1: t(df) on the design, or the
/// exact sign test when the design gives no usable variance.
pub fn ratio_p(obs: &[Obs], est: &Estimate, side: Side) -> f64 {
    match &est.pivot {
        Pivot::T { est: r, se, df } => {
            let t = (r - 1.0) / se;
            match side {
                Side::Upper => 1.0 - t_cdf(t, *df),
                Side::Lower => t_cdf(t, *df),
            }
        }
        _ => {
            let up = obs.iter().filter(|o| o.y > o.x).count() as u64;
            let down = obs.iter().filter(|o| o.y < o.x).count() as u64;
            match side {
                Side::Upper => sign_test(up, down),
                Side::Lower => sign_test(down, up),
            }
        }
    }
}

/// The exact one-sided sign test: the chance of at least `k` of `k + m`
/// differences in one direction if both were equally likely.
pub fn sign_test(k: u64, m: u64) -> f64 {
    let n = k + m;
    if k == 0 {
        return 1.0;
    }
    // P(X ≥ k) = 1 − P(X ≤ k − 1).
    (1.0 - binomial_cdf(n, k - 1, 0.5)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(h: &str, p: &str, w: f64, y: f64, x: f64) -> Obs {
        Obs::new(h, p, w, y, x)
    }

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
    fn lonely_strata_by_policy() {
        let obs = [o("a", "1", 2.0, 1.0, 1.0), o("a", "2", 2.0, 3.0, 1.0), o("b", "1", 2.0, 5.0, 1.0)];
        let score = |x: &Obs| x.w * x.y;
        // Stratum a: z = 2, 6; mean 4; 2/1 × (4 + 4) = 16. Stratum b alone: z = 10.
        let c = variance(&obs, score, LonelyPsu::Certainty).unwrap();
        assert_eq!((c.v, c.psus, c.df, c.lonely.clone()), (Some(16.0), 3, 1, vec!["b".to_string()]));
        // Adjust: b's PSU centred at the grand mean (2 + 6 + 10)/3 = 6: + 16.
        assert_eq!(variance(&obs, score, LonelyPsu::Adjust).unwrap().v, Some(32.0));
        // Average: 16 × 2 strata / 1 stratum with a variance.
        assert_eq!(variance(&obs, score, LonelyPsu::Average).unwrap().v, Some(32.0));
        assert_eq!(variance(&obs, score, LonelyPsu::Fail), Err(LonelyStratum("b".into())));
        // A village taken with certainty (weight 1) alone in its stratum adds
        // nothing and is not lonely, whatever the policy.
        let with_certain = [obs[0].clone(), obs[1].clone(), o("f", "9", 1.0, 40.0, 1.0)];
        for p in [LonelyPsu::Adjust, LonelyPsu::Average, LonelyPsu::Fail, LonelyPsu::Certainty] {
            let v = variance(&with_certain, score, p).unwrap();
            assert_eq!((v.v, v.df, v.lonely.len()), (Some(16.0), 1, 0), "{p:?}");
        }
        // Every stratum lonely: average has nothing to average.
        let alone = [o("a", "1", 2.0, 1.0, 1.0), o("b", "1", 2.0, 2.0, 1.0)];
        assert_eq!(variance(&alone, score, LonelyPsu::Average).unwrap().v, None);
    }

    #[test]
    fn lonely_psu_names_read_back() {
        for p in [LonelyPsu::Certainty, LonelyPsu::Adjust, LonelyPsu::Average, LonelyPsu::Fail] {
            assert_eq!(LonelyPsu::parse(p.name()), Some(p));
        }
        assert_eq!(LonelyPsu::parse("remove"), None);
        assert_eq!(LonelyPsu::default(), LonelyPsu::Adjust);
    }

    #[test]
    fn t_quantiles_match_r_qt() {
        // qt(p, df) in R 4.2.2 (Debian bookworm).
        for (p, df, want) in [
            (0.975, 1, 12.706_204_736_174_694),
            (0.975, 2, 4.302_652_729_749_462),
            (0.975, 3, 3.182_446_305_283_708),
            (0.95, 2, 2.919_985_580_353_724),
            (0.95, 38, 1.685_954_460_166_737),
            (0.999, 5, 5.893_429_531_356_008),
        ] {
            let got = t_quantile(p, df);
            assert!((got - want).abs() < 1e-9 * want, "qt({p}, {df}) = {got}, R {want}");
        }
    }

    #[test]
    fn no_zero_width_interval_when_every_village_matches() {
        let s = Settings::new(0.95);
        let obs: Vec<Obs> = (0..12).map(|i| o("c", &format!("t{}", i % 3), 10.0, 30.0, 30.0)).collect();
        let r = ratio(&obs, &s).unwrap().unwrap();
        assert_eq!(r.value, 1.0);
        assert_eq!(r.pivot.method(), "stringer");
        // 12 villages, none differs: at most 1 − 0.05^(1/12) = 22.1% of
        // villages differ (one-sided 95%), each by at most 100%.
        let share = 1.0 - 0.05f64.powf(1.0 / 12.0);
        assert!((r.ucb - (1.0 + share)).abs() < 1e-9 && (r.lcb - (1.0 - share)).abs() < 1e-9, "{r:?}");
        assert!(r.lo < 1.0 && r.hi > 1.0);
    }

    #[test]
    fn the_sign_test_is_exact() {
        assert_eq!(sign_test(0, 5), 1.0);
        assert!((sign_test(5, 0) - 1.0 / 32.0).abs() < 1e-15);
        // P(X ≥ 4 | 5, ½) = 6/32.
        assert!((sign_test(4, 1) - 6.0 / 32.0).abs() < 1e-15);
    }

    #[test]
    fn poisson_bounds_match_garwood() {
        // Zero events: −ln(0.05) = 2.9957 (the rule of three).
        assert!((poisson_bound(0, 0.95, Side::Upper) - 0.05f64.ln().abs()).abs() < 1e-9);
        // qchisq(0.975, 2·5 + 2)/2 = 11.66833, qchisq(0.025, 10)/2 = 1.623486.
        assert!((poisson_bound(5, 0.975, Side::Upper) - 11.668332).abs() < 1e-5);
        assert!((poisson_bound(5, 0.975, Side::Lower) - 1.623486).abs() < 1e-5);
        // Asked again, from the memo: the same bits, each side its own.
        for side in [Side::Lower, Side::Upper] {
            assert_eq!(
                poisson_bound(5, 0.975, side).to_bits(),
                poisson_bound_uncached(5, 0.975, side).to_bits()
            );
        }
        assert_ne!(poisson_bound(5, 0.975, Side::Lower), poisson_bound(5, 0.975, Side::Upper));
    }
}
