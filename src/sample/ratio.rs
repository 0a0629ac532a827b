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
        // 64-bit division gives the same digits when nothing can overflow,
        // and is several times faster than 128-bit division.
        let (int, digits, half_up) = if self.num <= self.den && self.den <= u128::from(u64::MAX / 10) {
            let den = self.den as u64;
            let mut rem = self.num as u64 % den;
            let d = (0..places)
                .map(|_| {
                    rem *= 10;
                    let q = (rem / den) as u8;
                    rem %= den;
                    q
                })
                .collect();
            (u128::from(self.num as u64 / den), d, rem >= den - rem)
        } else {
            let mut rem = self.num % self.den;
            let d = (0..places)
                .map(|_| {
                    rem *= 10; // rem < den ≤ 2^124 under the rules' bounds
                    let q = (rem / self.den) as u8;
                    rem %= self.den;
                    q
                })
                .collect();
            (self.num / self.den, d, rem >= self.den - rem)
        };
        render_decimal(int, digits, half_up)
    }

    pub fn to_f64(&self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

/// Writes `int.digits`, adding one in the last place when `half_up`.
fn render_decimal(mut int: u128, mut digits: Vec<u8>, half_up: bool) -> String {
    if half_up {
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
    if !digits.is_empty() {
        s.push('.');
        s.extend(digits.iter().map(|d| char::from(b'0' + d)));
    }
    s
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
        // The 128-bit path gives the same digits as the 64-bit one.
        let big = Ratio { num: 3 << 70, den: 17 << 70 };
        assert_eq!(big.decimal(12), "0.176470588235");
        assert_eq!(Ratio { num: 5 << 70, den: 1 << 70 }.decimal(2), "5.00");
    }

    #[test]
    fn products_reduce() {
        let p = Ratio::new(2, 9).checked_mul(Ratio::new(3, 4)).unwrap();
        assert_eq!(p, Ratio::new(1, 6));
        let big = Ratio::new(1, 1 << 100);
        assert!(big.checked_mul(big).is_none());
    }
}
