//! Stage 1: idempotent participants. Messages get retried and redelivered;
//! the stock, payment and shipping services must apply each command and each
//! compensation at most once per saga, and a compensation that arrives before
//! its command must stop that command from applying later.

use saga::{Action, Effect, Participant, Reply, Services, Step};

#[test]
fn the_steps_are_in_order() {
    assert_eq!(
        Step::ALL,
        [Step::ReserveStock, Step::ChargePayment, Step::Ship]
    );
    assert_eq!(Step::ALL.map(Step::index), [0, 1, 2]);
}

#[test]
fn each_step_changes_the_world_once() {
    let mut s = Services::new(5, 100);
    assert_eq!((s.stock(), s.charged(), s.shipped()), (5, 0, 0));
    assert_eq!(s.execute(1, Step::ReserveStock), Reply::Done);
    assert_eq!(s.execute(1, Step::ChargePayment), Reply::Done);
    assert_eq!(s.execute(1, Step::Ship), Reply::Done);
    assert_eq!((s.stock(), s.charged(), s.shipped()), (4, 100, 1));
    assert!(Step::ALL.iter().all(|&step| s.is_applied(1, step)));
    assert!(!s.is_applied(2, Step::ReserveStock));
    assert_eq!(
        s.effects(),
        Step::ALL.map(|step| Effect {
            saga: 1,
            step,
            action: Action::Execute
        }),
        "effects() lists every real state change in order"
    );
}

#[test]
fn a_redelivered_command_is_acknowledged_but_not_applied_again() {
    let mut s = Services::new(5, 100);
    for _ in 0..3 {
        assert_eq!(
            s.execute(7, Step::ChargePayment),
            Reply::Done,
            "a duplicate gets the same answer"
        );
    }
    assert_eq!(
        s.charged(),
        100,
        "charging three times for one order: the payment service is not idempotent"
    );
    for _ in 0..2 {
        assert_eq!(s.execute(7, Step::ReserveStock), Reply::Done);
        assert_eq!(s.execute(7, Step::Ship), Reply::Done);
    }
    assert_eq!((s.stock(), s.shipped()), (4, 1));
    assert_eq!(s.effects().len(), 3);
}

#[test]
fn the_same_step_of_different_sagas_applies_separately() {
    let mut s = Services::new(5, 100);
    s.execute(1, Step::ChargePayment);
    s.execute(2, Step::ChargePayment);
    assert_eq!(
        s.charged(),
        200,
        "idempotency is per (saga, step), not per step"
    );
}

#[test]
fn compensation_undoes_once() {
    let mut s = Services::new(5, 100);
    for step in Step::ALL {
        s.execute(3, step);
    }
    for step in Step::ALL.iter().rev() {
        assert_eq!(s.compensate(3, *step), Reply::Done);
        assert_eq!(
            s.compensate(3, *step),
            Reply::Done,
            "a repeated compensation is acknowledged"
        );
    }
    assert_eq!(
        (s.stock(), s.charged(), s.shipped()),
        (5, 0, 0),
        "refunded twice? released stock twice?"
    );
    assert!(!s.is_applied(3, Step::ChargePayment));
    let undo: Vec<Effect> = s.effects()[3..].to_vec();
    assert_eq!(
        undo,
        [Step::Ship, Step::ChargePayment, Step::ReserveStock].map(|step| Effect {
            saga: 3,
            step,
            action: Action::Compensate
        })
    );
}

#[test]
fn a_compensated_step_is_not_applied_again() {
    let mut s = Services::new(5, 100);
    s.execute(4, Step::ChargePayment);
    s.compensate(4, Step::ChargePayment);
    assert_eq!(
        s.execute(4, Step::ChargePayment),
        Reply::Rejected,
        "a command redelivered after its refund must not charge again"
    );
    assert_eq!(s.charged(), 0);
}

#[test]
fn a_compensation_that_overtakes_its_command_fences_it_off() {
    let mut s = Services::new(5, 100);
    assert_eq!(
        s.compensate(9, Step::ReserveStock),
        Reply::Done,
        "nothing to undo is still success"
    );
    assert_eq!(
        s.stock(),
        5,
        "undoing a reservation that never happened must not add stock"
    );
    assert!(s.effects().is_empty());
    assert_eq!(
        s.execute(9, Step::ReserveStock),
        Reply::Rejected,
        "the command arrived late, after the saga gave up on it: applying it now would leak an item forever"
    );
    assert_eq!(s.stock(), 5);
    assert!(s.effects().is_empty());
}

#[test]
fn out_of_stock_is_a_business_rejection() {
    let mut s = Services::new(1, 100);
    assert_eq!(s.execute(1, Step::ReserveStock), Reply::Done);
    assert_eq!(s.execute(2, Step::ReserveStock), Reply::Rejected);
    assert_eq!(s.stock(), 0);
    assert!(!s.is_applied(2, Step::ReserveStock));
    s.compensate(1, Step::ReserveStock);
    assert_eq!(
        s.execute(3, Step::ReserveStock),
        Reply::Done,
        "released stock can be sold again"
    );
}
