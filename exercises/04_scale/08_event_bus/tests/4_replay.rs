//! Stage 4: projections and replay. A projector applies each partition's
//! records exactly at its position, ignores redeliveries, and panics on a
//! gap; a checkpoint resumed and caught up equals the live projection, and
//! so does a rebuild from offset 0. A projection rebuilt from a wrong offset
//! (from 0 on top of a checkpoint's state, or one past its positions) fails
//! here, and a projector fed by a crashing at-least-once consumer still
//! applies each record once.

use std::collections::{BTreeMap, BTreeSet};

use event_bus::{Checkpoint, Consumer, Crashed, Projector, Record, Topic};
use kit::history::LogOptions;
use kit::rng::Rng;
use proptest::prelude::*;

use crate::common::{KeyHistory, TestOffsets, list, publish_range, topic_with};

fn record_at(topic: &Topic, partition: u32, offset: u64) -> Record {
    topic.read(partition, offset, 1).remove(0)
}

#[test]
fn a_new_projector_is_at_the_start() {
    let p = Projector::new(KeyHistory::default());
    assert_eq!(p.position(0), 0);
    assert_eq!(p.position(7), 0, "every partition starts at 0");
    assert_eq!(p.state(), &KeyHistory::default());
}

#[test]
fn catch_up_applies_every_record_once_in_partition_order() {
    let topic = topic_with(4, 200, 17);
    let mut p = Projector::new(KeyHistory::default());
    assert_eq!(p.catch_up(&topic), 200, "catch_up reports what it applied");
    assert_eq!(
        p.state(),
        &KeyHistory::of(&topic),
        "the projection after catch_up is every record, each partition in offset order"
    );
    for q in 0..4 {
        assert_eq!(
            p.position(q),
            topic.end_offset(q),
            "partition {q}: the position is the next offset to apply"
        );
    }
    let anomalies = p.state().log(&topic).check(&LogOptions::default());
    assert!(anomalies.is_empty(), "what it applied:{}", list(&anomalies));
    assert_eq!(p.catch_up(&topic), 0, "caught up: nothing more to apply");
}

#[test]
fn apply_takes_the_next_record_and_ignores_an_old_one() {
    let topic = topic_with(1, 5, 2);
    let mut p = Projector::new(KeyHistory::default());
    assert!(
        p.apply(&record_at(&topic, 0, 0)),
        "offset 0 is next: applied"
    );
    assert!(p.apply(&record_at(&topic, 0, 1)));
    let before = p.state().clone();
    assert!(
        !p.apply(&record_at(&topic, 0, 0)),
        "offset 0 again is a redelivery: ignored"
    );
    assert!(!p.apply(&record_at(&topic, 0, 1)));
    assert_eq!(
        p.state(),
        &before,
        "an ignored record changes nothing: the projection is exactly-once on top of an \
         at-least-once feed"
    );
    assert_eq!(p.position(0), 2);
}

#[test]
#[should_panic(expected = "gap in partition 0")]
fn a_record_past_the_position_is_a_gap_and_panics() {
    let topic = topic_with(1, 5, 2);
    let mut p = Projector::new(KeyHistory::default());
    p.apply(&record_at(&topic, 0, 0));
    p.apply(&record_at(&topic, 0, 2)); // offset 1 was skipped
}

#[test]
fn a_checkpoint_holds_the_state_and_the_next_offsets() {
    let topic = topic_with(3, 40, 7);
    let mut p = Projector::new(KeyHistory::default());
    p.catch_up(&topic);
    let cp: Checkpoint<KeyHistory> = p.checkpoint();
    assert_eq!(&cp.state, p.state());
    let want: BTreeMap<u32, u64> = (0..3)
        .map(|q| (q, topic.end_offset(q)))
        .filter(|&(_, end)| end > 0)
        .collect();
    let got: BTreeMap<u32, u64> = cp
        .positions
        .iter()
        .map(|(&q, &at)| (q, at))
        .filter(|&(_, at)| at > 0)
        .collect();
    assert_eq!(
        got, want,
        "a checkpoint's positions are the next offsets to apply, saved with the state they \
         belong to"
    );
}

#[test]
fn a_resumed_checkpoint_catches_up_to_the_live_projection() {
    let mut topic = topic_with(4, 100, 11);
    let mut live = Projector::new(KeyHistory::default());
    live.catch_up(&topic);
    let cp = live.checkpoint();
    publish_range(&mut topic, 100, 150, 11);
    live.catch_up(&topic);

    let mut restored = Projector::resume(cp);
    assert_eq!(
        restored.catch_up(&topic),
        150,
        "a projection resumed from a checkpoint applies exactly what came after it"
    );
    assert_eq!(
        restored.state(),
        live.state(),
        "resumed + caught up must equal the live projection: replaying from 0 on top of the \
         checkpoint applies its events twice, from one past its positions loses one"
    );
    let mut rebuilt = Projector::new(KeyHistory::default());
    rebuilt.catch_up(&topic);
    assert_eq!(
        rebuilt.state(),
        live.state(),
        "a rebuild from offset 0 is the live projection too"
    );
}

#[test]
fn a_projector_fed_by_a_crashing_consumer_applies_each_record_once() {
    let topic = topic_with(3, 90, 10);
    let mut offsets = TestOffsets::default();
    let mut projector = Projector::new(KeyHistory::default());
    let partitions = [0, 1, 2];
    let mut consumer = Consumer::new();
    consumer.assign(&partitions, &offsets);
    let mut rng = Rng::new(4).stream("crashes");
    let mut deliveries = 0u32;
    let mut done = false;
    for _ in 0..1_000 {
        // The handler crashes now and then after the projector applied the
        // record: that record and the rest of its batch come again.
        let mut handler = |r: &Record| {
            deliveries += 1;
            projector.apply(r);
            if rng.chance(0.1) {
                Err(Crashed)
            } else {
                Ok(())
            }
        };
        match consumer.process(&topic, &mut offsets, &mut handler, 5) {
            Ok(0) => {
                done = true;
                break;
            }
            Ok(_) => {}
            Err(Crashed) => {
                consumer = Consumer::new();
                consumer.assign(&partitions, &offsets);
            }
        }
    }
    assert!(done, "the consumer never caught up");
    assert!(
        deliveries > 90,
        "the crashes redeliver records ({deliveries} deliveries of 90)"
    );
    assert_eq!(
        projector.state(),
        &KeyHistory::of(&topic),
        "redelivered records must be ignored by offset: every record applied once, in order"
    );
}

#[test]
fn a_projector_is_a_handler_a_consumer_can_feed() {
    let topic = topic_with(2, 30, 6);
    let mut offsets = TestOffsets::default();
    let mut projector = Projector::new(KeyHistory::default());
    let mut consumer = Consumer::new();
    consumer.assign(&[0, 1], &offsets);
    while consumer
        .process(&topic, &mut offsets, &mut projector, 4)
        .expect("a projector never crashes")
        > 0
    {}
    assert_eq!(projector.state(), &KeyHistory::of(&topic));
    // A consumer restarted from an older commit redelivers: still applied once.
    let mut again = Consumer::new();
    again.assign(&[0, 1], &TestOffsets::default());
    assert_eq!(
        again.process(&topic, &mut offsets, &mut projector, 100),
        Ok(30)
    );
    assert_eq!(
        projector.state(),
        &KeyHistory::of(&topic),
        "handling a redelivered record through the Handler impl must ignore it too"
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(84),
        failure_persistence: None,
        cases: 96,
        ..ProptestConfig::default()
    })]

    /// Publish in bursts, catch the live projector up at random moments,
    /// checkpoint at one of them; at the end the resumed checkpoint, a
    /// rebuild from 0 and the live projection agree, and each applied every
    /// record once (the log rules over what it applied).
    #[test]
    fn resume_rebuild_and_live_agree(
        partitions in 1u32..5,
        bursts in proptest::collection::vec((0u64..30, any::<bool>()), 1..10),
        keys in 1u64..9,
        checkpoint_at in 0usize..10,
    ) {
        let mut topic = Topic::new(partitions);
        let mut live = Projector::new(KeyHistory::default());
        let mut cp = None;
        let mut next = 0;
        for (i, &(n, catch_up)) in bursts.iter().enumerate() {
            publish_range(&mut topic, next, n, keys);
            next += n;
            if catch_up {
                live.catch_up(&topic);
            }
            if i == checkpoint_at.min(bursts.len() - 1) {
                cp = Some(live.checkpoint());
            }
        }
        live.catch_up(&topic);
        let mut resumed = Projector::resume(cp.expect("taken"));
        resumed.catch_up(&topic);
        let mut rebuilt = Projector::new(KeyHistory::default());
        rebuilt.catch_up(&topic);
        prop_assert_eq!(live.state(), &KeyHistory::of(&topic));
        prop_assert_eq!(resumed.state(), live.state(), "resumed from a checkpoint");
        prop_assert_eq!(rebuilt.state(), live.state(), "rebuilt from offset 0");
        for projector in [&live, &resumed] {
            let anomalies = projector.state().log(&topic).check(&LogOptions::default());
            prop_assert!(anomalies.is_empty(), "applied:{}", list(&anomalies));
        }
        let ids: BTreeSet<u64> = live.state().applied.values().flatten().map(|a| a.1).collect();
        prop_assert_eq!(ids.len() as u64, next);
    }
}
