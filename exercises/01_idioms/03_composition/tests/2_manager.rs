//! Stage 2: a `Manager` has a `Worker` and delegates to it. It changes what a
//! manager does differently (title, pay) and forwards the rest, without copying
//! the worker's data and without `Deref`.

use std::marker::PhantomData;

use composition::{Manager, Staff, Worker, assign_all, payroll};

fn ada() -> Worker {
    Worker::new("Ada", "Engineer", 500_000)
}

fn boss() -> Manager {
    Manager::new(ada(), 100_000)
}

#[test]
fn manager_delegates_and_overrides() {
    let m = boss();
    assert_eq!(m.name(), "Ada", "the name comes from the worker inside");
    assert_eq!(m.title(), "Manager", "the title is the manager's own");
    assert_eq!(
        m.monthly_pay(),
        600_000,
        "pay is the worker's pay plus the bonus"
    );
    assert_eq!(m.tasks_done(), 0);
    assert_eq!(
        m.as_worker(),
        &ada(),
        "the worker inside is the one given to new"
    );
}

#[test]
fn manager_describes_itself_not_its_worker() {
    assert_eq!(
        boss().describe(),
        "Ada (Manager): $6000.00/month",
        "forwarding describe to the worker would print the worker's title and pay: \
         with delegation, the worker's methods never see the manager's overrides"
    );
}

#[test]
fn work_goes_to_the_worker_inside() {
    let mut m = boss();
    assert_eq!(m.work("plan"), "Ada did: plan");
    assert_eq!(m.tasks_done(), 1);
    assert_eq!(
        m.as_worker().completed(),
        ["plan"],
        "the manager's work is the worker's work"
    );
}

#[test]
fn the_manager_keeps_no_copy_of_the_worker() {
    let mut m = boss();
    m.worker_mut().rename("Ada King");
    m.worker_mut().set_monthly_pay(700_000);
    assert_eq!(
        m.name(),
        "Ada King",
        "a renamed worker is a renamed manager: do not copy fields"
    );
    assert_eq!(
        m.monthly_pay(),
        800_000,
        "new worker pay shows in the manager's pay"
    );
    assert_eq!(m.describe(), "Ada King (Manager): $8000.00/month");
    m.worker_mut().work("review");
    assert_eq!(
        m.tasks_done(),
        1,
        "work done through worker_mut counts for the manager"
    );
}

#[test]
fn stepping_down_returns_the_worker_with_its_history() {
    let mut m = boss();
    m.work("plan");
    m.work("hire");
    let w = m.into_worker();
    assert_eq!(w.title(), "Engineer");
    assert_eq!(w.monthly_pay(), 500_000, "the bonus goes with the role");
    assert_eq!(w.completed(), ["plan", "hire"]);
}

#[test]
fn managers_and_workers_mix_wherever_staff_is_expected() {
    let w = Worker::new("Bo", "Engineer", 400_000);
    let m = boss();
    assert_eq!(payroll(&[&w, &m]), 1_000_000);
    let mut team: Vec<Box<dyn Staff>> = vec![Box::new(boss()), Box::new(ada())];
    let lines: Vec<String> = team.iter().map(|s| s.describe()).collect();
    assert_eq!(
        lines,
        [
            "Ada (Manager): $6000.00/month",
            "Ada (Engineer): $5000.00/month"
        ]
    );
    for s in team.iter_mut() {
        s.work("standup");
    }
    assert!(team.iter().all(|s| s.tasks_done() == 1));
    let mut m = boss();
    assert_eq!(
        assign_all(&mut m, &["a", "b"]),
        ["Ada did: a", "Ada did: b"]
    );
    assert_eq!(m.tasks_done(), 2);
}

#[test]
fn bonus_saturates() {
    let m = Manager::new(Worker::new("Rich", "Owner", u64::MAX - 1), 10);
    assert_eq!(
        m.monthly_pay(),
        u64::MAX,
        "pay saturates instead of overflowing"
    );
}

// Does `T` implement `Deref`? An inherent method exists only when `T: Deref`;
// otherwise method lookup falls back to the trait's method.
struct Probe<T>(PhantomData<T>);
trait NotDeref {
    fn derefs(&self) -> bool {
        false
    }
}
impl<T> NotDeref for Probe<T> {}
impl<T: std::ops::Deref> Probe<T> {
    #[allow(dead_code)]
    fn derefs(&self) -> bool {
        true
    }
}

#[test]
fn manager_does_not_deref_to_worker() {
    assert!(
        Probe::<Box<u8>>(PhantomData).derefs(),
        "the probe itself works"
    );
    assert!(
        !Probe::<Manager>(PhantomData).derefs(),
        "Manager implements Deref: that is inheritance in disguise. Every Worker method \
         becomes a Manager method, unasked; `m.title()` and `(*m).title()` disagree. \
         Forward the methods you mean, and offer as_worker() for the rest."
    );
}
