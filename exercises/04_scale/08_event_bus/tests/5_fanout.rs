//! Stage 5 (the wrong design): fan-out through bounded per-subscriber
//! queues. Each overflow policy on its own (block: nothing lost, the
//! subscriber lags; drop-oldest: the newest kept, the drops counted;
//! dead-letter: the oldest kept, the overflow set aside), and a slow
//! subscriber that never polls next to a fast one: the fast one must get
//! every event, whatever the slow one's policy. A dispatcher that delivers
//! an event to all subscribers or to none (lockstep), or that refuses to
//! publish while any queue is full, fails here. Everything is counted, not
//! timed: a single thread drives publish and poll.

use std::collections::VecDeque;

use event_bus::{Event, Fanout, Overflow, SubscriberId};
use kit::history::{Log, LogOptions, Outcome};
use proptest::prelude::*;

use crate::common::{event, list};

const POLICIES: [Overflow; 3] = [Overflow::Block, Overflow::DropOldest, Overflow::DeadLetter];

fn ids(events: &[Event]) -> Vec<u64> {
    events.iter().map(|e| e.id.0).collect()
}

fn publish(fanout: &mut Fanout, ids: std::ops::Range<u64>) {
    for i in ids {
        fanout.publish(event(i, i % 3));
    }
}

/// Polls `sub` until its queue and lag are empty.
fn drain(fanout: &mut Fanout, sub: SubscriberId) -> Vec<u64> {
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let got = fanout.poll(sub, 3);
        if got.is_empty() {
            return out;
        }
        out.extend(ids(&got));
    }
    panic!("subscriber {} never drained", sub.0)
}

#[test]
fn subscribers_are_numbered_in_order() {
    let mut fanout = Fanout::new();
    assert_eq!(fanout.subscribe(1, Overflow::Block), SubscriberId(0));
    assert_eq!(fanout.subscribe(4, Overflow::DropOldest), SubscriberId(1));
    assert_eq!(fanout.subscribe(2, Overflow::DeadLetter), SubscriberId(2));
    assert_eq!(fanout.retained(), 0);
}

#[test]
#[should_panic(expected = "a queue holds at least one event")]
fn a_queue_of_no_room_panics() {
    Fanout::new().subscribe(0, Overflow::Block);
}

#[test]
#[should_panic(expected = "unknown subscriber")]
fn an_unknown_subscriber_panics() {
    let mut fanout = Fanout::new();
    fanout.subscribe(1, Overflow::Block);
    fanout.poll(SubscriberId(1), 1);
}

#[test]
fn publishing_to_nobody_keeps_nothing() {
    let mut fanout = Fanout::new();
    publish(&mut fanout, 0..100);
    assert_eq!(
        fanout.retained(),
        0,
        "no subscriber needs these events: keeping them is a leak"
    );
}

#[test]
fn a_subscriber_gets_what_is_published_after_it_subscribed_in_order() {
    for policy in POLICIES {
        let mut fanout = Fanout::new();
        publish(&mut fanout, 0..3);
        let sub = fanout.subscribe(10, policy);
        publish(&mut fanout, 3..8);
        assert_eq!(fanout.queued(sub), 5, "{policy:?}: five events queued");
        assert_eq!(
            ids(&fanout.poll(sub, 2)),
            [3, 4],
            "{policy:?}: poll takes from the front"
        );
        assert_eq!(ids(&fanout.poll(sub, 10)), [5, 6, 7]);
        assert!(fanout.poll(sub, 10).is_empty());
        assert_eq!(fanout.lag(sub), 0);
    }
}

#[test]
fn block_keeps_every_event_and_lags() {
    let mut fanout = Fanout::new();
    let sub = fanout.subscribe(2, Overflow::Block);
    publish(&mut fanout, 0..5);
    assert_eq!(fanout.queued(sub), 2, "the queue holds its capacity");
    assert_eq!(fanout.lag(sub), 3, "the other three wait for room");
    assert_eq!(fanout.retained(), 3, "...in the fan-out's log");
    assert_eq!(fanout.dropped(sub), 0);
    assert!(fanout.dead_letters(sub).is_empty());
    assert_eq!(ids(&fanout.poll(sub, 1)), [0]);
    assert_eq!(
        fanout.queued(sub),
        2,
        "polling makes room, and the queue refills"
    );
    assert_eq!(fanout.lag(sub), 2);
    assert_eq!(
        drain(&mut fanout, sub),
        [1, 2, 3, 4],
        "nothing lost, order kept"
    );
    assert_eq!(fanout.retained(), 0, "delivered events are freed");
}

#[test]
fn drop_oldest_keeps_the_newest_and_counts_the_drops() {
    let mut fanout = Fanout::new();
    let sub = fanout.subscribe(2, Overflow::DropOldest);
    publish(&mut fanout, 0..5);
    assert_eq!(fanout.queued(sub), 2);
    assert_eq!(fanout.dropped(sub), 3, "events 0, 1 and 2 were pushed out");
    assert_eq!(
        fanout.lag(sub),
        0,
        "nothing waits: a dropping subscriber never lags"
    );
    assert_eq!(fanout.retained(), 0);
    assert_eq!(
        ids(&fanout.poll(sub, 10)),
        [3, 4],
        "drop-oldest keeps the newest events (dropping the new one is not this policy)"
    );
}

#[test]
fn dead_letter_keeps_the_oldest_and_sets_the_overflow_aside() {
    let mut fanout = Fanout::new();
    let sub = fanout.subscribe(2, Overflow::DeadLetter);
    publish(&mut fanout, 0..5);
    assert_eq!(fanout.queued(sub), 2);
    assert_eq!(
        ids(fanout.dead_letters(sub)),
        [2, 3, 4],
        "the events that found the queue full are dead letters, in publish order"
    );
    assert_eq!(fanout.dropped(sub), 0, "dead-lettering is not dropping");
    assert_eq!(fanout.lag(sub), 0);
    assert_eq!(fanout.retained(), 0);
    assert_eq!(ids(&fanout.poll(sub, 10)), [0, 1]);
    publish(&mut fanout, 5..6);
    assert_eq!(
        ids(&fanout.poll(sub, 10)),
        [5],
        "with room again, events queue again"
    );
    assert_eq!(ids(fanout.dead_letters(sub)), [2, 3, 4]);
}

/// The heart of the stage: a subscriber that never polls, next to two that
/// poll after every publish.
#[test]
fn a_slow_subscriber_never_holds_up_a_fast_one() {
    for slow_policy in POLICIES {
        let mut fanout = Fanout::new();
        let slow = fanout.subscribe(1, slow_policy);
        let fast = fanout.subscribe(1, Overflow::Block);
        let fast_dropping = fanout.subscribe(1, Overflow::DropOldest);
        let mut log = Log::new();
        let mut dropping_got = Vec::new();
        for i in 0..100 {
            log.sent(i, Outcome::Ok(()));
            fanout.publish(event(i, i % 3));
            for e in fanout.poll(fast, 10) {
                log.received_at(fast.0, 0, e.id.0, e.id.0);
            }
            dropping_got.extend(ids(&fanout.poll(fast_dropping, 10)));
        }
        let anomalies = log.check(&LogOptions::default());
        assert!(
            anomalies.is_empty(),
            "next to a slow {slow_policy:?} subscriber that never polls, a fast subscriber \
             polling after every publish must get all 100 events in order, at once; a \
             dispatcher that waits for the slowest queue starves it:{}",
            list(&anomalies)
        );
        assert_eq!(
            dropping_got,
            (0..100).collect::<Vec<_>>(),
            "a fast drop-oldest subscriber never overflows, so it drops nothing"
        );
        assert_eq!(fanout.dropped(fast_dropping), 0);
        assert_eq!(
            fanout.queued(slow),
            1,
            "the slow subscriber's queue is full"
        );
        let (lag, dropped, dead) = (
            fanout.lag(slow),
            fanout.dropped(slow),
            fanout.dead_letters(slow).len() as u64,
        );
        let want = match slow_policy {
            Overflow::Block => (99, 0, 0),
            Overflow::DropOldest => (0, 99, 0),
            Overflow::DeadLetter => (0, 0, 99),
        };
        assert_eq!(
            (lag, dropped, dead),
            want,
            "{slow_policy:?}: the slow subscriber's 99 overflowing events (lag, dropped, dead \
             letters)"
        );
        assert_eq!(
            fanout.retained() as u64,
            lag,
            "the log keeps only the Block lag"
        );
    }
}

#[test]
fn the_log_keeps_exactly_the_largest_lag() {
    let mut fanout = Fanout::new();
    let a = fanout.subscribe(3, Overflow::Block);
    let b = fanout.subscribe(2, Overflow::Block);
    let _c = fanout.subscribe(1, Overflow::DropOldest);
    publish(&mut fanout, 0..12);
    assert_eq!((fanout.lag(a), fanout.lag(b)), (9, 10));
    assert_eq!(fanout.retained(), 10, "the largest lag");
    drain(&mut fanout, b);
    assert_eq!(
        fanout.retained(),
        9,
        "once b is drained, only a's lag is kept: events every subscriber is past are freed"
    );
    drain(&mut fanout, a);
    assert_eq!(fanout.retained(), 0);
}

#[test]
fn every_policy_accounts_for_every_event() {
    for policy in POLICIES {
        let mut fanout = Fanout::new();
        let sub = fanout.subscribe(4, policy);
        let mut log = Log::new();
        let mut got = Vec::new();
        for i in 0..60 {
            log.sent(i, Outcome::Ok(()));
            fanout.publish(event(i, i % 5));
            if i % 9 == 8 {
                got.extend(ids(&fanout.poll(sub, 2)));
            }
        }
        got.extend(drain(&mut fanout, sub));
        let dead = ids(fanout.dead_letters(sub));
        // The publish sequence number is the offset: the log rules read the
        // deliveries of one subscriber like a consumer's of one partition.
        match policy {
            Overflow::Block | Overflow::DropOldest => {
                for &id in &got {
                    log.received_at(0, 0, id, id);
                }
            }
            // A dead letter is delivered too, elsewhere: no offsets, so only
            // `lost`, `duplicate` and `unexpected` apply.
            Overflow::DeadLetter => {
                for &id in got.iter().chain(&dead) {
                    log.received(0, id);
                }
            }
        }
        let anomalies: Vec<_> = log
            .check(&LogOptions::default())
            .into_iter()
            .filter(|a| policy != Overflow::DropOldest || !matches!(a.rule(), "lost" | "skip"))
            .collect();
        assert!(
            anomalies.is_empty(),
            "{policy:?}, 60 events, polled now and then:{}",
            list(&anomalies)
        );
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "{policy:?}: delivery is in publish order: {got:?}"
        );
        let accounted = got.len() + dead.len() + fanout.dropped(sub) as usize;
        assert_eq!(
            accounted, 60,
            "{policy:?}: delivered + dead letters + dropped must be every event"
        );
        if policy == Overflow::Block {
            assert_eq!(got, (0..60).collect::<Vec<_>>(), "Block loses nothing");
        }
    }
}

// ------------------------------------------------------------------ model

#[derive(Debug, Clone)]
struct ModelSub {
    policy: Overflow,
    capacity: usize,
    /// Block: every event not yet polled; the others: the queue.
    queue: VecDeque<u64>,
    dropped: u64,
    dead: Vec<u64>,
}

impl ModelSub {
    fn queued(&self) -> usize {
        self.queue.len().min(self.capacity)
    }
    fn lag(&self) -> u64 {
        (self.queue.len() - self.queued()) as u64
    }
}

#[derive(Debug, Clone)]
enum Op {
    Subscribe(usize, usize),
    Publish(u64),
    Poll(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (1usize..5, 0usize..3).prop_map(|(c, p)| Op::Subscribe(c, p)),
        6 => (1u64..4).prop_map(Op::Publish),
        4 => (0usize..6, 0usize..5).prop_map(|(s, m)| Op::Poll(s, m)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(85),
        failure_persistence: None,
        cases: 256,
        ..ProptestConfig::default()
    })]

    /// Against a model that keeps, per subscriber, the obvious list.
    #[test]
    fn fanout_matches_a_model(ops in proptest::collection::vec(op(), 1..80)) {
        let mut fanout = Fanout::new();
        let mut model: Vec<ModelSub> = Vec::new();
        let mut next = 0u64;
        for op in ops {
            match op {
                Op::Subscribe(capacity, p) => {
                    let id = fanout.subscribe(capacity, POLICIES[p]);
                    prop_assert_eq!(id, SubscriberId(model.len()));
                    model.push(ModelSub {
                        policy: POLICIES[p],
                        capacity,
                        queue: VecDeque::new(),
                        dropped: 0,
                        dead: Vec::new(),
                    });
                }
                Op::Publish(n) => {
                    for _ in 0..n {
                        fanout.publish(event(next, next % 4));
                        for m in &mut model {
                            match m.policy {
                                Overflow::Block => m.queue.push_back(next),
                                Overflow::DropOldest => {
                                    if m.queue.len() == m.capacity {
                                        m.queue.pop_front();
                                        m.dropped += 1;
                                    }
                                    m.queue.push_back(next);
                                }
                                Overflow::DeadLetter => {
                                    if m.queue.len() == m.capacity {
                                        m.dead.push(next);
                                    } else {
                                        m.queue.push_back(next);
                                    }
                                }
                            }
                        }
                        next += 1;
                    }
                }
                Op::Poll(s, max) => {
                    if s >= model.len() {
                        continue;
                    }
                    let got = ids(&fanout.poll(SubscriberId(s), max));
                    let m = &mut model[s];
                    let take = max.min(m.queued());
                    let want: Vec<u64> = m.queue.drain(..take).collect();
                    prop_assert_eq!(got, want, "poll({}, {})", s, max);
                }
            }
            for (s, m) in model.iter().enumerate() {
                let sub = SubscriberId(s);
                prop_assert_eq!(fanout.queued(sub), m.queued(), "queued({})", s);
                prop_assert_eq!(fanout.lag(sub), m.lag(), "lag({})", s);
                prop_assert_eq!(fanout.dropped(sub), m.dropped, "dropped({})", s);
                prop_assert_eq!(ids(fanout.dead_letters(sub)), m.dead.clone(), "dead({})", s);
            }
            let retained = model.iter().map(ModelSub::lag).max().unwrap_or(0);
            prop_assert_eq!(fanout.retained() as u64, retained, "retained");
        }
    }
}
