//! Stage 1: subscribe, publish in order, unsubscribe by dropping the handle.

use std::cell::RefCell;
use std::rc::Rc;

use observer::{News, NewsAgency, Subscription};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// A shared log the test's subscribers write into: "name:headline".
#[derive(Clone, Default)]
struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    fn recorder(&self, name: &str) -> impl Fn(&News) + 'static {
        let log = self.clone();
        let name = name.to_string();
        move |news: &News| log.0.borrow_mut().push(format!("{name}:{}", news.headline))
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

fn news(headline: &str) -> News {
    News::new("world", headline)
}

#[test]
fn news_is_plain_data() {
    let n = News::new("sport", "Cup final tonight");
    assert_eq!(n.topic, "sport");
    assert_eq!(n.headline, "Cup final tonight");
    assert_eq!(n.clone(), n);
}

#[test]
fn publishing_to_nobody_delivers_nothing() {
    let agency = NewsAgency::new();
    assert_eq!(agency.subscriber_count(), 0);
    assert_eq!(agency.publish(&news("nobody listens")), 0);
}

#[test]
fn subscribers_are_notified_in_subscription_order() {
    let agency = NewsAgency::new();
    let log = Log::default();
    let _a = agency.subscribe(log.recorder("a"));
    let _b = agency.subscribe(log.recorder("b"));
    let _c = agency.subscribe(log.recorder("c"));
    assert_eq!(agency.subscriber_count(), 3);
    assert_eq!(
        agency.publish(&news("rain")),
        3,
        "publish returns how many were called"
    );
    assert_eq!(agency.publish(&news("sun")), 3);
    assert_eq!(
        log.take(),
        ["a:rain", "b:rain", "c:rain", "a:sun", "b:sun", "c:sun"],
        "each publish reaches every subscriber once, in the order they subscribed"
    );
}

#[test]
fn the_subscriber_receives_the_news_itself() {
    let agency = NewsAgency::new();
    let got: Rc<RefCell<Vec<News>>> = Rc::default();
    let sink = Rc::clone(&got);
    let _s = agency.subscribe(move |n: &News| sink.borrow_mut().push(n.clone()));
    agency.publish(&News::new("sport", "Goal!"));
    assert_eq!(*got.borrow(), [News::new("sport", "Goal!")]);
}

#[test]
fn dropping_the_handle_unsubscribes() {
    let agency = NewsAgency::new();
    let log = Log::default();
    let a = agency.subscribe(log.recorder("a"));
    let b = agency.subscribe(log.recorder("b"));
    agency.publish(&news("one"));
    drop(a);
    assert_eq!(agency.subscriber_count(), 1);
    assert_eq!(agency.publish(&news("two")), 1);
    assert!(b.is_active());
    b.unsubscribe();
    assert_eq!(agency.subscriber_count(), 0);
    assert_eq!(agency.publish(&news("three")), 0);
    assert_eq!(
        log.take(),
        ["a:one", "b:one", "b:two"],
        "a dropped subscriber must never be called again"
    );
}

#[test]
fn unsubscribing_keeps_the_others_in_order() {
    let agency = NewsAgency::new();
    let log = Log::default();
    let a = agency.subscribe(log.recorder("a"));
    let b = agency.subscribe(log.recorder("b"));
    let c = agency.subscribe(log.recorder("c"));
    let d = agency.subscribe(log.recorder("d"));
    drop(b);
    let e = agency.subscribe(log.recorder("e"));
    agency.publish(&news("x"));
    assert_eq!(
        log.take(),
        ["a:x", "c:x", "d:x", "e:x"],
        "removing one subscriber must not reorder the rest (swap_remove would move d into b's place)"
    );
    drop((a, c, d, e));
}

#[test]
fn binding_to_underscore_unsubscribes_immediately() {
    let agency = NewsAgency::new();
    let log = Log::default();
    // `let _ = ...` drops the value at once, unlike `let _name = ...`.
    let _ = agency.subscribe(log.recorder("gone"));
    let _kept = agency.subscribe(log.recorder("kept"));
    agency.publish(&news("x"));
    assert_eq!(log.take(), ["kept:x"]);
}

#[test]
fn a_detached_subscription_lives_as_long_as_the_agency() {
    let agency = NewsAgency::new();
    let log = Log::default();
    agency.subscribe(log.recorder("forever")).detach();
    assert_eq!(agency.subscriber_count(), 1);
    agency.publish(&news("x"));
    assert_eq!(log.take(), ["forever:x"]);
}

#[test]
fn a_subscription_may_outlive_its_agency() {
    let log = Log::default();
    let handle: Subscription;
    {
        let agency = NewsAgency::new();
        handle = agency.subscribe(log.recorder("a"));
        assert!(handle.is_active());
        agency.publish(&news("x"));
    }
    assert!(
        !handle.is_active(),
        "the agency is gone, so is the subscription"
    );
    drop(handle); // must not panic
    assert_eq!(log.take(), ["a:x"]);
}

#[test]
fn is_active_reports_an_ended_subscription() {
    let agency = NewsAgency::new();
    let a = agency.subscribe(|_: &News| {});
    let b = agency.subscribe(|_: &News| {});
    assert!(a.is_active() && b.is_active());
    drop(a);
    assert!(
        b.is_active(),
        "dropping one subscription must not end another"
    );
    let shown = format!("{agency:?}");
    assert!(
        shown.contains("NewsAgency") && shown.contains('1'),
        "Debug shows the subscriber count: {shown}"
    );
    let shown = format!("{b:?}");
    assert!(
        shown.contains("active: true"),
        "Debug shows whether it is active: {shown}"
    );
}

// ---- property: against a model (a list of live ids in subscription order) ----

#[derive(Debug, Clone)]
enum Op {
    Subscribe,
    Drop(usize),
    Publish,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Subscribe),
        2 => (0..16usize).prop_map(Op::Drop),
        3 => Just(Op::Publish),
    ]
}

proptest! {
    // A fixed seed: the same cases on every run, so a pass or a failure repeats.
    // Shrinking is capped so a failure is reported in seconds, not minutes.
    #![proptest_config(ProptestConfig {
        cases: 128,
        rng_seed: RngSeed::Fixed(8),
        failure_persistence: None,
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    })]

    #[test]
    fn deliveries_match_a_model(ops in prop::collection::vec(op(), 0..60)) {
        let agency = NewsAgency::new();
        let log = Log::default();
        let mut handles: Vec<(usize, Subscription)> = Vec::new();
        let mut model_live: Vec<usize> = Vec::new();
        let mut model_log: Vec<String> = Vec::new();
        let mut next = 0;
        for (step, op) in ops.into_iter().enumerate() {
            match op {
                Op::Subscribe => {
                    handles.push((next, agency.subscribe(log.recorder(&next.to_string()))));
                    model_live.push(next);
                    next += 1;
                }
                Op::Drop(i) => {
                    if !handles.is_empty() {
                        let (id, h) = handles.remove(i % handles.len());
                        drop(h);
                        model_live.retain(|&x| x != id);
                    }
                }
                Op::Publish => {
                    let delivered = agency.publish(&news(&step.to_string()));
                    prop_assert_eq!(delivered, model_live.len());
                    for id in &model_live {
                        model_log.push(format!("{id}:{step}"));
                    }
                }
            }
            prop_assert_eq!(agency.subscriber_count(), model_live.len());
        }
        prop_assert_eq!(log.take(), model_log, "deliveries: live subscribers only, in subscription order");
    }
}
