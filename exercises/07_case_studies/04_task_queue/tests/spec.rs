//! The spec of `task_queue`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run task_queue`); `cargo test` runs them all.

mod common;

#[path = "1_basics.rs"]
mod basics;
#[path = "7_crashes.rs"]
mod crashes;
#[path = "5_durability.rs"]
mod durability;
#[path = "3_leases.rs"]
mod leases;
#[path = "4_retries.rs"]
mod retries;
#[path = "2_scheduling.rs"]
mod scheduling;
#[path = "6_workers.rs"]
mod workers;
