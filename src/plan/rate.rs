//! Rates as exact decimal fractions. Sample-size rules round expected
//! deviation counts up, and `0.035 × 400` is 14.000000000000002 in binary
//! floating point: so rates are kept as the decimal the user wrote.

use std::fmt;

/// A rate `num/den` in [0, 1], as written (`0.035`, `3.5%`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub num: u64,
    pub den: u64,
}

impl Rate {
    /// Parses `0.05`, `.05`, `5%`, `2.5%` or `1`. At most 12 decimals.
    pub fn parse(text: &str) -> Result<Rate, String> {
        let t = text.trim();
        let (body, percent) = match t.strip_suffix('%') {
            Some(b) => (b.trim(), true),
            None => (t, false),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits_ok = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits_ok(int) || !digits_ok(frac) || frac.len() > 12 {
            return Err(format!("`{text}` is not a rate; write it like 0.05 or 5%"));
        }
        let mut den: u64 = 10u64.pow(frac.len() as u32);
        let int_v: u64 =
            if int.is_empty() { 0 } else { int.parse().map_err(|_| format!("`{text}` is too large"))? };
        let frac_v: u64 =
            if frac.is_empty() { 0 } else { frac.parse().map_err(|_| format!("`{text}` is not a rate"))? };
        let mut num = int_v
            .checked_mul(den)
            .and_then(|v| v.checked_add(frac_v))
            .ok_or(format!("`{text}` is too large"))?;
        if percent {
            den = den.checked_mul(100).ok_or(format!("`{text}` has too many decimals"))?;
        }
        let g = gcd(num, den).max(1);
        (num, den) = (num / g, den / g);
        if num > den {
            return Err(format!("`{text}` is more than 1 (100%)"));
        }
        Ok(Rate { num, den })
    }

    pub fn zero() -> Rate {
        Rate { num: 0, den: 1 }
    }

    pub fn value(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// ⌈rate × n⌉, exactly.
    pub fn ceil_times(self, n: u64) -> u64 {
        let p = u128::from(self.num) * u128::from(n);
        p.div_ceil(u128::from(self.den)) as u64
    }

    /// 1 − rate.
    pub fn complement(self) -> Rate {
        Rate { num: self.den - self.num, den: self.den }
    }

    /// Strictly between 0 and 1.
    pub fn is_proper(self) -> bool {
        self.num > 0 && self.num < self.den
    }

    /// self < other, exactly.
    pub fn lt(self, other: Rate) -> bool {
        u128::from(self.num) * u128::from(other.den) < u128::from(other.num) * u128::from(self.den)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl fmt::Display for Rate {
    /// As a percentage with up to 4 decimals, trailing zeros dropped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = format!("{:.4}", self.value() * 100.0);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        write!(f, "{s}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_exact() {
        // 0.035 × 400 = 14 exactly, not 14.000000000000002 → 15.
        assert_eq!(Rate::parse("0.035").unwrap().ceil_times(400), 14);
        assert_eq!(Rate::parse("3.5%").unwrap().ceil_times(400), 14);
        assert_eq!(Rate::parse("0.035").unwrap().ceil_times(401), 15);
        assert_eq!(Rate::parse("0.0025").unwrap().ceil_times(236), 1);
    }

    #[test]
    fn parsing() {
        assert_eq!(Rate::parse("5%").unwrap(), Rate { num: 1, den: 20 });
        assert_eq!(Rate::parse(".10").unwrap(), Rate { num: 1, den: 10 });
        assert_eq!(Rate::parse("1").unwrap(), Rate { num: 1, den: 1 });
        assert!(Rate::parse("1.5").is_err());
        assert!(Rate::parse("-0.1").is_err());
        assert!(Rate::parse("abc").is_err());
        assert!(Rate::parse("").is_err());
        assert_eq!(Rate::parse("2.5%").unwrap().to_string(), "2.5%");
    }
}
