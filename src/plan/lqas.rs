//! Lot Quality Assurance Sampling, as health programmes use it: check n
//! units in an area; the area passes if at least d comply. The two risks are
//! α, failing an area whose compliance is at the upper threshold, and β,
//! passing one whose compliance is only at the lower threshold.

use super::attribute::binomial_cdf;

/// A decision rule and its misclassification risks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LqasRule {
    pub n: u64,
    /// Pass if at least this many comply.
    pub d: u64,
    /// P(fewer than d comply | compliance = upper).
    pub alpha: f64,
    /// P(at least d comply | compliance = lower).
    pub beta: f64,
}

fn risks(n: u64, d: u64, upper: f64, lower: f64) -> (f64, f64) {
    if d == 0 {
        return (0.0, 1.0);
    }
    (binomial_cdf(n, d - 1, upper), 1.0 - binomial_cdf(n, d - 1, lower))
}

/// Checks the thresholds: both strictly between 0 and 1, upper above lower.
pub fn check_thresholds(upper: f64, lower: f64) -> Result<(), String> {
    if !(0.0 < lower && lower < upper && upper < 1.0) {
        return Err(format!(
            "thresholds must satisfy 0 < lower < upper < 1 (got upper {upper}, lower {lower})"
        ));
    }
    Ok(())
}

/// For a given n, the d with the smallest larger risk (ties: the smaller
/// sum of risks, then the smaller d).
pub fn rule_for(n: u64, upper: f64, lower: f64) -> LqasRule {
    let mut best: Option<LqasRule> = None;
    for d in 0..=n {
        let (alpha, beta) = risks(n, d, upper, lower);
        let cand = LqasRule { n, d, alpha, beta };
        let key = |r: &LqasRule| (r.alpha.max(r.beta), r.alpha + r.beta);
        if best.as_ref().is_none_or(|b| key(&cand) < key(b)) {
            best = Some(cand);
        }
    }
    best.unwrap_or(LqasRule { n, d: 0, alpha: 0.0, beta: 1.0 })
}

/// The smallest n with a rule whose risks are within both limits, and that
/// rule (the smallest larger risk among those within the limits).
pub fn smallest(upper: f64, lower: f64, alpha_max: f64, beta_max: f64, max_n: u64) -> Option<LqasRule> {
    for n in 1..=max_n {
        let fits = (0..=n)
            .map(|d| {
                let (alpha, beta) = risks(n, d, upper, lower);
                LqasRule { n, d, alpha, beta }
            })
            .filter(|r| r.alpha <= alpha_max && r.beta <= beta_max)
            .min_by(|a, b| a.alpha.max(a.beta).total_cmp(&b.alpha.max(b.beta)));
        if fits.is_some() {
            return fits;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classic_19_sample_rule() {
        // n = 19 at 80% / 50%: pass with 13 or more; both risks under 10%.
        let r = rule_for(19, 0.8, 0.5);
        assert_eq!(r.d, 13);
        assert!((r.alpha - 0.0676).abs() < 5e-4, "{}", r.alpha);
        assert!((r.beta - 0.0835).abs() < 5e-4, "{}", r.beta);
        let s = smallest(0.8, 0.5, 0.10, 0.10, 100).unwrap();
        assert_eq!((s.n, s.d), (19, 13));
    }
}
