//! The spec of `quorum`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run quorum`); `cargo test` runs them all.

mod common;

#[path = "2_quorums.rs"]
mod quorums;
#[path = "3_repair.rs"]
mod repair;
#[path = "1_versions.rs"]
mod versions;
