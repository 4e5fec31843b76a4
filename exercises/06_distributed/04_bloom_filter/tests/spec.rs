//! The spec of `bloom_filter`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run bloom_filter`); `cargo test` runs them all.

#[path = "4_concurrent.rs"]
mod concurrent;
#[path = "2_membership.rs"]
mod membership;
#[path = "1_sizing.rs"]
mod sizing;
#[path = "3_union.rs"]
mod union;
