//! Allocation of a total sample size over strata, proportional to a weight
//! (a size total, a unit count, or 1 each for equal allocation), within a
//! minimum and maximum per stratum, in exact integer arithmetic.

/// One stratum's weight and the most it can supply.
#[derive(Debug, Clone, Copy)]
pub struct Share {
    pub weight: u128,
    pub units: u64,
}

/// Hamilton's largest-remainder method with bounds: quotas total·w/W are
/// rounded down, the leftover goes one each to the largest remainders (ties
/// to the earlier stratum in code order). Strata below their lower bound are
/// fixed at it and the rest re-allocated; then likewise for upper bounds.
/// Bounds are [min(min, units), min(max, units)].
pub fn allocate(shares: &[Share], total: u64, min: u64, max: u64) -> Result<Vec<u64>, String> {
    let lo: Vec<u64> = shares.iter().map(|s| min.min(s.units)).collect();
    let hi: Vec<u64> = shares.iter().map(|s| max.min(s.units)).collect();
    let (sum_lo, sum_hi) = (lo.iter().sum::<u64>(), hi.iter().sum::<u64>());
    if total < sum_lo {
        return Err(format!("total {total} is less than the {sum_lo} that the per-stratum minimums need"));
    }
    if total > sum_hi {
        return Err(format!(
            "total {total} is more than the strata can supply within their maximums and sizes ({sum_hi})"
        ));
    }
    let mut fixed: Vec<Option<u64>> = vec![None; shares.len()];
    loop {
        let free: Vec<usize> = (0..shares.len()).filter(|&h| fixed[h].is_none()).collect();
        let t_free = u128::from(total) - fixed.iter().flatten().map(|&v| u128::from(v)).sum::<u128>();
        let w_free: u128 = free.iter().map(|&h| shares[h].weight).sum();
        let mut n = vec![0u64; shares.len()];
        if !free.is_empty() {
            // All-zero weights fall back to equal shares.
            let w = |h: usize| if w_free == 0 { 1 } else { shares[h].weight };
            let wt = if w_free == 0 { free.len() as u128 } else { w_free };
            let mut rems: Vec<(u128, usize)> = Vec::with_capacity(free.len());
            let mut given = 0u128;
            for &h in &free {
                let q = t_free * w(h);
                n[h] = (q / wt) as u64;
                given += q / wt;
                rems.push((q % wt, h));
            }
            rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            for &(_, h) in rems.iter().take((t_free - given) as usize) {
                n[h] += 1;
            }
        }
        let below: Vec<usize> = free.iter().copied().filter(|&h| n[h] < lo[h]).collect();
        let above: Vec<usize> = free.iter().copied().filter(|&h| n[h] > hi[h]).collect();
        if below.is_empty() && above.is_empty() {
            for &h in &free {
                fixed[h] = Some(n[h]);
            }
            break;
        }
        if below.is_empty() {
            above.iter().for_each(|&h| fixed[h] = Some(hi[h]));
        } else {
            below.iter().for_each(|&h| fixed[h] = Some(lo[h]));
        }
    }
    let out: Vec<u64> = fixed.into_iter().map(|v| v.unwrap_or(0)).collect();
    if out.iter().sum::<u64>() != total {
        return Err(format!("no allocation of {total} satisfies the per-stratum minimum and maximum"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares(w: &[u128]) -> Vec<Share> {
        w.iter().map(|&weight| Share { weight, units: 1000 }).collect()
    }

    #[test]
    fn proportional_with_largest_remainder() {
        // 10 over weights 1:2:3:4 → exactly 1, 2, 3, 4.
        assert_eq!(allocate(&shares(&[1, 2, 3, 4]), 10, 0, 100).unwrap(), [1, 2, 3, 4]);
        // 7 over 1:1:1 → 2.33 each; remainders tie, earlier strata first.
        assert_eq!(allocate(&shares(&[1, 1, 1]), 7, 0, 100).unwrap(), [3, 2, 2]);
    }

    #[test]
    fn bounds_are_respected() {
        let n = allocate(&shares(&[100, 1, 1]), 10, 3, 100).unwrap();
        assert_eq!(n, [4, 3, 3]);
        let n = allocate(&shares(&[100, 1, 1]), 10, 0, 5).unwrap();
        assert_eq!(n.iter().sum::<u64>(), 10);
        assert!(n[0] <= 5);
    }

    #[test]
    fn small_strata_cap_the_allocation() {
        let s = [Share { weight: 1, units: 2 }, Share { weight: 1, units: 50 }];
        assert_eq!(allocate(&s, 10, 3, 10).unwrap(), [2, 8]);
        assert!(allocate(&s, 20, 0, 10).is_err());
        assert!(allocate(&shares(&[1, 1]), 1, 1, 5).is_err());
    }
}
