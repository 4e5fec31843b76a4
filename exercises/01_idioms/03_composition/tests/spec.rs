//! The spec of `composition`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run composition`); `cargo test` runs them all.

#[path = "2_manager.rs"]
mod manager;
#[path = "3_team.rs"]
mod team;
#[path = "1_worker.rs"]
mod worker;
