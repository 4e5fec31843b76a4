//! An orchestrated saga: a business transaction across services that cannot
//! share a database transaction, made of local steps, each with a
//! compensation that semantically undoes it.
//!
//! The order saga: reserve stock → charge payment → ship. If a step fails,
//! the orchestrator runs the compensations of the steps before it in reverse
//! order (cancel shipment → refund → release stock), starting with the
//! failed step itself when it gave no answer: it may have been applied before
//! its reply was lost. A step that was rejected was certainly not applied;
//! compensating it is unnecessary (the paper compensates completed steps
//! only) and harmless (it does nothing), and the tests accept both.
//!
//! Three properties make it safe:
//! - **Idempotent participants.** A message may be delivered twice (a retry
//!   after a lost reply, a resumed orchestrator): [`Services`] remembers what
//!   it did per (saga, step) and applies each effect at most once.
//! - **A durable saga log.** The orchestrator writes what it learned
//!   ([`Record`]) *after* each reply and before acting on it, so a crashed
//!   orchestrator rebuilds its place from the log and resumes. `Started`
//!   comes first, before any command is sent: recovery finishes only the
//!   sagas the log knows, so a command sent for a saga the log has never
//!   seen leaves an effect that nobody will complete or undo.
//! - **One direction.** A saga goes forward until a step fails; from then on
//!   it only compensates. Recovery follows the log: forward if no step failed,
//!   backward if one did, never both.

use std::collections::HashMap;

/// Identifies one saga (one order).
pub type SagaId = u64;

/// The forward steps of the order saga, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// Take one item from stock. Compensation: put it back.
    ReserveStock,
    /// Charge the customer the price. Compensation: refund.
    ChargePayment,
    /// Hand the parcel to the carrier. Compensation: cancel the shipment.
    Ship,
}

impl Step {
    /// Every step, in forward order.
    pub const ALL: [Step; 3] = [Step::ReserveStock, Step::ChargePayment, Step::Ship];

    /// This step's position in [`Step::ALL`].
    pub fn index(self) -> usize {
        match self {
            Step::ReserveStock => 0,
            Step::ChargePayment => 1,
            Step::Ship => 2,
        }
    }
}

/// A participant's answer to a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Applied, now or by an earlier delivery of the same command.
    Done,
    /// Refused for a business reason (out of stock, card declined): certainly
    /// not applied.
    Rejected,
    /// No answer (timeout, lost reply, service down): it may or may not have
    /// been applied.
    Unavailable,
}

/// A service the orchestrator sends commands to. Implementations must be
/// idempotent per `(saga, step)`: the same command twice has the effect of
/// one.
pub trait Participant {
    /// Do `step` for `saga`.
    fn execute(&mut self, saga: SagaId, step: Step) -> Reply;
    /// Undo `step` for `saga`. Compensating a step that was never applied
    /// succeeds and does nothing (but must stop a late `execute` applying it).
    fn compensate(&mut self, saga: SagaId, step: Step) -> Reply;
}

/// How a saga ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every step applied.
    Completed,
    /// A step failed and every compensation succeeded: nothing remains applied.
    Compensated,
    /// A step failed and the compensations of these steps still failed after
    /// every retry: an operator must finish them (the others were done).
    NeedsOperator(Vec<Step>),
}

/// One durable entry of the saga log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// The saga began.
    Started(SagaId),
    /// The step's participant answered [`Reply::Done`].
    StepDone(SagaId, Step),
    /// The step was rejected, or gave no answer within the allowed attempts:
    /// the saga now compensates.
    StepFailed(SagaId, Step),
    /// The step's compensation answered [`Reply::Done`].
    Compensated(SagaId, Step),
    /// The step's compensation failed on every allowed attempt: left for an
    /// operator.
    CompensationStuck(SagaId, Step),
    /// The saga ended.
    Finished(SagaId, Outcome),
}

impl Record {
    /// The saga this record belongs to.
    pub fn saga(&self) -> SagaId {
        match self {
            Record::Started(s)
            | Record::StepDone(s, _)
            | Record::StepFailed(s, _)
            | Record::Compensated(s, _)
            | Record::CompensationStuck(s, _)
            | Record::Finished(s, _) => *s,
        }
    }
}

/// The orchestrator's process died (here: while writing to the log). The
/// orchestrator must stop at once; a new one resumes from the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crashed;

/// Durable storage for the saga log.
pub trait SagaLog {
    /// Appends `record`; once this returns `Ok` the record survives a crash.
    /// `Err(Crashed)` means the process died before the record was written.
    fn append(&mut self, record: Record) -> Result<(), Crashed>;
    /// Every record written, oldest first.
    fn records(&self) -> Vec<Record>;
}

/// A saga log in memory (for tests and examples; it never crashes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryLog {
    records: Vec<Record>,
}

impl MemoryLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }
}

impl SagaLog for MemoryLog {
    fn append(&mut self, record: Record) -> Result<(), Crashed> {
        self.records.push(record);
        Ok(())
    }

    fn records(&self) -> Vec<Record> {
        self.records.clone()
    }
}

/// What a participant did to the world: one entry per actual state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Effect {
    /// The saga.
    pub saga: SagaId,
    /// The step.
    pub step: Step,
    /// Applied, or undone.
    pub action: Action,
}

/// Which way an [`Effect`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// The step was applied.
    Execute,
    /// The step was undone.
    Compensate,
}

/// Where one (saga, step) stands at the services: the idempotency record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StepState {
    Applied,
    Compensated,
    /// Compensated before it was ever applied: a late `execute` must not apply it.
    Cancelled,
}

/// The stock, payment and shipping services, idempotent per (saga, step).
#[derive(Debug, Clone)]
pub struct Services {
    stock: u32,
    price: u64,
    charged: u64,
    shipped: u32,
    seen: HashMap<(SagaId, Step), StepState>,
    effects: Vec<Effect>,
}

impl Services {
    /// Services with `stock` items on the shelf, each sold at `price`.
    pub fn new(stock: u32, price: u64) -> Self {
        Self {
            stock,
            price,
            charged: 0,
            shipped: 0,
            seen: HashMap::new(),
            effects: Vec::new(),
        }
    }

    /// Items on the shelf.
    pub fn stock(&self) -> u32 {
        self.stock
    }

    /// Money charged and not refunded.
    pub fn charged(&self) -> u64 {
        self.charged
    }

    /// Shipments made and not cancelled.
    pub fn shipped(&self) -> u32 {
        self.shipped
    }

    /// Every state change, in order: what was really applied and undone.
    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// Whether `step` of `saga` is applied now (executed, not compensated).
    pub fn is_applied(&self, saga: SagaId, step: Step) -> bool {
        self.seen.get(&(saga, step)) == Some(&StepState::Applied)
    }

    fn record(&mut self, saga: SagaId, step: Step, action: Action) {
        self.effects.push(Effect { saga, step, action });
    }
}

impl Participant for Services {
    fn execute(&mut self, saga: SagaId, step: Step) -> Reply {
        match self.seen.get(&(saga, step)) {
            // A duplicate delivery: answer as before, change nothing.
            Some(StepState::Applied) => return Reply::Done,
            // Already undone or fenced off by a compensation: too late.
            Some(StepState::Compensated | StepState::Cancelled) => return Reply::Rejected,
            None => {}
        }
        match step {
            Step::ReserveStock => {
                if self.stock == 0 {
                    return Reply::Rejected;
                }
                self.stock -= 1;
            }
            Step::ChargePayment => self.charged += self.price,
            Step::Ship => self.shipped += 1,
        }
        self.seen.insert((saga, step), StepState::Applied);
        self.record(saga, step, Action::Execute);
        Reply::Done
    }

    fn compensate(&mut self, saga: SagaId, step: Step) -> Reply {
        match self.seen.get(&(saga, step)) {
            Some(StepState::Applied) => {}
            Some(StepState::Compensated | StepState::Cancelled) => return Reply::Done,
            None => {
                // Compensation overtook the command (or the command never
                // arrived): remember it, so the command is refused if it
                // turns up later.
                self.seen.insert((saga, step), StepState::Cancelled);
                return Reply::Done;
            }
        }
        match step {
            Step::ReserveStock => self.stock += 1,
            Step::ChargePayment => self.charged -= self.price,
            Step::Ship => self.shipped -= 1,
        }
        self.seen.insert((saga, step), StepState::Compensated);
        self.record(saga, step, Action::Compensate);
        Reply::Done
    }
}

/// Retry limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Attempts per forward step while it answers [`Reply::Unavailable`];
    /// then the step counts as failed. At least 1.
    pub max_step_attempts: u32,
    /// Attempts per compensation while it does not answer [`Reply::Done`];
    /// then it is recorded as stuck for an operator. At least 1.
    pub max_compensation_attempts: u32,
}

impl Default for Config {
    /// 3 attempts per step, 5 per compensation.
    fn default() -> Self {
        Self {
            max_step_attempts: 3,
            max_compensation_attempts: 5,
        }
    }
}

/// Where a saga stands, rebuilt from its log records.
#[derive(Debug, Default)]
struct Progress {
    /// Forward steps done, a prefix of [`Step::ALL`].
    done: usize,
    failed: Option<Step>,
    /// Steps whose compensation is settled (compensated or stuck).
    settled: Vec<Step>,
    stuck: Vec<Step>,
    finished: Option<Outcome>,
}

impl Progress {
    fn replay(saga: SagaId, records: &[Record]) -> Option<Self> {
        let mut progress: Option<Progress> = None;
        for record in records.iter().filter(|r| r.saga() == saga) {
            let p = progress.get_or_insert_with(Progress::default);
            match record {
                Record::Started(_) => {}
                Record::StepDone(_, step) => p.done = p.done.max(step.index() + 1),
                Record::StepFailed(_, step) => p.failed = Some(*step),
                Record::Compensated(_, step) => p.settled.push(*step),
                Record::CompensationStuck(_, step) => {
                    p.settled.push(*step);
                    p.stuck.push(*step);
                }
                Record::Finished(_, outcome) => p.finished = Some(outcome.clone()),
            }
        }
        progress
    }
}

/// Runs sagas to the end, writing each decision to the log before acting on it.
#[derive(Debug)]
pub struct Orchestrator<L, P> {
    log: L,
    participant: P,
    config: Config,
}

impl<L: SagaLog, P: Participant> Orchestrator<L, P> {
    /// An orchestrator over `log` and `participant`.
    ///
    /// # Panics
    /// If either attempt limit in `config` is 0.
    pub fn new(log: L, participant: P, config: Config) -> Self {
        assert!(
            config.max_step_attempts > 0 && config.max_compensation_attempts > 0,
            "every command needs at least one attempt"
        );
        Self {
            log,
            participant,
            config,
        }
    }

    /// Runs saga `saga` to its end: starts it if the log has never seen it,
    /// resumes it if it is unfinished, and only reports the outcome if it
    /// already finished (a duplicate "place order" starts nothing).
    ///
    /// Returns `Err(Crashed)` as soon as a log write fails, without sending
    /// anything more.
    pub fn run(&mut self, saga: SagaId) -> Result<Outcome, Crashed> {
        let progress = match Progress::replay(saga, &self.log.records()) {
            Some(progress) => progress,
            None => {
                self.log.append(Record::Started(saga))?;
                Progress::default()
            }
        };
        self.drive(saga, progress)
    }

    /// After a crash: finishes every saga the log shows started and not
    /// finished, in the order they started, and returns their outcomes.
    pub fn recover(&mut self) -> Result<Vec<(SagaId, Outcome)>, Crashed> {
        let records = self.log.records();
        let unfinished: Vec<SagaId> = records
            .iter()
            .filter_map(|r| match r {
                Record::Started(saga) => Some(*saga),
                _ => None,
            })
            .filter(|saga| {
                !records
                    .iter()
                    .any(|r| matches!(r, Record::Finished(s, _) if s == saga))
            })
            .collect();
        let mut outcomes = Vec::with_capacity(unfinished.len());
        for saga in unfinished {
            outcomes.push((saga, self.run(saga)?));
        }
        Ok(outcomes)
    }

    fn drive(&mut self, saga: SagaId, mut progress: Progress) -> Result<Outcome, Crashed> {
        if let Some(outcome) = progress.finished {
            return Ok(outcome);
        }
        if progress.failed.is_none() {
            // Forward. The first step not logged as done may have been
            // applied before a crash: sending it again is safe because the
            // participant is idempotent.
            for &step in &Step::ALL[progress.done..] {
                if self.execute(saga, step) == Reply::Done {
                    self.log.append(Record::StepDone(saga, step))?;
                } else {
                    self.log.append(Record::StepFailed(saga, step))?;
                    progress.failed = Some(step);
                    break;
                }
            }
            if progress.failed.is_none() {
                return self.finish(saga, Outcome::Completed);
            }
        }
        // Backward, from the failed step itself (it may have been applied
        // and its reply lost) down to the first, skipping what is settled.
        let failed = progress.failed.map_or(0, Step::index);
        for &step in Step::ALL[..=failed].iter().rev() {
            if progress.settled.contains(&step) {
                continue;
            }
            if self.compensate(saga, step) == Reply::Done {
                self.log.append(Record::Compensated(saga, step))?;
            } else {
                self.log.append(Record::CompensationStuck(saga, step))?;
                progress.stuck.push(step);
            }
        }
        let outcome = if progress.stuck.is_empty() {
            Outcome::Compensated
        } else {
            Outcome::NeedsOperator(progress.stuck)
        };
        self.finish(saga, outcome)
    }

    fn finish(&mut self, saga: SagaId, outcome: Outcome) -> Result<Outcome, Crashed> {
        self.log.append(Record::Finished(saga, outcome.clone()))?;
        Ok(outcome)
    }

    /// Sends `step` until it is done or rejected, at most `max_step_attempts` times.
    fn execute(&mut self, saga: SagaId, step: Step) -> Reply {
        let mut reply = Reply::Unavailable;
        for _ in 0..self.config.max_step_attempts {
            reply = self.participant.execute(saga, step);
            if reply != Reply::Unavailable {
                break;
            }
        }
        reply
    }

    /// Sends the compensation until it is done, at most
    /// `max_compensation_attempts` times. A compensation must not fail for
    /// business reasons, so a rejection is retried like silence.
    fn compensate(&mut self, saga: SagaId, step: Step) -> Reply {
        let mut reply = Reply::Unavailable;
        for _ in 0..self.config.max_compensation_attempts {
            reply = self.participant.compensate(saga, step);
            if reply == Reply::Done {
                break;
            }
        }
        reply
    }
}
