//! Stage 6: a deadline propagated along A -> B -> C on an injected clock.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use api_design::{Hop, RpcError, Service};
use kit::clock::{Clock, ManualClock};

/// Wraps a service, recording every timeout it was called with.
struct Recorder {
    inner: Box<dyn Service>,
    seen: Rc<RefCell<Vec<Duration>>>,
}

impl Service for Recorder {
    fn call(&self, timeout: Duration) -> Result<(), RpcError> {
        self.seen.borrow_mut().push(timeout);
        self.inner.call(timeout)
    }
}

/// A leaf that takes `ms` and answers Ok whatever its budget (a slow
/// dependency that does not look at deadlines).
struct Slow {
    clock: ManualClock,
    ms: u64,
}

impl Service for Slow {
    fn call(&self, _timeout: Duration) -> Result<(), RpcError> {
        self.clock.advance_millis(self.ms);
        Ok(())
    }
}

type Seen = Rc<RefCell<Vec<Duration>>>;

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

/// A hop that takes `work` ms, recorded, in front of `next`.
fn hop(
    clock: &ManualClock,
    name: &str,
    work: u64,
    runs: &Rc<RefCell<u32>>,
    next: Option<Box<dyn Service>>,
) -> (Box<dyn Service>, Seen) {
    let seen: Seen = Rc::default();
    let (c, r) = (clock.clone(), Rc::clone(runs));
    let inner = Box::new(Hop::new(
        name,
        clock.clone(),
        move || {
            *r.borrow_mut() += 1;
            c.advance_millis(work);
        },
        next,
    ));
    (
        Box::new(Recorder {
            inner,
            seen: Rc::clone(&seen),
        }),
        seen,
    )
}

struct Chain {
    a: Box<dyn Service>,
    seen: [Seen; 3],
    runs: [Rc<RefCell<u32>>; 3],
}

fn chain(clock: &ManualClock, work: [u64; 3]) -> Chain {
    let runs: [Rc<RefCell<u32>>; 3] = Default::default();
    let (c, sc) = hop(clock, "C", work[2], &runs[2], None);
    let (b, sb) = hop(clock, "B", work[1], &runs[1], Some(c));
    let (a, sa) = hop(clock, "A", work[0], &runs[0], Some(b));
    Chain {
        a,
        seen: [sa, sb, sc],
        runs,
    }
}

fn exceeded(hop: &str) -> Result<(), RpcError> {
    Err(RpcError::DeadlineExceeded {
        hop: hop.to_owned(),
    })
}

#[test]
fn each_hop_passes_on_what_is_left() {
    let clock = ManualClock::new(0);
    let ch = chain(&clock, [30, 20, 10]);
    assert_eq!(
        ch.a.call(ms(100)),
        Ok(()),
        "60 ms of work fits a 100 ms budget"
    );
    assert_eq!(
        *ch.seen[1].borrow(),
        [ms(70)],
        "B gets A's budget less A's 30 ms, not a timeout of its own"
    );
    assert_eq!(*ch.seen[2].borrow(), [ms(50)], "C gets B's 70 less B's 20");
    assert_eq!(clock.monotonic(), ms(60));
}

#[test]
fn a_hop_with_no_budget_left_does_not_call_on() {
    let clock = ManualClock::new(0);
    let ch = chain(&clock, [30, 80, 10]);
    assert_eq!(
        ch.a.call(ms(100)),
        exceeded("B"),
        "B's 80 ms spend its whole 70 ms budget: B fails"
    );
    assert!(
        ch.seen[2].borrow().is_empty(),
        "C must not be called: its caller has already given up, \
        and the work would be wasted (and add load when the system is already slow)"
    );
    assert_eq!(*ch.runs[2].borrow(), 0);
}

#[test]
fn exactly_spent_is_spent() {
    let clock = ManualClock::new(0);
    let ch = chain(&clock, [40, 60, 10]);
    assert_eq!(
        ch.a.call(ms(100)),
        exceeded("B"),
        "now == deadline counts as exceeded"
    );
    assert!(ch.seen[2].borrow().is_empty());
}

#[test]
fn the_leaf_that_runs_out_reports_itself() {
    let clock = ManualClock::new(0);
    let ch = chain(&clock, [30, 20, 60]);
    assert_eq!(
        ch.a.call(ms(100)),
        exceeded("C"),
        "C's error travels back unchanged"
    );
}

#[test]
fn a_zero_budget_fails_before_any_work() {
    let clock = ManualClock::new(0);
    let ch = chain(&clock, [30, 20, 10]);
    assert_eq!(ch.a.call(Duration::ZERO), exceeded("A"));
    assert_eq!(
        *ch.runs[0].borrow(),
        0,
        "with no budget the hop does not even start its work"
    );
    assert_eq!(clock.monotonic(), Duration::ZERO);
}

#[test]
fn a_late_ok_from_downstream_is_still_a_deadline_failure() {
    let clock = ManualClock::new(0);
    let slow = Box::new(Slow {
        clock: clock.clone(),
        ms: 500,
    });
    let a = Hop::new("A", clock.clone(), || {}, Some(slow));
    assert_eq!(
        a.call(ms(100)),
        exceeded("A"),
        "the downstream answered after 500 ms of a 100 ms \
        budget: the caller has given up, so A must report DEADLINE_EXCEEDED, not Ok"
    );
}

#[test]
fn the_budget_shrinks_over_repeated_calls_not_between_them() {
    let clock = ManualClock::new(0);
    let ch = chain(&clock, [10, 10, 10]);
    clock.advance_millis(1_000); // time passing between requests is nobody's budget
    for _ in 0..3 {
        assert_eq!(ch.a.call(ms(50)), Ok(()));
    }
    assert_eq!(
        *ch.seen[2].borrow(),
        [ms(30); 3],
        "each call starts its own deadline from now"
    );
}
