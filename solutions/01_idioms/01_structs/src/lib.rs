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
        dollars.checked_mul(100).map(Cents)
    }
}

/// `$<dollars>.<two-digit cents>`, no thousands separators: `Cents(123_456)` is
/// `$1234.56`, `Cents(5)` is `$0.05`.
impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${}.{:02}", self.0 / 100, self.0 % 100)
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
        match self {
            RaiseError::Negative { basis_points } => {
                write!(
                    f,
                    "a raise cannot be negative ({basis_points} basis points)"
                )
            }
            RaiseError::Overflow => f.write_str("the new salary does not fit in 64 bits of cents"),
        }
    }
}

impl std::error::Error for RaiseError {}

/// Basis points in 100 %: 1 basis point is 0.01 %.
const BASIS_POINTS_PER_WHOLE: u128 = 10_000;

/// The salary after a raise of `basis_points` (250 = 2.5 %, 10_000 = 100 %).
///
/// The raise amount `salary * basis_points / 10_000` is rounded to a whole cent,
/// **half to even**, then added. Negative raises are refused, as are results that
/// do not fit in a `u64`.
pub fn apply_raise(salary: Cents, basis_points: i32) -> Result<Cents, RaiseError> {
    // Refuse before computing anything: a negative raise is a caller's mistake.
    let bp = u32::try_from(basis_points).map_err(|_| RaiseError::Negative { basis_points })?;
    // Widen to u128: `u64::MAX * i32::MAX` fits (about 2^95), so the product is exact
    // and the only possible overflow is the final sum, which we check.
    let product = u128::from(salary.0) * u128::from(bp);
    let whole = product / BASIS_POINTS_PER_WHOLE;
    let remainder = product % BASIS_POINTS_PER_WHOLE;
    let half = BASIS_POINTS_PER_WHOLE / 2;
    // Half to even: a tie goes to the even neighbour, so over many raises the
    // rounding errors cancel instead of always favouring the employee.
    let round_up = remainder > half || (remainder == half && whole % 2 == 1);
    let raise = whole + u128::from(round_up);
    let new_salary = u128::from(salary.0) + raise;
    u64::try_from(new_salary)
        .map(Cents)
        .map_err(|_| RaiseError::Overflow)
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
        Employee {
            name: name.into(),
            title: title.into(),
            salary,
        }
    }

    /// The employee's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The job title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The yearly salary.
    pub fn salary(&self) -> Cents {
        self.salary
    }

    /// One line for a report: `Ada Lovelace (Engineer): $52000.00`.
    ///
    /// Takes `&self`: printing must not need exclusive access, so it works on a
    /// shared reference, through an `Arc`, from several threads at once.
    pub fn display_line(&self) -> String {
        format!("{} ({}): {}", self.name, self.title, self.salary)
    }

    /// Raise the salary by `basis_points` (see [`apply_raise`] for the rounding
    /// rule) and return the new salary. On error nothing changes.
    pub fn give_raise(&mut self, basis_points: i32) -> Result<Cents, RaiseError> {
        // Compute first, assign last: an error leaves `self` exactly as it was.
        let new_salary = apply_raise(self.salary, basis_points)?;
        self.salary = new_salary;
        Ok(new_salary)
    }

    /// The same employee with a new title. Takes `self` by value: the old value is
    /// moved in and cannot be used afterwards, so no stale copy stays around.
    pub fn with_title(self, title: impl Into<String>) -> Employee {
        Employee {
            title: title.into(),
            ..self
        }
    }
}
