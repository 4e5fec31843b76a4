//! The spec of `fan_out_fan_in`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run fan_out_fan_in`); `cargo test` runs them all.

// The loom stage is a test target of its own, built with `--features loom`;
// these stages are not loom models and run on std's primitives only.
#![cfg(not(feature = "loom"))]

#[path = "1_basics.rs"]
mod basics;
#[path = "3_cancel.rs"]
mod cancel;
#[path = "2_order.rs"]
mod order;
