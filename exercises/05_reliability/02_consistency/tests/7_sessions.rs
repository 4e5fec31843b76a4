//! Stage 7: session guarantees. Per client and per key, from what each
//! writer had seen: read-your-writes (a client sees its own acknowledged
//! writes), monotonic reads (never back to an older value) and monotonic
//! writes (a session's writes seen in its order). Checked on the textbook
//! anomalies of a lagging follower, and against an independent checker on
//! generated histories from buggy stores.

use consistency::*;

use crate::common::{self, BUGS, KvHistory, done};

fn put(k: u64, v: u64) -> KvOp {
    KvOp::Put(k, v)
}

fn get(k: u64) -> KvOp {
    KvOp::Get(k)
}

fn got(v: Option<u64>) -> KvRet {
    KvRet::Value(v)
}

const ACK: KvRet = KvRet::Done;

fn violation(h: &KvHistory, g: Guarantee) -> SessionViolation {
    match check_session(h, g) {
        SessionVerdict::Violation(v) => v,
        other => panic!("expected {g:?} to be broken, got {other:?}"),
    }
}

fn kept(h: &KvHistory, g: Guarantee) -> bool {
    check_session(h, g) == SessionVerdict::Ok
}

#[test]
fn reading_the_initial_value_after_your_own_write_breaks_read_your_writes() {
    let mut h = History::new();
    let write = done(&mut h, 0, put(1, 10), ACK);
    let read = done(&mut h, 0, get(1), got(None));
    let v = violation(&h, Guarantee::ReadYourWrites);
    assert_eq!(
        v,
        SessionViolation {
            guarantee: Guarantee::ReadYourWrites,
            key: 1,
            read,
            evidence: write,
        },
        "the client's read of its key, absent, after its own acknowledged put: evidence is \
         the put"
    );
}

#[test]
fn read_your_writes_is_per_session() {
    let mut h = History::new();
    done(&mut h, 0, put(1, 10), ACK);
    done(&mut h, 1, get(1), got(None));
    assert!(
        kept(&h, Guarantee::ReadYourWrites),
        "another client reading the old value is stale, but not a broken session guarantee"
    );
}

#[test]
fn reading_your_own_older_write_breaks_read_your_writes() {
    let mut h = History::new();
    done(&mut h, 0, put(1, 10), ACK);
    let second = done(&mut h, 0, put(1, 11), ACK);
    let read = done(&mut h, 0, get(1), got(Some(10)));
    let v = violation(&h, Guarantee::ReadYourWrites);
    assert_eq!((v.read, v.evidence), (read, second));
    // Reading a newer write of another client is fine: it is not known older.
    let mut h = History::new();
    done(&mut h, 0, put(1, 10), ACK);
    done(&mut h, 1, put(1, 20), ACK);
    done(&mut h, 0, get(1), got(Some(20)));
    assert!(kept(&h, Guarantee::ReadYourWrites));
}

#[test]
fn a_timed_out_write_is_not_yours_to_read() {
    let mut h = History::new();
    let a = h.invoke(0, put(1, 10));
    h.unknown(a);
    done(&mut h, 0, get(1), got(None));
    assert!(
        kept(&h, Guarantee::ReadYourWrites),
        "read-your-writes covers acknowledged writes; a timed-out one may not have happened"
    );
}

#[test]
fn known_older_follows_what_writers_had_seen() {
    // Client 1 reads 10 then writes 20: 10 is known older than 20. Client
    // 2 writes 30 after reading 20. So 10 is known older than 30 too.
    let mut h = History::new();
    done(&mut h, 0, put(1, 10), ACK);
    done(&mut h, 1, get(1), got(Some(10)));
    done(&mut h, 1, put(1, 20), ACK);
    done(&mut h, 2, get(1), got(Some(20)));
    let w30 = done(&mut h, 2, put(1, 30), ACK);
    let stale = done(&mut h, 2, get(1), got(Some(10)));
    let v = violation(&h, Guarantee::ReadYourWrites);
    assert_eq!(
        (v.read, v.evidence),
        (stale, w30),
        "10 is known older than 20 (client 1 had read it), 20 than 30, so 10 than 30"
    );
}

#[test]
fn going_back_to_an_older_value_breaks_monotonic_reads() {
    let mut h = History::new();
    done(&mut h, 0, put(1, 10), ACK);
    done(&mut h, 0, get(1), got(Some(10)));
    done(&mut h, 0, put(1, 11), ACK);
    let new = done(&mut h, 1, get(1), got(Some(11)));
    let old = done(&mut h, 1, get(1), got(Some(10)));
    let v = violation(&h, Guarantee::MonotonicReads);
    assert_eq!(
        (v.key, v.read, v.evidence),
        (1, old, new),
        "client 1 read 11, then 10, which 11's writer had seen: evidence is the read of 11"
    );
    let mut h = History::new();
    done(&mut h, 0, put(1, 10), ACK);
    let new = done(&mut h, 1, get(1), got(Some(10)));
    let old = done(&mut h, 1, get(1), got(None));
    let v = violation(&h, Guarantee::MonotonicReads);
    assert_eq!(
        (v.read, v.evidence),
        (old, new),
        "the initial value is older than every written one"
    );
}

#[test]
fn flip_flopping_between_two_values_breaks_monotonic_reads() {
    // Two concurrent, unrelated writes: either order is fine, but not both.
    let mut h = History::new();
    done(&mut h, 0, put(1, 10), ACK);
    done(&mut h, 1, put(1, 20), ACK);
    done(&mut h, 2, get(1), got(Some(10)));
    let switch = done(&mut h, 2, get(1), got(Some(20)));
    assert!(
        kept(&h, Guarantee::MonotonicReads),
        "10 then 20 is monotonic if the store ordered 10 first"
    );
    let back = done(&mut h, 2, get(1), got(Some(10)));
    let v = violation(&h, Guarantee::MonotonicReads);
    assert_eq!(
        (v.read, v.evidence),
        (back, switch),
        "10, 20, 10 goes back in whichever order the store chose; the read of 20 ruled 10 out"
    );
}

#[test]
fn monotonic_reads_are_per_key() {
    let mut h = History::new();
    done(&mut h, 0, put(1, 10), ACK);
    done(&mut h, 0, put(2, 20), ACK);
    done(&mut h, 1, get(1), got(Some(10)));
    done(&mut h, 1, get(2), got(None));
    assert!(
        kept(&h, Guarantee::MonotonicReads),
        "different keys are different registers"
    );
}

#[test]
fn seeing_a_sessions_writes_out_of_order_breaks_monotonic_writes() {
    let mut h = History::new();
    done(&mut h, 0, put(1, 10), ACK);
    done(&mut h, 0, put(1, 11), ACK);
    let later = done(&mut h, 1, get(1), got(Some(11)));
    let earlier = done(&mut h, 1, get(1), got(Some(10)));
    let v = violation(&h, Guarantee::MonotonicWrites);
    assert_eq!(
        (v.read, v.evidence),
        (earlier, later),
        "client 0 wrote 10 then 11; client 1 saw 11, then 10"
    );
    // The later write may have timed out: it was read, so it happened.
    let mut h = History::new();
    done(&mut h, 0, put(1, 10), ACK);
    let b = h.invoke(0, put(1, 11));
    h.unknown(b);
    let later = done(&mut h, 1, get(1), got(Some(11)));
    let earlier = done(&mut h, 1, get(1), got(Some(10)));
    let v = violation(&h, Guarantee::MonotonicWrites);
    assert_eq!(
        (v.read, v.evidence),
        (earlier, later),
        "client 0's acknowledged write of 10 came before its (timed-out) write of 11"
    );
    // The evidence is the first read of the latest write seen, however
    // often it was read again.
    let mut h = History::new();
    done(&mut h, 0, put(1, 10), ACK);
    done(&mut h, 0, put(1, 11), ACK);
    let first = done(&mut h, 1, get(1), got(Some(11)));
    done(&mut h, 1, get(1), got(Some(11)));
    let stale = done(&mut h, 1, get(1), got(Some(10)));
    let v = violation(&h, Guarantee::MonotonicWrites);
    assert_eq!(
        (v.read, v.evidence),
        (stale, first),
        "the evidence is client 1's first read of 11, not its second"
    );
    // If the first write timed out, it may have been applied after the
    // second: no order is certain.
    let mut h = History::new();
    let a = h.invoke(0, put(1, 10));
    h.unknown(a);
    done(&mut h, 0, put(1, 11), ACK);
    done(&mut h, 1, get(1), got(Some(11)));
    done(&mut h, 1, get(1), got(Some(10)));
    assert!(
        kept(&h, Guarantee::MonotonicWrites),
        "a timed-out write imposes no order"
    );
}

#[test]
fn the_earliest_offending_read_is_reported() {
    let mut h = History::new();
    done(&mut h, 0, put(2, 20), ACK);
    done(&mut h, 1, put(1, 10), ACK);
    let first = done(&mut h, 1, get(1), got(None));
    done(&mut h, 0, get(2), got(None));
    let v = violation(&h, Guarantee::ReadYourWrites);
    assert_eq!(
        (v.key, v.read),
        (1, first),
        "two clients break it, on two keys; the report is about the read invoked first"
    );
}

#[test]
fn duplicate_values_and_deletes_are_unknown_never_ok() {
    let mut h = History::new();
    done(&mut h, 0, put(1, 10), ACK);
    done(&mut h, 1, put(1, 10), ACK);
    for g in [
        Guarantee::ReadYourWrites,
        Guarantee::MonotonicReads,
        Guarantee::MonotonicWrites,
    ] {
        assert!(
            matches!(check_session(&h, g), SessionVerdict::Unknown { .. }),
            "two puts of 10 to one key: reads cannot name their write, so {g:?} is Unknown"
        );
    }
    let mut h = History::new();
    done(&mut h, 0, put(1, 10), ACK);
    done(&mut h, 0, KvOp::Delete(1), ACK);
    assert!(
        matches!(
            check_session(&h, Guarantee::ReadYourWrites),
            SessionVerdict::Unknown { .. }
        ),
        "a delete writes the initial value (absent) again"
    );
    let mut h = History::new();
    done(&mut h, 0, put(1, 10), ACK);
    let refused = h.invoke(1, put(1, 10));
    h.fail(refused);
    assert!(
        kept(&h, Guarantee::ReadYourWrites),
        "a failed put writes nothing, so it is no duplicate"
    );
}

#[test]
fn linearizable_histories_keep_every_guarantee() {
    for seed in 0..40 {
        let h = common::oracle_kv(seed, 120, 3, 5, 0.0);
        for g in [
            Guarantee::ReadYourWrites,
            Guarantee::MonotonicReads,
            Guarantee::MonotonicWrites,
        ] {
            assert_eq!(
                check_session(&h, g),
                SessionVerdict::Ok,
                "seed {seed}: a correct store's history keeps {g:?}"
            );
        }
    }
}

#[test]
fn agrees_with_an_independent_checker_on_buggy_stores() {
    let mut broken = [0usize; 3];
    for seed in 0..150 {
        let bug = BUGS[seed as usize % 4];
        let h = common::replicated(seed, bug, 60, 2, 4);
        for (n, g) in [
            Guarantee::ReadYourWrites,
            Guarantee::MonotonicReads,
            Guarantee::MonotonicWrites,
        ]
        .into_iter()
        .enumerate()
        {
            let expected = common::oracle_session(&h, g).expect("unique values, no deletes");
            let got = match check_session(&h, g) {
                SessionVerdict::Ok => None,
                SessionVerdict::Violation(v) => Some(v.read.index()),
                SessionVerdict::Unknown { reason } => {
                    panic!("seed {seed}: unique values, yet Unknown: {reason}")
                }
            };
            broken[n] += usize::from(expected.is_some());
            assert_eq!(
                got, expected,
                "seed {seed}, {bug:?}, {g:?}: the offending read (by index; None = kept) \
                 differs from the independent checker's"
            );
        }
    }
    assert!(
        broken.iter().all(|&n| n > 10),
        "each guarantee is broken in some histories: {broken:?}"
    );
}
