//! The spec of `rate_limiter`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run rate_limiter`); `cargo test` runs them all.

// The loom stage is a test target of its own, built with `--features loom`;
// these stages are not loom models and run on std's primitives only.
#![cfg(not(feature = "loom"))]

#[path = "4_keyed_and_threads.rs"]
mod keyed_and_threads;
#[path = "3_properties.rs"]
mod properties;
#[path = "1_token_bucket.rs"]
mod token_bucket;
#[path = "2_windows.rs"]
mod windows;
