//! The spec of `caching`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run caching`); `cargo test` runs them all.

// The loom stage is a test target of its own, built with `--features loom`;
// these stages are not loom models and run on std's primitives only.
#![cfg(not(feature = "loom"))]

mod common;

#[path = "7_budget.rs"]
mod budget;
#[path = "6_invalidation.rs"]
mod invalidation;
#[path = "1_lru.rs"]
mod lru;
#[path = "5_stampede.rs"]
mod stampede;
#[path = "3_strategies.rs"]
mod strategies;
#[path = "2_ttl.rs"]
mod ttl;
#[path = "4_write_back.rs"]
mod write_back;
