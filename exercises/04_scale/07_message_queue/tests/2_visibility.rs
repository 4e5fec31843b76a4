//! Stage 2: the visibility timeout and receipts. A message nobody deletes
//! comes back exactly one visibility timeout after its receive (on the
//! monotonic clock); only the latest receipt deletes it; `change_visibility`
//! is a heartbeat that counts from now.

use std::time::Duration;

use kit::clock::Clock;
use message_queue::{MAX_VISIBILITY_TIMEOUT, Queue, QueueError};

use crate::common::{bodies, config, queue, secs, send};

const NS: Duration = Duration::from_nanos(1);

#[test]
fn an_undeleted_message_comes_back_exactly_at_the_timeout() {
    let (mut q, clock) = queue(config(10, 10, None));
    send(&mut q, 7);
    clock.advance(secs(3));
    let first = q.receive(1); // received at 3 s: hidden until 13 s
    assert_eq!(bodies(&first), [7]);
    clock.advance(secs(10) - NS);
    assert!(
        q.receive(1).is_empty(),
        "one nanosecond before the visibility timeout ends, the message is still hidden"
    );
    assert_eq!(q.in_flight(), 1);
    clock.advance(NS);
    assert_eq!(
        q.in_flight(),
        0,
        "at the timeout the message is no longer in flight"
    );
    let again = q.receive(1);
    assert_eq!(
        bodies(&again),
        [7],
        "the consumer crashed without deleting: exactly one visibility timeout after the \
         receive, the message must be delivered again (at-least-once)"
    );
    assert_eq!(again[0].id, first[0].id, "a redelivery has the same id");
    assert_eq!(
        again[0].receive_count, 2,
        "the second delivery has receive_count 2"
    );
}

#[test]
fn visibility_follows_the_monotonic_clock_not_the_wall_clock() {
    let (mut q, clock) = queue(config(10, 10, None));
    send(&mut q, 1);
    q.receive(1);
    clock.set_unix_millis(clock.unix_millis() + 3_600_000); // NTP steps the wall clock an hour on
    assert!(
        q.receive(1).is_empty(),
        "a wall-clock jump must not end a visibility timeout: time it on Clock::monotonic"
    );
}

#[test]
fn only_the_latest_receipt_deletes() {
    let (mut q, clock) = queue(config(10, 10, None));
    send(&mut q, 1);
    let first = q.receive(1).remove(0);
    clock.advance(secs(10));
    let second = q.receive(1).remove(0);
    assert_ne!(
        first.receipt, second.receipt,
        "every receive makes a new receipt handle"
    );
    assert_eq!(
        q.delete(&first.receipt),
        Err(QueueError::InvalidReceipt),
        "a slow consumer whose message was received again must not delete it: the second \
         consumer holds it now, and would find it gone under its heartbeats and its delete"
    );
    assert_eq!(q.len(), 1, "a refused delete changes nothing");
    assert_eq!(q.in_flight(), 1);
    assert_eq!(q.delete(&second.receipt), Ok(()));
    assert!(q.is_empty());
    assert_eq!(
        q.delete(&second.receipt),
        Err(QueueError::InvalidReceipt),
        "deleting a message that is gone fails: the call changed nothing"
    );
}

#[test]
fn the_latest_receipt_stays_valid_after_the_timeout_until_a_new_receive() {
    let (mut q, clock) = queue(config(10, 10, None));
    send(&mut q, 1);
    let late = q.receive(1).remove(0);
    clock.advance(secs(15));
    assert!(
        q.receive(0).is_empty(),
        "a receive of nothing is not a new receive"
    );
    assert_eq!(
        q.delete(&late.receipt),
        Ok(()),
        "a consumer that finishes after the timeout, before anyone received the message \
         again, may still delete it: its receipt is still the latest"
    );
    assert!(q.receive(1).is_empty(), "and then it is gone");
}

#[test]
fn change_visibility_is_a_heartbeat_counted_from_now() {
    let (mut q, clock) = queue(config(10, 10, None));
    send(&mut q, 1);
    let got = q.receive(1).remove(0); // at 0: hidden until 10 s
    clock.advance(secs(8));
    assert_eq!(q.change_visibility(&got.receipt, secs(10)), Ok(())); // at 8: hidden until 18 s
    clock.advance(secs(10) - NS);
    assert!(
        q.receive(1).is_empty(),
        "a heartbeat at 8 s of 10 s hides the message until 18 s (from the call, not from \
         the receive, and not added to the old deadline)"
    );
    assert_eq!(q.in_flight(), 1);
    clock.advance(NS);
    assert_eq!(q.in_flight(), 0);
    assert_eq!(
        q.delete(&got.receipt),
        Ok(()),
        "change_visibility keeps the receipt valid"
    );
}

#[test]
fn change_visibility_can_shorten_and_zero_hands_the_message_back() {
    let (mut q, clock) = queue(config(30, 10, None));
    send(&mut q, 1);
    send(&mut q, 2);
    let first = q.receive(1).remove(0);
    assert_eq!(q.change_visibility(&first.receipt, secs(5)), Ok(()));
    clock.advance(secs(5));
    let again = q.receive(1);
    assert_eq!(
        bodies(&again),
        [1],
        "a shorter timeout ends earlier: visible at 5 s, and older than message 2"
    );
    assert_eq!(
        again[0].receive_count, 2,
        "change_visibility does not count as a receive"
    );
    assert_eq!(
        q.change_visibility(&again[0].receipt, Duration::ZERO),
        Ok(())
    );
    assert_eq!(
        q.in_flight(),
        0,
        "a zero timeout makes the message visible at once"
    );
    let third = q.receive(1);
    assert_eq!(
        bodies(&third),
        [1],
        "a consumer that gives up hands the message straight back"
    );
    assert_eq!(third[0].receive_count, 3);
}

#[test]
fn change_visibility_needs_the_latest_receipt() {
    let (mut q, clock) = queue(config(10, 10, None));
    send(&mut q, 1);
    let first = q.receive(1).remove(0);
    clock.advance(secs(10));
    let second = q.receive(1).remove(0); // at 10: hidden until 20 s
    assert_eq!(
        q.change_visibility(&first.receipt, Duration::ZERO),
        Err(QueueError::InvalidReceipt),
        "a stale receipt must not change the visibility of a message another consumer holds"
    );
    clock.advance(secs(10) - NS);
    assert!(
        q.receive(1).is_empty(),
        "the refused change changed nothing"
    );
    q.delete(&second.receipt).expect("the latest receipt");
    assert_eq!(
        q.change_visibility(&second.receipt, secs(1)),
        Err(QueueError::InvalidReceipt),
        "a deleted message has no valid receipt"
    );
}

#[test]
fn a_message_is_hidden_at_most_twelve_hours_after_its_receive() {
    let (mut q, clock) = queue(config(30, 10, None));
    // A day in: the limit counts from the receive, not from time zero.
    clock.advance(secs(86_400));
    send(&mut q, 1);
    let got = q.receive(1).remove(0);
    clock.advance(secs(3600));
    assert_eq!(
        q.change_visibility(&got.receipt, MAX_VISIBILITY_TIMEOUT - secs(3600) + NS),
        Err(QueueError::VisibilityTooLong),
        "one hour after the receive, at most 11 hours remain"
    );
    assert_eq!(
        q.change_visibility(&got.receipt, MAX_VISIBILITY_TIMEOUT - secs(3600)),
        Ok(()),
        "exactly 12 hours after the receive is allowed"
    );
    clock.advance(MAX_VISIBILITY_TIMEOUT - secs(3600) - NS);
    assert!(
        q.receive(1).is_empty(),
        "hidden until 12 h after the receive"
    );
    assert_eq!(
        q.change_visibility(&got.receipt, secs(1)),
        Err(QueueError::VisibilityTooLong),
        "heartbeats cannot push past 12 hours after the receive"
    );
    clock.advance(NS);
    assert_eq!(
        bodies(&q.receive(1)),
        [1],
        "the refused heartbeat changed nothing"
    );
}

#[test]
fn a_visibility_timeout_of_twelve_hours_is_allowed() {
    let (_q, _clock) = queue(message_queue::QueueConfig {
        visibility_timeout: MAX_VISIBILITY_TIMEOUT,
        ..config(0, 1, None)
    });
}

#[test]
#[should_panic(expected = "visibility timeout above the 12-hour maximum")]
fn a_visibility_timeout_above_twelve_hours_panics() {
    let clock = kit::clock::ManualClock::new(0);
    let _q: Queue<u64, _> = Queue::new(
        message_queue::QueueConfig {
            visibility_timeout: MAX_VISIBILITY_TIMEOUT + NS,
            ..config(0, 1, None)
        },
        clock,
    );
}
