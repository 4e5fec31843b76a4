//! Stage 5: message groups (FIFO). A group's messages are delivered in send
//! order, one at a time: the next is not delivered while an earlier one is
//! in flight, delayed, or waiting to be redelivered. Other groups and
//! ungrouped messages are not held up. Then every rule of the queue at once:
//! a proptest against a model.

use std::time::Duration;

use message_queue::{MessageId, QueueError, ReceiptHandle, SendOptions};
use proptest::prelude::*;

use crate::common::{ModelQueue, bodies, config, in_group, queue, secs};

#[test]
fn a_group_delivers_one_message_at_a_time_in_send_order() {
    let (mut q, _clock) = queue(config(10, 10, None));
    for b in 1..=3 {
        q.send_with(b, in_group("a")).expect("room");
    }
    let first = q.receive(10);
    assert_eq!(
        bodies(&first),
        [1],
        "only the group's first message is deliverable while nothing of the group is done"
    );
    assert!(
        q.receive(10).is_empty(),
        "message 2 must wait while message 1 of its group is in flight: if 1 failed and came \
         back, 2 would have been processed before it"
    );
    q.delete(&first[0].receipt).expect("latest receipt");
    let second = q.receive(10);
    assert_eq!(
        bodies(&second),
        [2],
        "deleting the head lets the next one through"
    );
    q.delete(&second[0].receipt).expect("latest receipt");
    assert_eq!(bodies(&q.receive(10)), [3]);
}

#[test]
fn other_groups_and_ungrouped_messages_are_not_held_up() {
    let (mut q, _clock) = queue(config(10, 10, None));
    q.send_with(1, in_group("a")).expect("room");
    q.send_with(2, in_group("a")).expect("room");
    q.send_with(3, in_group("b")).expect("room");
    q.send(4).expect("room");
    q.send_with(5, in_group("b")).expect("room");
    assert_eq!(
        bodies(&q.receive(10)),
        [1, 3, 4],
        "one message per group, plus the ungrouped one, oldest first"
    );
}

#[test]
fn a_redelivered_head_keeps_its_place() {
    let (mut q, clock) = queue(config(10, 10, None));
    q.send_with(1, in_group("a")).expect("room");
    q.send_with(2, in_group("a")).expect("room");
    q.receive(10); // the consumer of 1 crashes
    clock.advance(secs(10));
    let again = q.receive(10);
    assert_eq!(
        bodies(&again),
        [1],
        "after its consumer crashed, message 1 is delivered again, and 2 still waits: \
         delivering 2 now would break the group's order"
    );
    assert_eq!(again[0].receive_count, 2);
    q.change_visibility(&again[0].receipt, Duration::ZERO)
        .expect("latest receipt");
    assert_eq!(
        bodies(&q.receive(10)),
        [1],
        "a head handed back with a zero timeout is still the group's head"
    );
}

#[test]
fn a_delayed_message_holds_back_its_group() {
    let (mut q, clock) = queue(config(10, 10, None));
    let mut options = in_group("a");
    options.delay = secs(5);
    q.send_with(1, options).expect("room");
    q.send_with(2, in_group("a")).expect("room");
    q.send_with(3, in_group("b")).expect("room");
    assert_eq!(
        bodies(&q.receive(10)),
        [3],
        "message 2 must not overtake the delayed message 1 of its group"
    );
    clock.advance(secs(5));
    assert_eq!(bodies(&q.receive(10)), [1]);
}

#[test]
fn a_dead_lettered_head_releases_its_group() {
    let (mut q, clock) = queue(config(10, 10, Some(1)));
    q.send_with(1, in_group("a")).expect("room");
    q.send_with(2, in_group("a")).expect("room");
    q.receive(10);
    clock.advance(secs(10));
    let got = q.receive(10);
    assert_eq!(
        bodies(&got),
        [2],
        "the exhausted head goes to the dead-letter queue, and in the same receive the \
         group's next message is delivered"
    );
    assert_eq!(
        q.dead_letters()[0].group.as_deref(),
        Some("a"),
        "a dead letter keeps its group"
    );
    q.send_with(3, in_group("a")).expect("room");
    q.delete(&got[0].receipt).expect("latest receipt");
    assert_eq!(q.redrive(), 1);
    assert_eq!(
        bodies(&q.receive(10)),
        [3],
        "a redriven message enters at the back of its group: after 3, sent before the redrive"
    );
}

// ------------------------------------------------------------- the model

#[derive(Debug, Clone)]
enum Op {
    Send { group: Option<u8>, delay: u64 },
    Receive(usize),
    Delete(usize),
    ChangeVisibility(usize, u64),
    Advance(u64),
    Redrive,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (prop::option::weighted(0.6, 0u8..3), prop_oneof![3 => Just(0u64), 1 => 1u64..4])
            .prop_map(|(group, delay)| Op::Send { group, delay }),
        3 => (0usize..4).prop_map(Op::Receive),
        2 => any::<usize>().prop_map(Op::Delete),
        1 => (any::<usize>(), 0u64..6).prop_map(|(i, s)| Op::ChangeVisibility(i, s)),
        3 => (0u64..5).prop_map(Op::Advance),
        1 => Just(Op::Redrive),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5a5),
        failure_persistence: None,
        cases: 300,
        ..ProptestConfig::default()
    })]

    /// Capacity 5, visibility 3 s, max_receives 2, three groups and
    /// ungrouped messages, delays, stale and fresh receipts: after every
    /// operation the queue answers exactly as the model does.
    #[test]
    fn every_answer_matches_the_model(ops in prop::collection::vec(op(), 1..80)) {
        let cfg = config(3, 5, Some(2));
        let (mut q, clock) = queue(cfg.clone());
        let mut model = ModelQueue::new(cfg);
        // Every receipt ever handed out, real and model, in parallel.
        let mut handles: Vec<(ReceiptHandle, (u64, u64))> = Vec::new();
        let mut ids: Vec<MessageId> = Vec::new(); // model id -> real id
        for (step, op) in ops.iter().enumerate() {
            let body = step as u64;
            match *op {
                Op::Send { group, delay } => {
                    let options = SendOptions {
                        delay: secs(delay),
                        group: group.map(|g| format!("g{g}")),
                    };
                    let real = q.send_with(body, options);
                    let want = model.send(body, group, secs(delay));
                    match (real, want) {
                        (Ok(id), Ok(m)) => {
                            prop_assert_eq!(m as usize, ids.len());
                            ids.push(id);
                        }
                        (Err(QueueError::Full), Err(())) => {}
                        (real, want) => prop_assert!(
                            false,
                            "step {}: {:?}: the queue said {:?}, the model {:?}",
                            step, op, real, want
                        ),
                    }
                }
                Op::Receive(max) => {
                    let real = q.receive(max);
                    let want = model.receive(max);
                    let real_view: Vec<(MessageId, u64, u32)> =
                        real.iter().map(|r| (r.id, r.body, r.receive_count)).collect();
                    let want_view: Vec<(MessageId, u64, u32)> = want
                        .iter()
                        .map(|&(id, b, n, _)| (ids[id as usize], b, n))
                        .collect();
                    prop_assert_eq!(
                        &real_view, &want_view,
                        "step {}: receive({}) delivered the wrong messages (id, body, count)",
                        step, max
                    );
                    for (r, w) in real.into_iter().zip(want) {
                        handles.push((r.receipt, w.3));
                    }
                }
                Op::Delete(i) if !handles.is_empty() => {
                    let (real_h, model_h) = &handles[i % handles.len()];
                    let real = q.delete(real_h).is_ok();
                    let want = model.delete(*model_h).is_ok();
                    prop_assert_eq!(real, want, "step {}: delete succeeded: {} (the model: {})",
                        step, real, want);
                }
                Op::ChangeVisibility(i, s) if !handles.is_empty() => {
                    let (real_h, model_h) = &handles[i % handles.len()];
                    let real = q.change_visibility(real_h, secs(s)).is_ok();
                    let want = model.change_visibility(*model_h, secs(s)).is_ok();
                    prop_assert_eq!(real, want,
                        "step {}: change_visibility({}s) succeeded: {} (the model: {})",
                        step, s, real, want);
                }
                Op::Advance(s) => {
                    clock.advance(secs(s));
                    model.now += secs(s);
                }
                Op::Redrive => {
                    prop_assert_eq!(q.redrive(), model.redrive(), "step {}: redrive moved", step);
                }
                Op::Delete(_) | Op::ChangeVisibility(..) => {}
            }
            prop_assert_eq!(q.len(), model.len(), "step {}: len after {:?}", step, op);
            prop_assert_eq!(q.in_flight(), model.in_flight(), "step {}: in_flight after {:?}",
                step, op);
            let dead: Vec<(MessageId, u32)> =
                q.dead_letters().iter().map(|d| (d.id, d.receive_count)).collect();
            let want: Vec<(MessageId, u32)> = model
                .dead_letters()
                .into_iter()
                .map(|(id, n)| (ids[id as usize], n))
                .collect();
            prop_assert_eq!(dead, want, "step {}: the dead letters after {:?}", step, op);
        }
    }
}
