//! Stage 1: a `Worker` is `Staff`; code written against the trait accepts any
//! staff, including a `Contractor` defined only in this test.

use composition::{Staff, Worker, assign_all, payroll};

/// Paid by the task: not a worker, not a manager, still staff.
struct Contractor {
    done: usize,
}

impl Staff for Contractor {
    fn name(&self) -> &str {
        "Casey"
    }
    fn title(&self) -> &str {
        "Contractor"
    }
    fn monthly_pay(&self) -> u64 {
        10_000 * self.done as u64
    }
    fn work(&mut self, task: &str) -> String {
        self.done += 1;
        format!("Casey billed for: {task}")
    }
    fn tasks_done(&self) -> usize {
        self.done
    }
}

fn ada() -> Worker {
    Worker::new("Ada", "Engineer", 500_000)
}

#[test]
fn worker_basics() {
    let w = ada();
    assert_eq!(w.name(), "Ada");
    assert_eq!(w.title(), "Engineer");
    assert_eq!(w.monthly_pay(), 500_000);
    assert_eq!(w.tasks_done(), 0);
    assert!(w.completed().is_empty());
}

#[test]
fn worker_works() {
    let mut w = ada();
    assert_eq!(w.work("fix bug"), "Ada did: fix bug");
    assert_eq!(w.work("write tests"), "Ada did: write tests");
    assert_eq!(w.tasks_done(), 2);
    assert_eq!(
        w.completed(),
        ["fix bug", "write tests"],
        "tasks are kept oldest first"
    );
}

#[test]
fn worker_changes() {
    let mut w = ada();
    w.rename("Ada King");
    w.set_monthly_pay(612_345);
    assert_eq!(w.name(), "Ada King");
    assert_eq!(w.monthly_pay(), 612_345);
    assert_eq!(
        w.work("ship"),
        "Ada King did: ship",
        "the log line uses the current name"
    );
}

#[test]
fn default_describe() {
    assert_eq!(ada().describe(), "Ada (Engineer): $5000.00/month");
    assert_eq!(
        Worker::new("Bo", "Intern", 5).describe(),
        "Bo (Intern): $0.05/month"
    );
    assert_eq!(
        Contractor { done: 3 }.describe(),
        "Casey (Contractor): $300.00/month",
        "a type that does not override describe gets the trait's default"
    );
}

#[test]
fn payroll_over_trait_objects() {
    assert_eq!(payroll(&[]), 0);
    let w = ada();
    let c = Contractor { done: 2 };
    assert_eq!(
        payroll(&[&w, &c]),
        520_000,
        "payroll sums monthly_pay of any staff"
    );
    assert_eq!(payroll(&[&w, &w]), 1_000_000);
    let huge = Worker::new("Rich", "Owner", u64::MAX);
    assert_eq!(
        payroll(&[&huge, &w]),
        u64::MAX,
        "payroll saturates instead of overflowing"
    );
}

#[test]
fn assign_all_is_generic() {
    let mut w = ada();
    assert_eq!(
        assign_all(&mut w, &["a", "b"]),
        vec!["Ada did: a".to_string(), "Ada did: b".to_string()]
    );
    assert_eq!(w.completed(), ["a", "b"]);
    let mut c = Contractor { done: 0 };
    assert_eq!(
        assign_all(&mut c, &["x"]),
        vec!["Casey billed for: x".to_string()]
    );
    assert_eq!(c.tasks_done(), 1);
    let mut boxed: Box<dyn Staff> = Box::new(ada());
    assert_eq!(
        assign_all(boxed.as_mut(), &["y"]),
        vec!["Ada did: y".to_string()],
        "assign_all must accept a &mut dyn Staff (it needs ?Sized)"
    );
    assert!(assign_all(&mut w, &[]).is_empty());
}
