//! Stage 2: the adapter. It hands the legacy gateway exact cents, turns every
//! numeric code into a typed error, and never lets a bad amount through.

use adapter::legacy::{self, LegacyGateway, LegacyResponse};
use adapter::{AmountError, PaymentAdapter, PaymentError, PaymentProcessor, Receipt, translate};
use std::cell::RefCell;
use std::error::Error;

/// A gateway that answers with a fixed code and remembers every call.
struct Scripted {
    code: i32,
    calls: RefCell<Vec<(String, i64)>>,
}

impl Scripted {
    fn answering(code: i32) -> Self {
        Scripted {
            code,
            calls: RefCell::new(Vec::new()),
        }
    }
}

impl LegacyGateway for Scripted {
    fn charge_cents(&self, account: &str, cents: i64) -> LegacyResponse {
        self.calls.borrow_mut().push((account.to_owned(), cents));
        LegacyResponse {
            code: self.code,
            transaction_id: 7000 + cents as u64,
        }
    }
}

#[test]
fn the_gateway_receives_exact_cents() {
    let adapter = PaymentAdapter::new(Scripted::answering(legacy::APPROVED));
    for (dollars, cents) in [
        (19.99, 1999),
        (0.29, 29),
        (1.15, 115),
        (631_702_169_659.2, 63_170_216_965_920),
    ] {
        let receipt = adapter.pay("acct-1", dollars).unwrap();
        assert_eq!(
            receipt,
            Receipt {
                transaction_id: 7000 + cents as u64,
                amount_cents: cents
            },
            "paying {dollars} must charge {cents} cents and report the gateway's transaction id"
        );
    }
    assert_eq!(
        adapter
            .gateway()
            .calls
            .borrow()
            .iter()
            .map(|c| c.1)
            .collect::<Vec<_>>(),
        vec![1999, 29, 115, 63_170_216_965_920],
        "the legacy gateway must be charged the exact number of cents"
    );
    assert!(
        adapter
            .gateway()
            .calls
            .borrow()
            .iter()
            .all(|c| c.0 == "acct-1")
    );
}

#[test]
fn every_known_code_maps_to_its_own_error() {
    let table = [
        (legacy::DO_NOT_HONOUR, PaymentError::Declined),
        (legacy::INVALID_ACCOUNT, PaymentError::InvalidAccount),
        (legacy::INSUFFICIENT_FUNDS, PaymentError::InsufficientFunds),
        (legacy::EXPIRED_CARD, PaymentError::CardExpired),
        (legacy::LIMIT_EXCEEDED, PaymentError::LimitExceeded),
        (legacy::ISSUER_UNAVAILABLE, PaymentError::IssuerUnavailable),
        (
            legacy::DUPLICATE_TRANSACTION,
            PaymentError::DuplicateTransaction,
        ),
        (legacy::SYSTEM_ERROR, PaymentError::GatewayFailure),
    ];
    assert_eq!(
        table.iter().map(|t| t.0).collect::<Vec<_>>(),
        vec![5, 14, 51, 54, 61, 91, 94, 96],
        "the legacy codes are fixed by the gateway"
    );
    for (code, error) in table {
        let adapter = PaymentAdapter::new(Scripted::answering(code));
        assert_eq!(adapter.pay("a", 10.0), Err(error), "legacy code {code}");
        assert_eq!(
            error.legacy_code(),
            Some(code),
            "{error:?} stands for code {code}"
        );
        assert_eq!(adapter.gateway().calls.borrow().len(), 1);
    }
}

#[test]
fn unknown_codes_are_kept_not_mapped_to_a_default() {
    for code in [1, 4, 6, 12, 50, 99, -1, i32::MAX, i32::MIN] {
        let adapter = PaymentAdapter::new(Scripted::answering(code));
        assert_eq!(
            adapter.pay("a", 1.0),
            Err(PaymentError::UnknownCode(code)),
            "code {code} is not documented: report it as UnknownCode({code}), not as a \
             guess like Declined"
        );
        assert_eq!(PaymentError::UnknownCode(code).legacy_code(), Some(code));
    }
}

#[test]
fn translate_is_the_code_table() {
    let ok = LegacyResponse {
        code: legacy::APPROVED,
        transaction_id: 42,
    };
    assert_eq!(
        translate(ok, 1999),
        Ok(Receipt {
            transaction_id: 42,
            amount_cents: 1999
        })
    );
    for (code, error) in [
        (legacy::DO_NOT_HONOUR, PaymentError::Declined),
        (legacy::INVALID_ACCOUNT, PaymentError::InvalidAccount),
        (legacy::INSUFFICIENT_FUNDS, PaymentError::InsufficientFunds),
        (legacy::EXPIRED_CARD, PaymentError::CardExpired),
        (legacy::LIMIT_EXCEEDED, PaymentError::LimitExceeded),
        (legacy::ISSUER_UNAVAILABLE, PaymentError::IssuerUnavailable),
        (
            legacy::DUPLICATE_TRANSACTION,
            PaymentError::DuplicateTransaction,
        ),
        (legacy::SYSTEM_ERROR, PaymentError::GatewayFailure),
        (3, PaymentError::UnknownCode(3)),
        (-96, PaymentError::UnknownCode(-96)),
    ] {
        let no = LegacyResponse {
            code,
            transaction_id: 42,
        };
        assert_eq!(
            translate(no, 1999),
            Err(error),
            "translate must map legacy code {code} to {error:?}"
        );
    }
}

#[test]
fn invalid_amounts_never_reach_the_gateway() {
    let adapter = PaymentAdapter::new(Scripted::answering(legacy::APPROVED));
    for (dollars, why) in [
        (0.0, AmountError::NotPositive),
        (-5.0, AmountError::NotPositive),
        (-0.01, AmountError::NotPositive),
        (f64::NAN, AmountError::NotFinite),
        (f64::INFINITY, AmountError::NotFinite),
        (1e15, AmountError::TooLarge),
        (1.005, AmountError::FractionOfCent),
    ] {
        assert_eq!(
            adapter.pay("a", dollars),
            Err(PaymentError::InvalidAmount(why)),
            "{dollars:?}"
        );
    }
    assert!(
        adapter.gateway().calls.borrow().is_empty(),
        "an invalid amount must be refused before calling the gateway (a negative charge \
         would be a refund, zero an empty approval): {:?}",
        adapter.gateway().calls.borrow()
    );
}

#[test]
fn only_transient_failures_are_retryable() {
    let retryable = [
        PaymentError::IssuerUnavailable,
        PaymentError::GatewayFailure,
    ];
    let permanent = [
        PaymentError::InvalidAmount(AmountError::NotPositive),
        PaymentError::Declined,
        PaymentError::InvalidAccount,
        PaymentError::InsufficientFunds,
        PaymentError::CardExpired,
        PaymentError::LimitExceeded,
        PaymentError::DuplicateTransaction,
        PaymentError::UnknownCode(99),
    ];
    for e in retryable {
        assert!(e.is_retryable(), "{e:?} may succeed later");
    }
    for e in permanent {
        assert!(
            !e.is_retryable(),
            "{e:?} will fail again (or charge twice): do not retry"
        );
    }
    assert_eq!(
        PaymentError::InvalidAmount(AmountError::TooLarge).legacy_code(),
        None
    );
}

#[test]
fn only_a_system_error_leaves_the_charge_in_doubt() {
    assert!(
        PaymentError::GatewayFailure.outcome_in_doubt(),
        "code 96 may come after the charge was made: resending it unsettled may charge twice"
    );
    let certain = [
        PaymentError::InvalidAmount(AmountError::NotPositive),
        PaymentError::Declined,
        PaymentError::InvalidAccount,
        PaymentError::InsufficientFunds,
        PaymentError::CardExpired,
        PaymentError::LimitExceeded,
        PaymentError::IssuerUnavailable,
        PaymentError::DuplicateTransaction,
        PaymentError::UnknownCode(99),
    ];
    for e in certain {
        assert!(
            !e.outcome_in_doubt(),
            "{e:?} charged nothing: its outcome is not in doubt (an issuer that was never \
             reached, or a refusal)"
        );
    }
}

#[test]
fn errors_read_well_and_chain_their_cause() {
    let all = [
        PaymentError::InvalidAmount(AmountError::FractionOfCent),
        PaymentError::Declined,
        PaymentError::InvalidAccount,
        PaymentError::InsufficientFunds,
        PaymentError::CardExpired,
        PaymentError::LimitExceeded,
        PaymentError::IssuerUnavailable,
        PaymentError::DuplicateTransaction,
        PaymentError::GatewayFailure,
        PaymentError::UnknownCode(77),
    ];
    let msgs: Vec<String> = all.iter().map(|e| e.to_string()).collect();
    for (i, m) in msgs.iter().enumerate() {
        assert!(!m.is_empty());
        assert!(!msgs[i + 1..].contains(m), "{m:?} is used for two errors");
    }
    assert!(
        msgs[9].contains("77"),
        "the unknown code must appear in the message"
    );
    let amount = PaymentError::InvalidAmount(AmountError::NotFinite);
    assert_eq!(
        amount.source().map(|s| s.to_string()),
        Some(AmountError::NotFinite.to_string()),
        "InvalidAmount's source() is the AmountError"
    );
    assert!(PaymentError::Declined.source().is_none());
}
