//! Stage 6 (the wrong design): the transactional outbox. The test's
//! database and broker count every call and can crash at any one of them,
//! before or after its effect. After recovery and a completed relay, the
//! committed rows and the published events must match: no row without its
//! event (`lost`), no event without its row (`unexpected`), duplicates only
//! as at-least-once (the same id again), per customer in order. Exhaustive
//! over every crash point of a fixed run, then by proptest over workloads
//! with one to three crashes. A dual write (commit the row, then publish;
//! or publish, then commit) and a relay that marks before it publishes fail
//! here.

use std::cell::RefCell;
use std::rc::Rc;

use event_bus::{Event, Orders, Row};
use proptest::prelude::*;

use crate::common::{
    OutboxRun, Shared, TestBus, TestDb, When, World, orders, outbox_violations, payload,
    run_outbox, trace,
};

fn world() -> Shared {
    Rc::new(RefCell::new(World::default()))
}

fn service(w: &Shared) -> Orders<TestDb, TestBus> {
    Orders::new(TestDb(Rc::clone(w)), TestBus(Rc::clone(w)))
}

#[test]
fn place_commits_the_row_and_its_event_together_and_publishes_nothing() {
    let w = world();
    let mut svc = service(&w);
    svc.place(7, "alice", "two books").expect("no crash");
    let world = w.borrow();
    assert_eq!(
        world.commits, 1,
        "one order is one transaction: the row and its outbox event commit together or not at all"
    );
    assert_eq!(
        world.rows.get(&7),
        Some(&Row {
            id: 7,
            key: "alice".into(),
            payload: "two books".into()
        })
    );
    assert_eq!(world.outbox, [Event::new(7, "alice", "two books")]);
    assert_eq!(
        world.publishes, 0,
        "place must not publish: a publish outside the transaction is a dual write, and a \
         crash between the two leaves the database and the broker disagreeing for ever"
    );
}

#[test]
fn relay_publishes_the_outbox_in_order_and_empties_it() {
    let w = world();
    let mut svc = service(&w);
    for (id, key) in orders(5, 2) {
        svc.place(id, &key, &payload(id)).expect("no crash");
    }
    assert_eq!(
        svc.relay(2),
        Ok(5),
        "relay reports how many events it published"
    );
    let world = w.borrow();
    let published: Vec<u64> = world.published.iter().map(|e| e.id.0).collect();
    assert_eq!(published, [0, 1, 2, 3, 4], "published in outbox order");
    assert!(
        world.outbox.is_empty(),
        "published events are marked and leave the outbox"
    );
    assert_eq!(world.published[3], Event::new(3, "c1", payload(3)));
}

#[test]
fn relay_once_publishes_at_most_one_batch() {
    let w = world();
    let mut svc = service(&w);
    for (id, key) in orders(5, 1) {
        svc.place(id, &key, &payload(id)).expect("no crash");
    }
    assert_eq!(svc.relay_once(3), Ok(3));
    assert_eq!(w.borrow().outbox.len(), 2);
    assert_eq!(svc.relay_once(3), Ok(2));
    assert_eq!(
        svc.relay_once(3),
        Ok(0),
        "an empty outbox publishes nothing"
    );
}

#[test]
#[should_panic(expected = "a batch holds at least one event")]
fn a_batch_of_nothing_panics() {
    let w = world();
    let _ = service(&w).relay(0);
}

#[test]
fn a_new_service_relays_what_an_old_one_left() {
    let w = world();
    let mut svc = service(&w);
    svc.place(1, "a", "x").expect("no crash");
    svc.place(2, "b", "y").expect("no crash");
    drop(svc); // crashed before relaying
    assert_eq!(
        service(&w).relay(10),
        Ok(2),
        "the outbox is in the database: a restarted service finds and relays it"
    );
}

fn assert_agree(workload: &[(u64, String)], run: &OutboxRun, what: &str) {
    let violations = outbox_violations(workload, run);
    assert!(
        violations.is_empty(),
        "{what}:\n  {}\nthe steps:\n{}",
        violations.join("\n  "),
        trace(run)
    );
}

#[test]
fn without_crashes_rows_and_events_match() {
    let workload = orders(12, 3);
    let run = run_outbox(&workload, 4, 3, &[]);
    assert_eq!(run.crashes, 0);
    assert_eq!(run.world.rows.len(), 12);
    assert_agree(&workload, &run, "no crash");
}

/// Every step of a fixed run, crashed before and after its effect.
#[test]
fn a_crash_at_any_step_never_makes_rows_and_events_diverge() {
    let workload = orders(8, 3);
    let steps = run_outbox(&workload, 3, 2, &[]).world.steps;
    assert!(steps > 15, "the run makes database and broker calls");
    for step in 0..steps {
        for when in [When::Before, When::After] {
            let run = run_outbox(&workload, 3, 2, &[(step, when)]);
            assert_eq!(run.crashes, 1, "the crash at step {step} hit");
            assert_agree(
                &workload,
                &run,
                &format!("one crash at step {step}, {when:?} its effect"),
            );
        }
    }
}

/// Two crashes: every pair of steps of a shorter run.
#[test]
fn two_crashes_anywhere_never_make_rows_and_events_diverge() {
    let workload = orders(4, 2);
    let steps = run_outbox(&workload, 2, 2, &[]).world.steps;
    for a in 0..steps {
        for b in a + 1..steps + 4 {
            for (wa, wb) in [(When::Before, When::After), (When::After, When::Before)] {
                let run = run_outbox(&workload, 2, 2, &[(a, wa), (b, wb)]);
                assert_agree(
                    &workload,
                    &run,
                    &format!("crashes at steps {a} ({wa:?}) and {b} ({wb:?})"),
                );
            }
        }
    }
}

fn when() -> impl Strategy<Value = When> {
    prop_oneof![Just(When::Before), Just(When::After)]
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(86),
        failure_persistence: None,
        cases: 256,
        ..ProptestConfig::default()
    })]

    /// Any workload, relay rhythm and batch, with one to three crashes at
    /// any steps.
    #[test]
    fn any_crash_schedule_keeps_rows_and_events_together(
        n in 1u64..25,
        customers in 1u64..5,
        relay_every in 1usize..6,
        batch in 1usize..6,
        crashes in proptest::collection::vec((0usize..120, when()), 1..4),
    ) {
        let workload = orders(n, customers);
        let run = run_outbox(&workload, relay_every, batch, &crashes);
        let violations = outbox_violations(&workload, &run);
        prop_assert!(
            violations.is_empty(),
            "crashes {:?}:\n  {}\nthe steps:\n{}",
            crashes,
            violations.join("\n  "),
            trace(&run)
        );
    }
}
