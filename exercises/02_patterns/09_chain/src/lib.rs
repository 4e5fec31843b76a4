//! Chain of responsibility: a request travels along a line of handlers until
//! one of them deals with it.
//!
//! An expense claim goes to a manager, who may approve up to a limit; above it
//! the claim passes to a director, then to the CFO. Each [`Approver`] decides
//! on its own ([`Decision::Approve`], [`Decision::Reject`] or
//! [`Decision::Pass`]); the [`ApprovalChain`] only knows the order, stops at
//! the first decision, and keeps an audit trail of who saw the claim.

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, unused_imports, dead_code)]

use std::fmt;

/// An amount of money in integer cents. Never floating point: 0.1 + 0.2 is
/// not 0.3 in binary floating point, and an approval limit is a boundary
/// where one cent matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(pub i64);

impl Cents {
    /// Whole dollars as cents.
    ///
    /// # Panics
    /// If `dollars * 100` overflows `i64` (beyond ±92 million billion dollars),
    /// with a message that contains "overflow".
    pub const fn from_dollars(dollars: i64) -> Cents {
        // TODO: dollars * 100, panicking on overflow (`checked_mul`).
        panic!("not yet implemented: Cents::from_dollars")
    }
}

impl fmt::Display for Cents {
    /// `$1234.56`, `-$0.05`: a sign, a dollar sign, dollars, two-digit cents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("sign, dollar sign, dollars, two-digit cents")
    }
}

/// Why a claim could not be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpenseError {
    /// The amount is zero or negative: nothing to approve (a refund is a
    /// different process).
    NonPositiveAmount(Cents),
    /// The employee's name is empty: nobody to pay, and self-approval could
    /// not be checked.
    MissingEmployee,
}

impl fmt::Display for ExpenseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpenseError::NonPositiveAmount(amount) => {
                write!(f, "an expense must be positive, got {amount}")
            }
            ExpenseError::MissingEmployee => write!(f, "an expense needs an employee"),
        }
    }
}

impl std::error::Error for ExpenseError {}

/// An expense claim. Valid by construction: the amount is positive and the
/// employee named, so no approver ever has to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expense {
    // TODO: the claim's fields (private, so nobody can build an invalid one).
}

impl Expense {
    /// A claim by `employee` for `amount`, for `purpose`.
    ///
    /// # Errors
    /// [`ExpenseError::NonPositiveAmount`] if `amount <= 0` (checked first),
    /// [`ExpenseError::MissingEmployee`] if `employee` is empty.
    pub fn new(
        employee: impl Into<String>,
        amount: Cents,
        purpose: impl Into<String>,
    ) -> Result<Self, ExpenseError> {
        todo!("validate: amount first, then employee")
    }

    /// Who claims.
    pub fn employee(&self) -> &str {
        todo!("who claims")
    }

    /// How much, always positive.
    pub fn amount(&self) -> Cents {
        todo!("the amount")
    }

    /// What for.
    pub fn purpose(&self) -> &str {
        todo!("the purpose")
    }
}

/// What one approver does with a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Approved: the chain stops here.
    Approve,
    /// Refused, with a reason: the chain stops here.
    Reject(String),
    /// Not mine to decide: ask the next approver.
    Pass,
}

/// One link of the chain.
pub trait Approver {
    /// The approver's name, as it appears in the audit trail and the outcome.
    fn name(&self) -> &str;

    /// Looks at `expense` and decides.
    fn review(&self, expense: &Expense) -> Decision;
}

/// A manager's approval limit: $1,000.00.
pub const MANAGER_LIMIT: Cents = Cents(100_000);
/// A director's approval limit: $10,000.00.
pub const DIRECTOR_LIMIT: Cents = Cents(1_000_000);
/// The CFO's approval limit: $100,000.00.
pub const CFO_LIMIT: Cents = Cents(10_000_000);

/// An approver who approves any claim up to and including `limit`, except
/// their own, and passes everything else on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitApprover {
    // TODO: a name and a limit.
}

impl LimitApprover {
    /// An approver called `name` with this limit.
    pub fn new(name: impl Into<String>, limit: Cents) -> Self {
        todo!("store the name and the limit")
    }

    /// A manager: limit [`MANAGER_LIMIT`].
    pub fn manager(name: impl Into<String>) -> Self {
        todo!("an approver with MANAGER_LIMIT")
    }

    /// A director: limit [`DIRECTOR_LIMIT`].
    pub fn director(name: impl Into<String>) -> Self {
        todo!("an approver with DIRECTOR_LIMIT")
    }

    /// A CFO: limit [`CFO_LIMIT`].
    pub fn cfo(name: impl Into<String>) -> Self {
        todo!("an approver with CFO_LIMIT")
    }

    /// The largest amount this approver may approve.
    pub fn limit(&self) -> Cents {
        todo!("the limit")
    }
}

impl Approver for LimitApprover {
    fn name(&self) -> &str {
        todo!("the approver's name")
    }

    /// [`Decision::Approve`] if the amount is at most the limit and the claim
    /// is not the approver's own (separation of duties); [`Decision::Pass`]
    /// otherwise. Never rejects: a limit approver is not the one to say no.
    fn review(&self, expense: &Expense) -> Decision {
        todo!("own claim? pass. within the limit? approve. otherwise pass")
    }
}

/// How a claim ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Approved by the named approver.
    Approved {
        /// Who approved.
        by: String,
    },
    /// Rejected by the named approver.
    Rejected {
        /// Who rejected.
        by: String,
        /// Their reason.
        reason: String,
    },
    /// Every approver passed (or there were none): escalate by hand.
    NobodyCouldApprove,
}

/// The result of submitting a claim: the outcome and the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// How it ended.
    pub outcome: Outcome,
    /// The names of the approvers who saw the claim, in order, including the
    /// one who decided. Nobody after the decider saw it.
    pub seen_by: Vec<String>,
}

/// An ordered chain of approvers. The order is exactly the order they were
/// added in: the chain never sorts by limit, because the order is policy
/// (a compliance check may come first, a CFO may be the only approver).
#[derive(Default)]
pub struct ApprovalChain {
    approvers: Vec<Box<dyn Approver>>,
}

impl ApprovalChain {
    /// An empty chain: every claim ends with [`Outcome::NobodyCouldApprove`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The usual chain: a manager, a director and a CFO with these names.
    pub fn standard(manager: &str, director: &str, cfo: &str) -> Self {
        todo!("manager, then director, then CFO")
    }

    /// Adds `approver` at the end of the chain.
    #[must_use = "then() returns the longer chain"]
    pub fn then(self, approver: impl Approver + 'static) -> Self {
        todo!("add at the end")
    }

    /// How many approvers the chain has.
    pub fn len(&self) -> usize {
        todo!("how many approvers")
    }

    /// Whether the chain has no approvers.
    pub fn is_empty(&self) -> bool {
        todo!("no approvers?")
    }

    /// Shows `expense` to each approver in order until one approves or
    /// rejects. Each approver is asked at most once; nobody after the
    /// decider is asked.
    pub fn submit(&self, expense: &Expense) -> Review {
        // TODO: ask each approver in order; record who saw it; stop at the first decision.
        todo!("walk the chain")
    }
}

impl fmt::Debug for ApprovalChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.approvers.iter().map(|a| a.name()))
            .finish()
    }
}
