//! Clopper–Pearson ("exact") bounds for a proportion: the largest (or
//! smallest) rate still consistent with x deviations in n at the given
//! one-sided confidence. Found by bisection on the binomial distribution
//! function rather than by statrs' Beta inverse, whose accuracy has been
//! poor at extreme parameters; the tests check both against references.

use super::attribute::binomial_cdf;

/// The one-sided upper bound: the p with P(X ≤ x | n, p) = 1 − confidence
/// (1 when x = n).
pub fn cp_upper(n: u64, x: u64, confidence: f64) -> f64 {
    if x >= n {
        return 1.0;
    }
    let alpha = 1.0 - confidence;
    // P(X ≤ x | p) falls as p rises.
    bisect(|p| binomial_cdf(n, x, p) > alpha)
}

/// The one-sided lower bound: the p with P(X ≥ x | n, p) = 1 − confidence
/// (0 when x = 0).
pub fn cp_lower(n: u64, x: u64, confidence: f64) -> f64 {
    if x == 0 {
        return 0.0;
    }
    let alpha = 1.0 - confidence;
    // P(X ≥ x | p) = 1 − P(X ≤ x − 1 | p) rises with p.
    bisect(|p| 1.0 - binomial_cdf(n, x - 1, p) < alpha)
}

/// The boundary in (0, 1) where `below(p)` turns from true to false.
fn bisect(below: impl Fn(f64) -> bool) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
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

/// The convention of printed evaluation tables: a bound rounded up to the
/// next 0.1 percentage point.
pub fn round_up_tenth_percent(p: f64) -> f64 {
    // The small slack keeps 0.0300000000001 from becoming 3.1%.
    ((p * 1000.0) - 1e-9).ceil().max(0.0) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_sided_95_intervals_of_the_domain_notes() {
        // A 95% two-sided interval is two one-sided 97.5% bounds.
        let close = |a: f64, b: f64| (a - b).abs() < 5e-7;
        assert!(close(cp_lower(20, 1, 0.975), 0.001265));
        assert!(close(cp_upper(20, 1, 0.975), 0.248733));
        assert!(close(cp_lower(100, 10, 0.975), 0.049005));
        assert!(close(cp_upper(100, 10, 0.975), 0.176223));
    }

    #[test]
    fn edges() {
        assert_eq!(cp_upper(10, 10, 0.95), 1.0);
        assert_eq!(cp_lower(10, 0, 0.95), 0.0);
        // x = 0: 1 − α^(1/n).
        let want = 1.0 - 0.05f64.powf(1.0 / 59.0);
        assert!((cp_upper(59, 0, 0.95) - want).abs() < 1e-12);
        assert_eq!(round_up_tenth_percent(0.04951), 0.05);
        assert_eq!(round_up_tenth_percent(0.03), 0.03);
    }
}
