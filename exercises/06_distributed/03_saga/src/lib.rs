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

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code, unused_imports)]

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
        todo!("its position in Step::ALL")
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
        todo!()
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
    // TODO: the records, oldest first.
}

impl MemoryLog {
    /// An empty log.
    pub fn new() -> Self {
        todo!()
    }
}

impl SagaLog for MemoryLog {
    fn append(&mut self, record: Record) -> Result<(), Crashed> {
        todo!()
    }

    fn records(&self) -> Vec<Record> {
        todo!()
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

/// The stock, payment and shipping services, idempotent per (saga, step).
#[derive(Debug, Clone)]
pub struct Services {
    // TODO: stock, price, money charged, shipments, the effects list, and the
    // idempotency record: where each (saga, step) stands (applied, compensated,
    // or fenced off by a compensation that came first).
}

impl Services {
    /// Services with `stock` items on the shelf, each sold at `price`.
    pub fn new(stock: u32, price: u64) -> Self {
        todo!("an empty world with this stock and price")
    }

    /// Items on the shelf.
    pub fn stock(&self) -> u32 {
        todo!()
    }

    /// Money charged and not refunded.
    pub fn charged(&self) -> u64 {
        todo!()
    }

    /// Shipments made and not cancelled.
    pub fn shipped(&self) -> u32 {
        todo!()
    }

    /// Every state change, in order: what was really applied and undone.
    pub fn effects(&self) -> &[Effect] {
        todo!()
    }

    /// Whether `step` of `saga` is applied now (executed, not compensated).
    pub fn is_applied(&self, saga: SagaId, step: Step) -> bool {
        todo!()
    }
}

impl Participant for Services {
    fn execute(&mut self, saga: SagaId, step: Step) -> Reply {
        todo!(
            "already applied? answer Done and change nothing. Compensated or fenced off? Rejected. Otherwise apply (out of stock: Rejected) and record it"
        )
    }

    fn compensate(&mut self, saga: SagaId, step: Step) -> Reply {
        todo!(
            "applied? undo it and record it. Already undone? Done. Never applied? Fence it off (a late execute must be refused) and answer Done"
        )
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
        todo!("3 attempts per step, 5 per compensation")
    }
}

/// Runs sagas to the end, writing each decision to the log before acting on it.
#[derive(Debug)]
pub struct Orchestrator<L, P> {
    // TODO: the log, the participant and the config.
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
        todo!("check the attempt limits")
    }

    /// Runs saga `saga` to its end: starts it if the log has never seen it,
    /// resumes it if it is unfinished, and only reports the outcome if it
    /// already finished (a duplicate "place order" starts nothing).
    ///
    /// Returns `Err(Crashed)` as soon as a log write fails, without sending
    /// anything more.
    pub fn run(&mut self, saga: SagaId) -> Result<Outcome, Crashed> {
        todo!(
            "rebuild where the saga stands from the log (start it if it is new), then go forward or backward from there; write each result to the log before acting on it"
        )
    }

    /// After a crash: finishes every saga the log shows started and not
    /// finished, in the order they started, and returns their outcomes.
    pub fn recover(&mut self) -> Result<Vec<(SagaId, Outcome)>, Crashed> {
        todo!("run every saga the log shows started but not finished, in start order")
    }
}
