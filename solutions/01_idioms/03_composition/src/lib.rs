//! Composition over inheritance: a `Manager` *has* a `Worker` and delegates to
//! it, and both are usable wherever the shared `Staff` trait is expected.
//!
//! There is no `class Manager extends Worker` in Rust. The shared behaviour is a
//! trait; the shared data is a field; each method the manager wants to keep is
//! forwarded explicitly, and each it wants to change is written anew.

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
        let pay = self.monthly_pay();
        format!(
            "{} ({}): ${}.{:02}/month",
            self.name(),
            self.title(),
            pay / 100,
            pay % 100
        )
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
        Worker {
            name: name.into(),
            title: title.into(),
            monthly_pay,
            completed: Vec::new(),
        }
    }

    /// Change the name (people do).
    pub fn rename(&mut self, name: impl Into<String>) {
        self.name = name.into();
    }

    /// Change the monthly pay, in cents.
    pub fn set_monthly_pay(&mut self, cents: u64) {
        self.monthly_pay = cents;
    }

    /// The tasks done so far, oldest first.
    pub fn completed(&self) -> &[String] {
        &self.completed
    }
}

impl Staff for Worker {
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
    fn monthly_pay(&self) -> u64 {
        self.monthly_pay
    }
    fn work(&mut self, task: &str) -> String {
        self.completed.push(task.to_string());
        format!("{} did: {task}", self.name)
    }
    fn tasks_done(&self) -> usize {
        self.completed.len()
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
        Manager {
            worker,
            monthly_bonus,
            reports: Vec::new(),
        }
    }

    /// The worker inside, read-only.
    pub fn as_worker(&self) -> &Worker {
        &self.worker
    }

    /// The worker inside, to change (rename, new pay). Changes show through the
    /// manager at once, because the manager stores no copy of the worker's data.
    pub fn worker_mut(&mut self) -> &mut Worker {
        &mut self.worker
    }

    /// Step down: the manager becomes the worker again, with everything they did.
    /// (Composition lets an object change role at run time; a Java object can
    /// never stop being an instance of its class.)
    pub fn into_worker(self) -> Worker {
        self.worker
    }

    /// Add a report to the team.
    pub fn hire(&mut self, report: Worker) {
        self.reports.push(report);
    }

    /// The team, in hiring order.
    pub fn reports(&self) -> &[Worker] {
        &self.reports
    }

    /// Hand `task` to the report who has done the fewest tasks (the earliest hired
    /// among equals) and return their log line; `None` without reports. The
    /// manager's own `tasks_done` does not change.
    pub fn delegate(&mut self, task: &str) -> Option<String> {
        // `min_by_key` returns the first of several equal minima: earliest hired.
        let report = self.reports.iter_mut().min_by_key(|r| r.tasks_done())?;
        Some(report.work(task))
    }

    /// The manager's pay plus every report's pay, in cents (saturating).
    pub fn team_pay(&self) -> u64 {
        self.reports.iter().fold(self.monthly_pay(), |sum, r| {
            sum.saturating_add(r.monthly_pay())
        })
    }
}

impl Staff for Manager {
    // Delegated unchanged.
    fn name(&self) -> &str {
        self.worker.name()
    }
    fn work(&mut self, task: &str) -> String {
        self.worker.work(task)
    }
    fn tasks_done(&self) -> usize {
        self.worker.tasks_done()
    }

    // Changed.
    /// Always `"Manager"`, whatever the worker's own title.
    fn title(&self) -> &str {
        "Manager"
    }
    /// The worker's pay plus the bonus (saturating).
    fn monthly_pay(&self) -> u64 {
        self.worker.monthly_pay().saturating_add(self.monthly_bonus)
    }

    // `describe` is NOT forwarded to `self.worker.describe()`: the worker's
    // describe would call `Worker::title` and `Worker::monthly_pay` and print the
    // worker, not the manager. The trait's default calls `self.title()` on the
    // manager, which is what we want. (In Java, an overridden `title()` would be
    // picked up by the inherited `describe()` automatically; with delegation,
    // there is no such "open recursion": you choose per method.)
}

/// The total monthly pay of everyone listed, in cents (saturating).
pub fn payroll(staff: &[&dyn Staff]) -> u64 {
    staff
        .iter()
        .fold(0u64, |sum, s| sum.saturating_add(s.monthly_pay()))
}

/// Have `who` do each task in order; returns the log lines. Works for any staff,
/// including `dyn Staff`.
pub fn assign_all<S: Staff + ?Sized>(who: &mut S, tasks: &[&str]) -> Vec<String> {
    tasks.iter().map(|t| who.work(t)).collect()
}
