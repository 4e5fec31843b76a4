//! Encapsulation: a type whose invariant no caller can break.
//!
//! Everything lives in the [`employee`] module. Its `Employee` has private fields,
//! so the only way to make or change one is through functions that check the
//! rules. In Rust, privacy is per *module*, not per type: code inside `employee`
//! can touch the fields, code outside (this crate's root included) cannot.

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code)]

pub mod employee {
    //! An employee whose salary always lies in the band of their level.
    //!
    //! The invariant, true of every `Employee` that exists:
    //! - the name is trimmed, non-empty, and at most [`MAX_NAME_CHARS`] characters;
    //! - the salary lies in `level.band()`.
    //!
    //! The fields are private, so code outside this module cannot break it:
    //!
    //! ```compile_fail,E0616
    //! use encapsulation::employee::{Employee, Level};
    //! let mut ada = Employee::new("Ada", Level::Junior, 5_000_000).unwrap();
    //! ada.salary = 0; // error[E0616]: field `salary` of struct `Employee` is private
    //! ```
    //!
    //! Nor can it build one without the constructor:
    //!
    //! ```compile_fail,E0451
    //! use encapsulation::employee::{Employee, Level};
    //! let ada = Employee { name: String::new(), level: Level::Senior, salary: 0 };
    //! ```
    //!
    //! The public way:
    //!
    //! ```
    //! use encapsulation::employee::{Employee, EmployeeError, Level};
    //! let mut ada = Employee::new("  Ada ", Level::Junior, 5_000_000)?;
    //! assert_eq!(ada.name(), "Ada");
    //! assert!(ada.set_salary(0).is_err());
    //! ada.promote()?;
    //! assert_eq!((ada.level(), ada.salary()), (Level::Mid, 7_000_000));
    //! # Ok::<(), EmployeeError>(())
    //! ```

    use std::fmt;
    use std::ops::RangeInclusive;

    /// The longest name accepted, in characters (not bytes).
    pub const MAX_NAME_CHARS: usize = 64;

    /// A career level. Each has a salary band; the bands overlap, as real ones do.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum Level {
        /// Band $40,000.00 to $80,000.00 a year.
        Junior,
        /// Band $70,000.00 to $120,000.00 a year.
        Mid,
        /// Band $110,000.00 to $200,000.00 a year.
        Senior,
    }

    impl Level {
        /// The yearly salaries allowed at this level, in cents, both ends included.
        pub fn band(self) -> RangeInclusive<u64> {
            todo!("the band from the doc comments on the variants, in cents")
        }

        /// The level above, if any.
        pub fn next(self) -> Option<Level> {
            todo!("the level above")
        }

        /// The level below, if any.
        pub fn previous(self) -> Option<Level> {
            todo!("the level below")
        }
    }

    /// Why an operation was refused. A refused operation changes nothing.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum EmployeeError {
        /// The name is empty or only whitespace.
        EmptyName,
        /// The trimmed name has more than [`MAX_NAME_CHARS`] characters.
        NameTooLong {
            /// Its length in characters.
            chars: usize,
        },
        /// The salary is outside the band of the level it would have.
        SalaryOutOfBand {
            /// The level whose band was checked.
            level: Level,
            /// The salary that did not fit, in cents.
            salary: u64,
        },
        /// `promote` on the top level.
        NoHigherLevel,
        /// `demote` on the bottom level.
        NoLowerLevel,
    }

    impl fmt::Display for EmployeeError {
        /// A message per variant that names the values involved: the level and
        /// the salary of `SalaryOutOfBand`, the length of `NameTooLong`.
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            todo!("a message per variant; name the values involved")
        }
    }

    impl std::error::Error for EmployeeError {}

    /// An employee. See the module documentation for the invariant.
    ///
    /// No `Default` (an empty name and a zero salary break the invariant) and no
    /// `&mut` access to fields: every change goes through a checking method.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Employee {
        name: String,
        level: Level,
        salary: u64,
    }

    impl Employee {
        /// A new employee. The name is trimmed; it must then be non-empty and at
        /// most [`MAX_NAME_CHARS`] characters. The yearly salary (cents) must lie
        /// in `level.band()`. Name errors are reported before salary errors.
        pub fn new(name: &str, level: Level, salary: u64) -> Result<Employee, EmployeeError> {
            todo!("trim and check the name, then check the salary against the band")
        }

        /// The name, trimmed.
        pub fn name(&self) -> &str {
            todo!("the name")
        }

        /// The level.
        pub fn level(&self) -> Level {
            todo!("the level")
        }

        /// The yearly salary in cents; always within `self.level().band()`.
        pub fn salary(&self) -> u64 {
            todo!("the salary")
        }

        /// Set the salary; refused unless it lies in the current level's band.
        pub fn set_salary(&mut self, salary: u64) -> Result<(), EmployeeError> {
            todo!("check before you assign")
        }

        /// Change the name, with the same rules as [`Employee::new`].
        pub fn rename(&mut self, name: &str) -> Result<(), EmployeeError> {
            todo!("same rules as new")
        }

        /// Move up one level. A salary below the new band is raised to the band's
        /// minimum; a salary already in it is kept. Refused at the top level.
        pub fn promote(&mut self) -> Result<(), EmployeeError> {
            todo!("next level; lift the salary to the new band minimum if below")
        }

        /// Move down one level, keeping the salary. Refused at the bottom level, and
        /// refused with `SalaryOutOfBand` (naming the lower level) when the salary is
        /// above the lower band: cut the salary first, explicitly.
        pub fn demote(&mut self) -> Result<(), EmployeeError> {
            todo!("previous level; refuse if the salary does not fit its band")
        }
    }
}
