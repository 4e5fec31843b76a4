//! The spec of `observer`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run observer`); `cargo test` runs them all.

// The loom stage is a test target of its own, built with `--features loom`;
// these stages are not loom models and run on std's primitives only.
#![cfg(not(feature = "loom"))]

#[path = "2_reentrancy.rs"]
mod reentrancy;
#[path = "1_subscribe.rs"]
mod subscribe;
#[path = "3_threads.rs"]
mod threads;
