//! The spec of `event_bus`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run event_bus`); `cargo test` runs them all.

mod common;

#[path = "7_budget.rs"]
mod budget;
#[path = "5_fanout.rs"]
mod fanout;
#[path = "2_groups.rs"]
mod groups;
#[path = "1_log.rs"]
mod log;
#[path = "3_offsets.rs"]
mod offsets;
#[path = "6_outbox.rs"]
mod outbox;
#[path = "4_replay.rs"]
mod replay;
