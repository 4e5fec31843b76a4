//! Stage 2: every change goes through a method that checks, and a refused
//! change leaves the employee exactly as it was.

use encapsulation::employee::{Employee, EmployeeError, Level};

fn junior() -> Employee {
    Employee::new("Ada", Level::Junior, 5_000_000).unwrap()
}

#[test]
fn set_salary_within_the_band() {
    let mut e = junior();
    assert_eq!(e.set_salary(8_000_000), Ok(()));
    assert_eq!(e.salary(), 8_000_000);
    assert_eq!(e.set_salary(4_000_000), Ok(()));
    assert_eq!(e.salary(), 4_000_000);
}

#[test]
fn set_salary_outside_the_band_changes_nothing() {
    let mut e = junior();
    for salary in [0, 3_999_999, 8_000_001, u64::MAX] {
        assert_eq!(
            e.set_salary(salary),
            Err(EmployeeError::SalaryOutOfBand {
                level: Level::Junior,
                salary
            })
        );
        assert_eq!(
            e,
            junior(),
            "a refused set_salary({salary}) must change nothing"
        );
    }
}

#[test]
fn rename_checks_like_new() {
    let mut e = junior();
    assert_eq!(e.rename("  Ada King "), Ok(()));
    assert_eq!(e.name(), "Ada King");
    assert_eq!(e.rename("   "), Err(EmployeeError::EmptyName));
    assert_eq!(
        e.rename(&"y".repeat(100)),
        Err(EmployeeError::NameTooLong { chars: 100 })
    );
    assert_eq!(e.name(), "Ada King", "a refused rename keeps the old name");
}

#[test]
fn promote_lifts_salary_to_the_new_band() {
    let mut e = junior();
    assert_eq!(e.promote(), Ok(()));
    assert_eq!(e.level(), Level::Mid);
    assert_eq!(
        e.salary(),
        7_000_000,
        "$50k is below the Mid band: raised to its minimum"
    );
    e.set_salary(11_500_000).unwrap();
    assert_eq!(e.promote(), Ok(()));
    assert_eq!(e.level(), Level::Senior);
    assert_eq!(
        e.salary(),
        11_500_000,
        "$115k is already in the Senior band: kept"
    );
}

#[test]
fn promote_keeps_a_salary_at_the_band_edge() {
    let mut e = Employee::new("Bo", Level::Junior, 7_000_000).unwrap();
    e.promote().unwrap();
    assert_eq!(e.salary(), 7_000_000, "exactly the new minimum: kept");
    let mut e = Employee::new("Bo", Level::Junior, 8_000_000).unwrap();
    e.promote().unwrap();
    assert_eq!(e.salary(), 8_000_000);
}

#[test]
fn no_promotion_past_the_top() {
    let mut e = Employee::new("Cy", Level::Senior, 15_000_000).unwrap();
    let before = e.clone();
    assert_eq!(e.promote(), Err(EmployeeError::NoHigherLevel));
    assert_eq!(e, before);
}

#[test]
fn demote_keeps_salary_if_it_fits() {
    let mut e = Employee::new("Di", Level::Senior, 11_000_000).unwrap();
    assert_eq!(e.demote(), Ok(()));
    assert_eq!((e.level(), e.salary()), (Level::Mid, 11_000_000));
    e.set_salary(8_000_000).unwrap();
    assert_eq!(e.demote(), Ok(()));
    assert_eq!((e.level(), e.salary()), (Level::Junior, 8_000_000));
    let before = e.clone();
    assert_eq!(e.demote(), Err(EmployeeError::NoLowerLevel));
    assert_eq!(e, before);
}

#[test]
fn demote_refuses_a_salary_above_the_lower_band() {
    let mut e = Employee::new("Ed", Level::Mid, 8_000_001).unwrap();
    let before = e.clone();
    assert_eq!(
        e.demote(),
        Err(EmployeeError::SalaryOutOfBand {
            level: Level::Junior,
            salary: 8_000_001
        }),
        "the salary is above the Junior band: refuse, do not silently cut pay"
    );
    assert_eq!(
        e, before,
        "a refused demotion must not change the level or the salary"
    );
    e.set_salary(8_000_000).unwrap();
    assert_eq!(e.demote(), Ok(()));
}

#[test]
fn a_career() {
    let mut e = junior();
    e.promote().unwrap();
    e.promote().unwrap();
    assert!(e.promote().is_err());
    e.set_salary(20_000_000).unwrap();
    assert!(e.demote().is_err(), "$200k does not fit the Mid band");
    e.set_salary(12_000_000).unwrap();
    e.demote().unwrap();
    assert_eq!(
        (e.name(), e.level(), e.salary()),
        ("Ada", Level::Mid, 12_000_000)
    );
}
