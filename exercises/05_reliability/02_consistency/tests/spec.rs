//! The spec of `consistency`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run consistency`); `cargo test` runs them all.

mod common;

#[path = "2_brute_force.rs"]
mod brute_force;
#[path = "5_counterexamples.rs"]
mod counterexamples;
#[path = "8_differential.rs"]
mod differential;
#[path = "4_partitioning.rs"]
mod partitioning;
#[path = "3_search.rs"]
mod search;
#[path = "6_sequential.rs"]
mod sequential;
#[path = "7_sessions.rs"]
mod sessions;
#[path = "1_specs.rs"]
mod specs;
