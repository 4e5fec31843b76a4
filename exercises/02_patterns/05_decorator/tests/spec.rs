//! The spec of `decorator`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run decorator`); `cargo test` runs them all.

#[path = "2_fetch.rs"]
mod fetch;
#[path = "1_pizza.rs"]
mod pizza;
#[path = "3_stacking.rs"]
mod stacking;
