//! Stage 2: orchestration without crashes. Forward through the steps; on a
//! failure, compensate in reverse order; retry what gets no answer, within
//! bounds; leave a stuck compensation to an operator instead of looping.

use crate::common;

use common::*;
use saga::*;
use std::collections::HashMap;

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
fn a_rejected_step_turns_the_saga_back_in_reverse_order() {
    let (h, outcome) = run_one(
        Faults {
            reject: Some(Ship),
            ..Faults::default()
        },
        Config::default(),
    );
    assert_eq!(outcome, Outcome::Compensated);
    // A rejected step was certainly not applied: compensating it is allowed
    // (it does nothing) but not required, so the test looks past it.
    let optional = Record::Compensated(1, Ship);
    let log: Vec<Record> = h
        .w()
        .log
        .iter()
        .filter(|r| **r != optional)
        .cloned()
        .collect();
    assert_eq!(
        log,
        [
            Record::Started(1),
            Record::StepDone(1, Reserve),
            Record::StepDone(1, Charge),
            Record::StepFailed(1, Ship),
            Record::Compensated(1, Charge),
            Record::Compensated(1, Reserve),
            Record::Finished(1, Outcome::Compensated),
        ],
        "log each result after the reply and before acting on it; compensate the steps done, \
         last first"
    );
    let calls = h.w().calls.clone();
    let forward = [(E, Reserve), (E, Charge), (E, Ship)];
    assert_eq!(calls[..forward.len()], forward);
    let backward: Vec<(Action, Step)> = calls[forward.len()..]
        .iter()
        .copied()
        .filter(|c| *c != (C, Ship))
        .collect();
    assert_eq!(backward, [(C, Charge), (C, Reserve)]);
    assert!(
        !calls[forward.len() + 1..].contains(&(C, Ship)),
        "if the rejected step is compensated at all, it comes first (reverse order): {calls:?}"
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
        // The rejected step itself may be compensated (first) or not.
        let compensations: Vec<(Action, Step)> =
            w.calls.iter().copied().filter(|c| c.0 == C).collect();
        let after_failed = match compensations.first() {
            Some(&(C, s)) if s == failing => &compensations[1..],
            _ => &compensations[..],
        };
        assert_eq!(
            after_failed,
            Step::ALL[..failing.index()]
                .iter()
                .rev()
                .map(|&s| (C, s))
                .collect::<Vec<_>>(),
            "a rejection at {failing:?} undoes the steps done before it, last first"
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
