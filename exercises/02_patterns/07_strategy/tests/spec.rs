//! The spec of `strategy`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run strategy`); `cargo test` runs them all.

#[path = "3_navigator.rs"]
mod navigator;
#[path = "2_routes.rs"]
mod routes;
#[path = "1_strategies.rs"]
mod strategies;
