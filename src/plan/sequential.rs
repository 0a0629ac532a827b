//! Double and multiple sampling plans for attributes, as ISO 2859-1 and
//! ANSI/ASQ Z1.4 tabulate them: at stage i inspect n_i more units; with a
//! cumulative count of deviations x_i, accept if x_i ≤ Ac_i, reject (veto)
//! if x_i ≥ Re_i, else go on. The operating characteristic (the chance of
//! acceptance at each true rate), the chance of each decision at each stage,
//! the average sample number and the worst case are computed exactly under
//! the binomial model (a large lot, ISO's type B) or the hypergeometric one
//! (a lot of N units with D deviating, type A). SAMPLING.md §14.

use statrs::function::factorial::ln_binomial;

/// One stage of a plan: units more, and the cumulative acceptance and
/// rejection numbers (`accept = None`: acceptance not allowed yet, written
/// `#` in ISO 2859-1's multiple plans).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage {
    pub n: u64,
    pub accept: Option<u64>,
    pub reject: u64,
}

/// The model of the deviations found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lot {
    /// Each unit deviates with the same chance (sampling with replacement,
    /// or from a large lot).
    Binomial,
    /// A lot of `size` units of which a given number deviate, sampled
    /// without replacement stage after stage.
    Finite { size: u64 },
}

/// Checks a plan: at least one stage, every n ≥ 1, Ac < Re at every stage
/// with room to go on (Re ≥ Ac + 2) before the last, numbers that never
/// decrease, and a last stage that always decides (Re = Ac + 1).
pub fn check(plan: &[Stage], lot: Lot) -> Result<(), String> {
    if plan.is_empty() {
        return Err("a plan needs at least one stage".into());
    }
    let last = plan.len() - 1;
    for (i, s) in plan.iter().enumerate() {
        let at = format!("stage {}", i + 1);
        if s.n == 0 {
            return Err(format!("{at}: n must be at least 1"));
        }
        let floor = s.accept.map_or(0, |a| a + 1);
        if s.reject < floor.max(1) {
            return Err(format!("{at}: the rejection number must exceed the acceptance number"));
        }
        if i < last && s.reject <= s.accept.map_or(0, |a| a + 1) {
            return Err(format!(
                "{at}: Re = Ac + 1 decides every lot, so the stages after it would never be reached"
            ));
        }
        if i == last && (s.accept.is_none() || s.reject != s.accept.unwrap_or(0) + 1) {
            return Err(format!("{at}: the last stage must decide every lot: Re = Ac + 1"));
        }
        if i > 0 {
            let p = plan[i - 1];
            if s.reject < p.reject || s.accept.unwrap_or(0) < p.accept.unwrap_or(0) {
                return Err(format!("{at}: cumulative acceptance and rejection numbers may not decrease"));
            }
        }
    }
    if let Lot::Finite { size } = lot {
        let total: u64 = plan.iter().map(|s| s.n).sum();
        if total > size {
            return Err(format!("the plan inspects up to {total} units, more than the lot of {size}"));
        }
    }
    Ok(())
}

/// The plan's behaviour at one quality of the lot.
#[derive(Debug, Clone, PartialEq)]
pub struct Oc {
    /// P(accept), P(reject) over the whole plan.
    pub accept: f64,
    pub reject: f64,
    /// For each stage: P(reaching it), P(accepting there), P(rejecting there).
    pub reach: Vec<f64>,
    pub accept_at: Vec<f64>,
    pub reject_at: Vec<f64>,
    /// The average number of units inspected (no curtailment: a stage is
    /// inspected whole once begun).
    pub asn: f64,
}

fn binomial_pmf(n: u64, j: u64, p: f64) -> f64 {
    if p <= 0.0 {
        return f64::from(u8::from(j == 0));
    }
    if p >= 1.0 {
        return f64::from(u8::from(j == n));
    }
    (ln_binomial(n, j) + j as f64 * p.ln() + (n - j) as f64 * (-p).ln_1p()).exp()
}

/// P(j deviating among n drawn from `size` units of which `bad` deviate).
fn hypergeometric_pmf(size: u64, bad: u64, n: u64, j: u64) -> f64 {
    if j > n || j > bad || n - j > size - bad {
        return 0.0;
    }
    (ln_binomial(bad, j) + ln_binomial(size - bad, n - j) - ln_binomial(size, n)).exp()
}

/// The operating characteristic at a deviation rate `p` (binomial) or with
/// `bad` deviating units in the lot (finite lot; `p` is then ignored). A
/// finite lot's later stages draw from the units left: d deviating among n
/// from `size − drawn` units of which `bad − x` deviate, x found so far.
pub fn oc(plan: &[Stage], lot: Lot, p: f64, bad: u64) -> Oc {
    oc_with(plan, &|drawn, x, n, d| match lot {
        Lot::Binomial => binomial_pmf(n, d, p),
        Lot::Finite { size } => hypergeometric_pmf(size - drawn, bad.saturating_sub(x), n, d),
    })
}

/// P(d deviating among n drawn from `size` units of which `bad` deviate).
pub fn hypergeometric(size: u64, bad: u64, n: u64, d: u64) -> f64 {
    hypergeometric_pmf(size, bad, n, d)
}

/// The operating characteristic for any model of a stage's count:
/// `pmf(drawn before, found before, n, d)` is the chance of d deviating
/// among the stage's n units.
pub fn oc_with(plan: &[Stage], pmf: &dyn Fn(u64, u64, u64, u64) -> f64) -> Oc {
    // Mass still undecided, by the cumulative count so far.
    let mut open: Vec<f64> = vec![1.0];
    let mut drawn = 0u64;
    let mut out = Oc {
        accept: 0.0,
        reject: 0.0,
        reach: Vec::new(),
        accept_at: Vec::new(),
        reject_at: Vec::new(),
        asn: 0.0,
    };
    for s in plan {
        let reach: f64 = open.iter().sum();
        out.reach.push(reach);
        out.asn += reach * s.n as f64;
        // Only counts below Re stay open or accept; the rest rejects.
        let width = s.reject as usize;
        let mut next = vec![0.0f64; width];
        for (x, &mass) in open.iter().enumerate() {
            if mass == 0.0 {
                continue;
            }
            for (j, slot) in next.iter_mut().enumerate().skip(x) {
                let d = (j - x) as u64;
                if d > s.n {
                    break;
                }
                *slot += mass * pmf(drawn, x as u64, s.n, d);
            }
        }
        let accepted: f64 = s.accept.map_or(0.0, |a| next.iter().take(a as usize + 1).sum());
        let below: f64 = next.iter().sum();
        let rejected = (reach - below).max(0.0);
        out.accept_at.push(accepted);
        out.reject_at.push(rejected);
        out.accept += accepted;
        out.reject += rejected;
        let first_open = s.accept.map_or(0, |a| a as usize + 1);
        open = next.into_iter().enumerate().map(|(x, m)| if x >= first_open { m } else { 0.0 }).collect();
        drawn += s.n;
    }
    out
}

/// The most units the plan can inspect.
pub fn worst_case(plan: &[Stage]) -> u64 {
    plan.iter().map(|s| s.n).sum()
}

/// The deviation rate at which the plan accepts with probability `pa`
/// (binomial model), by bisection on the OC, which decreases in p.
pub fn rate_at(plan: &[Stage], pa: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if oc(plan, Lot::Binomial, mid, 0).accept > pa {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Reads a plan from three comma-separated lists: sample sizes, acceptance
/// numbers (`#` for none) and rejection numbers.
pub fn parse(n: &str, accept: &str, reject: &str) -> Result<Vec<Stage>, String> {
    let list = |s: &str, what: &str| -> Result<Vec<Option<u64>>, String> {
        s.split(',')
            .map(|x| {
                let x = x.trim();
                if x == "#" {
                    Ok(None)
                } else {
                    x.parse::<u64>().map(Some).map_err(|_| format!("{what}: `{x}` is not a whole number"))
                }
            })
            .collect()
    };
    let (ns, acs, res) = (list(n, "--n")?, list(accept, "--accept")?, list(reject, "--reject")?);
    if ns.len() != acs.len() || ns.len() != res.len() {
        return Err(format!(
            "--n, --accept and --reject list {}, {} and {} stages; give one value per stage to each",
            ns.len(),
            acs.len(),
            res.len()
        ));
    }
    ns.into_iter()
        .zip(acs)
        .zip(res)
        .map(|((n, a), r)| match (n, r) {
            (Some(n), Some(r)) => Ok(Stage { n, accept: a, reject: r }),
            _ => Err("`#` is allowed only among the acceptance numbers".to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(n: &str, a: &str, r: &str) -> Vec<Stage> {
        parse(n, a, r).unwrap()
    }

    #[test]
    fn a_single_stage_plan_is_the_binomial_distribution_function() {
        let p = plan("50", "2", "3");
        let o = oc(&p, Lot::Binomial, 0.06, 0);
        let direct = crate::plan::attribute::binomial_cdf(50, 2, 0.06);
        assert!((o.accept - direct).abs() < 1e-12 && (o.accept + o.reject - 1.0).abs() < 1e-12);
        assert_eq!(o.asn, 50.0);
    }

    #[test]
    fn decisions_add_up_at_every_quality() {
        let p = plan("20,20,20", "#,1,3", "3,4,4");
        check(&p, Lot::Binomial).unwrap();
        for q in [0.0, 0.01, 0.05, 0.2, 0.5, 1.0] {
            let o = oc(&p, Lot::Binomial, q, 0);
            assert!((o.accept + o.reject - 1.0).abs() < 1e-12, "{q}: {o:?}");
        }
        let finite = oc(&p, Lot::Finite { size: 100 }, 0.0, 7);
        assert!((finite.accept + finite.reject - 1.0).abs() < 1e-12);
    }

    #[test]
    fn bad_plans_are_refused_with_the_reason() {
        assert!(check(&plan("13,13", "0,1", "1,2"), Lot::Binomial).unwrap_err().contains("never be reached"));
        assert!(check(&plan("13,13", "0,1", "2,3"), Lot::Binomial).unwrap_err().contains("Re = Ac + 1"));
        assert!(check(&plan("13,13", "0,1", "2,2"), Lot::Finite { size: 20 }).unwrap_err().contains("lot"));
        assert!(parse("13,13", "0", "2,2").unwrap_err().contains("one value per stage"));
    }
}

/// A bound-based sequential plan in the normal limit (SCORING.md §9): in
/// round r the estimate's distance from a veto's line, in its standard
/// errors, is Z_r; round r vetoes if Z_r > z_r (the normal quantile at the
/// round's confidence), stops if Z_r ≤ a_r, and goes on otherwise (the last
/// round goes on nowhere). The combined samples are nested, so with
/// information t_r (round 1 = 1) the Z_r are jointly normal with
/// Cov(Z_r, Z_s) = √(t_r / t_s), r ≤ s, and mean δ √t_r, δ the true distance
/// from the line in round-1 standard errors: the canonical joint
/// distribution of group-sequential tests.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundPlan {
    /// Each round's critical value: the quantile of its one-sided bound
    /// (the normal one, or Student's t on the design's degrees of freedom).
    pub critical: Vec<f64>,
    /// Information of each round relative to round 1 (nested samples:
    /// villages after the round over villages after round 1).
    pub info: Vec<f64>,
    /// Where a round stops short of a veto: `Zone::Estimate` stops when the
    /// estimate is not past the line (a_r = 0), `Interval` when the bound on
    /// the other side clears it (a_r = −z_r).
    pub clear_at_estimate: bool,
}

impl BoundPlan {
    /// Critical values from the rounds' confidences, in the normal limit.
    pub fn normal(levels: &[f64], info: Vec<f64>, clear_at_estimate: bool) -> BoundPlan {
        BoundPlan { critical: levels.iter().map(|&l| normal_quantile(l)).collect(), info, clear_at_estimate }
    }
}

/// The plan's behaviour at one true distance from the line.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundOc {
    pub veto: f64,
    pub veto_at: Vec<f64>,
    /// The chance of reaching each round.
    pub reach: Vec<f64>,
}

fn normal_cdf(x: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2)
}

/// The standard normal quantile.
pub fn normal_quantile(p: f64) -> f64 {
    // Bisection on the distribution function: plenty for a plan's levels.
    let (mut lo, mut hi) = (-40.0f64, 40.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if normal_cdf(mid) < p { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// Points per unit of the score scale in the numerical integration.
const GRID: f64 = 400.0;

/// The chance of a veto, per round and overall, when the truth lies `delta`
/// round-1 standard errors past the line (negative: short of it). Computed
/// by recursive numerical integration over the score S_r = Z_r √t_r, whose
/// increments are independent normal (Armitage, McPherson and Rowe's
/// method), with Simpson's rule.
pub fn bound_oc(plan: &BoundPlan, delta: f64) -> BoundOc {
    let rounds = plan.critical.len();
    let mut out = BoundOc { veto: 0.0, veto_at: Vec::new(), reach: Vec::new() };
    // The open sub-density of S on a grid, after the previous round.
    let mut grid: Vec<f64> = Vec::new();
    let mut dens: Vec<f64> = Vec::new();
    let mut t_prev = 0.0;
    for r in 0..rounds {
        let t = plan.info[r];
        let z = plan.critical[r];
        let (hi, lo) = (z * t.sqrt(), if plan.clear_at_estimate { 0.0 } else { -z * t.sqrt() });
        let v = t - t_prev;
        let mu = delta * v;
        let sd = v.sqrt();
        // The chance of reaching this round, and of a veto in it.
        let (reach, veto) = if r == 0 {
            (1.0, 1.0 - normal_cdf((hi - mu) / sd))
        } else {
            let h = if grid.len() > 1 { grid[1] - grid[0] } else { 0.0 };
            let integrate = |f: &dyn Fn(f64) -> f64| simpson(&grid, &dens, h, f);
            (integrate(&|_| 1.0), integrate(&|u| 1.0 - normal_cdf((hi - u - mu) / sd)))
        };
        out.reach.push(reach);
        out.veto_at.push(veto);
        out.veto += veto;
        if r + 1 == rounds || hi <= lo {
            break;
        }
        // The density of S in this round's open zone (lo, hi].
        let n = (((hi - lo) * GRID).ceil() as usize).max(2) & !1;
        let step = (hi - lo) / n as f64;
        let new_grid: Vec<f64> = (0..=n).map(|i| lo + i as f64 * step).collect();
        let new_dens: Vec<f64> = if r == 0 {
            new_grid.iter().map(|s| normal_pdf((s - mu) / sd) / sd).collect()
        } else {
            let h = grid[1] - grid[0];
            new_grid
                .iter()
                .map(|s| simpson(&grid, &dens, h, &|u| normal_pdf((s - u - mu) / sd) / sd))
                .collect()
        };
        grid = new_grid;
        dens = new_dens;
        t_prev = t;
    }
    out
}

fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Simpson's rule for ∫ dens(u) f(u) du on an even number of equal steps.
fn simpson(grid: &[f64], dens: &[f64], h: f64, f: &dyn Fn(f64) -> f64) -> f64 {
    let n = grid.len() - 1;
    let mut s = dens[0] * f(grid[0]) + dens[n] * f(grid[n]);
    for i in 1..n {
        s += dens[i] * f(grid[i]) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

#[cfg(test)]
mod bound_tests {
    use super::*;

    #[test]
    fn one_round_vetoes_at_its_own_risk() {
        let p = BoundPlan::normal(&[0.95], vec![1.0], true);
        assert!((bound_oc(&p, 0.0).veto - 0.05).abs() < 1e-9);
        // Two standard errors past the line: Φ(2 − 1.645).
        assert!((bound_oc(&p, 2.0).veto - normal_cdf(2.0 - normal_quantile(0.95))).abs() < 1e-9);
    }

    #[test]
    fn two_rounds_stay_under_the_sum_of_their_risks() {
        let p = BoundPlan::normal(&[0.95, 0.975], vec![1.0, 2.0], true);
        let at_line = bound_oc(&p, 0.0);
        assert!(at_line.veto > 0.05 && at_line.veto < 0.075, "{at_line:?}");
        // A simulation of 400,000 pairs of nested estimates gave 6.238% ± 0.04%.
        assert!((at_line.veto - 0.06216).abs() < 1e-4, "{at_line:?}");
        // Half the counties at the line have their estimate past it.
        assert!((at_line.reach[1] - (0.5 - 0.05)).abs() < 1e-6, "{at_line:?}");
        // Independent rounds (no shared villages) would add 0.45 × 0.025 at most.
        let far = BoundPlan { info: vec![1.0, 1e9], ..p.clone() };
        assert!(bound_oc(&far, 0.0).veto < 0.05 + 0.45 * 0.025 + 1e-6);
    }
}
