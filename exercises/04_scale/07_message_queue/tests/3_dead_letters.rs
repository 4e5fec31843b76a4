//! Stage 3: dead letters. With `max_receives: Some(n)`, a message can be
//! delivered n times; the delivery that would be its (n + 1)-th moves it to
//! the dead-letter queue instead. `redrive` puts dead letters back.

use message_queue::{MessageId, Queue, QueueError};

use crate::common::{bodies, config, queue, secs, send};

#[test]
fn a_message_is_delivered_max_receives_times_then_dead_lettered() {
    let (mut q, clock) = queue(config(10, 10, Some(3)));
    let id = send(&mut q, 9);
    for n in 1..=3 {
        let got = q.receive(1);
        assert_eq!(
            bodies(&got),
            [9],
            "with max_receives 3, delivery {n} of 3 must still happen (a dead-letter queue \
             that takes the message one receive early loses a retry)"
        );
        assert_eq!(got[0].receive_count, n);
        assert!(
            q.dead_letters().is_empty(),
            "not dead yet after {n} receives"
        );
        clock.advance(secs(10));
    }
    assert!(
        q.receive(1).is_empty(),
        "the 4th delivery must not happen: it moves the message to the dead-letter queue"
    );
    let dead = q.dead_letters();
    assert_eq!(
        dead.len(),
        1,
        "the poison message is in the dead-letter queue"
    );
    assert_eq!(dead[0].id, id, "it keeps its id");
    assert_eq!(dead[0].body, 9);
    assert_eq!(dead[0].receive_count, 3, "it was received 3 times");
    assert_eq!(dead[0].group, None);
    assert!(q.is_empty(), "a dead letter is no longer in the queue");
    assert_eq!(q.in_flight(), 0);
}

#[test]
fn the_receipt_of_a_dead_letter_is_invalid() {
    let (mut q, clock) = queue(config(10, 10, Some(1)));
    send(&mut q, 1);
    let got = q.receive(1).remove(0);
    clock.advance(secs(10));
    assert!(q.receive(1).is_empty());
    assert_eq!(
        q.delete(&got.receipt),
        Err(QueueError::InvalidReceipt),
        "a dead-lettered message is no longer in the queue"
    );
}

#[test]
fn dead_lettering_does_not_use_up_the_receive() {
    let (mut q, clock) = queue(config(10, 10, Some(1)));
    send(&mut q, 1);
    q.receive(1);
    clock.advance(secs(10));
    send(&mut q, 2);
    assert_eq!(
        bodies(&q.receive(1)),
        [2],
        "the exhausted message 1 goes to the dead-letter queue and does not count towards \
         max: the next message is delivered in its place"
    );
    assert_eq!(q.dead_letters().len(), 1);
}

#[test]
fn without_max_receives_a_message_is_redelivered_forever() {
    let (mut q, clock) = queue(config(10, 10, None));
    send(&mut q, 1);
    for n in 1..=50 {
        let got = q.receive(1);
        assert_eq!(
            got.len(),
            1,
            "delivery {n}: no redrive policy, no dead-letter queue"
        );
        assert_eq!(got[0].receive_count, n);
        clock.advance(secs(10));
    }
    assert!(q.dead_letters().is_empty());
}

#[test]
fn redrive_puts_dead_letters_back_with_their_ids_and_a_fresh_count() {
    let (mut q, clock) = queue(config(10, 10, Some(2)));
    let a = send(&mut q, 1);
    let b = send(&mut q, 2);
    for _ in 0..2 {
        assert_eq!(q.receive(10).len(), 2);
        clock.advance(secs(10));
    }
    assert!(q.receive(10).is_empty());
    let dead: Vec<MessageId> = q.dead_letters().iter().map(|d| d.id).collect();
    assert_eq!(
        dead,
        [a, b],
        "dead letters are listed in the order they were moved"
    );
    let c = send(&mut q, 3);
    assert_eq!(
        q.redrive(),
        2,
        "redrive moves every dead letter back when there is room"
    );
    assert!(q.dead_letters().is_empty());
    assert_eq!(q.len(), 3);
    let got = q.receive(10);
    let ids: Vec<MessageId> = got.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [c, a, b],
        "redriven messages keep their ids and enter at the back, oldest dead letter first \
         (message 3 was sent before the redrive)"
    );
    assert!(
        got.iter().all(|r| r.receive_count == 1),
        "a redriven message starts its receive count again: {got:?}"
    );
    assert_eq!(q.redrive(), 0, "nothing left to redrive");
}

#[test]
fn redrive_stops_when_the_queue_is_full() {
    let (mut q, clock) = queue(config(10, 3, Some(1)));
    let ids: Vec<_> = (0..3).map(|b| send(&mut q, b)).collect();
    q.receive(3);
    clock.advance(secs(10));
    assert!(q.receive(3).is_empty());
    assert_eq!(q.dead_letters().len(), 3);
    send(&mut q, 10);
    assert_eq!(
        q.redrive(),
        2,
        "a queue of capacity 3 holding 1 message has room for 2"
    );
    let left: Vec<MessageId> = q.dead_letters().iter().map(|d| d.id).collect();
    assert_eq!(
        left,
        [ids[2]],
        "the newest dead letter stays; the oldest two moved"
    );
    assert_eq!(q.len(), 3);
    assert_eq!(q.redrive(), 0, "a full queue takes no dead letter back");
}

#[test]
#[should_panic(expected = "max_receives must be at least 1")]
fn max_receives_of_zero_panics() {
    let clock = kit::clock::ManualClock::new(0);
    let _q: Queue<u64, _> = Queue::new(config(10, 10, Some(0)), clock);
}
