//! The spec of `consistent_hashing`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run consistent_hashing`); `cargo test` runs them all.

#[path = "3_balance.rs"]
mod balance;
#[path = "1_basics.rs"]
mod basics;
#[path = "2_movement.rs"]
mod movement;
#[path = "4_replicas.rs"]
mod replicas;
