//! The spec of `raft`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run raft`); `cargo test` runs them all.

mod common;

#[path = "4_chaos.rs"]
mod chaos;
#[path = "1_election.rs"]
mod election;
#[path = "3_persistence.rs"]
mod persistence;
#[path = "2_replication.rs"]
mod replication;
