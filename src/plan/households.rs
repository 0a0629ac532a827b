//! How many households to visit in each sampled village (SCORING.md §12):
//! enough that a county's household rate is known within a margin. With m
//! villages of k households each, the rate's variance is Kish's
//! p(1 − p) / (m k) · (1 + (k − 1) ρ), ρ the intra-village correlation; a
//! design effect given at a village size, or estimated from a campaign's
//! own household findings, gives ρ.

/// The intra-village correlation that a design effect `deff` observed with
/// `k` households per village implies: (deff − 1) / (k − 1), within [0, 1].
pub fn icc(deff: f64, k: f64) -> f64 {
    if k <= 1.0 || !deff.is_finite() {
        return 0.0;
    }
    ((deff - 1.0) / (k - 1.0)).clamp(0.0, 1.0)
}

/// The design effect of k households per village at correlation ρ.
pub fn deff(k: f64, rho: f64) -> f64 {
    1.0 + (k - 1.0).max(0.0) * rho
}

/// The half-width of the interval of a rate p estimated from `villages`
/// villages of `k` households each, at correlation ρ, with `quantile` the t
/// (or normal) quantile of the interval.
pub fn half_width(p: f64, villages: u64, k: u64, rho: f64, quantile: f64) -> f64 {
    if villages == 0 || k == 0 {
        return f64::INFINITY;
    }
    quantile * (p * (1.0 - p) * deff(k as f64, rho) / (villages as f64 * k as f64)).sqrt()
}

/// What a plan found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Need {
    /// The smallest k reaching the margin.
    Households(u64),
    /// No k reaches it with these villages: however many households are
    /// visited, the half-width stays above `floor` (the villages' own
    /// variation, t · √(ρ p (1 − p) / m)).
    MoreVillages { floor: f64 },
}

/// The smallest number of households per village whose interval half-width
/// is at most `margin`: k ≥ (1 − ρ) / (A − ρ) with A = m e² / (t² p (1 − p)).
pub fn households_per_village(p: f64, margin: f64, villages: u64, rho: f64, quantile: f64) -> Need {
    let v = p * (1.0 - p);
    if v <= 0.0 {
        return Need::Households(1);
    }
    let a = villages as f64 * margin * margin / (quantile * quantile * v);
    if a <= rho || villages == 0 {
        return Need::MoreVillages { floor: quantile * (rho * v / villages.max(1) as f64).sqrt() };
    }
    let mut k = ((1.0 - rho) / (a - rho)).ceil().max(1.0) as u64;
    // The bound is exact in real numbers; settle the last unit on the
    // half-width itself.
    while k > 1 && half_width(p, villages, k - 1, rho, quantile) <= margin {
        k -= 1;
    }
    while half_width(p, villages, k, rho, quantile) > margin {
        k += 1;
    }
    Need::Households(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_clustering_the_plan_is_the_simple_random_sample_size() {
        // p = 0.5, ±5 points at z = 1.96: n = 384.16 → 385 households; 20
        // villages share them: 20 each (19.2 rounded up).
        let z = 1.959_963_984_540_054;
        assert_eq!(households_per_village(0.5, 0.05, 20, 0.0, z), Need::Households(20));
        assert!(half_width(0.5, 20, 20, 0.0, z) <= 0.05 && half_width(0.5, 20, 19, 0.0, z) > 0.05);
    }

    #[test]
    fn clustering_asks_for_more_households_and_can_need_more_villages() {
        let z = 1.959_963_984_540_054;
        let Need::Households(k) = households_per_village(0.5, 0.05, 20, 0.05, z) else { panic!() };
        assert!(k > 20, "{k}");
        assert!(half_width(0.5, 20, k, 0.05, z) <= 0.05 && half_width(0.5, 20, k - 1, 0.05, z) > 0.05);
        // ρ = 0.2 with 20 villages: even whole villages leave ±8.8 points.
        match households_per_village(0.5, 0.05, 20, 0.2, z) {
            Need::MoreVillages { floor } => {
                assert!((floor - z * (0.2 * 0.25 / 20.0f64).sqrt()).abs() < 1e-12)
            }
            other => panic!("{other:?}"),
        }
        assert!((icc(1.95, 20.0) - 0.05).abs() < 1e-12);
        assert!((deff(20.0, 0.05) - 1.95).abs() < 1e-12);
    }
}
