//! The spec of `scaling`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run scaling`); `cargo test` runs them all.

mod common;

#[path = "4_autoscaler.rs"]
mod autoscaler;
#[path = "1_estimates.rs"]
mod estimates;
#[path = "2_stateless.rs"]
mod stateless;
#[path = "3_store_calls.rs"]
mod store_calls;
