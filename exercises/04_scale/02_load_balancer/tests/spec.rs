//! The spec of `load_balancer`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run load_balancer`); `cargo test` runs them all.

mod common;

#[path = "2_affinity.rs"]
mod affinity;
#[path = "4_health.rs"]
mod health;
#[path = "5_l4.rs"]
mod l4;
#[path = "6_l7.rs"]
mod l7;
#[path = "1_policies.rs"]
mod policies;
#[path = "8_pooling.rs"]
mod pooling;
#[path = "3_queueing.rs"]
mod queueing;
#[path = "7_retries.rs"]
mod retries;
