//! The spec of `bloom_filter`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run bloom_filter`); `cargo test` runs them all.

// The loom stage is a test target of its own, built with `--features loom`;
// these stages are not loom models and run on std's primitives only.
#![cfg(not(feature = "loom"))]

#[path = "4_concurrent.rs"]
mod concurrent;
#[path = "2_membership.rs"]
mod membership;
#[path = "1_sizing.rs"]
mod sizing;
#[path = "3_union.rs"]
mod union;
