//! The legacy payment gateway: given code, not part of the exercise.
//!
//! It speaks integer cents and numeric response codes, the way card networks
//! and old gateways do. You cannot change it; the adapter in the crate root
//! makes it look like a [`crate::PaymentProcessor`].

use std::collections::HashMap;
use std::sync::Mutex;

/// The charge went through.
pub const APPROVED: i32 = 0;
/// "Do not honour": the issuer declined without saying why.
pub const DO_NOT_HONOUR: i32 = 5;
/// The account number is not known.
pub const INVALID_ACCOUNT: i32 = 14;
/// Not enough money in the account.
pub const INSUFFICIENT_FUNDS: i32 = 51;
/// The card has expired.
pub const EXPIRED_CARD: i32 = 54;
/// The charge is over the account's limit for one transaction.
pub const LIMIT_EXCEEDED: i32 = 61;
/// The issuer could not be reached; trying again later may work.
pub const ISSUER_UNAVAILABLE: i32 = 91;
/// The same charge was already processed.
pub const DUPLICATE_TRANSACTION: i32 = 94;
/// The gateway failed internally; trying again later may work.
pub const SYSTEM_ERROR: i32 = 96;

/// What the gateway answers: a code and, when approved, a transaction id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyResponse {
    /// One of the codes above, or any other number the gateway feels like.
    pub code: i32,
    /// Meaningful only when `code == APPROVED`.
    pub transaction_id: u64,
}

/// The legacy gateway's interface.
///
/// **Beware**: a negative amount is a *refund* to the account, and zero is
/// accepted and approved. Callers must make sure they mean it.
pub trait LegacyGateway {
    /// Charges `cents` to `account`.
    fn charge_cents(&self, account: &str, cents: i64) -> LegacyResponse;
}

impl<G: LegacyGateway + ?Sized> LegacyGateway for &G {
    fn charge_cents(&self, account: &str, cents: i64) -> LegacyResponse {
        (**self).charge_cents(account, cents)
    }
}

/// An in-memory gateway with account balances, for tests and demos.
#[derive(Debug, Default)]
pub struct InMemoryGateway {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    balances: HashMap<String, i64>,
    charges: Vec<(String, i64)>,
    next_transaction: u64,
}

impl InMemoryGateway {
    /// A gateway with no accounts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens (or resets) `account` with `balance_cents`.
    pub fn open_account(&self, account: &str, balance_cents: i64) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.balances.insert(account.to_owned(), balance_cents);
    }

    /// The account's balance in cents, `None` for an unknown account.
    pub fn balance(&self, account: &str) -> Option<i64> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.balances.get(account).copied()
    }

    /// Every request that reached the gateway, in order: (account, cents).
    pub fn charges(&self) -> Vec<(String, i64)> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.charges.clone()
    }
}

impl LegacyGateway for InMemoryGateway {
    /// Unknown account: [`INVALID_ACCOUNT`]. More than the balance:
    /// [`INSUFFICIENT_FUNDS`]. Otherwise the balance changes by `-cents`
    /// (so a negative amount credits it) and the answer is [`APPROVED`] with
    /// transaction ids 1, 2, 3, ...
    fn charge_cents(&self, account: &str, cents: i64) -> LegacyResponse {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.charges.push((account.to_owned(), cents));
        let Some(balance) = state.balances.get(account).copied() else {
            return LegacyResponse {
                code: INVALID_ACCOUNT,
                transaction_id: 0,
            };
        };
        if cents > balance {
            return LegacyResponse {
                code: INSUFFICIENT_FUNDS,
                transaction_id: 0,
            };
        }
        state.balances.insert(account.to_owned(), balance - cents);
        state.next_transaction += 1;
        LegacyResponse {
            code: APPROVED,
            transaction_id: state.next_transaction,
        }
    }
}
