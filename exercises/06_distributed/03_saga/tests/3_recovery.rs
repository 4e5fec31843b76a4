//! Stage 3: crash recovery. The orchestrator can die before any log write;
//! a new process reads the log and finishes each saga: forward if no step
//! failed, backward if one did, never both, and no effect twice.

use crate::common;
use proptest::prelude::*;

use common::*;
use saga::*;
use std::collections::HashMap;

use Action::{Compensate as C, Execute as E};
use Step::{ChargePayment as Charge, ReserveStock as Reserve, Ship};

/// Named fault scenarios: no failure, each business failure, lost replies,
/// silence, and compensations that fail for a while or for good.
fn scenarios() -> Vec<(&'static str, Faults)> {
    let f = Faults::default;
    vec![
        ("no failure", f()),
        (
            "reserve rejected",
            Faults {
                reject: Some(Reserve),
                ..f()
            },
        ),
        (
            "charge rejected",
            Faults {
                reject: Some(Charge),
                ..f()
            },
        ),
        (
            "ship rejected",
            Faults {
                reject: Some(Ship),
                ..f()
            },
        ),
        (
            "charge reply lost once",
            Faults {
                lost_replies: HashMap::from([(Charge, 1)]),
                ..f()
            },
        ),
        (
            "charge replies always lost",
            Faults {
                lost_replies: HashMap::from([(Charge, 1_000)]),
                ..f()
            },
        ),
        (
            "ship silent",
            Faults {
                silent: HashMap::from([(Ship, 1_000)]),
                ..f()
            },
        ),
        (
            "refund flaky",
            Faults {
                reject: Some(Ship),
                compensation_silent: HashMap::from([(Charge, 2)]),
                ..f()
            },
        ),
        (
            "refund stuck",
            Faults {
                reject: Some(Ship),
                compensation_silent: HashMap::from([(Charge, u32::MAX)]),
                ..f()
            },
        ),
    ]
}

/// Outcome and number of log records of a run without crashes.
fn baseline(faults: &Faults) -> (Outcome, usize) {
    let h = Handle::new(faults.clone());
    let outcome = h.orchestrator(Config::default()).run(1).unwrap();
    let records = h.w().log.len();
    (outcome, records)
}

/// Runs saga 1, crashing before each log write in `crashes` in turn, restarting
/// a new orchestrator each time. Each new process recovers; the client places
/// the order again only if the log never saw it start (then nothing may have
/// been sent), so recovery alone must finish a saga the log knows.
fn run_with_crashes(faults: &Faults, crashes: &[usize]) -> (Handle, Outcome) {
    let h = Handle::new(faults.clone());
    h.restart(crashes.first().copied());
    let mut result = h.orchestrator(Config::default()).run(1);
    for next in crashes.iter().skip(1).copied().map(Some).chain([None]) {
        if result.is_ok() {
            break;
        }
        let len = h.w().log.len();
        assert!(
            h.w().crashed,
            "run returned Err(Crashed) although the log never crashed"
        );
        h.restart(next.map(|n| n.max(len)));
        let mut fresh = h.orchestrator(Config::default());
        result = match fresh.recover() {
            Ok(recovered) => match recovered.as_slice() {
                [(1, outcome)] => Ok(outcome.clone()),
                [] => {
                    let w = h.w();
                    assert!(
                        w.log.is_empty(),
                        "recover() finished nothing, but the log shows saga 1 started and \
                         unfinished: {:?}. Recovery must finish it by itself; no client \
                         is bound to place the order again.",
                        w.log
                    );
                    assert!(
                        w.calls.is_empty(),
                        "the process died before the log knew saga 1, yet it had sent {:?}: \
                         write Started before the first command, or a crash leaves effects \
                         that no recovery will complete or undo",
                        w.calls
                    );
                    drop(w);
                    fresh.run(1) // the order was never taken: the client places it again
                }
                other => panic!("only saga 1 ran, yet recover() returned {other:?}"),
            },
            Err(Crashed) => Err(Crashed),
        };
    }
    (h.clone(), result.expect("the last process does not crash"))
}

#[test]
fn every_single_crash_point_ends_as_without_the_crash() {
    for (name, faults) in scenarios() {
        let (expected, records) = baseline(&faults);
        for crash in 0..=records {
            let (h, outcome) = run_with_crashes(&faults, &[crash]);
            assert_eq!(
                outcome, expected,
                "{name}, crash before log record {crash}: recovery must reach the same end \
                 (forward if no step had failed, backward if one had)"
            );
            check_end_state(&h, 1, &outcome);
        }
    }
}

#[test]
fn crashing_again_during_recovery_is_survived_too() {
    for (name, faults) in scenarios() {
        let (expected, records) = baseline(&faults);
        for first in 0..records {
            for second in first..=records {
                let (h, outcome) = run_with_crashes(&faults, &[first, second]);
                assert_eq!(
                    outcome, expected,
                    "{name}, crashes before records {first} and {second}"
                );
                check_end_state(&h, 1, &outcome);
            }
        }
    }
}

#[test]
fn a_step_applied_but_not_logged_is_sent_again_and_applied_once() {
    let h = Handle::new(Faults::default());
    h.restart(Some(1)); // dies before logging StepDone(Reserve): stock already taken
    assert_eq!(h.orchestrator(Config::default()).run(1), Err(Crashed));
    assert!(h.w().services.is_applied(1, Reserve));
    assert_eq!(
        h.w().log,
        [Record::Started(1)],
        "nothing may be written after a crash"
    );
    h.restart(None);
    assert_eq!(
        h.orchestrator(Config::default()).recover(),
        Ok(vec![(1, Outcome::Completed)])
    );
    assert_eq!(
        h.w().calls.iter().filter(|c| **c == (E, Reserve)).count(),
        2,
        "the unlogged step is sent again"
    );
    assert_eq!(
        h.w().services.stock(),
        STOCK - 1,
        "and the service applies it once"
    );
    check_end_state(&h, 1, &Outcome::Completed);
}

#[test]
fn a_saga_that_had_failed_only_compensates_after_recovery() {
    let h = Handle::new(Faults {
        reject: Some(Ship),
        ..Faults::default()
    });
    h.restart(Some(4)); // StepFailed(Ship) is written, then the process dies
    assert_eq!(h.orchestrator(Config::default()).run(1), Err(Crashed));
    assert_eq!(h.w().log.last(), Some(&Record::StepFailed(1, Ship)));
    let before = h.w().calls.len();
    h.restart(None);
    assert_eq!(
        h.orchestrator(Config::default()).recover(),
        Ok(vec![(1, Outcome::Compensated)])
    );
    // Ship was rejected: compensating it is allowed (first), not required.
    let after: Vec<(Action, Step)> = h.w().calls[before..].to_vec();
    let after = after.strip_prefix(&[(C, Ship)]).unwrap_or(&after);
    assert_eq!(
        after,
        [(C, Charge), (C, Reserve)],
        "a failed saga resumes backward only: no step may be retried"
    );
    check_end_state(&h, 1, &Outcome::Compensated);
}

#[test]
fn a_saga_whose_steps_all_finished_sends_nothing_on_recovery() {
    let h = Handle::new(Faults::default());
    h.restart(Some(4)); // every StepDone is logged; Finished is not
    assert_eq!(h.orchestrator(Config::default()).run(1), Err(Crashed));
    let before = h.w().calls.len();
    h.restart(None);
    assert_eq!(
        h.orchestrator(Config::default()).recover(),
        Ok(vec![(1, Outcome::Completed)])
    );
    assert_eq!(
        h.w().calls.len(),
        before,
        "all steps were logged done: just record the outcome"
    );
    check_end_state(&h, 1, &Outcome::Completed);
}

#[test]
fn recovery_finishes_every_unfinished_saga_in_start_order() {
    let h = Handle::new(Faults::default());
    h.orchestrator(Config::default()).run(7).unwrap();
    let crash_mid_saga = |saga: SagaId| {
        let len = h.w().log.len();
        h.restart(Some(len + 2));
        assert_eq!(h.orchestrator(Config::default()).run(saga), Err(Crashed));
    };
    crash_mid_saga(3);
    crash_mid_saga(1); // a new process took a new order before anyone recovered
    h.restart(None);
    assert_eq!(
        h.orchestrator(Config::default()).recover(),
        Ok(vec![(3, Outcome::Completed), (1, Outcome::Completed)]),
        "saga 7 finished before the crashes; 3 and 1 are resumed in the order they started"
    );
    for saga in [7, 3, 1] {
        check_end_state(&h, saga, &Outcome::Completed);
    }
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 128,
        rng_seed: proptest::test_runner::RngSeed::Fixed(211),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_failure_and_any_crashes_end_done_or_undone(
        scenario in 0usize..9,
        crashes in proptest::collection::vec(0usize..12, 0..4),
        extra_lost in 0u32..3,
    ) {
        let (name, mut faults) = scenarios().swap_remove(scenario);
        // Duplicate deliveries of the first step on top of the scenario.
        *faults.lost_replies.entry(Reserve).or_default() += extra_lost;
        let (expected, _) = baseline(&faults);
        let mut crashes = crashes;
        crashes.sort_unstable();
        let (h, outcome) = run_with_crashes(&faults, &crashes);
        prop_assert_eq!(&outcome, &expected, "{} with crashes before records {:?}", name, crashes);
        check_end_state(&h, 1, &outcome);
    }
}
