//! Stage 1: the only way to get an `Employee` is a constructor that checks.
//!
//! (That code outside the module cannot write `ada.salary = 0` is shown by the
//! `compile_fail` doctests in src/lib.rs; this stage checks what the constructor
//! accepts and refuses.)

use encapsulation::employee::{Employee, EmployeeError, Level, MAX_NAME_CHARS};

#[test]
fn levels_and_bands() {
    assert_eq!(Level::Junior.band(), 4_000_000..=8_000_000);
    assert_eq!(Level::Mid.band(), 7_000_000..=12_000_000);
    assert_eq!(Level::Senior.band(), 11_000_000..=20_000_000);
    assert_eq!(Level::Junior.next(), Some(Level::Mid));
    assert_eq!(Level::Mid.next(), Some(Level::Senior));
    assert_eq!(Level::Senior.next(), None);
    assert_eq!(Level::Junior.previous(), None);
    assert_eq!(Level::Mid.previous(), Some(Level::Junior));
    assert_eq!(Level::Senior.previous(), Some(Level::Mid));
}

#[test]
fn a_valid_employee() {
    let ada = Employee::new("Ada", Level::Mid, 9_000_000).unwrap();
    assert_eq!(ada.name(), "Ada");
    assert_eq!(ada.level(), Level::Mid);
    assert_eq!(ada.salary(), 9_000_000);
}

#[test]
fn names_are_trimmed_and_checked() {
    let e = Employee::new("  Ada Lovelace \t\n", Level::Junior, 5_000_000).unwrap();
    assert_eq!(e.name(), "Ada Lovelace", "the stored name is trimmed");
    for bad in ["", " ", "\t \n"] {
        assert_eq!(
            Employee::new(bad, Level::Junior, 5_000_000),
            Err(EmployeeError::EmptyName),
            "{bad:?} is not a name"
        );
    }
    let longest = "x".repeat(MAX_NAME_CHARS);
    assert!(
        Employee::new(&longest, Level::Junior, 5_000_000).is_ok(),
        "64 characters is fine"
    );
    let padded = format!("  {longest}  ");
    assert!(
        Employee::new(&padded, Level::Junior, 5_000_000).is_ok(),
        "the limit applies to the trimmed name"
    );
    let too_long = "x".repeat(MAX_NAME_CHARS + 1);
    assert_eq!(
        Employee::new(&too_long, Level::Junior, 5_000_000),
        Err(EmployeeError::NameTooLong { chars: 65 })
    );
    let accents = "é".repeat(MAX_NAME_CHARS);
    assert!(
        Employee::new(&accents, Level::Junior, 5_000_000).is_ok(),
        "64 'é' are 128 bytes but 64 characters: count characters, not bytes"
    );
    assert_eq!(
        Employee::new(&"é".repeat(MAX_NAME_CHARS + 1), Level::Junior, 5_000_000),
        Err(EmployeeError::NameTooLong { chars: 65 }),
        "NameTooLong reports the length in characters (65), not in bytes (130)"
    );
}

#[test]
fn salaries_must_lie_in_the_band_ends_included() {
    for level in [Level::Junior, Level::Mid, Level::Senior] {
        let band = level.band();
        let (lo, hi) = (*band.start(), *band.end());
        assert!(
            Employee::new("A", level, lo).is_ok(),
            "{level:?}: the band minimum is allowed"
        );
        assert!(
            Employee::new("A", level, hi).is_ok(),
            "{level:?}: the band maximum is allowed"
        );
        for salary in [lo - 1, hi + 1, 0, u64::MAX] {
            assert_eq!(
                Employee::new("A", level, salary),
                Err(EmployeeError::SalaryOutOfBand { level, salary }),
                "{level:?}: {salary} cents is outside the band"
            );
        }
    }
}

#[test]
fn name_errors_come_first() {
    assert_eq!(
        Employee::new(" ", Level::Senior, 0),
        Err(EmployeeError::EmptyName)
    );
}

#[test]
fn errors_display() {
    let text = EmployeeError::SalaryOutOfBand {
        level: Level::Mid,
        salary: 1,
    }
    .to_string();
    assert!(
        text.contains("Mid") && text.contains('1'),
        "name the level and salary: {text:?}"
    );
    let text = EmployeeError::NameTooLong { chars: 70 }.to_string();
    assert!(text.contains("70"), "{text:?}");
    for e in [
        EmployeeError::EmptyName,
        EmployeeError::NoHigherLevel,
        EmployeeError::NoLowerLevel,
    ] {
        assert!(!e.to_string().is_empty());
    }
}

// Does `T` implement `Default`? The inherent method exists only if it does;
// otherwise method lookup falls back to the trait's.
struct Probe<T>(std::marker::PhantomData<T>);
trait NoDefault {
    fn has_default(&self) -> bool {
        false
    }
}
impl<T> NoDefault for Probe<T> {}
impl<T: Default> Probe<T> {
    #[allow(dead_code)]
    fn has_default(&self) -> bool {
        true
    }
}

#[test]
fn there_is_no_default_employee() {
    assert!(
        Probe::<String>(std::marker::PhantomData).has_default(),
        "the probe works"
    );
    assert!(
        !Probe::<Employee>(std::marker::PhantomData).has_default(),
        "Employee::default() would be a back door around the constructor: an empty \
         name and a salary of 0 break the invariant"
    );
}
