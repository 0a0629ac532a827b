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

/// Euclid's greatest common divisor; in 64-bit arithmetic once both
/// numbers fit (a 128-bit remainder is a call into the runtime, about ten
/// times a 64-bit one, and a draw reduces tens of thousands of fractions).
fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        if let (Ok(x), Ok(y)) = (u64::try_from(a), u64::try_from(b)) {
            return u128::from(gcd64(x, y));
        }
        (a, b) = (b, a % b);
    }
    a
}

fn gcd64(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Powers of ten up to 10^19.
const POW10: [u128; 20] = {
    let mut p = [1u128; 20];
    let mut k = 1;
    while k < 20 {
        p[k] = p[k - 1] * 10;
        k += 1;
    }
    p
};

/// The largest denominator that leaves room for `k` more digits at once:
/// `ROOM[k]·10^k` fits in 128 bits.
const ROOM: [u128; 20] = {
    let mut r = [u128::MAX; 20];
    let mut k = 1;
    while k < 20 {
        r[k] = u128::MAX / POW10[k];
        k += 1;
    }
    r
};

/// How many digits at a step the long division by `den` has room for (1 to
/// 19).
fn room(den: u128) -> usize {
    (1..=19).take_while(|&k| den <= ROOM[k]).last().unwrap_or(1)
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
    /// division: exact for denominators up to `u128::MAX / 10` (the rules
    /// keep a probability's below 2^120, SAMPLING.md §11).
    pub fn decimal(&self, places: usize) -> String {
        let mut int = self.num / self.den;
        let mut rem = self.num % self.den;
        // The long division goes up to 19 digits at a step, as many as the
        // denominator leaves room for in 128 bits (at least one, within the
        // bound above): the same digits as one at a time, in one division
        // instead of twelve for a probability's places.
        let room = room(self.den);
        let mut digits = Vec::with_capacity(places);
        while digits.len() < places {
            let k = room.min(places - digits.len());
            let scaled = rem * POW10[k];
            // 64-bit division where it fits: several times faster.
            let q = if self.den <= u128::from(u64::MAX) && scaled <= u128::from(u64::MAX) {
                let (scaled, den) = (scaled as u64, self.den as u64);
                rem = u128::from(scaled % den);
                scaled / den
            } else {
                rem = scaled % self.den;
                (scaled / self.den) as u64
            };
            let at = digits.len();
            digits.resize(at + k, b'0');
            let mut q = q;
            for d in digits[at..].iter_mut().rev() {
                *d = b'0' + (q % 10) as u8;
                q /= 10;
            }
        }
        if rem >= self.den - rem {
            // Half up: carry from the last place.
            match digits.iter().rposition(|&d| d != b'9') {
                Some(i) => {
                    digits[i] += 1;
                    digits[i + 1..].fill(b'0');
                }
                None => {
                    digits.fill(b'0');
                    int += 1;
                }
            }
        }
        let mut s = int.to_string();
        if !digits.is_empty() {
            s.reserve(1 + digits.len());
            s.push('.');
            // ASCII digits only.
            s.push_str(std::str::from_utf8(&digits).expect("ASCII digits"));
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

    /// Long division a digit at a time (SAMPLING.md §11: exact rationals,
    /// 12 places, half up).
    fn decimal_by_digits(r: &Ratio, places: usize) -> String {
        let (mut int, mut rem) = (r.num / r.den, r.num % r.den);
        let mut digits = Vec::new();
        for _ in 0..places {
            rem *= 10;
            digits.push((rem / r.den) as u8);
            rem %= r.den;
        }
        if rem >= r.den - rem {
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

    /// The greatest common divisor, in 64 bits or not, divides both
    /// numbers and leaves fractions with no common factor.
    #[test]
    fn the_greatest_common_divisor_is_found_at_every_width() {
        let reference = |mut a: u128, mut b: u128| {
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a
        };
        let mut state = 99u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            state
        };
        for _ in 0..20_000 {
            let bits = |r: u64| (r % 118) as u32 + 1;
            let (f, x, y) = (u128::from(next() % 1000 + 1), next(), next());
            let a = ((u128::from(x) << 64 | u128::from(y)) >> (128 - bits(next()))) * f;
            let b = ((u128::from(y) << 64 | u128::from(x)) >> (128 - bits(next()))) * f;
            let g = gcd(a, b);
            assert_eq!(g, reference(a, b), "{a} {b}");
            if g > 0 {
                assert!(a % g == 0 && b % g == 0 && reference(a / g, b / g) == 1);
            }
        }
        assert_eq!((gcd(0, 0), gcd(0, 7), gcd(7, 0), gcd(1 << 100, 1 << 70)), (0, 7, 7, 1 << 70));
        assert_eq!(gcd(u128::from(u64::MAX) + 1, 6), 2);
    }

    #[test]
    fn decimals_in_steps_are_the_digits_one_at_a_time() {
        // Numerators and denominators of every width up to the rules'
        // bound, carries through runs of nines, places from none to more
        // than two steps.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let wide = |hi: u64, lo: u64| u128::from(hi) << 64 | u128::from(lo);
        let mut cases = vec![
            Ratio { num: 1, den: 3 },
            Ratio { num: 2, den: 3 },
            Ratio { num: 9_999_999_999_995, den: 10_000_000_000_000 },
            Ratio { num: 1, den: 1 },
            Ratio { num: 0, den: 7 },
            Ratio { num: 7, den: 2 },
            Ratio { num: 1, den: 8 },
            Ratio { num: 5, den: 16 },
            Ratio { num: 1, den: 2_000_000_000_000 },
            Ratio { num: (1 << 100) + 1, den: 1 << 101 },
            Ratio { num: (1 << 124) - 1, den: 1 << 124 },
            Ratio { num: u128::from(u64::MAX) - 1, den: u128::from(u64::MAX) },
            Ratio { num: u128::from(u64::MAX), den: u128::from(u64::MAX) + 1 },
        ];
        for _ in 0..4000 {
            let bits = (next() % 124) as u32 + 1;
            // Even denominators too, so that exact halves are rounded up.
            let den = (wide(next(), next()) >> (128 - bits)).max(1);
            let num = match next() % 4 {
                0 => den - 1,
                1 => den * u128::from(next() % 5) + wide(next(), next()) % den,
                _ => wide(next(), next()) % den,
            };
            cases.push(Ratio { num, den });
        }
        for r in &cases {
            for places in [0, 1, 2, 6, 12, 19, 20, 25, 40] {
                assert_eq!(
                    r.decimal(places),
                    decimal_by_digits(r, places),
                    "{}/{} to {places} places",
                    r.num,
                    r.den
                );
            }
        }
    }

    #[test]
    fn room_is_the_largest_denominator_that_leaves_room_for_k_digits() {
        assert_eq!(POW10[19], 10_000_000_000_000_000_000);
        for k in 1..20 {
            assert_eq!(POW10[k], POW10[k - 1] * 10);
            assert!(ROOM[k].checked_mul(POW10[k]).is_some(), "{k}");
            assert!((ROOM[k] + 1).checked_mul(POW10[k]).is_none(), "{k}");
        }
    }

    #[test]
    fn the_division_takes_as_many_digits_at_a_step_as_the_denominator_leaves_room_for() {
        assert_eq!(room(1), 19);
        assert_eq!(room(ROOM[19]), 19);
        assert_eq!(room(ROOM[19] + 1), 18);
        assert_eq!(room(1 << 64), 19);
        assert_eq!(room(1 << 120), 2);
        assert_eq!(room(ROOM[1]), 1);
    }

    #[test]
    fn a_ratio_as_a_float_is_its_quotient() {
        assert_eq!(Ratio::new(1, 4).to_f64(), 0.25);
        assert_eq!(Ratio::new(3, 2).to_f64(), 1.5);
        assert_eq!(Ratio { num: 1 << 100, den: 1 << 102 }.to_f64(), 0.25);
    }

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
