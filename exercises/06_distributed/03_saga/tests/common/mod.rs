//! The saga stages' shared harness: a log that can crash and services that
//! can misbehave, driven by the faults a test asks for.

#![allow(dead_code)] // each stage uses part of it

use saga::*;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

// ---- test harness: a log that can crash and services that can misbehave ----

/// Misbehaviour the test asks of the network and services.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// This step is refused for a business reason.
    pub reject: Option<Step>,
    /// The next n commands for the step get no answer and are not applied.
    pub silent: HashMap<Step, u32>,
    /// The next n commands for the step are applied, but the reply is lost.
    pub lost_replies: HashMap<Step, u32>,
    /// The next n compensations for the step get no answer and are not applied.
    pub compensation_silent: HashMap<Step, u32>,
}

#[derive(Debug)]
pub struct World {
    pub services: Services,
    pub faults: Faults,
    /// Every command sent, applied or not.
    pub calls: Vec<(Action, Step)>,
    pub log: Vec<Record>,
    /// Crash instead of writing the record that would be number `n` (0-based).
    pub crash_at: Option<usize>,
    pub crashed: bool,
}

#[derive(Debug, Clone)]
pub struct Handle(pub Rc<RefCell<World>>);

#[derive(Debug)]
pub struct TestLog(pub Handle);

#[derive(Debug)]
pub struct TestServices(pub Handle);

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

pub fn take(counter: &mut HashMap<Step, u32>, step: Step) -> bool {
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

pub const PRICE: u64 = 250;
pub const STOCK: u32 = 10;

impl Handle {
    pub fn new(faults: Faults) -> Self {
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
    pub fn orchestrator(&self, config: Config) -> Orchestrator<TestLog, TestServices> {
        Orchestrator::new(TestLog(self.clone()), TestServices(self.clone()), config)
    }
    /// The process restarts; it will crash again before log record `crash_at`.
    #[allow(dead_code)] // not every stage crashes the orchestrator
    pub fn restart(&self, crash_at: Option<usize>) {
        let mut w = self.0.borrow_mut();
        w.crashed = false;
        w.crash_at = crash_at;
    }
    pub fn w(&self) -> std::cell::Ref<'_, World> {
        self.0.borrow()
    }
}

/// The invariants every finished saga must satisfy, whatever happened on the way.
pub fn check_end_state(h: &Handle, saga: SagaId, outcome: &Outcome) {
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
