//! Stage 1: send, receive, delete. A receive hands a message out and hides
//! it, but does not remove it: only a delete with the receipt does. Delivery
//! is oldest first.

use std::time::Duration;

use message_queue::{DEFAULT_VISIBILITY_TIMEOUT, MAX_DELAY, MAX_VISIBILITY_TIMEOUT, QueueConfig};

use crate::common::{bodies, config, queue, secs, send};

#[test]
fn the_constants_are_those_of_sqs() {
    assert_eq!(
        DEFAULT_VISIBILITY_TIMEOUT,
        secs(30),
        "SQS's default visibility timeout is 30 s"
    );
    assert_eq!(
        MAX_VISIBILITY_TIMEOUT,
        secs(12 * 3600),
        "SQS's maximum is 12 hours"
    );
    assert_eq!(
        MAX_DELAY,
        secs(15 * 60),
        "SQS's longest delay is 15 minutes"
    );
    let default = QueueConfig::default();
    assert_eq!(
        default,
        QueueConfig {
            visibility_timeout: secs(30),
            capacity: 10_000,
            max_receives: None
        },
        "QueueConfig::default() is documented as 30 s, 10 000 messages, no dead-letter queue"
    );
}

#[test]
fn an_empty_queue_delivers_nothing() {
    let (mut q, _clock) = queue(config(30, 10, None));
    assert_eq!(q.len(), 0);
    assert!(q.is_empty());
    assert_eq!(q.in_flight(), 0);
    assert!(q.dead_letters().is_empty());
    assert!(
        q.receive(10).is_empty(),
        "an empty queue has nothing to deliver"
    );
}

#[test]
fn ids_are_unique_and_increase_in_send_order() {
    let (mut q, _clock) = queue(config(30, 10, None));
    let ids: Vec<_> = (0..5).map(|b| send(&mut q, b)).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "message ids must increase in send order: {ids:?}"
    );
    assert_eq!(q.len(), 5);
    assert!(!q.is_empty());
}

#[test]
fn receive_delivers_oldest_first_and_at_most_max() {
    let (mut q, _clock) = queue(config(30, 10, None));
    let ids: Vec<_> = (10..15).map(|b| send(&mut q, b)).collect();
    assert!(q.receive(0).is_empty(), "receive(0) delivers nothing");
    assert_eq!(q.in_flight(), 0, "receive(0) must not hide anything");
    let got = q.receive(2);
    assert_eq!(
        bodies(&got),
        [10, 11],
        "receive(2) delivers the two oldest messages"
    );
    assert_eq!(got[0].id, ids[0]);
    assert_eq!(got[1].id, ids[1]);
    assert!(
        got.iter().all(|r| r.receive_count == 1),
        "a first delivery has receive_count 1: {got:?}"
    );
    assert_eq!(
        got[0].receipt.message_id(),
        ids[0],
        "a receipt names its message"
    );
    let rest = q.receive(10);
    assert_eq!(
        bodies(&rest),
        [12, 13, 14],
        "then the rest, oldest first, and no more than there are"
    );
}

#[test]
fn a_received_message_is_hidden_not_removed() {
    let (mut q, _clock) = queue(config(30, 10, None));
    send(&mut q, 1);
    let got = q.receive(1);
    assert_eq!(bodies(&got), [1]);
    assert!(
        q.receive(1).is_empty(),
        "a received message is hidden for the visibility timeout: no second consumer gets it"
    );
    assert_eq!(
        q.len(),
        1,
        "a received message is still in the queue until it is deleted (removing it on receive \
         loses it when the consumer crashes)"
    );
    assert_eq!(q.in_flight(), 1, "the received message is in flight");
}

#[test]
fn delete_removes_for_good() {
    let (mut q, clock) = queue(config(30, 10, None));
    send(&mut q, 1);
    send(&mut q, 2);
    let got = q.receive(1);
    assert_eq!(
        q.delete(&got[0].receipt),
        Ok(()),
        "deleting with the latest receipt succeeds"
    );
    assert_eq!(q.len(), 1);
    assert_eq!(q.in_flight(), 0);
    clock.advance(Duration::from_secs(3600));
    assert_eq!(
        bodies(&q.receive(10)),
        [2],
        "a deleted message never comes back, however long we wait"
    );
}
