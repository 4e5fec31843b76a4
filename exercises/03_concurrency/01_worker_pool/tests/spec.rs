//! The spec of `worker_pool`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run worker_pool`); `cargo test` runs them all.

// The loom stage is a test target of its own, built with `--features loom`;
// these stages are not loom models and run on std's primitives only.
#![cfg(not(feature = "loom"))]

#[path = "1_basics.rs"]
mod basics;
#[path = "2_panics.rs"]
mod panics;
#[path = "3_shutdown.rs"]
mod shutdown;
