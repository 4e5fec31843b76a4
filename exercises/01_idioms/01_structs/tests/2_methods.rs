//! Stage 2: an `Employee` with methods, and what each receiver promises.
//!
//! `&self` reads and can be shared; `&mut self` changes in place and needs
//! exclusive access; `self` consumes. A failed `&mut self` call changes nothing.

use std::sync::Arc;
use std::thread;

use structs::{Cents, Employee, RaiseError};

fn ada() -> Employee {
    Employee::new("Ada Lovelace", "Engineer", Cents(5_200_000))
}

#[test]
fn new_and_getters() {
    let e = ada();
    assert_eq!(e.name(), "Ada Lovelace");
    assert_eq!(e.title(), "Engineer");
    assert_eq!(e.salary(), Cents(5_200_000));
    let owned = Employee::new(String::from("Grace"), String::from("Admiral"), Cents(1));
    assert_eq!(owned.name(), "Grace", "new accepts String as well as &str");
}

#[test]
fn display_line_format() {
    assert_eq!(ada().display_line(), "Ada Lovelace (Engineer): $52000.00");
    let e = Employee::new("Linus", "Intern", Cents(7));
    assert_eq!(e.display_line(), "Linus (Intern): $0.07");
}

#[test]
fn display_line_takes_shared_self() {
    // These lines only compile if the methods take `&self`.
    let read: fn(&Employee) -> String = Employee::display_line;
    let salary: fn(&Employee) -> Cents = Employee::salary;

    let e = ada();
    let (a, b) = (&e, &e); // two shared borrows alive at once
    assert_eq!(read(a), read(b));
    assert_eq!(salary(a), Cents(5_200_000));

    // Through an Arc there is no way to get `&mut`; reading still works, from
    // several threads at once.
    let shared = Arc::new(ada());
    let lines: Vec<String> = thread::scope(|s| {
        let handles: Vec<_> = (0..2).map(|_| s.spawn(|| shared.display_line())).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(lines, vec![shared.display_line(), shared.display_line()]);
    assert_eq!(*shared, ada(), "display_line must not change the employee");
}

#[test]
fn give_raise_changes_the_employee_in_place() {
    let raise: fn(&mut Employee, i32) -> Result<Cents, RaiseError> = Employee::give_raise;
    let mut e = ada();
    assert_eq!(
        raise(&mut e, 350),
        Ok(Cents(5_382_000)),
        "returns the new salary"
    );
    assert_eq!(e.salary(), Cents(5_382_000), "and stores it");
    assert_eq!(e.display_line(), "Ada Lovelace (Engineer): $53820.00");
    assert_eq!(e.name(), "Ada Lovelace");
    assert_eq!(e.title(), "Engineer");
}

#[test]
fn raises_compound() {
    let mut e = Employee::new("Bo", "Clerk", Cents(10_000));
    e.give_raise(1_000).unwrap();
    e.give_raise(1_000).unwrap();
    assert_eq!(
        e.salary(),
        Cents(12_100),
        "10 % then 10 % is 21 %, not 20 %"
    );
}

#[test]
fn give_raise_works_through_a_mutable_borrow() {
    let mut staff = [ada(), Employee::new("Bo", "Clerk", Cents(10_000))];
    for e in staff.iter_mut() {
        e.give_raise(1_000).unwrap();
    }
    assert_eq!(staff[0].salary(), Cents(5_720_000));
    assert_eq!(staff[1].salary(), Cents(11_000));
}

#[test]
fn a_refused_raise_changes_nothing() {
    let mut e = ada();
    assert_eq!(
        e.give_raise(-100),
        Err(RaiseError::Negative { basis_points: -100 })
    );
    assert_eq!(
        e,
        ada(),
        "a refused raise must leave the employee exactly as it was"
    );

    let mut rich = Employee::new("Scrooge", "Owner", Cents(u64::MAX - 5));
    assert_eq!(rich.give_raise(1), Err(RaiseError::Overflow));
    assert_eq!(
        rich.salary(),
        Cents(u64::MAX - 5),
        "an overflowing raise must not wrap, saturate or half-apply"
    );
}

#[test]
fn half_cent_raise_through_the_method() {
    let mut e = Employee::new("Penny", "Clerk", Cents(1));
    assert_eq!(
        e.give_raise(5_000),
        Ok(Cents(1)),
        "0.5 cent rounds half to even, to 0"
    );
    let mut e = Employee::new("Penny", "Clerk", Cents(3));
    assert_eq!(
        e.give_raise(5_000),
        Ok(Cents(5)),
        "1.5 cents rounds half to even, to 2"
    );
}

#[test]
fn with_title_consumes_and_keeps_the_rest() {
    let promote: fn(Employee, String) -> Employee = Employee::with_title;
    let e = promote(ada(), String::from("Staff Engineer"));
    assert_eq!(e.title(), "Staff Engineer");
    assert_eq!(e.name(), "Ada Lovelace", "with_title keeps the name");
    assert_eq!(e.salary(), Cents(5_200_000), "with_title keeps the salary");
    let e = e.with_title("CTO");
    assert_eq!(e.display_line(), "Ada Lovelace (CTO): $52000.00");
}
