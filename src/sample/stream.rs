//! Seeds and random streams. The public seed is normalised, then hashed with a
//! stratum's label into a ChaCha20 key, so every stratum draws from its own
//! stream and a change in one stratum cannot move another's sample. Integers
//! in `[0, m)` come from the stream by rejection, without modulo bias.
//! SAMPLING.md specifies all of this byte for byte.

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

use crate::hash::sha256;

/// Version tag mixed into every stream key; bumping it changes every draw.
pub const STREAM_TAG: &str = "spotcheck-draw-v1";

/// How the seed rolled at the ceremony may look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedPolicy {
    pub min_length: usize,
    pub digits_only: bool,
}

impl Default for SeedPolicy {
    fn default() -> SeedPolicy {
        // Election audits roll at least 20 decimal digits (about 66 bits).
        SeedPolicy { min_length: 20, digits_only: true }
    }
}

/// Normalises seed text: drops all white space and maps full-width digits
/// (typed with a Chinese input method) to ASCII. Then applies the policy.
pub fn normalize_seed(raw: &str, policy: &SeedPolicy) -> Result<String, String> {
    let norm: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            _ => c,
        })
        .collect();
    if policy.digits_only
        && let Some(bad) = norm.chars().find(|c| !c.is_ascii_digit())
    {
        return Err(format!("the seed policy allows digits only, but the seed contains `{bad}`"));
    }
    let len = norm.chars().count();
    if len < policy.min_length {
        return Err(format!(
            "the seed has {len} character{} after removing spaces; the seed policy requires at least {}",
            if len == 1 { "" } else { "s" },
            policy.min_length
        ));
    }
    Ok(norm)
}

/// The ChaCha20 key of one stratum's stream:
/// SHA-256(tag ‖ 0x00 ‖ seed ‖ 0x00 ‖ label), all UTF-8.
pub fn stream_key(seed: &str, label: &str) -> [u8; 32] {
    let mut msg = Vec::with_capacity(STREAM_TAG.len() + seed.len() + label.len() + 2);
    msg.extend_from_slice(STREAM_TAG.as_bytes());
    msg.push(0);
    msg.extend_from_slice(seed.as_bytes());
    msg.push(0);
    msg.extend_from_slice(label.as_bytes());
    sha256(&msg)
}

/// A stratum's random stream: ChaCha20 (20 rounds, nonce 0, counter from 0),
/// read as 32-bit little-endian words.
pub struct Stream {
    rng: ChaCha20Rng,
}

impl Stream {
    pub fn new(key: [u8; 32]) -> Stream {
        Stream { rng: ChaCha20Rng::from_seed(key) }
    }

    pub fn for_stratum(seed: &str, label: &str) -> Stream {
        Stream::new(stream_key(seed, label))
    }

    pub fn word(&mut self) -> u32 {
        self.rng.next_u32()
    }

    /// Two consecutive words, the first as the low half.
    pub fn word64(&mut self) -> u64 {
        let lo = u64::from(self.word());
        let hi = u64::from(self.word());
        lo | (hi << 32)
    }

    /// A uniform integer in `[0, m)`, `m ≥ 1`. Draws 64-bit values `v` and
    /// rejects those with `v ≥ 2^64 − (2^64 mod m)`; returns `v mod m`.
    pub fn below(&mut self, m: u64) -> u64 {
        assert!(m > 0, "below(0) has no values");
        let zone = u64::MAX - ((u64::MAX % m) + 1) % m; // largest accepted v
        loop {
            let v = self.word64();
            if v <= zone {
                return v % m;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chacha20_matches_rfc8439_zero_key_block() {
        // RFC 8439 A.1 test vector #1: key 0, nonce 0, counter 0; the
        // keystream starts 76 b8 e0 ad a0 f1 3d 90.
        let mut s = Stream::new([0u8; 32]);
        assert_eq!(s.word(), 0xade0_b876);
        assert_eq!(s.word(), 0x903d_f1a0);
    }

    #[test]
    fn seeds_normalise() {
        let p = SeedPolicy { min_length: 5, digits_only: true };
        assert_eq!(normalize_seed(" 12 345\t６７ ", &p).unwrap(), "1234567");
        assert!(normalize_seed("1234", &p).unwrap_err().contains("at least 5"));
        assert!(normalize_seed("12a45", &p).unwrap_err().contains("`a`"));
        let free = SeedPolicy { min_length: 2, digits_only: false };
        assert_eq!(normalize_seed("沧 州", &free).unwrap(), "沧州");
    }

    #[test]
    fn below_stays_in_range_for_awkward_moduli() {
        let mut s = Stream::new([7u8; 32]);
        for m in [1u64, 2, 3, 7, 1 << 63, (1 << 63) + 1, u64::MAX] {
            for _ in 0..50 {
                assert!(s.below(m) < m);
            }
        }
    }

    #[test]
    fn below_rejects_exactly_the_top_partial_block() {
        // m = 2^63 + 1: 2^64 mod m = 2^63 − 1, so the accepted values are
        // v < 2^64 − (2^64 mod m) = m: exactly one whole block [0, m).
        let m = (1u64 << 63) + 1;
        let r = ((u64::MAX % m) + 1) % m;
        assert_eq!(r, (1u64 << 63) - 1);
        assert_eq!(u64::MAX - r, m - 1);
    }
}
