//! Snowflake IDs: unique, roughly time-ordered 64-bit IDs made without any
//! coordination between machines.
//!
//! Layout, from the most significant bit (Twitter's 2010 format):
//!
//! ```text
//!  63  62                                   22 21          12 11           0
//! +---+---------------------------------------+--------------+--------------+
//! | 0 | milliseconds since the epoch (41 bits) | machine (10) | sequence (12)|
//! +---+---------------------------------------+--------------+--------------+
//! ```
//!
//! The top bit stays 0 so IDs are positive as `i64` (Java `long`, SQL
//! `BIGINT`). IDs from one generator strictly increase; IDs from generators
//! with different machine ids never collide; sorting IDs sorts them by time.
//!
//! The generator keeps its whole state, the last (timestamp, sequence) it
//! issued, in one [`AtomicU64`](crate::sync::AtomicU64) and advances it with a
//! compare-and-swap loop: no lock, and no lock held while reading the clock.

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, unused_mut, dead_code, unused_imports)]

pub mod sync;

use crate::sync::{AtomicU64, Ordering};

use kit::clock::Clock;
use std::fmt;

/// Bits of the millisecond timestamp.
pub const TIMESTAMP_BITS: u32 = 41;
/// Bits of the machine id.
pub const MACHINE_BITS: u32 = 10;
/// Bits of the per-millisecond sequence.
pub const SEQUENCE_BITS: u32 = 12;
/// The largest timestamp: 2⁴¹ − 1 ms, about 69.7 years after the epoch.
pub const MAX_TIMESTAMP: u64 = (1 << TIMESTAMP_BITS) - 1;
/// The largest machine id, 1023.
pub const MAX_MACHINE_ID: u16 = (1 << MACHINE_BITS) - 1;
/// The largest sequence number, 4095: 4096 IDs per millisecond per machine.
pub const MAX_SEQUENCE: u16 = (1 << SEQUENCE_BITS) - 1;
/// Twitter's epoch, 2010-11-04T01:42:54.657Z, the default.
pub const DEFAULT_EPOCH_MS: u64 = 1_288_834_974_657;

/// Why no ID could be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnowflakeError {
    /// The machine id does not fit in 10 bits.
    MachineIdOutOfRange(u16),
    /// The sequence does not fit in 12 bits (from [`encode`]).
    SequenceOutOfRange(u16),
    /// The timestamp is more than [`MAX_TIMESTAMP`] ms after the epoch: the
    /// format has run out of time bits.
    TimestampOverflow,
    /// The clock reads earlier than the generator's epoch.
    ClockBeforeEpoch {
        /// What the clock read, in Unix milliseconds.
        now_ms: u64,
        /// The epoch, in Unix milliseconds.
        epoch_ms: u64,
    },
    /// The clock reads earlier than the last ID issued (an NTP step back, a
    /// VM migration). Issuing now could repeat an ID.
    ClockMovedBackwards {
        /// How far behind the last issued timestamp the clock is.
        by_ms: u64,
    },
    /// All 4096 sequence numbers of this millisecond are used; the next ID
    /// must wait for the next millisecond (only from
    /// [`Generator::try_next_id`]).
    SequenceExhausted,
}

impl fmt::Display for SnowflakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("one sentence per variant")
    }
}

impl std::error::Error for SnowflakeError {}

/// The three fields of an ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Parts {
    /// Milliseconds since the generator's epoch (not since 1970).
    pub timestamp_ms: u64,
    /// The machine (worker) id, `0..=1023`.
    pub machine_id: u16,
    /// The sequence within the millisecond, `0..=4095`.
    pub sequence: u16,
}

/// Packs `parts` into an ID, checking that each field fits its bits.
pub fn encode(parts: Parts) -> Result<u64, SnowflakeError> {
    todo!("check each field fits, then shift and OR them together")
}

/// Splits an ID into its fields (the always-zero top bit is ignored).
pub fn decode(id: u64) -> Parts {
    todo!("shift and mask each field out")
}

/// A Snowflake ID generator for one machine id, reading time from `C`.
///
/// Share it between threads by reference or in an `Arc`: every method takes
/// `&self`.
#[derive(Debug)]
pub struct Generator<C> {
    // TODO: the rest of the state. Hint: the last (timestamp, sequence)
    // issued fits in one crate::sync::AtomicU64.
    clock: C,
}

impl<C: Clock> Generator<C> {
    /// A generator for `machine_id` with the [`DEFAULT_EPOCH_MS`] epoch and
    /// no tolerated backward skew.
    ///
    /// Errors with [`SnowflakeError::MachineIdOutOfRange`] above 1023.
    pub fn new(machine_id: u16, clock: C) -> Result<Self, SnowflakeError> {
        todo!("reject machine ids above 1023; default epoch; no skew; nothing issued yet")
    }

    /// Counts timestamps from `epoch_ms` (Unix milliseconds) instead.
    pub fn with_epoch(mut self, epoch_ms: u64) -> Self {
        todo!()
    }

    /// Lets [`Generator::next_id`] wait out a clock that went back by at most
    /// `skew_ms` instead of failing. [`Generator::try_next_id`] still reports
    /// it.
    pub fn with_max_backward_skew(mut self, skew_ms: u64) -> Self {
        todo!()
    }

    /// Continues after `last_id`, an ID this machine issued before a restart
    /// (persisted by the caller): every later ID is greater, even if the
    /// clock now reads earlier than `last_id`'s timestamp. Only its timestamp
    /// and sequence are used.
    pub fn resume_after(self, last_id: u64) -> Self {
        todo!("remember last_id's (timestamp, sequence) as the last one issued")
    }

    /// This generator's machine id.
    pub fn machine_id(&self) -> u16 {
        todo!()
    }

    /// This generator's epoch, in Unix milliseconds.
    pub fn epoch_ms(&self) -> u64 {
        todo!()
    }

    /// The next ID, without waiting.
    ///
    /// Errors: [`SnowflakeError::SequenceExhausted`] when this millisecond's
    /// 4096 IDs are used, [`SnowflakeError::ClockMovedBackwards`] when the
    /// clock reads earlier than the last ID, [`SnowflakeError::ClockBeforeEpoch`]
    /// and [`SnowflakeError::TimestampOverflow`] when the clock is outside the
    /// format's range. No ID is consumed by a failed call.
    pub fn try_next_id(&self) -> Result<u64, SnowflakeError> {
        todo!(
            "load the state, read the clock, work out the next (timestamp, sequence), claim it with compare-and-swap; retry if you lost"
        )
    }

    /// The next ID, waiting when it has to: for the next millisecond when
    /// this one's sequence is used up, and for the clock to catch up when it
    /// went back by at most the configured skew. A clock further back, one
    /// before the epoch, or a timestamp overflow is an error.
    pub fn next_id(&self) -> Result<u64, SnowflakeError> {
        todo!(
            "call try_next_id; on exhaustion, or a backwards clock within the skew, spin (spin_loop + yield_now) and try again"
        )
    }
}
