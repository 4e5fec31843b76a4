//! The spec of `saga`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run saga`); `cargo test` runs them all.

mod common;

#[path = "2_orchestration.rs"]
mod orchestration;
#[path = "3_recovery.rs"]
mod recovery;
#[path = "1_services.rs"]
mod services;
