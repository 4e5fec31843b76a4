//! Stage 4: delays and back-pressure. A delayed message is hidden until its
//! delay is over; a full queue refuses a send with `QueueError::Full`, a
//! definite error: the message was not stored, and the producer knows it.

use std::time::Duration;

use message_queue::{MAX_DELAY, QueueError};

use crate::common::{bodies, config, delayed, queue, secs, send};

const NS: Duration = Duration::from_nanos(1);

#[test]
fn a_delayed_message_appears_exactly_when_its_delay_ends() {
    let (mut q, clock) = queue(config(30, 10, None));
    q.send_with(1, delayed(secs(5))).expect("room");
    assert_eq!(q.len(), 1, "a delayed message is in the queue");
    assert_eq!(
        q.in_flight(),
        0,
        "a delayed message has not been received: not in flight"
    );
    clock.advance(secs(5) - NS);
    assert!(
        q.receive(1).is_empty(),
        "hidden one nanosecond before its delay ends"
    );
    clock.advance(NS);
    let got = q.receive(1);
    assert_eq!(bodies(&got), [1], "visible once its delay is over");
    assert_eq!(got[0].receive_count, 1, "the delay is not a receive");
}

#[test]
fn a_delayed_message_holds_back_no_ungrouped_one_and_keeps_its_age() {
    let (mut q, clock) = queue(config(30, 10, None));
    q.send_with(1, delayed(secs(5))).expect("room");
    send(&mut q, 2);
    send(&mut q, 3);
    assert_eq!(
        bodies(&q.receive(1)),
        [2],
        "a delayed message holds up no ungrouped message"
    );
    clock.advance(secs(5));
    assert_eq!(
        bodies(&q.receive(10)),
        [1, 3],
        "once visible, the delayed message is delivered in send order: before the newer 3"
    );
}

#[test]
fn the_longest_delay_is_fifteen_minutes() {
    let (mut q, _clock) = queue(config(30, 10, None));
    assert!(
        q.send_with(1, delayed(MAX_DELAY)).is_ok(),
        "exactly 15 minutes is allowed"
    );
    assert_eq!(
        q.send_with(2, delayed(MAX_DELAY + NS)),
        Err(QueueError::DelayTooLong),
        "a delay over 15 minutes is refused"
    );
    assert_eq!(q.len(), 1, "a refused send stores nothing");
}

#[test]
fn a_full_queue_pushes_back_on_the_producer() {
    let (mut q, clock) = queue(config(10, 2, None));
    send(&mut q, 1);
    send(&mut q, 2);
    assert_eq!(
        q.send(3),
        Err(QueueError::Full),
        "a queue of capacity 2 holding 2 messages must refuse the third: back-pressure, \
         not unbounded growth"
    );
    assert_eq!(q.len(), 2, "a refused send stores nothing");
    let got = q.receive(10);
    assert_eq!(bodies(&got), [1, 2], "the refused message was never stored");
    assert_eq!(
        q.send(3),
        Err(QueueError::Full),
        "in-flight messages still take room: they are not deleted yet"
    );
    q.delete(&got[0].receipt).expect("latest receipt");
    assert_eq!(q.send(4).map(|_| ()), Ok(()), "a delete frees room");
    clock.advance(secs(60));
    q.delete(&got[1].receipt).expect("still the latest receipt");
    assert_eq!(
        bodies(&q.receive(10)),
        [4],
        "message 3 never entered the queue"
    );
}

#[test]
fn delayed_messages_take_room_and_dead_letters_do_not() {
    let (mut q, clock) = queue(config(10, 2, Some(1)));
    q.send_with(1, delayed(secs(60))).expect("room");
    send(&mut q, 2);
    assert_eq!(
        q.send(3),
        Err(QueueError::Full),
        "a delayed message takes room"
    );
    q.receive(1);
    clock.advance(secs(10));
    assert!(q.receive(1).is_empty(), "message 2 is dead-lettered");
    assert_eq!(q.dead_letters().len(), 1);
    assert!(
        q.send(3).is_ok(),
        "a dead letter does not count towards the capacity"
    );
}

#[test]
fn an_invalid_delay_is_reported_before_a_full_queue() {
    let (mut q, _clock) = queue(config(10, 1, None));
    send(&mut q, 1);
    assert_eq!(
        q.send_with(2, delayed(MAX_DELAY + NS)),
        Err(QueueError::DelayTooLong),
        "the delay is checked first, then the capacity"
    );
}

#[test]
fn a_queue_of_capacity_zero_refuses_everything() {
    let (mut q, _clock) = queue(config(10, 0, None));
    assert_eq!(q.send(1), Err(QueueError::Full));
    assert!(q.is_empty());
}
