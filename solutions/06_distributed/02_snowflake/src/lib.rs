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

const MACHINE_SHIFT: u32 = SEQUENCE_BITS;
const TIMESTAMP_SHIFT: u32 = SEQUENCE_BITS + MACHINE_BITS;
/// The state before the first ID: no (timestamp, sequence) packs to this,
/// since a timestamp has only 41 bits.
const NOTHING_ISSUED: u64 = u64::MAX;

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
        match self {
            Self::MachineIdOutOfRange(id) => {
                write!(
                    f,
                    "machine id {id} does not fit in {MACHINE_BITS} bits (max {MAX_MACHINE_ID})"
                )
            }
            Self::SequenceOutOfRange(s) => {
                write!(
                    f,
                    "sequence {s} does not fit in {SEQUENCE_BITS} bits (max {MAX_SEQUENCE})"
                )
            }
            Self::TimestampOverflow => write!(f, "timestamp does not fit in {TIMESTAMP_BITS} bits"),
            Self::ClockBeforeEpoch { now_ms, epoch_ms } => {
                write!(f, "clock reads {now_ms} ms, before the epoch {epoch_ms} ms")
            }
            Self::ClockMovedBackwards { by_ms } => {
                write!(
                    f,
                    "clock moved backwards by {by_ms} ms; refusing to risk a duplicate ID"
                )
            }
            Self::SequenceExhausted => write!(f, "all 4096 IDs of this millisecond are used"),
        }
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
    if parts.timestamp_ms > MAX_TIMESTAMP {
        return Err(SnowflakeError::TimestampOverflow);
    }
    if parts.machine_id > MAX_MACHINE_ID {
        return Err(SnowflakeError::MachineIdOutOfRange(parts.machine_id));
    }
    if parts.sequence > MAX_SEQUENCE {
        return Err(SnowflakeError::SequenceOutOfRange(parts.sequence));
    }
    Ok(parts.timestamp_ms << TIMESTAMP_SHIFT
        | u64::from(parts.machine_id) << MACHINE_SHIFT
        | u64::from(parts.sequence))
}

/// Splits an ID into its fields (the always-zero top bit is ignored).
pub fn decode(id: u64) -> Parts {
    Parts {
        timestamp_ms: (id >> TIMESTAMP_SHIFT) & MAX_TIMESTAMP,
        // Masked to 10 and 12 bits, so the casts cannot truncate.
        machine_id: ((id >> MACHINE_SHIFT) & u64::from(MAX_MACHINE_ID)) as u16,
        sequence: (id & u64::from(MAX_SEQUENCE)) as u16,
    }
}

/// A Snowflake ID generator for one machine id, reading time from `C`.
///
/// Share it between threads by reference or in an `Arc`: every method takes
/// `&self`.
#[derive(Debug)]
pub struct Generator<C> {
    clock: C,
    machine_id: u16,
    epoch_ms: u64,
    max_backward_skew_ms: u64,
    /// `timestamp << 12 | sequence` of the last ID issued, or
    /// [`NOTHING_ISSUED`]. One word, so one compare-and-swap claims an ID.
    last: AtomicU64,
}

impl<C: Clock> Generator<C> {
    /// A generator for `machine_id` with the [`DEFAULT_EPOCH_MS`] epoch and
    /// no tolerated backward skew.
    ///
    /// Errors with [`SnowflakeError::MachineIdOutOfRange`] above 1023.
    pub fn new(machine_id: u16, clock: C) -> Result<Self, SnowflakeError> {
        if machine_id > MAX_MACHINE_ID {
            return Err(SnowflakeError::MachineIdOutOfRange(machine_id));
        }
        Ok(Self {
            clock,
            machine_id,
            epoch_ms: DEFAULT_EPOCH_MS,
            max_backward_skew_ms: 0,
            last: AtomicU64::new(NOTHING_ISSUED),
        })
    }

    /// Counts timestamps from `epoch_ms` (Unix milliseconds) instead.
    pub fn with_epoch(mut self, epoch_ms: u64) -> Self {
        self.epoch_ms = epoch_ms;
        self
    }

    /// Lets [`Generator::next_id`] wait out a clock that went back by at most
    /// `skew_ms` instead of failing. [`Generator::try_next_id`] still reports
    /// it.
    pub fn with_max_backward_skew(mut self, skew_ms: u64) -> Self {
        self.max_backward_skew_ms = skew_ms;
        self
    }

    /// Continues after `last_id`, an ID this machine issued before a restart
    /// (persisted by the caller): every later ID is greater, even if the
    /// clock now reads earlier than `last_id`'s timestamp. Only its timestamp
    /// and sequence are used.
    pub fn resume_after(self, last_id: u64) -> Self {
        let parts = decode(last_id);
        self.last.store(
            parts.timestamp_ms << SEQUENCE_BITS | u64::from(parts.sequence),
            Ordering::Release,
        );
        self
    }

    /// This generator's machine id.
    pub fn machine_id(&self) -> u16 {
        self.machine_id
    }

    /// This generator's epoch, in Unix milliseconds.
    pub fn epoch_ms(&self) -> u64 {
        self.epoch_ms
    }

    /// The next ID, without waiting.
    ///
    /// Errors: [`SnowflakeError::SequenceExhausted`] when this millisecond's
    /// 4096 IDs are used, [`SnowflakeError::ClockMovedBackwards`] when the
    /// clock reads earlier than the last ID, [`SnowflakeError::ClockBeforeEpoch`]
    /// and [`SnowflakeError::TimestampOverflow`] when the clock is outside the
    /// format's range. No ID is consumed by a failed call.
    pub fn try_next_id(&self) -> Result<u64, SnowflakeError> {
        // Load the state *before* reading the clock. The other order lets a
        // thread read time t, lose the CPU while another thread issues an ID
        // at t+1, then see its own stale t as "the clock went backwards".
        let mut last = self.last.load(Ordering::Acquire);
        loop {
            let now = self.elapsed_ms()?;
            let next = next_slot(last, now)?;
            // Acquire/Release pairs each claim with the next thread's load,
            // so that thread's clock read comes after our clock read.
            match self
                .last
                .compare_exchange_weak(last, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Ok(self.compose(next)),
                // Someone else claimed a slot (or a spurious failure): retry
                // with what they left, re-reading the clock.
                Err(actual) => last = actual,
            }
        }
    }

    /// The next ID, waiting when it has to: for the next millisecond when
    /// this one's sequence is used up, and for the clock to catch up when it
    /// went back by at most the configured skew. A clock further back, one
    /// before the epoch, or a timestamp overflow is an error.
    pub fn next_id(&self) -> Result<u64, SnowflakeError> {
        loop {
            match self.try_next_id() {
                Err(SnowflakeError::SequenceExhausted) => {}
                Err(SnowflakeError::ClockMovedBackwards { by_ms })
                    if by_ms <= self.max_backward_skew_ms => {}
                done => return done,
            }
            // The wait is at most a millisecond (or the small skew): spin
            // politely rather than sleep, whose granularity is coarser.
            std::hint::spin_loop();
            crate::sync::thread::yield_now();
        }
    }

    /// Milliseconds since the epoch, checked against the format's range.
    fn elapsed_ms(&self) -> Result<u64, SnowflakeError> {
        let now_ms = self.clock.unix_millis();
        let elapsed =
            now_ms
                .checked_sub(self.epoch_ms)
                .ok_or(SnowflakeError::ClockBeforeEpoch {
                    now_ms,
                    epoch_ms: self.epoch_ms,
                })?;
        if elapsed > MAX_TIMESTAMP {
            return Err(SnowflakeError::TimestampOverflow);
        }
        Ok(elapsed)
    }

    fn compose(&self, slot: u64) -> u64 {
        slot >> SEQUENCE_BITS << TIMESTAMP_SHIFT
            | u64::from(self.machine_id) << MACHINE_SHIFT
            | (slot & u64::from(MAX_SEQUENCE))
    }
}

/// The (timestamp, sequence) slot to claim after `last` when the clock reads
/// `now`, packed as `timestamp << 12 | sequence`.
fn next_slot(last: u64, now: u64) -> Result<u64, SnowflakeError> {
    if last == NOTHING_ISSUED {
        return Ok(now << SEQUENCE_BITS);
    }
    let last_ts = last >> SEQUENCE_BITS;
    if now > last_ts {
        Ok(now << SEQUENCE_BITS)
    } else if now < last_ts {
        Err(SnowflakeError::ClockMovedBackwards {
            by_ms: last_ts - now,
        })
    } else if last & u64::from(MAX_SEQUENCE) == u64::from(MAX_SEQUENCE) {
        // Wrapping to 0 here would repeat this millisecond's first ID.
        Err(SnowflakeError::SequenceExhausted)
    } else {
        Ok(last + 1)
    }
}
