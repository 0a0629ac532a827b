//! The selection algorithms, on units already sorted by code: simple random
//! sampling by a partial Fisher–Yates shuffle, systematic PPS with certainty
//! units in exact integer arithmetic, and Rivest's public SHA-256 sampler.
//! Each reads randomness only from the stream it is given.

use super::ratio::Ratio;
use super::stream::Stream;
use crate::hash::sha256;

/// The first `k` positions of a Fisher–Yates shuffle of `0..n`: for
/// i = 0, 1, …, k−1, swap position i with i + below(n − i).
pub fn fisher_yates(n: usize, k: usize, stream: &mut Stream) -> Vec<usize> {
    let mut a: Vec<usize> = (0..n).collect();
    let k = k.min(n);
    for i in 0..k {
        let j = i + stream.below((n - i) as u64) as usize;
        a.swap(i, j);
    }
    a.truncate(k);
    a
}

/// PPS inclusion probabilities with certainty units, as R's
/// `sampling::inclusionprobabilities`: units with n·x/X ≥ 1 get probability
/// 1 and leave; the rest are rescaled, until no probability exceeds 1.
/// Returns each unit's probability and whether it is a certainty unit.
pub fn pps_probabilities(sizes: &[u128], n: u64) -> (Vec<Ratio>, Vec<bool>) {
    let mut certain = vec![false; sizes.len()];
    let (mut n_left, mut total) = (u128::from(n), sizes.iter().sum::<u128>());
    loop {
        if n_left == 0 || total == 0 {
            break;
        }
        let mut newly = false;
        for (i, &x) in sizes.iter().enumerate() {
            if !certain[i] && n_left * x >= total {
                certain[i] = true;
                newly = true;
            }
        }
        if !newly {
            break;
        }
        let taken = certain.iter().filter(|c| **c).count() as u128;
        n_left = u128::from(n).saturating_sub(taken);
        total = sizes.iter().zip(&certain).filter(|(_, c)| !**c).map(|(x, _)| x).sum();
    }
    let probs = sizes
        .iter()
        .zip(&certain)
        .map(|(&x, &c)| {
            if c {
                Ratio::ONE
            } else if total == 0 {
                Ratio::ZERO
            } else {
                Ratio::new(n_left * x, total)
            }
        })
        .collect();
    (probs, certain)
}

/// Systematic PPS among the non-certainty units: with X their total size and
/// m = n − (certainty units), draw u = below(X); unit i is selected when some
/// point u + j·X (j = 0 … m−1) falls in [m·C(i−1), m·C(i)), C being the
/// running size total. Returns the selected positions in point order.
pub fn systematic_pps(sizes: &[u128], certain: &[bool], n: u64, stream: &mut Stream) -> Vec<usize> {
    let m = u128::from(n).saturating_sub(certain.iter().filter(|c| **c).count() as u128);
    let total: u128 = sizes.iter().zip(certain).filter(|(_, c)| !**c).map(|(x, _)| x).sum();
    if m == 0 || total == 0 {
        return Vec::new();
    }
    let u =
        u128::from(stream.below(u64::try_from(total).expect("size totals are bounded by the rules check")));
    let candidates: Vec<usize> = (0..sizes.len()).filter(|&i| !certain[i]).collect();
    let mut picked = Vec::with_capacity(m as usize);
    // Points lie below m·X, the scaled end of the last interval, so the sweep
    // always finds a unit; `lower` is m·C(i−1) of the unit at `i`.
    let (mut i, mut lower) = (0usize, 0u128);
    for j in 0..m {
        let point = u + j * total;
        while let Some(&c) = candidates.get(i) {
            let upper = lower + m * sizes[c];
            if point < upper {
                picked.push(c);
                break;
            }
            lower = upper;
            i += 1;
        }
    }
    picked
}

/// Rivest's `sampler.py` (2011): draw i = 1, 2, … picks unit number
/// 1 + (SHA-256(seed + "," + i) read as a big-endian integer mod n);
/// a unit already picked is skipped and the counter still advances.
/// Returns 0-based positions of the first `k` distinct units, in draw order.
pub fn rivest(seed: &str, n: usize, k: usize) -> Vec<usize> {
    let k = k.min(n);
    let mut seen = vec![false; n];
    let mut out = Vec::with_capacity(k);
    let mut i: u64 = 0;
    while out.len() < k {
        i += 1;
        let pick = rivest_draw(seed, i, n as u128);
        if !seen[pick] {
            seen[pick] = true;
            out.push(pick);
        }
    }
    out
}

/// The 0-based unit number of draw `i` (sampler.py prints this plus one).
pub fn rivest_draw(seed: &str, i: u64, n: u128) -> usize {
    let digest = sha256(format!("{seed},{i}").as_bytes());
    let r = digest.iter().fold(0u128, |r, &b| (r * 256 + u128::from(b)) % n);
    r as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rivest_published_vectors() {
        // R. L. Rivest, sampler.py (2011), N = 1000.
        let one_based = |s: &str| rivest(s, 1000, 3).iter().map(|p| p + 1).collect::<Vec<_>>();
        assert_eq!(one_based("1"), [97, 89, 163]);
        assert_eq!(one_based("0"), [905, 573, 160]);
        assert_eq!(one_based("abcde"), [247, 427, 157]);
    }

    #[test]
    fn pps_capping_matches_r_inclusionprobabilities() {
        // sizes 1..20, n = 12: k/17 for k = 1..16, then 1 for the four largest.
        let sizes: Vec<u128> = (1..=20).collect();
        let (p, c) = pps_probabilities(&sizes, 12);
        for k in 1..=16 {
            assert_eq!(p[k - 1], Ratio::new(k as u128, 17));
            assert!(!c[k - 1]);
        }
        for k in 17..=20 {
            assert_eq!(p[k - 1], Ratio::ONE);
            assert!(c[k - 1]);
        }
    }

    #[test]
    fn systematic_pps_takes_exactly_m_distinct_units() {
        let sizes: Vec<u128> = vec![5, 1, 9, 3, 3, 7, 2, 8, 4, 6];
        let (_, certain) = pps_probabilities(&sizes, 4);
        for s in 0..200u8 {
            let mut st = Stream::new([s; 32]);
            let picked = systematic_pps(&sizes, &certain, 4, &mut st);
            assert_eq!(picked.len(), 4);
            let mut d = picked.clone();
            d.sort_unstable();
            d.dedup();
            assert_eq!(d.len(), 4);
        }
    }

    #[test]
    fn fisher_yates_is_a_prefix_of_a_permutation() {
        let mut st = Stream::new([1; 32]);
        let p = fisher_yates(10, 10, &mut st);
        let mut s = p.clone();
        s.sort_unstable();
        assert_eq!(s, (0..10).collect::<Vec<_>>());
    }
}
