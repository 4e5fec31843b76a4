//! Stage 2: orchestration without crashes. Forward through the steps; on a
//! failure, compensate in reverse order; retry what gets no answer, within
//! bounds; leave a stuck compensation to an operator instead of looping.

use saga::*;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

// ---- test harness: a log that can crash and services that can misbehave ----

/// Misbehaviour the test asks of the network and services.
#[derive(Debug, Default, Clone)]
struct Faults {
    /// This step is refused for a business reason.
    reject: Option<Step>,
    /// The next n commands for the step get no answer and are not applied.
    silent: HashMap<Step, u32>,
    /// The next n commands for the step are applied, but the reply is lost.
    lost_replies: HashMap<Step, u32>,
    /// The next n compensations for the step get no answer and are not applied.
    compensation_silent: HashMap<Step, u32>,
}

#[derive(Debug)]
struct World {
    services: Services,
    faults: Faults,
    /// Every command sent, applied or not.
    calls: Vec<(Action, Step)>,
    log: Vec<Record>,
    /// Crash instead of writing the record that would be number `n` (0-based).
    crash_at: Option<usize>,
    crashed: bool,
}

#[derive(Debug, Clone)]
struct Handle(Rc<RefCell<World>>);

#[derive(Debug)]
struct TestLog(Handle);

#[derive(Debug)]
struct TestServices(Handle);

impl SagaLog for TestLog {
    fn append(&mut self, record: Record) -> Result<(), Crashed> {
        let mut w = self.0.0.borrow_mut();
        assert!(
            !w.crashed,
            "the orchestrator wrote {record:?} to the log after it had crashed"
        );
        if w.crash_at == Some(w.log.len()) {
            w.crashed = true;
            return Err(Crashed);
        }
        w.log.push(record);
        Ok(())
    }
    fn records(&self) -> Vec<Record> {
        self.0.0.borrow().log.clone()
    }
}

fn take(counter: &mut HashMap<Step, u32>, step: Step) -> bool {
    match counter.get_mut(&step) {
        Some(n) if *n > 0 => {
            *n -= 1;
            true
        }
        _ => false,
    }
}

impl Participant for TestServices {
    fn execute(&mut self, saga: SagaId, step: Step) -> Reply {
        let mut w = self.0.0.borrow_mut();
        assert!(
            !w.crashed,
            "the orchestrator sent {step:?} after it had crashed: a crashed process does nothing"
        );
        w.calls.push((Action::Execute, step));
        assert!(
            w.calls.len() < 10_000,
            "over 10,000 commands for one test: is a retry loop unbounded?"
        );
        if w.faults.reject == Some(step) {
            return Reply::Rejected;
        }
        if take(&mut w.faults.silent, step) {
            return Reply::Unavailable;
        }
        let reply = w.services.execute(saga, step);
        if take(&mut w.faults.lost_replies, step) {
            return Reply::Unavailable;
        }
        reply
    }
    fn compensate(&mut self, saga: SagaId, step: Step) -> Reply {
        let mut w = self.0.0.borrow_mut();
        assert!(
            !w.crashed,
            "the orchestrator compensated {step:?} after it had crashed"
        );
        w.calls.push((Action::Compensate, step));
        assert!(
            w.calls.len() < 10_000,
            "over 10,000 commands for one test: is a retry loop unbounded?"
        );
        if take(&mut w.faults.compensation_silent, step) {
            return Reply::Unavailable;
        }
        w.services.compensate(saga, step)
    }
}

const PRICE: u64 = 250;
const STOCK: u32 = 10;

impl Handle {
    fn new(faults: Faults) -> Self {
        Handle(Rc::new(RefCell::new(World {
            services: Services::new(STOCK, PRICE),
            faults,
            calls: Vec::new(),
            log: Vec::new(),
            crash_at: None,
            crashed: false,
        })))
    }
    /// A fresh orchestrator process over the same log and services.
    fn orchestrator(&self, config: Config) -> Orchestrator<TestLog, TestServices> {
        Orchestrator::new(TestLog(self.clone()), TestServices(self.clone()), config)
    }
    /// The process restarts; it will crash again before log record `crash_at`.
    #[allow(dead_code)] // not every stage crashes the orchestrator
    fn restart(&self, crash_at: Option<usize>) {
        let mut w = self.0.borrow_mut();
        w.crashed = false;
        w.crash_at = crash_at;
    }
    fn w(&self) -> std::cell::Ref<'_, World> {
        self.0.borrow()
    }
}

/// The invariants every finished saga must satisfy, whatever happened on the way.
fn check_end_state(h: &Handle, saga: SagaId, outcome: &Outcome) {
    let w = h.w();
    let effects: Vec<Effect> = w
        .services
        .effects()
        .iter()
        .copied()
        .filter(|e| e.saga == saga)
        .collect();
    let mut unique = effects.clone();
    unique.sort_by_key(|e| (e.step, e.action == Action::Compensate));
    unique.dedup();
    assert_eq!(
        unique.len(),
        effects.len(),
        "an effect was applied twice: {effects:?} (are the services idempotent?)"
    );
    let executed: Vec<Step> = effects
        .iter()
        .filter(|e| e.action == Action::Execute)
        .map(|e| e.step)
        .collect();
    let compensated: Vec<Step> = effects
        .iter()
        .filter(|e| e.action == Action::Compensate)
        .map(|e| e.step)
        .collect();
    let first_compensation = effects
        .iter()
        .position(|e| e.action == Action::Compensate)
        .unwrap_or(effects.len());
    assert!(
        effects[first_compensation..]
            .iter()
            .all(|e| e.action == Action::Compensate),
        "a step was applied after compensation had begun (forward and backward at once): {effects:?}"
    );
    let mut reversed = compensated.clone();
    reversed.sort_by_key(|s| std::cmp::Reverse(s.index()));
    assert_eq!(
        compensated, reversed,
        "compensations must run in reverse step order: {effects:?}"
    );
    let finished: Vec<&Record> = w
        .log
        .iter()
        .filter(|r| matches!(r, Record::Finished(s, _) if *s == saga))
        .collect();
    assert_eq!(
        finished,
        [&Record::Finished(saga, outcome.clone())],
        "the log must end the saga exactly once, with its outcome"
    );
    match outcome {
        Outcome::Completed => {
            assert_eq!(
                executed,
                Step::ALL,
                "a completed saga applied every step, in order: {effects:?}"
            );
            assert!(
                compensated.is_empty(),
                "a completed saga compensated something: {effects:?}"
            );
        }
        Outcome::Compensated => {
            let mut undone = compensated.clone();
            undone.reverse();
            assert_eq!(
                undone, executed,
                "a compensated saga must undo exactly what it applied: {effects:?}"
            );
            for step in Step::ALL {
                assert!(
                    !w.services.is_applied(saga, step),
                    "{step:?} is still applied after compensation"
                );
            }
        }
        Outcome::NeedsOperator(stuck) => {
            assert!(!stuck.is_empty());
            for step in stuck {
                assert!(
                    w.log.contains(&Record::CompensationStuck(saga, *step)),
                    "a stuck compensation must be recorded in the log for the operator"
                );
            }
            for step in executed.iter().filter(|s| !stuck.contains(s)) {
                assert!(
                    compensated.contains(step),
                    "{step:?} was not stuck, so it must have been compensated"
                );
            }
        }
    }
}

fn run_one(faults: Faults, config: Config) -> (Handle, Outcome) {
    let h = Handle::new(faults);
    let outcome = h
        .orchestrator(config)
        .run(1)
        .expect("this log never crashes");
    check_end_state(&h, 1, &outcome);
    (h, outcome)
}

use Action::{Compensate as C, Execute as E};
use Step::{ChargePayment as Charge, ReserveStock as Reserve, Ship};

#[test]
fn the_happy_path_logs_every_step_then_the_outcome() {
    let (h, outcome) = run_one(Faults::default(), Config::default());
    assert_eq!(outcome, Outcome::Completed);
    assert_eq!(
        h.w().log,
        [
            Record::Started(1),
            Record::StepDone(1, Reserve),
            Record::StepDone(1, Charge),
            Record::StepDone(1, Ship),
            Record::Finished(1, Outcome::Completed),
        ]
    );
    assert_eq!(h.w().calls, [(E, Reserve), (E, Charge), (E, Ship)]);
    let w = h.w();
    assert_eq!(
        (
            w.services.stock(),
            w.services.charged(),
            w.services.shipped()
        ),
        (STOCK - 1, PRICE, 1)
    );
}

#[test]
fn a_rejected_step_is_compensated_in_reverse_order() {
    let (h, outcome) = run_one(
        Faults {
            reject: Some(Ship),
            ..Faults::default()
        },
        Config::default(),
    );
    assert_eq!(outcome, Outcome::Compensated);
    assert_eq!(
        h.w().log,
        [
            Record::Started(1),
            Record::StepDone(1, Reserve),
            Record::StepDone(1, Charge),
            Record::StepFailed(1, Ship),
            Record::Compensated(1, Ship),
            Record::Compensated(1, Charge),
            Record::Compensated(1, Reserve),
            Record::Finished(1, Outcome::Compensated),
        ],
        "log each result after the reply and before acting on it; compensate from the failed step down"
    );
    assert_eq!(
        h.w().calls,
        [
            (E, Reserve),
            (E, Charge),
            (E, Ship),
            (C, Ship),
            (C, Charge),
            (C, Reserve)
        ]
    );
    let w = h.w();
    assert_eq!(
        (
            w.services.stock(),
            w.services.charged(),
            w.services.shipped()
        ),
        (STOCK, 0, 0)
    );
}

#[test]
fn a_failure_at_each_step_compensates_exactly_the_steps_before_it() {
    for failing in Step::ALL {
        let (h, outcome) = run_one(
            Faults {
                reject: Some(failing),
                ..Faults::default()
            },
            Config::default(),
        );
        assert_eq!(outcome, Outcome::Compensated, "failure at {failing:?}");
        let w = h.w();
        let executed: Vec<(Action, Step)> = w.calls.iter().copied().filter(|c| c.0 == E).collect();
        assert_eq!(
            executed,
            Step::ALL[..=failing.index()]
                .iter()
                .map(|&s| (E, s))
                .collect::<Vec<_>>(),
            "nothing after the failed step may run"
        );
        let compensations: Vec<(Action, Step)> =
            w.calls.iter().copied().filter(|c| c.0 == C).collect();
        assert_eq!(
            compensations,
            Step::ALL[..=failing.index()]
                .iter()
                .rev()
                .map(|&s| (C, s))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_lost_reply_is_retried_and_applied_once() {
    let faults = Faults {
        lost_replies: HashMap::from([(Charge, 2)]),
        ..Faults::default()
    };
    let (h, outcome) = run_one(faults, Config::default());
    assert_eq!(
        outcome,
        Outcome::Completed,
        "two lost replies are within 3 attempts"
    );
    assert_eq!(h.w().calls.iter().filter(|c| **c == (E, Charge)).count(), 3);
    assert_eq!(
        h.w().services.charged(),
        PRICE,
        "the customer was charged once although the command arrived 3 times"
    );
}

#[test]
fn a_step_that_never_answers_fails_after_the_allowed_attempts() {
    let faults = Faults {
        silent: HashMap::from([(Charge, 100)]),
        ..Faults::default()
    };
    let config = Config {
        max_step_attempts: 4,
        max_compensation_attempts: 2,
    };
    let (h, outcome) = run_one(faults, config);
    assert_eq!(outcome, Outcome::Compensated);
    assert_eq!(
        h.w().calls.iter().filter(|c| **c == (E, Charge)).count(),
        4,
        "exactly max_step_attempts tries, then give up"
    );
    assert!(h.w().log.contains(&Record::StepFailed(1, Charge)));
}

#[test]
fn a_step_whose_replies_are_all_lost_is_compensated_too() {
    // The payment went through every time; only the answers were lost. The
    // orchestrator cannot know: it must compensate the step it is unsure of.
    let faults = Faults {
        lost_replies: HashMap::from([(Charge, 100)]),
        ..Faults::default()
    };
    let (h, outcome) = run_one(faults, Config::default());
    assert_eq!(outcome, Outcome::Compensated);
    assert_eq!(
        h.w().services.charged(),
        0,
        "the charge whose reply was lost must be refunded: compensate the failed step as well, not only the ones logged as done"
    );
}

#[test]
fn a_compensation_that_fails_for_a_while_is_retried() {
    let faults = Faults {
        reject: Some(Ship),
        compensation_silent: HashMap::from([(Charge, 2)]),
        ..Faults::default()
    };
    let (h, outcome) = run_one(faults, Config::default());
    assert_eq!(outcome, Outcome::Compensated);
    assert_eq!(h.w().calls.iter().filter(|c| **c == (C, Charge)).count(), 3);
    assert_eq!(h.w().services.charged(), 0);
}

#[test]
fn a_compensation_that_keeps_failing_goes_to_an_operator_and_the_rest_still_run() {
    let faults = Faults {
        reject: Some(Ship),
        compensation_silent: HashMap::from([(Charge, u32::MAX)]),
        ..Faults::default()
    };
    let config = Config {
        max_step_attempts: 3,
        max_compensation_attempts: 5,
    };
    let (h, outcome) = run_one(faults, config);
    assert_eq!(outcome, Outcome::NeedsOperator(vec![Charge]));
    let w = h.w();
    assert_eq!(
        w.calls.iter().filter(|c| **c == (C, Charge)).count(),
        5,
        "retry a compensation a bounded number of times: forever would block the saga (and this test)"
    );
    assert!(w.log.contains(&Record::CompensationStuck(1, Charge)));
    assert_eq!(
        w.services.stock(),
        STOCK,
        "the stock is still released after the refund got stuck"
    );
    assert_eq!(
        w.services.charged(),
        PRICE,
        "the refund is the operator's job now"
    );
}

#[test]
fn a_duplicate_start_runs_nothing_twice() {
    let h = Handle::new(Faults {
        reject: Some(Charge),
        ..Faults::default()
    });
    let mut o = h.orchestrator(Config::default());
    let first = o.run(1).unwrap();
    let calls = h.w().calls.len();
    let log_len = h.w().log.len();
    assert_eq!(
        o.run(1).unwrap(),
        first,
        "the same order message twice: report the first outcome"
    );
    assert_eq!(
        h.orchestrator(Config::default()).run(1).unwrap(),
        first,
        "also from another orchestrator process"
    );
    assert_eq!(
        h.w().calls.len(),
        calls,
        "a finished saga sends no more commands"
    );
    assert_eq!(h.w().log.len(), log_len, "and writes no more records");
    assert_eq!(o.recover().unwrap(), [], "nothing is unfinished");
}

#[test]
fn orders_beyond_the_stock_are_compensated() {
    let h = Handle::new(Faults::default());
    let mut o = h.orchestrator(Config::default());
    let outcomes: Vec<Outcome> = (1..=STOCK as u64 + 2)
        .map(|saga| o.run(saga).unwrap())
        .collect();
    for (i, outcome) in outcomes.iter().enumerate() {
        check_end_state(&h, i as u64 + 1, outcome);
    }
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Outcome::Completed)
            .count(),
        STOCK as usize
    );
    assert_eq!(
        outcomes[STOCK as usize..],
        [Outcome::Compensated, Outcome::Compensated]
    );
    let w = h.w();
    assert_eq!(
        (
            w.services.stock(),
            w.services.charged(),
            w.services.shipped()
        ),
        (0, PRICE * STOCK as u64, STOCK)
    );
}

#[test]
fn the_memory_log_keeps_records_in_order() {
    let mut log = MemoryLog::new();
    assert!(log.records().is_empty());
    log.append(Record::Started(5)).unwrap();
    log.append(Record::StepDone(5, Reserve)).unwrap();
    assert_eq!(
        log.records(),
        [Record::Started(5), Record::StepDone(5, Reserve)]
    );
    assert_eq!(Record::Finished(8, Outcome::Completed).saga(), 8);
    assert_eq!(Record::CompensationStuck(9, Ship).saga(), 9);
    let mut o = Orchestrator::new(MemoryLog::new(), Services::new(1, 10), Config::default());
    assert_eq!(o.run(1), Ok(Outcome::Completed));
    assert_eq!(o.run(2), Ok(Outcome::Compensated));
}

#[test]
fn the_default_config_is_3_and_5_attempts() {
    assert_eq!(
        Config::default(),
        Config {
            max_step_attempts: 3,
            max_compensation_attempts: 5
        }
    );
}

#[test]
#[should_panic]
fn zero_attempts_is_refused() {
    Orchestrator::new(
        MemoryLog::new(),
        Services::new(1, 1),
        Config {
            max_step_attempts: 0,
            max_compensation_attempts: 1,
        },
    );
}
