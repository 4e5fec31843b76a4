//! Encapsulation: a type whose invariant no caller can break.
//!
//! Everything lives in the [`employee`] module. Its `Employee` has private fields,
//! so the only way to make or change one is through functions that check the
//! rules. In Rust, privacy is per *module*, not per type: code inside `employee`
//! can touch the fields, code outside (this crate's root included) cannot.

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
            match self {
                Level::Junior => 4_000_000..=8_000_000,
                Level::Mid => 7_000_000..=12_000_000,
                Level::Senior => 11_000_000..=20_000_000,
            }
        }

        /// The level above, if any.
        pub fn next(self) -> Option<Level> {
            match self {
                Level::Junior => Some(Level::Mid),
                Level::Mid => Some(Level::Senior),
                Level::Senior => None,
            }
        }

        /// The level below, if any.
        pub fn previous(self) -> Option<Level> {
            match self {
                Level::Junior => None,
                Level::Mid => Some(Level::Junior),
                Level::Senior => Some(Level::Mid),
            }
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
            match self {
                EmployeeError::EmptyName => f.write_str("the name is empty"),
                EmployeeError::NameTooLong { chars } => write!(
                    f,
                    "the name has {chars} characters, more than {MAX_NAME_CHARS}"
                ),
                EmployeeError::SalaryOutOfBand { level, salary } => {
                    let band = level.band();
                    write!(
                        f,
                        "salary {salary} cents is outside the {level:?} band {}..={}",
                        band.start(),
                        band.end()
                    )
                }
                EmployeeError::NoHigherLevel => f.write_str("already at the highest level"),
                EmployeeError::NoLowerLevel => f.write_str("already at the lowest level"),
            }
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

    /// The trimmed name, if it is acceptable.
    fn valid_name(name: &str) -> Result<String, EmployeeError> {
        let name = name.trim();
        let chars = name.chars().count();
        if chars == 0 {
            Err(EmployeeError::EmptyName)
        } else if chars > MAX_NAME_CHARS {
            Err(EmployeeError::NameTooLong { chars })
        } else {
            Ok(name.to_string())
        }
    }

    /// `salary` if it lies in `level`'s band.
    fn in_band(level: Level, salary: u64) -> Result<u64, EmployeeError> {
        if level.band().contains(&salary) {
            Ok(salary)
        } else {
            Err(EmployeeError::SalaryOutOfBand { level, salary })
        }
    }

    impl Employee {
        /// A new employee. The name is trimmed; it must then be non-empty and at
        /// most [`MAX_NAME_CHARS`] characters. The yearly salary (cents) must lie
        /// in `level.band()`. Name errors are reported before salary errors.
        pub fn new(name: &str, level: Level, salary: u64) -> Result<Employee, EmployeeError> {
            Ok(Employee {
                name: valid_name(name)?,
                level,
                salary: in_band(level, salary)?,
            })
        }

        /// The name, trimmed.
        pub fn name(&self) -> &str {
            &self.name
        }

        /// The level.
        pub fn level(&self) -> Level {
            self.level
        }

        /// The yearly salary in cents; always within `self.level().band()`.
        pub fn salary(&self) -> u64 {
            self.salary
        }

        /// Set the salary; refused unless it lies in the current level's band.
        pub fn set_salary(&mut self, salary: u64) -> Result<(), EmployeeError> {
            self.salary = in_band(self.level, salary)?;
            Ok(())
        }

        /// Change the name, with the same rules as [`Employee::new`].
        pub fn rename(&mut self, name: &str) -> Result<(), EmployeeError> {
            self.name = valid_name(name)?;
            Ok(())
        }

        /// Move up one level. A salary below the new band is raised to the band's
        /// minimum; a salary already in it is kept. Refused at the top level.
        pub fn promote(&mut self) -> Result<(), EmployeeError> {
            let level = self.level.next().ok_or(EmployeeError::NoHigherLevel)?;
            // Each band's maximum is at least the one below's, so the only way out
            // of the new band is from below.
            let salary = self.salary.max(*level.band().start());
            // Assign both fields together, after every check: never half-promoted.
            self.level = level;
            self.salary = salary;
            Ok(())
        }

        /// Move down one level, keeping the salary. Refused at the bottom level, and
        /// refused with `SalaryOutOfBand` (naming the lower level) when the salary is
        /// above the lower band: cut the salary first, explicitly.
        pub fn demote(&mut self) -> Result<(), EmployeeError> {
            let level = self.level.previous().ok_or(EmployeeError::NoLowerLevel)?;
            self.salary = in_band(level, self.salary)?;
            self.level = level;
            Ok(())
        }
    }
}
