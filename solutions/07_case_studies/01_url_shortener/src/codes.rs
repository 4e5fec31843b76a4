//! Short codes: base62 of 64-bit, Snowflake-style IDs.
//!
//! ```text
//!  63                     22 21        12 11          0
//! ┌─────────────────────────┬────────────┬─────────────┐
//! │ ms since 2024-01-01 UTC │ worker (0) │  sequence   │
//! └─────────────────────────┴────────────┴─────────────┘
//! ```
//!
//! Unique by construction on one worker: every ID is greater than the last
//! one issued. The clock only lifts the floor, so a clock that stands still
//! (or steps back) never makes the generator wait or repeat itself; after a
//! restart, the largest ID in the log is the floor.

/// The 62 characters of a code, in digit order.
pub const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The ID epoch: 2024-01-01T00:00:00Z in Unix milliseconds. A recent epoch
/// keeps codes short for longer (41 bits of milliseconds last 69 years).
pub const EPOCH_MS: u64 = 1_704_067_200_000;

/// Bits below the timestamp: 10 of worker id and 12 of sequence.
const TIME_SHIFT: u32 = 22;

/// This process's worker id. One process, one worker; a fleet would give
/// each process its own (from its config or a lease in ZooKeeper/etcd).
const WORKER: u64 = 0;

/// `n` in base62, most significant digit first; `0` is `"0"`.
pub fn base62(mut n: u64) -> String {
    let mut digits = Vec::with_capacity(11);
    loop {
        digits.push(ALPHABET[(n % 62) as usize]);
        n /= 62;
        if n == 0 {
            break;
        }
    }
    digits.reverse();
    String::from_utf8(digits).expect("base62 digits are ASCII")
}

/// The number a base62 code spells, or `None` if it is not one (another
/// character, or more than fits in 64 bits).
pub fn decode_base62(code: &str) -> Option<u64> {
    if code.is_empty() {
        return None;
    }
    code.bytes().try_fold(0_u64, |n, c| {
        let digit = ALPHABET.iter().position(|&a| a == c)? as u64;
        n.checked_mul(62)?.checked_add(digit)
    })
}

/// Issues increasing IDs as codes; the default has issued nothing.
#[derive(Debug, Default)]
pub struct CodeGenerator {
    last: u64,
}

impl CodeGenerator {
    /// Takes note of a code issued before (read back from the log at start),
    /// so no later code repeats it.
    pub fn observe(&mut self, code: &str) {
        if let Some(id) = decode_base62(code) {
            self.last = self.last.max(id);
        }
    }

    /// A code never issued before: the ID for `now_ms`, or the last ID plus
    /// one if that is not greater.
    ///
    /// # Panics
    /// After 2^64 IDs.
    pub fn next(&mut self, now_ms: u64) -> String {
        let floor = (now_ms.saturating_sub(EPOCH_MS) << TIME_SHIFT) | (WORKER << 12);
        let next = self.last.checked_add(1).expect("64-bit IDs are exhausted");
        self.last = next.max(floor);
        base62(self.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_round_trips() {
        for n in [0, 1, 61, 62, 3843, 3844, u64::MAX] {
            assert_eq!(decode_base62(&base62(n)), Some(n));
        }
        assert_eq!(base62(u64::MAX).len(), 11);
        assert_eq!(decode_base62("a-b"), None);
        assert_eq!(decode_base62("zzzzzzzzzzzz"), None);
    }

    #[test]
    fn a_frozen_clock_still_gives_new_codes() {
        let mut codes = CodeGenerator::default();
        let a = codes.next(EPOCH_MS + 1_000);
        let b = codes.next(EPOCH_MS + 1_000);
        let c = codes.next(EPOCH_MS);
        assert!(decode_base62(&a) < decode_base62(&b));
        assert!(decode_base62(&b) < decode_base62(&c));
        let mut restarted = CodeGenerator::default();
        restarted.observe(&c);
        assert!(decode_base62(&restarted.next(EPOCH_MS + 1_000)) > decode_base62(&c));
    }
}
