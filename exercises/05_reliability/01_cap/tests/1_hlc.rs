//! Stage 1: the hybrid logical clock. Timestamps order by physical time,
//! then the logical counter, then the node id; a local event takes the max
//! of the last timestamp and the wall clock, a receive event the max of
//! those and the remote timestamp, with the logical counter counting events
//! within one physical value. Checked case by case from the HLC paper's
//! rules, then as properties over seeded event sequences: every timestamp is
//! greater than the last and than what was received, the physical part is
//! exactly the greatest reading seen, and the logical part stays small.

use crate::common;

use common::*;
use proptest::prelude::*;

#[test]
fn timestamps_order_by_physical_then_logical_then_node() {
    assert!(ts(5, 0, 0) > ts(4, 9, 9), "the physical part comes first");
    assert!(ts(5, 2, 0) > ts(5, 1, 9), "then the logical counter");
    assert!(
        ts(5, 1, 2) > ts(5, 1, 1),
        "then the node id: two nodes never make equal timestamps, so last-writer-wins always \
         has exactly one winner"
    );
    assert!(Timestamp::ZERO < ts(0, 0, 1) && Timestamp::ZERO < ts(0, 1, 0));
    assert_eq!(format!("{:?}", ts(1000, 2, 1)), "1000.2@n1");
    assert_eq!(Version::INITIAL, ver(0, Timestamp::ZERO));
    assert_eq!(format!("{:?}", ver(7, ts(1000, 2, 1))), "7@1000.2@n1");
}

#[test]
fn a_new_clock_starts_at_zero_with_its_node_id() {
    let clock = Hlc::new(3);
    assert_eq!(clock.last(), ts(0, 0, 3));
}

#[test]
fn a_local_event_follows_the_wall_clock_when_it_moves_ahead() {
    let mut clock = Hlc::new(1);
    assert_eq!(clock.now(1_000), ts(1_000, 0, 1));
    assert_eq!(
        clock.now(1_005),
        ts(1_005, 0, 1),
        "a wall clock ahead of the last timestamp: take it, logical back to 0"
    );
    assert_eq!(
        clock.last(),
        ts(1_005, 0, 1),
        "last() is what now() returned"
    );
}

#[test]
fn a_local_event_counts_logically_when_the_wall_clock_does_not_move() {
    let mut clock = Hlc::new(1);
    clock.now(1_000);
    assert_eq!(
        clock.now(1_000),
        ts(1_000, 1, 1),
        "the same millisecond: the logical counter tells the events apart"
    );
    assert_eq!(clock.now(1_000), ts(1_000, 2, 1));
    assert_eq!(
        clock.now(990),
        ts(1_000, 3, 1),
        "a wall clock that went back (an NTP step) never takes the HLC back: keep the physical \
         part, count on"
    );
    assert_eq!(clock.now(1_001), ts(1_001, 0, 1));
}

#[test]
fn a_receive_takes_the_remote_timestamp_when_it_is_ahead() {
    let mut clock = Hlc::new(2);
    clock.now(1_000);
    assert_eq!(
        clock.receive(1_001, ts(1_500, 4, 0)),
        ts(1_500, 5, 2),
        "a remote timestamp ahead of both the last one and the wall clock: its physical part, \
         its logical part + 1, and this node's id. An HLC that ignores what it receives cannot \
         order a reply after the request it answers."
    );
    assert_eq!(
        clock.now(1_002),
        ts(1_500, 6, 2),
        "this node's wall clock is still behind 1500: later local events count on from there"
    );
}

#[test]
fn a_receive_keeps_the_last_timestamp_when_it_is_ahead() {
    let mut clock = Hlc::new(2);
    clock.now(2_000);
    clock.now(2_000);
    assert_eq!(
        clock.receive(1_900, ts(1_800, 9, 0)),
        ts(2_000, 2, 2),
        "last (2000.1) is ahead of the remote one and the wall clock: last's logical + 1"
    );
}

#[test]
fn a_receive_with_equal_physical_parts_takes_the_larger_counter() {
    let mut clock = Hlc::new(2);
    clock.now(3_000);
    assert_eq!(
        clock.receive(2_990, ts(3_000, 7, 0)),
        ts(3_000, 8, 2),
        "last 3000.0 and remote 3000.7 share the greatest physical part: max(0, 7) + 1"
    );
    assert_eq!(
        clock.receive(2_995, ts(3_000, 2, 1)),
        ts(3_000, 9, 2),
        "last 3000.8 and remote 3000.2: max(8, 2) + 1"
    );
}

#[test]
fn a_receive_follows_the_wall_clock_when_it_is_ahead_of_both() {
    let mut clock = Hlc::new(2);
    clock.now(1_000);
    clock.now(1_000);
    assert_eq!(
        clock.receive(5_000, ts(4_000, 3, 0)),
        ts(5_000, 0, 2),
        "the wall clock is the greatest: take it, logical 0"
    );
    assert_eq!(
        clock.receive(5_000, ts(5_000, 0, 7)),
        ts(5_000, 1, 2),
        "all three equal: max(0, 0) + 1"
    );
}

#[test]
fn a_write_after_a_message_from_a_faster_clock_is_stamped_after_it() {
    // Node 1's wall clock runs 300 ms behind node 0's. A message stamped by
    // node 0 reaches node 1, and then node 1 writes: causally after.
    let mut fast = Hlc::new(0);
    let mut slow = Hlc::new(1);
    let sent = fast.now(10_300);
    slow.receive(10_001, sent);
    let later = slow.now(10_002);
    assert!(
        later > sent,
        "node 1's write ({later:?}) causally follows node 0's message ({sent:?}) and must be \
         stamped after it, although node 1's wall clock reads 300 ms less"
    );
}

fn config() -> ProptestConfig {
    ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(13),
        failure_persistence: None,
        cases: 200,
        ..ProptestConfig::default()
    }
}

/// An event: a local one at a wall-clock reading, or a receive of a remote
/// timestamp at a reading.
#[derive(Debug, Clone)]
enum Event {
    Local(u64),
    Receive(u64, Timestamp),
}

fn event() -> impl Strategy<Value = Event> {
    let reading = 1_000u64..1_050;
    prop_oneof![
        reading.clone().prop_map(Event::Local),
        (reading, 990u64..1_060, 0u32..6, 0usize..4)
            .prop_map(|(r, p, l, n)| Event::Receive(r, ts(p, l, n))),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_timestamp_is_greater_than_everything_before_it(
        events in prop::collection::vec(event(), 1..60),
    ) {
        let mut clock = Hlc::new(9);
        let mut last = clock.last();
        for e in &events {
            let (got, remote) = match *e {
                Event::Local(r) => (clock.now(r), None),
                Event::Receive(r, remote) => (clock.receive(r, remote), Some(remote)),
            };
            prop_assert!(got > last, "{e:?} gave {got:?}, not after the last timestamp {last:?}");
            if let Some(remote) = remote {
                prop_assert!(
                    (got.physical, got.logical) > (remote.physical, remote.logical),
                    "{e:?} gave {got:?}, not after the timestamp it received"
                );
            }
            prop_assert_eq!(got.node, 9, "every timestamp carries the clock's own node id");
            prop_assert_eq!(clock.last(), got);
            last = got;
        }
    }

    #[test]
    fn the_physical_part_is_the_greatest_reading_seen(
        events in prop::collection::vec(event(), 1..60),
    ) {
        let mut clock = Hlc::new(0);
        let mut greatest = 0;
        for e in &events {
            let got = match *e {
                Event::Local(r) => {
                    greatest = greatest.max(r);
                    clock.now(r)
                }
                Event::Receive(r, remote) => {
                    greatest = greatest.max(r).max(remote.physical);
                    clock.receive(r, remote)
                }
            };
            prop_assert_eq!(
                got.physical, greatest,
                "after {:?}: the physical part is the max of every wall-clock reading and every \
                 remote physical part seen, never a sum or an increment",
                e
            );
        }
    }

    #[test]
    fn the_logical_part_restarts_when_the_physical_part_moves(
        events in prop::collection::vec(event(), 1..60),
    ) {
        let mut clock = Hlc::new(0);
        let mut max_remote_logical = 0;
        let mut since_move = 0u32;
        let mut last = clock.last();
        for e in &events {
            let got = match *e {
                Event::Local(r) => clock.now(r),
                Event::Receive(r, remote) => {
                    max_remote_logical = max_remote_logical.max(remote.logical);
                    clock.receive(r, remote)
                }
            };
            since_move = if got.physical == last.physical { since_move + 1 } else { 0 };
            prop_assert!(
                got.logical <= since_move + max_remote_logical + 1,
                "after {:?}: logical {} grew faster than one per event since the physical part \
                 last moved ({} events; remote counters up to {})",
                e, got.logical, since_move, max_remote_logical
            );
            last = got;
        }
    }
}
