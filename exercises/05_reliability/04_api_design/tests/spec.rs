//! The spec of `api_design`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run api_design`); `cargo test` runs them all.

mod common;

#[path = "4_batching.rs"]
mod batching;
#[path = "6_deadlines.rs"]
mod deadlines;
#[path = "2_idempotency.rs"]
mod idempotency;
#[path = "3_pagination.rs"]
mod pagination;
#[path = "7_payload.rs"]
mod payload;
#[path = "1_rest.rs"]
mod rest;
#[path = "5_wire.rs"]
mod wire;
