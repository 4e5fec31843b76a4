//! Stage 3: the adapter over the in-memory legacy gateway, used through the
//! trait the application knows, the way a checkout would use it.

use adapter::legacy::InMemoryGateway;
use adapter::{AmountError, PaymentAdapter, PaymentError, PaymentProcessor};

/// Application code: knows only the trait.
fn checkout(
    processor: &dyn PaymentProcessor,
    account: &str,
    basket: &[f64],
) -> Result<Vec<u64>, PaymentError> {
    basket
        .iter()
        .map(|&price| processor.pay(account, price).map(|r| r.transaction_id))
        .collect()
}

#[test]
fn a_checkout_charges_exact_amounts_and_balances_add_up() {
    let gateway = InMemoryGateway::new();
    gateway.open_account("alice", 10_000); // $100.00
    let adapter = PaymentAdapter::new(&gateway);
    let ids = checkout(&adapter, "alice", &[19.99, 0.29, 1.15, 4.35]).unwrap();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    assert_eq!(
        gateway.balance("alice"),
        Some(10_000 - 1999 - 29 - 115 - 435),
        "four truncating conversions would each have lost a cent"
    );
    assert_eq!(
        gateway.charges(),
        vec![
            ("alice".to_owned(), 1999),
            ("alice".to_owned(), 29),
            ("alice".to_owned(), 115),
            ("alice".to_owned(), 435)
        ]
    );
}

#[test]
fn the_legacy_answers_come_back_typed() {
    let gateway = InMemoryGateway::new();
    gateway.open_account("bob", 500);
    let adapter = PaymentAdapter::new(&gateway);
    assert_eq!(
        adapter.pay("mallory", 1.0),
        Err(PaymentError::InvalidAccount)
    );
    assert_eq!(
        adapter.pay("bob", 5.01),
        Err(PaymentError::InsufficientFunds)
    );
    assert_eq!(adapter.pay("bob", 5.0).map(|r| r.amount_cents), Ok(500));
    assert_eq!(gateway.balance("bob"), Some(0));
    assert_eq!(
        adapter.pay("bob", 0.01),
        Err(PaymentError::InsufficientFunds)
    );
}

#[test]
fn a_negative_amount_cannot_become_a_refund() {
    let gateway = InMemoryGateway::new();
    gateway.open_account("carol", 1000);
    let adapter = PaymentAdapter::new(&gateway);
    assert_eq!(
        adapter.pay("carol", -50.0),
        Err(PaymentError::InvalidAmount(AmountError::NotPositive))
    );
    assert_eq!(
        gateway.balance("carol"),
        Some(1000),
        "the legacy gateway credits negative charges: the adapter must never send one"
    );
    assert!(gateway.charges().is_empty());
}

#[test]
fn the_adapter_is_a_payment_processor_object() {
    let gateway = InMemoryGateway::new();
    gateway.open_account("dave", 1_000_000_000_000_000);
    let processor: Box<dyn PaymentProcessor> = Box::new(PaymentAdapter::new(gateway));
    assert_eq!(
        processor.pay("dave", 1e12).map(|r| r.amount_cents),
        Ok(100_000_000_000_000)
    );
    assert_eq!(
        processor.pay("dave", 1e12 + 0.01),
        Err(PaymentError::InvalidAmount(AmountError::TooLarge))
    );
}

#[test]
fn the_gateway_can_be_taken_back() {
    let gateway = InMemoryGateway::new();
    gateway.open_account("erin", 300);
    let adapter = PaymentAdapter::new(gateway);
    assert_eq!(
        adapter
            .pay("erin", 1.15)
            .map(|r| (r.transaction_id, r.amount_cents)),
        Ok((1, 115))
    );
    let gateway = adapter.into_inner();
    assert_eq!(gateway.balance("erin"), Some(185));
    assert_eq!(gateway.balance("nobody"), None);
}
