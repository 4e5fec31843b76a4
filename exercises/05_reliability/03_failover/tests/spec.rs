//! The spec of `failover`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run failover`); `cargo test` runs them all.

mod common;

#[path = "1_detector.rs"]
mod detector;
#[path = "2_fencing.rs"]
mod fencing;
#[path = "3_lease.rs"]
mod lease;
#[path = "5_partitions.rs"]
mod partitions;
#[path = "4_rejoin.rs"]
mod rejoin;
