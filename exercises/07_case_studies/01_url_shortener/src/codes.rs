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
    todo!("digits of n in base 62 over ALPHABET, most significant first")
}

/// The number a base62 code spells, or `None` if it is not one (another
/// character, or more than fits in 64 bits).
pub fn decode_base62(code: &str) -> Option<u64> {
    todo!("the number a code spells, None for another character or an overflow")
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
        todo!("raise the floor: no later code may repeat this one")
    }

    /// A code never issued before: the ID for `now_ms`, or the last ID plus
    /// one if that is not greater.
    ///
    /// # Panics
    /// After 2^64 IDs.
    pub fn next(&mut self, now_ms: u64) -> String {
        todo!("max(last + 1, the time-based ID for now_ms) in base62; never wait for the clock")
    }
}
