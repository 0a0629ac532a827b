//! Exact inclusion probabilities as fractions of unsigned integers, and their
//! decimal rendering. No floating point touches a probability that is
//! published, so any language can reproduce the printed digits.

use std::fmt;

/// A fraction `num/den` in lowest terms, `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    pub num: u128,
    pub den: u128,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Ratio {
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };
    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };

    pub fn new(num: u128, den: u128) -> Ratio {
        assert!(den > 0, "a ratio needs a positive denominator");
        let g = gcd(num, den).max(1);
        Ratio { num: num / g, den: den / g }
    }

    pub fn is_one(&self) -> bool {
        self.num == self.den
    }

    /// The product, reduced before multiplying so that the bounded sizes the
    /// rules allow never overflow. Returns `None` on overflow.
    pub fn checked_mul(self, o: Ratio) -> Option<Ratio> {
        let g1 = gcd(self.num, o.den).max(1);
        let g2 = gcd(o.num, self.den).max(1);
        let num = (self.num / g1).checked_mul(o.num / g2)?;
        let den = (self.den / g2).checked_mul(o.den / g1)?;
        Some(Ratio::new(num, den))
    }

    /// Decimal with `places` digits after the point, rounded half up, by long
    /// division (exact for any size the type holds).
    pub fn decimal(&self, places: usize) -> String {
        let int = self.num / self.den;
        let mut rem = self.num % self.den;
        let mut digits: Vec<u8> = Vec::with_capacity(places);
        for _ in 0..places {
            // rem < den ≤ 2^124 is guaranteed by the caller's bounds
            rem *= 10;
            digits.push((rem / self.den) as u8);
            rem %= self.den;
        }
        let mut int = int;
        // Round half up: the rest is ≥ one half of the last place.
        if rem >= self.den - rem {
            let mut i = digits.len();
            loop {
                if i == 0 {
                    int += 1;
                    break;
                }
                i -= 1;
                if digits[i] == 9 {
                    digits[i] = 0;
                } else {
                    digits[i] += 1;
                    break;
                }
            }
        }
        let mut s = int.to_string();
        if places > 0 {
            s.push('.');
            s.extend(digits.iter().map(|d| char::from(b'0' + d)));
        }
        s
    }

    pub fn to_f64(&self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_half_up() {
        assert_eq!(Ratio::new(1, 3).decimal(4), "0.3333");
        assert_eq!(Ratio::new(2, 3).decimal(4), "0.6667");
        assert_eq!(Ratio::new(1, 8).decimal(2), "0.13");
        assert_eq!(Ratio::new(999_999, 1_000_000).decimal(3), "1.000");
        assert_eq!(Ratio::ONE.decimal(2), "1.00");
        assert_eq!(Ratio::new(3, 17).decimal(12), "0.176470588235");
    }

    #[test]
    fn products_reduce() {
        let p = Ratio::new(2, 9).checked_mul(Ratio::new(3, 4)).unwrap();
        assert_eq!(p, Ratio::new(1, 6));
        let big = Ratio::new(1, 1 << 100);
        assert!(big.checked_mul(big).is_none());
    }
}
