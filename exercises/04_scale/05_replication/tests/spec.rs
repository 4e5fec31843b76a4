//! The spec of `replication`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run replication`); `cargo test` runs them all.

mod common;

#[path = "5_efficiency.rs"]
mod efficiency;
#[path = "2_failover.rs"]
mod failover;
#[path = "4_reads.rs"]
mod reads;
#[path = "3_semi_sync.rs"]
mod semi_sync;
#[path = "1_shipping.rs"]
mod shipping;
