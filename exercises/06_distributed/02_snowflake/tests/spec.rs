//! The spec of `snowflake`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run snowflake`); `cargo test` runs them all.

// The loom stage is a test target of its own, built with `--features loom`;
// these stages are not loom models and run on std's primitives only.
#![cfg(not(feature = "loom"))]

#[path = "3_clock.rs"]
mod clock;
#[path = "1_format.rs"]
mod format;
#[path = "2_generator.rs"]
mod generator;
#[path = "4_threads.rs"]
mod threads;
