//! Stage 1: the partitioned log. Dense offsets per partition, keyed publish
//! (one key, one partition, publish order kept), reads by offset, and a
//! reader that walks every partition finds every record once, in order
//! (`kit::history`'s log rules). A round-robin publish spreads one key over
//! several partitions and fails here.

use std::collections::BTreeMap;

use event_bus::{Event, Position, Topic, partition_for};
use kit::hash::hash64;
use kit::history::LogOptions;
use proptest::prelude::*;

use crate::common::{event, list, log_of, publish_range, topic_with};

#[test]
fn a_new_topic_is_empty() {
    let topic = Topic::new(3);
    assert_eq!(topic.partitions(), 3);
    assert!(topic.is_empty());
    assert_eq!(topic.len(), 0);
    for p in 0..3 {
        assert_eq!(
            topic.end_offset(p),
            0,
            "partition {p} of a new topic is empty"
        );
        assert!(topic.read(p, 0, 10).is_empty());
    }
}

#[test]
#[should_panic(expected = "a topic needs at least one partition")]
fn a_topic_of_no_partitions_panics() {
    let _ = Topic::new(0);
}

#[test]
fn the_partition_of_a_key_is_its_stable_hash_mod_the_partitions() {
    for partitions in [1u32, 2, 3, 8, 12] {
        let topic = Topic::new(partitions);
        for i in 0..200 {
            let key = format!("user-{i}");
            let want = (hash64(key.as_bytes()) % u64::from(partitions)) as u32;
            assert_eq!(
                partition_for(&key, partitions),
                want,
                "partition_for({key:?}, {partitions}) must be hash64(key) % partitions: every \
                 producer, on every machine, must agree where a key lives"
            );
            assert_eq!(topic.partition_for(&key), want);
        }
    }
    assert_eq!(
        partition_for("", 4),
        (hash64(b"") % 4) as u32,
        "the empty key is a key"
    );
}

#[test]
#[should_panic(expected = "a topic needs at least one partition")]
fn a_partition_for_no_partitions_panics() {
    let _ = partition_for("key", 0);
}

#[test]
fn offsets_are_dense_per_partition_from_zero() {
    let mut topic = Topic::new(4);
    let mut next = BTreeMap::new();
    for i in 0..100 {
        let e = event(i, i % 9);
        let want = topic.partition_for(&e.key);
        let at = topic.publish(e);
        let offset = next.entry(want).or_insert(0u64);
        assert_eq!(
            at,
            Position {
                partition: want,
                offset: *offset
            },
            "event {i} must go to its key's partition at the next offset there"
        );
        *offset += 1;
    }
    assert_eq!(topic.len(), 100);
    assert!(!topic.is_empty());
    for p in 0..4 {
        assert_eq!(
            topic.end_offset(p),
            next.get(&p).copied().unwrap_or(0),
            "end_offset is the number of records in the partition"
        );
    }
}

#[test]
fn one_key_stays_in_one_partition_in_publish_order() {
    let mut topic = Topic::new(6);
    publish_range(&mut topic, 0, 300, 7);
    for key in 0..7u64 {
        let name = format!("k{key}");
        let home = topic.partition_for(&name);
        let mut ids = Vec::new();
        for p in 0..6 {
            for r in topic.read(p, 0, usize::MAX) {
                if r.event.key == name {
                    assert_eq!(
                        p, home,
                        "event {} of key {name} is in partition {p}, not its key's partition \
                         {home}: spreading a key over partitions (round robin) loses per-key \
                         order for every consumer",
                        r.event.id.0
                    );
                    ids.push(r.event.id.0);
                }
            }
        }
        let want: Vec<u64> = (0..300).filter(|i| i % 7 == key).collect();
        assert_eq!(
            ids, want,
            "key {name}'s events in offset order are its publish order"
        );
    }
}

#[test]
fn read_returns_a_window_of_records_from_an_offset() {
    let mut topic = Topic::new(1);
    for i in 0..10 {
        topic.publish(Event::new(i, "only", format!("p{i}")));
    }
    let got = topic.read(0, 3, 4);
    let offsets: Vec<u64> = got.iter().map(|r| r.offset).collect();
    assert_eq!(offsets, [3, 4, 5, 6], "read(0, 3, 4) is offsets 3..7");
    assert_eq!(got[0].partition, 0);
    assert_eq!(
        got[0].event,
        Event::new(3, "only", "p3"),
        "a record carries its event"
    );
    assert_eq!(topic.read(0, 8, 5).len(), 2, "a read stops at the end");
    assert!(
        topic.read(0, 10, 5).is_empty(),
        "reading at the end finds nothing"
    );
    assert!(topic.read(0, 99, 5).is_empty(), "nor past it");
    assert!(topic.read(0, 0, 0).is_empty(), "max 0 reads nothing");
    assert_eq!(
        topic.read(0, 0, 10).len(),
        10,
        "reading is not consuming: the records are still there"
    );
}

#[test]
#[should_panic(expected = "no partition 3")]
fn reading_a_partition_that_does_not_exist_panics() {
    let _ = Topic::new(3).read(3, 0, 1);
}

#[test]
#[should_panic(expected = "no partition 7")]
fn the_end_of_a_partition_that_does_not_exist_panics() {
    let _ = Topic::new(2).end_offset(7);
}

#[test]
fn a_reader_of_every_partition_sees_every_record_once_in_order() {
    let topic = topic_with(5, 400, 23);
    let mut log = log_of(&topic);
    for p in 0..5 {
        let mut at = 0;
        loop {
            let batch = topic.read(p, at, 7);
            if batch.is_empty() {
                break;
            }
            for r in &batch {
                log.received_at(0, r.partition, r.offset, r.event.id.0);
            }
            at += batch.len() as u64;
        }
    }
    let anomalies = log.check(&LogOptions::default());
    assert!(
        anomalies.is_empty(),
        "reading each partition from 0 in batches must deliver every record exactly once, \
         offsets dense and increasing:{}",
        list(&anomalies)
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(81),
        failure_persistence: None,
        cases: 128,
        ..ProptestConfig::default()
    })]

    /// Against the obvious model: a `Vec` of events per partition.
    #[test]
    fn reads_match_a_model_of_one_vec_per_partition(
        partitions in 1u32..6,
        keys in proptest::collection::vec(0u64..12, 0..80),
        reads in proptest::collection::vec((0u32..6, 0u64..40, 0usize..12), 1..20),
    ) {
        let mut topic = Topic::new(partitions);
        let mut model: Vec<Vec<Event>> = vec![Vec::new(); partitions as usize];
        for (i, &k) in keys.iter().enumerate() {
            let e = event(i as u64, k);
            let p = (hash64(e.key.as_bytes()) % u64::from(partitions)) as usize;
            let at = topic.publish(e.clone());
            prop_assert_eq!(at.partition as usize, p);
            prop_assert_eq!(at.offset, model[p].len() as u64);
            model[p].push(e);
        }
        prop_assert_eq!(topic.len(), keys.len() as u64);
        for (p, from, max) in reads {
            let p = p % partitions;
            let got = topic.read(p, from, max);
            let log = &model[p as usize];
            let start = (from as usize).min(log.len());
            let end = (start + max).min(log.len());
            prop_assert_eq!(got.len(), end - start, "read({}, {}, {})", p, from, max);
            for (r, (want, offset)) in got.iter().zip(log[start..end].iter().zip(from..)) {
                prop_assert_eq!(r.partition, p);
                prop_assert_eq!(r.offset, offset);
                prop_assert_eq!(&r.event, want);
            }
        }
    }
}
