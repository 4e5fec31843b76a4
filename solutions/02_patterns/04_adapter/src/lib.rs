//! Adapter, the Rust way: make a legacy cents-and-codes gateway usable
//! through the [`PaymentProcessor`] trait the rest of the program speaks.
//!
//! ```text
//!  caller ──pay("acct", 19.99)──► PaymentAdapter ──charge_cents("acct", 1999)──► legacy gateway
//!         ◄─Result<Receipt, PaymentError>──────── ◄─LegacyResponse { code: 51, .. }──
//! ```
//!
//! The adapter does two translations, both exactly: dollars (`f64`) to integer
//! cents, and numeric response codes to a typed error.

pub mod legacy;

use legacy::{LegacyGateway, LegacyResponse};
use std::error::Error;
use std::fmt;

/// The largest amount the adapter accepts, in cents: one trillion dollars.
///
/// Well below 2^51, so every whole number of cents up to it has an `f64`
/// that rounds back to exactly that number of cents.
pub const MAX_CENTS: i64 = 100_000_000_000_000;

/// Why an amount in dollars cannot be charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    /// NaN or an infinity.
    NotFinite,
    /// Zero or negative (including `-0.0`). The legacy gateway would treat a
    /// negative charge as a refund.
    NotPositive,
    /// More than [`MAX_CENTS`].
    TooLarge,
    /// Not a whole number of cents (`1.005`, `0.1 + 0.2`, `0.004`).
    FractionOfCent,
}

impl fmt::Display for AmountError {
    /// A message of its own for each variant: no two variants read the same.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AmountError::NotFinite => "the amount is not a finite number",
            AmountError::NotPositive => "the amount must be greater than zero",
            AmountError::TooLarge => "the amount is larger than the gateway accepts",
            AmountError::FractionOfCent => "the amount is not a whole number of cents",
        })
    }
}

impl Error for AmountError {}

/// Converts dollars to cents exactly.
///
/// `dollars` must be the `f64` nearest to a whole number of cents — what the
/// literal `19.99` or `cents as f64 / 100.0` gives. Such a value times 100 is
/// within a rounding error of the integer, never exactly on it (19.99 * 100 is
/// 1998.9999999999998), so it is *rounded*, not truncated, and then checked.
///
/// # Errors
/// In this order: [`AmountError::NotFinite`], [`AmountError::NotPositive`],
/// [`AmountError::TooLarge`], [`AmountError::FractionOfCent`].
pub fn dollars_to_cents(dollars: f64) -> Result<i64, AmountError> {
    if !dollars.is_finite() {
        return Err(AmountError::NotFinite);
    }
    if dollars <= 0.0 {
        return Err(AmountError::NotPositive);
    }
    // Compare as f64 before converting (`as i64` saturates silently, so a huge
    // amount would become i64::MAX cents instead of an error) and before
    // rounding (0.4 cents over the limit would round down onto it).
    let scaled = dollars * 100.0;
    if scaled > MAX_CENTS as f64 {
        return Err(AmountError::TooLarge);
    }
    let cents = scaled.round() as i64;
    // Exact only if converting back gives the very same f64: rules out
    // amounts between cents, which rounding would otherwise silently change.
    if cents as f64 / 100.0 != dollars {
        return Err(AmountError::FractionOfCent);
    }
    Ok(cents)
}

/// Proof of a successful payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The gateway's transaction id.
    pub transaction_id: u64,
    /// What was charged, in cents.
    pub amount_cents: i64,
}

/// Why a payment failed: one variant per legacy code, plus amount problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentError {
    /// The amount was refused before reaching the gateway.
    InvalidAmount(AmountError),
    /// Code 5, do not honour.
    Declined,
    /// Code 14.
    InvalidAccount,
    /// Code 51.
    InsufficientFunds,
    /// Code 54.
    CardExpired,
    /// Code 61.
    LimitExceeded,
    /// Code 91.
    IssuerUnavailable,
    /// Code 94.
    DuplicateTransaction,
    /// Code 96.
    GatewayFailure,
    /// A code this adapter does not know. Kept, not guessed at.
    UnknownCode(i32),
}

impl PaymentError {
    /// The legacy code this error stands for; `None` for amount errors.
    pub fn legacy_code(&self) -> Option<i32> {
        use legacy::*;
        Some(match self {
            PaymentError::InvalidAmount(_) => return None,
            PaymentError::Declined => DO_NOT_HONOUR,
            PaymentError::InvalidAccount => INVALID_ACCOUNT,
            PaymentError::InsufficientFunds => INSUFFICIENT_FUNDS,
            PaymentError::CardExpired => EXPIRED_CARD,
            PaymentError::LimitExceeded => LIMIT_EXCEEDED,
            PaymentError::IssuerUnavailable => ISSUER_UNAVAILABLE,
            PaymentError::DuplicateTransaction => DUPLICATE_TRANSACTION,
            PaymentError::GatewayFailure => SYSTEM_ERROR,
            PaymentError::UnknownCode(code) => *code,
        })
    }

    /// Whether the same payment may succeed if tried again later: only
    /// [`PaymentError::IssuerUnavailable`] and [`PaymentError::GatewayFailure`].
    /// Everything else fails again for the same reason (or was a duplicate).
    /// "May succeed later" is not "safe to send again": see
    /// [`outcome_in_doubt`](Self::outcome_in_doubt).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            PaymentError::IssuerUnavailable | PaymentError::GatewayFailure
        )
    }

    /// Whether the payment may have been made although an error came back:
    /// only [`PaymentError::GatewayFailure`] (code 96, a failure perhaps after
    /// the charge). Such a payment must be settled (looked up or reversed)
    /// before it is sent again, or the customer may pay twice. Every other
    /// error certainly charged nothing.
    pub fn outcome_in_doubt(&self) -> bool {
        matches!(self, PaymentError::GatewayFailure)
    }
}

impl fmt::Display for PaymentError {
    /// A message of its own for each variant; `UnknownCode`'s shows the code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaymentError::InvalidAmount(e) => write!(f, "invalid amount: {e}"),
            PaymentError::Declined => f.write_str("declined by the issuer"),
            PaymentError::InvalidAccount => f.write_str("unknown account"),
            PaymentError::InsufficientFunds => f.write_str("insufficient funds"),
            PaymentError::CardExpired => f.write_str("the card has expired"),
            PaymentError::LimitExceeded => f.write_str("over the transaction limit"),
            PaymentError::IssuerUnavailable => f.write_str("the issuer is unavailable"),
            PaymentError::DuplicateTransaction => f.write_str("duplicate transaction"),
            PaymentError::GatewayFailure => f.write_str("the gateway failed"),
            PaymentError::UnknownCode(code) => write!(f, "unknown gateway response code {code}"),
        }
    }
}

impl Error for PaymentError {
    /// The [`AmountError`] of an `InvalidAmount`; `None` for every other error.
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            PaymentError::InvalidAmount(e) => Some(e),
            _ => None,
        }
    }
}

/// What the rest of the program uses to take money.
pub trait PaymentProcessor {
    /// Charges `dollars` (e.g. `19.99`) to `account`.
    ///
    /// # Errors
    /// [`PaymentError`]: the amount was refused, or the payment was.
    fn pay(&self, account: &str, dollars: f64) -> Result<Receipt, PaymentError>;
}

/// Makes any [`LegacyGateway`] a [`PaymentProcessor`].
#[derive(Debug)]
pub struct PaymentAdapter<G> {
    gateway: G,
}

impl<G: LegacyGateway> PaymentAdapter<G> {
    /// Wraps `gateway`.
    pub fn new(gateway: G) -> Self {
        PaymentAdapter { gateway }
    }

    /// The wrapped gateway.
    pub fn gateway(&self) -> &G {
        &self.gateway
    }

    /// Unwraps the gateway.
    pub fn into_inner(self) -> G {
        self.gateway
    }
}

/// The typed result for a legacy response: a receipt for [`legacy::APPROVED`],
/// the matching [`PaymentError`] for every known code, and
/// [`PaymentError::UnknownCode`] for anything else.
pub fn translate(response: LegacyResponse, amount_cents: i64) -> Result<Receipt, PaymentError> {
    use legacy::*;
    Err(match response.code {
        APPROVED => {
            return Ok(Receipt {
                transaction_id: response.transaction_id,
                amount_cents,
            });
        }
        DO_NOT_HONOUR => PaymentError::Declined,
        INVALID_ACCOUNT => PaymentError::InvalidAccount,
        INSUFFICIENT_FUNDS => PaymentError::InsufficientFunds,
        EXPIRED_CARD => PaymentError::CardExpired,
        LIMIT_EXCEEDED => PaymentError::LimitExceeded,
        ISSUER_UNAVAILABLE => PaymentError::IssuerUnavailable,
        DUPLICATE_TRANSACTION => PaymentError::DuplicateTransaction,
        SYSTEM_ERROR => PaymentError::GatewayFailure,
        // No catch-all "Declined": an unmapped code is information the
        // operator needs, not something to paper over.
        other => PaymentError::UnknownCode(other),
    })
}

impl<G: LegacyGateway> PaymentProcessor for PaymentAdapter<G> {
    /// Converts the amount first and never calls the gateway with an invalid
    /// one (a negative charge would be a refund); then translates the answer.
    fn pay(&self, account: &str, dollars: f64) -> Result<Receipt, PaymentError> {
        let cents = dollars_to_cents(dollars).map_err(PaymentError::InvalidAmount)?;
        translate(self.gateway.charge_cents(account, cents), cents)
    }
}
