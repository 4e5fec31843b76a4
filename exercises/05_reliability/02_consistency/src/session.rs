//! Session guarantees (Terry et al., "Session guarantees for weakly
//! consistent replicated data", 1994) for key-value histories.

use std::collections::HashMap;
use std::fmt;

use crate::{ClientId, History, KvOp, KvRet, OpId};

/// A session guarantee (Terry et al., 1994), checked by [`check_session`].
/// A client is a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Guarantee {
    /// A client sees its own acknowledged writes.
    ReadYourWrites,
    /// A client never sees a key go back to an older value.
    MonotonicReads,
    /// Every client sees one session's writes in the order it made them.
    MonotonicWrites,
}

/// A broken session guarantee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionViolation {
    /// The rule broken.
    pub guarantee: Guarantee,
    /// The key.
    pub key: u64,
    /// The offending read: the earliest invoked read that breaks the rule.
    pub read: OpId,
    /// The operation that makes `read` wrong (see [`check_session`]).
    pub evidence: OpId,
}

// Given: how a violation prints.
impl fmt::Display for SessionViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} broken on key {} by read {} (because of {})",
            self.guarantee, self.key, self.read, self.evidence
        )
    }
}

/// [`check_session`]'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionVerdict {
    /// Every client kept the guarantee.
    Ok,
    /// One did not.
    Violation(SessionViolation),
    /// The history does not meet the precondition (unique values). Never a
    /// pass.
    Unknown {
        /// Why, in a sentence.
        reason: String,
    },
}

/// Whether every client of the key-value `history` kept `guarantee`.
///
/// A history cannot tell in which order the store applied the writes, but
/// with unique values every read names the write it saw, and part of the
/// order is certain. Per key, leaving failed operations out:
///
/// - A *read* is a get that completed `Ok`, of the value it returned
///   (`None`, absent, is the key's initial value). Indefinite gets are
///   ignored. A *write* is a put that did not fail, of its value.
/// - Precondition: no two writes of a key write the same value, and a write
///   never writes the initial value (so a delete, which does, is not
///   supported). Else the verdict is [`SessionVerdict::Unknown`].
/// - What a client *has seen* of a key at a point of its program: the values
///   of its earlier reads, and of its earlier writes that completed `Ok`.
/// - *Known older*: the initial value is known older than every other
///   value; a value the writer of `v` had seen (of that key) when it invoked
///   the write of `v` is known older than `v` (a write reacts to what its
///   client knew); and the relation is transitive.
///
/// The rules, each about a read of a value `v` by a client `c`:
///
/// - **ReadYourWrites**: broken if `c` made an earlier write of that key
///   that completed `Ok` and `v` is known older than the latest such
///   write's value. Evidence: that write.
/// - **MonotonicReads**: broken if `c` made an earlier read of that key
///   after which `v` is ruled out: a read of a value `u` other than `v`
///   with `v` known older than `u`, or a read of a value other than `v`
///   right after a read of `v` (flip-flopping back to `v` is stale in one
///   direction or the other, whatever the store's order). Evidence: the
///   earliest such read.
/// - **MonotonicWrites**: broken if `v` was written by client `d`'s write
///   that completed `Ok`, and `c` earlier read the value of a later write of
///   `d` to that key (later in `d`'s program order; that write may be
///   indefinite). Evidence: `c`'s first read of the latest of `d`'s writes
///   it had read before.
///
/// The violation reported is the one whose read was invoked first.
/// Linearizable histories keep all three guarantees.
pub fn check_session(history: &History<KvOp, KvRet>, guarantee: Guarantee) -> SessionVerdict {
    // TODO: per key, number the values (0 = initial), record each writer's
    // client and how much it had seen, each client's reads and writes in
    // program order; then apply the rule to each client.
    todo!("check the session guarantee")
}
