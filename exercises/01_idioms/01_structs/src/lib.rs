//! Structs and methods: an `Employee` whose salary is integer cents.
//!
//! Three receivers, three promises:
//! - `&self` reads (many readers at once: `display_line`, the getters);
//! - `&mut self` changes in place (one writer, nobody else looking: `give_raise`);
//! - `self` consumes the value and hands back a new one (`with_title`).
//!
//! Money is never a float. A salary is a whole number of cents, and the one place
//! where fractions appear (a percentage raise) rounds by a stated rule:
//! **the raise amount is rounded to a whole cent, half to even** (banker's rounding).

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code)]

use std::fmt;

/// An amount of money in whole cents (US-style: 100 cents to the dollar).
///
/// A newtype rather than a bare `u64`: the type says "this is money, in cents",
/// and a number of employees or a count of basis points cannot be passed by mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(pub u64);

impl Cents {
    /// Zero cents.
    pub const ZERO: Cents = Cents(0);

    /// `dollars` whole dollars, or `None` if that does not fit in a `u64` of cents.
    pub fn from_dollars(dollars: u64) -> Option<Cents> {
        todo!("multiply by 100, returning None on overflow")
    }
}

/// `$<dollars>.<two-digit cents>`, no thousands separators: `Cents(123_456)` is
/// `$1234.56`, `Cents(5)` is `$0.05`.
impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("write `$dollars.cc` with exactly two digits of cents")
    }
}

/// Why a raise was refused. A refused raise changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaiseError {
    /// The raise was below zero. A pay cut is not a raise and must be explicit.
    Negative {
        /// The rejected amount, in basis points.
        basis_points: i32,
    },
    /// The new salary would not fit in a `u64` of cents.
    Overflow,
}

impl fmt::Display for RaiseError {
    /// A short message; `Negative`'s names the rejected amount in basis points
    /// (`-250`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("a short message; the Negative one names the rejected amount")
    }
}

impl std::error::Error for RaiseError {}

/// The salary after a raise of `basis_points` (250 = 2.5 %, 10_000 = 100 %).
///
/// The raise amount `salary * basis_points / 10_000` is rounded to a whole cent,
/// **half to even**, then added. Negative raises are refused, as are results that
/// do not fit in a `u64`.
pub fn apply_raise(salary: Cents, basis_points: i32) -> Result<Cents, RaiseError> {
    // TODO: refuse negative raises; compute the exact product in u128 so nothing
    // overflows; round the raise half to even; check the sum fits in a u64.
    todo!("apply the raise with the stated rounding rule")
}

/// An employee: a name, a job title and a yearly salary in cents.
///
/// The fields are private and read through getters; why that matters is the
/// subject of the `encapsulation` lesson. Here the point is the receivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    name: String,
    title: String,
    salary: Cents,
}

impl Employee {
    /// A new employee. Accepts `&str` or `String` for the texts.
    pub fn new(name: impl Into<String>, title: impl Into<String>, salary: Cents) -> Employee {
        todo!("build the employee")
    }

    /// The employee's name.
    pub fn name(&self) -> &str {
        todo!("return the field")
    }

    /// The job title.
    pub fn title(&self) -> &str {
        todo!("return the field")
    }

    /// The yearly salary.
    pub fn salary(&self) -> Cents {
        todo!("return the field")
    }

    /// One line for a report: `Ada Lovelace (Engineer): $52000.00`.
    ///
    /// Takes `&self`: printing must not need exclusive access, so it works on a
    /// shared reference, through an `Arc`, from several threads at once.
    pub fn display_line(&self) -> String {
        todo!("name (title): salary")
    }

    /// Raise the salary by `basis_points` (see [`apply_raise`] for the rounding
    /// rule) and return the new salary. On error nothing changes.
    pub fn give_raise(&mut self, basis_points: i32) -> Result<Cents, RaiseError> {
        todo!("use apply_raise; change nothing on error")
    }

    /// The same employee with a new title. Takes `self` by value: the old value is
    /// moved in and cannot be used afterwards, so no stale copy stays around.
    pub fn with_title(self, title: impl Into<String>) -> Employee {
        todo!("move self into a new employee with the new title")
    }
}
