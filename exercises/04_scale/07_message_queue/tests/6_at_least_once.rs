//! Stage 6 (the wrong design): at-least-once delivery over a seeded crash
//! schedule. Consumers crash before and after applying a message's effect,
//! overrun the visibility timeout, or heartbeat through long jobs; the
//! producer meets a full queue. `kit::history`'s log checker then reads two
//! logs: the deliveries (no acknowledged message `lost`, none `unexpected`,
//! duplicates allowed) and the applied effects (each exactly once, thanks to
//! the `DedupWindow`; in groups, no `skip` and nothing `nonmonotonic`).
//!
//! A queue that deletes on receive ("ack on receive") passes every
//! single-consumer happy path and fails here: the message a consumer held
//! when it crashed is gone, and its effect is never applied.

use kit::history::LogOptions;
use message_queue::{DedupWindow, MessageId};

use crate::common::{SEEDS, SIM_WINDOW, SimReport, simulate};

// ------------------------------------------------------------- DedupWindow

#[test]
fn a_window_says_whether_an_id_is_new() {
    let mut w = DedupWindow::new(4);
    assert!(w.is_empty());
    assert_eq!(w.capacity(), 4);
    assert!(
        w.insert(MessageId(7)),
        "a first sighting is new: apply the effect"
    );
    assert!(w.contains(MessageId(7)));
    assert!(
        !w.insert(MessageId(7)),
        "a second sighting is a duplicate: skip the effect"
    );
    assert_eq!(w.len(), 1, "a duplicate is not recorded twice");
    assert!(!w.is_empty());
    assert!(!w.contains(MessageId(8)));
}

#[test]
fn a_window_remembers_exactly_the_last_capacity_ids() {
    let mut w = DedupWindow::new(3);
    for i in 0..3 {
        assert!(w.insert(MessageId(i)));
    }
    for i in 0..3 {
        assert!(
            w.contains(MessageId(i)),
            "a window of 3 holding 3 ids must remember all of them (one that evicts early is \
             too small and lets a duplicate through)"
        );
    }
    assert!(w.insert(MessageId(3)));
    assert!(!w.contains(MessageId(0)), "a fourth id evicts the oldest");
    assert!(
        (1..=3).all(|i| w.contains(MessageId(i))),
        "and only the oldest"
    );
    assert_eq!(w.len(), 3);
}

#[test]
fn a_window_is_first_in_first_out_not_refreshed_by_a_duplicate() {
    let mut w = DedupWindow::new(2);
    w.insert(MessageId(1));
    w.insert(MessageId(2));
    assert!(!w.insert(MessageId(1)), "a duplicate");
    w.insert(MessageId(3));
    assert!(
        !w.contains(MessageId(1)),
        "seeing 1 again does not refresh it: 1 was first inserted first, so 3 evicts it"
    );
    assert!(w.contains(MessageId(2)));
}

#[test]
fn a_window_never_grows_past_its_capacity() {
    let mut w = DedupWindow::new(100);
    for i in 0..10_000 {
        w.insert(MessageId(i));
        assert!(
            w.len() <= 100,
            "after {} ids the window holds {}: a dedup set that keeps every id ever seen is a \
             memory leak on a queue that runs for months",
            i + 1,
            w.len()
        );
    }
    assert_eq!(w.len(), 100);
}

#[test]
fn a_window_of_zero_remembers_nothing() {
    let mut w = DedupWindow::new(0);
    assert!(w.insert(MessageId(1)));
    assert!(
        w.insert(MessageId(1)),
        "nothing is remembered, so everything is new"
    );
    assert_eq!(w.len(), 0);
}

// ------------------------------------------------------------- the simulation

fn check_runs(grouped: bool) {
    for seed in SEEDS {
        let r = simulate(seed, grouped, SIM_WINDOW);
        let delivered = r.deliveries.check(&LogOptions {
            allow_duplicates: true,
        });
        assert!(
            delivered.is_empty(),
            "seed {seed}: at-least-once delivery broke ({} anomalies; `lost` means a message a \
             consumer crashed with never came back, `unexpected` that a refused send was \
             stored anyway, `skip`/`nonmonotonic` that a group was delivered out of order):\n  {}",
            delivered.len(),
            list(&delivered)
        );
        let applied = r.effects.check(&LogOptions::default());
        assert!(
            applied.is_empty(),
            "seed {seed}: effects were not applied exactly once in order ({} anomalies; `lost` \
             means a message was never applied: was it removed without a delete, on receive or \
             by a stale receipt?; `duplicate` means a redelivery was applied again: the \
             DedupWindow of {SIM_WINDOW} must remember it):\n  {}",
            applied.len(),
            list(&applied)
        );
        assert!(
            r.drained,
            "seed {seed}: after {} ticks the queue still held messages: a message whose \
             consumer crashed must become visible again and be deleted by the next one",
            r.ticks
        );
        assert!(
            r.errors.is_empty(),
            "seed {seed}: operations that must succeed failed:\n  {}",
            r.errors.join("\n  ")
        );
        sanity(&r);
    }
}

/// The scenario must exercise what it claims to.
fn sanity(r: &SimReport) {
    let seed = r.seed;
    assert!(
        r.total_crashes() > 5 && r.total_timeouts() > 5 && r.heartbeats > 5 && r.refused > 0,
        "seed {seed}: the scenario lost its teeth (crashes {}, timeouts {}, heartbeats {}, \
         refused sends {})",
        r.total_crashes(),
        r.total_timeouts(),
        r.heartbeats,
        r.refused
    );
}

fn list(anomalies: &[kit::history::Anomaly]) -> String {
    anomalies
        .iter()
        .take(8)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n  ")
}

#[test]
fn no_message_is_lost_and_each_effect_is_applied_once() {
    check_runs(false);
}

#[test]
fn groups_keep_their_order_through_crashes_and_redeliveries() {
    check_runs(true);
}
