//! Composition over inheritance: a `Manager` *has* a `Worker` and delegates to
//! it, and both are usable wherever the shared `Staff` trait is expected.
//!
//! There is no `class Manager extends Worker` in Rust. The shared behaviour is a
//! trait; the shared data is a field; each method the manager wants to keep is
//! forwarded explicitly, and each it wants to change is written anew.

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code)]

/// Anyone on the payroll.
pub trait Staff {
    /// The person's name.
    fn name(&self) -> &str;

    /// The job title.
    fn title(&self) -> &str;

    /// Pay per month, in cents.
    fn monthly_pay(&self) -> u64;

    /// Do `task` now and return the log line `"<name> did: <task>"`.
    fn work(&mut self, task: &str) -> String;

    /// How many tasks this person has done themselves.
    fn tasks_done(&self) -> usize;

    /// `"<name> (<title>): $<dollars>.<cents>/month"`, e.g.
    /// `"Ada (Engineer): $5000.00/month"`. Built from the other methods, so an
    /// implementor that overrides `title` is described with its own title.
    fn describe(&self) -> String {
        todo!("build it from name(), title() and monthly_pay()")
    }
}

/// An individual contributor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    name: String,
    title: String,
    monthly_pay: u64,
    completed: Vec<String>,
}

impl Worker {
    /// A worker with no tasks done yet; `monthly_pay` in cents.
    pub fn new(name: impl Into<String>, title: impl Into<String>, monthly_pay: u64) -> Worker {
        todo!("a worker with no tasks done")
    }

    /// Change the name (people do).
    pub fn rename(&mut self, name: impl Into<String>) {
        todo!("change the name")
    }

    /// Change the monthly pay, in cents.
    pub fn set_monthly_pay(&mut self, cents: u64) {
        todo!("change the pay")
    }

    /// The tasks done so far, oldest first.
    pub fn completed(&self) -> &[String] {
        todo!("the tasks done, oldest first")
    }
}

impl Staff for Worker {
    fn name(&self) -> &str {
        todo!("the name")
    }
    fn title(&self) -> &str {
        todo!("the title")
    }
    fn monthly_pay(&self) -> u64 {
        todo!("the pay")
    }
    fn work(&mut self, task: &str) -> String {
        todo!("remember the task, return the log line")
    }
    fn tasks_done(&self) -> usize {
        todo!("how many tasks")
    }
}

/// A manager: a worker (who still does their own tasks) plus a monthly bonus and
/// a team of reports.
///
/// `Manager` holds its `Worker` and forwards to it. It deliberately does **not**
/// implement `Deref<Target = Worker>`: that would make every `Worker` method
/// callable on a manager by accident, without saying which ones a manager keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manager {
    worker: Worker,
    monthly_bonus: u64,
    reports: Vec<Worker>,
}

impl Manager {
    /// Promote `worker` to manager with a monthly bonus in cents; no reports yet.
    pub fn new(worker: Worker, monthly_bonus: u64) -> Manager {
        todo!("wrap the worker")
    }

    /// The worker inside, read-only.
    pub fn as_worker(&self) -> &Worker {
        todo!("the worker inside")
    }

    /// The worker inside, to change (rename, new pay). Changes show through the
    /// manager at once, because the manager stores no copy of the worker's data.
    pub fn worker_mut(&mut self) -> &mut Worker {
        todo!("the worker inside")
    }

    /// Step down: the manager becomes the worker again, with everything they did.
    /// (Composition lets an object change role at run time; a Java object can
    /// never stop being an instance of its class.)
    pub fn into_worker(self) -> Worker {
        todo!("give the worker back")
    }

    /// Add a report to the team.
    pub fn hire(&mut self, report: Worker) {
        todo!("add to the team")
    }

    /// The team, in hiring order.
    pub fn reports(&self) -> &[Worker] {
        todo!("the team")
    }

    /// Hand `task` to the report who has done the fewest tasks (the earliest hired
    /// among equals) and return their log line; `None` without reports. The
    /// manager's own `tasks_done` does not change.
    pub fn delegate(&mut self, task: &str) -> Option<String> {
        todo!("find the least-loaded report (first among equals) and have them work")
    }

    /// The manager's pay plus every report's pay, in cents (saturating).
    pub fn team_pay(&self) -> u64 {
        todo!("own pay plus the reports' pay, saturating")
    }
}

impl Staff for Manager {
    // TODO: delegate what a manager does like a worker, change what differs, and
    // think hard before overriding `describe`.
    fn name(&self) -> &str {
        todo!("delegate to the worker")
    }
    fn work(&mut self, task: &str) -> String {
        todo!("delegate to the worker")
    }
    fn tasks_done(&self) -> usize {
        todo!("delegate to the worker")
    }

    /// Always `"Manager"`, whatever the worker's own title.
    fn title(&self) -> &str {
        todo!("a manager's title is \"Manager\"")
    }
    /// The worker's pay plus the bonus (saturating).
    fn monthly_pay(&self) -> u64 {
        todo!("the worker's pay plus the bonus, saturating")
    }
}

/// The total monthly pay of everyone listed, in cents (saturating).
pub fn payroll(staff: &[&dyn Staff]) -> u64 {
    todo!("sum monthly_pay, saturating")
}

/// Have `who` do each task in order; returns the log lines. Works for any staff,
/// including `dyn Staff`.
pub fn assign_all<S: Staff + ?Sized>(who: &mut S, tasks: &[&str]) -> Vec<String> {
    todo!("call work for each task, in order")
}
