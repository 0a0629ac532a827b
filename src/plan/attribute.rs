//! Attribute-sampling plans: the smallest sample that, if it shows no more
//! than the expected number of deviations, supports the statement "the
//! deviation rate is below the tolerable rate" at the chosen confidence.
//!
//! Decisions are exact: probabilities are computed in floating point and,
//! when one lands within a relative 1e-9 of the risk, recomputed in exact
//! integer arithmetic, so a plan never depends on the last bit of a float
//! (the rules file uses these plans to set n, and a draw must re-derive).

use num_bigint::BigUint;
use statrs::function::{beta::beta_reg, factorial::ln_binomial, gamma::gamma_ur};

use super::rate::Rate;

/// The sampling model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// Sampling with replacement, or from a very large population.
    Binomial,
    /// Sampling without replacement from `population` units, of which
    /// ⌈tolerable × population⌉ deviate.
    Hypergeometric { population: u64 },
    /// The Poisson approximation (floating point; not used by rules files).
    Poisson,
}

/// How many deviations the plan expects to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// A rate; the count is ⌈rate × n⌉.
    Rate(Rate),
    /// A fixed count.
    Count(u64),
}

/// A plan: check `n` units; the claim holds if at most `deviations` deviate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttributePlan {
    pub n: u64,
    pub deviations: u64,
    /// P(at most `deviations` deviations | the rate is exactly tolerable):
    /// the risk of wrongly accepting, at most 1 − confidence.
    pub risk: f64,
}

/// Why no plan exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    Invalid(String),
    /// No n up to the limit works.
    NoPlan {
        limit: u64,
    },
}

/// Largest sample the binomial and Poisson searches try.
pub const MAX_N: u64 = 20_000;

/// Validates the inputs the way every caller needs them.
pub fn check_inputs(tolerable: Rate, expected: Expected, confidence: Rate) -> Result<(), String> {
    if !tolerable.is_proper() {
        return Err(format!("the tolerable rate must be between 0 and 1 (exclusive), not {tolerable}"));
    }
    if !confidence.is_proper() {
        return Err(format!("the confidence must be between 0 and 1 (exclusive), not {confidence}"));
    }
    if let Expected::Rate(e) = expected
        && !e.lt(tolerable)
    {
        return Err(format!("the expected rate ({e}) must be below the tolerable rate ({tolerable})"));
    }
    Ok(())
}

/// The smallest n (and its allowed deviations) for the plan.
pub fn sample_size(
    tolerable: Rate,
    expected: Expected,
    confidence: Rate,
    model: Model,
) -> Result<AttributePlan, PlanError> {
    check_inputs(tolerable, expected, confidence).map_err(PlanError::Invalid)?;
    let alpha = confidence.complement();
    let limit = match model {
        Model::Hypergeometric { population } => population,
        _ => MAX_N,
    };
    for n in 1..=limit {
        let x = match expected {
            Expected::Rate(e) => e.ceil_times(n),
            Expected::Count(k) => k,
        };
        if x >= n {
            continue;
        }
        if let Some(risk) = accepts(model, tolerable, n, x, alpha) {
            return Ok(AttributePlan { n, deviations: x, risk });
        }
    }
    Err(PlanError::NoPlan { limit })
}

/// P(X ≤ x) at the tolerable rate when it is at most α, else `None`.
fn accepts(model: Model, tol: Rate, n: u64, x: u64, alpha: Rate) -> Option<f64> {
    let a = alpha.value();
    let p = match model {
        Model::Binomial => binomial_cdf(n, x, tol.value()),
        Model::Poisson => gamma_ur(x as f64 + 1.0, n as f64 * tol.value()),
        Model::Hypergeometric { population } => {
            hypergeometric_cdf(population, tol.ceil_times(population), n, x)
        }
    };
    let close = (p - a).abs() <= 1e-9 * a;
    let ok = match (close, model) {
        (false, _) | (true, Model::Poisson) => p <= a,
        (true, Model::Binomial) => exact_binomial_at_most(n, x, tol, alpha),
        (true, Model::Hypergeometric { population }) => {
            exact_hypergeometric_at_most(population, tol.ceil_times(population), n, x, alpha)
        }
    };
    ok.then_some(p)
}

/// P(X ≤ x) for X ~ Binomial(n, p).
pub fn binomial_cdf(n: u64, x: u64, p: f64) -> f64 {
    if x >= n {
        return 1.0;
    }
    if p <= 0.0 {
        return 1.0;
    }
    if p >= 1.0 {
        return 0.0;
    }
    // With few terms on one side, summing them in log space is accurate even
    // for huge n, where the incomplete beta function loses digits (statrs'
    // beta_reg is off in the 9th digit for n = 10^7, x = 0).
    let term = |i: u64| (ln_choose_near_edge(n, i) + i as f64 * p.ln() + (n - i) as f64 * (-p).ln_1p()).exp();
    if x <= SHORT_TAIL {
        (0..=x).map(term).sum::<f64>().min(1.0)
    } else if n - x <= SHORT_TAIL {
        (1.0 - (x + 1..=n).map(term).sum::<f64>()).max(0.0)
    } else {
        beta_reg((n - x) as f64, x as f64 + 1.0, 1.0 - p)
    }
}

/// ln C(n, i) for i or n − i small, as a short sum: the difference of
/// ln-factorials near ln(n!) ≈ 10^7 would keep only eight or nine digits.
fn ln_choose_near_edge(n: u64, i: u64) -> f64 {
    let k = i.min(n - i);
    (0..k).map(|j| ((n - j) as f64).ln() - ((j + 1) as f64).ln()).sum()
}

/// Tails of at most this many terms are summed directly.
const SHORT_TAIL: u64 = 50;

/// P(X ≤ x) for X ~ Hypergeometric(population, successes k, draws n).
pub fn hypergeometric_cdf(population: u64, k: u64, n: u64, x: u64) -> f64 {
    let lo = n.saturating_sub(population - k);
    let hi = x.min(k).min(n);
    if hi < lo {
        return 0.0;
    }
    let total = ln_binomial(population, n);
    let s: f64 =
        (lo..=hi).map(|i| (ln_binomial(k, i) + ln_binomial(population - k, n - i) - total).exp()).sum();
    s.min(1.0)
}

/// Σ_{i≤x} C(n,i) a^i (b−a)^(n−i) · α_den ≤ α_num · b^n, with p = a/b.
fn exact_binomial_at_most(n: u64, x: u64, p: Rate, alpha: Rate) -> bool {
    let (a, b) = (BigUint::from(p.num), BigUint::from(p.den));
    let q = BigUint::from(p.den - p.num);
    let mut term = q.pow(n as u32); // i = 0
    let mut sum = term.clone();
    for i in 0..x {
        // term_{i+1} = term_i · (n−i)·a / ((i+1)·q), an exact division.
        term = term * BigUint::from(n - i) * &a / (BigUint::from(i + 1) * &q);
        sum += &term;
    }
    sum * BigUint::from(alpha.den) <= BigUint::from(alpha.num) * b.pow(n as u32)
}

fn big_binomial(n: u64, k: u64) -> BigUint {
    let k = k.min(n - k.min(n));
    let mut c = BigUint::from(1u32);
    for i in 0..k {
        c = c * BigUint::from(n - i) / BigUint::from(i + 1);
    }
    c
}

/// Σ_{i≤x} C(k,i) C(N−k,n−i) · α_den ≤ α_num · C(N,n).
fn exact_hypergeometric_at_most(population: u64, k: u64, n: u64, x: u64, alpha: Rate) -> bool {
    let lo = n.saturating_sub(population - k);
    let hi = x.min(k).min(n);
    let mut sum = BigUint::from(0u32);
    if hi >= lo {
        for i in lo..=hi {
            sum += big_binomial(k, i) * big_binomial(population - k, n - i);
        }
    }
    sum * BigUint::from(alpha.den) <= BigUint::from(alpha.num) * big_binomial(population, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Rate {
        Rate::parse(s).unwrap()
    }

    #[test]
    fn zero_expected_matches_the_domain_values() {
        let conf = r("0.95");
        for (tol, n) in [("0.02", 149), ("0.05", 59), ("0.10", 29), ("0.20", 14)] {
            let p = sample_size(r(tol), Expected::Rate(Rate::zero()), conf, Model::Binomial).unwrap();
            assert_eq!((p.n, p.deviations), (n, 0), "tolerable {tol}");
        }
        let p = sample_size(r("0.05"), Expected::Count(0), conf, Model::Hypergeometric { population: 1000 })
            .unwrap();
        assert_eq!(p.n, 57);
    }

    #[test]
    fn exact_and_float_agree_away_from_the_boundary() {
        for (n, x) in [(50, 0), (93, 1), (200, 4)] {
            let p = binomial_cdf(n, x, 0.05);
            assert_eq!(exact_binomial_at_most(n, x, r("0.05"), r("0.05")), p <= 0.05, "n {n} x {x}");
        }
        let h = hypergeometric_cdf(1000, 50, 57, 0);
        assert_eq!(exact_hypergeometric_at_most(1000, 50, 57, 0, r("0.05")), h <= 0.05);
        assert!(h < 0.05 && hypergeometric_cdf(1000, 50, 56, 0) > 0.05);
    }

    #[test]
    fn bad_inputs_are_refused() {
        let z = Expected::Rate(Rate::zero());
        assert!(sample_size(r("0"), z, r("0.95"), Model::Binomial).is_err());
        assert!(sample_size(r("0.05"), z, r("1"), Model::Binomial).is_err());
        assert!(sample_size(r("0.05"), Expected::Rate(r("0.05")), r("0.95"), Model::Binomial).is_err());
        // One deviating unit in 50: P(miss it) = (50 − n)/50 ≤ 5% from n = 48.
        let p = sample_size(r("0.01"), z, r("0.95"), Model::Hypergeometric { population: 50 }).unwrap();
        assert_eq!(p.n, 48);
    }
}
