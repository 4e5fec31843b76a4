//! Stage 3: a manager with a team delegates work to whoever has done the least.

use composition::{Manager, Staff, Worker, payroll};

fn team() -> Manager {
    let mut m = Manager::new(Worker::new("Ada", "Engineer", 500_000), 100_000);
    m.hire(Worker::new("Bo", "Engineer", 400_000));
    m.hire(Worker::new("Cy", "Designer", 300_000));
    m
}

#[test]
fn no_reports_no_delegation() {
    let mut m = Manager::new(Worker::new("Ada", "Engineer", 500_000), 100_000);
    assert!(m.reports().is_empty());
    assert_eq!(m.delegate("x"), None, "nobody to delegate to");
    assert_eq!(
        m.tasks_done(),
        0,
        "a failed delegation is not done by the manager either"
    );
    assert_eq!(m.team_pay(), 600_000, "a team of one");
}

#[test]
fn hire_keeps_order() {
    let m = team();
    let names: Vec<&str> = m.reports().iter().map(|r| r.name()).collect();
    assert_eq!(names, ["Bo", "Cy"]);
}

#[test]
fn delegate_to_least_loaded_first_among_equals() {
    let mut m = team();
    assert_eq!(
        m.delegate("t1").as_deref(),
        Some("Bo did: t1"),
        "both idle: the earliest hired"
    );
    assert_eq!(
        m.delegate("t2").as_deref(),
        Some("Cy did: t2"),
        "Cy has done fewer"
    );
    assert_eq!(
        m.delegate("t3").as_deref(),
        Some("Bo did: t3"),
        "tied again: Bo"
    );
    m.hire(Worker::new("Di", "Engineer", 350_000));
    assert_eq!(
        m.delegate("t4").as_deref(),
        Some("Di did: t4"),
        "the new hire has done nothing"
    );
    assert_eq!(m.delegate("t5").as_deref(), Some("Cy did: t5"));
    assert_eq!(m.reports()[0].completed(), ["t1", "t3"]);
    assert_eq!(m.reports()[1].completed(), ["t2", "t5"]);
    assert_eq!(m.reports()[2].completed(), ["t4"]);
    assert_eq!(
        m.tasks_done(),
        0,
        "delegated tasks are not the manager's own"
    );
}

#[test]
fn delegation_counts_tasks_done_any_way() {
    let mut m = Manager::new(Worker::new("Ada", "Engineer", 1), 0);
    let mut bo = Worker::new("Bo", "Engineer", 1);
    bo.work("old 1");
    bo.work("old 2");
    m.hire(bo);
    m.hire(Worker::new("Cy", "Engineer", 1));
    assert_eq!(
        m.delegate("new").as_deref(),
        Some("Cy did: new"),
        "Bo arrived with 2 tasks done"
    );
    assert_eq!(m.delegate("new2").as_deref(), Some("Cy did: new2"));
    assert_eq!(m.delegate("new3").as_deref(), Some("Bo did: new3"));
}

#[test]
fn team_pay_and_payroll() {
    let m = team();
    assert_eq!(m.team_pay(), 600_000 + 400_000 + 300_000);
    let everyone: Vec<&dyn Staff> = std::iter::once(&m as &dyn Staff)
        .chain(m.reports().iter().map(|r| r as &dyn Staff))
        .collect();
    assert_eq!(payroll(&everyone), m.team_pay());
    let mut rich = Manager::new(Worker::new("Rich", "Owner", u64::MAX), 0);
    rich.hire(Worker::new("Bo", "Engineer", 1));
    assert_eq!(rich.team_pay(), u64::MAX, "team pay saturates");
}

#[test]
fn a_week_in_the_life() {
    let mut m = team();
    m.work("roadmap");
    for task in ["api", "ui", "db", "docs"] {
        m.delegate(task);
    }
    m.worker_mut().rename("Ada King");
    assert_eq!(m.describe(), "Ada King (Manager): $6000.00/month");
    assert_eq!(m.tasks_done(), 1);
    let done: usize = m.reports().iter().map(|r| r.tasks_done()).sum();
    assert_eq!(done, 4);
    let ada = m.into_worker();
    assert_eq!(ada.describe(), "Ada King (Engineer): $5000.00/month");
    assert_eq!(ada.completed(), ["roadmap"]);
}
