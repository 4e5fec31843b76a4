//! Stage 3: no sequence of public calls breaks the invariant, and every call
//! succeeds or fails exactly as the rules say, checked against a model.

use encapsulation::employee::{Employee, EmployeeError, Level, MAX_NAME_CHARS};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    SetSalary(u64),
    Rename(String),
    Promote,
    Demote,
}

fn salary() -> impl Strategy<Value = u64> {
    prop_oneof![
        3_900_000u64..20_100_000,
        // exact band edges and their neighbours
        prop::sample::select(vec![
            3_999_999u64,
            4_000_000,
            6_999_999,
            7_000_000,
            8_000_000,
            8_000_001,
            10_999_999,
            11_000_000,
            12_000_000,
            12_000_001,
            20_000_000,
            20_000_001,
        ]),
        any::<u64>(),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ ]{0,2}[a-zé]{0,3}[ ]{0,2}",
        "[a-z]{60,70}",
        Just(" ".to_string()),
    ]
}

fn level() -> impl Strategy<Value = Level> {
    prop_oneof![Just(Level::Junior), Just(Level::Mid), Just(Level::Senior)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => salary().prop_map(Op::SetSalary),
        1 => name().prop_map(Op::Rename),
        2 => Just(Op::Promote),
        2 => Just(Op::Demote),
    ]
}

/// What every `Employee` must satisfy.
fn assert_invariant(e: &Employee) -> Result<(), TestCaseError> {
    prop_assert!(
        e.level().band().contains(&e.salary()),
        "invariant broken: salary {} outside the {:?} band",
        e.salary(),
        e.level()
    );
    prop_assert!(!e.name().is_empty(), "invariant broken: empty name");
    prop_assert_eq!(
        e.name(),
        e.name().trim(),
        "invariant broken: untrimmed name"
    );
    prop_assert!(
        e.name().chars().count() <= MAX_NAME_CHARS,
        "invariant broken: long name"
    );
    Ok(())
}

/// The rules, written as plainly as possible.
#[derive(Debug, Clone, PartialEq)]
struct Model {
    name: String,
    level: Level,
    salary: u64,
}

fn check_name(name: &str) -> Result<String, EmployeeError> {
    let t = name.trim();
    match t.chars().count() {
        0 => Err(EmployeeError::EmptyName),
        n if n > MAX_NAME_CHARS => Err(EmployeeError::NameTooLong { chars: n }),
        _ => Ok(t.to_string()),
    }
}

fn check_salary(level: Level, salary: u64) -> Result<u64, EmployeeError> {
    if level.band().contains(&salary) {
        Ok(salary)
    } else {
        Err(EmployeeError::SalaryOutOfBand { level, salary })
    }
}

impl Model {
    fn new(name: &str, level: Level, salary: u64) -> Result<Model, EmployeeError> {
        let name = check_name(name)?;
        Ok(Model {
            name,
            level,
            salary: check_salary(level, salary)?,
        })
    }

    fn apply(&mut self, op: &Op) -> Result<(), EmployeeError> {
        match op {
            Op::SetSalary(s) => self.salary = check_salary(self.level, *s)?,
            Op::Rename(n) => self.name = check_name(n)?,
            Op::Promote => {
                self.level = self.level.next().ok_or(EmployeeError::NoHigherLevel)?;
                self.salary = self.salary.max(*self.level.band().start());
            }
            Op::Demote => {
                let lower = self.level.previous().ok_or(EmployeeError::NoLowerLevel)?;
                self.salary = check_salary(lower, self.salary)?;
                self.level = lower;
            }
        }
        Ok(())
    }
}

fn apply(e: &mut Employee, op: &Op) -> Result<(), EmployeeError> {
    match op {
        Op::SetSalary(s) => e.set_salary(*s),
        Op::Rename(n) => e.rename(n),
        Op::Promote => e.promote(),
        Op::Demote => e.demote(),
    }
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_seed: proptest::test_runner::RngSeed::Fixed(203),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn constructor_agrees_with_the_rules(n in name(), l in level(), s in salary()) {
        let real = Employee::new(&n, l, s);
        let model = Model::new(&n, l, s);
        match (&real, &model) {
            (Ok(e), Ok(m)) => {
                assert_invariant(e)?;
                prop_assert_eq!((e.name(), e.level(), e.salary()), (m.name.as_str(), m.level, m.salary));
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            _ => prop_assert!(false, "new({:?}, {:?}, {}): got {:?}, the rules say {:?}", n, l, s, real, model),
        }
    }

    #[test]
    fn no_sequence_of_calls_breaks_the_invariant(
        l in level(),
        ops in prop::collection::vec(op(), 1..40),
    ) {
        let start = *l.band().start() + 1;
        let mut e = Employee::new("Ada", l, start).unwrap();
        let mut m = Model::new("Ada", l, start).unwrap();
        for op in &ops {
            let before = e.clone();
            let got = apply(&mut e, op);
            let want = m.apply(op);
            prop_assert_eq!(&got, &want, "{:?} on {:?}", op, before);
            assert_invariant(&e)?;
            if got.is_err() {
                prop_assert_eq!(&e, &before, "a refused {:?} must change nothing", op);
            }
            prop_assert_eq!((e.name(), e.level(), e.salary()), (m.name.as_str(), m.level, m.salary),
                "after {:?}", op);
        }
    }
}
